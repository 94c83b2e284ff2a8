// Subtitle files (SRT/WebVTT/TXT/JSON) read back by ffmpeg's own demuxers, and burned-in
// subtitles: pixels change only inside the text box, which sits bottom-centred in the safe area,
// with text colour and outline colour both present; long text wraps within the safe width.
#include <gtest/gtest.h>

#include "media-test-util.h"
#include "media/default-font.h"
#include "media/subtitle-burn.h"
#include "media/subtitle-format.h"

namespace atelier::media {
namespace {

const std::vector<SubtitleItem> kItems = {
    {1500, 3250, "Hello, world", "Ann"}, {3'661'001, 3'662'500, "Two\nlines", ""}, {5000, 6000, "", ""}};

void write_text(const std::filesystem::path& p, const std::string& s) {
    test::write_file(p, std::vector<uint8_t>(s.begin(), s.end()));
}

TEST(SubtitleFiles, SrtAndWebVttReadBackByFfmpeg) {
    if (!test::have_ffmpeg()) GTEST_SKIP() << "needs the ffmpeg program";
    test::TempDir dir;
    write_text(dir / "a.srt", format_srt(kItems));
    write_text(dir / "a.vtt", format_webvtt(kItems));
    for (const char* name : {"a.srt", "a.vtt"}) {
        // ffmpeg parses our file with its own demuxer and writes SRT: the same cues come out.
        auto out = test::run_capture("/usr/bin/ffmpeg -v error -nostdin -i " + test::shell_quote((dir / name).string()) + " -f srt -");
        ASSERT_TRUE(out.has_value()) << name;
        std::erase(*out, '\r');  // ffmpeg's SRT writer ends lines inside a cue with CRLF
        EXPECT_EQ(*out, "1\n00:00:01,500 --> 00:00:03,250\nHello, world\n\n2\n01:01:01,001 --> 01:01:02,500\nTwo\nlines\n\n") << name;
    }
}

TEST(SubtitleFiles, TxtJsonAndFormatChoice) {
    EXPECT_EQ(format_txt(kItems), "Ann: Hello, world\n\nTwo\nlines\n\n");
    const auto j = nlohmann::json::parse(format_subtitles_json(kItems));
    ASSERT_EQ(j["items"].size(), 3u);
    EXPECT_EQ(j["items"][1]["start_ms"], 3'661'001);
    EXPECT_EQ(j["items"][0]["speaker"], "Ann");
    EXPECT_EQ(subtitle_format_for_path("x.SRT"), SubtitleFormat::Srt);
    EXPECT_EQ(subtitle_format_for_path("x.vtt"), SubtitleFormat::WebVtt);
    EXPECT_EQ(subtitle_format_for_path("x.doc"), SubtitleFormat::Invalid);
    EXPECT_FALSE(format_subtitles(kItems, SubtitleFormat::Invalid).ok());
    // A cue may not contain "-->" nor a blank line (it would end the cue).
    EXPECT_EQ(format_webvtt({{0, 10, "a --> b\n\n\nc"}}), "WEBVTT\n\n00:00:00.000 --> 00:00:00.010\na -> b\nc\n\n");
}

Image grey(int w, int h) { return Image{w, h, std::vector<uint8_t>(static_cast<size_t>(w) * h * 4, 128)}; }

TEST(SubtitleBurn, ChangesPixelsOnlyWhereTheTextIs) {
    EXPECT_GT(default_font_ttf().size(), 100'000u);
    auto burner = SubtitleBurner::create();
    ASSERT_TRUE(burner.ok()) << burner.error().message();
    const int w = 640, h = 360;
    Image frame = grey(w, h);
    const SubtitleStyle style;
    const PixelBox box = (*burner)->draw(frame, "Hello subtitles", style);
    ASSERT_GT(box.width, 0);
    // Inside the safe area, bottom-centred.
    EXPECT_GE(box.x, static_cast<int>(w * style.side_margin_frac) - 1);
    EXPECT_LE(box.x + box.width, w - static_cast<int>(w * style.side_margin_frac) + 1);
    EXPECT_LE(box.y + box.height, h - static_cast<int>(h * style.bottom_margin_frac));
    EXPECT_NEAR(box.x + box.width / 2.0, w / 2.0, 1.0);
    EXPECT_GT(box.y, h / 2);
    int changed_outside = 0, white = 0, black = 0;
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const uint8_t* p = test::pixel(frame, x, y);
            const bool changed = p[0] != 128 || p[1] != 128 || p[2] != 128 || p[3] != 128;
            if (!box.contains(x, y)) changed_outside += changed;
            white += p[0] > 240 && p[1] > 240 && p[2] > 240;
            black += p[0] < 15 && p[1] < 15 && p[2] < 15;
        }
    EXPECT_EQ(changed_outside, 0);
    EXPECT_GT(white, 100);  // the glyphs
    EXPECT_GT(black, 200);  // the outline around them
    // Text height follows the style: the box is about one line (font + outline) tall.
    EXPECT_NEAR(box.height, h * style.font_height_frac * 1.3, h * style.font_height_frac * 0.6);
}

TEST(SubtitleBurn, LongTextWrapsInsideTheSafeWidth) {
    auto burner = SubtitleBurner::create();
    ASSERT_TRUE(burner.ok());
    const int w = 320, h = 240;
    const std::string text = "This is a rather long subtitle line that cannot possibly fit on one line of a small frame, "
                             "not even close, because it goes on and on";
    const auto lines = (*burner)->wrap(text, w, h);
    ASSERT_GE(lines.size(), 3u);
    std::string joined;
    for (const auto& l : lines) joined += (joined.empty() ? "" : " ") + l;
    EXPECT_EQ(joined, text);  // breaks only at spaces, nothing lost
    Image frame = grey(w, h);
    const PixelBox box = (*burner)->draw(frame, text);
    EXPECT_LE(box.width, w - 2 * static_cast<int>(w * SubtitleStyle{}.side_margin_frac) + 2);
    const PixelBox one = (*burner)->draw(frame, "short");
    EXPECT_GT(box.height, 2 * one.height);
    EXPECT_EQ((*burner)->wrap("one\ntwo", w, h).size(), 2u);
    // A single word wider than the frame is split between characters rather than overflowing.
    const auto split = (*burner)->wrap(std::string(200, 'W'), w, h);
    EXPECT_GE(split.size(), 2u);
    EXPECT_FALSE((*burner)->wrap("\xff\xfe broken utf8", w, h).empty());
    EXPECT_FALSE(SubtitleBurner::create(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>("not a font at all"), 17)).ok());
}

}  // namespace
}  // namespace atelier::media
