// Image decode (stb and the FFmpeg fallback) against the fixture script's pattern, EXIF
// orientation against the EXIF 2.3 orientation table, encode round trips through stb's decoder
// and the ffmpeg CLI, size limits, fit_within arithmetic, and bad inputs.
#include <gtest/gtest.h>

#include <cstring>

#include <stb/stb_image.h>

#include "media-test-util.h"
#include "media/exif.h"
#include "media/image.h"

namespace atelier::media {
namespace {

using test::facts;
using test::fixture;

Image load_ok(const std::string& name) {
    auto r = load_image(fixture(name));
    EXPECT_TRUE(r.ok()) << name << ": " << (r.ok() ? "" : r.error().message());
    return r.ok() ? *r : Image{};
}

void expect_pattern(const Image& img, bool with_alpha) {
    ASSERT_EQ(img.width, facts()["pattern"]["width"].get<int>());
    ASSERT_EQ(img.height, facts()["pattern"]["height"].get<int>());
    ASSERT_EQ(img.rgba.size(), static_cast<size_t>(img.width) * img.height * 4);
    int wrong = 0;
    for (int y = 0; y < img.height; ++y) {
        for (int x = 0; x < img.width; ++x) {
            std::vector<uint8_t> want = test::pattern_pixel(x, y);
            if (!with_alpha) want[3] = 255;
            wrong += std::memcmp(test::pixel(img, x, y), want.data(), 4) != 0;
        }
    }
    EXPECT_EQ(wrong, 0);
}

TEST(Image, PngDecodesExactly) { expect_pattern(load_ok("pattern-37x23.png"), true); }
TEST(Image, WebpDecodesExactlyThroughFfmpeg) { expect_pattern(load_ok("pattern-37x23.webp"), true); }
TEST(Image, BmpDecodesExactly) { expect_pattern(load_ok("pattern-37x23.bmp"), false); }

TEST(Image, MemoryDecodeEqualsFileDecode) {
    std::vector<uint8_t> bytes = test::read_file(fixture("pattern-37x23.webp"));
    auto r = decode_image_memory(bytes.data(), bytes.size());
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(r->rgba, load_ok("pattern-37x23.webp").rgba);
}

// ---- EXIF orientation

enum class Side { Top, Bottom, Left, Right };
Side opposite(Side s) {
    switch (s) {
        case Side::Top: return Side::Bottom;
        case Side::Bottom: return Side::Top;
        case Side::Left: return Side::Right;
        case Side::Right: return Side::Left;
    }
    return s;
}
bool horizontal(Side s) { return s == Side::Top || s == Side::Bottom; }

// EXIF 2.3, tag Orientation: where the stored 0th row and 0th column are shown.
struct OrientationSpec { Side row0, col0; };
const OrientationSpec kSpec[9] = {
    {}, {Side::Top, Side::Left}, {Side::Top, Side::Right}, {Side::Bottom, Side::Right}, {Side::Bottom, Side::Left},
    {Side::Left, Side::Top}, {Side::Right, Side::Top}, {Side::Right, Side::Bottom}, {Side::Left, Side::Bottom}};

// Checks the four quadrant colours of the fixture's stored image land where the table says.
void expect_oriented_quadrants(const Image& img, int orientation) {
    const auto& q = facts()["quadrants"];
    const int w = q["width"], h = q["height"];
    const bool swap = orientation >= 5;
    ASSERT_EQ(img.width, swap ? h : w);
    ASSERT_EQ(img.height, swap ? w : h);
    const OrientationSpec spec = kSpec[orientation];
    const struct { bool first_row, first_col; const char* key; } corners[] = {
        {true, true, "top_left"}, {true, false, "top_right"}, {false, true, "bottom_left"}, {false, false, "bottom_right"}};
    for (const auto& c : corners) {
        Side a = c.first_row ? spec.row0 : opposite(spec.row0);
        Side b = c.first_col ? spec.col0 : opposite(spec.col0);
        Side vertical_side = horizontal(a) ? b : a, horizontal_side = horizontal(a) ? a : b;
        int x = vertical_side == Side::Left ? img.width / 4 : img.width * 3 / 4;
        int y = horizontal_side == Side::Top ? img.height / 4 : img.height * 3 / 4;
        EXPECT_LE(test::colour_distance(img, x, y, q[c.key].get<std::vector<int>>()), 40)
            << "orientation " << orientation << ", stored " << c.key << " expected at (" << x << "," << y << ")";
    }
}

// A JPEG with an APP1 Exif segment (IFD0 holding only Orientation) spliced in after SOI.
std::vector<uint8_t> with_orientation(const std::vector<uint8_t>& jpeg, int orientation, bool little_endian) {
    auto u16 = [&](std::vector<uint8_t>& v, unsigned x) {
        if (little_endian) v.insert(v.end(), {uint8_t(x), uint8_t(x >> 8)});
        else v.insert(v.end(), {uint8_t(x >> 8), uint8_t(x)});
    };
    auto u32 = [&](std::vector<uint8_t>& v, unsigned x) {
        if (little_endian) { u16(v, x & 0xFFFF); u16(v, x >> 16); }
        else { u16(v, x >> 16); u16(v, x & 0xFFFF); }
    };
    std::vector<uint8_t> tiff = little_endian ? std::vector<uint8_t>{'I', 'I'} : std::vector<uint8_t>{'M', 'M'};
    u16(tiff, 42); u32(tiff, 8); u16(tiff, 1);
    u16(tiff, 0x0112); u16(tiff, 3); u32(tiff, 1); u16(tiff, static_cast<unsigned>(orientation)); u16(tiff, 0);
    u32(tiff, 0);
    std::vector<uint8_t> payload = {'E', 'x', 'i', 'f', 0, 0};
    payload.insert(payload.end(), tiff.begin(), tiff.end());
    std::vector<uint8_t> out = {0xFF, 0xD8, 0xFF, 0xE1, uint8_t((payload.size() + 2) >> 8), uint8_t(payload.size() + 2)};
    out.insert(out.end(), payload.begin(), payload.end());
    out.insert(out.end(), jpeg.begin() + 2, jpeg.end());
    return out;
}

TEST(Image, ExifOrientation6FixtureIsUpright) {
    expect_oriented_quadrants(load_ok("quadrants.jpg"), 1);
    expect_oriented_quadrants(load_ok("quadrants-orient6.jpg"), 6);
}

TEST(Image, ExifAllEightOrientationsBothByteOrders) {
    const std::vector<uint8_t> jpeg = test::read_file(fixture("quadrants.jpg"));
    for (int o = 1; o <= 8; ++o) {
        for (bool little : {true, false}) {
            std::vector<uint8_t> bytes = with_orientation(jpeg, o, little);
            EXPECT_EQ(jpeg_exif_orientation(bytes.data(), bytes.size()), o);
            auto r = decode_image_memory(bytes.data(), bytes.size());
            ASSERT_TRUE(r.ok()) << r.error().message();
            expect_oriented_quadrants(*r, o);
        }
    }
}

TEST(Image, ExifParserRejectsDamagedSegments) {
    const std::vector<uint8_t> good = with_orientation(test::read_file(fixture("quadrants.jpg")), 6, false);
    ASSERT_EQ(jpeg_exif_orientation(good.data(), good.size()), 6);
    // Every truncation of the segment, and every corruption of each byte of it, is handled.
    for (size_t n = 0; n < 48; ++n) EXPECT_GE(jpeg_exif_orientation(good.data(), n), 1);
    for (size_t i = 2; i < 40; ++i) {
        for (uint8_t v : {uint8_t{0x00}, uint8_t{0xFF}, uint8_t{0x7F}}) {
            std::vector<uint8_t> bad = good;
            bad[i] = v;
            int o = jpeg_exif_orientation(bad.data(), bad.size());
            EXPECT_TRUE(o >= 1 && o <= 8);
            auto r = decode_image_memory(bad.data(), bad.size());  // never crashes; may fail
            if (r.ok()) { EXPECT_FALSE(r->empty()); }
        }
    }
    const uint8_t not_jpeg[] = {0x89, 'P', 'N', 'G'};
    EXPECT_EQ(jpeg_exif_orientation(not_jpeg, sizeof not_jpeg), 1);
    EXPECT_EQ(jpeg_exif_orientation(nullptr, 0), 1);
}

// ---- encode

Image pattern() { return load_ok("pattern-37x23.png"); }

TEST(Image, PngRoundTripIsExactThroughStbAndFfmpeg) {
    const Image img = pattern();
    auto png = encode_png(img);
    ASSERT_TRUE(png.ok()) << png.error().message();
    int w = 0, h = 0, comp = 0;
    stbi_uc* px = stbi_load_from_memory(png->data(), static_cast<int>(png->size()), &w, &h, &comp, 4);
    ASSERT_NE(px, nullptr);
    EXPECT_EQ(w, img.width);
    EXPECT_EQ(h, img.height);
    EXPECT_EQ(std::memcmp(px, img.rgba.data(), img.rgba.size()), 0);
    stbi_image_free(px);
    if (!test::have_ffmpeg()) GTEST_SKIP() << "ffmpeg CLI not installed: the stb check above passed";
    test::TempDir dir;
    ASSERT_TRUE(write_png(img, dir / "out.png").ok());
    auto ref = test::ffmpeg_frame(dir / "out.png", 0);
    ASSERT_TRUE(ref.has_value());
    EXPECT_EQ(ref->rgba, img.rgba);
}

TEST(Image, JpegRoundTripAbove30dB) {
    const Image img = pattern();
    auto jpg = encode_jpeg(img, 90);
    ASSERT_TRUE(jpg.ok()) << jpg.error().message();
    int w = 0, h = 0, comp = 0;
    stbi_uc* px = stbi_load_from_memory(jpg->data(), static_cast<int>(jpg->size()), &w, &h, &comp, 4);
    ASSERT_NE(px, nullptr);
    Image back{w, h, std::vector<uint8_t>(px, px + static_cast<size_t>(w) * h * 4)};
    stbi_image_free(px);
    EXPECT_GT(test::psnr_rgb(back, img), 30.0);
    // Through our own decoder (FFmpeg's): at 95 stb keeps full-resolution chroma, which this
    // pattern (colour changing every pixel) needs; at 90 its 4:2:0 chroma caps it near 26 dB.
    test::TempDir dir;
    ASSERT_TRUE(write_jpeg(img, dir / "out.jpg", 95).ok());
    auto again = load_image(dir / "out.jpg");
    ASSERT_TRUE(again.ok());
    EXPECT_GT(test::psnr_rgb(*again, img), 40.0);
    auto smaller = encode_jpeg(img, 50);
    ASSERT_TRUE(smaller.ok());
    EXPECT_LT(smaller->size(), jpg->size());  // quality is passed through
}

TEST(Image, EncodeRejectsMalformedImages) {
    Image bad{4, 4, std::vector<uint8_t>(10)};
    EXPECT_EQ(encode_png(bad).error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(encode_jpeg(Image{}).error().code, ErrorCode::InvalidArgument);
    test::TempDir dir;
    auto s = write_png(pattern(), dir / "no-such-folder" / "x.png");
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, ErrorCode::NotFound);
}

// ---- limits

uint32_t crc32(const uint8_t* p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; ++i) {
        c ^= p[i];
        for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return ~c;
}

// A PNG signature and IHDR claiming w x h, and nothing else: only the header exists.
std::vector<uint8_t> png_header_only(uint32_t w, uint32_t h) {
    std::vector<uint8_t> out = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0, 0, 0, 13};
    std::vector<uint8_t> chunk = {'I', 'H', 'D', 'R'};
    for (uint32_t v : {w, h}) chunk.insert(chunk.end(), {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)});
    chunk.insert(chunk.end(), {8, 6, 0, 0, 0});  // 8-bit RGBA, no interlace
    uint32_t crc = crc32(chunk.data(), chunk.size());
    out.insert(out.end(), chunk.begin(), chunk.end());
    out.insert(out.end(), {uint8_t(crc >> 24), uint8_t(crc >> 16), uint8_t(crc >> 8), uint8_t(crc)});
    return out;
}

