// MainWindow implementation. Invariant: the models, the preview and the welcome page always
// point at m_session (or at nothing); they are detached before a session is destroyed.
#include "gui/main-window.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QFileInfo>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QMenu>
#include <QMimeData>
#include <QMenuBar>
#include <QStatusBar>
#include <QTabWidget>
#include <QTimer>
#include <QUrl>

#include "gui/app/dialog-hooks.h"
#include "gui/app/error-text.h"
#include "gui/app/plural.h"
#include "gui/app/resources.h"
#include "gui/app/theme.h"
#include "gui/chat/chat-workspace.h"
#include "gui/dialogs/info-dialogs.h"
#include "gui/dialogs/settings-dialog.h"
#include "gui/export/export-dialog.h"
#include "gui/record/record-dialog.h"
#include "gui/gallery/gallery-panel.h"
#include "gui/jobs/job-list-model.h"
#include "gui/jobs/job-queue-panel.h"
#include "gui/models/asset-list-model.h"
#include "gui/models/model-catalog.h"
#include "gui/preview/preview-panel.h"
#include "gui/session/project-session.h"
#include "gui/timeline/timeline-workspace.h"
#include "gui/speak/speak-workspace.h"
#include "gui/transcribe/transcribe-workspace.h"
#include "gui/welcome/welcome-panel.h"

namespace gui {

namespace {

QStringList localPaths(const QMimeData* mime) {
    QStringList out;
    if (!mime || !mime->hasUrls()) return out;
    for (const QUrl& u : mime->urls())
        if (u.isLocalFile()) out << u.toLocalFile();
    return out;
}

bool isProjectFile(const QString& path) { return path.endsWith(QStringLiteral(".atelier"), Qt::CaseInsensitive); }

}  // namespace

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent), m_hooks(std::make_unique<DialogHooks>()), m_settings(AppSettings::load()) {
    setObjectName(QStringLiteral("mainWindow"));
    setWindowTitle(tr("Atelier"));
    setWindowIcon(appIcon());
    setAcceptDrops(true);
    setDockOptions(QMainWindow::AnimatedDocks | QMainWindow::AllowTabbedDocks);
    resize(1320, 820);

    m_assets = new AssetListModel(this);
    m_jobs = new JobListModel(this);
    m_actions = createMainActions(this);
    m_welcome = new WelcomePanel(this);
    m_workspaces = new QTabWidget(this);
    m_workspaces->setObjectName(QStringLiteral("workspaces"));
    m_workspaces->setDocumentMode(true);
    m_workspaces->addTab(m_welcome, tr("Home"));
    setCentralWidget(m_workspaces);
    buildDocks();
    buildChat();
    buildTimeline();
    buildTranscribe();
    buildSpeak();

    m_countLabel = new QLabel(this);
    m_countLabel->setObjectName(QStringLiteral("statusCount"));
    m_pathLabel = new QLabel(this);
    m_pathLabel->setObjectName(QStringLiteral("statusPath"));
    statusBar()->addPermanentWidget(m_countLabel);
    statusBar()->addPermanentWidget(m_pathLabel);
    statusBar()->setSizeGripEnabled(false);

    connectActions();
    refreshActionIcons(m_actions);
    restoreGeometry(loadWindowGeometry());
    restoreState(loadWindowState());
    closeProject();  // sets up the no-project state
}

MainWindow::~MainWindow() {
    m_speak->setSession(nullptr);
    m_transcribe->setSession(nullptr);
    m_timeline->setSession(nullptr);
    m_chat->setSession(nullptr);
    m_assets->setSession(nullptr);
    m_jobs->setSession(nullptr);
    m_preview->setSession(nullptr);
    m_session.reset();
}

