// TimelineView implementation. Invariant: m_doc is the project's state as last loaded; a gesture
// in progress lives only in m_dragNow and becomes one clipEdited signal on release.
// Thread-safety: GUI thread only.
#include "gui/timeline/timeline-view.h"

#include <QDragEnterEvent>
#include <QMimeData>
#include <QMouseEvent>
#include <QPainter>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

#include "pipelines/timeline-edit.h"

namespace gui {

using atelier::projects::AssetKind;
using atelier::projects::ClipRow;
using atelier::projects::TrackKind;

namespace {
constexpr int kRulerH = 26, kHeaderW = 96, kLaneH = 56, kEdgePx = 6, kSnapPx = 8;

QString timeText(qint64 ms) {
    return QStringLiteral("%1:%2").arg(ms / 60000).arg((ms / 1000) % 60, 2, 10, QLatin1Char('0'));
}

QStringList droppedUuids(const QMimeData* mime) {
    if (!mime || !mime->hasFormat(QLatin1String(kAssetUuidsMime))) return {};
    return QString::fromUtf8(mime->data(QLatin1String(kAssetUuidsMime))).split(u'\n', Qt::SkipEmptyParts);
}
}  // namespace

TimelineView::TimelineView(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("timelineView"));
    setAcceptDrops(true);
    setMouseTracking(true);
    setFocusPolicy(Qt::StrongFocus);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

void TimelineView::setDocument(const atelier::projects::TimelineDoc& doc, const QHash<QString, TimelineAssetInfo>& assets) {
    m_doc = doc;
    m_assets = assets;
    if (!m_selected.isEmpty() && !clip(m_selected)) selectClip(QString());
    setMinimumWidth(sizeHint().width());  // the scroll area scrolls instead of squeezing time
    updateGeometry();
    update();
}

const ClipRow* TimelineView::clip(const QString& uuid) const {
    const std::string u = uuid.toStdString();
    for (const auto& c : m_doc.clips)
        if (c.uuid == u) return &c;
    return nullptr;
}

void TimelineView::setPixelsPerSecond(double pps) {
    pps = std::clamp(pps, 2.0, 2000.0);
    if (pps == m_pps) return;
    m_pps = pps;
    setMinimumWidth(sizeHint().width());
    updateGeometry();
    update();
    emit zoomChanged(m_pps);
}

void TimelineView::setPlayheadMs(qint64 ms) {
    ms = std::max<qint64>(0, ms);
    if (ms == m_playheadMs) return;
    m_playheadMs = ms;
    update();
    emit playheadMoved(ms);
}

void TimelineView::selectClip(const QString& uuid) {
    if (uuid == m_selected) return;
    m_selected = uuid;
    update();
    emit selectionChanged(uuid);
}

QRect TimelineView::laneRect(int i) const { return QRect(kHeaderW, kRulerH + i * kLaneH, width() - kHeaderW, kLaneH); }
int TimelineView::xForMs(qint64 ms) const { return kHeaderW + int(std::lround(double(ms) * m_pps / 1000.0)); }
qint64 TimelineView::msForX(int x) const { return std::max<qint64>(0, std::llround(double(x - kHeaderW) * 1000.0 / m_pps)); }

int TimelineView::trackAt(int y) const {
    if (y < kRulerH) return -1;
    const int i = (y - kRulerH) / kLaneH;
    return i < int(m_doc.tracks.size()) ? i : -1;
}

QRect TimelineView::clipRect(const QString& uuid) const {
    const ClipRow* c = clip(uuid);
    if (!c) return {};
    for (size_t i = 0; i < m_doc.tracks.size(); ++i) {
        if (m_doc.tracks[i].uuid != c->track_uuid) continue;
        const QRect lane = laneRect(int(i));
        const int x0 = xForMs(c->start_ms), x1 = xForMs(c->start_ms + c->duration_ms);
        return QRect(x0, lane.top() + 4, std::max(4, x1 - x0), lane.height() - 8);
    }
    return {};
}

TrackKind TimelineView::trackKind(const QString& trackUuid) const {
    for (const auto& t : m_doc.tracks)
        if (QString::fromStdString(t.uuid) == trackUuid) return t.kind;
    return TrackKind::Invalid;
}

std::optional<qint64> TimelineView::sourceDuration(const ClipRow& c) const {
    auto it = m_assets.find(QString::fromStdString(c.asset_uuid));
    if (it == m_assets.end() || it->durationMs <= 0) return std::nullopt;
    return it->durationMs;
}

QSize TimelineView::sizeHint() const {
    qint64 last = 60000;  // at least a minute of room
    for (const auto& c : m_doc.clips) last = std::max<qint64>(last, c.start_ms + c.duration_ms + 10000);
    return QSize(xForMs(last) + 40, kRulerH + kLaneH * int(std::max<size_t>(m_doc.tracks.size(), 3)) + 8);
}

QSize TimelineView::minimumSizeHint() const { return sizeHint(); }

bool TimelineView::event(QEvent* e) {
    // +/- zoom the timeline while it has focus (the window's zoom actions are for the preview).
    if (e->type() == QEvent::ShortcutOverride) {
        auto* k = static_cast<QKeyEvent*>(e);
        if (k->modifiers() == Qt::NoModifier || k->modifiers() == Qt::ShiftModifier || k->modifiers() == Qt::KeypadModifier) {
            if (k->key() == Qt::Key_Plus || k->key() == Qt::Key_Equal || k->key() == Qt::Key_Minus || k->key() == Qt::Key_Delete) {
                e->accept();
                return true;
            }
        }
    }
    return QWidget::event(e);
}

void TimelineView::paintClip(QPainter& p, const ClipRow& c, const QRect& r, bool selected) const {
    const auto info = m_assets.value(QString::fromStdString(c.asset_uuid));
    QColor fill = c.asset_uuid.empty() ? QColor(0xc9, 0x8a, 0x2b)
                  : info.kind == AssetKind::Audio ? QColor(0x2f, 0x9e, 0x6e)
                  : info.kind == AssetKind::Video ? QColor(0x3d, 0x6f, 0xc4)
                                                  : QColor(0x7a, 0x55, 0xc0);
    p.setPen(selected ? QPen(palette().highlightedText().color(), 2) : QPen(fill.darker(150)));
    p.setBrush(fill);
    p.drawRoundedRect(r.adjusted(0, 0, -1, -1), 4, 4);
    p.setPen(Qt::white);
    const QString text = c.asset_uuid.empty() ? QString::fromStdString(c.text) : info.name;
    p.drawText(r.adjusted(6, 2, -4, -2), Qt::AlignLeft | Qt::AlignVCenter | Qt::TextSingleLine,
               p.fontMetrics().elidedText(text, Qt::ElideRight, std::max(0, r.width() - 10)));
}

void TimelineView::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.fillRect(rect(), palette().base());
    p.fillRect(QRect(0, 0, width(), kRulerH), palette().window());
    // Ruler: a tick every second or more, labelled so labels never collide.
    const double labelEveryS = std::max(1.0, std::ceil(60.0 / m_pps));
    p.setPen(palette().text().color());
    for (double s = 0; xForMs(qint64(s * 1000)) < width(); s += labelEveryS) {
        const int x = xForMs(qint64(s * 1000));
        p.drawLine(x, kRulerH - 8, x, kRulerH);
        p.drawText(x + 3, kRulerH - 10, timeText(qint64(s * 1000)));
    }
    for (size_t i = 0; i < m_doc.tracks.size(); ++i) {
        const QRect lane = laneRect(int(i));
        p.fillRect(QRect(0, lane.top(), kHeaderW, kLaneH), palette().window());
        p.setPen(palette().mid().color());
        p.drawLine(0, lane.bottom(), width(), lane.bottom());
        p.setPen(palette().text().color());
        p.drawText(QRect(8, lane.top(), kHeaderW - 12, kLaneH), Qt::AlignVCenter, QString::fromStdString(m_doc.tracks[i].name));
    }
    for (const auto& c : m_doc.clips) {
        if (m_dragNow && c.uuid == m_dragNow->uuid) continue;
        paintClip(p, c, clipRect(QString::fromStdString(c.uuid)), QString::fromStdString(c.uuid) == m_selected);
    }
    if (m_dragNow) {
        for (size_t i = 0; i < m_doc.tracks.size(); ++i) {
            if (m_doc.tracks[i].uuid != m_dragNow->track_uuid) continue;
            const QRect lane = laneRect(int(i));
            const int x0 = xForMs(m_dragNow->start_ms), x1 = xForMs(m_dragNow->start_ms + m_dragNow->duration_ms);
            paintClip(p, *m_dragNow, QRect(x0, lane.top() + 4, std::max(4, x1 - x0), lane.height() - 8), true);
        }
    }
    const int px = xForMs(m_playheadMs);
    p.setPen(QPen(QColor(0xe5, 0x48, 0x4d), 2));
    p.drawLine(px, 0, px, height());
}

