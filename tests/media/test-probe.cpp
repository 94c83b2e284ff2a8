// probe_file checked against ffprobe's JSON (run now, on the same file) and against the facts
// tools/make-media-fixtures.sh wrote; bad inputs must give the documented ErrorCode.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "media-test-util.h"
#include "media/probe.h"

namespace atelier::media {
namespace {

using nlohmann::json;
using test::facts;
using test::fixture;

int64_t seconds_to_ms(const json& v) { return std::llround(std::stod(v.get<std::string>()) * 1000.0); }

double rational(const std::string& s) {
    auto slash = s.find('/');
    double num = std::stod(s.substr(0, slash)), den = slash == std::string::npos ? 1.0 : std::stod(s.substr(slash + 1));
    return den == 0 ? 0 : num / den;
}

// Every stream field ffprobe also reports must agree.
void expect_matches_ffprobe(const MediaInfo& info, const json& ref) {
    const json& fmt = ref["format"];
    EXPECT_EQ(info.container, fmt["format_name"].get<std::string>());
    if (fmt.contains("duration") && info.kind != MediaKind::Image) { EXPECT_NEAR(info.duration_ms, seconds_to_ms(fmt["duration"]), 1); }
    if (fmt.contains("bit_rate")) { EXPECT_EQ(info.bit_rate, std::stoll(fmt["bit_rate"].get<std::string>())); }
    EXPECT_EQ(info.size_bytes, std::stoll(fmt["size"].get<std::string>()));
    ASSERT_EQ(info.streams.size(), ref["streams"].size());
    for (size_t i = 0; i < info.streams.size(); ++i) {
        const StreamInfo& s = info.streams[i];
        const json& r = ref["streams"][i];
        SCOPED_TRACE("stream " + std::to_string(i));
        EXPECT_EQ(s.index, r["index"].get<int>());
        EXPECT_EQ(s.codec, r["codec_name"].get<std::string>());
        EXPECT_EQ(stream_type_name(s.type), r["codec_type"].get<std::string>());
        EXPECT_EQ(s.attached_picture, r["disposition"]["attached_pic"].get<int>() == 1);
        if (r.contains("duration")) { EXPECT_NEAR(s.duration_ms, seconds_to_ms(r["duration"]), 1); }
        if (r.contains("bit_rate")) { EXPECT_EQ(s.bit_rate, std::stoll(r["bit_rate"].get<std::string>())); }
        if (r.contains("tags") && r["tags"].contains("language")) { EXPECT_EQ(s.language, r["tags"]["language"].get<std::string>()); }
        if (s.type == StreamType::Video) {
            EXPECT_EQ(s.width, r["width"].get<int>());
            EXPECT_EQ(s.height, r["height"].get<int>());
            if (!s.attached_picture) { EXPECT_NEAR(s.fps, rational(r["avg_frame_rate"].get<std::string>()), 1e-9); }
            int rotation = 0;  // ffprobe prints the display matrix's counter-clockwise angle
            for (const json& sd : r.value("side_data_list", json::array())) {
                if (sd.contains("rotation")) rotation = sd["rotation"].get<int>();
            }
            EXPECT_EQ(s.rotation_deg, ((-rotation) % 360 + 360) % 360);
        }
        if (s.type == StreamType::Audio) {
            EXPECT_EQ(s.sample_rate_hz, std::stoi(r["sample_rate"].get<std::string>()));
            EXPECT_EQ(s.channels, r["channels"].get<int>());
            if (r.contains("channel_layout")) { EXPECT_EQ(s.channel_layout, r["channel_layout"].get<std::string>()); }
        }
    }
}

MediaInfo probe_ok(const std::string& name) {
    auto r = probe_file(fixture(name));
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
    return r.ok() ? *r : MediaInfo{};
}

class ProbeVsFfprobe : public ::testing::TestWithParam<const char*> {};

TEST_P(ProbeVsFfprobe, AllFieldsAgree) {
    if (!test::have_ffprobe()) GTEST_SKIP() << "ffprobe is not installed (scripts/setup installs it)";
    MediaInfo info = probe_ok(GetParam());
    auto ref = test::ffprobe_json(fixture(GetParam()));
    ASSERT_TRUE(ref.has_value()) << "ffprobe rejected " << GetParam();
    expect_matches_ffprobe(info, *ref);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ProbeVsFfprobe,
                         ::testing::Values("pattern-37x23.png", "pattern-37x23.webp", "pattern-37x23.bmp", "quadrants-orient6.jpg",
                                           "sine-440-48k-stereo.wav", "sine-440.mp3", "sine-440.opus", "cover-art.mp3",
                                           "clip-64x48.mp4", "clip-64x48-rot90.mp4", "sine-440-no-duration.mka"),
                         [](const auto& p) {
                             std::string n = p.param;
                             for (char& c : n) {
                                 if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                             }
                             return n;
                         });

TEST(Probe, ImagesAreImagesWithScriptSizes) {
    const json& pat = facts()["pattern"];
    for (const char* name : {"pattern-37x23.png", "pattern-37x23.webp", "pattern-37x23.bmp"}) {
        MediaInfo info = probe_ok(name);
        EXPECT_EQ(info.kind, MediaKind::Image) << name;
        EXPECT_EQ(info.width, pat["width"].get<int>()) << name;
        EXPECT_EQ(info.height, pat["height"].get<int>()) << name;
        EXPECT_EQ(info.duration_ms, 0) << name;
    }
    EXPECT_EQ(probe_ok("pattern-37x23.png").mime, "image/png");
    EXPECT_EQ(probe_ok("pattern-37x23.webp").mime, "image/webp");
    MediaInfo jpeg = probe_ok("quadrants-orient6.jpg");
    EXPECT_EQ(jpeg.kind, MediaKind::Image);
    EXPECT_EQ(jpeg.mime, "image/jpeg");
}

TEST(Probe, WavHasScriptFacts) {
    const json& sine = facts()["sine"];
    MediaInfo info = probe_ok("sine-440-48k-stereo.wav");
    EXPECT_EQ(info.kind, MediaKind::Audio);
    EXPECT_EQ(info.sample_rate_hz, sine["sample_rate_hz"].get<int>());
    EXPECT_EQ(info.channels, sine["channels"].get<int>());
    EXPECT_NEAR(info.duration_ms, sine["duration_ms"].get<int>(), 21);  // one 1024-sample frame
    EXPECT_EQ(info.width, 0);
    EXPECT_EQ(info.mime, "audio/wav");
    ASSERT_EQ(info.streams.size(), 1u);
    EXPECT_EQ(info.streams[0].channels, 2);
}

TEST(Probe, AudioWithCoverArtIsAudio) {
    MediaInfo info = probe_ok("cover-art.mp3");
    EXPECT_EQ(info.kind, MediaKind::Audio);
    EXPECT_EQ(info.mime, "audio/mpeg");
    bool has_cover = false;
    for (const StreamInfo& s : info.streams) has_cover |= s.attached_picture;
    EXPECT_TRUE(has_cover);
    EXPECT_EQ(info.width, 0);  // the cover is not the file's picture size
}

TEST(Probe, VideoHasScriptFactsAndRotation) {
    const json& clip = facts()["clip"];
    MediaInfo plain = probe_ok("clip-64x48.mp4");
    EXPECT_EQ(plain.kind, MediaKind::Video);
    EXPECT_EQ(plain.mime, "video/mp4");
    EXPECT_EQ(plain.width, clip["width"].get<int>());
    EXPECT_EQ(plain.height, clip["height"].get<int>());
    EXPECT_NEAR(plain.duration_ms, 1000, 40);
    EXPECT_EQ(plain.sample_rate_hz, facts()["sine"]["sample_rate_hz"].get<int>());
    MediaInfo rotated = probe_ok("clip-64x48-rot90.mp4");
    ASSERT_FALSE(rotated.streams.empty());
    EXPECT_EQ(rotated.streams[0].rotation_deg, clip["rotation_deg"].get<int>());
    EXPECT_EQ(rotated.width, clip["height"].get<int>());  // shown upright: sides swap
    EXPECT_EQ(rotated.height, clip["width"].get<int>());
    EXPECT_NEAR(rotated.streams[0].fps, clip["fps"].get<double>(), 1e-9);
}

TEST(Probe, UnknownDurationIsZero) {
    MediaInfo info = probe_ok("sine-440-no-duration.mka");
    EXPECT_EQ(info.kind, MediaKind::Audio);
    EXPECT_EQ(info.duration_ms, 0);
}

TEST(Probe, MissingFileIsNotFound) {
    auto r = probe_file(fixture("does-not-exist.mp4"));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::NotFound);
    EXPECT_NE(r.error().detail.find("does-not-exist.mp4"), std::string::npos);
}

TEST(Probe, FolderIsRefused) {
    auto r = probe_file(fixture(""));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::MediaOpenFailed);
}

