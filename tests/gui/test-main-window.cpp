// Offscreen tests of the studio window: create a project through the New action, import through
// the menu and through a drop, see thumbnails, cancel a job from the queue within 200 ms, undo an
// import, rerun an interrupted job. Facts are checked against independent sources: the file's
// SQLite header bytes, the pixel colours and proportions of images Qt wrote itself.
#include <QAction>
#include <QDir>
#include <QDropEvent>
#include <QFile>
#include <QFileInfo>
#include <QLabel>
#include <QListView>
#include <QMimeData>
#include <QTemporaryDir>
#include <QUrl>
#include <QWheelEvent>

#include <gtest/gtest.h>

#include "core/job.h"
#include "gui-test-util.h"
#include "gui/jobs/job-delegate.h"
#include "gui/jobs/job-list-model.h"
#include "gui/jobs/job-queue-panel.h"
#include "gui/gallery/gallery-panel.h"
#include "gui/main-window.h"
#include "gui/models/asset-list-model.h"
#include "gui/preview/image-view.h"
#include "gui/preview/preview-panel.h"
#include "gui/session/project-session.h"
#include "projects/project.h"

using guitest::StubHooks;
using guitest::waitFor;

namespace {

class MainWindowTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(dir.isValid());
        window = std::make_unique<gui::MainWindow>();
        auto h = std::make_unique<StubHooks>();
        hooks = h.get();
        window->setDialogHooks(std::move(h));
        window->show();
        ASSERT_TRUE(QTest::qWaitForWindowExposed(window.get()));
    }
    void TearDown() override { window.reset(); }

    QString path(const QString& name) const { return dir.filePath(name); }

    bool createProject(const QString& name = QStringLiteral("Test")) {
        hooks->newPath = path(name);
        window->actions().newProject->trigger();
        return window->session() != nullptr;
    }

    // Waits for `name` in the gallery with a decoded thumbnail; returns its row or -1.
    int waitForThumbnail(const QString& name) {
        auto* m = window->assetModel();
        int row = -1;
        const bool ok = waitFor([&] {
            row = -1;
            for (int r = 0; r < m->rowCount(); ++r)
                if (m->index(r).data(Qt::DisplayRole).toString() == name) row = r;
            if (row < 0) return false;
            window->gallery()->view()->scrollTo(m->index(row));
            return !m->index(row).data(gui::AssetListModel::ThumbnailRole).value<QPixmap>().isNull();
        });
        return ok ? row : -1;
    }

    void waitForNoActiveJobs() {
        ASSERT_TRUE(waitFor([&] { return window->jobModel()->activeCount() == 0; }));
    }

    QTemporaryDir dir;
    std::unique_ptr<gui::MainWindow> window;
    StubHooks* hooks = nullptr;
};

// Big-endian 32-bit integer at `offset` of the file's SQLite header.
quint32 headerU32(const QString& file, int offset) {
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly)) return 0;
    const QByteArray h = f.read(100);
    if (h.size() < offset + 4) return 0;
    return (quint32(uchar(h[offset])) << 24) | (quint32(uchar(h[offset + 1])) << 16) | (quint32(uchar(h[offset + 2])) << 8) |
           quint32(uchar(h[offset + 3]));
}

}  // namespace

TEST_F(MainWindowTest, NewActionCreatesAtelierFileWithExtension) {
    ASSERT_TRUE(createProject(QStringLiteral("Holiday")));
    const QString file = path(QStringLiteral("Holiday.atelier"));
    ASSERT_TRUE(QFileInfo::exists(file)) << "the New action appends .atelier";
    QFile f(file);
    ASSERT_TRUE(f.open(QIODevice::ReadOnly));
    EXPECT_EQ(f.read(16), QByteArray("SQLite format 3\0", 16));
    f.close();
    EXPECT_EQ(headerU32(file, 68), quint32(0x41544C52)) << "application_id 'ATLR' at header offset 68";
    EXPECT_TRUE(window->windowTitle().contains(QStringLiteral("Holiday")));
    EXPECT_TRUE(window->projectPathLabel()->text().contains(QStringLiteral("Holiday.atelier")));
    EXPECT_EQ(window->assetModel()->rowCount(), 0);
    EXPECT_TRUE(hooks->errors.isEmpty()) << hooks->errors.join(u'\n').toStdString();
}

