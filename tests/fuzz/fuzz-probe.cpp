// Fuzz target: arbitrary bytes as a media file on disk, through everything import does with an
// untrusted file: probe_file, load_image, grab_video_frame and a bounded AudioReader pass.
// Properties: no crash, no sanitizer report, every failure is an Error with a real code.
#include <cstdint>
#include <vector>

#include "fuzz-util.h"
#include "media/audio-reader.h"
#include "media/image.h"
#include "media/probe.h"

using namespace atelier;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    // Small pictures only: a hostile header must not make each run allocate gigabytes.
    media::set_default_image_limits({.max_side_px = 4096, .max_pixels = 4096 * 4096});
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto path = fuzz::write_scratch("input.bin", data, size);
    auto info = media::probe_file(path);
    FUZZ_CHECK(info.ok() || info.error().code != ErrorCode::Invalid);
    if (info.ok()) {
        FUZZ_CHECK(info->kind != media::MediaKind::Invalid);
        (void)info->to_json();
    }
    auto img = media::load_image(path);
    FUZZ_CHECK(img.ok() ? img->rgba.size() == size_t(img->width) * size_t(img->height) * 4 : img.error().code != ErrorCode::Invalid);
    auto frame = media::grab_video_frame(path, 40, 32);
    FUZZ_CHECK(frame.ok() ? frame->width <= 32 && frame->height <= 32 : frame.error().code != ErrorCode::Invalid);
    if (auto reader = media::AudioReader::open(path, {.sample_rate_hz = 16000, .channels = 1}); reader.ok()) {
        std::vector<float> block;
        for (int i = 0; i < 4; ++i) {  // at most one second of output
            auto n = (*reader)->read(block, 4000);
            if (!n.ok() || *n == 0) break;
            FUZZ_CHECK(*n <= 4000 && block.size() == *n);
        }
    }
    return 0;
}