TEST(Probe, NotMediaAndTruncatedFailToOpen) {
    for (const char* name : {"not-media.mp4", "truncated.mp4"}) {
        if (test::have_ffprobe()) { EXPECT_FALSE(test::ffprobe_json(fixture(name)).has_value()) << "ffprobe reads " << name; }
        auto r = probe_file(fixture(name));
        ASSERT_FALSE(r.ok()) << name;
        EXPECT_EQ(r.error().code, ErrorCode::MediaOpenFailed) << name;
        EXPECT_NE(r.error().detail.find(name), std::string::npos) << r.error().detail;
        EXPECT_NE(r.error().hint.find("not a media file Atelier can read"), std::string::npos);
    }
}

TEST(Probe, EmptyFileFailsToOpen) {
    test::TempDir dir;
    test::write_file(dir / "empty.wav", {});
    auto r = probe_file(dir / "empty.wav");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::MediaOpenFailed);
}

TEST(Probe, SubtitlesOnlyIsNoStream) {
    test::TempDir dir;
    std::ofstream(dir / "subs.srt") << "1\n00:00:00,000 --> 00:00:01,000\nHello\n\n2\n00:00:01,000 --> 00:00:02,000\nWorld\n";
    if (test::have_ffprobe()) {
        auto ref = test::ffprobe_json(dir / "subs.srt");
        ASSERT_TRUE(ref.has_value());
        ASSERT_EQ((*ref)["streams"].size(), 1u);
        EXPECT_EQ((*ref)["streams"][0]["codec_type"], "subtitle");
    }
    auto r = probe_file(dir / "subs.srt");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::MediaNoStream);
}

