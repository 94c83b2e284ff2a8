// Screenshots of the studio window (test artifacts under <build>/test-artifacts/): the welcome
// state, and a populated project in the dark (default) and light themes. The test fails if the
// window cannot be rendered or the files cannot be written; looking at them is for people.
#include <QAction>
#include <QDir>
#include <QImage>
#include <QListView>
#include <QTemporaryDir>

#include <gtest/gtest.h>

#include "gui-test-util.h"
#include "gui/app/theme.h"
#include "gui/gallery/gallery-panel.h"
#include "gui/jobs/job-list-model.h"
#include "gui/main-window.h"
#include "gui/models/asset-list-model.h"
#include "gui/preview/preview-panel.h"
#include "gui/session/project-session.h"

using guitest::waitFor;

namespace {

bool saveShot(QWidget* w, const QString& name) {
    QTest::qWait(50);  // let queued layout and paint settle
    const QPixmap shot = w->grab();
    const QString file = QDir(guitest::artifactDir()).filePath(name);
    return !shot.isNull() && shot.save(file) && !QImage(file).isNull();
}

}  // namespace

TEST(GuiScreenshots, WelcomeAndPopulatedProjectInBothThemes) {
    QTemporaryDir dir;
    gui::applyTheme(gui::Theme::Dark);
    gui::MainWindow w;
    auto hooks = std::make_unique<guitest::StubHooks>();
    w.setDialogHooks(std::move(hooks));
    w.resize(1360, 860);
    w.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&w));
    ASSERT_TRUE(saveShot(&w, QStringLiteral("welcome.png")));

    ASSERT_TRUE(w.newProjectAt(dir.filePath(QStringLiteral("Field Notes"))));
    ASSERT_TRUE(saveShot(&w, QStringLiteral("empty-project.png")));
    QStringList files;
    const QSize sizes[] = {{960, 640}, {800, 800}, {1200, 675}, {640, 900}, {1024, 683}};
    for (int i = 0; i < 5; ++i)
        files << guitest::writeSceneImage(dir.filePath(QStringLiteral("scene-%1.png").arg(i + 1)), sizes[i].width(),
                                          sizes[i].height(), i);
    files << guitest::writeWav(dir.filePath(QStringLiteral("field-recording.wav")), 3.0);
    ASSERT_TRUE(w.importPaths(files));
    auto* m = w.assetModel();
    ASSERT_TRUE(waitFor([&] { return m->rowCount() == 6 && w.jobModel()->activeCount() == 0; }));
    ASSERT_TRUE(waitFor([&] {
        for (int r = 0; r < m->rowCount(); ++r)
            if (m->index(r).data(gui::AssetListModel::ThumbnailPendingRole).toBool()) return false;
        return true;
    }));
    int scene = -1;
    for (int r = 0; r < m->rowCount(); ++r)
        if (m->index(r).data().toString() == QStringLiteral("scene-3.png")) scene = r;
    ASSERT_GE(scene, 0);
    w.gallery()->view()->setCurrentIndex(m->index(scene));
    ASSERT_TRUE(waitFor([&] { return w.preview()->isFullImageLoaded(); }));
    w.session()->submitSleep(60000, QStringLiteral("Example: a long task"));
    ASSERT_TRUE(waitFor([&] {
        return w.jobModel()->rowCount() == 2 &&
               w.jobModel()->jobAt(1)->state == atelier::JobState::Running && w.jobModel()->jobAt(1)->fraction > 0;
    }));
    ASSERT_TRUE(saveShot(&w, QStringLiteral("main-window.png")));
    ASSERT_TRUE(saveShot(&w, QStringLiteral("main-window-dark.png")));
    gui::applyTheme(gui::Theme::Light);
    ASSERT_TRUE(waitFor([&] {
        for (int r = 0; r < m->rowCount(); ++r)
            if (m->index(r).data(gui::AssetListModel::ThumbnailPendingRole).toBool()) return false;
        return true;
    }));
    ASSERT_TRUE(saveShot(&w, QStringLiteral("main-window-light.png")));
    gui::applyTheme(gui::Theme::Dark);
}
