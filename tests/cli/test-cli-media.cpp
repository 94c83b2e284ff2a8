// `media probe`, `media convert` and `export` (issue 5 §7), run as a user would; outputs are
// checked with ffprobe/ffmpeg and the project is built with the pipelines API (the same store
// the GUI will use).
#include <nlohmann/json.hpp>

#include "../pipelines/test-util.h"
#include "cli-run.h"
#include "pipelines/demo-media.h"
#include "pipelines/studio.h"
#include "projects/timeline-store.h"

namespace atelier::test {
namespace {

using nlohmann::json;

class CliMediaTest : public ::testing::Test {
protected:
    CliRun cli(const std::vector<std::string>& args) { return run_cli(args); }
    // A project with a timeline: a picture for 1 s, a tone under it, one subtitle item.
    fs::path project_with_timeline() {
        const fs::path path = dir_ / "p.atelier";
        auto studio = pipelines::Studio::create(path, "p");
        EXPECT_TRUE(studio.ok());
        const fs::path png = dir_ / "a.png", wav = dir_ / "a.wav";
        EXPECT_TRUE(pipelines::demo::write_gradient_png(png, 64, 36, 1).ok());
        EXPECT_TRUE(pipelines::demo::write_sine_wav(wav, 440, 1000).ok());
        std::vector<std::string> uuids;
        pipelines::StudioEvents ev;
        ev.on_import_finished = [&](const JobInfo&, const pipelines::ImportReport& r) {
            for (const auto& it : r.added) uuids.push_back(it.asset.uuid);
        };
        (*studio)->set_events(ev);
        (*studio)->import_files({png, wav});
        (*studio)->wait_and_drain();
        EXPECT_EQ(uuids.size(), 2u);
        auto& p = (*studio)->project();
        auto tl = projects::create_timeline(p, {.name = "t", .width = 128, .height = 72, .fps_num = 25, .fps_den = 1});
        auto v = projects::add_track(p, tl->uuid, projects::TrackKind::Video);
        auto a = projects::add_track(p, tl->uuid, projects::TrackKind::Audio);
        auto s = projects::add_track(p, tl->uuid, projects::TrackKind::Subtitle);
        EXPECT_TRUE(projects::add_clip(p, {.track_uuid = v->uuid, .asset_uuid = uuids[0], .duration_ms = 1000}).ok());
        EXPECT_TRUE(projects::add_clip(p, {.track_uuid = a->uuid, .asset_uuid = uuids[1], .duration_ms = 1000}).ok());
        EXPECT_TRUE(projects::add_clip(p, {.track_uuid = s->uuid, .start_ms = 200, .duration_ms = 500, .text = "Hi there"}).ok());
        return path;
    }
    TempDir dir_;
};

TEST_F(CliMediaTest, ProbeAgreesWithFfprobe) {
    const fs::path wav = dir_ / "s.wav";
    ASSERT_TRUE(pipelines::demo::write_sine_wav(wav, 440, 1500, 44100, 2).ok());
    const CliRun r = cli({"media", "probe", wav.string(), "--json"});
    ASSERT_EQ(r.code, 0) << r.err;
    const json j = json::parse(r.out);
    EXPECT_EQ(j["media"]["kind"], "audio");
    EXPECT_EQ(std::to_string(j["media"]["sample_rate_hz"].get<int>()), ffprobe_value(wav, "stream=sample_rate", "a:0"));
    EXPECT_NEAR(j["media"]["duration_ms"].get<int>() / 1000.0, std::stod(ffprobe_value(wav, "format=duration", "a:0")), 0.001);
    const CliRun text = cli({"media", "probe", wav.string()});
    EXPECT_NE(text.out.find("44100 Hz 2 ch"), std::string::npos) << text.out;
    write_file(dir_ / "junk.mp4", "this is not a video");
    EXPECT_EQ(cli({"media", "probe", (dir_ / "junk.mp4").string()}).code, 2);
    write_file(dir_ / "empty.wav", "");
    EXPECT_EQ(cli({"media", "probe", (dir_ / "empty.wav").string()}).code, 2);
    EXPECT_EQ(cli({"media", "nope"}).code, 1);
}

TEST_F(CliMediaTest, ConvertWritesTheFormatTheExtensionNames) {
    const fs::path wav = dir_ / "s.wav";
    ASSERT_TRUE(pipelines::demo::write_sine_wav(wav, 440, 700, 48000, 2).ok());
    for (auto [name, codec] : {std::pair{"s.flac", "flac"}, std::pair{"s.opus", "opus"}, std::pair{"s.mp3", "mp3"}}) {
        const CliRun r = cli({"media", "convert", wav.string(), (dir_ / name).string(), "--quiet"});
        ASSERT_EQ(r.code, 0) << name << ": " << r.err;
        EXPECT_EQ(ffprobe_value(dir_ / name, "stream=codec_name", "a:0"), codec);
    }
    // Exists already: refused unless --force; unknown preset: usage error; bad input: exit 2.
    EXPECT_EQ(cli({"media", "convert", wav.string(), (dir_ / "s.flac").string()}).code, 2);
    EXPECT_EQ(cli({"media", "convert", wav.string(), (dir_ / "s.flac").string(), "--force", "--quiet"}).code, 0);
    EXPECT_EQ(cli({"media", "convert", wav.string(), (dir_ / "x.mp4").string(), "--preset", "8k"}).code, 1);
    write_file(dir_ / "junk.mp4", "this is not a video");
    EXPECT_EQ(cli({"media", "convert", (dir_ / "junk.mp4").string(), (dir_ / "j.webm").string()}).code, 2);
    EXPECT_FALSE(fs::exists(dir_ / "j.webm"));
}

TEST_F(CliMediaTest, ExportTimelineSubtitlesAndBundle) {
    const fs::path project = project_with_timeline();
    const fs::path mp4 = dir_ / "out.mp4";
    const CliRun r = cli({project.string(), "--timeline", "--out", mp4.string(), "--preset", "source", "--json"});
    EXPECT_EQ(r.code, 1) << "the command name comes first";
    const CliRun e = cli({"export", project.string(), "--timeline", "--out", mp4.string(), "--preset", "source", "--json", "--quiet"});
    ASSERT_EQ(e.code, 0) << e.out << e.err;
    EXPECT_EQ(json::parse(e.out)["export"]["frames"], 25);
    EXPECT_EQ(ffprobe_value(mp4, "stream=codec_name", "v:0"), "h264");
    EXPECT_EQ(ffprobe_value(mp4, "stream=codec_name", "a:0"), "aac");
    EXPECT_EQ(ffprobe_value(mp4, "stream=codec_name", "s:0"), "mov_text");
    EXPECT_EQ(ffprobe_value(mp4, "stream=width", "v:0"), "128");
    const CliRun srt = cli({"export", project.string(), "--subtitles", (dir_ / "s.srt").string()});
    ASSERT_EQ(srt.code, 0) << srt.err;
    EXPECT_EQ(read_file(dir_ / "s.srt"), "1\n00:00:00,200 --> 00:00:00,700\nHi there\n\n");
    const CliRun bundle = cli({"export", project.string(), "--bundle", (dir_ / "b").string(), "--quiet"});
    ASSERT_EQ(bundle.code, 0) << bundle.err;
    EXPECT_TRUE(fs::exists(dir_ / "b" / "manifest.json"));
    EXPECT_EQ(cli({"export", project.string(), "--timeline", "0190b6a4-0000-7000-8000-000000000000", "--out",
                   (dir_ / "n.mp4").string()}).code, 2);  // no such timeline: an input problem
    EXPECT_EQ(cli({"export", project.string()}).code, 1);
}

}  // namespace
}  // namespace atelier::test
