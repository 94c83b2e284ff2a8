// Fuzz target: arbitrary bytes as a media file, through the decode entry points the timeline
// render and conversion use: VideoReader (in order, then frame_at backward and forward, scaled)
// and AudioReader (resampled), bounded in work per input.
// Properties: no crash, no sanitizer report, every failure is an Error with a real code.
#include <cstdint>
#include <vector>

#include "fuzz-util.h"
#include "media/audio-reader.h"
#include "media/image.h"
#include "media/video-reader.h"

using namespace atelier;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    media::set_default_image_limits({.max_side_px = 4096, .max_pixels = 4096 * 4096});
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto path = fuzz::write_scratch("input.bin", data, size);
    if (auto reader = media::VideoReader::open(path, {.width = 32, .height = 24, .threads = 1}); reader.ok()) {
        auto& r = **reader;
        media::VideoFrame f;
        for (int i = 0; i < 8; ++i) {
            auto got = r.next(f);
            if (!got.ok() || !*got) {
                FUZZ_CHECK(got.ok() || got.error().code != ErrorCode::Invalid);
                break;
            }
            FUZZ_CHECK(f.image && f.image->width == 32 && f.image->height == 24);
        }
        for (int64_t t_us : {200'000LL, 0LL, 5'000'000LL}) {
            auto fr = r.frame_at(t_us);
            FUZZ_CHECK(fr.ok() ? fr->image->rgba.size() == 32u * 24u * 4u : fr.error().code != ErrorCode::Invalid);
        }
    } else {
        FUZZ_CHECK(reader.error().code != ErrorCode::Invalid);
    }
    if (auto reader = media::AudioReader::open(path, {.sample_rate_hz = 48000, .channels = 2}); reader.ok()) {
        std::vector<float> block;
        for (int i = 0; i < 4; ++i) {
            auto n = (*reader)->read(block, 12000);
            if (!n.ok() || *n == 0) break;
            FUZZ_CHECK(block.size() == *n * 2);
        }
    }
    return 0;
}
