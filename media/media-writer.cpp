// MediaWriter: one AVFormatContext (muxer) with up to three encoders. Video: RGBA -> swscale
// (BT.709, limited range, 4:2:0) -> libx264/libvpx-vp9. Audio: float interleaved -> a FIFO of
// whole encoder frames -> swresample to the encoder's sample format (same rate, no delay) ->
// aac/libopus/libmp3lame/flac/pcm_s16le. Subtitles: text -> an ASS dialogue line -> the
// mov_text/webvtt encoder (both read ASS) -> one packet per item.
// Packets go through av_interleaved_write_frame, so streams are muxed in time order.
// Thread-safety: one MediaWriter per thread.
#include "media/media-writer.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <new>
#include <vector>

extern "C" {
#include <libavutil/channel_layout.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>
}

#include "media/ffmpeg-util.h"

namespace atelier::media {
namespace {

// The minimal ASS header both subtitle encoders need to parse their input (one Default style).
constexpr const char* kAssHeader =
    "[Script Info]\r\nScriptType: v4.00+\r\nPlayResX: 384\r\nPlayResY: 288\r\n\r\n"
    "[V4+ Styles]\r\nFormat: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, "
    "Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, "
    "MarginL, MarginR, MarginV, Encoding\r\n"
    "Style: Default,Arial,16,&Hffffff,&Hffffff,&H0,&H0,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,0\r\n\r\n"
    "[Events]\r\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\r\n";

Error encode_error(const std::string& label, const std::string& what, int err) {
    return make_error(ErrorCode::MediaEncodeFailed, label + ": " + what + " (" + ff::av_error_text(err) + ")",
                      "check the free disk space and the export settings");
}

const char* encoder_name(VideoCodec c) { return c == VideoCodec::H264 ? "libx264" : c == VideoCodec::Vp9 ? "libvpx-vp9" : nullptr; }
const char* encoder_name(AudioCodec c) {
    switch (c) {
    case AudioCodec::Aac: return "aac";
    case AudioCodec::Opus: return "libopus";
    case AudioCodec::Mp3: return "libmp3lame";
    case AudioCodec::Flac: return "flac";
    case AudioCodec::Pcm16: return "pcm_s16le";
    default: return nullptr;
    }
}

Result<const AVCodec*> find_encoder(const char* name, const std::string& what) {
    const AVCodec* c = name ? avcodec_find_encoder_by_name(name) : nullptr;
    if (!c) {
        return make_error(ErrorCode::MediaUnsupported, std::string("this FFmpeg has no ") + (name ? name : "?") + " encoder for " + what,
                          "install an FFmpeg build with it, or choose another format");
    }
    return c;
}

AVSampleFormat pick_sample_format(const AVCodec* c) {
    static const AVSampleFormat kPreferred[] = {AV_SAMPLE_FMT_FLTP, AV_SAMPLE_FMT_FLT, AV_SAMPLE_FMT_S16,
                                                AV_SAMPLE_FMT_S16P, AV_SAMPLE_FMT_S32, AV_SAMPLE_FMT_S32P};
    if (!c->sample_fmts) return AV_SAMPLE_FMT_FLTP;
    for (AVSampleFormat want : kPreferred)
        for (const AVSampleFormat* f = c->sample_fmts; *f != AV_SAMPLE_FMT_NONE; ++f)
            if (*f == want) return want;
    return c->sample_fmts[0];
}

int64_t default_bit_rate(AudioCodec c, int channels) {
    switch (c) {
    case AudioCodec::Aac: return channels > 1 ? 192000 : 96000;
    case AudioCodec::Opus: return channels > 1 ? 128000 : 64000;
    case AudioCodec::Mp3: return channels > 1 ? 192000 : 96000;
    default: return 0;
    }
}

// Text safe inside an ASS dialogue line: newlines become \N, braces (override blocks) parentheses.
std::string ass_text(std::string_view text) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        const char ch = text[i];
        if (ch == '\r') continue;
        if (ch == '\n') out += "\\N";
        else if (ch == '{') out += '(';
        else if (ch == '}') out += ')';
        else out += ch;
    }
    return out;
}

}  // namespace