TEST(Image, OversizedHeadersAreRefusedBeforeDecoding) {
    for (auto [w, h] : {std::pair{40000u, 10u}, std::pair{30000u, 30000u}}) {
        std::vector<uint8_t> bytes = png_header_only(w, h);
        auto r = decode_image_memory(bytes.data(), bytes.size());
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().code, ErrorCode::MediaUnsupported) << w << "x" << h << ": " << r.error().message();
    }
    const ImageLimits small{.max_side_px = 16, .max_pixels = 256};
    for (const char* name : {"pattern-37x23.png", "pattern-37x23.webp"}) {
        auto r = load_image(fixture(name), small);
        ASSERT_FALSE(r.ok()) << name;
        EXPECT_EQ(r.error().code, ErrorCode::MediaUnsupported) << name;
    }
}

// ---- fit_within / rotate

TEST(Image, FitWithinAveragesAreas) {
    // 4x2 -> 2x1: each output pixel is the mean of a 2x2 block (alpha 255: plain means).
    Image img{4, 2, {}};
    const uint8_t values[8] = {0, 100, 10, 30, 200, 60, 20, 50};
    for (uint8_t v : values) img.rgba.insert(img.rgba.end(), {v, uint8_t(255 - v), 7, 255});
    Image out = fit_within(img, 2);
    ASSERT_EQ(out.width, 2);
    ASSERT_EQ(out.height, 1);
    EXPECT_EQ(out.rgba[0], (0 + 100 + 200 + 60 + 2) / 4);  // means, rounded to nearest
    EXPECT_EQ(out.rgba[4], (10 + 30 + 20 + 50 + 2) / 4);
    EXPECT_EQ(out.rgba[2], 7);
    EXPECT_EQ(out.rgba[3], 255);
}