void MainWindow::buildDocks() {
    auto makeDock = [this](const QString& title, const char* name, QWidget* content, Qt::DockWidgetArea area) {
        auto* d = new QDockWidget(title, this);
        d->setObjectName(QString::fromLatin1(name));
        d->setWidget(content);
        d->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetClosable | QDockWidget::DockWidgetFloatable);
        addDockWidget(area, d);
        m_actions.viewMenu->addAction(d->toggleViewAction());
        return d;
    };
    m_gallery = new GalleryPanel(m_assets, this);
    m_gallery->searchBox()->setAcceptDrops(false);  // dropped files import; they are not search text
    m_preview = new PreviewPanel(this);
    m_jobQueue = new JobQueuePanel(m_jobs, this);
    m_galleryDock = makeDock(tr("Assets"), "dockAssets", m_gallery, Qt::LeftDockWidgetArea);
    m_previewDock = makeDock(tr("Preview"), "dockPreview", m_preview, Qt::RightDockWidgetArea);
    m_jobsDock = makeDock(tr("Jobs"), "dockJobs", m_jobQueue, Qt::BottomDockWidgetArea);
    setCorner(Qt::BottomLeftCorner, Qt::LeftDockWidgetArea);
    setCorner(Qt::BottomRightCorner, Qt::RightDockWidgetArea);
    m_galleryDock->toggleViewAction()->setShortcut(QKeySequence(QStringLiteral("Ctrl+1")));
    m_previewDock->toggleViewAction()->setShortcut(QKeySequence(QStringLiteral("Ctrl+2")));
    m_jobsDock->toggleViewAction()->setShortcut(QKeySequence(QStringLiteral("Ctrl+3")));
    m_actions.groups.append({tr("View"), {m_galleryDock->toggleViewAction(), m_previewDock->toggleViewAction(),
                                          m_jobsDock->toggleViewAction()}});
    resizeDocks({m_galleryDock, m_previewDock}, {330, 380}, Qt::Horizontal);
    resizeDocks({m_jobsDock}, {190}, Qt::Vertical);

    connect(m_gallery, &GalleryPanel::currentAssetChanged, m_preview, &PreviewPanel::showAsset);
    connect(m_gallery, &GalleryPanel::currentAssetChanged, this, &MainWindow::updateActions);
    connect(m_gallery->view()->selectionModel(), &QItemSelectionModel::selectionChanged, this, &MainWindow::updateActions);
    connect(m_assets, &AssetListModel::refreshed, this, &MainWindow::updateStatus);
    connect(m_jobs, &JobListModel::rerunFailed, this,
            [this](const QString& msg) { reportError(tr("Cannot rerun job"), msg, QString()); });
    connect(m_welcome, &WelcomePanel::newProjectRequested, this, &MainWindow::onNew);
    connect(m_welcome, &WelcomePanel::openProjectRequested, this, &MainWindow::onOpen);
    connect(m_welcome, &WelcomePanel::openRecentRequested, this, &MainWindow::openProject);
    connect(m_welcome, &WelcomePanel::importRequested, this, &MainWindow::onImport);
}

// The Chat workspace (a tab), its menu and shortcuts, and the models folder it picks from.
void MainWindow::buildChat() {
    m_models = new ModelCatalog(this);
    m_models->setFolder(m_settings.modelsFolder);
    m_chat = new ChatWorkspace(m_models, this);
    m_chat->setDialogHooks([this] { return m_hooks.get(); });
    m_chat->setThreads(m_settings.threads);
    m_workspaces->addTab(m_chat, tr("Chat"));
    m_showChat = new QAction(tr("&Chat Workspace"), this);
    m_showChat->setObjectName(QStringLiteral("actionShowChat"));
    m_showChat->setShortcut(QKeySequence(QStringLiteral("Ctrl+4")));
    addAction(m_showChat);
    connect(m_showChat, &QAction::triggered, this, &MainWindow::showChat);
    const ChatWorkspace::Actions& c = m_chat->actions();
    const QList<QAction*> chatActions = {m_showChat, c.newChat, c.send, c.stop, c.regenerate, c.thinking, c.modelManager};
    auto* menu = new QMenu(tr("&Chat"), this);
    menu->setObjectName(QStringLiteral("menuChat"));
    menu->addActions({m_showChat, c.newChat});
    menu->addSeparator();
    menu->addActions({c.send, c.stop, c.regenerate, c.thinking});
    menu->addSeparator();
    menu->addAction(c.modelManager);
    const QList<QAction*> bar = menuBar()->actions();
    menuBar()->insertMenu(bar.isEmpty() ? nullptr : bar.last(), menu);  // before Help
    for (QAction* a : chatActions) addAction(a);
    m_actions.groups.insert(m_actions.groups.size() - 1, {tr("Chat"), chatActions});
    connect(m_chat, &ChatWorkspace::statusMessage, this, [this](const QString& text, int ms) { statusBar()->showMessage(text, ms); });
    connect(c.newChat, &QAction::triggered, this, &MainWindow::showChat);
}

