// The Speak workspace (issue 7 §5), offscreen, with the real Piper voice (scripts/fetch-models)
// and the ALSA file device as the sound output (ENVIRONMENT.md; it records what was played).
// Ctrl+Return speaks three sentences (playback starts while the job still runs; what the device
// received is at least the take), Save as Asset stores the take (asset row read by sqlite3, its
// file's duration by ffprobe), Add to Timeline places it at the timeline's playhead (clip read back
// by sqlite3), one sentence is regenerated (the others keep every sample), Esc cancels, and the
// settings come back in a new workspace. Without any voice the workspace says how to get one.
// Without the voice: the voice tests fail under CI and skip elsewhere.
#include <gtest/gtest.h>

#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTreeWidget>

#include <memory>

#include "../pipelines/narration-fixture.h"
#include "../pipelines/test-util.h"
#include "gui-test-util.h"
#include "gui/main-window.h"
#include "gui/session/project-session.h"
#include "gui/speak/speak-workspace.h"
#include "gui/timeline/timeline-workspace.h"
#include "media/subtitle-format.h"

using guitest::waitFor;

namespace {

class SpeakGuiTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(dir.isValid());
        played = dir.filePath(QStringLiteral("played.raw"));
        atelier::test::write_file(dir.filePath(QStringLiteral("asoundrc")).toStdString(),
                                  "pcm.atelier_test {\n  type file\n  slave { pcm \"null\" }\n  file \"" + played.toStdString() +
                                      "\"\n  infile \"/dev/zero\"\n  format \"raw\"\n}\n");
        qputenv("ALSA_CONFIG_PATH", ("/usr/share/alsa/alsa.conf:" + dir.filePath(QStringLiteral("asoundrc"))).toUtf8());
    }

    void openWindow() {
        window = std::make_unique<gui::MainWindow>();
        auto h = std::make_unique<guitest::StubHooks>();
        hooks = h.get();
        window->setDialogHooks(std::move(h));
        window->show();
        ASSERT_TRUE(QTest::qWaitForWindowExposed(window.get()));
        hooks->newPath = dir.filePath(QStringLiteral("Narrated"));
        window->actions().newProject->trigger();
        ASSERT_NE(window->session(), nullptr);
        window->findChild<QAction*>(QStringLiteral("actionShowSpeak"))->trigger();
        ws = window->speakWorkspace();
        ASSERT_EQ(window->workspaces()->currentWidget(), ws);
        ws->setOutputDevice(QStringLiteral("atelier_test"));
    }

    // Waits for the running job; true when it ended done.
    bool finish(int timeoutMs = 180000) {
        bool ok = false, ended = false;
        auto c = QObject::connect(ws, &gui::SpeakWorkspace::jobFinished, [&](bool done) { ok = done, ended = true; });
        waitFor([&] { return ended || !ws->isRunning(); }, timeoutMs);
        QObject::disconnect(c);
        return ended ? ok : false;
    }

    std::string sql(const std::string& q) {
        return atelier::test::sqlite_value(window->session()->path().toStdString(), q);
    }

    QTemporaryDir dir;
    QString played;
    std::unique_ptr<gui::MainWindow> window;
    guitest::StubHooks* hooks = nullptr;
    gui::SpeakWorkspace* ws = nullptr;
};