const char* video_codec_name(VideoCodec c) { return c == VideoCodec::H264 ? "h264" : c == VideoCodec::Vp9 ? "vp9" : "invalid"; }
const char* audio_codec_name(AudioCodec c) {
    switch (c) {
    case AudioCodec::Aac: return "aac";
    case AudioCodec::Opus: return "opus";
    case AudioCodec::Mp3: return "mp3";
    case AudioCodec::Flac: return "flac";
    case AudioCodec::Pcm16: return "pcm_s16le";
    default: return "invalid";
    }
}

Result<ContainerCodecs> codecs_for_path(const std::filesystem::path& path) {
    std::string ext = path.extension().string();
    for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (ext == ".mp4" || ext == ".m4v" || ext == ".mov") return ContainerCodecs{VideoCodec::H264, AudioCodec::Aac, SubtitleCodec::MovText};
    if (ext == ".webm") return ContainerCodecs{VideoCodec::Vp9, AudioCodec::Opus, SubtitleCodec::WebVtt};
    if (ext == ".mkv") return ContainerCodecs{VideoCodec::H264, AudioCodec::Aac, SubtitleCodec::WebVtt};
    if (ext == ".wav") return ContainerCodecs{VideoCodec::Invalid, AudioCodec::Pcm16, SubtitleCodec::Invalid};
    if (ext == ".flac") return ContainerCodecs{VideoCodec::Invalid, AudioCodec::Flac, SubtitleCodec::Invalid};
    if (ext == ".opus" || ext == ".ogg") return ContainerCodecs{VideoCodec::Invalid, AudioCodec::Opus, SubtitleCodec::Invalid};
    if (ext == ".mp3") return ContainerCodecs{VideoCodec::Invalid, AudioCodec::Mp3, SubtitleCodec::Invalid};
    if (ext == ".m4a" || ext == ".aac") return ContainerCodecs{VideoCodec::Invalid, AudioCodec::Aac, SubtitleCodec::Invalid};
    return make_error(ErrorCode::InvalidArgument, path.string() + ": no output format for the extension '" + ext + "'",
                      "use .mp4, .webm, .mkv, .wav, .flac, .opus, .mp3, .m4a, .png or .jpg");
}

bool is_image_path(const std::filesystem::path& path) {
    std::string ext = path.extension().string();
    for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return ext == ".png" || ext == ".jpg" || ext == ".jpeg";
}

struct MediaWriter::Impl {
    std::string label;
    AVFormatContext* oc = nullptr;
    bool header_written = false, finished = false;
    ff::PacketPtr pkt;
    // video
    ff::CodecContextPtr venc;
    AVStream* vst = nullptr;
    ff::FramePtr vframe;
    SwsContext* sws = nullptr;
    int64_t video_frames = 0;
    // audio
    ff::CodecContextPtr aenc;
    AVStream* ast = nullptr;
    ff::FramePtr aframe;
    ff::SwrPtr swr;
    int channels = 0, frame_size = 0;
    std::vector<float> fifo;  // interleaved, fewer than frame_size frames between calls
    int64_t audio_frames = 0, audio_pts = 0;
    // subtitles
    ff::CodecContextPtr senc;
    AVStream* sst = nullptr;

    ~Impl() {
        sws_freeContext(sws);
        if (oc) {
            if (!(oc->oformat->flags & AVFMT_NOFILE)) avio_closep(&oc->pb);
            avformat_free_context(oc);
        }
    }
    Status open_video(const VideoEncodeSettings& v);
    Status open_audio(const AudioEncodeSettings& a);
    Status open_subtitles(SubtitleCodec c);
    Status drain(AVCodecContext* enc, AVStream* st);
    Status send(AVCodecContext* enc, AVStream* st, const AVFrame* frame, const char* what);
    Status encode_audio_chunk(const float* data, int frames);
};

