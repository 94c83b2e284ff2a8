// Offscreen tests of the Transcribe workspace (issue 6 §6) with the stand-in recogniser that
// reads tone bursts (tests/pipelines/fake-recogniser.h): files are transcribed through the
// widgets, segments appear while the job runs, the editor highlights the word under the playhead,
// a click on a word seeks there, a word edit is saved and undone through the main window's Undo,
// low-confidence words are marked, exports are read back by ffprobe/ffmpeg, "To Timeline" puts the
// segments on the subtitle track, choices are remembered, a file without sound fails clearly, and
// the microphone (ALSA file device) shows live captions and keeps its take. Screenshots are saved.
#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QRadioButton>
#include <QSettings>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTextCursor>
#include <QTextEdit>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fake-recogniser.h"
#include "gui-test-util.h"
#include "gui/main-window.h"
#include "gui/session/project-session.h"
#include "gui/transcribe/transcribe-workspace.h"
#include "gui/transcribe/transcript-editor.h"
#include "pipelines/demo-media.h"
#include "projects/transcript-store.h"
#include "transcribe-fixture.h"

using guitest::waitFor;

namespace {

class TranscribeHooks : public guitest::StubHooks {
public:
    QString exportTarget;
    QString exportPath(QWidget*, const QString&) override { return exportTarget; }
};

class TranscribeGuiTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(dir.isValid());
        // The ALSA file device for the microphone test (harmless for the others).
        raw = dir.filePath(QStringLiteral("mic.raw")).toStdString();
        atelier::test::write_file(dir.filePath(QStringLiteral("asoundrc")).toStdString(),
                                  "pcm.atelier_test {\n  type file\n  slave { pcm \"null\" }\n  file \"" +
                                      dir.filePath(QStringLiteral("out.raw")).toStdString() + "\"\n  infile \"" + raw +
                                      "\"\n  format \"raw\"\n}\n");
        qputenv("ALSA_CONFIG_PATH", ("/usr/share/alsa/alsa.conf:" + dir.filePath(QStringLiteral("asoundrc"))).toUtf8());
        window = std::make_unique<gui::MainWindow>();
        auto h = std::make_unique<TranscribeHooks>();
        hooks = h.get();
        window->setDialogHooks(std::move(h));
        window->show();
        ASSERT_TRUE(QTest::qWaitForWindowExposed(window.get()));
        hooks->newPath = dir.filePath(QStringLiteral("Talk"));
        window->actions().newProject->trigger();
        ASSERT_NE(window->session(), nullptr);
        window->findChild<QAction*>(QStringLiteral("actionShowTranscribe"))->trigger();
        ws = window->transcribeWorkspace();
        ASSERT_EQ(window->workspaces()->currentWidget(), ws);
        ws->setRecogniserLoader(atelier::test::fake_loader({.segment_delay_ms = 150}));
        ws->modelBox()->setCurrentText(QStringLiteral("fake-model"));
        wav = dir.filePath(QStringLiteral("bursts.wav"));
        atelier::test::write_burst_wav(wav.toStdString(), 44100, 1);
    }
    void TearDown() override { window.reset(); }

    std::string sql(const std::string& q) { return atelier::test::sqlite_value(window->session()->path().toStdString(), q); }

    // Transcribes wav through the widgets; segments must show while the job still runs.
    void transcribeWav() {
        ws->addFiles({wav});
        ws->wordTimestampsBox()->setChecked(true);
        ASSERT_TRUE(ws->start());
        ASSERT_TRUE(waitFor([&] { return ws->segmentList()->count() >= 1; }, 20000));
        EXPECT_TRUE(ws->isRunning()) << "the first segment should show before the job ends";
        ASSERT_TRUE(waitFor([&] { return !ws->isRunning(); }, 30000)) << ws->statusLabel()->text().toStdString();
        ASSERT_EQ(ws->segmentList()->count(), int(atelier::test::kBursts.size()));
        ASSERT_FALSE(ws->editor()->transcriptUuid().isEmpty()) << ws->statusLabel()->text().toStdString();
    }

    QTemporaryDir dir;
    std::unique_ptr<gui::MainWindow> window;
    TranscribeHooks* hooks = nullptr;
    gui::TranscribeWorkspace* ws = nullptr;
    QString wav;
    std::string raw;
};