TEST_F(SpeakGuiTest, SpeakSaveAddToTimelineAndRegenerateASentence) {
    REQUIRE_JOE();
    openWindow();
    const int joe = ws->voiceBox()->findText(QStringLiteral("piper-joe"));
    ASSERT_GE(joe, 0) << "the voice picker lists the fetched voice";
    ws->voiceBox()->setCurrentIndex(joe);
    ws->speedBox()->setValue(1.1);
    ws->pauseBox()->setValue(0.25);
    ws->textEdit()->setPlainText(QStringLiteral("Welcome to the harbour tour. The boats leave at nine. "
                                               "Please keep your tickets ready, stay seated while we sail, and wait until the boat has come "
                                               "to a complete stop at the pier before you stand up."));
    ws->textEdit()->setFocus();
    QTest::keyClick(ws->textEdit(), Qt::Key_Return, Qt::ControlModifier);
    ASSERT_TRUE(ws->isRunning()) << "Ctrl+Return speaks: " << ws->statusLabel()->text().toStdString();
    bool playedWhileRunning = false;
    waitFor([&] {
        if (ws->isRunning() && ws->playedMs() > 0) playedWhileRunning = true;
        return !ws->isRunning();
    }, 180000);
    ASSERT_NE(ws->take(), nullptr) << ws->statusLabel()->text().toStdString();
    const atelier::pipelines::NarrationTake before = *ws->take();
    ASSERT_EQ(before.sentences.size(), 3u);
    EXPECT_EQ(ws->sentenceList()->topLevelItemCount(), 3);
    EXPECT_EQ(ws->sentenceList()->topLevelItem(1)->text(1), QStringLiteral("The boats leave at nine."));
    EXPECT_FLOAT_EQ(before.sentences[0].speed, 1.1f);
    EXPECT_TRUE(playedWhileRunning) << "the first sentence plays while the rest is synthesised";
    // Everything reached the device (mono frames of at least 16 bits each).
    ASSERT_TRUE(waitFor([&] { return !ws->isPlaying(); }, 60000));
    EXPECT_GE(QFileInfo(played).size(), before.total_samples() * 2) << played.toStdString();
    EXPECT_EQ(QSettings().value(QStringLiteral("speak/speed")).toDouble(), 1.1);

    // Save as Asset: the take itself (no new synthesis), checked in the project file.
    ws->findChild<QPushButton*>(QStringLiteral("speakSave"))->click();
    ASSERT_TRUE(finish()) << ws->statusLabel()->text().toStdString();
    const std::string asset = ws->lastAssetUuid().toStdString();
    ASSERT_FALSE(asset.empty());
    EXPECT_EQ(sql("SELECT kind FROM assets WHERE uuid='" + asset + "'"), "audio");
    const QString media = QFileInfo(window->session()->path()).absolutePath() + QLatin1Char('/') +
                          QFileInfo(window->session()->path()).completeBaseName() + QStringLiteral(".atelier-media/");
    const std::string file = media.toStdString() + sql("SELECT rel_path FROM assets WHERE uuid='" + asset + "'");
    const double seconds = std::stod("0" + atelier::test::ffprobe_value(file, "stream=duration", "a:0"));
    EXPECT_NEAR(seconds, double(before.total_samples()) / before.sample_rate_hz, 0.001) << file;
    EXPECT_EQ(sql("SELECT count(*) FROM generations WHERE kind='speak'"), "1");
    EXPECT_TRUE(window->session()->canUndo());

    // Add to Timeline at the playhead: a clip of the take's length on the Narration track.
    window->timelineWorkspace()->view()->setPlayheadMs(1500);
    ws->placementBox()->setCurrentIndex(ws->placementBox()->findData(QStringLiteral("playhead")));
    ws->findChild<QPushButton*>(QStringLiteral("speakToTimeline"))->click();
    ASSERT_TRUE(finish()) << ws->statusLabel()->text().toStdString();
    const std::string clip = ws->lastClipUuid().toStdString();
    ASSERT_FALSE(clip.empty());
    EXPECT_EQ(sql("SELECT start_ms FROM clips WHERE uuid='" + clip + "'"), "1500");
    EXPECT_EQ(sql("SELECT duration_ms FROM clips WHERE uuid='" + clip + "'"), std::to_string(before.total_ms()));
    EXPECT_EQ(sql("SELECT asset_uuid FROM clips WHERE uuid='" + clip + "'"), asset) << "the same content is the same asset";
    EXPECT_EQ(sql("SELECT t.name FROM clips c JOIN tracks t ON t.uuid = c.track_uuid WHERE c.uuid='" + clip + "'"), "Narration");

    // Regenerate the middle sentence: only it changes.
    ws->sentenceList()->setCurrentItem(ws->sentenceList()->topLevelItem(1));
    ws->findChild<QPushButton*>(QStringLiteral("speakRegenerate"))->click();
    ASSERT_TRUE(ws->isRunning());
    ASSERT_TRUE(finish()) << ws->statusLabel()->text().toStdString();
    const auto& after = *ws->take();
    EXPECT_EQ(after.sentences[0].audio, before.sentences[0].audio);
    EXPECT_EQ(after.sentences[2].audio, before.sentences[2].audio);
    EXPECT_NE(after.sentences[1].audio, before.sentences[1].audio);
    EXPECT_NE(after.sentences[1].seed, before.sentences[1].seed);
    const QString shown = ws->sentenceList()->topLevelItem(2)->text(0);
    EXPECT_TRUE(shown.startsWith(QString::fromStdString(atelier::media::format_timestamp(after.start_ms(2), '.')))) << shown.toStdString();
    // The regenerated take saves as a new asset.
    ws->findChild<QPushButton*>(QStringLiteral("speakSave"))->click();
    ASSERT_TRUE(finish());
    EXPECT_NE(ws->lastAssetUuid().toStdString(), asset);
    EXPECT_EQ(sql("SELECT count(*) FROM assets WHERE kind='audio'"), "2");
    window->grab().save(guitest::artifactDir() + QStringLiteral("/speak-workspace.png"));
}