Status MediaWriter::Impl::open_video(const VideoEncodeSettings& v) {
    if (v.width <= 0 || v.height <= 0 || v.width % 2 || v.height % 2 || v.width > 16384 || v.height > 16384 ||
        v.fps_num <= 0 || v.fps_den <= 0) {
        return make_error(ErrorCode::InvalidArgument, label + ": video size must be even and positive, frame rate positive");
    }
    ATELIER_TRY_ASSIGN(const AVCodec* codec, find_encoder(encoder_name(v.codec), "video"));
    venc.reset(avcodec_alloc_context3(codec));
    if (!venc) return make_error(ErrorCode::OutOfMemory, "avcodec_alloc_context3 failed");
    AVCodecContext* c = venc.get();
    c->width = v.width;
    c->height = v.height;
    c->time_base = AVRational{v.fps_den, v.fps_num};
    c->framerate = AVRational{v.fps_num, v.fps_den};
    c->pix_fmt = AV_PIX_FMT_YUV420P;
    c->gop_size = std::max(1, 2 * v.fps_num / v.fps_den);  // a keyframe every 2 s: seekable output
    c->thread_count = v.threads;
    c->color_range = AVCOL_RANGE_MPEG;
    c->colorspace = AVCOL_SPC_BT709;
    c->color_primaries = AVCOL_PRI_BT709;
    c->color_trc = AVCOL_TRC_BT709;
    if (oc->oformat->flags & AVFMT_GLOBALHEADER) c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    AVDictionary* opts = nullptr;
    const std::string crf = std::to_string(v.crf);
    av_dict_set(&opts, "crf", crf.c_str(), 0);
    if (v.codec == VideoCodec::H264) {
        av_dict_set(&opts, "preset", v.preset.c_str(), 0);
    } else {
        c->bit_rate = 0;  // constant quality
        const bool fast = v.preset == "ultrafast" || v.preset == "superfast" || v.preset == "veryfast" || v.preset == "faster";
        av_dict_set(&opts, "deadline", "good", 0);
        av_dict_set(&opts, "cpu-used", fast ? "8" : "4", 0);
        av_dict_set(&opts, "row-mt", "1", 0);
    }
    int r = avcodec_open2(c, codec, &opts);
    av_dict_free(&opts);
    if (r < 0) return encode_error(label, std::string("cannot open the ") + codec->name + " encoder", r);
    vst = avformat_new_stream(oc, nullptr);
    if (!vst) return make_error(ErrorCode::OutOfMemory, "avformat_new_stream failed");
    vst->time_base = c->time_base;
    vst->avg_frame_rate = c->framerate;
    if ((r = avcodec_parameters_from_context(vst->codecpar, c)) < 0) return encode_error(label, "video stream parameters", r);
    ATELIER_TRY_ASSIGN(vframe, ff::make_frame());
    vframe->format = c->pix_fmt;
    vframe->width = c->width;
    vframe->height = c->height;
    if ((r = av_frame_get_buffer(vframe.get(), 0)) < 0) return encode_error(label, "video frame buffer", r);
    sws = sws_getContext(v.width, v.height, AV_PIX_FMT_RGBA, v.width, v.height, AV_PIX_FMT_YUV420P, SWS_BICUBIC, nullptr,
                         nullptr, nullptr);
    if (!sws) return make_error(ErrorCode::MediaEncodeFailed, label + ": cannot set up the RGB to YUV conversion");
    const int* bt709 = sws_getCoefficients(SWS_CS_ITU709);
    sws_setColorspaceDetails(sws, bt709, 1, bt709, 0, 0, 1 << 16, 1 << 16);
    return ok_status();
}

