// JobDelegate implementation. Layout (logical px): 12 left margin, 8 px state dot, text block,
// 28 px button with 10 px right margin. Line 1: title + state/ETA; line 2: bar + stage or error.
#include "gui/jobs/job-delegate.h"

#include <QAbstractItemView>
#include <QMouseEvent>
#include <QPainter>

#include "core/job.h"
#include "gui/app/resources.h"
#include "gui/app/theme.h"
#include "gui/jobs/job-list-model.h"

namespace gui {

namespace {
constexpr int kRowH = 54, kBtn = 28, kRight = 10, kLeft = 12;
}

JobDelegate::JobDelegate(QObject* parent) : QStyledItemDelegate(parent) {}

int JobDelegate::rowHeight() { return kRowH; }

QRect JobDelegate::buttonRect(const QRect& r) {
    return {r.right() - kRight - kBtn + 1, r.top() + (r.height() - kBtn) / 2, kBtn, kBtn};
}

QSize JobDelegate::sizeHint(const QStyleOptionViewItem& option, const QModelIndex&) const {
    return {option.rect.width() > 0 ? option.rect.width() : 400, kRowH};
}

void JobDelegate::paintButton(QPainter* p, const QStyleOptionViewItem& option, const QModelIndex& index) const {
    const bool cancel = index.data(JobListModel::CanCancelRole).toBool();
    const bool rerun = index.data(JobListModel::CanRerunRole).toBool();
    if (!cancel && !rerun) return;
    const QRect b = buttonRect(option.rect);
    QColor bg = option.palette.color(QPalette::Button);
    if (option.state & QStyle::State_MouseOver) bg = bg.lighter(currentTheme() == Theme::Light ? 96 : 125);
    p->setPen(QPen(option.palette.color(QPalette::Mid), 1));
    p->setBrush(bg);
    p->drawRoundedRect(QRectF(b).adjusted(0.5, 0.5, -0.5, -0.5), 6, 6);
    const QColor ic = rerun ? accentColor() : option.palette.color(QPalette::ButtonText);
    const int s = 16;
    const QRect ir(b.center().x() - s / 2 + 1, b.center().y() - s / 2 + 1, s, s);
    p->drawPixmap(ir, themedPixmap(rerun ? QStringLiteral("rerun") : QStringLiteral("cancel"), ic, s,
                                   p->device()->devicePixelRatioF()));
}

void JobDelegate::paint(QPainter* p, const QStyleOptionViewItem& option, const QModelIndex& index) const {
    p->save();
    p->setRenderHint(QPainter::Antialiasing);
    const QRect r = option.rect;
    if (option.state & QStyle::State_Selected) {
        QColor sel = accentColor();
        sel.setAlphaF(0.14f);
        p->fillRect(r, sel);
    } else if (option.state & QStyle::State_MouseOver) {
        p->fillRect(r, option.palette.color(QPalette::AlternateBase));
    }
    p->setPen(QPen(option.palette.color(QPalette::AlternateBase), 1));
    p->drawLine(r.bottomLeft(), r.bottomRight());

    const int state = index.data(JobListModel::StateRole).toInt();
    const QColor sc = stateColor(state);
    p->setPen(Qt::NoPen);
    p->setBrush(sc);
    p->drawEllipse(QRectF(r.left() + kLeft, r.top() + 15, 8, 8));

    const int textLeft = r.left() + kLeft + 18;
    const int textRight = buttonRect(r).left() - 12;
    QFont titleFont = option.font;
    titleFont.setWeight(QFont::Medium);
    QString right = index.data(JobListModel::StateTextRole).toString();
    const QString eta = index.data(JobListModel::EtaTextRole).toString();
    if (!eta.isEmpty()) right = eta;
    QFont small = option.font;
    small.setPointSizeF(small.pointSizeF() * 0.88);
    const int rightW = QFontMetrics(small).horizontalAdvance(right) + 4;
    const QRect line1(textLeft, r.top() + 8, textRight - textLeft, 20);
    p->setFont(small);
    p->setPen(state == int(atelier::JobState::Running) ? mutedTextColor() : sc);
    p->drawText(line1, Qt::AlignRight | Qt::AlignVCenter, right);
    p->setFont(titleFont);
    p->setPen(option.palette.color(QPalette::Text));
    p->drawText(line1.adjusted(0, 0, -rightW - 8, 0), Qt::AlignLeft | Qt::AlignVCenter,
                QFontMetrics(titleFont).elidedText(index.data(Qt::DisplayRole).toString(), Qt::ElideRight,
                                                   line1.width() - rightW - 8));

    const QRect line2(textLeft, r.top() + 30, textRight - textLeft, 16);
    const QString error = index.data(JobListModel::ErrorRole).toString();
    p->setFont(small);
    if (!error.isEmpty()) {
        p->setPen(stateColor(int(atelier::JobState::Failed)));
        p->drawText(line2, Qt::AlignLeft | Qt::AlignVCenter,
                    QFontMetrics(small).elidedText(error, Qt::ElideRight, line2.width()));
    } else {
        const double fraction = index.data(JobListModel::FractionRole).toDouble();
        const bool showStage = state != int(atelier::JobState::Done) && state != int(atelier::JobState::Cancelled);
        const QString stage = showStage ? index.data(JobListModel::StageTextRole).toString() : QString();
        const int stageW = stage.isEmpty() ? 0 : std::min(line2.width() / 2, QFontMetrics(small).horizontalAdvance(stage) + 12);
        const QRectF bar(line2.left(), line2.center().y() - 2.5, line2.width() - stageW, 5);
        p->setPen(Qt::NoPen);
        p->setBrush(option.palette.color(QPalette::AlternateBase).darker(currentTheme() == Theme::Light ? 106 : 90));
        p->drawRoundedRect(bar, 2.5, 2.5);
        const bool running = state == int(atelier::JobState::Running) || state == int(atelier::JobState::Cancelling);
        double shown = fraction;
        if (state == int(atelier::JobState::Done)) shown = 1.0;
        if (fraction < 0 && running) shown = 0.15;  // indeterminate: a short stub
        if (shown > 0) {
            p->setBrush(state == int(atelier::JobState::Done) ? stateColor(state) : (running ? accentColor() : sc));
            p->drawRoundedRect(QRectF(bar.left(), bar.top(), std::max(5.0, bar.width() * std::min(1.0, shown)), bar.height()),
                               2.5, 2.5);
        }
        if (!stage.isEmpty()) {
            p->setPen(mutedTextColor());
            p->drawText(QRect(int(bar.right()) + 8, line2.top(), stageW - 8, line2.height()), Qt::AlignLeft | Qt::AlignVCenter,
                        QFontMetrics(small).elidedText(stage, Qt::ElideRight, stageW - 8));
        }
    }
    paintButton(p, option, index);
    p->restore();
}

bool JobDelegate::editorEvent(QEvent* event, QAbstractItemModel* model, const QStyleOptionViewItem& option,
                              const QModelIndex& index) {
    const auto t = event->type();
    if (t == QEvent::MouseButtonPress || t == QEvent::MouseButtonRelease || t == QEvent::MouseButtonDblClick) {
        auto* me = static_cast<QMouseEvent*>(event);
        const bool hasButton =
            index.data(JobListModel::CanCancelRole).toBool() || index.data(JobListModel::CanRerunRole).toBool();
        if (hasButton && me->button() == Qt::LeftButton && buttonRect(option.rect).contains(me->position().toPoint())) {
            if (t == QEvent::MouseButtonRelease) {
                if (index.data(JobListModel::CanCancelRole).toBool())
                    emit cancelClicked(index);
                else if (index.data(JobListModel::CanRerunRole).toBool())
                    emit rerunClicked(index);
            }
            return true;  // the button swallows the click (no selection change)
        }
    }
    return QStyledItemDelegate::editorEvent(event, model, option, index);
}

}  // namespace gui
