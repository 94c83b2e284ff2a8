// The one render path: a RenderTimeline becomes frames (composited RGBA at the output size) and
// mixed audio (interleaved float). Export drives it into a MediaWriter; preview will pull frames
// and audio blocks from the same object.
//  - Frame n shows time n * fps_den / fps_num s. Video tracks stack bottom to top over black;
//    pictures keep their aspect (letterboxed); image clips may pan/zoom.
//  - Audio: every clip's sound, resampled to the output format, times gain and fades, summed and
//    clipped to [-1, 1].
// Thread-safety: one TimelineRenderer per thread; its decoders are opened and closed as clips
// come and go, so memory stays bounded however long the timeline is.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/result.h"
#include "media/image.h"
#include "pipelines/timeline.h"

namespace atelier::pipelines {

struct RenderOptions {
    int width = 0, height = 0;      // 0: the timeline's
    int fps_num = 0, fps_den = 0;   // 0: the timeline's
    int sample_rate_hz = 0;         // 0: the timeline's
    int channels = 2;
    bool burn_subtitles = false;    // draw the subtitle items onto the frames
};

class TimelineRenderer {
public:
    // Errors: InvalidArgument (sizes), and whatever opening an image fails with (images are
    // decoded when first needed, so most media errors surface from frame()/audio()).
    static Result<std::unique_ptr<TimelineRenderer>> open(RenderTimeline timeline, RenderOptions opts = {});
    ~TimelineRenderer();

    int width() const;
    int height() const;
    int fps_num() const;
    int fps_den() const;
    int sample_rate_hz() const;
    int channels() const;
    int64_t frame_count() const;   // ceil(duration * fps)
    int64_t sample_count() const;  // round(duration * rate)

    // Frame `index`; the image is owned by the renderer and valid until the next call. Fastest
    // when indexes increase one by one.
    Result<const media::Image*> frame(int64_t index);
    // Frame `index` into `out` by swapping buffers (no copy); out's old buffer becomes the
    // renderer's canvas. For a consumer that keeps frames while the next ones render.
    Status take_frame(int64_t index, media::Image& out);
    // Frame `index` as the source's own 4:2:0 planes when nothing needs drawing: one video clip
    // covers the frame at exactly the output size (no other clip, no burned subtitle at that
    // time) and its decoded frame needs no conversion (VideoReader::frame_at_yuv). True and
    // `out` filled; false when the frame must be composited (call take_frame).
    Result<bool> take_frame_yuv(int64_t index, media::YuvImage& out);
    // `frames` frames of audio from `start_sample` into out (resized). Fastest when each call
    // continues where the last one ended.
    Status audio(int64_t start_sample, size_t frames, std::vector<float>& out);

private:
    TimelineRenderer();
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace atelier::pipelines
