// MainWindow: the studio window (ARCHITECTURE §7). Left: asset gallery; centre: workspaces as
// tabs (Home: the welcome / project empty state; Chat: gui/chat; Timeline: gui/timeline; Transcribe: gui/transcribe; Speak: gui/speak); right: preview; bottom: job queue; status bar: asset count and project
// path. Owns at most one ProjectSession. Every dialog goes through DialogHooks so tests (and the
// `atelier PATH` command line) drive the same code paths as the menus.
// Thread-safety: GUI thread only. Nothing here blocks on a job: results arrive via gui::post.
#pragma once

#include <QMainWindow>

#include <memory>

#include "gui/app/actions.h"
#include "gui/app/settings.h"

class QAction;
class QDockWidget;
class QLabel;
class QTabWidget;

namespace gui {

class AssetListModel;
class ChatWorkspace;
class ExportDialog;
class RecordDialog;
class TimelineWorkspace;
class TranscribeWorkspace;
class SpeakWorkspace;
class DialogHooks;
class GalleryPanel;
class JobListModel;
class JobQueuePanel;
class ModelCatalog;
class PreviewPanel;
class ProjectSession;
class SettingsDialog;
class WelcomePanel;
struct ImportSummary;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    void setDialogHooks(std::unique_ptr<DialogHooks> hooks);
    DialogHooks* dialogHooks() const { return m_hooks.get(); }

    // The actions' back ends, callable with a path (tests, command line). Errors are shown
    // through DialogHooks::showError; the return value says whether it worked.
    bool newProjectAt(const QString& path);  // ".atelier" is appended when missing
    bool openProject(const QString& path);
    bool saveProjectAs(const QString& path);
    void closeProject();
    bool importPaths(const QStringList& paths);

    ProjectSession* session() const { return m_session.get(); }
    AssetListModel* assetModel() const { return m_assets; }
    JobListModel* jobModel() const { return m_jobs; }
    GalleryPanel* gallery() const { return m_gallery; }
    PreviewPanel* preview() const { return m_preview; }
    JobQueuePanel* jobQueue() const { return m_jobQueue; }
    WelcomePanel* welcome() const { return m_welcome; }
    ChatWorkspace* chatWorkspace() const { return m_chat; }
    ModelCatalog* modelCatalog() const { return m_models; }
    QTabWidget* workspaces() const { return m_workspaces; }  // Home (welcome), Chat
    void showChat();
    TimelineWorkspace* timelineWorkspace() const { return m_timeline; }
    void showTimeline();
    TranscribeWorkspace* transcribeWorkspace() const { return m_transcribe; }
    void showTranscribe();
    SpeakWorkspace* speakWorkspace() const { return m_speak; }
    void showSpeak();
    ExportDialog* showExport();  // opened non-modal; returns the dialog (nullptr without a project)
    RecordDialog* showRecord();  // File > Record Audio…; non-modal (nullptr without a project)
    const MainActions& actions() const { return m_actions; }
    const AppSettings& settings() const { return m_settings; }
    QLabel* assetCountLabel() const { return m_countLabel; }
    QLabel* projectPathLabel() const { return m_pathLabel; }

    SettingsDialog* showSettings();  // opened window-modal without blocking; returns the dialog
    void applySettings(const AppSettings& settings);
    void saveWindowState();

protected:
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dragMoveEvent(QDragMoveEvent* event) override;
    void dropEvent(QDropEvent* event) override;
    void closeEvent(QCloseEvent* event) override;
    void changeEvent(QEvent* event) override;

private:
    void buildDocks();
    void buildChat();
    void buildTimeline();
    void buildTranscribe();
    void buildSpeak();
    void connectActions();
    bool adoptSession(std::unique_ptr<ProjectSession> session);
    void reportError(const QString& title, const QString& text, const QString& detail);
    void updateActions();
    void updateStatus();
    void rebuildRecentMenu();
    void onImportFinished(const ImportSummary& summary);
    void onNew();
    void onOpen();
    void onSaveAs();
    void onImport();
    void onUndo();
    void onRedo();
    void onRename();
    void onDelete();
    void showShortcuts();
    void showAbout();

    std::unique_ptr<DialogHooks> m_hooks;
    std::unique_ptr<ProjectSession> m_session;
    AppSettings m_settings;
    MainActions m_actions;
    AssetListModel* m_assets = nullptr;
    JobListModel* m_jobs = nullptr;
    GalleryPanel* m_gallery = nullptr;
    PreviewPanel* m_preview = nullptr;
    JobQueuePanel* m_jobQueue = nullptr;
    WelcomePanel* m_welcome = nullptr;
    ModelCatalog* m_models = nullptr;
    ChatWorkspace* m_chat = nullptr;
    QTabWidget* m_workspaces = nullptr;
    QAction* m_showChat = nullptr;
    TimelineWorkspace* m_timeline = nullptr;
    QAction* m_showTimeline = nullptr;
    TranscribeWorkspace* m_transcribe = nullptr;
    QAction* m_showTranscribe = nullptr;
    SpeakWorkspace* m_speak = nullptr;
    QAction* m_showSpeak = nullptr;
    QDockWidget* m_galleryDock = nullptr;
    QDockWidget* m_previewDock = nullptr;
    QDockWidget* m_jobsDock = nullptr;
    QLabel* m_countLabel = nullptr;
    QLabel* m_pathLabel = nullptr;
};

}  // namespace gui
