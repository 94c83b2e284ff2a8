// grab_video_frame: one decoded picture of a video (or its cover art) at a time, upright and
// scaled, for thumbnails and previews. Seeks to the keyframe at or before the time, then decodes
// forward to the first frame whose timestamp reaches it (accurate, not keyframe-snapped).
// Thread-safety: reentrant; each call opens its own demuxer and decoder.
#include <algorithm>
#include <new>

#include "core/log.h"
#include "media/ffmpeg-util.h"
#include "media/image.h"

namespace atelier::media {
namespace {

Result<Image> grab_impl(const std::filesystem::path& path, int64_t time_ms, int max_side) {
    const ImageLimits limits = default_image_limits();
    ATELIER_TRY_ASSIGN(ff::InputPtr in, ff::open_input_file(path, {.max_pixels = limits.max_pixels}));
    AVFormatContext* fc = in->fmt();
    const int index = ff::best_stream(fc, AVMEDIA_TYPE_VIDEO, /*allow_attached_pic=*/true);
    if (index < 0) {
        return make_error(ErrorCode::MediaNoStream, in->label() + ": has no video stream", "choose a video or image file");
    }
    AVStream* st = fc->streams[index];
    ATELIER_TRY_ASSIGN(auto decoder, ff::StreamDecoder::open(*in, index, {.max_pixels = limits.max_pixels}));

    // Target timestamp in the stream's time base, relative to the stream's first timestamp.
    int64_t target = AV_NOPTS_VALUE;
    const bool cover_art = (st->disposition & AV_DISPOSITION_ATTACHED_PIC) != 0;
    if (!cover_art && st->time_base.num > 0 && st->time_base.den > 0) {
        const int64_t start = st->start_time != AV_NOPTS_VALUE ? st->start_time : 0;
        target = av_rescale_q(std::max<int64_t>(time_ms, 0), AVRational{1, 1000}, st->time_base);
        if (target > INT64_MAX - start || target < 0) target = INT64_MAX - 1;
        else target += start;
        if (time_ms > 0) {
            int r = av_seek_frame(fc, index, target, AVSEEK_FLAG_BACKWARD);
            if (r >= 0) {
                decoder->flush();
            } else {
                ATELIER_LOG_DEBUG("%s: seek failed (%s); decoding from the start", in->label().c_str(),
                                  ff::av_error_text(r).c_str());
            }
        }
    }

    // Keep the newest decoded frame: past the end of the stream the last frame is the answer.
    ATELIER_TRY_ASSIGN(ff::FramePtr frame, ff::make_frame());
    ATELIER_TRY_ASSIGN(ff::FramePtr kept, ff::make_frame());
    bool have = false;
    for (;;) {
        ATELIER_TRY_ASSIGN(bool got, decoder->next_frame(frame.get()));
        if (!got) break;
        av_frame_unref(kept.get());
        av_frame_move_ref(kept.get(), frame.get());
        have = true;
        const int64_t pts = kept->best_effort_timestamp;
        if (target == AV_NOPTS_VALUE || pts == AV_NOPTS_VALUE || pts >= target) break;
    }
    if (!have) return make_error(ErrorCode::MediaDecodeFailed, in->label() + ": no video frame could be decoded", ff::kNotMediaHint);
    ATELIER_TRY_ASSIGN(Image img, ff::frame_to_image(kept.get(), limits, in->label()));
    img = rotate_image(img, ff::stream_rotation_deg(st));
    return max_side > 0 ? fit_within(img, max_side) : img;
}

}  // namespace

Result<Image> grab_video_frame(const std::filesystem::path& path, int64_t time_ms, int max_side) {
    try {
        return grab_impl(path, time_ms, max_side);
    } catch (const std::bad_alloc&) {
        return make_error(ErrorCode::OutOfMemory, path.string() + ": out of memory while decoding a frame",
                          "close other programs and retry");
    }
}

}  // namespace atelier::media