TEST_F(SpeakGuiTest, EscapeCancelsAndSettingsAreRemembered) {
    REQUIRE_JOE();
    openWindow();
    ws->voiceBox()->setCurrentIndex(ws->voiceBox()->findText(QStringLiteral("piper-joe")));
    ws->speedBox()->setValue(0.8);
    ws->pauseBox()->setValue(0.6);
    QString text;
    for (int i = 0; i < 12; ++i) text += QStringLiteral("This is sentence number %1 of a long reading. ").arg(i + 1);
    ws->textEdit()->setPlainText(text);
    ws->textEdit()->setFocus();
    QTest::keyClick(ws->textEdit(), Qt::Key_Return, Qt::ControlModifier);
    ASSERT_TRUE(ws->isRunning());
    QTest::keyClick(ws->textEdit(), Qt::Key_Escape);
    EXPECT_FALSE(finish()) << "cancelled";
    EXPECT_EQ(ws->statusLabel()->text(), QStringLiteral("Stopped."));
    EXPECT_EQ(ws->take(), nullptr);
    gui::SpeakWorkspace second;
    EXPECT_EQ(second.voiceBox()->currentText(), QStringLiteral("piper-joe"));
    EXPECT_DOUBLE_EQ(second.speedBox()->value(), 0.8);
    EXPECT_DOUBLE_EQ(second.pauseBox()->value(), 0.6);
}

TEST_F(SpeakGuiTest, WithoutAVoiceItSaysWhereToGetOne) {
    const QByteArray old = qgetenv("ATELIER_MODEL_CACHE");
    QDir().mkpath(dir.filePath(QStringLiteral("empty-cache")));
    qputenv("ATELIER_MODEL_CACHE", dir.filePath(QStringLiteral("empty-cache")).toUtf8());
    openWindow();
    EXPECT_EQ(ws->voiceBox()->count(), 0);
    EXPECT_TRUE(ws->statusLabel()->text().contains(QStringLiteral("scripts/fetch-models"))) << ws->statusLabel()->text().toStdString();
    ws->textEdit()->setPlainText(QStringLiteral("Hello."));
    EXPECT_FALSE(ws->findChild<QPushButton*>(QStringLiteral("speakPlay"))->isEnabled());
    EXPECT_FALSE(ws->speak());
    EXPECT_FALSE(ws->isRunning());
    if (old.isEmpty()) qunsetenv("ATELIER_MODEL_CACHE");
    else qputenv("ATELIER_MODEL_CACHE", old);
}

}  // namespace