TEST_F(TranscribeGuiTest, EditorFollowsPlaybackSeeksAndEditsWithUndo) {
    transcribeWav();
    gui::TranscriptEditor* ed = ws->editor();
    const auto& units = ed->units();
    ASSERT_EQ(units.size(), 6u);  // two words per burst
    EXPECT_EQ(ed->lowConfidenceCount(), 3);
    for (const auto& u : units) {  // the second word of each burst has probability 0.4
        QTextCursor c(ed->textView()->document());
        c.setPosition(u.from + 1);
        const bool marked = c.charFormat().underlineStyle() == QTextCharFormat::WaveUnderline;
        EXPECT_EQ(marked, u.word == 1) << u.segment << "/" << u.word;
        if (u.word == 1) {
            EXPECT_EQ(c.charFormat().toolTip(), QStringLiteral("Low confidence: 40%"));
        }
    }
    // The word under the playhead is highlighted; between bursts nothing is.
    ed->setPlayheadMs(2600);
    ASSERT_GE(ed->currentUnit(), 0);
    EXPECT_EQ(units[size_t(ed->currentUnit())].segment, 1);
    EXPECT_EQ(units[size_t(ed->currentUnit())].word, 0);
    EXPECT_FALSE(ed->textView()->extraSelections().isEmpty());
    ed->setPlayheadMs(2000);
    EXPECT_EQ(ed->currentUnit(), -1);
    // Clicking a word seeks to its start and selects it for editing.
    const QRect r = ed->unitRect(3);
    ASSERT_TRUE(r.isValid());
    QTest::mouseClick(ed->textView()->viewport(), Qt::LeftButton, Qt::NoModifier, r.center());
    EXPECT_EQ(ed->selectedUnit(), 3);
    EXPECT_EQ(ws->positionMs(), units[3].startMs);
    EXPECT_EQ(ed->wordEdit()->text(), QStringLiteral("880"));
    // A word edit is stored (the segment text follows) and undone by the main window's Undo.
    const std::string seg = ed->document().segments[1].uuid;
    ed->wordEdit()->setText(QStringLiteral("eight-eighty"));
    emit ed->wordEdit()->editingFinished();
    EXPECT_EQ(sql("SELECT text FROM transcript_segments WHERE uuid='" + seg + "'"), "tone eight-eighty");
    ASSERT_TRUE(waitFor([&] { return ed->textView()->toPlainText().contains(QStringLiteral("eight-eighty")); }));
    window->actions().undo->trigger();
    EXPECT_EQ(sql("SELECT text FROM transcript_segments WHERE uuid='" + seg + "'"), " tone 880");
    EXPECT_FALSE(ed->textView()->toPlainText().contains(QStringLiteral("eight-eighty")));
    // Playback (a sound device, or a steady clock without one) moves the playhead and the
    // highlight follows it.
    ws->seek(300);
    EXPECT_EQ(ed->currentUnit(), -1);
    ws->play();
    ASSERT_TRUE(waitFor([&] { return ws->positionMs() >= 520; }, 5000)) << ws->positionMs();
    ws->pause();
    EXPECT_EQ(ed->currentUnit(), ed->unitAt(ws->positionMs()));
    ws->seek(units[4].startMs + 10);
    EXPECT_EQ(ed->currentUnit(), 4);
    window->grab().save(guitest::artifactDir() + QStringLiteral("/transcribe-editor.png"));
}

