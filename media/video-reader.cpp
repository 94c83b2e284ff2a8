// VideoReader: best video stream -> decoder -> swscale (size, RGBA, colour matrix) -> rotation.
// frame_at() keeps one decoded frame "on screen" and one look-ahead frame; it converts only the
// frame it returns, so stepping over frames costs a decode but no conversion.
// Seeking: av_seek_frame(BACKWARD) to the keyframe at or before t, flush, decode forward.
// Thread-safety: one VideoReader per thread.
#include "media/video-reader.h"

#include <algorithm>
#include <new>

extern "C" {
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>
}

#include "core/log.h"
#include "media/ffmpeg-util.h"

namespace atelier::media {
namespace {

// Moving forward by more than this (from the frame on screen) seeks instead of decoding through.
constexpr int64_t kSeekAheadUs = 3'000'000;
constexpr int kMaxOutSide = 16384;

}  // namespace

struct VideoReader::Impl {
    ff::InputPtr input;
    std::unique_ptr<ff::StreamDecoder> decoder;
    AVStream* st = nullptr;
    int rotation = 0;
    int out_w = 0, out_h = 0;  // upright
    int64_t start_pts = 0;
    int64_t duration_us = 0;
    SwsContext* sws = nullptr;
    SwsContext* sws_configured = nullptr;  // the context whose colour details were last set
    int sws_colorspace = -1, sws_range = -1;
    Image scaled, upright;
    // frame_at state
    ff::FramePtr cur, ahead;
    bool have_cur = false, have_ahead = false, eof = false, converted = false;
    bool first_since_seek = true;
    int64_t cur_pts = 0, ahead_pts = 0;
    int64_t handed_out = 0;
    int64_t last_pts = -1;

