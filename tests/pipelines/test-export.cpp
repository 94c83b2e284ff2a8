// Export jobs, checked with ffprobe/ffmpeg: streams, durations to one frame, soft subtitle text,
// A/V sync with a flash-and-beep source, audio-only presets, single-file conversion, subtitle
// files, burned-in subtitles only where the text is, and cancel leaving nothing finished-looking.
#include <cmath>
#include <cstring>
#include <fstream>

#include "pipelines/export.h"
#include "pipelines/timeline-render.h"
#include "timeline-fixture.h"

namespace atelier::test {
namespace {

double probe_double(const fs::path& f, const std::string& entry, const std::string& select) {
    const std::string v = ffprobe_value(f, entry, select);
    return v.empty() ? -1.0 : std::stod(v);
}

class ExportTest : public TimelineFixture {
protected:
    // An image (0-2 s), a tone (0-2 s) and two subtitle items on a 320x180 25 fps timeline.
    std::string basic_timeline(int64_t duration_ms = 2000) {
        auto tl = projects::create_timeline(p(), {.name = "t", .width = 320, .height = 180, .fps_num = 25, .fps_den = 1});
        EXPECT_TRUE(tl.ok());
        const auto v = projects::add_track(p(), tl->uuid, projects::TrackKind::Video);
        const auto a = projects::add_track(p(), tl->uuid, projects::TrackKind::Audio);
        const auto s = projects::add_track(p(), tl->uuid, projects::TrackKind::Subtitle);
        EXPECT_TRUE(v.ok() && a.ok() && s.ok());
        EXPECT_TRUE(projects::add_clip(p(), {.track_uuid = v->uuid, .asset_uuid = add_asset(png("i.png", 160, 90, 3)),
                                             .duration_ms = duration_ms}).ok());
        EXPECT_TRUE(projects::add_clip(p(), {.track_uuid = a->uuid, .asset_uuid = add_asset(wav("t.wav", 2000, 2)),
                                             .duration_ms = 2000}).ok());
        EXPECT_TRUE(projects::add_clip(p(), {.track_uuid = s->uuid, .start_ms = 100, .duration_ms = 800, .text = "First words"}).ok());
        EXPECT_TRUE(projects::add_clip(p(), {.track_uuid = s->uuid, .start_ms = 1000, .duration_ms = 900, .text = "Second words"}).ok());
        return tl->uuid;
    }
    JobInfo run_export(const std::string& tl, const fs::path& dest, pipelines::ExportOptions opts) {
        const JobId id = pipelines::submit_export_timeline(studio(), tl, dest, opts);
        EXPECT_TRUE(studio().wait(id, std::chrono::minutes(5)));
        studio().drain();
        return *studio().scheduler().info(id);
    }
};

TEST_F(ExportTest, Mp4HasStreamsExactDurationAndSoftSubtitles) {
    const auto tl = basic_timeline();
    const fs::path out = dir_ / "out.mp4";
    const JobInfo info = run_export(tl, out, {.preset = "source"});
    ASSERT_EQ(info.state, JobState::Done) << info.error.message();
    EXPECT_EQ(ffprobe_value(out, "stream=codec_name", "v:0"), "h264");
    EXPECT_EQ(ffprobe_value(out, "stream=codec_name", "a:0"), "aac");
    EXPECT_EQ(ffprobe_value(out, "stream=codec_name", "s:0"), "mov_text");
    EXPECT_EQ(ffprobe_value(out, "stream=width", "v:0"), "320");
    EXPECT_NEAR(probe_double(out, "stream=duration", "v:0"), 2.0, 1.0 / 25 + 1e-6);
    EXPECT_NEAR(probe_double(out, "stream=duration", "a:0"), 2.0, 1.0 / 25);
    const std::string srt = run_capture("ffmpeg -v error -nostdin -i " + shell_quote(out.string()) + " -map 0:s:0 -f srt -");
    EXPECT_NE(srt.find("00:00:00,100 --> 00:00:00,900"), std::string::npos) << srt;
    EXPECT_NE(srt.find("First words"), std::string::npos) << srt;
    EXPECT_NE(srt.find("00:00:01,000 --> 00:00:01,900"), std::string::npos) << srt;
    EXPECT_NE(srt.find("Second words"), std::string::npos) << srt;
    // The 720p preset scales the same timeline; WebM carries VP9/Opus/WebVTT.
    ASSERT_EQ(run_export(tl, dir_ / "out720.mp4", {.preset = "720p30"}).state, JobState::Done);
    EXPECT_EQ(ffprobe_value(dir_ / "out720.mp4", "stream=height", "v:0"), "720");
    ASSERT_EQ(run_export(tl, dir_ / "out.webm", {.preset = "source"}).state, JobState::Done);
    EXPECT_EQ(ffprobe_value(dir_ / "out.webm", "stream=codec_name", "v:0"), "vp9");
    EXPECT_EQ(ffprobe_value(dir_ / "out.webm", "stream=codec_name", "s:0"), "webvtt");
}

TEST_F(ExportTest, AudioAndVideoStayInSyncWithinOneFrame) {
    // Source: black 30 fps video with one white frame at 1.000 s and a 1 kHz beep starting at 1.000 s.
    const fs::path src = inputs() / "flash.mp4";
    ASSERT_FALSE(run_capture("ffmpeg -v error -nostdin -y -f lavfi -i \"color=black:s=160x120:r=30:d=3,"
                             "drawbox=color=white:t=fill:enable='between(n,30,30)'\" -f lavfi -i "
                             "\"aevalsrc='0.8*sin(2*PI*1000*t)*between(t,1,1.1)':s=48000:d=3\" -c:v libx264 -c:a aac "
                             "-shortest " + shell_quote(src.string()) + " && echo ok").empty());
    auto tl = projects::create_timeline(p(), {.name = "sync", .width = 160, .height = 120, .fps_num = 30, .fps_den = 1});
    ASSERT_TRUE(tl.ok());
    auto v = projects::add_track(p(), tl->uuid, projects::TrackKind::Video);
    ASSERT_TRUE(projects::add_clip(p(), {.track_uuid = v->uuid, .asset_uuid = add_asset(src), .start_ms = 200,
                                         .duration_ms = 2000, .source_in_ms = 500}).ok());
    const fs::path out = dir_ / "sync.mp4";
    ASSERT_EQ(run_export(tl->uuid, out, {.preset = "source"}).state, JobState::Done);
    // Expected on the timeline: 0.2 + (1.0 - 0.5) = 0.7 s, for both.
    const std::string luma = run_capture("ffmpeg -v error -nostdin -i " + shell_quote(out.string()) +
                                         " -vf scale=8:8 -pix_fmt gray -f rawvideo -");
    int flash = -1;
    for (size_t f = 0; f * 64 < luma.size(); ++f)
        if (static_cast<uint8_t>(luma[f * 64 + 27]) > 128) {
            flash = static_cast<int>(f);
            break;
        }
    const std::string pcm = run_capture("ffmpeg -v error -nostdin -i " + shell_quote(out.string()) + " -ac 1 -ar 48000 -f s16le -");
    int64_t beep = -1;
    for (size_t i = 0; i + 1 < pcm.size(); i += 2) {
        int16_t s;
        std::memcpy(&s, &pcm[i], 2);
        if (std::abs(s) > 8000) {
            beep = static_cast<int64_t>(i / 2);
            break;
        }
    }
    ASSERT_GE(flash, 0);
    ASSERT_GE(beep, 0);
    const double video_s = flash / 30.0, audio_s = beep / 48000.0;
    EXPECT_NEAR(video_s, 0.7, 1.0 / 30 + 1e-6);
    EXPECT_NEAR(audio_s, video_s, 1.0 / 30);
}

TEST_F(ExportTest, AudioOnlyPresets) {
    const auto tl = basic_timeline();
    for (auto [name, codec] : {std::pair{"a.opus", "opus"}, std::pair{"a.mp3", "mp3"}, std::pair{"a.wav", "pcm_s16le"}}) {
        ASSERT_EQ(run_export(tl, dir_ / name, {}).state, JobState::Done) << name;
        EXPECT_EQ(ffprobe_value(dir_ / name, "stream=codec_name", "a:0"), codec);
        EXPECT_EQ(ffprobe_value(dir_ / name, "stream=codec_type", "v:0"), "") << name;
    }
    EXPECT_EQ(ffprobe_value(dir_ / "a.wav", "stream=duration_ts", "a:0"), "96000");  // exactly 2 s at 48 kHz
    const JobInfo wrong = run_export(tl, dir_ / "x.mp4", {.preset = "opus"});
    EXPECT_EQ(wrong.state, JobState::Failed);
    EXPECT_EQ(wrong.error.code, ErrorCode::InvalidArgument);
    EXPECT_FALSE(fs::exists(dir_ / "x.mp4"));
}

TEST_F(ExportTest, CancelLeavesNoFinishedLookingFile) {
    const auto tl = basic_timeline(600'000);  // ten minutes of 1080p: far longer than the test waits
    const fs::path out_dir = dir_ / "exports";
    fs::create_directories(out_dir);
    const JobId id = pipelines::submit_export_timeline(studio(), tl, out_dir / "long.mp4", {.preset = "1080p30"});
    for (int i = 0; i < 600; ++i) {
        auto info = studio().scheduler().info(id);
        if (info && info->progress.fraction > 0) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_TRUE(studio().cancel(id));
    ASSERT_TRUE(studio().wait(id, std::chrono::seconds(30)));
    studio().drain();
    EXPECT_EQ(studio().scheduler().info(id)->state, JobState::Cancelled);
    EXPECT_TRUE(fs::is_empty(out_dir)) << "the partial file must be gone";
}

// A cancelled (or failed, or crash-interrupted) export can be run again from its stored
// parameters: the same timeline, destination and preset, and the file is complete this time.
TEST_F(ExportTest, ACancelledExportRerunsFromItsStoredParameters) {
    const auto tl = basic_timeline();
    const fs::path dest = dir_ / "again.webm";
    const JobId id = pipelines::submit_export_timeline(studio(), tl, dest, {.preset = "720p30"});
    ASSERT_TRUE(studio().cancel(id));  // at once: it may not even have started
    ASSERT_TRUE(studio().wait(id, std::chrono::seconds(60)));
    studio().drain();
    const auto first = studio().scheduler().info(id);
    ASSERT_TRUE(first);
    if (first->state != JobState::Cancelled) GTEST_FAIL() << "the export finished before the cancel; cannot test the rerun";
    EXPECT_FALSE(fs::exists(dest));
    auto again = studio().rerun_job(first->spec.uuid);
    ASSERT_TRUE(again.ok()) << again.error().message();
    ASSERT_TRUE(studio().wait(*again, std::chrono::minutes(5)));
    studio().drain();
    EXPECT_EQ(studio().scheduler().info(*again)->state, JobState::Done) << studio().scheduler().info(*again)->error.message();
    ASSERT_TRUE(fs::exists(dest));
    EXPECT_EQ(ffprobe_value(dest, "stream=codec_name", "v:0"), "vp9");
    EXPECT_EQ(ffprobe_value(dest, "stream=width", "v:0"), "1280") << "the stored preset (720p30) was not used";
    EXPECT_EQ(ffprobe_value(dest, "stream=codec_name", "s:0"), "webvtt") << "soft subtitles are on by default";
}

TEST_F(ExportTest, ConvertSingleFilesAndSubtitleFiles) {
    const fs::path clip = fs::path(ATELIER_TEST_DATA_DIR) / "media/fixtures/clip-64x48.mp4";
    auto r = pipelines::convert_media(nullptr, clip, dir_ / "clip.webm");
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(ffprobe_value(dir_ / "clip.webm", "stream=width", "v:0"), "64");
    const std::string frames = run_capture("ffprobe -v error -count_frames -select_streams v:0 -show_entries "
                                           "stream=nb_read_frames -of csv=p=0 " + shell_quote((dir_ / "clip.webm").string()));
    EXPECT_EQ(trim(frames), "25");
    ASSERT_TRUE(pipelines::convert_media(nullptr, wav("w.wav", 500, 2), dir_ / "w.flac").ok());
    EXPECT_EQ(run_capture("ffmpeg -v error -i " + shell_quote((dir_ / "w.flac").string()) + " -f s16le -"),
              run_capture("ffmpeg -v error -i " + shell_quote((inputs() / "w.wav").string()) + " -f s16le -"));
    ASSERT_TRUE(pipelines::convert_media(nullptr, png("p.png", 40, 30, 1), dir_ / "p.jpg").ok());
    EXPECT_EQ(ffprobe_value(dir_ / "p.jpg", "stream=codec_name", "v:0"), "mjpeg");
    EXPECT_EQ(pipelines::convert_media(nullptr, dir_ / "p.jpg", dir_ / "p.jpg").error().code, ErrorCode::AlreadyExists);
    write_file(dir_ / "bad.mp4", "not a video at all");
    EXPECT_FALSE(pipelines::convert_media(nullptr, dir_ / "bad.mp4", dir_ / "bad.webm").ok());
    EXPECT_FALSE(fs::exists(dir_ / "bad.webm"));

    const auto tl = basic_timeline();
    auto s = pipelines::export_subtitles(project_path(), tl, "", dir_ / "subs.srt");
    ASSERT_TRUE(s.ok()) << s.error().message();
    EXPECT_EQ(ffprobe_value(dir_ / "subs.srt", "stream=codec_name", "s:0"), "subrip");
    const std::string vtt = run_capture("ffmpeg -v error -i " + shell_quote((dir_ / "subs.srt").string()) + " -f webvtt -");
    EXPECT_NE(vtt.find("00:00.100 --> 00:00.900\nFirst words"), std::string::npos) << vtt;
    EXPECT_FALSE(pipelines::export_subtitles(project_path(), tl, "", dir_ / "subs.doc").ok());
}

// Every output frame is its own source frame: a 30 fps moving test pattern converted to MP4 is
// compared frame by frame with the source by ffmpeg's psnr filter (a frame shown twice or dropped
// falls to ~25 dB; x264 CRF 20 keeps ~45 dB). The lone full-frame clip goes to the encoder as the
// source's own planes; with a burned subtitle over part of it, those frames are composited, and
// the output still matches the source outside them.
TEST_F(ExportTest, ConvertedFramesMatchTheSourceFrameByFrame) {
    const fs::path src = inputs() / "moving.mp4";
    ASSERT_FALSE(run_capture("ffmpeg -v error -nostdin -y -f lavfi -i testsrc2=size=320x240:rate=30:duration=2 "
                             "-c:v libx264 -pix_fmt yuv420p -crf 10 " + shell_quote(src.string()) + " && echo ok").empty());
    const fs::path out = dir_ / "moving-out.mp4";
    auto r = pipelines::convert_media(nullptr, src, out);
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(r->frames, 60);
    EXPECT_EQ(r->passthrough_frames, 60) << "nothing to draw: every frame should skip the RGBA round trip";
    const fs::path stats = dir_ / "psnr.log";
    run_capture("ffmpeg -v error -nostdin -i " + shell_quote(out.string()) + " -i " + shell_quote(src.string()) +
                " -lavfi \"[0:v][1:v]psnr=stats_file=" + stats.string() + "\" -f null - && echo ok");
    std::ifstream in(stats);
    std::string line;
    int n = 0;
    double worst = 1e9;
    while (std::getline(in, line)) {
        const auto at = line.find("psnr_avg:");
        ASSERT_NE(at, std::string::npos) << line;
        const std::string v = line.substr(at + 9, line.find(' ', at) - at - 9);
        worst = std::min(worst, v == "inf" ? 1e9 : std::stod(v));
        ++n;
    }
    EXPECT_EQ(n, 60);
    EXPECT_GT(worst, 35.0) << "some output frame is not its source frame";

    // The same clip on a timeline with a burned subtitle from 0.5 s to 1 s: those 15 frames are drawn.
    auto tl = projects::create_timeline(p(), {.name = "b", .width = 320, .height = 240, .fps_num = 30, .fps_den = 1});
    ASSERT_TRUE(tl.ok());
    const auto v = projects::add_track(p(), tl->uuid, projects::TrackKind::Video);
    const auto st = projects::add_track(p(), tl->uuid, projects::TrackKind::Subtitle);
    ASSERT_TRUE(v.ok() && st.ok());
    ASSERT_TRUE(projects::add_clip(p(), {.track_uuid = v->uuid, .asset_uuid = add_asset(src), .duration_ms = 2000}).ok());
    ASSERT_TRUE(projects::add_clip(p(), {.track_uuid = st->uuid, .start_ms = 500, .duration_ms = 500, .text = "Burned"}).ok());
    auto snap = pipelines::snapshot_timeline(p(), tl->uuid);
    ASSERT_TRUE(snap.ok());
    auto burned = pipelines::render_to_file(nullptr, *snap, dir_ / "burned.mp4", {.preset = "source", .burn_subtitles = true});
    ASSERT_TRUE(burned.ok()) << burned.error().message();
    EXPECT_EQ(burned->frames, 60);
    EXPECT_EQ(burned->passthrough_frames, 45);
}

TEST_F(ExportTest, BurnedSubtitlesChangeOnlyTheTextArea) {
    const auto tl = basic_timeline();
    auto snap = pipelines::snapshot_timeline(p(), tl);
    ASSERT_TRUE(snap.ok());
    auto plain = pipelines::TimelineRenderer::open(*snap);
    auto burned = pipelines::TimelineRenderer::open(*snap, {.burn_subtitles = true});
    ASSERT_TRUE(plain.ok() && burned.ok());
    for (int64_t frame : {0, 5, 30}) {  // 0: no item (starts at 100 ms); 5 and 30: items shown
        const media::Image a = **(*plain)->frame(frame);
        const media::Image b = **(*burned)->frame(frame);
        int changed = 0, changed_top = 0;
        for (int y = 0; y < a.height; ++y)
            for (int x = 0; x < a.width; ++x) {
                const size_t i = (size_t(y) * a.width + x) * 4;
                const bool diff = std::memcmp(&a.rgba[i], &b.rgba[i], 3) != 0;
                changed += diff;
                changed_top += diff && y < a.height * 3 / 4;
            }
        if (frame == 0) EXPECT_EQ(changed, 0);
        else EXPECT_GT(changed, 100) << frame;
        EXPECT_EQ(changed_top, 0) << frame;  // one line of text sits in the bottom quarter
    }
}

}  // namespace
}  // namespace atelier::test