TEST_F(TranscribeGuiTest, ExportsTimelineAndRememberedChoices) {
    ws->languageBox()->setCurrentIndex(ws->languageBox()->findData(QStringLiteral("en")));
    ws->taskBox()->setCurrentIndex(ws->taskBox()->findData(QStringLiteral("translate")));
    transcribeWav();
    EXPECT_EQ(sql("SELECT json_extract(params_json, '$.task') || ',' || json_extract(params_json, '$.language') FROM generations"),
              "translate,en");
    hooks->exportTarget = dir.filePath(QStringLiteral("talk.srt"));
    ws->findChild<QPushButton*>(QStringLiteral("export_srt"))->click();
    const std::string srt = hooks->exportTarget.toStdString();
    EXPECT_EQ(atelier::test::ffprobe_value(srt, "stream=codec_name", "s:0"), "subrip");
    const std::string text =
        atelier::test::run_capture("ffmpeg -v error -nostdin -i " + atelier::test::shell_quote(srt) + " -f webvtt -");
    EXPECT_NE(text.find("tone 660"), std::string::npos) << text;
    hooks->exportTarget = dir.filePath(QStringLiteral("talk.json"));
    ws->findChild<QPushButton*>(QStringLiteral("export_json"))->click();
    const auto j = nlohmann::json::parse(atelier::test::read_file(hooks->exportTarget.toStdString()), nullptr, false);
    ASSERT_FALSE(j.is_discarded());
    EXPECT_EQ(j["segments"].size(), atelier::test::kBursts.size());
    EXPECT_EQ(j["segments"][0]["words"].size(), 2u);
    // To Timeline: one subtitle item per segment; undo takes them away.
    ASSERT_TRUE(ws->toTimeline());
    EXPECT_EQ(sql("SELECT count(*) FROM clips c JOIN tracks t ON t.uuid = c.track_uuid WHERE t.kind = 'subtitle'"), "3");
    window->actions().undo->trigger();
    EXPECT_EQ(sql("SELECT count(*) FROM clips"), "0");
    // The choices are remembered for the next workspace, which lists the Whisper models of the
    // model cache (and not the others).
    QTemporaryDir cache;
    QDir(cache.path()).mkpath(QStringLiteral("whisper-tiny"));
    QDir(cache.path()).mkpath(QStringLiteral("llama-1b"));
    atelier::test::write_file((cache.path() + QStringLiteral("/whisper-tiny/config.json")).toStdString(), R"({"model_type": "whisper"})");
    atelier::test::write_file((cache.path() + QStringLiteral("/llama-1b/config.json")).toStdString(), R"({"model_type": "llama"})");
    qputenv("ATELIER_MODEL_CACHE", cache.path().toUtf8());
    gui::TranscribeWorkspace other;
    qunsetenv("ATELIER_MODEL_CACHE");
    EXPECT_GE(other.modelBox()->findText(cache.path() + QStringLiteral("/whisper-tiny")), 0);
    EXPECT_LT(other.modelBox()->findText(cache.path() + QStringLiteral("/llama-1b")), 0);
    EXPECT_EQ(other.modelBox()->currentText(), QStringLiteral("fake-model"));
    EXPECT_EQ(other.languageBox()->currentData().toString(), QStringLiteral("en"));
    EXPECT_EQ(other.taskBox()->currentData().toString(), QStringLiteral("translate"));
    EXPECT_TRUE(other.wordTimestampsBox()->isChecked());
}

TEST_F(TranscribeGuiTest, FileWithoutSoundFailsClearly) {
    const QString mute = dir.filePath(QStringLiteral("mute.mp4"));
    ASSERT_TRUE(atelier::pipelines::demo::make_test_video(mute.toStdString(), 800, 160, 120, false).ok());
    ws->addFiles({mute});
    ASSERT_TRUE(ws->start());
    ASSERT_TRUE(waitFor([&] { return !ws->isRunning(); }, 30000));
    EXPECT_TRUE(ws->statusLabel()->text().contains(QStringLiteral("Failed"))) << ws->statusLabel()->text().toStdString();
    EXPECT_TRUE(ws->statusLabel()->text().contains(QStringLiteral("no sound"))) << ws->statusLabel()->text().toStdString();
    EXPECT_EQ(ws->transcriptPicker()->count(), 0);
    // Without a stand-in, a model that is not Whisper is refused before any job starts.
    ws->setRecogniserLoader({});
    ws->modelBox()->setCurrentText(dir.path());
    EXPECT_FALSE(ws->start());
    EXPECT_FALSE(ws->statusLabel()->text().isEmpty());
}

TEST_F(TranscribeGuiTest, MicrophoneShowsLiveCaptionsAndKeepsTheTake) {
    const std::vector<atelier::test::Burst> bursts = {{200, 900, 440}, {1500, 2200, 880}};
    const std::vector<float> feed = atelier::test::burst_samples(48000, 1, bursts, 3000);
    atelier::test::write_file(raw, std::string(reinterpret_cast<const char*>(feed.data()), feed.size() * sizeof(float)));
    ws->microphoneButton()->setChecked(true);
    ws->deviceBox()->setCurrentText(QStringLiteral("atelier_test"));
    ASSERT_TRUE(ws->start());
    ASSERT_TRUE(waitFor([&] { return ws->liveCaptions()->text().contains(QStringLiteral("tone 880")) || !ws->isRunning(); }, 30000));
    ASSERT_TRUE(ws->isRunning()) << ws->statusLabel()->text().toStdString();
    EXPECT_TRUE(ws->liveCaptions()->text().contains(QStringLiteral("tone 440"))) << ws->liveCaptions()->text().toStdString();
    window->grab().save(guitest::artifactDir() + QStringLiteral("/transcribe-live.png"));
    ws->stop();
    ASSERT_TRUE(waitFor([&] { return !ws->isRunning(); }, 30000));
    ASSERT_EQ(ws->transcriptPicker()->count(), 1) << ws->statusLabel()->text().toStdString();
    EXPECT_EQ(sql("SELECT json_extract(params_json, '$.source') FROM generations"), "microphone");
    EXPECT_GE(std::stoi(sql("SELECT count(*) FROM transcript_segments")), 2);
}

}  // namespace