Status MediaWriter::Impl::open_audio(const AudioEncodeSettings& a) {
    if (a.channels < 1 || a.channels > 2 || a.sample_rate_hz < 8000 || a.sample_rate_hz > 192000) {
        return make_error(ErrorCode::InvalidArgument, label + ": audio must be mono or stereo at 8-192 kHz");
    }
    ATELIER_TRY_ASSIGN(const AVCodec* codec, find_encoder(encoder_name(a.codec), "audio"));
    aenc.reset(avcodec_alloc_context3(codec));
    if (!aenc) return make_error(ErrorCode::OutOfMemory, "avcodec_alloc_context3 failed");
    AVCodecContext* c = aenc.get();
    c->sample_rate = a.sample_rate_hz;
    c->sample_fmt = pick_sample_format(codec);
    av_channel_layout_default(&c->ch_layout, a.channels);
    c->time_base = AVRational{1, a.sample_rate_hz};
    c->bit_rate = a.bit_rate > 0 ? a.bit_rate : default_bit_rate(a.codec, a.channels);
    if (oc->oformat->flags & AVFMT_GLOBALHEADER) c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    int r = avcodec_open2(c, codec, nullptr);
    if (r < 0) return encode_error(label, std::string("cannot open the ") + codec->name + " encoder", r);
    ast = avformat_new_stream(oc, nullptr);
    if (!ast) return make_error(ErrorCode::OutOfMemory, "avformat_new_stream failed");
    ast->time_base = c->time_base;
    if ((r = avcodec_parameters_from_context(ast->codecpar, c)) < 0) return encode_error(label, "audio stream parameters", r);
    channels = a.channels;
    frame_size = c->frame_size > 0 ? c->frame_size : 1024;
    ATELIER_TRY_ASSIGN(aframe, ff::make_frame());
    AVChannelLayout in_layout{};
    av_channel_layout_default(&in_layout, a.channels);
    SwrContext* raw = nullptr;
    r = swr_alloc_set_opts2(&raw, &c->ch_layout, c->sample_fmt, c->sample_rate, &in_layout, AV_SAMPLE_FMT_FLT,
                            a.sample_rate_hz, 0, nullptr);
    swr.reset(raw);
    if (r >= 0) r = swr_init(swr.get());
    if (r < 0) return encode_error(label, "cannot set up the sample conversion", r);
    return ok_status();
}

Status MediaWriter::Impl::open_subtitles(SubtitleCodec sc) {
    const char* name = sc == SubtitleCodec::MovText ? "mov_text" : sc == SubtitleCodec::WebVtt ? "webvtt" : nullptr;
    ATELIER_TRY_ASSIGN(const AVCodec* codec, find_encoder(name, "subtitles"));
    senc.reset(avcodec_alloc_context3(codec));
    if (!senc) return make_error(ErrorCode::OutOfMemory, "avcodec_alloc_context3 failed");
    AVCodecContext* c = senc.get();
    c->time_base = AVRational{1, 1000};
    const size_t n = std::strlen(kAssHeader);
    c->subtitle_header = static_cast<uint8_t*>(av_mallocz(n + 1));
    if (!c->subtitle_header) return make_error(ErrorCode::OutOfMemory, "av_mallocz failed");
    std::memcpy(c->subtitle_header, kAssHeader, n);
    c->subtitle_header_size = static_cast<int>(n);
    int r = avcodec_open2(c, codec, nullptr);
    if (r < 0) return encode_error(label, std::string("cannot open the ") + codec->name + " encoder", r);
    sst = avformat_new_stream(oc, nullptr);
    if (!sst) return make_error(ErrorCode::OutOfMemory, "avformat_new_stream failed");
    sst->time_base = c->time_base;
    if ((r = avcodec_parameters_from_context(sst->codecpar, c)) < 0) return encode_error(label, "subtitle stream parameters", r);
    return ok_status();
}

Status MediaWriter::Impl::drain(AVCodecContext* enc, AVStream* st) {
    for (;;) {
        int r = avcodec_receive_packet(enc, pkt.get());
        if (r == AVERROR(EAGAIN) || r == AVERROR_EOF) return ok_status();
        if (r < 0) return encode_error(label, "encoding failed", r);
        av_packet_rescale_ts(pkt.get(), enc->time_base, st->time_base);
        pkt->stream_index = st->index;
        r = av_interleaved_write_frame(oc, pkt.get());  // takes the packet's reference
        if (r < 0) return encode_error(label, "writing failed", r);
    }
}

