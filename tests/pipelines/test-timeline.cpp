// Timeline store (rows in the project file, checked with the sqlite3 CLI) and the renderer:
// letterboxing, pan/zoom, video in points (the fixture clip's grey band numbers its frames),
// audio gain and fades on a known sine, subtitles burned only when asked.
#include <cmath>

#include "media/audio-reader.h"
#include "pipelines/timeline-render.h"
#include "timeline-fixture.h"

namespace atelier::test {
namespace {

const fs::path kClip = fs::path(ATELIER_TEST_DATA_DIR) / "media/fixtures/clip-64x48.mp4";  // 25 fps, band = 8 * frame

class TimelineTest : public TimelineFixture {
protected:
    projects::TimelineRow timeline(int w = 320, int h = 180, int fps = 25) {
        auto t = projects::create_timeline(p(), {.name = "t", .width = w, .height = h, .fps_num = fps, .fps_den = 1});
        EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().message());
        return t.ok() ? *t : projects::TimelineRow{};
    }
    std::string track(const std::string& tl, projects::TrackKind kind) {
        auto t = projects::add_track(p(), tl, kind);
        EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().message());
        return t.ok() ? t->uuid : std::string();
    }
    void clip(const std::string& tr, const std::string& asset, int64_t start, int64_t dur, int64_t in = 0, std::string params = "{}",
              std::string text = {}) {
        auto c = projects::add_clip(p(), {.track_uuid = tr, .asset_uuid = asset, .start_ms = start, .duration_ms = dur,
                                          .source_in_ms = in, .text = std::move(text), .params_json = std::move(params)});
        ASSERT_TRUE(c.ok()) << c.error().message();
    }
    std::unique_ptr<pipelines::TimelineRenderer> renderer(const std::string& uuid, pipelines::RenderOptions o = {}) {
        auto tl = pipelines::snapshot_timeline(p(), uuid);
        EXPECT_TRUE(tl.ok()) << (tl.ok() ? "" : tl.error().message());
        if (!tl.ok()) return nullptr;
        auto r = pipelines::TimelineRenderer::open(*tl, o);
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
        return r.ok() ? std::move(*r) : nullptr;
    }
};

const uint8_t* px(const media::Image& img, int x, int y) { return &img.rgba[(size_t(y) * img.width + x) * 4]; }

TEST_F(TimelineTest, StoreRoundTripsAndRefusesBadClips) {
    const auto png = add_asset(this->png("a.png", 64, 32, 1));
    const auto tl = timeline();
    const auto v = track(tl.uuid, projects::TrackKind::Video);
    const auto s = track(tl.uuid, projects::TrackKind::Subtitle);
    clip(v, png, 0, 2000, 0, R"({"pan_zoom":{"from":[0.5,0.5,1],"to":[0.2,0.3,2]}})");
    clip(s, "", 500, 1000, 0, "{}", "Hello");
    EXPECT_EQ(sql("SELECT count(*) FROM tracks WHERE timeline_uuid = '" + tl.uuid + "'"), "2");
    EXPECT_EQ(sql("SELECT text || '@' || start_ms FROM clips WHERE asset_uuid IS NULL"), "Hello@500");
    auto doc = projects::load_timeline(p(), "");  // the oldest
    ASSERT_TRUE(doc.ok());
    EXPECT_EQ(doc->timeline.uuid, tl.uuid);
    ASSERT_EQ(doc->clips.size(), 2u);
    auto snap = pipelines::snapshot_timeline(p(), tl.uuid);
    ASSERT_TRUE(snap.ok());
    ASSERT_TRUE(snap->video_tracks.at(0).at(0).params.pan_zoom.has_value());
    EXPECT_DOUBLE_EQ(snap->video_tracks[0][0].params.pan_zoom->zoom_to, 2.0);
    EXPECT_EQ(snap->duration_ms(), 2000);
    // Refused: subtitle with an asset, clip without one, unknown track, bad params, asset in use.
    EXPECT_FALSE(projects::add_clip(p(), {.track_uuid = s, .asset_uuid = png, .start_ms = 0, .duration_ms = 1, .text = "x"}).ok());
    EXPECT_FALSE(projects::add_clip(p(), {.track_uuid = v, .start_ms = 0, .duration_ms = 1}).ok());
    EXPECT_EQ(projects::add_clip(p(), {.track_uuid = "nope", .asset_uuid = png, .duration_ms = 1}).error().code,
              ErrorCode::ProjectObjectNotFound);
    EXPECT_FALSE(pipelines::parse_clip_params(R"({"pan_zoom":{"to":[2,0,1]}})").ok());
    EXPECT_FALSE(pipelines::parse_clip_params(R"({"gain_db":"loud"})").ok());
    EXPECT_FALSE(p().remove_asset(png).ok());
    EXPECT_EQ(projects::load_timeline(p(), "0190b6a4-0000-7000-8000-000000000000").error().code, ErrorCode::ProjectObjectNotFound);
}

