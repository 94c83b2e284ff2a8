// TimelineWorkspace implementation. Invariant: the view shows the project's timeline as of the
// last reload(); edits go to the UndoStack first and the view follows via historyChanged.
// Thread-safety: GUI thread only.
#include "gui/timeline/timeline-workspace.h"

#include <QAction>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QLabel>
#include <QLineEdit>
#include <QScrollArea>
#include <QSplitter>
#include <QToolBar>
#include <QVBoxLayout>

#include "gui/app/error-text.h"
#include "gui/session/project-session.h"
#include "gui/timeline/timeline-preview.h"
#include "pipelines/timeline-edit.h"
#include "pipelines/timeline.h"

namespace gui {

using atelier::projects::AssetKind;
using atelier::projects::ClipRow;
using atelier::projects::TrackKind;
namespace pl = atelier::pipelines;

namespace {
constexpr qint64 kImageDurationMs = 5000;

QDoubleSpinBox* secondsBox(double max, const QString& suffix = QStringLiteral(" s")) {
    auto* b = new QDoubleSpinBox;
    b->setRange(0, max);
    b->setDecimals(2);
    b->setSingleStep(0.1);
    b->setSuffix(suffix);
    b->setKeyboardTracking(false);
    return b;
}
}  // namespace

TimelineWorkspace::TimelineWorkspace(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("timelineWorkspace"));
    m_view = new TimelineView;
    m_scroll = new QScrollArea;
    m_scroll->setWidget(m_view);
    m_scroll->setWidgetResizable(true);
    m_scroll->setObjectName(QStringLiteral("timelineScroll"));
    m_preview = new TimelinePreview(this);
    buildActions();

    auto* bar = new QToolBar;
    bar->setObjectName(QStringLiteral("timelineToolbar"));
    bar->addActions({m_actions.addSubtitle, m_actions.deleteClip});
    bar->addSeparator();
    bar->addActions({m_actions.zoomOut, m_actions.zoomIn});
    bar->addSeparator();
    bar->addAction(m_actions.exportTimeline);

    m_previewLabel = new QLabel;
    m_previewLabel->setObjectName(QStringLiteral("timelinePreview"));
    m_previewLabel->setAlignment(Qt::AlignCenter);
    m_previewLabel->setMinimumSize(256, 144);
    m_previewLabel->setStyleSheet(QStringLiteral("background: black;"));
    m_timeLabel = new QLabel;
    auto* side = new QWidget;
    auto* sideLayout = new QVBoxLayout(side);
    sideLayout->addWidget(m_previewLabel);
    sideLayout->addWidget(m_timeLabel);
    sideLayout->addWidget(buildInspector());
    sideLayout->addStretch();

    auto* split = new QSplitter(Qt::Horizontal);
    split->addWidget(m_scroll);
    auto* sideScroll = new QScrollArea;  // the inspector never sets the window's minimum height
    sideScroll->setWidget(side);
    sideScroll->setWidgetResizable(true);
    sideScroll->setFrameShape(QFrame::NoFrame);
    split->addWidget(sideScroll);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 1);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(bar);
    layout->addWidget(split, 1);

    connect(m_view, &TimelineView::clipEdited, this, &TimelineWorkspace::onClipEdited);
    connect(m_view, &TimelineView::assetsDropped, this, [this](const QStringList& u, const QString& t, qint64 ms) { addAssets(u, t, ms); });
    connect(m_view, &TimelineView::selectionChanged, this, &TimelineWorkspace::showSelection);
    connect(m_view, &TimelineView::deleteRequested, this, &TimelineWorkspace::onDelete);
    connect(m_view, &TimelineView::playheadMoved, this, &TimelineWorkspace::requestPreview);
    connect(m_preview, &TimelinePreview::frameReady, this, [this](const QImage& img, qint64) {
        m_previewLabel->setPixmap(QPixmap::fromImage(img).scaled(m_previewLabel->size(), Qt::KeepAspectRatio, Qt::SmoothTransformation));
    });
    connect(m_preview, &TimelinePreview::renderFailed, this, [this](const QString& msg) { emit statusMessage(msg, 6000); });
    setSession(nullptr);
}