Status MediaWriter::Impl::send(AVCodecContext* enc, AVStream* st, const AVFrame* frame, const char* what) {
    int r = avcodec_send_frame(enc, frame);
    if (r < 0 && r != AVERROR_EOF) return encode_error(label, std::string("cannot encode ") + what, r);
    return drain(enc, st);
}

Status MediaWriter::Impl::encode_audio_chunk(const float* data, int frames) {
    av_frame_unref(aframe.get());
    aframe->format = aenc->sample_fmt;
    aframe->sample_rate = aenc->sample_rate;
    aframe->nb_samples = frames;
    int r = av_channel_layout_copy(&aframe->ch_layout, &aenc->ch_layout);
    if (r >= 0) r = av_frame_get_buffer(aframe.get(), 0);
    if (r < 0) return encode_error(label, "audio frame buffer", r);
    const uint8_t* in[1] = {reinterpret_cast<const uint8_t*>(data)};
    r = swr_convert(swr.get(), aframe->data, frames, in, frames);
    if (r != frames) return encode_error(label, "sample conversion", r < 0 ? r : AVERROR_BUG);
    aframe->pts = audio_pts;
    audio_pts += frames;
    return send(aenc.get(), ast, aframe.get(), "audio");
}

MediaWriter::MediaWriter() : impl_(std::make_unique<Impl>()) {}
MediaWriter::~MediaWriter() = default;

Result<std::unique_ptr<MediaWriter>> MediaWriter::open(const std::filesystem::path& path, const WriterSettings& s) try {
    ff::ensure_ffmpeg_init();
    std::unique_ptr<MediaWriter> w(new MediaWriter());
    Impl& m = *w->impl_;
    m.label = path.string();
    if (!s.video && !s.audio) return make_error(ErrorCode::InvalidArgument, m.label + ": nothing to write (no video, no audio)");
    const std::string hint = (s.format_hint.empty() ? path : s.format_hint).filename().string();
    int r = avformat_alloc_output_context2(&m.oc, nullptr, s.container.empty() ? nullptr : s.container.c_str(), hint.c_str());
    if (r < 0 || !m.oc) {
        return make_error(ErrorCode::InvalidArgument, m.label + ": no container for '" + hint + "'",
                          "use .mp4, .webm, .mkv, .wav, .flac, .opus, .mp3 or .m4a");
    }
    // The muxer reopens its url when it moves the index to the front (faststart): the real path.
    av_freep(&m.oc->url);
    m.oc->url = av_strdup(("file:" + path.string()).c_str());
    if (!m.oc->url) return make_error(ErrorCode::OutOfMemory, "av_strdup failed");
    ATELIER_TRY_ASSIGN(m.pkt, ff::make_packet());
    if (s.video) ATELIER_TRY(m.open_video(*s.video));
    if (s.audio) ATELIER_TRY(m.open_audio(*s.audio));
    if (s.subtitles) ATELIER_TRY(m.open_subtitles(*s.subtitles));
    if (!(m.oc->oformat->flags & AVFMT_NOFILE)) {
        r = avio_open(&m.oc->pb, m.oc->url, AVIO_FLAG_WRITE);
        if (r < 0) {
            return make_error(r == AVERROR(EACCES) ? ErrorCode::PermissionDenied : ErrorCode::IoError,
                              m.label + ": cannot create the file (" + ff::av_error_text(r) + ")",
                              "check that the folder exists and is writable");
        }
    }
    AVDictionary* mux = nullptr;
    if (std::strcmp(m.oc->oformat->name, "mp4") == 0 || std::strcmp(m.oc->oformat->name, "mov") == 0) {
        av_dict_set(&mux, "movflags", "+faststart", 0);  // playable while downloading
    }
    r = avformat_write_header(m.oc, &mux);
    av_dict_free(&mux);
    if (r < 0) return encode_error(m.label, "cannot write the file header (codec not allowed in this container?)", r);
    m.header_written = true;
    return w;
} catch (const std::bad_alloc&) {
    return make_error(ErrorCode::OutOfMemory, path.string() + ": out of memory opening the encoder", "close other programs and retry");
}

