// VideoReader against the fixture clip (each frame's grey band holds gray_step * frame index, the
// script's fact), against ffprobe's frame count and the ffmpeg CLI's pixels, and bad inputs.
#include <gtest/gtest.h>

#include "media-test-util.h"
#include "media/video-reader.h"

namespace atelier::media {
namespace {

using test::facts;
using test::fixture;

int band_gray(const Image& img) { return test::pixel(img, img.width / 2, img.height * 5 / 6)[0]; }

std::unique_ptr<VideoReader> open_ok(const std::string& name, VideoReaderOptions opts = {}) {
    auto r = VideoReader::open(fixture(name), opts);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
    return r.ok() ? std::move(*r) : nullptr;
}

TEST(VideoReader, ReadsEveryFrameInOrder) {
    auto reader = open_ok("clip-64x48.mp4");
    ASSERT_TRUE(reader);
    const int step = facts()["clip"]["gray_step"], fps = facts()["clip"]["fps"];
    int n = 0;
    int64_t last_pts = -1;
    VideoFrame f;
    for (;;) {
        auto got = reader->next(f);
        ASSERT_TRUE(got.ok()) << got.error().message();
        if (!*got) break;
        EXPECT_GT(f.pts_us, last_pts);
        last_pts = f.pts_us;
        EXPECT_NEAR(f.pts_us, n * 1'000'000LL / fps, 1000) << "frame " << n;
        EXPECT_NEAR(band_gray(*f.image), step * n, 4) << "frame " << n;
        ++n;
    }
    if (test::have_ffprobe()) {
        auto out = test::run_capture("/usr/bin/ffprobe -v error -count_frames -select_streams v:0 -show_entries "
                                     "stream=nb_read_frames -of csv=p=0 " + test::shell_quote(fixture("clip-64x48.mp4").string()));
        ASSERT_TRUE(out.has_value());
        EXPECT_EQ(n, std::stoi(*out));
    }
    EXPECT_EQ(n, facts()["clip"]["frames"].get<int>());
}

TEST(VideoReader, FrameAtIsFrameAccurateForwardAndBackward) {
    auto reader = open_ok("clip-64x48.mp4");
    ASSERT_TRUE(reader);
    const int step = facts()["clip"]["gray_step"];
    // The frame on screen at t is the last one with pts <= t (25 fps: frame k at 40k ms).
    for (auto [ms, frame] : {std::pair{0, 0}, std::pair{500, 12}, std::pair{520, 13}, std::pair{760, 19},
                             std::pair{120, 3}, std::pair{39, 0}, std::pair{961, 24}, std::pair{5000, 24}, std::pair{400, 10}}) {
        auto f = reader->frame_at(int64_t{ms} * 1000);
        ASSERT_TRUE(f.ok()) << f.error().message();
        EXPECT_NEAR(band_gray(*f->image), step * frame, 4) << "at " << ms << " ms";
        EXPECT_EQ(f->pts_us / 1000, frame * 40) << "at " << ms << " ms";
    }
}

// frame_at_yuv hands out the decoded planes themselves: frame 12 equals the ffmpeg CLI's yuv420p
// rawvideo of that frame byte for byte; a rotated or rescaled reader says it needs conversion.
TEST(VideoReader, FrameAtYuvIsTheDecodedPlanes) {
    if (!test::have_ffmpeg()) GTEST_SKIP() << "the ffmpeg CLI (the reference) is not installed";
    auto reader = open_ok("clip-64x48.mp4");
    ASSERT_TRUE(reader);
    YuvImage yuv;
    int64_t pts = -1;
    auto got = reader->frame_at_yuv(500'000, yuv, &pts);
    ASSERT_TRUE(got.ok()) << got.error().message();
    ASSERT_TRUE(*got);
    EXPECT_EQ(pts, 480'000);
    auto raw = test::run_capture("/usr/bin/ffmpeg -v error -nostdin -i " + test::shell_quote(fixture("clip-64x48.mp4").string()) +
                                 " -vf 'select=eq(n\\,12)' -frames:v 1 -f rawvideo -pix_fmt yuv420p -");
    ASSERT_TRUE(raw.has_value());
    ASSERT_EQ(raw->size(), 64u * 48u * 3 / 2);
    EXPECT_EQ(std::string(yuv.y.begin(), yuv.y.end()), raw->substr(0, 64 * 48));
    EXPECT_EQ(std::string(yuv.u.begin(), yuv.u.end()), raw->substr(64 * 48, 32 * 24));
    EXPECT_EQ(std::string(yuv.v.begin(), yuv.v.end()), raw->substr(64 * 48 + 32 * 24, 32 * 24));
    // The RGBA path still gives the same frame at the same time.
    auto f = reader->frame_at(500'000);
    ASSERT_TRUE(f.ok());
    EXPECT_NEAR(band_gray(*f->image), facts()["clip"]["gray_step"].get<int>() * 12, 4);
    for (auto [name, opts] : {std::pair{"clip-64x48-rot90.mp4", VideoReaderOptions{}},
                              std::pair{"clip-64x48.mp4", VideoReaderOptions{.width = 32, .height = 24}}}) {
        auto other = open_ok(name, opts);
        ASSERT_TRUE(other);
        auto g = other->frame_at_yuv(0, yuv);
        ASSERT_TRUE(g.ok());
        EXPECT_FALSE(*g) << name;
    }
}

TEST(VideoReader, RotationAndScalingMatchFfmpeg) {
    auto reader = open_ok("clip-64x48-rot90.mp4");
    ASSERT_TRUE(reader);
    EXPECT_EQ(reader->rotation_deg(), 90);
    EXPECT_EQ(reader->width(), facts()["clip"]["height"].get<int>());
    EXPECT_EQ(reader->height(), facts()["clip"]["width"].get<int>());
    auto f = reader->frame_at(0);
    ASSERT_TRUE(f.ok()) << f.error().message();
    if (!test::have_ffmpeg()) GTEST_SKIP() << "ffmpeg CLI not installed";
    auto ref = test::ffmpeg_frame(fixture("clip-64x48-rot90.mp4"), 0);
    ASSERT_TRUE(ref.has_value());
    ASSERT_EQ(f->image->width, ref->width);
    ASSERT_EQ(f->image->height, ref->height);
    EXPECT_LT(test::mean_abs_diff_rgb(*f->image, *ref), 2.0);

    auto scaled = open_ok("clip-64x48-rot90.mp4", {.width = 96, .height = 128});
    ASSERT_TRUE(scaled);
    auto g = scaled->frame_at(0);
    ASSERT_TRUE(g.ok());
    EXPECT_EQ(g->image->width, 96);
    EXPECT_EQ(g->image->height, 128);
    // Stored top-left (red) is at the top right once turned clockwise, at any size.
    EXPECT_LE(test::colour_distance(*g->image, 90, 10, {255, 0, 0}), 32);
}

TEST(VideoReader, BadInputsGiveClearErrors) {
    test::TempDir dir;
    test::write_file(dir / "empty.mp4", {});
    for (const auto& p : {dir / "empty.mp4", fixture("not-media.mp4"), dir / "missing.mp4"}) {
        auto r = VideoReader::open(p);
        ASSERT_FALSE(r.ok()) << p;
        EXPECT_NE(r.error().detail.find(p.filename().string()), std::string::npos) << r.error().detail;
    }
    auto audio = VideoReader::open(fixture("sine-440.opus"));
    ASSERT_FALSE(audio.ok());
    EXPECT_EQ(audio.error().code, ErrorCode::MediaNoStream);
    // A truncated file opens (its header is intact) and ends early or fails cleanly, never crashes.
    if (auto t = VideoReader::open(fixture("truncated.mp4")); t.ok()) {
        VideoFrame f;
        for (int i = 0; i < 1000; ++i) {
            auto got = (*t)->next(f);
            if (!got.ok() || !*got) break;
        }
    }
}

}  // namespace
}  // namespace atelier::media
