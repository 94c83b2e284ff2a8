// Shared FFmpeg plumbing: opening inputs safely, the decode loop, frame -> RGBA, log routing.
// Safety rules for untrusted files: only the `file` protocol (memory inputs: none), formats that
// open other files (playlists, concat lists, network descriptions) are refused, probing is
// bounded, and images use pattern_type=none so a '%' in a file name never expands to a sequence.
// Thread-safety: see ffmpeg-util.h.
#include "media/ffmpeg-util.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdarg>
#include <cstring>
#include <mutex>
#include <string_view>
#include <vector>

extern "C" {
#include <libavutil/display.h>
#include <libavutil/imgutils.h>
#include <libavutil/log.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>
}

#include "core/log.h"

namespace atelier::media::ff {

void SwsDeleter::operator()(SwsContext* p) const { sws_freeContext(p); }
void SwrDeleter::operator()(SwrContext* p) const { swr_free(&p); }

Result<FramePtr> make_frame() {
    FramePtr f(av_frame_alloc());
    if (!f) return make_error(ErrorCode::OutOfMemory, "av_frame_alloc failed");
    return f;
}

Result<PacketPtr> make_packet() {
    PacketPtr p(av_packet_alloc());
    if (!p) return make_error(ErrorCode::OutOfMemory, "av_packet_alloc failed");
    return p;
}

std::string av_error_text(int err) {
    char buf[AV_ERROR_MAX_STRING_SIZE] = {};
    av_strerror(err, buf, sizeof buf);
    return buf;
}

namespace {

void log_callback(void* avcl, int level, const char* fmt, va_list vl) {
    if (level > av_log_get_level()) return;
    char line[1024];
    int print_prefix = 1;
    va_list copy;
    va_copy(copy, vl);
    av_log_format_line2(avcl, level, fmt, copy, line, sizeof line, &print_prefix);
    va_end(copy);
    size_t n = std::strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
    ATELIER_LOG_DEBUG("ffmpeg: %s", line);
}

// Demuxers that open other files or network resources named inside the data.
bool format_is_refused(const char* name) {
    static const char* const kRefused[] = {"hls", "applehttp", "dash", "concat", "imf", "sdp", "rtsp", "rtp", "sap"};
    for (const char* r : kRefused) {
        if (std::strcmp(name, r) == 0) return true;
    }
    return false;
}

Error io_error(const std::string& label, int err) {
    if (err == AVERROR(ENOENT)) return make_error(ErrorCode::NotFound, label + ": no such file", "check the path");
    if (err == AVERROR(EACCES) || err == AVERROR(EPERM)) {
        return make_error(ErrorCode::PermissionDenied, label + ": permission denied",
                          "check that you may read the file");
    }
    if (err == AVERROR(EISDIR)) {
        return make_error(ErrorCode::MediaOpenFailed, label + ": is a folder, not a media file",
                          "choose a file inside it");
    }
    return make_error(ErrorCode::IoError, label + ": cannot read (" + av_error_text(err) + ")",
                      "check the disk and that the file is readable");
}

Error open_failed(const std::string& label, const std::string& why) {
    return make_error(ErrorCode::MediaOpenFailed, label + ": FFmpeg cannot read it (" + why + ")", kNotMediaHint);
}

}  // namespace

void ensure_ffmpeg_init() {
    static std::once_flag once;
    std::call_once(once, [] {
        av_log_set_level(AV_LOG_ERROR);
        av_log_set_callback(log_callback);
    });
}

// Bytes in memory behind an AVIOContext: read and seek callbacks over [data, data+size).
struct Input::MemorySource {
    const uint8_t* data = nullptr;
    size_t size = 0;
    size_t pos = 0;

