// MediaWriter: every audio and video format we write, read back by independent decoders (the
// ffmpeg/ffprobe CLIs) and by our own readers. Test media is made at test time (ffmpeg lavfi
// testsrc2, synthetic sines); nothing large is committed.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "media-test-util.h"
#include "media/audio-reader.h"
#include "media/media-writer.h"
#include "media/subtitle-format.h"

namespace atelier::media {
namespace {

using test::shell_quote;

// Samples that 16-bit PCM holds exactly: k / 32768.
std::vector<float> s16_exact_sine(int frames, int channels, int rate) {
    std::vector<float> v(static_cast<size_t>(frames) * static_cast<size_t>(channels));
    for (int i = 0; i < frames; ++i)
        for (int c = 0; c < channels; ++c) {
            const double x = 0.6 * std::sin(2 * M_PI * (440.0 + 110.0 * c) * i / rate);
            v[static_cast<size_t>(i * channels + c)] = static_cast<float>(std::lround(x * 32767.0)) / 32768.0f;
        }
    return v;
}

// The file's samples as the ffmpeg CLI decodes them to signed 16-bit.
std::vector<int16_t> ffmpeg_s16(const std::filesystem::path& p) {
    auto out = test::run_capture("/usr/bin/ffmpeg -v error -nostdin -i " + shell_quote(p.string()) + " -f s16le -");
    EXPECT_TRUE(out.has_value()) << "ffmpeg cannot decode " << p;
    std::vector<int16_t> v(out ? out->size() / 2 : 0);
    if (out) std::memcpy(v.data(), out->data(), v.size() * 2);
    return v;
}

nlohmann::json probe(const std::filesystem::path& p) {
    auto j = test::ffprobe_json(p);
    EXPECT_TRUE(j.has_value()) << "ffprobe rejects " << p;
    return j ? *j : nlohmann::json::object();
}

// (start, duration) in seconds of each non-empty subtitle packet, from the video stream's start time.
std::vector<std::pair<double, double>> subtitle_times(const std::filesystem::path& p) {
    auto out = test::run_capture("/usr/bin/ffprobe -v error -of json -show_entries stream=codec_type,start_time "
                                 "-show_entries packet=stream_index,pts_time,duration_time,size " + shell_quote(p.string()));
    EXPECT_TRUE(out.has_value());
    const auto j = nlohmann::json::parse(out ? *out : "{}");
    double video_start = 0;
    int sub_index = -1;
    for (size_t i = 0; i < j["streams"].size(); ++i) {
        if (j["streams"][i]["codec_type"] == "video") video_start = std::stod(j["streams"][i]["start_time"].get<std::string>());
        if (j["streams"][i]["codec_type"] == "subtitle") sub_index = static_cast<int>(i);
    }
    std::vector<std::pair<double, double>> v;
    for (const auto& pk : j["packets"])
        // MP4 fills gaps between items with empty samples (2 bytes: a zero text length).
        if (pk["stream_index"] == sub_index && std::stoi(pk["size"].get<std::string>()) > 2)
            v.emplace_back(std::stod(pk["pts_time"].get<std::string>()) - video_start, std::stod(pk["duration_time"].get<std::string>()));
    return v;
}

// The subtitle stream (the last one) has `codec`, one packet per item at the item's times (ffprobe),
// and ffmpeg's SRT rendering of it contains each of `srt_parts`.
void expect_subtitle_track(const std::filesystem::path& path, const char* codec, const std::vector<SubtitleItem>& items,
                           const std::vector<std::string>& srt_parts) {
    const auto j = probe(path);
    ASSERT_EQ(j["streams"].size(), 3u);
    EXPECT_EQ(j["streams"][2]["codec_name"], codec);
    const auto times = subtitle_times(path);
    ASSERT_EQ(times.size(), items.size());
    for (size_t i = 0; i < items.size(); ++i) {
        EXPECT_NEAR(times[i].first, items[i].start_ms / 1000.0, 0.0015) << i;
        EXPECT_NEAR(times[i].second, (items[i].end_ms - items[i].start_ms) / 1000.0, 0.0015) << i;
    }
    auto srt = test::run_capture("/usr/bin/ffmpeg -v error -nostdin -i " + shell_quote(path.string()) + " -map 0:s:0 -f srt -");
    ASSERT_TRUE(srt.has_value());
    for (const auto& part : srt_parts) EXPECT_NE(srt->find(part), std::string::npos) << *srt;
}

class Encode : public ::testing::Test {
protected:
    void SetUp() override {
        if (!test::have_ffmpeg() || !test::have_ffprobe()) GTEST_SKIP() << "needs the ffmpeg and ffprobe programs";
    }
    test::TempDir dir_;
};

TEST_F(Encode, WavAndFlacAreSampleExact) {
    const int rate = 44100, channels = 2, frames = 44100 + 777;
    const auto src = s16_exact_sine(frames, channels, rate);
    for (auto [name, codec, probe_codec] : {std::tuple{"a.wav", AudioCodec::Pcm16, "pcm_s16le"},
                                            std::tuple{"a.flac", AudioCodec::Flac, "flac"}}) {
        const auto path = dir_ / name;
        Status st = write_audio_file(path, src.data(), frames, {.codec = codec, .sample_rate_hz = rate, .channels = channels});
        ASSERT_TRUE(st.ok()) << st.error().message();
        const auto j = probe(path);
        EXPECT_EQ(j["streams"][0]["codec_name"], probe_codec);
        EXPECT_EQ(j["streams"][0]["sample_rate"], std::to_string(rate));
        // Independent decoder: every sample equal.
        const auto ref = ffmpeg_s16(path);
        ASSERT_EQ(ref.size(), src.size()) << name;
        size_t mismatches = 0;
        for (size_t i = 0; i < src.size(); ++i) mismatches += ref[i] != static_cast<int16_t>(std::lround(src[i] * 32768.0f));
        EXPECT_EQ(mismatches, 0u) << name;
        // Our own reader gives back exactly the floats we wrote.
        int got_channels = 0;
        auto back = decode_audio(path, {}, &got_channels);
        ASSERT_TRUE(back.ok()) << back.error().message();
        EXPECT_EQ(got_channels, channels);
        EXPECT_TRUE(*back == src) << name;
    }
}

TEST_F(Encode, LossyAudioFormatsDecodeToTheSameSound) {
    const int rate = 48000, frames = 48000;  // one second
    const auto src = s16_exact_sine(frames, 2, rate);
    for (auto [name, codec, probe_codec] : {std::tuple{"a.opus", AudioCodec::Opus, "opus"}, std::tuple{"a.mp3", AudioCodec::Mp3, "mp3"},
                                            std::tuple{"a.m4a", AudioCodec::Aac, "aac"}}) {
        const auto path = dir_ / name;
        Status st = write_audio_file(path, src.data(), frames, {.codec = codec, .sample_rate_hz = rate, .channels = 2});
        ASSERT_TRUE(st.ok()) << name << ": " << st.error().message();
        const auto j = probe(path);
        EXPECT_EQ(j["streams"][0]["codec_name"], probe_codec) << name;
        EXPECT_NEAR(std::stod(j["format"]["duration"].get<std::string>()), 1.0, 0.06) << name;  // codec padding only
        // Loudness is kept: RMS of the left channel within 1 dB of the source's (0.6 / sqrt 2).
        const auto ref = ffmpeg_s16(path);
        ASSERT_GT(ref.size(), 40000u);
        double sum = 0;
        size_t n = 0;
        for (size_t i = 2 * 4800; i + 1 < ref.size() - 2 * 4800; i += 2, ++n) sum += (ref[i] / 32768.0) * (ref[i] / 32768.0);
        const double rms_db = 10 * std::log10(sum / static_cast<double>(n)), want_db = 20 * std::log10(0.6 / std::sqrt(2.0));
        EXPECT_NEAR(rms_db, want_db, 1.0) << name;
    }
}

// testsrc2 frames as RGBA, made by the ffmpeg CLI.
std::vector<Image> testsrc_frames(int w, int h, int n) {
    auto out = test::run_capture("/usr/bin/ffmpeg -v error -nostdin -f lavfi -i testsrc2=size=" + std::to_string(w) + "x" +
                                 std::to_string(h) + ":rate=30 -frames:v " + std::to_string(n) + " -pix_fmt rgba -f rawvideo -");
    EXPECT_TRUE(out.has_value());
    std::vector<Image> frames;
    const size_t bytes = static_cast<size_t>(w) * static_cast<size_t>(h) * 4;
    for (size_t off = 0; out && off + bytes <= out->size(); off += bytes) {
        Image img{w, h, std::vector<uint8_t>(out->begin() + static_cast<std::ptrdiff_t>(off),
                                             out->begin() + static_cast<std::ptrdiff_t>(off + bytes))};
        frames.push_back(std::move(img));
    }
    return frames;
}

// Every frame of a video as the ffmpeg CLI decodes it, RGBA.
std::vector<Image> ffmpeg_frames(const std::filesystem::path& p, int w, int h) {
    auto out = test::run_capture("/usr/bin/ffmpeg -v error -nostdin -i " + shell_quote(p.string()) + " -pix_fmt rgba -f rawvideo -");
    EXPECT_TRUE(out.has_value());
    std::vector<Image> frames;
    const size_t bytes = static_cast<size_t>(w) * static_cast<size_t>(h) * 4;
    for (size_t off = 0; out && off + bytes <= out->size(); off += bytes)
        frames.push_back(Image{w, h, std::vector<uint8_t>(out->begin() + static_cast<std::ptrdiff_t>(off),
                                                          out->begin() + static_cast<std::ptrdiff_t>(off + bytes))});
    return frames;
}

void write_video(const std::filesystem::path& path, const std::vector<Image>& frames, VideoCodec codec, AudioCodec audio,
                 std::optional<SubtitleCodec> subs, const std::vector<SubtitleItem>& items = {}) {
    const int w = frames[0].width, h = frames[0].height;
    WriterSettings ws{.format_hint = path,
                      .video = VideoEncodeSettings{.codec = codec, .width = w, .height = h, .fps_num = 30, .fps_den = 1},
                      .audio = AudioEncodeSettings{.codec = audio, .sample_rate_hz = 48000, .channels = 2},
                      .subtitles = subs};
    auto wr = MediaWriter::open(path, ws);
    ASSERT_TRUE(wr.ok()) << wr.error().message();
    for (const auto& it : items) ASSERT_TRUE((*wr)->write_subtitle(it.start_ms, it.end_ms, it.text).ok());
    const auto tone = s16_exact_sine(1600, 2, 48000);  // 1/30 s per frame
    for (const auto& f : frames) {
        Status st = (*wr)->write_video(f);
        ASSERT_TRUE(st.ok()) << st.error().message();
        ASSERT_TRUE((*wr)->write_audio(tone.data(), 1600).ok());
    }
    Status st = (*wr)->finish();
    ASSERT_TRUE(st.ok()) << st.error().message();
}

TEST_F(Encode, H264DefaultPresetKeepsPsnrAbove35AndExactDuration) {
    const auto src = testsrc_frames(320, 240, 45);
    ASSERT_EQ(src.size(), 45u);
    const auto path = dir_ / "v.mp4";
    write_video(path, src, VideoCodec::H264, AudioCodec::Aac, std::nullopt);
    const auto j = probe(path);
    ASSERT_GE(j["streams"].size(), 2u);
    EXPECT_EQ(j["streams"][0]["codec_name"], "h264");
    EXPECT_EQ(j["streams"][0]["pix_fmt"], "yuv420p");
    EXPECT_EQ(j["streams"][1]["codec_name"], "aac");
    EXPECT_NEAR(std::stod(j["streams"][0]["duration"].get<std::string>()), 1.5, 1.0 / 30 + 1e-6);  // one frame
    const auto back = ffmpeg_frames(path, 320, 240);
    ASSERT_EQ(back.size(), src.size());
    double worst = 1e9;
    for (size_t i = 0; i < src.size(); ++i) worst = std::min(worst, test::psnr_rgb(src[i], back[i]));
    EXPECT_GE(worst, 35.0);
}

TEST_F(Encode, WebmVp9OpusWithWebVttSubtitles) {
    const auto src = testsrc_frames(160, 120, 30);
    const std::vector<SubtitleItem> items = {{200, 700, "Hello there"}, {750, 990, "Second line\nand a third"}};
    const auto path = dir_ / "v.webm";
    write_video(path, src, VideoCodec::Vp9, AudioCodec::Opus, SubtitleCodec::WebVtt, items);
    const auto j = probe(path);
    ASSERT_EQ(j["streams"].size(), 3u);
    EXPECT_EQ(j["streams"][0]["codec_name"], "vp9");
    EXPECT_EQ(j["streams"][1]["codec_name"], "opus");
    EXPECT_EQ(ffmpeg_frames(path, 160, 120).size(), src.size());
    // The muxer shifts every stream alike by the Opus encoder delay; times are from the video's start.
    expect_subtitle_track(path, "webvtt", items, {"\nHello there\n", "\nSecond line\r\nand a third\n"});
}

TEST_F(Encode, Mp4MovTextSubtitlesHaveTheRightTextAndTimes) {
    const auto src = testsrc_frames(160, 120, 30);
    const std::vector<SubtitleItem> items = {{0, 400, "First {item}"}, {500, 1000, "Ünïcode ok"}};
    const auto path = dir_ / "s.mp4";
    write_video(path, src, VideoCodec::H264, AudioCodec::Aac, SubtitleCodec::MovText, items);
    expect_subtitle_track(path, "mov_text", items,
                          {"00:00:00,000 --> 00:00:00,400\nFirst (item)", "00:00:00,500 --> 00:00:01,000\nÜnïcode ok"});
}

TEST_F(Encode, BadSettingsAndPathsGiveClearErrors) {
    const auto odd = MediaWriter::open(dir_ / "x.mp4", {.format_hint = dir_ / "x.mp4",
                                                        .video = VideoEncodeSettings{.width = 33, .height = 20}});
    ASSERT_FALSE(odd.ok());
    EXPECT_EQ(odd.error().code, ErrorCode::InvalidArgument);
    const auto nowhere = dir_ / "no-such-dir" / "x.wav";
    Status st = write_audio_file(nowhere, nullptr, 0, {.codec = AudioCodec::Pcm16, .sample_rate_hz = 48000, .channels = 1});
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().detail.find("no-such-dir"), std::string::npos);
    EXPECT_FALSE(codecs_for_path("x.xyz").ok());
    auto mp4 = codecs_for_path("A.MP4");
    ASSERT_TRUE(mp4.ok());
    EXPECT_EQ(mp4->video, VideoCodec::H264);
}

}  // namespace
}  // namespace atelier::media
