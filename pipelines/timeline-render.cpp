// TimelineRenderer: per video clip a lazily opened source (a decoded and fitted picture for image
// clips, a VideoReader at the fitted size for video clips), per audio clip a lazily opened
// AudioReader at the output format that reads forward; sources of clips that ended are closed.
// Pan/zoom: the view (frame-shaped, the largest inside the picture, divided by zoom) moves
// linearly from `from` to `to` over the clip and is resampled bilinearly to the fitted size.
// Thread-safety: one renderer per thread.
#include "pipelines/timeline-render.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "media/audio-reader.h"
#include "media/image-compose.h"
#include "media/subtitle-burn.h"
#include "media/video-reader.h"

namespace atelier::pipelines {
namespace {

struct VideoSource {
    media::Image picture;   // image clips: the decoded picture (upright)
    media::Image fitted;    // image clips without pan/zoom: fitted once
    std::unique_ptr<media::VideoReader> reader;
};

struct AudioSource {
    std::unique_ptr<media::AudioReader> reader;
    int64_t next_local = 0;  // clip-local output sample the reader delivers next
    bool ended = false;
};

double lerp(double a, double b, double t) { return a + (b - a) * t; }

}  // namespace

struct TimelineRenderer::Impl {
    RenderTimeline tl;
    RenderOptions o;
    int64_t n_frames = 0, n_samples = 0;
    media::Image frame;
    std::map<std::pair<size_t, size_t>, VideoSource> video;  // (track, clip) -> source
    std::map<size_t, AudioSource> audio;                     // audio clip index -> source
    std::unique_ptr<media::SubtitleBurner> burner;
    std::vector<float> scratch;