Status MediaWriter::write_video(const Image& img) {
    Impl& m = *impl_;
    if (!m.venc || m.finished) return make_error(ErrorCode::InvalidArgument, m.label + ": no open video stream");
    if (img.width != m.venc->width || img.height != m.venc->height ||
        img.rgba.size() != static_cast<size_t>(img.width) * static_cast<size_t>(img.height) * 4) {
        return make_error(ErrorCode::InvalidArgument, m.label + ": frame size differs from the stream's");
    }
    int r = av_frame_make_writable(m.vframe.get());  // the encoder may still hold the last one
    if (r < 0) return encode_error(m.label, "video frame buffer", r);
    const uint8_t* src[4] = {img.rgba.data(), nullptr, nullptr, nullptr};
    const int src_stride[4] = {img.width * 4, 0, 0, 0};
    sws_scale(m.sws, src, src_stride, 0, img.height, m.vframe->data, m.vframe->linesize);
    m.vframe->pts = m.video_frames++;
    return m.send(m.venc.get(), m.vst, m.vframe.get(), "video");
}

Status MediaWriter::write_video_yuv(const YuvImage& img) {
    Impl& m = *impl_;
    if (!m.venc || m.finished) return make_error(ErrorCode::InvalidArgument, m.label + ": no open video stream");
    const size_t luma = static_cast<size_t>(img.width) * static_cast<size_t>(img.height);
    const size_t chroma = static_cast<size_t>(img.chroma_width()) * static_cast<size_t>(img.chroma_height());
    if (img.width != m.venc->width || img.height != m.venc->height || img.y.size() != luma || img.u.size() != chroma ||
        img.v.size() != chroma || m.venc->pix_fmt != AV_PIX_FMT_YUV420P) {
        return make_error(ErrorCode::InvalidArgument, m.label + ": YUV frame size or layout differs from the stream's");
    }
    int r = av_frame_make_writable(m.vframe.get());
    if (r < 0) return encode_error(m.label, "video frame buffer", r);
    av_image_copy_plane(m.vframe->data[0], m.vframe->linesize[0], img.y.data(), img.width, img.width, img.height);
    av_image_copy_plane(m.vframe->data[1], m.vframe->linesize[1], img.u.data(), img.chroma_width(), img.chroma_width(), img.chroma_height());
    av_image_copy_plane(m.vframe->data[2], m.vframe->linesize[2], img.v.data(), img.chroma_width(), img.chroma_width(), img.chroma_height());
    m.vframe->pts = m.video_frames++;
    return m.send(m.venc.get(), m.vst, m.vframe.get(), "video");
}

Status MediaWriter::write_audio(const float* data, size_t frames) try {
    Impl& m = *impl_;
    if (!m.aenc || m.finished) return make_error(ErrorCode::InvalidArgument, m.label + ": no open audio stream");
    const size_t ch = static_cast<size_t>(m.channels), fs = static_cast<size_t>(m.frame_size);
    m.fifo.insert(m.fifo.end(), data, data + frames * ch);
    m.audio_frames += static_cast<int64_t>(frames);
    size_t pos = 0;
    while (m.fifo.size() - pos >= fs * ch) {
        ATELIER_TRY(m.encode_audio_chunk(m.fifo.data() + pos, m.frame_size));
        pos += fs * ch;
    }
    m.fifo.erase(m.fifo.begin(), m.fifo.begin() + static_cast<std::ptrdiff_t>(pos));
    return ok_status();
} catch (const std::bad_alloc&) {
    return make_error(ErrorCode::OutOfMemory, impl_->label + ": out of memory encoding audio", "close other programs and retry");
}

