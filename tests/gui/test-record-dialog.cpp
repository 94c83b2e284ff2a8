// Offscreen test of File > Record Audio… (issue 5, GUI record button) against the ALSA file
// device (ENVIRONMENT.md): capture reads a raw float file we wrote, so the recorded asset's
// samples are known independently (ffmpeg's volumedetect finds the tone's -6 dBFS peak). Record,
// watch the time move, Stop (keeps the take),
// find the asset in the project and the gallery, undo removes it; the device choice is remembered.
#include <QComboBox>
#include <QLabel>
#include <QProcess>
#include <QProgressBar>
#include <QTemporaryDir>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <vector>

#include "gui-test-util.h"
#include "gui/main-window.h"
#include "gui/models/asset-list-model.h"
#include "gui/record/record-dialog.h"
#include "gui/session/project-session.h"

using guitest::waitFor;
namespace fs = std::filesystem;

namespace {

class RecordDialogTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(dir.isValid());
        // A 4 s stereo 48 kHz feed: a 300 Hz tone at 0.5, as raw float32 for the file plugin.
        const QString in = dir.filePath(QStringLiteral("in.raw"));
        std::vector<float> f(48000 * 4 * 2);
        for (size_t i = 0; i < f.size() / 2; ++i) f[2 * i] = f[2 * i + 1] = 0.5f * static_cast<float>(std::sin(2 * M_PI * 300.0 * i / 48000.0));
        std::ofstream(in.toStdString(), std::ios::binary).write(reinterpret_cast<const char*>(f.data()), static_cast<std::streamsize>(f.size() * 4));
        const QString rc = dir.filePath(QStringLiteral("asoundrc"));
        std::ofstream(rc.toStdString()) << "pcm.atelier_test {\n  type file\n  slave { pcm \"null\" }\n  file \""
                                        << dir.filePath(QStringLiteral("out.raw")).toStdString() << "\"\n  infile \""
                                        << in.toStdString() << "\"\n  format \"raw\"\n}\n";
        setenv("ALSA_CONFIG_PATH", ("/usr/share/alsa/alsa.conf:" + rc.toStdString()).c_str(), 1);
        window = std::make_unique<gui::MainWindow>();
        auto hooks = std::make_unique<guitest::StubHooks>();
        ASSERT_TRUE(window->newProjectAt(dir.filePath(QStringLiteral("rec"))));
        window->setDialogHooks(std::move(hooks));
    }
    QTemporaryDir dir;
    std::unique_ptr<gui::MainWindow> window;
};

TEST_F(RecordDialogTest, RecordStopKeepsTheTakeAsAnUndoableAsset) {
    EXPECT_TRUE(window->actions().recordAudio->isEnabled());
    window->actions().recordAudio->trigger();
    auto* dlg = window->findChild<gui::RecordDialog*>();
    ASSERT_NE(dlg, nullptr) << "Record Audio… opened no dialog";
    const int idx = dlg->deviceBox()->findData(QStringLiteral("atelier_test"));
    ASSERT_GE(idx, 0) << "the ALSA test device is not offered";
    dlg->deviceBox()->setCurrentIndex(idx);
    ASSERT_TRUE(dlg->start()) << dlg->statusLabel()->text().toStdString();
    EXPECT_TRUE(dlg->isRecording());
    // The file device is not paced: the whole feed may be read before the first level partial,
    // so the meter's value at any moment is not a fact to test; the recorded samples are.
    ASSERT_TRUE(waitFor([&] { return dlg->elapsedMs() >= 1000; }, 30000)) << "no level partials";
    EXPECT_LE(dlg->levelMeter()->value(), 100);
    dlg->stop();
    ASSERT_TRUE(waitFor([&] { return !dlg->isRecording(); }, 30000));
    const QString uuid = dlg->lastAssetUuid();
    ASSERT_FALSE(uuid.isEmpty()) << dlg->statusLabel()->text().toStdString();
    auto asset = window->session()->project().get_asset(uuid.toStdString());
    ASSERT_TRUE(asset.ok());
    EXPECT_EQ(asset->kind, atelier::projects::AssetKind::Audio);
    EXPECT_EQ(asset->sample_rate_hz, 48000);
    EXPECT_GE(asset->duration_ms, 1000);
    // The take holds the 0.5 tone: ffmpeg's volumedetect finds its peak at -6 dBFS.
    const fs::path file = window->session()->project().asset_file_path(*asset);
    QProcess ff;
    ff.start(QStringLiteral("ffmpeg"), {"-hide_banner", "-nostdin", "-i", QString::fromStdString(file.string()), "-af", "volumedetect", "-f", "null", "-"});
    ASSERT_TRUE(ff.waitForFinished(60000));
    const QString log = QString::fromUtf8(ff.readAllStandardError());
    const int at = log.indexOf(QStringLiteral("max_volume: "));
    ASSERT_GE(at, 0) << log.toStdString();
    const double max_db = log.mid(at + 12).section(QLatin1Char(' '), 0, 0).toDouble();
    EXPECT_NEAR(max_db, -6.0, 0.5) << log.toStdString();
    ASSERT_TRUE(waitFor([&] { return window->assetModel()->rowCount() == 1; }));
    // Undo removes the take; redo brings it back.
    ASSERT_TRUE(window->session()->canUndo());
    ASSERT_TRUE(window->session()->undo().ok());
    EXPECT_FALSE(window->session()->project().get_asset(uuid.toStdString()).ok());
    ASSERT_TRUE(window->session()->redo().ok());
    EXPECT_TRUE(window->session()->project().get_asset(uuid.toStdString()).ok());
    // The device choice is remembered for the next take.
    dlg->close();
    window->actions().recordAudio->trigger();
    auto dialogs = window->findChildren<gui::RecordDialog*>();
    ASSERT_FALSE(dialogs.isEmpty());
    EXPECT_EQ(dialogs.last()->deviceBox()->currentData().toString(), QStringLiteral("atelier_test"));
}

TEST_F(RecordDialogTest, AnUnknownDeviceFailsWithAMessage) {
    gui::RecordDialog dlg(window->session());
    dlg.deviceBox()->addItem(QStringLiteral("nope"), QStringLiteral("no-such-microphone-xyz"));
    dlg.deviceBox()->setCurrentIndex(dlg.deviceBox()->count() - 1);
    ASSERT_TRUE(dlg.start());
    ASSERT_TRUE(waitFor([&] { return !dlg.isRecording(); }, 30000));
    EXPECT_TRUE(dlg.lastAssetUuid().isEmpty());
    EXPECT_TRUE(dlg.statusLabel()->text().contains(QStringLiteral("failed"))) << dlg.statusLabel()->text().toStdString();
    EXPECT_EQ(window->assetModel()->rowCount(), 0);
}

}  // namespace