void MainWindow::showChat() { m_workspaces->setCurrentWidget(m_chat); }

// The Timeline workspace (a tab), its menu and shortcuts; gallery assets drag onto its tracks.
void MainWindow::buildTimeline() {
    m_timeline = new TimelineWorkspace(this);
    m_workspaces->addTab(m_timeline, tr("Timeline"));
    m_gallery->view()->setDragEnabled(true);
    m_gallery->view()->setDragDropMode(QAbstractItemView::DragOnly);
    m_showTimeline = new QAction(tr("&Timeline Workspace"), this);
    m_showTimeline->setObjectName(QStringLiteral("actionShowTimeline"));
    m_showTimeline->setShortcut(QKeySequence(QStringLiteral("Ctrl+5")));
    connect(m_showTimeline, &QAction::triggered, this, &MainWindow::showTimeline);
    const TimelineWorkspace::Actions& t = m_timeline->actions();
    const QList<QAction*> acts = {m_showTimeline, t.addSubtitle, t.deleteClip, t.zoomIn, t.zoomOut, t.exportTimeline};
    auto* menu = new QMenu(tr("&Timeline"), this);
    menu->setObjectName(QStringLiteral("menuTimeline"));
    menu->addActions({m_showTimeline, t.addSubtitle, t.deleteClip});
    menu->addSeparator();
    menu->addActions({t.zoomIn, t.zoomOut});
    menu->addSeparator();
    menu->addAction(t.exportTimeline);
    const QList<QAction*> bar = menuBar()->actions();
    menuBar()->insertMenu(bar.isEmpty() ? nullptr : bar.last(), menu);  // before Help
    addAction(m_showTimeline);
    addAction(t.exportTimeline);
    m_actions.groups.insert(m_actions.groups.size() - 1, {tr("Timeline"), acts});
    connect(m_timeline, &TimelineWorkspace::statusMessage, this, [this](const QString& text, int ms) { statusBar()->showMessage(text, ms); });
    connect(m_timeline, &TimelineWorkspace::exportRequested, this, &MainWindow::showExport);
}

void MainWindow::showTimeline() { m_workspaces->setCurrentWidget(m_timeline); }

// The Transcribe workspace (a tab) and its shortcut; its results can go onto the timeline.
void MainWindow::buildTranscribe() {
    m_transcribe = new TranscribeWorkspace(this);
    m_transcribe->setDialogHooks([this] { return m_hooks.get(); });
    m_workspaces->addTab(m_transcribe, tr("Transcribe"));
    m_showTranscribe = new QAction(tr("T&ranscribe Workspace"), this);
    m_showTranscribe->setObjectName(QStringLiteral("actionShowTranscribe"));
    m_showTranscribe->setShortcut(QKeySequence(QStringLiteral("Ctrl+6")));
    connect(m_showTranscribe, &QAction::triggered, this, &MainWindow::showTranscribe);
    addAction(m_showTranscribe);
    m_actions.viewMenu->addAction(m_showTranscribe);
    m_actions.groups.insert(m_actions.groups.size() - 1, {tr("Transcribe"), {m_showTranscribe}});
    connect(m_transcribe, &TranscribeWorkspace::statusMessage, this, [this](const QString& text, int ms) { statusBar()->showMessage(text, ms); });
}