TEST_F(MainWindowTest, ImportThroughMenuShowsThumbnailWithRightAspect) {
    ASSERT_TRUE(createProject());
    const QString img = guitest::writeTwoToneImage(path(QStringLiteral("wide.png")), 300, 150, Qt::red, Qt::blue);
    ASSERT_FALSE(img.isEmpty());
    hooks->imports = {img};
    window->actions().importFiles->trigger();
    const int row = waitForThumbnail(QStringLiteral("wide.png"));
    ASSERT_GE(row, 0) << "gallery row with a decoded thumbnail";
    const QPixmap pm = window->assetModel()->index(row).data(gui::AssetListModel::ThumbnailRole).value<QPixmap>();
    EXPECT_NEAR(double(pm.width()) / pm.height(), 2.0, 0.05);
    const QImage t = pm.toImage();
    const QColor l = t.pixelColor(t.width() / 8, t.height() / 2), r = t.pixelColor(t.width() * 7 / 8, t.height() / 2);
    EXPECT_GT(l.red(), 200);
    EXPECT_LT(l.blue(), 60);
    EXPECT_GT(r.blue(), 200);
    EXPECT_LT(r.red(), 60);
    EXPECT_TRUE(window->assetCountLabel()->text().contains(u'1'));
}

TEST_F(MainWindowTest, DropImportsFilesAndShowsThumbnail) {
    ASSERT_TRUE(createProject());
    const QString img = guitest::writeTwoToneImage(path(QStringLiteral("tall.png")), 120, 240, Qt::green, Qt::black);
    ASSERT_FALSE(img.isEmpty());
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(img)});
    const QPoint at = window->rect().center();
    QDragEnterEvent enter(at, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(window.get(), &enter);
    EXPECT_TRUE(enter.isAccepted());
    QDropEvent drop(QPointF(at), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(window.get(), &drop);
    EXPECT_TRUE(drop.isAccepted());
    const int row = waitForThumbnail(QStringLiteral("tall.png"));
    ASSERT_GE(row, 0);
    const QPixmap pm = window->assetModel()->index(row).data(gui::AssetListModel::ThumbnailRole).value<QPixmap>();
    EXPECT_NEAR(double(pm.width()) / pm.height(), 0.5, 0.03);
}

TEST_F(MainWindowTest, DropOnNoProjectDoesNotImport) {
    const QString img = guitest::writeTwoToneImage(path(QStringLiteral("x.png")), 10, 10, Qt::red, Qt::red);
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(img)});
    QDropEvent drop(QPointF(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(window.get(), &drop);
    EXPECT_EQ(window->session(), nullptr);
    EXPECT_EQ(window->jobModel()->rowCount(), 0);
}

TEST_F(MainWindowTest, CancelButtonStopsSlowJobWithin200ms) {
    ASSERT_TRUE(createProject());
    const atelier::JobId id = window->session()->submitSleep(10000, QStringLiteral("Slow job"));
    auto* jobs = window->jobModel();
    ASSERT_TRUE(waitFor([&] {
        const int r = jobs->rowOfId(id);
        return r >= 0 && jobs->jobAt(r)->state == atelier::JobState::Running;
    }));
    QListView* view = window->jobQueue()->view();
    const QModelIndex idx = jobs->index(jobs->rowOfId(id));
    view->doItemsLayout();  // a row that changed with the Running state is laid out before it is measured
    view->scrollTo(idx);
    const QRect button = gui::JobDelegate::buttonRect(view->visualRect(idx));
    ASSERT_TRUE(view->viewport()->rect().contains(button)) << "cancel button visible";
    QElapsedTimer clock;
    clock.start();
    QTest::mouseClick(view->viewport(), Qt::LeftButton, Qt::NoModifier, button.center());
    // Right after the click the row says Cancelling (the model marks it when the scheduler took the
    // request): if it still says Running, the click was not taken as the button's.
    const atelier::JobState after_click = jobs->jobAt(jobs->rowOfId(id))->state;
    ASSERT_TRUE(waitFor([&] { return jobs->jobAt(jobs->rowOfId(id))->state == atelier::JobState::Cancelled; }, 5000))
        << "state right after the click: " << atelier::job_state_name(after_click) << ", 5 s later: "
        << atelier::job_state_name(jobs->jobAt(jobs->rowOfId(id))->state) << "; button " << button.x() << "," << button.y()
        << " " << button.width() << "x" << button.height() << " in a " << view->viewport()->width() << "x"
        << view->viewport()->height() << " viewport";
    const qint64 ms = clock.elapsed();
    EXPECT_LT(ms, 200) << "cancel latency from click to Cancelled row: " << ms << " ms";
    // The stored record agrees (independent of the model): the job ended cancelled.
    auto rec = window->session()->project().get_job(jobs->jobAt(jobs->rowOfId(id))->uuid.toStdString());
    ASSERT_TRUE(rec.ok());
    EXPECT_EQ(rec->state, atelier::JobState::Cancelled);
    EXPECT_TRUE(jobs->index(jobs->rowOfId(id)).data(gui::JobListModel::CanRerunRole).toBool());
}

TEST_F(MainWindowTest, UndoImportRemovesGalleryRowAndRedoRestoresIt) {
    ASSERT_TRUE(createProject());
    hooks->imports = {guitest::writeTwoToneImage(path(QStringLiteral("a.png")), 64, 64, Qt::red, Qt::blue),
                      guitest::writeTwoToneImage(path(QStringLiteral("b.png")), 64, 32, Qt::blue, Qt::red)};
    window->actions().importFiles->trigger();
    ASSERT_TRUE(waitFor([&] { return window->assetModel()->rowCount() == 2; }));
    waitForNoActiveJobs();
    QAction* undo = window->actions().undo;
    ASSERT_TRUE(waitFor([&] { return undo->isEnabled(); }));
    EXPECT_TRUE(undo->text().contains(QStringLiteral("Import"))) << undo->text().toStdString();
    EXPECT_TRUE(undo->text().contains(u'2')) << undo->text().toStdString();
    undo->trigger();
    ASSERT_TRUE(waitFor([&] { return window->assetModel()->rowCount() == 0; }));
    auto count = window->session()->project().count_assets();
    ASSERT_TRUE(count.ok());
    EXPECT_EQ(*count, 0);
    ASSERT_TRUE(window->actions().redo->isEnabled());
    window->actions().redo->trigger();
    ASSERT_TRUE(waitFor([&] { return window->assetModel()->rowCount() == 2; }));
}

TEST_F(MainWindowTest, DeleteAndRenameAreUndoable) {
    ASSERT_TRUE(createProject());
    window->importPaths({guitest::writeTwoToneImage(path(QStringLiteral("one.png")), 40, 40, Qt::red, Qt::red)});
    ASSERT_GE(waitForThumbnail(QStringLiteral("one.png")), 0);
    QListView* view = window->gallery()->view();
    view->setCurrentIndex(window->assetModel()->index(0));
    ASSERT_TRUE(window->assetModel()->setData(window->assetModel()->index(0), QStringLiteral("renamed.png"), Qt::EditRole));
    ASSERT_TRUE(waitFor([&] { return window->assetModel()->index(0).data().toString() == "renamed.png"; }));
    const std::string uuid = window->assetModel()->index(0).data(gui::AssetListModel::UuidRole).toString().toStdString();
    EXPECT_EQ(window->session()->project().get_asset(uuid)->name, "renamed.png");
    view->selectionModel()->select(window->assetModel()->index(0), QItemSelectionModel::ClearAndSelect);
    window->actions().remove->trigger();
    ASSERT_TRUE(waitFor([&] { return window->assetModel()->rowCount() == 0; }));
    window->actions().undo->trigger();
    ASSERT_TRUE(waitFor([&] { return window->assetModel()->rowCount() == 1; }));
    window->actions().undo->trigger();  // the rename
    ASSERT_TRUE(waitFor([&] { return window->assetModel()->index(0).data().toString() == "one.png"; }));
}

TEST_F(MainWindowTest, InterruptedJobShowsRerunAndRerunStartsIt) {
    const QString file = path(QStringLiteral("crashed.atelier"));
    {
        // What a process that died mid-job leaves behind: a job row still marked running.
        auto p = atelier::projects::Project::create(file.toStdString());
        ASSERT_TRUE(p.ok()) << p.error().message();
        atelier::projects::JobRecord rec;
        rec.uuid = "0190a000-0000-7000-8000-000000000001";
        rec.kind = "sleep";
        rec.title = "Nap before the crash";
        rec.params_json = R"({"duration_ms":30})";
        rec.state = atelier::JobState::Running;
        ASSERT_TRUE((*p)->upsert_job(rec).ok());
    }
    ASSERT_TRUE(window->openProject(file)) << hooks->errors.join(u'\n').toStdString();
    auto* jobs = window->jobModel();
    const int row = jobs->rowOfUuid(QStringLiteral("0190a000-0000-7000-8000-000000000001"));
    ASSERT_GE(row, 0) << "interrupted job listed on open";
    EXPECT_EQ(jobs->jobAt(row)->state, atelier::JobState::Interrupted);
    EXPECT_TRUE(jobs->index(row).data(gui::JobListModel::CanRerunRole).toBool());
    EXPECT_EQ(jobs->index(row).data(gui::JobListModel::StateTextRole).toString(), QStringLiteral("Interrupted"));
    QListView* view = window->jobQueue()->view();
    const QRect button = gui::JobDelegate::buttonRect(view->visualRect(jobs->index(row)));
    QTest::mouseClick(view->viewport(), Qt::LeftButton, Qt::NoModifier, button.center());
    // The rerun replaces the row with a new job of the same title that runs to Done.
    ASSERT_TRUE(waitFor([&] {
        for (int r = 0; r < jobs->rowCount(); ++r)
            if (jobs->jobAt(r)->title == "Nap before the crash" && jobs->jobAt(r)->state == atelier::JobState::Done)
                return true;
        return false;
    }));
    EXPECT_LT(jobs->rowOfUuid(QStringLiteral("0190a000-0000-7000-8000-000000000001")), 0);
    auto stored = window->session()->project().list_jobs();
    ASSERT_TRUE(stored.ok());
    bool found = false;
    for (const auto& j : *stored) found |= j.rerun_of == "0190a000-0000-7000-8000-000000000001" && j.state == atelier::JobState::Done;
    EXPECT_TRUE(found) << "the stored rerun points at the interrupted job";
}

TEST_F(MainWindowTest, SaveAsSwitchesToTheCopy) {
    ASSERT_TRUE(createProject(QStringLiteral("Orig")));
    window->importPaths({guitest::writeTwoToneImage(path(QStringLiteral("s.png")), 30, 20, Qt::red, Qt::blue)});
    ASSERT_GE(waitForThumbnail(QStringLiteral("s.png")), 0);
    waitForNoActiveJobs();
    hooks->saveAsTarget = path(QStringLiteral("Copy"));
    window->actions().saveAs->trigger();
    ASSERT_TRUE(window->session());
    EXPECT_TRUE(window->session()->path().endsWith(QStringLiteral("Copy.atelier")));
    EXPECT_EQ(headerU32(path(QStringLiteral("Copy.atelier")), 68), quint32(0x41544C52));
    EXPECT_GE(waitForThumbnail(QStringLiteral("s.png")), 0) << "assets travel with Save As";
}

TEST_F(MainWindowTest, FilterByKindAndName) {
    ASSERT_TRUE(createProject());
    window->importPaths({guitest::writeTwoToneImage(path(QStringLiteral("cat.png")), 30, 20, Qt::red, Qt::blue),
                         guitest::writeTwoToneImage(path(QStringLiteral("dog.png")), 30, 20, Qt::blue, Qt::red),
                         guitest::writeWav(path(QStringLiteral("bark.wav")), 0.5)});
    auto* m = window->assetModel();
    ASSERT_TRUE(waitFor([&] { return m->rowCount() == 3; }));
    window->gallery()->setKindFilterIndex(2);  // audio
    ASSERT_EQ(m->rowCount(), 1);
    EXPECT_EQ(m->index(0).data().toString(), QStringLiteral("bark.wav"));
    window->gallery()->setKindFilterIndex(1);  // images
    EXPECT_EQ(m->rowCount(), 2);
    m->setNameFilter(QStringLiteral("DO"));
    ASSERT_EQ(m->rowCount(), 1);
    EXPECT_EQ(m->index(0).data().toString(), QStringLiteral("dog.png"));
    window->gallery()->setKindFilterIndex(0);
    m->setNameFilter(QString());
    EXPECT_EQ(m->rowCount(), 3);
}

TEST_F(MainWindowTest, PreviewZoomFitAndActualSize) {
    ASSERT_TRUE(createProject());
    window->importPaths({guitest::writeTwoToneImage(path(QStringLiteral("big.png")), 1600, 900, Qt::red, Qt::blue)});
    const int row = waitForThumbnail(QStringLiteral("big.png"));
    ASSERT_GE(row, 0);
    window->gallery()->view()->setCurrentIndex(window->assetModel()->index(row));
    ASSERT_TRUE(waitFor([&] { return window->preview()->isFullImageLoaded(); }));
    gui::ImageView* view = window->preview()->imageView();
    EXPECT_EQ(view->imageSize(), QSize(1600, 900)) << "the full-resolution image replaced the thumbnail";
    EXPECT_TRUE(view->isFit());
    const QSize vp = view->viewport()->size();
    EXPECT_LE(view->zoom() * 1600, vp.width() + 1);
    EXPECT_LE(view->zoom() * 900, vp.height() + 1);
    window->actions().actualSize->trigger();
    EXPECT_DOUBLE_EQ(view->zoom(), 1.0);
    EXPECT_FALSE(view->isFit());
    window->actions().zoomIn->trigger();
    EXPECT_NEAR(view->zoom(), 1.25, 1e-9);
    window->actions().zoomOut->trigger();
    window->actions().zoomOut->trigger();
    EXPECT_NEAR(view->zoom(), 0.8, 1e-9);
    QWheelEvent wheel(QPointF(vp.width() / 2.0, vp.height() / 2.0), view->viewport()->mapToGlobal(QPoint(10, 10)),
                      QPoint(), QPoint(0, 120), Qt::NoButton, Qt::ControlModifier, Qt::NoScrollPhase, false);
    QApplication::sendEvent(view->viewport(), &wheel);
    EXPECT_NEAR(view->zoom(), 1.0, 1e-9) << "Ctrl+wheel zooms one step";
    window->actions().fit->trigger();
    EXPECT_TRUE(view->isFit());
    EXPECT_NEAR(view->zoom(), std::min({1.0, (vp.width() - 16) / 1600.0, (vp.height() - 16) / 900.0}), 1e-9);
}

TEST_F(MainWindowTest, OpeningAProjectInUseSaysSo) {
    ASSERT_TRUE(createProject(QStringLiteral("Shared")));
    gui::MainWindow second;
    auto h = std::make_unique<StubHooks>();
    StubHooks* hooks2 = h.get();
    second.setDialogHooks(std::move(h));
    // Project::open refuses a second writer (ProjectBusy); the user reads what to do.
    EXPECT_FALSE(second.openProject(path(QStringLiteral("Shared.atelier"))));
    ASSERT_EQ(hooks2->errors.size(), 1);
    EXPECT_TRUE(hooks2->errors[0].contains(QStringLiteral("in use"))) << hooks2->errors[0].toStdString();
}
