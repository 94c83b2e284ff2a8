// `media devices|play|record` and `project record` (issue 5 §3, §7), run as a user would, against
// the ALSA file device (ENVIRONMENT.md) set up through ALSA_CONFIG_PATH, which the CLI inherits.
// Lengths come from ffprobe, project rows from the sqlite3 shell, played samples from the device's
// output file.
#include <cstring>
#include <random>

#include <nlohmann/json.hpp>

#include "../pipelines/test-util.h"
#include "cli-run.h"
#include "pipelines/demo-media.h"
#include "pipelines/studio.h"

namespace atelier::test {
namespace {

using nlohmann::json;

class CliSoundTest : public ::testing::Test {
protected:
    void SetUp() override {
        // pcm.atelier_test: the ALSA file plugin over the null PCM; capture reads in.raw.
        std::ofstream(dir_ / "asoundrc") << "pcm.atelier_test {\n  type file\n  slave { pcm \"null\" }\n  file \""
                                         << out_raw().string() << "\"\n  infile \"" << (dir_ / "in.raw").string()
                                         << "\"\n  format \"raw\"\n}\n";
        setenv("ALSA_CONFIG_PATH", ("/usr/share/alsa/alsa.conf:" + (dir_ / "asoundrc").string()).c_str(), 1);
        std::vector<float> in(2 * 48000 * 2);  // 2 s of stereo noise k/32768 for capture
        std::mt19937 rng(7);
        for (auto& x : in) x = static_cast<float>(static_cast<int>(rng() % 60000) - 30000) / 32768.0f;
        std::ofstream(dir_ / "in.raw", std::ios::binary).write(reinterpret_cast<const char*>(in.data()), static_cast<std::streamsize>(in.size() * 4));
    }
    fs::path out_raw() const { return dir_ / "out.raw"; }

    TempDir dir_;
};

TEST_F(CliSoundTest, DevicesJsonListsTheFileDevice) {
    const CliRun r = run_cli({"media", "devices", "--json"});
    ASSERT_EQ(r.code, 0) << r.err;
    const json j = r.j();
    ASSERT_TRUE(j.contains("devices") && j["devices"].is_array()) << r.out;
    bool found = false;
    for (const auto& d : j["devices"])
        if (d.value("name", "") == "atelier_test") {
            found = true;
            EXPECT_GT(d.value("max_input_channels", 0), 0);
            EXPECT_GT(d.value("max_output_channels", 0), 0);
        }
    EXPECT_TRUE(found) << r.out;
}

TEST_F(CliSoundTest, RecordSecondsWritesAWavOfThatLength) {
    const fs::path wav = dir_ / "take.wav";
    const CliRun r = run_cli({"media", "record", wav.string(), "--seconds", "1", "--device", "atelier_test", "--json"});
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    EXPECT_EQ(ffprobe_value(wav, "stream=codec_name", "a:0"), "pcm_s16le");
    EXPECT_EQ(ffprobe_value(wav, "stream=sample_rate", "a:0"), "48000");
    EXPECT_EQ(ffprobe_value(wav, "stream=duration_ts", "a:0"), "48000") << "1 s at 48 kHz";
    EXPECT_EQ(r.j()["record"].value("frames", int64_t{0}), 48000);
}

TEST_F(CliSoundTest, RecordNeedsPositiveSeconds) {
    const CliRun r = run_cli({"media", "record", (dir_ / "x.wav").string(), "--seconds", "zero"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("--seconds"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(dir_ / "x.wav"));
}

TEST_F(CliSoundTest, ProjectRecordImportsTheTakeAsAnAudioAsset) {
    const fs::path project = dir_ / "p.atelier";
    ASSERT_EQ(run_cli({"project", "new", project.string()}).code, 0);
    const CliRun r = run_cli({"project", "record", project.string(), "--seconds", "0.5", "--device", "atelier_test", "--json"});
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    const json j = r.j();
    const std::string uuid = j["record"].value("asset_uuid", "");
    ASSERT_FALSE(uuid.empty()) << r.out;
    EXPECT_EQ(j["job"].value("state", ""), "done");
    EXPECT_EQ(sqlite_value(project, "SELECT kind || ' ' || sample_rate_hz FROM assets WHERE uuid='" + uuid + "'"), "audio 48000");
    EXPECT_EQ(sqlite_value(project, "SELECT kind || ' ' || state FROM jobs WHERE uuid='" + j["job"].value("uuid", "") + "'"),
              "record done");
    const fs::path file = dir_ / "p.atelier-media" / sqlite_value(project, "SELECT rel_path FROM assets WHERE uuid='" + uuid + "'");
    EXPECT_EQ(ffprobe_value(file, "stream=duration_ts", "a:0"), "24000") << "0.5 s at 48 kHz";
}

TEST_F(CliSoundTest, PlayBadFileIsAClearError) {
    const fs::path bad = dir_ / "noise.wav";
    write_file(bad, "this is not a sound file at all");
    const CliRun r = run_cli({"media", "play", bad.string(), "--device", "atelier_test"});
    EXPECT_EQ(r.code, 2) << "input problem: " << r.err;
    EXPECT_NE(r.err.find("noise.wav"), std::string::npos) << "the error should name the file: " << r.err;
    const CliRun missing = run_cli({"media", "play", (dir_ / "missing.wav").string(), "--json"});
    EXPECT_EQ(missing.code, 2);
    EXPECT_TRUE(missing.j().contains("error")) << missing.out;
}

TEST_F(CliSoundTest, PlayRunsToTheEndOnTheFileDevice) {
    const fs::path wav = dir_ / "tone.wav";
    ASSERT_TRUE(pipelines::demo::write_sine_wav(wav, 440, 500, 48000, 2).ok());
    const CliRun r = run_cli({"media", "play", wav.string(), "--device", "atelier_test", "--json"});
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    const json p = r.j()["play"];
    EXPECT_EQ(p.value("position_ms", int64_t{-1}), 500);
    EXPECT_FALSE(p.value("stopped", true));
    EXPECT_GE(fs::file_size(out_raw()), 24000u * 2 * 4) << "the device received every frame (float32 stereo)";
}

}  // namespace
}  // namespace atelier::test
