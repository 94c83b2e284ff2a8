// Streaming video decode: a file's best video stream as upright RGBA frames (swscale), either in
// order (next()) or as "the frame on screen at time t" (frame_at(), frame-accurate: it seeks to
// the keyframe before t when t is behind or far ahead, then decodes forward).
// Invariant: pts_us of the frames handed out never decreases between seeks; only one decoded
// frame plus one converted Image are held, so memory is flat however long the file is.
// Thread-safety: one VideoReader belongs to one thread (the decode thread of its stream).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>

#include "core/result.h"
#include "media/image.h"

namespace atelier::media {

struct VideoReaderOptions {
    // Output size of the upright picture (rotation applied); 0,0: the stream's own size. The
    // picture is stretched to exactly this size: callers keep the aspect ratio themselves.
    int width = 0, height = 0;
    int threads = 0;  // decoder threads; 0: FFmpeg's choice (one per core)
};

struct VideoFrame {
    const Image* image = nullptr;  // owned by the reader; valid until the next call
    int64_t pts_us = 0;            // from the stream's first timestamp
    int64_t index = 0;             // frames handed out since open or the last seek (diagnostics)
};

class VideoReader {
public:
    // Errors: NotFound, MediaOpenFailed, MediaNoStream (no video), MediaUnsupported (codec or size).
    static Result<std::unique_ptr<VideoReader>> open(const std::filesystem::path& path, VideoReaderOptions opts = {});
    ~VideoReader();

    int width() const;        // upright output size
    int height() const;
    int rotation_deg() const; // display rotation applied (clockwise)
    int fps_num() const;      // average frame rate (0/1 when unknown)
    int fps_den() const;
    int64_t duration_us() const;  // 0 if unknown

    // The next frame in decode order: true, or false at the end of the stream.
    Result<bool> next(VideoFrame& out);
    // The frame shown at time t (the last frame with pts <= t; the first frame when t is before
    // it; the last frame when t is past the end). Cheap when t moves forward frame by frame.
    Result<VideoFrame> frame_at(int64_t t_us);
    // The same frame as frame_at(t_us), as its decoded planes when they can serve unconverted:
    // 8-bit limited-range 4:2:0, no rotation, output size equal to the stream's. True and `out`
    // filled (its pts in *pts_us when given); false when the frame needs conversion (call
    // frame_at for it; the position is kept).
    Result<bool> frame_at_yuv(int64_t t_us, YuvImage& out, int64_t* pts_us = nullptr);

private:
    VideoReader();
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace atelier::media
