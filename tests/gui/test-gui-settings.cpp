// Offscreen tests of settings, themes, recent projects, error messages and the help dialogs.
// Settings live in a temporary QSettings path set up by the test main (gui-test-util.cpp).
#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QFile>
#include <QLineEdit>
#include <QSettings>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QTableWidget>
#include <QTemporaryDir>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "gui-test-util.h"
#include "gui/app/settings.h"
#include "gui/app/theme.h"
#include "gui/dialogs/info-dialogs.h"
#include "gui/dialogs/settings-dialog.h"
#include "gui/main-window.h"
#include "gui/session/project-session.h"

using guitest::StubHooks;

namespace {

std::unique_ptr<gui::MainWindow> makeWindow(StubHooks** hooks) {
    auto w = std::make_unique<gui::MainWindow>();
    auto h = std::make_unique<StubHooks>();
    *hooks = h.get();
    w->setDialogHooks(std::move(h));
    return w;
}

// An SQLite file with the given application_id / user_version, made with SQLite itself.
bool makeSqliteFile(const QString& path, int appId, int userVersion) {
    sqlite3* db = nullptr;
    if (sqlite3_open(path.toUtf8().constData(), &db) != SQLITE_OK) return false;
    const std::string sql = "CREATE TABLE other(x); PRAGMA application_id=" + std::to_string(appId) +
                            "; PRAGMA user_version=" + std::to_string(userVersion) + ";";
    const bool ok = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK;
    sqlite3_close(db);
    return ok;
}

}  // namespace

TEST(GuiSettings, SettingsDialogValuesPersistAcrossNewWindow) {
    StubHooks* hooks = nullptr;
    auto w1 = makeWindow(&hooks);
    w1->show();
    hooks->folder = QStringLiteral("/tmp/atelier-test-models");
    gui::SettingsDialog* dlg = w1->showSettings();
    ASSERT_NE(dlg, nullptr);
    EXPECT_EQ(dlg->deviceCombo()->count(), 2);
    auto* items = qobject_cast<QStandardItemModel*>(dlg->deviceCombo()->model());
    ASSERT_NE(items, nullptr);
    EXPECT_FALSE(items->item(1)->isEnabled()) << "CUDA is listed but disabled in a CPU-only build";
    EXPECT_EQ(dlg->deviceCombo()->currentData().toString(), QStringLiteral("cpu"));
    EXPECT_EQ(dlg->threadsSpin()->value(), QThread::idealThreadCount()) << "default threads = logical cores";
    dlg->modelsFolderEdit()->setText(hooks->folder);
    dlg->threadsSpin()->setValue(3);
    dlg->themeCombo()->setCurrentIndex(dlg->themeCombo()->findData(QStringLiteral("light")));
    dlg->accept();
    EXPECT_EQ(gui::currentTheme(), gui::Theme::Light);
    w1->resize(1111, 777);
    w1->close();  // saves geometry
    w1.reset();

    // The values are in the settings file itself (read back with a plain QSettings).
    QSettings raw(QSettings::UserScope, QStringLiteral("Atelier"), QStringLiteral("Atelier"));
    EXPECT_EQ(raw.value(QStringLiteral("general/threads")).toInt(), 3);
    EXPECT_EQ(raw.value(QStringLiteral("general/theme")).toString(), QStringLiteral("light"));
    EXPECT_FALSE(raw.value(QStringLiteral("window/geometry")).toByteArray().isEmpty());

    auto w2 = makeWindow(&hooks);
    EXPECT_EQ(w2->settings().threads, 3);
    EXPECT_EQ(w2->settings().theme, gui::Theme::Light);
    EXPECT_EQ(w2->settings().modelsFolder, QStringLiteral("/tmp/atelier-test-models"));
    EXPECT_EQ(w2->size(), QSize(1111, 777)) << "window geometry restored";
    gui::applyTheme(gui::Theme::Dark);
}

TEST(GuiSettings, ThemeSwitchChangesPalette) {
    gui::applyTheme(gui::Theme::Dark);
    const QColor darkWindow = QApplication::palette().color(QPalette::Window);
    EXPECT_LT(darkWindow.lightness(), 80);
    EXPECT_FALSE(qApp->styleSheet().isEmpty());
    const QString darkSheet = qApp->styleSheet();
    gui::applyTheme(gui::Theme::Light);
    const QColor lightWindow = QApplication::palette().color(QPalette::Window);
    EXPECT_GT(lightWindow.lightness(), 200);
    EXPECT_NE(qApp->styleSheet(), darkSheet);
    gui::applyTheme(gui::Theme::Dark);
    EXPECT_EQ(QApplication::palette().color(QPalette::Window), darkWindow);
}