ClipRow TimelineView::draggedRow(const QPoint& pos) const {
    using namespace atelier::pipelines;
    const qint64 thresholdMs = qint64(kSnapPx * 1000.0 / m_pps);
    const auto points = snap_points(m_doc, m_dragBefore.uuid, m_playheadMs);
    const qint64 deltaMs = qint64(std::llround(double(pos.x() - m_pressPos.x()) * 1000.0 / m_pps));
    ClipRow r = m_dragBefore;
    if (m_drag == Drag::Move) {
        const qint64 start = std::max<qint64>(0, r.start_ms + deltaMs);
        const qint64 snappedStart = snap_ms(start, points, thresholdMs);
        const qint64 snappedEnd = snap_ms(start + r.duration_ms, points, thresholdMs);
        r.start_ms = snappedStart != start ? snappedStart
                     : snappedEnd != start + r.duration_ms ? std::max<qint64>(0, snappedEnd - r.duration_ms) : start;
        const int t = trackAt(pos.y());
        if (t >= 0 && trackKind(QString::fromStdString(m_doc.tracks[size_t(t)].uuid)) == trackKind(QString::fromStdString(r.track_uuid)))
            r.track_uuid = m_doc.tracks[size_t(t)].uuid;
    } else if (m_drag == Drag::TrimLeft) {
        const qint64 s = snap_ms(r.start_ms + deltaMs, points, thresholdMs);
        r = trim_left(r, s, !r.asset_uuid.empty() && sourceDuration(r).has_value(), sourceDuration(r));
    } else if (m_drag == Drag::TrimRight) {
        const qint64 e = snap_ms(r.start_ms + r.duration_ms + deltaMs, points, thresholdMs);
        r = trim_right(r, e, sourceDuration(r));
    }
    return r;
}

