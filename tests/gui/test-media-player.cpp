// Offscreen tests of the MediaPlayer transport (issue 5, GUI audio/video player). The media is
// made by the ffmpeg CLI (testsrc at 10 fps: a frame every 100 ms; a sine), so the frame times
// the player must land on are known independently of our decoder. Frames follow seeks and frame
// steps; keys drive it; playback without a sound device runs on its own clock; a file with
// neither sound nor picture, and a corrupt one, give a message instead of a crash.
#include <QKeyEvent>
#include <QLabel>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QToolButton>

#include <gtest/gtest.h>

#include <fstream>

#include "gui-test-util.h"
#include "gui/player/media-player.h"

using guitest::waitFor;

namespace {

bool ffmpeg(const QStringList& args) {
    QProcess p;
    p.start(QStringLiteral("ffmpeg"), QStringList{"-hide_banner", "-loglevel", "error", "-y"} + args);
    return p.waitForFinished(60000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
}

void press(QWidget* w, int key) {
    QKeyEvent e(QEvent::KeyPress, key, Qt::NoModifier);
    QCoreApplication::sendEvent(w, &e);
}

class MediaPlayerTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(dir.isValid());
        video = dir.filePath(QStringLiteral("clip.mp4"));
        ASSERT_TRUE(ffmpeg({"-f", "lavfi", "-i", "testsrc=size=320x240:rate=10:duration=3", "-pix_fmt", "yuv420p",
                            "-c:v", "libx264", "-g", "10", video}));
    }
    // Waits for the frame whose pts is `ms` (the player shows the last frame with pts <= t).
    static bool frameAt(const gui::MediaPlayer& p, int64_t ms) {
        return waitFor([&] { return p.currentFramePtsMs() == ms && !p.currentFrame().isNull(); }, 20000);
    }
    QTemporaryDir dir;
    QString video;
};

TEST_F(MediaPlayerTest, VideoFramesFollowSeeksAndFrameSteps) {
    gui::MediaPlayer player;
    QSignalSpy frames(&player, &gui::MediaPlayer::frameReady);
    ASSERT_TRUE(player.open({.path = video.toStdString(), .has_audio = false, .has_video = true, .duration_ms = 3000}));
    ASSERT_TRUE(frameAt(player, 0)) << "no first frame; pts " << player.currentFramePtsMs();
    EXPECT_EQ(player.currentFrame().width(), 320);
    EXPECT_GE(frames.count(), 1);

    player.seek(1250);  // testsrc at 10 fps: the frame on screen at 1.25 s is the one at 1.2 s
    ASSERT_TRUE(frameAt(player, 1200)) << "pts " << player.currentFramePtsMs();
    EXPECT_EQ(player.positionMs(), 1250);
    player.stepFrame(+1);
    ASSERT_TRUE(frameAt(player, 1300)) << "pts " << player.currentFramePtsMs();
    player.stepFrame(-1);
    ASSERT_TRUE(frameAt(player, 1200)) << "pts " << player.currentFramePtsMs();
    press(&player, Qt::Key_Period);
    ASSERT_TRUE(frameAt(player, 1300));
    press(&player, Qt::Key_Comma);
    ASSERT_TRUE(frameAt(player, 1200));
    // The picture changes between frames (testsrc draws a moving pattern and a counter).
    player.seek(0);
    ASSERT_TRUE(frameAt(player, 0));
    const QImage first = player.currentFrame();
    player.seek(2000);
    ASSERT_TRUE(frameAt(player, 2000));
    EXPECT_NE(first, player.currentFrame());
}

TEST_F(MediaPlayerTest, KeysSeekAndClampToTheDuration) {
    gui::MediaPlayer player;
    ASSERT_TRUE(player.open({.path = video.toStdString(), .has_audio = false, .has_video = true, .duration_ms = 3000}));
    press(&player, Qt::Key_Right);  // +5 s, clamped to the end
    EXPECT_EQ(player.positionMs(), 3000);
    ASSERT_TRUE(frameAt(player, 2900));  // the last frame of a 3 s clip at 10 fps
    press(&player, Qt::Key_Home);
    EXPECT_EQ(player.positionMs(), 0);
    press(&player, Qt::Key_End);
    EXPECT_EQ(player.positionMs(), 3000);
    press(&player, Qt::Key_Left);
    EXPECT_EQ(player.positionMs(), 0);
    // Clicking the strip seeks proportionally.
    player.resize(600, 60);
    player.show();
    gui::SeekStrip* strip = player.strip();
    ASSERT_TRUE(waitFor([&] { return strip->width() > 100; }));
    const int64_t want = strip->positionForX(strip->width() / 2);
    EXPECT_NEAR(want, 1500, 3000.0 / strip->width() + 1);
    QTest::mouseClick(strip, Qt::LeftButton, Qt::NoModifier, QPoint(strip->width() / 2, strip->height() / 2));
    EXPECT_EQ(player.positionMs(), want);
}

TEST_F(MediaPlayerTest, PlaysToTheEndAndStopsWithOrWithoutASoundDevice) {
    const QString audio = dir.filePath(QStringLiteral("tone.wav"));
    ASSERT_TRUE(ffmpeg({"-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-ar", "16000", audio}));
    gui::MediaPlayer player;
    ASSERT_TRUE(player.open({.path = audio.toStdString(), .has_audio = true, .has_video = false, .duration_ms = 1000}));
    QSignalSpy playing(&player, &gui::MediaPlayer::playingChanged);
    player.play();
    EXPECT_TRUE(player.isPlaying() || player.positionMs() == 1000);
    // Either the sound device played it, or the player said there is none and used its clock.
    EXPECT_TRUE(player.hasSoundDevice() || player.noticeText().contains(QStringLiteral("sound"))) << player.noticeText().toStdString();
    ASSERT_TRUE(waitFor([&] { return !player.isPlaying(); }, 30000)) << "position " << player.positionMs();
    EXPECT_EQ(player.positionMs(), 1000);
    EXPECT_GE(playing.count(), 2);  // started, then stopped at the end
    player.play();                  // from the end: starts again from 0
    EXPECT_TRUE(player.isPlaying() || player.positionMs() == 1000);
    player.pause();
    EXPECT_FALSE(player.isPlaying());
    const int64_t held = player.positionMs();
    QTest::qWait(150);
    EXPECT_EQ(player.positionMs(), held) << "the position moved while paused";
}

TEST_F(MediaPlayerTest, BadSourcesGiveAMessageNotACrash) {
    gui::MediaPlayer player;
    EXPECT_FALSE(player.open({.path = video.toStdString(), .has_audio = false, .has_video = false}));
    EXPECT_FALSE(player.errorText().isEmpty());
    const QString junk = dir.filePath(QStringLiteral("junk.mp4"));
    std::ofstream(junk.toStdString()) << "this is not a video file at all";
    ASSERT_TRUE(player.open({.path = junk.toStdString(), .has_audio = true, .has_video = true, .duration_ms = 1000}));
    ASSERT_TRUE(waitFor([&] { return !player.noticeText().isEmpty(); })) << "no notice for a corrupt file";
    player.play();  // the sound fails too: still no crash, the clock runs
    ASSERT_TRUE(waitFor([&] { return !player.isPlaying(); }, 30000));
    EXPECT_TRUE(player.currentFrame().isNull());
}

}  // namespace