    Result<VideoSource*> video_source(size_t track, size_t idx);
    Status draw_clip(size_t track, size_t idx, int64_t t_us);
    Status mix_clip(size_t idx, int64_t start, size_t frames, std::vector<float>& out);
    void close_finished(int64_t t_ms);
    // Frame n's time, rounded up: a source frame at exactly n/fps has its pts rounded to the
    // nearest microsecond, so truncating here (66666 for 2/30 s against a pts of 66667) showed
    // the previous frame again for every third frame of a 30 fps clip.
    int64_t frame_time_us(int64_t index) const {
        return (index * 1'000'000LL * o.fps_den + o.fps_num - 1) / o.fps_num;
    }
    // The clip of video track `track` shown at t (the first that covers it).
    std::optional<size_t> clip_at(size_t track, int64_t t_us) const {
        const auto& clips = tl.video_tracks[track];
        for (size_t i = 0; i < clips.size(); ++i)
            if (clips[i].start_ms * 1000 <= t_us && t_us < clips[i].end_ms() * 1000) return i;
        return std::nullopt;
    }
    // The subtitle items shown at t, one line each ("" when none).
    std::string subtitle_text_at(int64_t t_us) const {
        std::string text;
        for (const auto& s : tl.subtitles)
            if (s.start_ms * 1000 <= t_us && t_us < s.end_ms * 1000) text += (text.empty() ? "" : "\n") + s.text;
        return text;
    }
};

namespace {
// Time t on the timeline as a time in clip c's source.
int64_t source_time_us(const RenderClip& c, int64_t t_us) { return t_us - c.start_ms * 1000 + c.source_in_ms * 1000; }
}  // namespace

Result<VideoSource*> TimelineRenderer::Impl::video_source(size_t track, size_t idx) {
    auto it = video.find({track, idx});
    if (it != video.end()) return &it->second;
    const RenderClip& c = tl.video_tracks[track][idx];
    VideoSource src;
    if (c.kind == ClipKind::Image) {
        ATELIER_TRY_ASSIGN(src.picture, media::load_image(c.path));
        if (!c.params.pan_zoom) {
            int w = 0, h = 0;
            media::fit_size(src.picture.width, src.picture.height, o.width, o.height, &w, &h);
            src.fitted = media::resample_region(src.picture, {0, 0, double(src.picture.width), double(src.picture.height)}, w, h);
            src.picture = {};
        }
    } else {
        ATELIER_TRY_ASSIGN(auto probe, media::VideoReader::open(c.path));
        int w = 0, h = 0;
        media::fit_size(probe->width(), probe->height(), o.width, o.height, &w, &h);
        probe.reset();
        ATELIER_TRY_ASSIGN(src.reader, media::VideoReader::open(c.path, {.width = w, .height = h}));
    }
    return &video.emplace(std::make_pair(track, idx), std::move(src)).first->second;
}

Status TimelineRenderer::Impl::draw_clip(size_t track, size_t idx, int64_t t_us) {
    const RenderClip& c = tl.video_tracks[track][idx];
    ATELIER_TRY_ASSIGN(VideoSource * src, video_source(track, idx));
    const media::Image* pic = nullptr;
    media::Image moved;
    if (src->reader) {
        ATELIER_TRY_ASSIGN(media::VideoFrame f, src->reader->frame_at(source_time_us(c, t_us)));
        pic = f.image;
    } else if (!c.params.pan_zoom) {
        pic = &src->fitted;
    } else {
        const PanZoom& pz = *c.params.pan_zoom;
        const double t = std::clamp((t_us / 1000.0 - c.start_ms) / std::max<double>(1, c.duration_ms), 0.0, 1.0);
        const double zoom = lerp(pz.zoom_from, pz.zoom_to, t);
        const double cx = lerp(pz.x_from, pz.x_to, t), cy = lerp(pz.y_from, pz.y_to, t);
        const media::Image& p = src->picture;
        // The largest frame-shaped view inside the picture, shrunk by zoom, centred at (cx, cy).
        double vw = p.width, vh = p.width * double(o.height) / o.width;
        if (vh > p.height) vh = p.height, vw = p.height * double(o.width) / o.height;
        vw /= zoom, vh /= zoom;
        const double x = std::clamp(cx * p.width - vw / 2, 0.0, p.width - vw), y = std::clamp(cy * p.height - vh / 2, 0.0, p.height - vh);
        moved = media::resample_region(p, {x, y, vw, vh}, o.width, o.height);
        pic = &moved;
    }
    media::blit_over(frame, *pic, (o.width - pic->width) / 2, (o.height - pic->height) / 2);
    return ok_status();
}

Status TimelineRenderer::Impl::mix_clip(size_t idx, int64_t start, size_t frames, std::vector<float>& out) {
    const RenderClip& c = tl.audio_clips[idx];
    const int64_t rate = o.sample_rate_hz, ch = o.channels;
    const int64_t cs = c.start_ms * rate / 1000, ce = c.end_ms() * rate / 1000;
    const int64_t a = std::max(start, cs), b = std::min(start + static_cast<int64_t>(frames), ce);
    if (a >= b) return ok_status();
    AudioSource& src = audio[idx];
    const int64_t local = a - cs;
    if (!src.reader || local < src.next_local) {  // first use, or a jump back: (re)open
        // Mono plays at full level on every channel (swresample's upmix would lower it by 3 dB);
        // other layouts are mixed down or up by swresample.
        ATELIER_TRY_ASSIGN(src.reader, media::AudioReader::open(c.path, {.sample_rate_hz = o.sample_rate_hz}));
        const int got_ch = src.reader->format().channels;
        if (got_ch != 1 && got_ch != o.channels) {
            ATELIER_TRY_ASSIGN(src.reader, media::AudioReader::open(c.path, {.sample_rate_hz = o.sample_rate_hz, .channels = o.channels}));
        }
        src.next_local = -(c.source_in_ms * rate / 1000);  // samples before the in point are skipped
        src.ended = false;
    }
    while (src.next_local < local && !src.ended) {  // skip forward (in point, or a jump ahead)
        const size_t n = static_cast<size_t>(std::min<int64_t>(local - src.next_local, 1 << 15));
        ATELIER_TRY_ASSIGN(size_t got, src.reader->read(scratch, n));
        src.ended = got == 0;
        src.next_local += static_cast<int64_t>(got);
    }
    const size_t want = static_cast<size_t>(b - a);
    size_t got = 0;
    if (!src.ended) {
        ATELIER_TRY_ASSIGN(got, src.reader->read(scratch, want));
        src.ended = got < want;
    }
    src.next_local = local + static_cast<int64_t>(want);
    const bool mono = src.reader->format().channels == 1;
    const double gain = std::pow(10.0, c.params.gain_db / 20.0);
    const double fin = double(c.params.fade_in_ms) * rate / 1000, fout = double(c.params.fade_out_ms) * rate / 1000;
    for (size_t i = 0; i < got; ++i) {
        const double pos = double(local) + double(i), left = double(ce - cs) - pos;
        double g = gain;
        if (fin > 0 && pos < fin) g *= pos / fin;
        if (fout > 0 && left < fout) g *= std::max(0.0, left) / fout;
        float* d = &out[(static_cast<size_t>(a - start) + i) * static_cast<size_t>(ch)];
        for (int64_t k = 0; k < ch; ++k) {
            const size_t si = mono ? i : i * static_cast<size_t>(ch) + static_cast<size_t>(k);
            d[k] += static_cast<float>(scratch[si] * g);
        }
    }
    return ok_status();
}

void TimelineRenderer::Impl::close_finished(int64_t t_ms) {
    for (auto it = video.begin(); it != video.end();)
        it = tl.video_tracks[it->first.first][it->first.second].end_ms() <= t_ms ? video.erase(it) : std::next(it);
}

TimelineRenderer::TimelineRenderer() : impl_(std::make_unique<Impl>()) {}
TimelineRenderer::~TimelineRenderer() = default;

Result<std::unique_ptr<TimelineRenderer>> TimelineRenderer::open(RenderTimeline timeline, RenderOptions opts) {
    std::unique_ptr<TimelineRenderer> r(new TimelineRenderer());
    Impl& m = *r->impl_;
    m.o = opts;
    if (m.o.width <= 0 || m.o.height <= 0) m.o.width = timeline.width, m.o.height = timeline.height;
    if (m.o.fps_num <= 0 || m.o.fps_den <= 0) m.o.fps_num = timeline.fps_num, m.o.fps_den = timeline.fps_den;
    if (m.o.sample_rate_hz <= 0) m.o.sample_rate_hz = timeline.sample_rate_hz;
    if (m.o.width <= 0 || m.o.height <= 0 || m.o.width > 16384 || m.o.height > 16384 || m.o.fps_num <= 0 || m.o.fps_den <= 0 ||
        m.o.sample_rate_hz < 8000 || m.o.channels < 1 || m.o.channels > 2) {
        return make_error(ErrorCode::InvalidArgument, "timeline render: size, frame rate or audio format out of range");
    }
    m.tl = std::move(timeline);
    const int64_t dur = m.tl.duration_ms();
    m.n_frames = (dur * m.o.fps_num + 1000LL * m.o.fps_den - 1) / (1000LL * m.o.fps_den);
    m.n_samples = (dur * m.o.sample_rate_hz + 500) / 1000;
    m.frame.width = m.o.width;
    m.frame.height = m.o.height;
    m.frame.rgba.assign(static_cast<size_t>(m.o.width) * static_cast<size_t>(m.o.height) * 4, 0);
    if (m.o.burn_subtitles && !m.tl.subtitles.empty()) {
        ATELIER_TRY_ASSIGN(m.burner, media::SubtitleBurner::create());
    }
    return r;
}

int TimelineRenderer::width() const { return impl_->o.width; }
int TimelineRenderer::height() const { return impl_->o.height; }
int TimelineRenderer::fps_num() const { return impl_->o.fps_num; }
int TimelineRenderer::fps_den() const { return impl_->o.fps_den; }
int TimelineRenderer::sample_rate_hz() const { return impl_->o.sample_rate_hz; }
int TimelineRenderer::channels() const { return impl_->o.channels; }
int64_t TimelineRenderer::frame_count() const { return impl_->n_frames; }
int64_t TimelineRenderer::sample_count() const { return impl_->n_samples; }

Result<const media::Image*> TimelineRenderer::frame(int64_t index) {
    Impl& m = *impl_;
    const int64_t t_us = m.frame_time_us(index);
    const int64_t t_ms = t_us / 1000;
    media::fill(m.frame, 0, 0, 0);
    m.close_finished(t_ms);
    for (size_t tr = 0; tr < m.tl.video_tracks.size(); ++tr)  // one clip per track at a time
        if (const auto i = m.clip_at(tr, t_us)) ATELIER_TRY(m.draw_clip(tr, *i, t_us));
    if (m.burner) {
        if (const std::string text = m.subtitle_text_at(t_us); !text.empty()) m.burner->draw(m.frame, text);
    }
    return &m.frame;
}

Status TimelineRenderer::take_frame(int64_t index, media::Image& out) {
    ATELIER_TRY(frame(index));
    Impl& m = *impl_;
    std::swap(out, m.frame);  // frame() repaints every pixel, so the old buffer serves as the next canvas
    const size_t bytes = static_cast<size_t>(m.o.width) * static_cast<size_t>(m.o.height) * 4;
    m.frame.width = m.o.width;
    m.frame.height = m.o.height;
    if (m.frame.rgba.size() != bytes) m.frame.rgba.assign(bytes, 0);
    return ok_status();
}

Result<bool> TimelineRenderer::take_frame_yuv(int64_t index, media::YuvImage& out) {
    Impl& m = *impl_;
    const int64_t t_us = m.frame_time_us(index);
    if (m.burner && !m.subtitle_text_at(t_us).empty()) return false;  // text to draw
    std::optional<std::pair<size_t, size_t>> only;  // (track, clip)
    for (size_t tr = 0; tr < m.tl.video_tracks.size(); ++tr) {
        if (const auto i = m.clip_at(tr, t_us)) {
            if (only) return false;  // two layers: composite
            only = {tr, *i};
        }
    }
    if (!only) return false;
    const RenderClip& clip = m.tl.video_tracks[only->first][only->second];
    if (clip.kind == ClipKind::Image) return false;
    m.close_finished(t_us / 1000);
    ATELIER_TRY_ASSIGN(VideoSource * src, m.video_source(only->first, only->second));
    if (!src->reader || src->reader->width() != m.o.width || src->reader->height() != m.o.height) return false;
    return src->reader->frame_at_yuv(source_time_us(clip, t_us), out);
}

Status TimelineRenderer::audio(int64_t start_sample, size_t frames, std::vector<float>& out) {
    Impl& m = *impl_;
    out.assign(frames * static_cast<size_t>(m.o.channels), 0.0f);
    for (size_t i = 0; i < m.tl.audio_clips.size(); ++i) ATELIER_TRY(m.mix_clip(i, start_sample, frames, out));
    for (float& v : out) v = std::clamp(v, -1.0f, 1.0f);
    // Readers of clips that ended before this block are closed.
    const int64_t end_ms = (start_sample + static_cast<int64_t>(frames)) * 1000 / m.o.sample_rate_hz;
    for (auto it = m.audio.begin(); it != m.audio.end();)
        it = m.tl.audio_clips[it->first].end_ms() < end_ms - 1000 ? m.audio.erase(it) : std::next(it);
    return ok_status();
}

}  // namespace atelier::pipelines