TimelineWorkspace::~TimelineWorkspace() = default;

void TimelineWorkspace::buildActions() {
    auto make = [this](const QString& text, const char* name, const QKeySequence& key) {
        auto* a = new QAction(text, this);
        a->setObjectName(QString::fromLatin1(name));
        if (!key.isEmpty()) a->setShortcut(key);
        a->setShortcutContext(Qt::WidgetWithChildrenShortcut);
        addAction(a);
        return a;
    };
    m_actions.addSubtitle = make(tr("Add &Subtitle"), "actionAddSubtitle", QKeySequence(QStringLiteral("Ctrl+T")));
    m_actions.deleteClip = make(tr("&Delete Clip"), "actionDeleteClip", QKeySequence(Qt::Key_Delete));
    m_actions.zoomIn = make(tr("Zoom Timeline &In"), "actionTimelineZoomIn", QKeySequence(Qt::Key_Plus));
    m_actions.zoomOut = make(tr("Zoom Timeline &Out"), "actionTimelineZoomOut", QKeySequence(Qt::Key_Minus));
    m_actions.exportTimeline = make(tr("&Export…"), "actionExport", QKeySequence(QStringLiteral("Ctrl+E")));
    m_actions.exportTimeline->setShortcutContext(Qt::WindowShortcut);
    connect(m_actions.addSubtitle, &QAction::triggered, this, [this] { addSubtitle(m_view->playheadMs(), 2000, tr("Subtitle")); });
    connect(m_actions.deleteClip, &QAction::triggered, this, &TimelineWorkspace::onDelete);
    connect(m_actions.zoomIn, &QAction::triggered, m_view, &TimelineView::zoomIn);
    connect(m_actions.zoomOut, &QAction::triggered, m_view, &TimelineView::zoomOut);
    connect(m_actions.exportTimeline, &QAction::triggered, this, &TimelineWorkspace::exportRequested);
}

QWidget* TimelineWorkspace::buildInspector() {
    m_inspector = new QGroupBox(tr("Clip"));
    m_inspector->setObjectName(QStringLiteral("timelineInspector"));
    auto* form = new QFormLayout(m_inspector);
    m_start = secondsBox(36000);
    m_start->setObjectName(QStringLiteral("clipStart"));
    m_duration = secondsBox(36000);
    m_duration->setObjectName(QStringLiteral("clipDuration"));
    m_duration->setMinimum(0.1);
    m_in = secondsBox(36000);
    m_in->setObjectName(QStringLiteral("clipIn"));
    m_gain = secondsBox(24, QStringLiteral(" dB"));
    m_gain->setObjectName(QStringLiteral("clipGain"));
    m_gain->setMinimum(-60);
    m_fadeIn = secondsBox(600);
    m_fadeIn->setObjectName(QStringLiteral("clipFadeIn"));
    m_fadeOut = secondsBox(600);
    m_fadeOut->setObjectName(QStringLiteral("clipFadeOut"));
    m_text = new QLineEdit;
    m_text->setObjectName(QStringLiteral("subtitleText"));
    form->addRow(tr("Start"), m_start);
    form->addRow(tr("Duration"), m_duration);
    form->addRow(tr("In point"), m_in);
    form->addRow(tr("Gain"), m_gain);
    form->addRow(tr("Fade in"), m_fadeIn);
    form->addRow(tr("Fade out"), m_fadeOut);
    form->addRow(tr("Text"), m_text);
    for (QDoubleSpinBox* b : {m_start, m_duration, m_in, m_gain, m_fadeIn, m_fadeOut})
        connect(b, &QDoubleSpinBox::editingFinished, this, &TimelineWorkspace::onInspectorEdited);
    connect(m_text, &QLineEdit::editingFinished, this, &TimelineWorkspace::onInspectorEdited);
    return m_inspector;
}

void TimelineWorkspace::setSession(ProjectSession* session) {
    if (m_session) disconnect(m_session, nullptr, this, nullptr);
    m_session = session;
    if (session) {
        connect(session, &ProjectSession::historyChanged, this, &TimelineWorkspace::reload);
        if (auto doc = pl::ensure_timeline(session->project()); !doc)
            emit statusMessage(userMessage(doc.error()), 8000);
    }
    for (QAction* a : {m_actions.addSubtitle, m_actions.deleteClip, m_actions.exportTimeline}) a->setEnabled(session != nullptr);
    reload();
}