// A playlist makes FFmpeg open the files it names; Atelier refuses it rather than follow it.
TEST(Probe, PlaylistIsRefused) {
    test::TempDir dir;
    std::filesystem::copy_file(fixture("sine-440-48k-stereo.wav"), dir / "a.wav");
    std::ofstream(dir / "list.m3u8") << "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\na.wav\n#EXT-X-ENDLIST\n";
    auto r = probe_file(dir / "list.m3u8");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::MediaOpenFailed);
    EXPECT_NE(r.error().detail.find("hls"), std::string::npos) << r.error().detail;
}

// "concat:" and friends in a file name are part of the name, never a protocol.
TEST(Probe, ProtocolLikeFileNameIsJustAName) {
    test::TempDir dir;
    std::filesystem::copy_file(fixture("sine-440-48k-stereo.wav"), dir / "concat:a.wav");
    auto r = probe_file(dir / "concat:a.wav");
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(r->kind, MediaKind::Audio);
}

TEST(Probe, JsonHasEveryFieldAndRoundTrips) {
    MediaInfo info = probe_ok("clip-64x48-rot90.mp4");
    json j = json::parse(info.to_json());
    EXPECT_EQ(j["kind"], "video");
    EXPECT_EQ(j["path"], fixture("clip-64x48-rot90.mp4").string());
    EXPECT_EQ(j["width"], info.width);
    EXPECT_EQ(j["duration_ms"], info.duration_ms);
    ASSERT_EQ(j["streams"].size(), info.streams.size());
    EXPECT_EQ(j["streams"][0]["rotation_deg"], 90);
    EXPECT_EQ(j["streams"][1]["channel_layout"], "stereo");
    for (const char* key : {"container", "container_long", "mime", "bit_rate", "size_bytes", "height", "sample_rate_hz", "channels"}) {
        EXPECT_TRUE(j.contains(key)) << key;
    }
    auto back = media_info_from_json(info.to_json());
    ASSERT_TRUE(back.ok()) << back.error().message();
    EXPECT_EQ(*back, info);
}

TEST(Probe, JsonInvalidUtf8IsReplacedNotThrown) {
    MediaInfo info;
    info.kind = MediaKind::Audio;
    info.container = "bad\xff\xfe";
    json j = json::parse(info.to_json());
    EXPECT_EQ(j["container"], "bad\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(Probe, JsonBadInputIsInvalidArgument) {
    for (const char* text : {"", "not json", "[1,2]", R"({"width":"wide"})", R"({"kind":"sound"})",
                             R"({"streams":[{"type":"video","width":3000000000}]})", R"({"streams":{}})"}) {
        auto r = media_info_from_json(text);
        ASSERT_FALSE(r.ok()) << text;
        EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument) << text;
    }
}

}  // namespace
}  // namespace atelier::media