Status MediaWriter::write_subtitle(int64_t start_ms, int64_t end_ms, std::string_view text) {
    Impl& m = *impl_;
    if (!m.senc || m.finished) return make_error(ErrorCode::InvalidArgument, m.label + ": no open subtitle stream");
    if (start_ms < 0 || end_ms <= start_ms) return make_error(ErrorCode::InvalidArgument, m.label + ": subtitle item with no duration");
    const std::string ass = "0,0,Default,,0,0,0,," + ass_text(text);
    AVSubtitleRect rect{};
    rect.type = SUBTITLE_ASS;
    rect.ass = const_cast<char*>(ass.c_str());
    AVSubtitleRect* rects[1] = {&rect};
    AVSubtitle sub{};
    sub.format = 1;  // text
    sub.start_display_time = 0;
    sub.end_display_time = static_cast<uint32_t>(end_ms - start_ms);
    sub.num_rects = 1;
    sub.rects = rects;
    sub.pts = av_rescale_q(start_ms, AVRational{1, 1000}, AVRational{1, AV_TIME_BASE});
    std::vector<uint8_t> buf(ass.size() * 4 + 1024);
    const int n = avcodec_encode_subtitle(m.senc.get(), buf.data(), static_cast<int>(buf.size()), &sub);
    if (n < 0) return encode_error(m.label, "cannot encode a subtitle", n);
    int r = av_new_packet(m.pkt.get(), n);
    if (r < 0) return encode_error(m.label, "subtitle packet", r);
    std::memcpy(m.pkt->data, buf.data(), static_cast<size_t>(n));
    m.pkt->pts = m.pkt->dts = start_ms;
    m.pkt->duration = end_ms - start_ms;
    av_packet_rescale_ts(m.pkt.get(), AVRational{1, 1000}, m.sst->time_base);
    m.pkt->stream_index = m.sst->index;
    r = av_interleaved_write_frame(m.oc, m.pkt.get());
    if (r < 0) return encode_error(m.label, "writing a subtitle failed", r);
    return ok_status();
}

Status MediaWriter::finish() {
    Impl& m = *impl_;
    if (m.finished) return ok_status();
    m.finished = true;
    if (m.aenc) {
        const size_t left = m.fifo.size() / static_cast<size_t>(m.channels);
        if (left > 0) ATELIER_TRY(m.encode_audio_chunk(m.fifo.data(), static_cast<int>(left)));  // a short last frame is allowed
        m.fifo.clear();
        ATELIER_TRY(m.send(m.aenc.get(), m.ast, nullptr, "audio"));
    }
    if (m.venc) ATELIER_TRY(m.send(m.venc.get(), m.vst, nullptr, "video"));
    int r = av_write_trailer(m.oc);
    if (r < 0) return encode_error(m.label, "cannot finish the file", r);
    if (!(m.oc->oformat->flags & AVFMT_NOFILE)) {
        r = avio_closep(&m.oc->pb);
        if (r < 0) return encode_error(m.label, "cannot close the file", r);
    }
    return ok_status();
}

int64_t MediaWriter::video_frames_written() const { return impl_->video_frames; }
int64_t MediaWriter::audio_frames_written() const { return impl_->audio_frames; }

Status write_audio_file(const std::filesystem::path& path, const float* interleaved, size_t frames,
                        const AudioEncodeSettings& settings) {
    ATELIER_TRY_ASSIGN(auto w, MediaWriter::open(path, WriterSettings{.format_hint = path, .audio = settings}));
    constexpr size_t kBlock = 4096;
    for (size_t pos = 0; pos < frames; pos += kBlock) {
        const size_t n = std::min(kBlock, frames - pos);
        ATELIER_TRY(w->write_audio(interleaved + pos * static_cast<size_t>(settings.channels), n));
    }
    return w->finish();
}

}  // namespace atelier::media
