// AssetDelegate implementation. Card geometry: kGap margin, a square thumbnail box, then two text
// lines (name, caption). All sizes are logical pixels.
#include "gui/gallery/asset-delegate.h"

#include <QApplication>
#include <QPainter>
#include <QPainterPath>

#include "gui/app/resources.h"
#include "gui/app/theme.h"
#include "gui/models/asset-list-model.h"
#include "projects/project.h"

namespace gui {

namespace {
constexpr int kGap = 5;        // space between cards (half on each side)
constexpr int kPad = 6;        // inside the card
constexpr int kThumb = 124;    // thumbnail box side
constexpr int kTextH = 38;     // two text lines
constexpr int kRadius = 8;

QString kindIcon(int kind) {
    switch (static_cast<atelier::projects::AssetKind>(kind)) {
        case atelier::projects::AssetKind::Audio: return QStringLiteral("audio");
        case atelier::projects::AssetKind::Video: return QStringLiteral("video");
        default: return QStringLiteral("image");
    }
}
}  // namespace

AssetDelegate::AssetDelegate(QObject* parent) : QStyledItemDelegate(parent) {}

QSize AssetDelegate::cardSize() { return {kThumb + 2 * kPad + 2 * kGap, kThumb + kTextH + 2 * kPad + 2 * kGap}; }
int AssetDelegate::thumbnailSide() { return kThumb; }

QSize AssetDelegate::sizeHint(const QStyleOptionViewItem&, const QModelIndex&) const { return cardSize(); }

void AssetDelegate::paintPlaceholder(QPainter* p, const QRect& box, int kind, bool pending) const {
    QColor bg = cardColor().darker(currentTheme() == Theme::Light ? 104 : 115);
    p->setPen(Qt::NoPen);
    p->setBrush(bg);
    p->drawRoundedRect(box, kRadius - 2, kRadius - 2);
    QColor ic = mutedTextColor();
    ic.setAlphaF(pending ? 0.35f : 0.7f);
    const int side = 36;
    const QRect r(box.center().x() - side / 2, box.center().y() - side / 2, side, side);
    p->drawPixmap(r, themedPixmap(kindIcon(kind), ic, side, p->device()->devicePixelRatioF()));
}

void AssetDelegate::paint(QPainter* p, const QStyleOptionViewItem& option, const QModelIndex& index) const {
    p->save();
    p->setRenderHint(QPainter::Antialiasing);
    const QRect card = option.rect.adjusted(kGap, kGap, -kGap, -kGap);
    const bool selected = option.state & QStyle::State_Selected;
    const bool hover = option.state & QStyle::State_MouseOver;
    const QColor accent = accentColor();

    QColor bg = cardColor();
    if (hover && !selected) bg = bg.lighter(currentTheme() == Theme::Light ? 97 : 112);
    if (selected) {
        QColor sel = accent;
        sel.setAlphaF(0.18f);
        p->setBrush(bg);
        p->setPen(Qt::NoPen);
        p->drawRoundedRect(card, kRadius, kRadius);
        bg = sel;
    }
    p->setBrush(bg);
    p->setPen(selected ? QPen(accent, 1.5) : QPen(Qt::NoPen));
    p->drawRoundedRect(QRectF(card).adjusted(0.75, 0.75, -0.75, -0.75), kRadius, kRadius);

    const QRect box(card.left() + kPad, card.top() + kPad, kThumb, kThumb);
    const QPixmap pm = index.data(AssetListModel::ThumbnailRole).value<QPixmap>();
    const int kind = index.data(AssetListModel::KindRole).toInt();
    if (pm.isNull()) {
        paintPlaceholder(p, box, kind, index.data(AssetListModel::ThumbnailPendingRole).toBool());
    } else {
        const QSizeF logical = QSizeF(pm.size()) / pm.devicePixelRatio();
        QSizeF fit = logical.scaled(QSizeF(box.size()), Qt::KeepAspectRatio);
        if (logical.width() <= box.width() && logical.height() <= box.height()) fit = logical;
        const QRectF target(box.left() + (box.width() - fit.width()) / 2, box.top() + (box.height() - fit.height()) / 2,
                            fit.width(), fit.height());
        p->setRenderHint(QPainter::SmoothPixmapTransform);
        if (kind == int(atelier::projects::AssetKind::Audio)) {  // waveform on a soft panel
            p->setPen(Qt::NoPen);
            p->setBrush(cardColor().darker(currentTheme() == Theme::Light ? 104 : 115));
            p->drawRoundedRect(box, kRadius - 2, kRadius - 2);
            p->drawPixmap(target, pm, QRectF(pm.rect()));
        } else {
            QPainterPath clip;
            clip.addRoundedRect(target, 4, 4);
            p->setClipPath(clip);
            p->drawPixmap(target, pm, QRectF(pm.rect()));
            p->setClipping(false);
        }
    }
    if (kind == int(atelier::projects::AssetKind::Video)) {  // duration badge
        const QString d = formatDuration(index.data(AssetListModel::DurationRole).toLongLong());
        QFont f = option.font;
        f.setPointSizeF(f.pointSizeF() * 0.8);
        p->setFont(f);
        const int w = QFontMetrics(f).horizontalAdvance(d) + 12;
        const QRect badge(box.left() + 4, box.bottom() - 20, w, 16);
        p->setPen(Qt::NoPen);
        p->setBrush(QColor(0, 0, 0, 160));
        p->drawRoundedRect(badge, 4, 4);
        p->setPen(Qt::white);
        p->drawText(badge, Qt::AlignCenter, d);
    }

    QFont nameFont = option.font;
    nameFont.setWeight(QFont::Medium);
    const QRect nameRect(card.left() + kPad, box.bottom() + 6, card.width() - 2 * kPad, 17);
    p->setFont(nameFont);
    p->setPen(option.palette.color(QPalette::Text));
    const QString name = index.data(Qt::DisplayRole).toString();
    p->drawText(nameRect, Qt::AlignLeft | Qt::AlignVCenter, QFontMetrics(nameFont).elidedText(name, Qt::ElideMiddle, nameRect.width()));
    QFont capFont = option.font;
    capFont.setPointSizeF(capFont.pointSizeF() * 0.85);
    p->setFont(capFont);
    p->setPen(mutedTextColor());
    const QRect capRect(nameRect.left(), nameRect.bottom() + 1, nameRect.width(), 15);
    p->drawText(capRect, Qt::AlignLeft | Qt::AlignVCenter,
                QFontMetrics(capFont).elidedText(index.data(AssetListModel::CaptionRole).toString(), Qt::ElideRight,
                                                 capRect.width()));
    p->restore();
}

void AssetDelegate::updateEditorGeometry(QWidget* editor, const QStyleOptionViewItem& option, const QModelIndex&) const {
    const QRect card = option.rect.adjusted(kGap, kGap, -kGap, -kGap);
    editor->setGeometry(card.left() + kPad - 2, card.top() + kPad + kThumb + 3, card.width() - 2 * kPad + 4, 22);
}

}  // namespace gui