void MainWindow::showTranscribe() { m_workspaces->setCurrentWidget(m_transcribe); }

// The Speak workspace (a tab) and its shortcut; "Add to Timeline" places at the timeline's playhead.
void MainWindow::buildSpeak() {
    m_speak = new SpeakWorkspace(this);
    m_speak->setPlayheadProvider([this] { return m_timeline->view()->playheadMs(); });
    m_workspaces->addTab(m_speak, tr("Speak"));
    m_showSpeak = new QAction(tr("&Speak Workspace"), this);
    m_showSpeak->setObjectName(QStringLiteral("actionShowSpeak"));
    m_showSpeak->setShortcut(QKeySequence(QStringLiteral("Ctrl+7")));
    connect(m_showSpeak, &QAction::triggered, this, &MainWindow::showSpeak);
    addAction(m_showSpeak);
    m_actions.viewMenu->addAction(m_showSpeak);
    m_actions.groups.insert(m_actions.groups.size() - 1, {tr("Speak"), {m_showSpeak}});
    connect(m_speak, &SpeakWorkspace::statusMessage, this, [this](const QString& text, int ms) { statusBar()->showMessage(text, ms); });
}

void MainWindow::showSpeak() { m_workspaces->setCurrentWidget(m_speak); }

ExportDialog* MainWindow::showExport() {
    if (!m_session) return nullptr;
    auto* dlg = new ExportDialog(m_session.get(), m_hooks.get(), m_timeline->timelineUuid(), this);
    dlg->setAttribute(Qt::WA_DeleteOnClose);
    dlg->open();
    m_jobsDock->show();
    return dlg;
}

RecordDialog* MainWindow::showRecord() {
    if (!m_session) return nullptr;
    auto* dlg = new RecordDialog(m_session.get(), this);
    dlg->setAttribute(Qt::WA_DeleteOnClose);
    connect(dlg, &RecordDialog::recorded, this, [this](const QString&) { statusBar()->showMessage(tr("Recording saved to the project"), 4000); });
    dlg->open();
    return dlg;
}

void MainWindow::connectActions() {
    const MainActions& a = m_actions;
    connect(a.recordAudio, &QAction::triggered, this, &MainWindow::showRecord);
    connect(a.newProject, &QAction::triggered, this, &MainWindow::onNew);
    connect(a.openProject, &QAction::triggered, this, &MainWindow::onOpen);
    connect(a.saveAs, &QAction::triggered, this, &MainWindow::onSaveAs);
    connect(a.importFiles, &QAction::triggered, this, &MainWindow::onImport);
    connect(a.closeProject, &QAction::triggered, this, &MainWindow::closeProject);
    connect(a.quit, &QAction::triggered, this, &QWidget::close);
    connect(a.undo, &QAction::triggered, this, &MainWindow::onUndo);
    connect(a.redo, &QAction::triggered, this, &MainWindow::onRedo);
    connect(a.rename, &QAction::triggered, this, &MainWindow::onRename);
    connect(a.remove, &QAction::triggered, this, &MainWindow::onDelete);
    connect(a.find, &QAction::triggered, this, [this] {
        m_galleryDock->show();
        m_gallery->searchBox()->setFocus(Qt::ShortcutFocusReason);
        m_gallery->searchBox()->selectAll();
    });
    connect(a.settings, &QAction::triggered, this, &MainWindow::showSettings);
    connect(a.zoomIn, &QAction::triggered, m_preview, &PreviewPanel::zoomIn);
    connect(a.zoomOut, &QAction::triggered, m_preview, &PreviewPanel::zoomOut);
    connect(a.fit, &QAction::triggered, m_preview, &PreviewPanel::fitToWindow);
    connect(a.actualSize, &QAction::triggered, m_preview, &PreviewPanel::actualSize);
    connect(a.shortcuts, &QAction::triggered, this, &MainWindow::showShortcuts);
    connect(a.about, &QAction::triggered, this, &MainWindow::showAbout);
    connect(a.recentMenu, &QMenu::aboutToShow, this, &MainWindow::rebuildRecentMenu);
}

