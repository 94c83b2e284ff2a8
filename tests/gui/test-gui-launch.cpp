// The `atelier` executable end to end: `atelier PATH.atelier` (what a desktop double-click runs)
// opens that project, and `atelier --version` answers without a display. The child's settings
// go to a scratch XDG_CONFIG_HOME; the fact checked is the recent-projects entry the app writes
// there once the project is open (read back with QSettings, not through our code).
#include <QDir>
#include <QProcess>
#include <QSettings>
#include <QTemporaryDir>

#include <gtest/gtest.h>

#include "core/version.h"
#include "gui-test-util.h"
#include "projects/project.h"

TEST(GuiLaunch, VersionWorksWithoutDisplay) {
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("QT_QPA_PLATFORM"));
    env.remove(QStringLiteral("DISPLAY"));
    env.remove(QStringLiteral("WAYLAND_DISPLAY"));
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(ATELIER_GUI_EXE), {QStringLiteral("--version")});
    ASSERT_TRUE(p.waitForFinished(10000));
    EXPECT_EQ(p.exitStatus(), QProcess::NormalExit);
    EXPECT_EQ(p.exitCode(), 0);
    EXPECT_TRUE(p.readAllStandardOutput().contains(ATELIER_VERSION));
}

TEST(GuiLaunch, ProjectPathArgumentOpensIt) {
    QTemporaryDir dir;
    const QString project = dir.filePath(QStringLiteral("double-click.atelier"));
    ASSERT_TRUE(atelier::projects::Project::create(project.toStdString()).ok());
    const QString config = dir.filePath(QStringLiteral("config"));
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), config);
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(ATELIER_GUI_EXE), {project});
    ASSERT_TRUE(p.waitForStarted(10000));
    const QString conf = QDir(config).filePath(QStringLiteral("Atelier/Atelier.conf"));
    const bool opened = guitest::waitFor([&] {
        QSettings s(conf, QSettings::IniFormat);
        return s.value(QStringLiteral("recent/projects")).toStringList().contains(project);
    }, 20000);
    p.kill();
    p.waitForFinished(5000);
    EXPECT_TRUE(opened) << "the app recorded " << project.toStdString() << " as opened; stderr: "
                        << p.readAllStandardError().toStdString();
}
