// createMainActions: menu structure File / Edit / View / Help.
#include "gui/app/actions.h"

#include <QAction>
#include <QApplication>
#include <QMainWindow>
#include <QMenu>
#include <QMenuBar>

#include "gui/app/resources.h"

namespace gui {

static QAction* make(QMainWindow* w, const QString& text, const QList<QKeySequence>& keys, const char* name) {
    auto* a = new QAction(text, w);
    a->setObjectName(QString::fromLatin1(name));
    a->setShortcuts(keys);
    a->setShortcutContext(Qt::WindowShortcut);
    w->addAction(a);  // shortcuts work even when the menu bar is hidden
    return a;
}

MainActions createMainActions(QMainWindow* w) {
    MainActions a;
    a.newProject = make(w, QMainWindow::tr("&New Project…"), {QKeySequence::New}, "actionNewProject");
    a.openProject = make(w, QMainWindow::tr("&Open Project…"), {QKeySequence::Open}, "actionOpenProject");
    a.saveAs = make(w, QMainWindow::tr("Save Project &As…"), {QKeySequence(QStringLiteral("Ctrl+Shift+S"))}, "actionSaveAs");
    a.importFiles = make(w, QMainWindow::tr("&Import Files…"), {QKeySequence(QStringLiteral("Ctrl+I"))}, "actionImport");
    a.recordAudio = make(w, QMainWindow::tr("&Record Audio…"), {QKeySequence(QStringLiteral("Ctrl+R"))}, "actionRecordAudio");
    a.closeProject = make(w, QMainWindow::tr("&Close Project"), {QKeySequence(QStringLiteral("Ctrl+W"))}, "actionCloseProject");
    a.quit = make(w, QMainWindow::tr("&Quit"), {QKeySequence(QStringLiteral("Ctrl+Q"))}, "actionQuit");
    a.quit->setMenuRole(QAction::QuitRole);
    a.undo = make(w, QMainWindow::tr("&Undo"), {QKeySequence(QStringLiteral("Ctrl+Z"))}, "actionUndo");
    a.redo = make(w, QMainWindow::tr("&Redo"),
                  {QKeySequence(QStringLiteral("Ctrl+Shift+Z")), QKeySequence(QStringLiteral("Ctrl+Y"))}, "actionRedo");
    a.rename = make(w, QMainWindow::tr("Re&name Asset"), {QKeySequence(Qt::Key_F2)}, "actionRename");
    a.remove = make(w, QMainWindow::tr("&Delete Asset"), {QKeySequence(QKeySequence::Delete)}, "actionDelete");
    a.find = make(w, QMainWindow::tr("&Find Assets"), {QKeySequence(QKeySequence::Find)}, "actionFind");
    a.settings = make(w, QMainWindow::tr("&Settings…"), {QKeySequence(QStringLiteral("Ctrl+,"))}, "actionSettings");
    a.settings->setMenuRole(QAction::PreferencesRole);
    a.zoomIn = make(w, QMainWindow::tr("Zoom &In"),
                    {QKeySequence(Qt::Key_Plus), QKeySequence(Qt::Key_Equal), QKeySequence(QKeySequence::ZoomIn)},
                    "actionZoomIn");
    a.zoomOut = make(w, QMainWindow::tr("Zoom &Out"), {QKeySequence(Qt::Key_Minus), QKeySequence(QKeySequence::ZoomOut)},
                     "actionZoomOut");
    a.fit = make(w, QMainWindow::tr("&Fit to Window"), {QKeySequence(Qt::Key_F)}, "actionFit");
    a.actualSize = make(w, QMainWindow::tr("&Actual Size (100%)"),
                        {QKeySequence(Qt::Key_1), QKeySequence(QStringLiteral("Ctrl+0"))}, "actionActualSize");
    a.shortcuts = make(w, QMainWindow::tr("&Keyboard Shortcuts"), {QKeySequence(QStringLiteral("Ctrl+/")), QKeySequence(Qt::Key_F1)},
                       "actionShortcuts");
    a.about = make(w, QMainWindow::tr("&About Atelier"), {}, "actionAbout");
    a.about->setMenuRole(QAction::AboutRole);

    QMenuBar* bar = w->menuBar();
    QMenu* file = bar->addMenu(QMainWindow::tr("&File"));
    file->addActions({a.newProject, a.openProject});
    a.recentMenu = file->addMenu(QMainWindow::tr("Open &Recent"));
    a.recentMenu->setObjectName(QStringLiteral("menuRecent"));
    file->addAction(a.saveAs);
    file->addSeparator();
    file->addActions({a.importFiles, a.recordAudio});
    file->addSeparator();
    file->addActions({a.closeProject, a.quit});

    QMenu* edit = bar->addMenu(QMainWindow::tr("&Edit"));
    edit->addActions({a.undo, a.redo});
    edit->addSeparator();
    edit->addActions({a.rename, a.remove, a.find});
    edit->addSeparator();
    edit->addAction(a.settings);

    a.viewMenu = bar->addMenu(QMainWindow::tr("&View"));
    a.viewMenu->addActions({a.zoomIn, a.zoomOut, a.fit, a.actualSize});
    a.viewMenu->addSeparator();  // the docks' toggle actions are appended by the window

    QMenu* help = bar->addMenu(QMainWindow::tr("&Help"));
    help->addActions({a.shortcuts, a.about});

    a.groups = {{QMainWindow::tr("File"), {a.newProject, a.openProject, a.saveAs, a.importFiles, a.recordAudio, a.closeProject, a.quit}},
                {QMainWindow::tr("Edit"), {a.undo, a.redo, a.rename, a.remove, a.find, a.settings}},
                {QMainWindow::tr("Preview"), {a.zoomIn, a.zoomOut, a.fit, a.actualSize}},
                {QMainWindow::tr("Help"), {a.shortcuts}}};
    return a;
}

void refreshActionIcons(const MainActions& a) {
    const QColor c = QApplication::palette().color(QPalette::ButtonText);
    a.newProject->setIcon(themedIcon(QStringLiteral("new-project"), c));
    a.openProject->setIcon(themedIcon(QStringLiteral("open"), c));
    a.importFiles->setIcon(themedIcon(QStringLiteral("import"), c));
    a.undo->setIcon(themedIcon(QStringLiteral("undo"), c));
    a.redo->setIcon(themedIcon(QStringLiteral("redo"), c));
    a.remove->setIcon(themedIcon(QStringLiteral("delete"), c));
    a.zoomIn->setIcon(themedIcon(QStringLiteral("zoom-in"), c));
    a.zoomOut->setIcon(themedIcon(QStringLiteral("zoom-out"), c));
    a.fit->setIcon(themedIcon(QStringLiteral("fit"), c));
    a.settings->setIcon(themedIcon(QStringLiteral("settings"), c));
}

}  // namespace gui