void MainWindow::setDialogHooks(std::unique_ptr<DialogHooks> hooks) {
    if (hooks) m_hooks = std::move(hooks);
}

void MainWindow::reportError(const QString& title, const QString& text, const QString& detail) {
    m_hooks->showError(this, title, text, detail);
}

// ---- projects -------------------------------------------------------------------------------

bool MainWindow::adoptSession(std::unique_ptr<ProjectSession> session) {
    closeProject();
    m_session = std::move(session);
    ProjectSession* s = m_session.get();
    connect(s, &ProjectSession::historyChanged, this, &MainWindow::updateActions);
    connect(s, &ProjectSession::importFinished, this, &MainWindow::onImportFinished);
    m_assets->setSession(s);
    m_jobs->setSession(s);
    m_preview->setSession(s);
    m_chat->setSession(s);
    m_timeline->setSession(s);
    m_transcribe->setSession(s);
    m_speak->setSession(s);
    // Persisting the recent list writes the settings file: keep it out of the first paint.
    QTimer::singleShot(0, this, [path = s->path()] { addRecentProject(path); });
    setWindowTitle(tr("%1 — Atelier").arg(s->displayName()));
    m_welcome->showProject(s->displayName(), s->path(), m_assets->rowCount());
    m_gallery->setProjectOpen(true);
    const int interrupted = s->project().interrupted_on_open();
    if (interrupted > 0) {
        m_jobsDock->show();
        statusBar()->showMessage(plural(interrupted, "%1 job was interrupted when Atelier last closed. Rerun it from the Jobs panel.",
                                        "%1 jobs were interrupted when Atelier last closed. Rerun them from the Jobs panel."),
                                 10000);
    }
    updateActions();
    updateStatus();
    return true;
}

bool MainWindow::newProjectAt(const QString& rawPath) {
    const QString path = withProjectExtension(rawPath);
    if (path.isEmpty()) return false;
    auto s = ProjectSession::create(path);
    if (!s) {
        reportError(tr("Cannot create project"), userMessage(s.error()), detailText(s.error()));
        return false;
    }
    return adoptSession(std::move(s).value());
}

bool MainWindow::openProject(const QString& path) {
    if (path.isEmpty()) return false;
    if (m_session && QFileInfo(m_session->path()) == QFileInfo(path)) return true;
    auto s = ProjectSession::open(path);
    if (!s) {
        const auto& e = s.error();
        if (e.code == atelier::ErrorCode::ProjectNotFound || e.code == atelier::ErrorCode::NotFound)
            removeRecentProject(path);
        reportError(projectErrorTitle(e), userMessage(e), detailText(e));
        return false;
    }
    return adoptSession(std::move(s).value());
}

bool MainWindow::saveProjectAs(const QString& rawPath) {
    const QString path = withProjectExtension(rawPath);
    if (!m_session || path.isEmpty()) return false;
    auto st = m_session->project().save_as(path.toStdString());
    if (!st) {
        reportError(tr("Cannot save project"), userMessage(st.error()), detailText(st.error()));
        return false;
    }
    return openProject(path);
}

void MainWindow::closeProject() {
    if (m_speak) m_speak->setSession(nullptr);
    if (m_transcribe) m_transcribe->setSession(nullptr);
    if (m_timeline) m_timeline->setSession(nullptr);
    m_chat->setSession(nullptr);
    m_assets->setSession(nullptr);
    m_jobs->setSession(nullptr);
    m_preview->setSession(nullptr);
    m_session.reset();
    setWindowTitle(tr("Atelier"));
    m_welcome->showNoProject(recentProjects());
    m_gallery->setProjectOpen(false);
    updateActions();
    updateStatus();
}

