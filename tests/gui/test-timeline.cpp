// Offscreen tests of the Timeline workspace and the Export dialog (issue 5, GUI): a timeline with
// an image, an audio clip and two subtitle items built through the widgets (gallery drag data
// dropped on the tracks, toolbar actions, inspector fields), exported and checked with ffprobe /
// ffmpeg (streams, duration, subtitle text); a cancelled export leaves no finished-looking file;
// undo/redo of a trim (mouse drag of a clip edge) and of subtitle edits; screenshots.
#include <QAction>
#include <QDir>
#include <QDoubleSpinBox>
#include <QDropEvent>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QMimeData>
#include <QProcess>
#include <QProgressBar>
#include <QPushButton>
#include <QComboBox>
#include <QTemporaryDir>

#include <gtest/gtest.h>

#include "gui-test-util.h"
#include "gui/export/export-dialog.h"
#include "gui/main-window.h"
#include "gui/models/asset-list-model.h"
#include "gui/session/project-session.h"
#include "gui/timeline/timeline-preview.h"
#include "gui/timeline/timeline-view.h"
#include "gui/timeline/timeline-workspace.h"
#include "projects/timeline-store.h"

using guitest::waitFor;

namespace {

class TimelineHooks : public guitest::StubHooks {
public:
    QString exportTarget;
    QString exportPath(QWidget*, const QString&) override { return exportTarget; }
};

QString run(const QString& program, const QStringList& args) {
    QProcess p;
    p.start(program, args);
    if (!p.waitForFinished(60000)) return {};
    return QString::fromUtf8(p.readAllStandardOutput());
}

class TimelineTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(dir.isValid());
        window = std::make_unique<gui::MainWindow>();
        auto h = std::make_unique<TimelineHooks>();
        hooks = h.get();
        window->setDialogHooks(std::move(h));
        window->show();
        ASSERT_TRUE(QTest::qWaitForWindowExposed(window.get()));
        hooks->newPath = dir.filePath(QStringLiteral("Timeline"));
        window->actions().newProject->trigger();
        ASSERT_NE(window->session(), nullptr);
        window->findChild<QAction*>(QStringLiteral("actionShowTimeline"))->trigger();
        tw = window->timelineWorkspace();
        ASSERT_EQ(window->workspaces()->currentWidget(), tw);
    }
    void TearDown() override { window.reset(); }

    // Imports files and waits until the gallery lists them.
    void importFiles(const QStringList& files) {
        ASSERT_TRUE(window->importPaths(files));
        ASSERT_TRUE(waitFor([&] { return window->assetModel()->rowCount() == files.size(); }, 30000));
    }
    // Drops gallery row `row` (its drag data, as the gallery makes it) on track `track` at `ms`.
    void dropAsset(int row, int track, qint64 ms) {
        auto* model = window->assetModel();
        std::unique_ptr<QMimeData> mime(model->mimeData({model->index(row)}));
        ASSERT_TRUE(mime);
        gui::TimelineView* v = tw->view();
        const QPoint at(v->xForMs(ms), v->laneRect(track).center().y());
        QDragEnterEvent enter(at, Qt::CopyAction, mime.get(), Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(v, &enter);
        ASSERT_TRUE(enter.isAccepted());
        QDropEvent drop(at, Qt::CopyAction, mime.get(), Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(v, &drop);
        ASSERT_TRUE(drop.isAccepted());
    }
    atelier::projects::TimelineDoc doc() {
        auto d = atelier::projects::load_timeline(window->session()->project(), tw->timelineUuid().toStdString());
        EXPECT_TRUE(d.ok());
        return d ? *d : atelier::projects::TimelineDoc{};
    }
    // Adds a subtitle at the playhead and types its text in the inspector.
    void addSubtitle(qint64 ms, const QString& text) {
        tw->view()->setPlayheadMs(ms);
        tw->actions().addSubtitle->trigger();
        QLineEdit* e = tw->subtitleTextEdit();
        ASSERT_TRUE(e->isEnabled());
        e->selectAll();
        e->setText(text);
        emit e->editingFinished();
    }
    const atelier::projects::ClipRow* findClip(const atelier::projects::TimelineDoc& d, bool subtitle, const std::string& text = {}) {
        for (const auto& c : d.clips)
            if (c.asset_uuid.empty() == subtitle && (text.empty() || c.text == text)) return &c;
        return nullptr;
    }
    gui::ExportDialog* exportTo(const QString& file, const QString& preset) {
        window->timelineWorkspace()->actions().exportTimeline->trigger();
        auto* dlg = window->findChild<gui::ExportDialog*>();
        if (!dlg) return nullptr;
        dlg->presetCombo()->setCurrentIndex(dlg->presetCombo()->findData(preset));
        hooks->exportTarget = file;
        dlg->browseButton()->click();
        return dlg;
    }

    QTemporaryDir dir;
    std::unique_ptr<gui::MainWindow> window;
    TimelineHooks* hooks = nullptr;
    gui::TimelineWorkspace* tw = nullptr;
};

TEST_F(TimelineTest, BuildExportAndProbe) {
    importFiles({guitest::writeSceneImage(dir.filePath(QStringLiteral("scene.png")), 640, 360, 1),
                 guitest::writeWav(dir.filePath(QStringLiteral("tone.wav")), 3.0)});
    const int imageRow = window->assetModel()->data(window->assetModel()->index(0), gui::AssetListModel::KindRole).toInt() ==
                                 int(atelier::projects::AssetKind::Image) ? 0 : 1;
    dropAsset(imageRow, 0, 0);      // video track
    dropAsset(1 - imageRow, 1, 0);  // audio track
    addSubtitle(0, QStringLiteral("Hello timeline"));
    addSubtitle(2500, QStringLiteral("Second line"));
    auto d = doc();
    ASSERT_EQ(d.clips.size(), 4u);
    ASSERT_TRUE(findClip(d, true, "Hello timeline"));
    ASSERT_TRUE(findClip(d, true, "Second line"));

    tw->view()->setPlayheadMs(1000);
    ASSERT_TRUE(waitFor([&] { return tw->previewRenderer()->rendered() > 0 && !tw->previewRenderer()->busy(); }, 30000));
    ASSERT_FALSE(tw->previewLabel()->pixmap().isNull());
    EXPECT_TRUE(window->grab().save(guitest::artifactDir() + QStringLiteral("/timeline-workspace.png")));

    const QString out = dir.filePath(QStringLiteral("out.mp4"));
    gui::ExportDialog* dlg = exportTo(out, QStringLiteral("720p30"));
    ASSERT_NE(dlg, nullptr);
    EXPECT_EQ(dlg->pathEdit()->text(), out);
    EXPECT_EQ(dlg->durationMs(), 5000);  // the image clip's default 5 s is the last end
    EXPECT_GT(dlg->estimatedBytes(), 0);
    EXPECT_TRUE(dlg->grab().save(guitest::artifactDir() + QStringLiteral("/export-dialog.png")));
    dlg->exportButton()->click();
    ASSERT_TRUE(waitFor([&] { return atelier::job_state_is_final(dlg->jobState()); }, 180000));
    ASSERT_EQ(dlg->jobState(), atelier::JobState::Done) << hooks->errors.join(u'\n').toStdString();
    EXPECT_EQ(dlg->progressBar()->value(), 1000);

    const auto probe = QJsonDocument::fromJson(run(QStringLiteral("ffprobe"), {QStringLiteral("-v"), QStringLiteral("error"),
        QStringLiteral("-show_entries"), QStringLiteral("stream=codec_type,codec_name,width,height:format=duration"),
        QStringLiteral("-of"), QStringLiteral("json"), out}).toUtf8()).object();
    QStringList streams;
    for (const auto& s : probe[QStringLiteral("streams")].toArray())
        streams << s[QStringLiteral("codec_type")].toString() + u':' + s[QStringLiteral("codec_name")].toString();
    streams.sort();
    EXPECT_EQ(streams.join(u' '), QStringLiteral("audio:aac subtitle:mov_text video:h264"));
    const double duration = probe[QStringLiteral("format")][QStringLiteral("duration")].toString().toDouble();
    EXPECT_NEAR(duration, 5.0, 0.1);
    const QString srt = run(QStringLiteral("ffmpeg"), {QStringLiteral("-v"), QStringLiteral("error"), QStringLiteral("-i"), out,
                                                       QStringLiteral("-map"), QStringLiteral("0:s:0"), QStringLiteral("-f"), QStringLiteral("srt"), QStringLiteral("-")});
    EXPECT_TRUE(srt.contains(QStringLiteral("Hello timeline"))) << srt.toStdString();
    EXPECT_TRUE(srt.contains(QStringLiteral("Second line"))) << srt.toStdString();
    EXPECT_TRUE(srt.contains(QStringLiteral("00:00:02,500 -->"))) << srt.toStdString();
}

TEST_F(TimelineTest, CancelledExportLeavesNoFinishedFile) {
    importFiles({guitest::writeSceneImage(dir.filePath(QStringLiteral("scene.png")), 640, 360, 2)});
    dropAsset(0, 0, 0);
    tw->view()->selectClip(QString::fromStdString(doc().clips.at(0).uuid));
    tw->durationEdit()->setValue(600.0);  // ten minutes of 1080p: long enough to cancel midway
    emit tw->durationEdit()->editingFinished();
    ASSERT_EQ(doc().clips.at(0).duration_ms, 600000);
    const QString out = dir.filePath(QStringLiteral("long.mp4"));
    gui::ExportDialog* dlg = exportTo(out, QStringLiteral("1080p30"));
    ASSERT_NE(dlg, nullptr);
    dlg->exportButton()->click();
    ASSERT_TRUE(waitFor([&] { return dlg->progressBar()->value() > 0; }, 60000));
    EXPECT_FALSE(dlg->etaLabel()->text().isEmpty());
    dlg->cancelButton()->click();
    ASSERT_TRUE(waitFor([&] { return atelier::job_state_is_final(dlg->jobState()); }, 30000));
    EXPECT_EQ(dlg->jobState(), atelier::JobState::Cancelled);
    EXPECT_FALSE(QFileInfo::exists(out));
    const QStringList left = QDir(dir.path()).entryList(QDir::Files | QDir::Hidden).filter(QStringLiteral("long"));
    EXPECT_TRUE(left.isEmpty()) << left.join(u' ').toStdString();
}

TEST_F(TimelineTest, UndoRedoTrimAndSubtitleEdits) {
    importFiles({guitest::writeSceneImage(dir.filePath(QStringLiteral("scene.png")), 640, 360, 3)});
    dropAsset(0, 0, 1000);
    auto d = doc();
    ASSERT_EQ(d.clips.size(), 1u);
    const std::string clipUuid = d.clips[0].uuid;
    ASSERT_EQ(d.clips[0].start_ms, 1000);
    ASSERT_EQ(d.clips[0].duration_ms, 5000);

    // Trim: drag the right edge 2 s to the right (at 20 px/s: 40 px, inside the visible part).
    gui::TimelineView* v = tw->view();
    v->setPixelsPerSecond(20.0);
    const QRect r = v->clipRect(QString::fromStdString(clipUuid));
    const QPoint from(r.right() - 1, r.center().y()), to(from.x() + int(2.0 * v->pixelsPerSecond()), from.y());
    QTest::mousePress(v, Qt::LeftButton, Qt::NoModifier, from);
    QTest::mouseMove(v, QPoint(from.x() + 20, from.y()));
    QTest::mouseMove(v, to);
    QTest::mouseRelease(v, Qt::LeftButton, Qt::NoModifier, to);
    EXPECT_EQ(doc().clips.at(0).duration_ms, 7000);
    EXPECT_EQ(doc().clips.at(0).start_ms, 1000);
    window->actions().undo->trigger();
    EXPECT_EQ(doc().clips.at(0).duration_ms, 5000);
    window->actions().redo->trigger();
    EXPECT_EQ(doc().clips.at(0).duration_ms, 7000);

    addSubtitle(500, QStringLiteral("First words"));
    QLineEdit* e = tw->subtitleTextEdit();
    e->setText(QStringLiteral("Changed words"));
    emit e->editingFinished();
    tw->startEdit()->setValue(3.0);
    emit tw->startEdit()->editingFinished();
    auto sub = [&] { return *findClip(doc(), true); };
    EXPECT_EQ(sub().text, "Changed words");
    EXPECT_EQ(sub().start_ms, 3000);
    window->actions().undo->trigger();  // the time edit
    EXPECT_EQ(sub().start_ms, 500);
    EXPECT_EQ(sub().text, "Changed words");
    window->actions().undo->trigger();  // the text edit
    EXPECT_EQ(sub().text, "First words");
    window->actions().redo->trigger();
    EXPECT_EQ(sub().text, "Changed words");
    window->actions().redo->trigger();
    EXPECT_EQ(sub().start_ms, 3000);
    EXPECT_EQ(tw->subtitleTextEdit()->text(), QStringLiteral("Changed words"));  // the inspector follows
}

}  // namespace
