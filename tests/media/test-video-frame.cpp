// grab_video_frame against the ffmpeg CLI decoding the same file (autorotate and accurate seek
// on, as a player shows it) and against the layout the fixture script painted into each frame.
#include <gtest/gtest.h>

#include "media-test-util.h"
#include "media/image.h"

namespace atelier::media {
namespace {

using test::facts;
using test::fixture;

Image grab_ok(const std::string& name, int64_t time_ms, int max_side = 0) {
    auto r = grab_video_frame(fixture(name), time_ms, max_side);
    EXPECT_TRUE(r.ok()) << name << ": " << (r.ok() ? "" : r.error().message());
    return r.ok() ? *r : Image{};
}

// The grey band (bottom third, stored) holds gray_step * frame index.
int band_gray(const Image& img) { return test::pixel(img, img.width / 2, img.height * 5 / 6)[0]; }

void expect_same_as_ffmpeg(const Image& ours, const std::string& name, double seconds) {
    if (!test::have_ffmpeg()) GTEST_SKIP() << "ffmpeg CLI not installed";
    auto ref = test::ffmpeg_frame(fixture(name), seconds);
    ASSERT_TRUE(ref.has_value()) << "ffmpeg could not decode " << name;
    ASSERT_EQ(ours.width, ref->width);
    ASSERT_EQ(ours.height, ref->height);
    // Same libswscale underneath, but a different conversion path: allow rounding only.
    EXPECT_LT(test::mean_abs_diff_rgb(ours, *ref), 2.0);
}

TEST(VideoFrame, FirstFrameMatchesFfmpeg) {
    Image img = grab_ok("clip-64x48.mp4", 0);
    EXPECT_EQ(img.width, facts()["clip"]["width"].get<int>());
    EXPECT_EQ(img.height, facts()["clip"]["height"].get<int>());
    EXPECT_LE(test::colour_distance(img, 8, 4, {255, 0, 0}), 24);       // stored top-left: red
    EXPECT_LE(test::colour_distance(img, 56, 4, {0, 255, 0}), 24);      // top-right: green
    EXPECT_LE(test::colour_distance(img, 8, 24, {0, 0, 255}), 24);      // middle-left: blue
    EXPECT_LE(band_gray(img), 6);                                       // frame 0
    expect_same_as_ffmpeg(img, "clip-64x48.mp4", 0);
}

TEST(VideoFrame, RotationIsAppliedLikeFfmpeg) {
    Image img = grab_ok("clip-64x48-rot90.mp4", 0);
    const int w = facts()["clip"]["width"], h = facts()["clip"]["height"];
    ASSERT_EQ(img.width, h);
    ASSERT_EQ(img.height, w);
    // Turned 90 degrees clockwise: the stored top row is now the right-hand column, so stored
    // top-left (red) is at the top right and stored top-right (green) at the bottom right.
    EXPECT_LE(test::colour_distance(img, img.width - 4, 8, {255, 0, 0}), 24);
    EXPECT_LE(test::colour_distance(img, img.width - 4, img.height - 8, {0, 255, 0}), 24);
    expect_same_as_ffmpeg(img, "clip-64x48-rot90.mp4", 0);
}

TEST(VideoFrame, SeekIsFrameAccurate) {
    const int step = facts()["clip"]["gray_step"], fps = facts()["clip"]["fps"];
    // 500 ms falls between frames 12 (480 ms) and 13 (520 ms): the first frame at or after it is 13.
    // 760 ms is frame 19 exactly, nine frames after the keyframe at 10.
    for (auto [ms, frame] : {std::pair{500, 13}, std::pair{760, 19}, std::pair{120, 3}}) {
        ASSERT_EQ(ms * fps / 1000 + (ms * fps % 1000 != 0), frame);
        Image img = grab_ok("clip-64x48.mp4", ms);
        EXPECT_NEAR(band_gray(img), step * frame, 6) << ms << " ms";
        expect_same_as_ffmpeg(img, "clip-64x48.mp4", ms / 1000.0);
    }
}

TEST(VideoFrame, PastTheEndGivesTheLastFrame) {
    const int step = facts()["clip"]["gray_step"], frames = facts()["clip"]["frames"];
    Image img = grab_ok("clip-64x48.mp4", 60'000);
    EXPECT_NEAR(band_gray(img), step * (frames - 1), 6);
}

TEST(VideoFrame, FitsWithinMaxSide) {
    Image img = grab_ok("clip-64x48-rot90.mp4", 0, 32);
    EXPECT_EQ(img.width, 24);
    EXPECT_EQ(img.height, 32);
}

TEST(VideoFrame, CoverArtOfAnAudioFile) {
    Image img = grab_ok("cover-art.mp3", 0);
    ASSERT_EQ(img.width, facts()["pattern"]["width"].get<int>());
    ASSERT_EQ(img.height, facts()["pattern"]["height"].get<int>());
    EXPECT_EQ(std::vector<uint8_t>(test::pixel(img, 5, 7), test::pixel(img, 5, 7) + 4), test::pattern_pixel(5, 7));
}

TEST(VideoFrame, BadInputs) {
    EXPECT_EQ(grab_video_frame(fixture("missing.mp4"), 0, 64).error().code, ErrorCode::NotFound);
    EXPECT_EQ(grab_video_frame(fixture("not-media.mp4"), 0, 64).error().code, ErrorCode::MediaOpenFailed);
    EXPECT_EQ(grab_video_frame(fixture("truncated.mp4"), 0, 64).error().code, ErrorCode::MediaOpenFailed);
    EXPECT_EQ(grab_video_frame(fixture("sine-440-48k-stereo.wav"), 0, 64).error().code, ErrorCode::MediaNoStream);
}

}  // namespace
}  // namespace atelier::media