TEST_F(TimelineTest, ImagesAreLetterboxedAndPanZoomMoves) {
    const auto wide = add_asset(png("wide.png", 400, 100, 7));  // 4:1 on a 16:9 frame: bars above and below
    const auto tl = timeline(320, 180);
    const auto v = track(tl.uuid, projects::TrackKind::Video);
    clip(v, wide, 0, 1000);
    clip(v, wide, 1000, 1000, 0, R"({"pan_zoom":{"from":[0,0.5,1],"to":[1,0.5,1]}})");
    auto r = renderer(tl.uuid);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->frame_count(), 50);
    auto f = r->frame(0);
    ASSERT_TRUE(f.ok());
    const media::Image still = **f;
    // 320x80 picture centred: rows 0..49 and 130..179 black, the picture in between.
    EXPECT_EQ(px(still, 160, 10)[0] + px(still, 160, 10)[1] + px(still, 160, 10)[2], 0);
    EXPECT_EQ(px(still, 160, 170)[0] + px(still, 160, 170)[1] + px(still, 160, 170)[2], 0);
    const auto src = pipelines::demo::gradient_image(400, 100, 7);
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(px(still, 160, 90)[c], src.rgba[(50 * 400 + 200) * 4 + c], 6);
    // Pan from the left edge to the right edge: the first and last frames of the clip differ and
    // fill the whole frame (a 16:9 view cut from the picture).
    auto a = r->frame(25);
    ASSERT_TRUE(a.ok());
    const media::Image left = **a;
    auto b = r->frame(49);
    ASSERT_TRUE(b.ok());
    const media::Image& right = **b;
    EXPECT_NE(left.rgba, right.rgba);
    EXPECT_NE(px(left, 5, 5)[0] + px(left, 5, 5)[1] + px(left, 5, 5)[2], 0);
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(px(left, 0, 90)[c], src.rgba[(50 * 400 + 0) * 4 + c], 12);
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(px(right, 319, 90)[c], src.rgba[(50 * 400 + 399) * 4 + c], 12);
}

TEST_F(TimelineTest, VideoClipsHonourTheirInPoint) {
    const auto video = add_asset(kClip);
    const auto tl = timeline(64, 48, 25);
    const auto v = track(tl.uuid, projects::TrackKind::Video);
    clip(v, video, 200, 400, 400);  // timeline 200..600 ms shows source 400..800 ms (frames 10..19)
    auto r = renderer(tl.uuid);
    ASSERT_TRUE(r);
    for (auto [index, source_frame] : {std::pair{5, 10}, std::pair{6, 11}, std::pair{14, 19}}) {
        auto f = r->frame(index);
        ASSERT_TRUE(f.ok()) << f.error().message();
        EXPECT_NEAR(px(**f, 32, 40)[0], 8 * source_frame, 4) << "timeline frame " << index;
    }
    auto before = r->frame(2);  // before the clip: black
    ASSERT_TRUE(before.ok());
    EXPECT_EQ(px(**before, 32, 40)[0], 0);
}

TEST_F(TimelineTest, AudioGainAndFades) {
    const auto tone = add_asset(wav("tone.wav", 1000, 1, 1000.0));  // 0.5 amplitude sine
    const auto tl = timeline();
    const auto a = track(tl.uuid, projects::TrackKind::Audio);
    clip(a, tone, 0, 1000, 0, R"({"gain_db":-6.0206,"fade_in_ms":100})");
    clip(a, tone, 2000, 500, 0, R"({"fade_out_ms":500})");
    auto r = renderer(tl.uuid);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->sample_count(), 48000 * 5 / 2);
    std::vector<float> out;
    ASSERT_TRUE(r->audio(0, static_cast<size_t>(r->sample_count()), out).ok());
    auto peak = [&](int64_t from_ms, int64_t to_ms) {
        float m = 0;
        for (int64_t i = from_ms * 48; i < to_ms * 48; ++i) m = std::max(m, std::fabs(out[size_t(i) * 2]));
        return m;
    };
    EXPECT_NEAR(peak(200, 900), 0.25, 0.01);   // -6 dB of 0.5
    EXPECT_NEAR(peak(0, 10), 0.25 * 0.1, 0.01);  // 10 ms into a 100 ms fade: 10%
    EXPECT_NEAR(peak(45, 55), 0.25 * 0.55, 0.02);
    EXPECT_EQ(peak(1100, 1900), 0.0f);           // silence between the clips
    EXPECT_NEAR(peak(2000, 2050), 0.5, 0.01);    // fade out starts at full level
    EXPECT_LT(peak(2450, 2500), 0.5 * 0.1 + 0.01);
    // Stereo output carries the mono source on both channels.
    EXPECT_FLOAT_EQ(out[2 * 48 * 500], out[2 * 48 * 500 + 1]);
}

}  // namespace
}  // namespace atelier::test
