// JobDelegate: paints one job row (state dot, title, state/ETA, a progress bar and stage, or the
// error) with one action button on the right: Cancel for queued/running jobs, Rerun for
// interrupted/failed/cancelled ones. Clicks on the button are reported as signals; the row's
// geometry helpers are public so tests click exactly where a user would.
// Thread-safety: GUI thread only.
#pragma once

#include <QStyledItemDelegate>

namespace gui {

class JobDelegate : public QStyledItemDelegate {
    Q_OBJECT
public:
    explicit JobDelegate(QObject* parent = nullptr);

    static int rowHeight();
    static QRect buttonRect(const QRect& itemRect);

    void paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const override;
    QSize sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const override;
    bool editorEvent(QEvent* event, QAbstractItemModel* model, const QStyleOptionViewItem& option,
                     const QModelIndex& index) override;

signals:
    void cancelClicked(const QModelIndex& index);
    void rerunClicked(const QModelIndex& index);

private:
    void paintButton(QPainter* p, const QStyleOptionViewItem& option, const QModelIndex& index) const;
};

}  // namespace gui
