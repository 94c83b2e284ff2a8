// AssetDelegate: paints one gallery card (thumbnail or waveform, name, caption, video badge) at a
// fixed size, so the view can use uniform item sizes; places the rename editor on the name line.
// Thread-safety: GUI thread only.
#pragma once

#include <QStyledItemDelegate>

namespace gui {

class AssetDelegate : public QStyledItemDelegate {
    Q_OBJECT
public:
    explicit AssetDelegate(QObject* parent = nullptr);

    static QSize cardSize();      // logical pixels, including the gap around the card
    static int thumbnailSide();   // logical pixels of the thumbnail box

    void paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const override;
    QSize sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const override;
    void updateEditorGeometry(QWidget* editor, const QStyleOptionViewItem& option,
                              const QModelIndex& index) const override;

private:
    void paintPlaceholder(QPainter* p, const QRect& box, int kind, bool pending) const;
};

}  // namespace gui