QString TimelineWorkspace::timelineUuid() const { return QString::fromStdString(m_view->document().timeline.uuid); }

void TimelineWorkspace::reload() {
    if (!m_session) {
        m_view->setDocument({}, {});
        showSelection();
        m_previewLabel->clear();
        return;
    }
    auto& project = m_session->project();
    auto doc = pl::ensure_timeline(project);
    if (!doc) {
        emit statusMessage(userMessage(doc.error()), 8000);
        return;
    }
    QHash<QString, TimelineAssetInfo> assets;
    if (auto list = project.list_assets()) {
        for (const auto& a : *list)
            assets.insert(QString::fromStdString(a.uuid), {a.kind, QString::fromStdString(a.name), a.duration_ms});
    }
    m_view->setDocument(*doc, assets);
    showSelection();
    requestPreview();
}

void TimelineWorkspace::requestPreview() {
    const qint64 ms = m_view->playheadMs();
    m_timeLabel->setText(tr("Playhead %1 s").arg(double(ms) / 1000.0, 0, 'f', 2));
    if (!m_session || timelineUuid().isEmpty()) return;
    auto tl = pl::snapshot_timeline(m_session->project(), timelineUuid().toStdString());
    if (!tl) {
        emit statusMessage(userMessage(tl.error()), 6000);
        return;
    }
    m_preview->request(std::move(*tl), ms);
}

bool TimelineWorkspace::push(std::unique_ptr<atelier::projects::Command> cmd) {
    if (!m_session) return false;
    const auto st = m_session->studio().undo().push(std::move(cmd));
    if (!st) emit statusMessage(userMessage(st.error()), 8000);
    emit m_session->historyChanged();  // the main window's Undo text and this view follow
    return st.ok();
}

QString TimelineWorkspace::trackFor(AssetKind kind, const QString& dropped) const {
    const TrackKind want = kind == AssetKind::Audio ? TrackKind::Audio
                           : (kind == AssetKind::Image || kind == AssetKind::Video) ? TrackKind::Video
                                                                                     : TrackKind::Invalid;
    if (want == TrackKind::Invalid) return {};
    for (const auto& t : m_view->document().tracks)
        if (QString::fromStdString(t.uuid) == dropped && t.kind == want) return dropped;
    for (const auto& t : m_view->document().tracks)
        if (t.kind == want) return QString::fromStdString(t.uuid);
    return {};
}

bool TimelineWorkspace::addAssets(const QStringList& assetUuids, const QString& trackUuid, qint64 startMs) {
    if (!m_session) return false;
    auto& undo = m_session->studio().undo();
    undo.begin_interaction(assetUuids.size() == 1 ? "Add clip" : "Add clips");
    int added = 0;
    qint64 at = startMs;
    for (const QString& u : assetUuids) {
        auto asset = m_session->project().get_asset(u.toStdString());
        if (!asset) continue;
        const QString track = trackFor(asset->kind, trackUuid);
        if (track.isEmpty()) continue;
        ClipRow row;
        row.track_uuid = track.toStdString();
        row.asset_uuid = asset->uuid;
        row.start_ms = at;
        row.duration_ms = asset->kind == AssetKind::Image ? kImageDurationMs : std::max<int64_t>(asset->duration_ms, 100);
        if (!push(std::make_unique<pl::AddClipCommand>(row))) break;
        at += row.duration_ms;
        ++added;
    }
    undo.end_interaction();
    emit m_session->historyChanged();
    if (added == 0) emit statusMessage(tr("Only pictures, video and audio can go on the timeline."), 5000);
    return added > 0;
}

