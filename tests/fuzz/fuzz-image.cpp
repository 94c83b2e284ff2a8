// Fuzz target: arbitrary bytes through decode_image_memory (stb_image for PNG, FFmpeg for the
// rest, the EXIF orientation parser for JPEG) and, for what decodes, fit_within and a PNG
// encode/decode round trip that must be lossless.
#include <cstdint>
#include <cstring>

#include "fuzz-util.h"
#include "media/exif.h"
#include "media/image.h"

using namespace atelier;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    media::set_default_image_limits({.max_side_px = 4096, .max_pixels = 4096 * 4096});
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const int orientation = media::jpeg_exif_orientation(data, size);
    FUZZ_CHECK(orientation >= 1 && orientation <= 8);
    auto img = media::decode_image_memory(data, size, {.max_side_px = 2048, .max_pixels = 1 << 20});
    if (!img.ok()) {
        FUZZ_CHECK(img.error().code != ErrorCode::Invalid);
        return 0;
    }
    FUZZ_CHECK(!img->empty() && img->width <= 2048 && img->height <= 2048);
    FUZZ_CHECK(img->rgba.size() == size_t(img->width) * size_t(img->height) * 4);
    media::Image small = media::fit_within(*img, 17);
    FUZZ_CHECK(small.width <= 17 && small.height <= 17 && small.width >= 1 && small.height >= 1);
    auto png = media::encode_png(small);
    FUZZ_CHECK(png.ok());
    auto back = media::decode_image_memory(png->data(), png->size());
    FUZZ_CHECK(back.ok() && back->width == small.width && back->height == small.height);
    FUZZ_CHECK(back->rgba == small.rgba);
    return 0;
}