bool MainWindow::importPaths(const QStringList& paths) {
    if (!m_session || paths.isEmpty()) return false;
    m_session->importFiles(paths);
    m_jobsDock->show();
    statusBar()->showMessage(plural(paths.size(), "Importing %1 item…", "Importing %1 items…"), 4000);
    return true;
}

void MainWindow::onImportFinished(const ImportSummary& s) {
    QStringList parts;
    parts << plural(s.added, "Imported %1 file", "Imported %1 files");
    if (s.duplicates > 0) parts << plural(s.duplicates, "%1 duplicate skipped", "%1 duplicates skipped");
    if (!s.failures.isEmpty()) parts << plural(s.failures.size(), "%1 could not be imported", "%1 could not be imported");
    statusBar()->showMessage(parts.join(QStringLiteral(" · ")), 8000);
    statusBar()->setToolTip(s.failures.join(u'\n'));
    if (s.added > 0 && m_gallery->currentUuid().isEmpty()) {
        const QModelIndex last = m_assets->index(m_assets->rowCount() - 1);
        if (last.isValid()) m_gallery->view()->setCurrentIndex(last);
    }
}

void MainWindow::onNew() {
    const QString path = m_hooks->newProjectPath(this);
    if (!path.isEmpty()) newProjectAt(path);
}

void MainWindow::onOpen() {
    const QString path = m_hooks->openProjectPath(this);
    if (!path.isEmpty()) openProject(path);
}

void MainWindow::onSaveAs() {
    if (!m_session) return;
    const QString path = m_hooks->saveAsPath(this, m_session->path());
    if (!path.isEmpty()) saveProjectAs(path);
}

void MainWindow::onImport() {
    if (!m_session) return;
    importPaths(m_hooks->importPaths(this));
}

void MainWindow::rebuildRecentMenu() {
    QMenu* menu = m_actions.recentMenu;
    menu->clear();
    const QStringList recent = recentProjects();
    for (const QString& p : recent) {
        QAction* a = menu->addAction(QFileInfo(p).completeBaseName());
        a->setToolTip(p);
        a->setStatusTip(p);
        connect(a, &QAction::triggered, this, [this, p] { openProject(p); });
    }
    if (recent.isEmpty()) menu->addAction(tr("No recent projects"))->setEnabled(false);
}

// ---- editing --------------------------------------------------------------------------------

void MainWindow::onUndo() {
    if (!m_session || !m_session->canUndo()) return;
    if (auto st = m_session->undo(); !st) reportError(tr("Cannot undo"), userMessage(st.error()), detailText(st.error()));
}

void MainWindow::onRedo() {
    if (!m_session || !m_session->canRedo()) return;
    if (auto st = m_session->redo(); !st) reportError(tr("Cannot redo"), userMessage(st.error()), detailText(st.error()));
}

void MainWindow::onRename() {
    const QModelIndex cur = m_gallery->view()->currentIndex();
    if (!m_session || !cur.isValid()) return;
    m_galleryDock->show();
    m_gallery->view()->setFocus();
    m_gallery->view()->edit(cur);
}

void MainWindow::onDelete() {
    if (!m_session) return;
    const QStringList uuids = m_gallery->selectedUuids();
    if (uuids.isEmpty()) return;
    if (auto st = m_session->removeAssets(uuids); !st)
        reportError(tr("Cannot delete"), userMessage(st.error()), detailText(st.error()));
    else
        statusBar()->showMessage(plural(uuids.size(), "Deleted %1 asset. Press Ctrl+Z to undo.", "Deleted %1 assets. Press Ctrl+Z to undo."), 5000);
}

