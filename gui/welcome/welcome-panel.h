// WelcomePanel (centre): the empty states. Without a project: the app's welcome (New / Open,
// recent projects, a drop hint). With a project: its name, path and asset count, an Import
// button and a drop target hint. No workspace placeholders (they arrive with their issues).
// Thread-safety: GUI thread only.
#pragma once

#include <QWidget>

class QLabel;
class QListWidget;
class QPushButton;
class QStackedWidget;

namespace gui {

class WelcomePanel : public QWidget {
    Q_OBJECT
public:
    explicit WelcomePanel(QWidget* parent = nullptr);

    void showNoProject(const QStringList& recent);
    void showProject(const QString& name, const QString& path, qint64 assetCount);
    void setAssetCount(qint64 count);
    bool isProjectPage() const;
    QListWidget* recentList() const { return m_recent; }
    void refreshIcons();

signals:
    void newProjectRequested();
    void openProjectRequested();
    void openRecentRequested(const QString& path);
    void importRequested();

protected:
    void changeEvent(QEvent* event) override;

private:
    QWidget* buildHome();
    QWidget* buildProject();

    QStackedWidget* m_stack;
    QLabel* m_logo;
    QListWidget* m_recent;
    QLabel* m_recentTitle;
    QLabel* m_projectName;
    QLabel* m_projectPath;
    QLabel* m_projectStats;
    QLabel* m_dropIcon;
    QPushButton* m_newButton;
    QPushButton* m_openButton;
    QPushButton* m_importButton;
};

}  // namespace gui