    static int read(void* opaque, uint8_t* buf, int buf_size) {
        auto* m = static_cast<MemorySource*>(opaque);
        if (m->pos >= m->size) return AVERROR_EOF;
        size_t n = std::min(static_cast<size_t>(std::max(buf_size, 0)), m->size - m->pos);
        std::memcpy(buf, m->data + m->pos, n);
        m->pos += n;
        return static_cast<int>(n);
    }
    static int64_t seek(void* opaque, int64_t offset, int whence) {
        auto* m = static_cast<MemorySource*>(opaque);
        whence &= ~AVSEEK_FORCE;
        if (whence == AVSEEK_SIZE) return static_cast<int64_t>(m->size);
        int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? static_cast<int64_t>(m->pos)
                     : whence == SEEK_END ? static_cast<int64_t>(m->size) : -1;
        if (base < 0 || offset > INT64_MAX - base) return AVERROR(EINVAL);
        int64_t target = base + offset;
        if (target < 0 || target > static_cast<int64_t>(m->size)) return AVERROR(EINVAL);
        m->pos = static_cast<size_t>(target);
        return target;
    }
};

Input::~Input() {
    avformat_close_input(&fmt_);  // custom I/O: the format context never closes pb_
    if (mem_) {
        if (pb_) av_freep(&pb_->buffer);
        avio_context_free(&pb_);
    } else {
        avio_closep(&pb_);
    }
}

int64_t pixel_limit(int64_t max_pixels) { return max_pixels > 0 ? max_pixels : default_image_limits().max_pixels; }

bool is_image_demuxer(const char* name) {
    const std::string_view n = name;
    constexpr std::string_view kPipe = "_pipe";
    if (n.size() > kPipe.size() && n.substr(n.size() - kPipe.size()) == kPipe) return true;
    return n == "image2" || n == "image2pipe" || n == "gif" || n == "apng" || n == "ico";
}

Status Input::open_with_pb(const char* url, const char* probe_name, const char* protocol_whitelist, const OpenOptions& opts) {
    const AVInputFormat* ifmt = nullptr;
    int r = av_probe_input_buffer2(pb_, &ifmt, probe_name, nullptr, 0, kProbeSizeBytes);
    if (r < 0 || !ifmt) return open_failed(label_, r < 0 ? av_error_text(r) : "unknown format");
    if (format_is_refused(ifmt->name)) {
        return make_error(ErrorCode::MediaOpenFailed,
                          label_ + ": a '" + ifmt->name + "' playlist or list refers to other files; Atelier opens media files only",
                          "import the media files it lists instead");
    }
    AVFormatContext* fc = avformat_alloc_context();
    if (!fc) return make_error(ErrorCode::OutOfMemory, "avformat_alloc_context failed");
    fc->pb = pb_;
    fc->flags |= AVFMT_FLAG_CUSTOM_IO;
    fc->probesize = kProbeSizeBytes;
    fc->max_analyze_duration = kAnalyzeDurationUs;
    fc->max_streams = kMaxStreams;
    AVDictionary* dict = nullptr;
    av_dict_set(&dict, "protocol_whitelist", protocol_whitelist, 0);
    av_dict_set(&dict, "pattern_type", "none", 0);
    r = avformat_open_input(&fc, url, ifmt, &dict);  // frees fc on failure
    av_dict_free(&dict);
    if (r < 0) return open_failed(label_, av_error_text(r));
    fmt_ = fc;
    if (opts.skip_stream_info_for_images && is_image_demuxer(ifmt->name)) return ok_status();
    // Stream info may decode a frame per stream: bound the picture size those decoders accept.
    std::vector<AVDictionary*> stream_opts(fmt_->nb_streams, nullptr);
    const std::string limit = std::to_string(pixel_limit(opts.max_pixels));
    for (AVDictionary*& d : stream_opts) av_dict_set(&d, "max_pixels", limit.c_str(), 0);
    r = avformat_find_stream_info(fmt_, stream_opts.empty() ? nullptr : stream_opts.data());
    for (AVDictionary*& d : stream_opts) av_dict_free(&d);
    if (r < 0) ATELIER_LOG_DEBUG("%s: stream info incomplete (%s)", label_.c_str(), av_error_text(r).c_str());
    return ok_status();
}

Result<InputPtr> open_input_file(const std::filesystem::path& path, const OpenOptions& opts) {
    ensure_ffmpeg_init();
    InputPtr in(new Input());
    in->label_ = path.string();
    // "file:" keeps a name like "concat:a|b" or "http:x" from being read as a protocol.
    std::string url = "file:" + path.string();
    AVDictionary* dict = nullptr;
    av_dict_set(&dict, "protocol_whitelist", "file", 0);
    int r = avio_open2(&in->pb_, url.c_str(), AVIO_FLAG_READ, nullptr, &dict);
    av_dict_free(&dict);
    if (r < 0) return io_error(in->label_, r);
    ATELIER_TRY(in->open_with_pb(url.c_str(), in->label_.c_str(), "file", opts));
    return in;
}

Result<InputPtr> open_input_memory(const uint8_t* data, size_t size, std::string label, const OpenOptions& opts) {
    ensure_ffmpeg_init();
    InputPtr in(new Input());
    in->label_ = std::move(label);
    if (!data || size == 0) return open_failed(in->label_, "no data");
    in->mem_ = std::make_unique<Input::MemorySource>();
    in->mem_->data = data;
    in->mem_->size = size;
    constexpr int kBufferSize = 64 * 1024;
    auto* buffer = static_cast<uint8_t*>(av_malloc(kBufferSize));
    if (!buffer) return make_error(ErrorCode::OutOfMemory, "av_malloc failed");
    in->pb_ = avio_alloc_context(buffer, kBufferSize, 0, in->mem_.get(), &Input::MemorySource::read, nullptr,
                                 &Input::MemorySource::seek);
    if (!in->pb_) {
        av_free(buffer);
        return make_error(ErrorCode::OutOfMemory, "avio_alloc_context failed");
    }
    // No probe name: formats are recognised by content only. "none" is no protocol at all.
    ATELIER_TRY(in->open_with_pb("", nullptr, "none", opts));
    return in;
}

int best_stream(AVFormatContext* fmt, AVMediaType type, bool allow_attached_pic) {
    if (type != AVMEDIA_TYPE_VIDEO) {
        int r = av_find_best_stream(fmt, type, -1, -1, nullptr, 0);
        return r >= 0 ? r : -1;
    }
    int best = -1, attached = -1;
    int64_t best_area = -1;
    for (unsigned i = 0; i < fmt->nb_streams; ++i) {
        const AVStream* st = fmt->streams[i];
        if (st->codecpar->codec_type != AVMEDIA_TYPE_VIDEO) continue;
        if (st->disposition & AV_DISPOSITION_ATTACHED_PIC) {
            if (attached < 0) attached = static_cast<int>(i);
            continue;
        }
        int64_t area = int64_t{st->codecpar->width} * st->codecpar->height;
        if (area > best_area) {
            best_area = area;
            best = static_cast<int>(i);
        }
    }
    if (best >= 0) return best;
    return allow_attached_pic ? attached : -1;
}

Result<std::unique_ptr<StreamDecoder>> StreamDecoder::open(Input& input, int stream_index, const DecoderOptions& opts) {
    AVFormatContext* fc = input.fmt();
    if (stream_index < 0 || static_cast<unsigned>(stream_index) >= fc->nb_streams) {
        return make_error(ErrorCode::MediaNoStream, input.label() + ": no stream to decode", kNotMediaHint);
    }
    std::unique_ptr<StreamDecoder> d(new StreamDecoder());
    d->input_ = &input;
    d->stream_ = fc->streams[stream_index];
    const AVCodecParameters* par = d->stream_->codecpar;
    const AVCodec* codec = avcodec_find_decoder(par->codec_id);
    if (!codec) {
        return make_error(ErrorCode::MediaUnsupported,
                          input.label() + ": no decoder for codec '" + avcodec_get_name(par->codec_id) + "'",
                          "convert the file to a common format (e.g. H.264/AAC, PNG, WAV)");
    }
    d->ctx_.reset(avcodec_alloc_context3(codec));
    if (!d->ctx_) return make_error(ErrorCode::OutOfMemory, "avcodec_alloc_context3 failed");
    int r = avcodec_parameters_to_context(d->ctx_.get(), par);
    if (r < 0) return make_error(ErrorCode::MediaDecodeFailed, input.label() + ": bad codec parameters (" + av_error_text(r) + ")", kNotMediaHint);
    d->ctx_->pkt_timebase = d->stream_->time_base;
    d->ctx_->thread_count = std::max(0, opts.threads);  // 0: automatic (VideoReader's default)
    d->ctx_->max_pixels = pixel_limit(opts.max_pixels);
    r = avcodec_open2(d->ctx_.get(), codec, nullptr);
    if (r < 0) {
        return make_error(ErrorCode::MediaDecodeFailed,
                          input.label() + ": cannot open the " + codec->name + " decoder (" + av_error_text(r) + ")",
                          kNotMediaHint);
    }
    ATELIER_TRY_ASSIGN(d->pkt_, make_packet());
    return d;
}

Status StreamDecoder::note_error(int err, const char* what) {
    // Real files often have a damaged packet or two; a run of them means the stream is garbage.
    constexpr int kMaxConsecutiveErrors = 64;
    ATELIER_LOG_DEBUG("%s: %s: %s", input_->label().c_str(), what, av_error_text(err).c_str());
    if (++consecutive_errors_ > kMaxConsecutiveErrors) {
        return make_error(ErrorCode::MediaDecodeFailed,
                          input_->label() + ": the " + avcodec_get_name(ctx_->codec_id) + " stream cannot be decoded (" +
                              av_error_text(err) + ")",
                          kNotMediaHint);
    }
    return ok_status();
}

Result<bool> StreamDecoder::next_frame(AVFrame* frame) {
    AVFormatContext* fc = input_->fmt();
    for (;;) {
        int r = avcodec_receive_frame(ctx_.get(), frame);
        if (r == 0) {
            consecutive_errors_ = 0;
            return true;
        }
        if (r == AVERROR_EOF) return false;
        if (r != AVERROR(EAGAIN)) {
            ATELIER_TRY(note_error(r, "decode"));
            continue;
        }
        if (eof_sent_) return false;  // EAGAIN after the flush packet: nothing more will come
        r = av_read_frame(fc, pkt_.get());
        if (r < 0) {
            if (r != AVERROR_EOF && r != AVERROR_INVALIDDATA && r != AVERROR(EAGAIN)) {
                // A real I/O failure (not the end of a damaged file) must not pass as a short stream.
                if (r == AVERROR(EIO) || r == AVERROR(ENOMEM)) return io_error(input_->label(), r);
            }
            eof_sent_ = true;
            r = avcodec_send_packet(ctx_.get(), nullptr);
            if (r < 0 && r != AVERROR_EOF) return false;
            continue;
        }
        if (pkt_->stream_index != stream_->index) {
            av_packet_unref(pkt_.get());
            continue;
        }
        r = avcodec_send_packet(ctx_.get(), pkt_.get());
        av_packet_unref(pkt_.get());
        if (r < 0 && r != AVERROR(EAGAIN)) ATELIER_TRY(note_error(r, "send packet"));
    }
}

void StreamDecoder::flush() {
    avcodec_flush_buffers(ctx_.get());
    eof_sent_ = false;
    consecutive_errors_ = 0;
}

Result<Image> frame_to_image(const AVFrame* frame, const ImageLimits& limits, const std::string& label) {
    const int w = frame->width, h = frame->height;
    if (w <= 0 || h <= 0) return make_error(ErrorCode::MediaDecodeFailed, label + ": decoded frame has no size", kNotMediaHint);
    if (w > limits.max_side_px || h > limits.max_side_px || int64_t{w} * h > limits.max_pixels) {
        return make_error(ErrorCode::MediaUnsupported, label + ": image is too large (" + std::to_string(w) + "x" + std::to_string(h) + ")",
                          "scale it down below the limit before importing");
    }
    auto src_fmt = static_cast<AVPixelFormat>(frame->format);
    if (src_fmt == AV_PIX_FMT_NONE || !sws_isSupportedInput(src_fmt)) {
        return make_error(ErrorCode::MediaUnsupported, label + ": pixel format not supported for conversion", kNotMediaHint);
    }
    // Same size, format change only: the flags the ffmpeg CLI uses, so swscale takes its fast
    // unscaled converters and our pixels equal what `ffmpeg -pix_fmt rgba` produces.
    SwsPtr sws(sws_getContext(w, h, src_fmt, w, h, AV_PIX_FMT_RGBA, SWS_BICUBIC, nullptr, nullptr, nullptr));
    if (!sws) return make_error(ErrorCode::MediaUnsupported, label + ": cannot convert this pixel format to RGBA", kNotMediaHint);
    // Honour the frame's colour range and matrix (swscale assumes limited-range BT.601).
    int* inv_table = nullptr;
    int* table = nullptr;
    int src_range = 0, dst_range = 0, brightness = 0, contrast = 0, saturation = 0;
    if (sws_getColorspaceDetails(sws.get(), &inv_table, &src_range, &table, &dst_range, &brightness, &contrast, &saturation) >= 0) {
        if (frame->color_range == AVCOL_RANGE_JPEG) src_range = 1;
        const int* coefs = inv_table;
        if (frame->colorspace != AVCOL_SPC_UNSPECIFIED && frame->colorspace != AVCOL_SPC_RGB) {
            coefs = sws_getCoefficients(frame->colorspace);
        }
        sws_setColorspaceDetails(sws.get(), coefs, src_range, table, dst_range, brightness, contrast, saturation);
    }
    Image img;
    img.width = w;
    img.height = h;
    img.rgba.resize(static_cast<size_t>(w) * static_cast<size_t>(h) * 4);
    uint8_t* dst[4] = {img.rgba.data(), nullptr, nullptr, nullptr};
    int dst_stride[4] = {w * 4, 0, 0, 0};
    int rows = sws_scale(sws.get(), frame->data, frame->linesize, 0, h, dst, dst_stride);
    if (rows != h) return make_error(ErrorCode::MediaDecodeFailed, label + ": pixel conversion failed", kNotMediaHint);
    return img;
}

int stream_rotation_deg(const AVStream* stream) {
    size_t size = 0;
    const uint8_t* matrix = av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, &size);
    if (!matrix || size < 9 * sizeof(int32_t)) return 0;
    double ccw = av_display_rotation_get(reinterpret_cast<const int32_t*>(matrix));
    if (!std::isfinite(ccw)) return 0;
    // The matrix holds the counter-clockwise angle; the display needs the clockwise one.
    long quarter = std::lround(-ccw / 90.0);
    if (std::fabs(-ccw - 90.0 * static_cast<double>(quarter)) > 1.0) return 0;  // not a quarter turn
    return static_cast<int>(((quarter % 4) + 4) % 4) * 90;
}

int64_t to_ms(int64_t ts, AVRational tb) {
    if (ts == AV_NOPTS_VALUE || ts <= 0 || tb.num <= 0 || tb.den <= 0) return 0;
    int64_t ms = av_rescale_q_rnd(ts, tb, AVRational{1, 1000},
                                  static_cast<AVRounding>(AV_ROUND_NEAR_INF | AV_ROUND_PASS_MINMAX));
    return ms > 0 && ms != INT64_MAX ? ms : 0;
}

}  // namespace atelier::media::ff