    ~Impl() { sws_freeContext(sws); }
    int64_t pts_us(const AVFrame* f) {
        int64_t ts = f->best_effort_timestamp;
        if (ts == AV_NOPTS_VALUE) return last_pts + 1;  // keep the order; the caller still gets frames
        return av_rescale_q(ts - start_pts, st->time_base, AVRational{1, 1'000'000});
    }
    Result<bool> decode_into(AVFrame* f, int64_t* pts) {
        av_frame_unref(f);
        ATELIER_TRY_ASSIGN(bool got, decoder->next_frame(f));
        if (got) *pts = last_pts = pts_us(f);
        return got;
    }
    Status convert(const AVFrame* f);
    Status seek(int64_t t_us);
    Status step_to(int64_t t_us);  // cur = the frame shown at t_us
};

Status VideoReader::Impl::convert(const AVFrame* f) {
    const bool swap = rotation == 90 || rotation == 270;
    const int sw = swap ? out_h : out_w, sh = swap ? out_w : out_h;
    const auto src_fmt = static_cast<AVPixelFormat>(f->format);
    if (f->width <= 0 || f->height <= 0 || src_fmt == AV_PIX_FMT_NONE || !sws_isSupportedInput(src_fmt)) {
        return make_error(ErrorCode::MediaUnsupported, input->label() + ": video frame in a format that cannot be converted",
                          ff::kNotMediaHint);
    }
    sws = sws_getCachedContext(sws, f->width, f->height, src_fmt, sw, sh, AV_PIX_FMT_RGBA, SWS_BICUBIC, nullptr, nullptr,
                               nullptr);
    if (!sws) return make_error(ErrorCode::MediaUnsupported, input->label() + ": cannot convert this pixel format", ff::kNotMediaHint);
    // Colour details only when the context or the frame's colour description changed: setting
    // them rebuilds the conversion tables, which cost as much as a small frame's conversion.
    int *inv = nullptr, *table = nullptr, src_range = 0, dst_range = 0, bri = 0, con = 0, sat = 0;
    const bool fresh = sws != sws_configured || f->colorspace != sws_colorspace || f->color_range != sws_range;
    sws_configured = sws;
    sws_colorspace = f->colorspace;
    sws_range = f->color_range;
    if (fresh && sws_getColorspaceDetails(sws, &inv, &src_range, &table, &dst_range, &bri, &con, &sat) >= 0) {
        src_range = f->color_range == AVCOL_RANGE_JPEG ? 1 : src_range;
        const int* coefs = (f->colorspace != AVCOL_SPC_UNSPECIFIED && f->colorspace != AVCOL_SPC_RGB)
                               ? sws_getCoefficients(f->colorspace) : inv;
        sws_setColorspaceDetails(sws, coefs, src_range, table, dst_range, bri, con, sat);
    }
    scaled.width = sw;
    scaled.height = sh;
    scaled.rgba.resize(static_cast<size_t>(sw) * static_cast<size_t>(sh) * 4);
    uint8_t* dst[4] = {scaled.rgba.data(), nullptr, nullptr, nullptr};
    int dst_stride[4] = {sw * 4, 0, 0, 0};
    if (sws_scale(sws, f->data, f->linesize, 0, f->height, dst, dst_stride) != sh) {
        return make_error(ErrorCode::MediaDecodeFailed, input->label() + ": pixel conversion failed", ff::kNotMediaHint);
    }
    if (rotation != 0) upright = rotate_image(scaled, rotation);
    return ok_status();
}

Status VideoReader::Impl::seek(int64_t t_us) {
    const int64_t ts = start_pts + av_rescale_q(std::max<int64_t>(t_us, 0), AVRational{1, 1'000'000}, st->time_base);
    int r = av_seek_frame(input->fmt(), st->index, ts, AVSEEK_FLAG_BACKWARD);
    if (r < 0) {
        // Some streams (raw formats) cannot seek backward by timestamp: fall back to the start.
        r = avformat_seek_file(input->fmt(), st->index, INT64_MIN, start_pts, start_pts, 0);
        if (r < 0) {
            return make_error(ErrorCode::MediaDecodeFailed, input->label() + ": cannot seek (" + ff::av_error_text(r) + ")",
                              "convert the video to a seekable format such as MP4");
        }
    }
    decoder->flush();
    have_cur = have_ahead = eof = converted = false;
    first_since_seek = true;
    return ok_status();
}

VideoReader::VideoReader() : impl_(std::make_unique<Impl>()) {}
VideoReader::~VideoReader() = default;

Result<std::unique_ptr<VideoReader>> VideoReader::open(const std::filesystem::path& path, VideoReaderOptions opts) try {
    if (opts.width < 0 || opts.height < 0 || opts.width > kMaxOutSide || opts.height > kMaxOutSide) {
        return make_error(ErrorCode::InvalidArgument, "requested video size out of range");
    }
    std::unique_ptr<VideoReader> reader(new VideoReader());
    Impl& m = *reader->impl_;
    ATELIER_TRY_ASSIGN(m.input, ff::open_input_file(path));
    const int index = ff::best_stream(m.input->fmt(), AVMEDIA_TYPE_VIDEO, false);
    if (index < 0) return make_error(ErrorCode::MediaNoStream, m.input->label() + ": has no video stream", "choose a video file");
    m.st = m.input->fmt()->streams[index];
    if (m.st->time_base.num <= 0 || m.st->time_base.den <= 0) {
        return make_error(ErrorCode::MediaUnsupported, m.input->label() + ": video stream without a time base", ff::kNotMediaHint);
    }
    m.rotation = ff::stream_rotation_deg(m.st);
    const int w = m.st->codecpar->width, h = m.st->codecpar->height;
    const bool swap = m.rotation == 90 || m.rotation == 270;
    m.out_w = opts.width > 0 ? opts.width : (swap ? h : w);
    m.out_h = opts.height > 0 ? opts.height : (swap ? w : h);
    if (m.out_w <= 0 || m.out_h <= 0) {
        return make_error(ErrorCode::MediaUnsupported, m.input->label() + ": video stream has no size", ff::kNotMediaHint);
    }
    m.start_pts = m.st->start_time != AV_NOPTS_VALUE ? m.st->start_time : 0;
    m.duration_us = ff::to_ms(m.st->duration, m.st->time_base) * 1000;
    if (m.duration_us == 0) m.duration_us = ff::to_ms(m.input->fmt()->duration, AVRational{1, AV_TIME_BASE}) * 1000;
    ATELIER_TRY_ASSIGN(m.decoder, ff::StreamDecoder::open(*m.input, index, {.threads = opts.threads}));
    ATELIER_TRY_ASSIGN(m.cur, ff::make_frame());
    ATELIER_TRY_ASSIGN(m.ahead, ff::make_frame());
    return reader;
} catch (const std::bad_alloc&) {
    return make_error(ErrorCode::OutOfMemory, path.string() + ": out of memory opening video", "close other programs and retry");
}

int VideoReader::width() const { return impl_->out_w; }
int VideoReader::height() const { return impl_->out_h; }
int VideoReader::rotation_deg() const { return impl_->rotation; }
int VideoReader::fps_num() const { return impl_->st->avg_frame_rate.den > 0 ? impl_->st->avg_frame_rate.num : 0; }
int VideoReader::fps_den() const { return impl_->st->avg_frame_rate.den > 0 ? impl_->st->avg_frame_rate.den : 1; }
int64_t VideoReader::duration_us() const { return impl_->duration_us; }

Result<bool> VideoReader::next(VideoFrame& out) try {
    Impl& m = *impl_;
    if (m.have_ahead) {  // after frame_at(): continue from the look-ahead frame
        std::swap(m.cur, m.ahead);
        m.cur_pts = m.ahead_pts;
        m.have_ahead = false;
    } else {
        ATELIER_TRY_ASSIGN(bool got, m.decode_into(m.cur.get(), &m.cur_pts));
        if (!got) return false;
    }
    m.have_cur = true;
    m.first_since_seek = false;
    ATELIER_TRY(m.convert(m.cur.get()));
    m.converted = true;
    out.image = m.rotation != 0 ? &m.upright : &m.scaled;
    out.pts_us = m.cur_pts;
    out.index = m.handed_out++;
    return true;
} catch (const std::bad_alloc&) {
    return make_error(ErrorCode::OutOfMemory, impl_->input->label() + ": out of memory decoding video", "close other programs and retry");
}

Status VideoReader::Impl::step_to(int64_t t_us) {
    const bool behind = have_cur && t_us < cur_pts && !first_since_seek;
    const bool far = have_cur && t_us > cur_pts + kSeekAheadUs;
    if (behind || far) ATELIER_TRY(seek(t_us));
    if (!have_cur) {
        ATELIER_TRY_ASSIGN(bool got, decode_into(cur.get(), &cur_pts));
        if (!got) {
            return make_error(ErrorCode::MediaDecodeFailed, input->label() + ": no video frame could be decoded", ff::kNotMediaHint);
        }
        have_cur = true;
        converted = false;
    }
    for (;;) {
        if (!have_ahead && !eof) {
            ATELIER_TRY_ASSIGN(bool got, decode_into(ahead.get(), &ahead_pts));
            have_ahead = got;
            eof = !got;
        }
        if (!have_ahead || ahead_pts > t_us) break;
        std::swap(cur, ahead);
        cur_pts = ahead_pts;
        have_ahead = false;
        converted = false;
        first_since_seek = false;
    }
    return ok_status();
}

Result<bool> VideoReader::frame_at_yuv(int64_t t_us, YuvImage& out, int64_t* pts_us) try {
    Impl& m = *impl_;
    ATELIER_TRY(m.step_to(t_us));
    const AVFrame* f = m.cur.get();
    const bool plain = f->format == AV_PIX_FMT_YUV420P && f->color_range != AVCOL_RANGE_JPEG && m.rotation == 0 &&
                       f->width == m.out_w && f->height == m.out_h;
    if (!plain) return false;
    out.width = f->width;
    out.height = f->height;
    const int cw = out.chroma_width(), ch = out.chroma_height();
    out.y.resize(static_cast<size_t>(f->width) * static_cast<size_t>(f->height));
    out.u.resize(static_cast<size_t>(cw) * static_cast<size_t>(ch));
    out.v.resize(out.u.size());
    av_image_copy_plane(out.y.data(), f->width, f->data[0], f->linesize[0], f->width, f->height);
    av_image_copy_plane(out.u.data(), cw, f->data[1], f->linesize[1], cw, ch);
    av_image_copy_plane(out.v.data(), cw, f->data[2], f->linesize[2], cw, ch);
    if (pts_us) *pts_us = m.cur_pts;
    return true;
} catch (const std::bad_alloc&) {
    return make_error(ErrorCode::OutOfMemory, impl_->input->label() + ": out of memory decoding video", "close other programs and retry");
}

Result<VideoFrame> VideoReader::frame_at(int64_t t_us) try {
    Impl& m = *impl_;
    ATELIER_TRY(m.step_to(t_us));
    if (!m.converted) {
        ATELIER_TRY(m.convert(m.cur.get()));
        m.converted = true;
        ++m.handed_out;
    }
    return VideoFrame{m.rotation != 0 ? &m.upright : &m.scaled, m.cur_pts, m.handed_out - 1};
} catch (const std::bad_alloc&) {
    return make_error(ErrorCode::OutOfMemory, impl_->input->label() + ": out of memory decoding video", "close other programs and retry");
}

}  // namespace atelier::media