TEST(Image, FitWithinKeepsAspectAndNeverUpscales) {
    const Image img = pattern();
    Image out = fit_within(img, 10);
    EXPECT_EQ(out.width, 10);
    EXPECT_EQ(out.height, 6);  // 23 * 10 / 37 = 6.2
    EXPECT_EQ(fit_within(img, 100).rgba, img.rgba);
    // Fully transparent pixels do not bleed colour into their neighbours.
    Image half{2, 1, {255, 0, 0, 255, 0, 255, 0, 0}};
    Image one = fit_within(half, 1);
    ASSERT_EQ(one.width, 1);
    EXPECT_EQ(one.rgba[0], 255);
    EXPECT_EQ(one.rgba[1], 0);
    EXPECT_EQ(one.rgba[3], 128);
}

TEST(Image, RotateQuarterTurns) {
    // 2x1: A B  -> 90 cw: 1x2 column A over B; 270 cw: B over A; 180: B A.
    Image img{2, 1, {1, 1, 1, 255, 2, 2, 2, 255}};
    Image r90 = rotate_image(img, 90), r180 = rotate_image(img, 180), r270 = rotate_image(img, 270);
    ASSERT_EQ(r90.width, 1);
    ASSERT_EQ(r90.height, 2);
    EXPECT_EQ(r90.rgba[0], 1);
    EXPECT_EQ(r90.rgba[4], 2);
    EXPECT_EQ(r270.rgba[0], 2);
    EXPECT_EQ(r180.rgba[0], 2);
    EXPECT_EQ(rotate_image(img, 360).rgba, img.rgba);
}

