// Shared FFmpeg plumbing for media/ (internal header, never included outside media/): RAII owners
// for FFmpeg objects, one way to open an input (a file, or bytes in memory) with bounded probing
// and no network/nested protocols, a packet->frame decode loop, and AVFrame -> RGBA conversion.
// Invariant: every FFmpeg object in media/ is owned by one of these types, so nothing leaks on
// an error path. Thread-safety: objects belong to one thread at a time; ensure_ffmpeg_init() and
// the free functions may be called from any thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/frame.h>
}

#include "core/result.h"
#include "media/image.h"

struct SwsContext;
struct SwrContext;

namespace atelier::media::ff {

struct CodecContextDeleter {
    void operator()(AVCodecContext* p) const { avcodec_free_context(&p); }
};
struct FrameDeleter {
    void operator()(AVFrame* p) const { av_frame_free(&p); }
};
struct PacketDeleter {
    void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct SwsDeleter {
    void operator()(SwsContext* p) const;
};
struct SwrDeleter {
    void operator()(SwrContext* p) const;
};

using CodecContextPtr = std::unique_ptr<AVCodecContext, CodecContextDeleter>;
using FramePtr = std::unique_ptr<AVFrame, FrameDeleter>;
using PacketPtr = std::unique_ptr<AVPacket, PacketDeleter>;
using SwsPtr = std::unique_ptr<SwsContext, SwsDeleter>;
using SwrPtr = std::unique_ptr<SwrContext, SwrDeleter>;

// Allocation helpers: OutOfMemory instead of a null pointer.
Result<FramePtr> make_frame();
Result<PacketPtr> make_packet();

// "Invalid data found when processing input" for an AVERROR code.
std::string av_error_text(int err);

// Routes FFmpeg's own log (errors only) to our log at debug level; idempotent, thread-safe.
void ensure_ffmpeg_init();

// The hint every "FFmpeg cannot read this file" error carries.
inline constexpr const char* kNotMediaHint =
    "not a media file Atelier can read; check the file isn't truncated or try converting it";

// Probing budget: enough for every real container header, small enough that a hostile file
// cannot make opening slow. These are FFmpeg's defaults, written down so they never drift.
inline constexpr int64_t kProbeSizeBytes = 5'000'000;
inline constexpr int64_t kAnalyzeDurationUs = 5'000'000;
inline constexpr int kMaxStreams = 100;

struct OpenOptions {
    // Reading stream parameters may decode a first frame per stream; this bounds its size
    // (0: default_image_limits()).
    int64_t max_pixels = 0;
    // Image demuxers (png_pipe, jpeg_pipe, ...) know the codec from the header: skip the
    // stream-info pass, which would decode the picture once more. Width/height then stay 0.
    bool skip_stream_info_for_images = false;
};

// An opened demuxer with stream parameters read (avformat_find_stream_info). Owns the format
// context and the I/O context (file or memory).
class Input {
public:
    ~Input();
    Input(const Input&) = delete;
    Input& operator=(const Input&) = delete;

    AVFormatContext* fmt() const { return fmt_; }
    const std::string& label() const { return label_; }  // the file name, for error messages

private:
    friend Result<std::unique_ptr<Input>> open_input_file(const std::filesystem::path& path, const OpenOptions& opts);
    friend Result<std::unique_ptr<Input>> open_input_memory(const uint8_t* data, size_t size, std::string label,
                                                            const OpenOptions& opts);
    struct MemorySource;
    Input() = default;
    Status open_with_pb(const char* url, const char* probe_name, const char* protocol_whitelist, const OpenOptions& opts);

    AVFormatContext* fmt_ = nullptr;
    AVIOContext* pb_ = nullptr;
    std::unique_ptr<MemorySource> mem_;
    std::string label_;
};
using InputPtr = std::unique_ptr<Input>;

// Errors: NotFound, PermissionDenied, IoError, MediaOpenFailed (not readable by FFmpeg, or a
// playlist-like format that would open other files), all naming the file.
Result<InputPtr> open_input_file(const std::filesystem::path& path, const OpenOptions& opts = {});
// `data` must outlive the Input. `label` names the bytes in errors.
Result<InputPtr> open_input_memory(const uint8_t* data, size_t size, std::string label, const OpenOptions& opts = {});

// Demuxers that read one still picture (or an animation shown as a picture): png_pipe,
// jpeg_pipe, image2, gif, ...
bool is_image_demuxer(const char* name);

// Index of the stream to decode for `type`, or -1. For video, real video is preferred over an
// attached picture (cover art), which is returned only when allow_attached_pic is set.
int best_stream(AVFormatContext* fmt, AVMediaType type, bool allow_attached_pic);

struct DecoderOptions {
    int64_t max_pixels = 0;  // 0: default_image_limits(); frames above it fail to decode
    int threads = 1;         // thumbnails and waveforms are small jobs; the pool is elsewhere.
                             // 0: FFmpeg's choice (frame + slice threads, one per core)
};

// Decodes one stream of an Input: reads packets, skips other streams, flushes at end of file.
// Corrupt packets are skipped; too many in a row is MediaDecodeFailed.
class StreamDecoder {
public:
    static Result<std::unique_ptr<StreamDecoder>> open(Input& input, int stream_index,
                                                       const DecoderOptions& opts = {});
    // Fills `frame` with the next decoded frame: true, or false once the stream is exhausted.
    Result<bool> next_frame(AVFrame* frame);
    // After a demuxer seek: drop what the decoder holds and start reading again.
    void flush();

    AVCodecContext* codec() const { return ctx_.get(); }
    AVStream* stream() const { return stream_; }

private:
    StreamDecoder() = default;
    Status note_error(int err, const char* what);

    Input* input_ = nullptr;
    AVStream* stream_ = nullptr;
    CodecContextPtr ctx_;
    PacketPtr pkt_;
    bool eof_sent_ = false;
    int consecutive_errors_ = 0;
};

// Converts a decoded video frame to packed RGBA (swscale), honouring colour range and matrix.
// Refuses frames larger than `limits` before allocating.
Result<Image> frame_to_image(const AVFrame* frame, const ImageLimits& limits, const std::string& label);

// Display rotation of a video stream, clockwise degrees normalised to 0/90/180/270 (from the
// display matrix side data; 0 when absent or not a quarter turn).
int stream_rotation_deg(const AVStream* stream);

// Milliseconds for a timestamp in `tb`; 0 for AV_NOPTS_VALUE or a negative/overflowing value.
int64_t to_ms(int64_t ts, AVRational tb);

}  // namespace atelier::media::ff