TEST(GuiSettings, DefaultsComeFromPresetsFile) {
    // resources/presets/defaults.json is the independent source of truth for the defaults.
    QFile f(QStringLiteral(ATELIER_TEST_DATA_DIR "/../resources/presets/defaults.json"));
    ASSERT_TRUE(f.open(QIODevice::ReadOnly));
    const QByteArray json = f.readAll();
    const gui::AppSettings d = gui::AppSettings::defaults();
    EXPECT_TRUE(json.contains("\"theme\": \"" + gui::themeKey(d.theme).toUtf8() + "\""));
    EXPECT_TRUE(json.contains("\"device\": \"" + d.device.toUtf8() + "\""));
}

TEST(GuiSettings, RecentProjectsAreMostRecentFirstAndPruned) {
    QTemporaryDir dir;
    StubHooks* hooks = nullptr;
    auto w = makeWindow(&hooks);
    ASSERT_TRUE(w->newProjectAt(dir.filePath(QStringLiteral("one"))));
    ASSERT_TRUE(w->newProjectAt(dir.filePath(QStringLiteral("two"))));
    QStringList recent;
    ASSERT_TRUE(guitest::waitFor([&] {  // the list is written after the project is shown
        recent = gui::recentProjects();
        return recent.size() >= 2 && recent[0].endsWith(QStringLiteral("two.atelier"));
    }));
    EXPECT_TRUE(recent[0].endsWith(QStringLiteral("two.atelier")));
    EXPECT_TRUE(recent[1].endsWith(QStringLiteral("one.atelier")));
    w->closeProject();
    ASSERT_TRUE(QFile::remove(dir.filePath(QStringLiteral("one.atelier"))));
    recent = gui::recentProjects();
    for (const QString& p : recent) EXPECT_FALSE(p.endsWith(QStringLiteral("one.atelier")));
    for (int i = 0; i < 12; ++i) gui::addRecentProject(dir.filePath(QStringLiteral("two.atelier")));
    EXPECT_EQ(gui::recentProjects().count(dir.filePath(QStringLiteral("two.atelier"))), 1) << "no duplicates";
}

TEST(GuiSettings, OpenErrorsExplainWhatToDo) {
    QTemporaryDir dir;
    StubHooks* hooks = nullptr;
    auto w = makeWindow(&hooks);

    const QString text = dir.filePath(QStringLiteral("notes.atelier"));
    QFile f(text);
    ASSERT_TRUE(f.open(QIODevice::WriteOnly));
    f.write("just some text, not a database\n");
    f.close();
    EXPECT_FALSE(w->openProject(text));
    ASSERT_EQ(hooks->errors.size(), 1);
    EXPECT_TRUE(hooks->errors[0].contains(QStringLiteral("not an Atelier project"))) << hooks->errors[0].toStdString();

    const QString newer = dir.filePath(QStringLiteral("future.atelier"));
    ASSERT_TRUE(makeSqliteFile(newer, 0x41544C52, 999));
    EXPECT_FALSE(w->openProject(newer));
    ASSERT_EQ(hooks->errors.size(), 2);
    EXPECT_TRUE(hooks->errors[1].contains(QStringLiteral("newer version"))) << hooks->errors[1].toStdString();
    EXPECT_TRUE(hooks->errors[1].contains(QStringLiteral("Update Atelier"))) << hooks->errors[1].toStdString();

    const QString foreign = dir.filePath(QStringLiteral("other-app.atelier"));
    ASSERT_TRUE(makeSqliteFile(foreign, 0x12345678, 1));
    EXPECT_FALSE(w->openProject(foreign));
    ASSERT_EQ(hooks->errors.size(), 3);
    EXPECT_TRUE(hooks->errors[2].contains(QStringLiteral("not an Atelier project"))) << hooks->errors[2].toStdString();

    EXPECT_FALSE(w->openProject(dir.filePath(QStringLiteral("missing.atelier"))));
    ASSERT_EQ(hooks->errors.size(), 4);
    EXPECT_TRUE(hooks->errors[3].contains(QStringLiteral("not found"))) << hooks->errors[3].toStdString();
    EXPECT_EQ(w->session(), nullptr);
}

TEST(GuiSettings, ShortcutsDialogListsTheWindowShortcuts) {
    StubHooks* hooks = nullptr;
    auto w = makeWindow(&hooks);
    gui::ShortcutsDialog dlg(w->actions().groups);
    QStringList cells;
    for (int r = 0; r < dlg.table()->rowCount(); ++r)
        if (auto* item = dlg.table()->item(r, 1)) cells << item->text();
    const QString all = cells.join(u'|');
    for (const char* key : {"Ctrl+Z", "Ctrl+Shift+Z", "Ctrl+Y", "Ctrl+N", "Ctrl+O", "Ctrl+I", "F2", "Del", "Ctrl+,"})
        EXPECT_TRUE(all.contains(QString::fromLatin1(key))) << key << " in " << all.toStdString();
    // Redo has both bindings the issue asks for.
    EXPECT_TRUE(w->actions().redo->shortcuts().contains(QKeySequence(QStringLiteral("Ctrl+Y"))));
    EXPECT_TRUE(w->actions().redo->shortcuts().contains(QKeySequence(QStringLiteral("Ctrl+Shift+Z"))));
}