// ---- bad input

TEST(Image, BadInputsGiveErrorsNotCrashes) {
    EXPECT_EQ(load_image(fixture("nope.png")).error().code, ErrorCode::NotFound);
    EXPECT_EQ(load_image(fixture("not-media.mp4")).error().code, ErrorCode::MediaOpenFailed);
    EXPECT_EQ(load_image(fixture("sine-440-48k-stereo.wav")).error().code, ErrorCode::MediaOpenFailed);
    EXPECT_EQ(decode_image_memory(nullptr, 0).error().code, ErrorCode::MediaOpenFailed);
    const uint8_t noise[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    EXPECT_EQ(decode_image_memory(noise, sizeof noise).error().code, ErrorCode::MediaOpenFailed);
    // Every prefix of a real PNG and JPEG: an error or an image, never a crash.
    for (const char* name : {"pattern-37x23.png", "quadrants-orient6.jpg", "pattern-37x23.webp"}) {
        std::vector<uint8_t> bytes = test::read_file(fixture(name));
        for (size_t n = 1; n < bytes.size(); n += 7) {
            auto r = decode_image_memory(bytes.data(), n);
            if (!r.ok()) { EXPECT_NE(r.error().code, ErrorCode::Invalid); }
        }
    }
}

}  // namespace
}  // namespace atelier::media