void MainWindow::updateActions() {
    const bool open = m_session != nullptr;
    const MainActions& a = m_actions;
    for (QAction* act : {a.saveAs, a.importFiles, a.recordAudio, a.closeProject, a.find}) act->setEnabled(open);
    const bool canUndo = open && m_session->canUndo(), canRedo = open && m_session->canRedo();
    a.undo->setEnabled(canUndo);
    a.redo->setEnabled(canRedo);
    a.undo->setText(canUndo ? tr("&Undo %1").arg(m_session->undoText()) : tr("&Undo"));
    a.redo->setText(canRedo ? tr("&Redo %1").arg(m_session->redoText()) : tr("&Redo"));
    const bool hasCurrent = open && m_gallery->view()->currentIndex().isValid();
    a.rename->setEnabled(hasCurrent);
    a.remove->setEnabled(open && m_gallery->view()->selectionModel()->hasSelection());
    const bool hasImage = open && !m_preview->assetUuid().isEmpty();
    for (QAction* act : {a.zoomIn, a.zoomOut, a.fit, a.actualSize}) act->setEnabled(hasImage);
}

void MainWindow::updateStatus() {
    if (!m_session) {
        m_countLabel->setText(QString());
        m_pathLabel->setText(tr("No project open"));
        return;
    }
    auto total = m_session->project().count_assets();
    const qint64 n = total ? *total : m_assets->rowCount();
    QString count = plural(n, "%1 asset", "%1 assets");
    if (m_assets->rowCount() != n) count = tr("%1 of %2 shown").arg(m_assets->rowCount()).arg(count);
    m_countLabel->setText(count);
    m_pathLabel->setText(QDir::toNativeSeparators(m_session->path()));
    m_pathLabel->setToolTip(m_session->path());
    m_welcome->setAssetCount(n);
}

// ---- dialogs, settings ----------------------------------------------------------------------

SettingsDialog* MainWindow::showSettings() {
    auto* dlg = new SettingsDialog(m_settings, m_hooks.get(), this);
    dlg->setAttribute(Qt::WA_DeleteOnClose);
    connect(dlg, &SettingsDialog::settingsApplied, this, &MainWindow::applySettings);
    dlg->open();
    return dlg;
}

void MainWindow::applySettings(const AppSettings& settings) {
    const bool themeChanged = settings.theme != m_settings.theme;
    m_settings = settings;
    if (themeChanged) applyTheme(settings.theme);
    m_models->setFolder(settings.modelsFolder);
    m_chat->setThreads(settings.threads);
}

void MainWindow::showShortcuts() {
    auto* dlg = new ShortcutsDialog(m_actions.groups, this);
    dlg->setAttribute(Qt::WA_DeleteOnClose);
    dlg->show();
}

void MainWindow::showAbout() {
    auto* dlg = new AboutDialog(this);
    dlg->setAttribute(Qt::WA_DeleteOnClose);
    dlg->show();
}

void MainWindow::saveWindowState() { saveWindowGeometry(saveGeometry(), saveState()); }

// ---- events ---------------------------------------------------------------------------------

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
    if (!localPaths(event->mimeData()).isEmpty()) event->acceptProposedAction();
}

void MainWindow::dragMoveEvent(QDragMoveEvent* event) {
    if (!localPaths(event->mimeData()).isEmpty()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
    const QStringList paths = localPaths(event->mimeData());
    if (paths.isEmpty()) return;
    event->acceptProposedAction();
    if (paths.size() == 1 && isProjectFile(paths.first())) {
        openProject(paths.first());
        return;
    }
    if (!m_session) {
        statusBar()->showMessage(tr("Create or open a project first, then drop media files to import them."), 6000);
        return;
    }
    importPaths(paths);
}

void MainWindow::closeEvent(QCloseEvent* event) {
    if (m_jobs->activeCount() > 0 &&
        !m_hooks->confirm(this, tr("Jobs are running"),
                          tr("Quit and cancel the running jobs? Finished work is already saved."))) {
        event->ignore();
        return;
    }
    saveWindowState();
    event->accept();
}

void MainWindow::changeEvent(QEvent* event) {
    if (event->type() == QEvent::PaletteChange) refreshActionIcons(m_actions);
    QMainWindow::changeEvent(event);
}

}  // namespace gui