void TimelineView::mousePressEvent(QMouseEvent* e) {
    setFocus(Qt::MouseFocusReason);
    if (e->button() != Qt::LeftButton) return;
    const QPoint pos = e->position().toPoint();
    if (pos.y() < kRulerH) {
        m_drag = Drag::Playhead;
        setPlayheadMs(msForX(pos.x()));
        return;
    }
    for (auto it = m_doc.clips.rbegin(); it != m_doc.clips.rend(); ++it) {
        const QString uuid = QString::fromStdString(it->uuid);
        const QRect r = clipRect(uuid);
        if (!r.contains(pos)) continue;
        selectClip(uuid);
        m_dragBefore = *it;
        m_pressPos = pos;
        m_drag = pos.x() <= r.left() + kEdgePx ? Drag::TrimLeft : pos.x() >= r.right() - kEdgePx ? Drag::TrimRight : Drag::Move;
        return;
    }
    selectClip(QString());
}

void TimelineView::mouseMoveEvent(QMouseEvent* e) {
    const QPoint pos = e->position().toPoint();
    if (m_drag == Drag::Playhead) {
        setPlayheadMs(msForX(pos.x()));
    } else if (m_drag != Drag::None) {
        m_dragNow = draggedRow(pos);
        update();
    } else {
        bool edge = false;
        for (const auto& c : m_doc.clips) {
            const QRect r = clipRect(QString::fromStdString(c.uuid));
            if (r.contains(pos) && (pos.x() <= r.left() + kEdgePx || pos.x() >= r.right() - kEdgePx)) edge = true;
        }
        setCursor(edge ? Qt::SizeHorCursor : Qt::ArrowCursor);
    }
}

void TimelineView::mouseReleaseEvent(QMouseEvent* e) {
    if (m_drag == Drag::None || m_drag == Drag::Playhead) {
        m_drag = Drag::None;
        return;
    }
    const ClipRow after = draggedRow(e->position().toPoint());
    const Drag drag = std::exchange(m_drag, Drag::None);
    m_dragNow.reset();
    update();
    if (after.start_ms == m_dragBefore.start_ms && after.duration_ms == m_dragBefore.duration_ms &&
        after.track_uuid == m_dragBefore.track_uuid)
        return;
    emit clipEdited(m_dragBefore, after, drag == Drag::Move ? tr("Move clip") : tr("Trim clip"));
}

void TimelineView::wheelEvent(QWheelEvent* e) {
    if (!(e->modifiers() & Qt::ControlModifier)) return QWidget::wheelEvent(e);
    if (e->angleDelta().y() > 0) zoomIn();
    else if (e->angleDelta().y() < 0) zoomOut();
    e->accept();
}

void TimelineView::keyPressEvent(QKeyEvent* e) {
    switch (e->key()) {
    case Qt::Key_Plus:
    case Qt::Key_Equal: zoomIn(); return;
    case Qt::Key_Minus: zoomOut(); return;
    case Qt::Key_Delete: emit deleteRequested(); return;
    default: QWidget::keyPressEvent(e);
    }
}

void TimelineView::dragEnterEvent(QDragEnterEvent* e) {
    if (!droppedUuids(e->mimeData()).isEmpty()) e->acceptProposedAction();
}

void TimelineView::dragMoveEvent(QDragMoveEvent* e) {
    if (!droppedUuids(e->mimeData()).isEmpty()) e->acceptProposedAction();
}

void TimelineView::dropEvent(QDropEvent* e) {
    const QStringList uuids = droppedUuids(e->mimeData());
    if (uuids.isEmpty()) return;
    const QPoint pos = e->position().toPoint();
    const int t = trackAt(pos.y());
    const QString track = t >= 0 ? QString::fromStdString(m_doc.tracks[size_t(t)].uuid) : QString();
    const qint64 thresholdMs = qint64(kSnapPx * 1000.0 / m_pps);
    const qint64 at = atelier::pipelines::snap_ms(msForX(pos.x()), atelier::pipelines::snap_points(m_doc, {}, m_playheadMs), thresholdMs);
    e->acceptProposedAction();
    emit assetsDropped(uuids, track, at);
}

}  // namespace gui
