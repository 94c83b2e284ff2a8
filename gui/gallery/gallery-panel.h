// GalleryPanel: the asset gallery (left dock): a search box, kind filter buttons
// (All / Images / Audio / Video) and an icon-mode QListView over AssetListModel, with an empty
// state that explains how to add assets. Thread-safety: GUI thread only.
#pragma once

#include <QWidget>

class QAction;
class QButtonGroup;
class QLineEdit;
class QListView;
class QStackedWidget;
class QTimer;

namespace gui {

class AssetListModel;
class EmptyState;

class GalleryPanel : public QWidget {
    Q_OBJECT
public:
    explicit GalleryPanel(AssetListModel* model, QWidget* parent = nullptr);

    QListView* view() const { return m_view; }
    QLineEdit* searchBox() const { return m_search; }
    // 0 all, 1 images, 2 audio, 3 video
    void setKindFilterIndex(int index);
    QStringList selectedUuids() const;
    QString currentUuid() const;
    void refreshIcons();
    // Without a project the search and filters are disabled and the empty state says why.
    void setProjectOpen(bool open);

signals:
    void currentAssetChanged(const QString& uuid);  // empty when nothing is current

protected:
    void changeEvent(QEvent* event) override;

private:
    void updateEmptyState();

    AssetListModel* m_model;
    QLineEdit* m_search;
    QButtonGroup* m_kinds;
    QListView* m_view;
    QStackedWidget* m_stack;
    EmptyState* m_empty;
    QTimer* m_searchDebounce;
    QAction* m_searchIcon = nullptr;
    bool m_projectOpen = false;
};

}  // namespace gui