bool TimelineWorkspace::addSubtitle(qint64 startMs, qint64 durationMs, const QString& text) {
    for (const auto& t : m_view->document().tracks) {
        if (t.kind != TrackKind::Subtitle) continue;
        ClipRow row;
        row.track_uuid = t.uuid;
        row.start_ms = startMs;
        row.duration_ms = durationMs;
        row.text = text.toStdString();
        auto cmd = std::make_unique<pl::AddClipCommand>(row, "Add subtitle");
        const QString uuid = QString::fromStdString(cmd->clip().uuid);
        if (!push(std::move(cmd))) return false;
        m_view->selectClip(uuid);
        return true;
    }
    emit statusMessage(tr("This timeline has no subtitle track."), 5000);
    return false;
}

void TimelineWorkspace::onClipEdited(const ClipRow& before, const ClipRow& after, const QString& label) {
    push(std::make_unique<pl::UpdateClipCommand>(before, after, label.toStdString()));
}

void TimelineWorkspace::onDelete() {
    const ClipRow* c = m_view->clip(m_view->selectedClip());
    if (c) push(std::make_unique<pl::RemoveClipCommand>(*c));
}

// Fills the inspector from the selected clip; fields that do not apply to its kind are disabled.
void TimelineWorkspace::showSelection() {
    const ClipRow* c = m_view->clip(m_view->selectedClip());
    m_filling = true;
    m_inspector->setEnabled(c != nullptr);
    const bool subtitle = c && c->asset_uuid.empty();
    AssetKind kind = AssetKind::Invalid;
    if (c && m_session && !subtitle) {
        if (auto a = m_session->project().get_asset(c->asset_uuid)) kind = a->kind;
    }
    const bool sound = kind == AssetKind::Audio || kind == AssetKind::Video;
    auto params = c ? pl::parse_clip_params(c->params_json) : atelier::Result<pl::ClipParams>(pl::ClipParams{});
    const pl::ClipParams p = params ? *params : pl::ClipParams{};
    m_start->setValue(c ? double(c->start_ms) / 1000.0 : 0.0);
    m_duration->setValue(c ? double(c->duration_ms) / 1000.0 : 0.0);
    m_in->setValue(c ? double(c->source_in_ms) / 1000.0 : 0.0);
    m_in->setEnabled(sound);
    m_gain->setValue(p.gain_db);
    m_fadeIn->setValue(double(p.fade_in_ms) / 1000.0);
    m_fadeOut->setValue(double(p.fade_out_ms) / 1000.0);
    for (QDoubleSpinBox* b : {m_gain, m_fadeIn, m_fadeOut}) b->setEnabled(sound);
    m_text->setText(subtitle ? QString::fromStdString(c->text) : QString());
    m_text->setEnabled(subtitle);
    m_filling = false;
}

void TimelineWorkspace::onInspectorEdited() {
    const ClipRow* c = m_view->clip(m_view->selectedClip());
    if (m_filling || !c) return;
    ClipRow after = *c;
    after.start_ms = std::llround(m_start->value() * 1000.0);
    after.duration_ms = std::max<int64_t>(1, std::llround(m_duration->value() * 1000.0));
    after.source_in_ms = m_in->isEnabled() ? std::llround(m_in->value() * 1000.0) : c->source_in_ms;
    QString label = tr("Edit clip times");
    if (c->asset_uuid.empty()) {
        const QString text = m_text->text().trimmed();
        if (text.isEmpty()) return showSelection();  // a subtitle item needs text
        after.text = text.toStdString();
        if (after.text != c->text) label = QStringLiteral("Edit subtitle text");
    } else if (m_gain->isEnabled()) {
        auto params = pl::parse_clip_params(c->params_json);
        pl::ClipParams p = params ? *params : pl::ClipParams{};
        p.gain_db = m_gain->value();
        p.fade_in_ms = std::llround(m_fadeIn->value() * 1000.0);
        p.fade_out_ms = std::llround(m_fadeOut->value() * 1000.0);
        after.params_json = pl::clip_params_json(p);
        if (after.params_json != c->params_json) label = tr("Edit clip sound");
    }
    if (after.start_ms == c->start_ms && after.duration_ms == c->duration_ms && after.source_in_ms == c->source_in_ms &&
        after.text == c->text && after.params_json == c->params_json)
        return;
    push(std::make_unique<pl::UpdateClipCommand>(*c, after, label.toStdString()));
}

}  // namespace gui
