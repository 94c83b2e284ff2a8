// Still images: decode (stb_image, then FFmpeg for WebP/TIFF/AVIF/...), EXIF orientation,
// resize, PNG/JPEG encode (stb_image_write), and a video frame grab for thumbnails.
// Thread-safety: reentrant.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "core/result.h"

namespace atelier::media {

// 8-bit RGBA, rows packed (stride = width * 4).
struct Image {
    int width = 0, height = 0;
    std::vector<uint8_t> rgba;
    bool empty() const { return width <= 0 || height <= 0; }
};

// Size limits checked before any pixel buffer is allocated (header dimensions first).
// A 4:2:0 picture in three tight planes (Y: width x height; U, V: ceil(w/2) x ceil(h/2)), the
// limited-range YUV that H.264 streams carry; for handing decoded video straight to an encoder.
struct YuvImage {
    int width = 0, height = 0;
    std::vector<uint8_t> y, u, v;
    int chroma_width() const { return (width + 1) / 2; }
    int chroma_height() const { return (height + 1) / 2; }
};

struct ImageLimits {
    int max_side_px = 32768;
    int64_t max_pixels = 512LL * 1000 * 1000;  // 512 Mpixel = 2 GB of RGBA
};

// Process-wide limits used wherever no ImageLimits is passed (load_image(path), probe_file,
// grab_video_frame, and the frames FFmpeg decodes while reading stream parameters).
// Thread-safety: may be called from any thread; set it once at startup (fuzzers lower it).
void set_default_image_limits(const ImageLimits& limits);
ImageLimits default_image_limits();

// Decodes any still image. EXIF orientation (JPEG) is applied, so pixels are upright.
// Refuses images above 32768 px on a side or 512 Mpixel before allocating.
// PNG goes through stb_image; JPEG, GIF (first frame), BMP, WebP, TIFF, ... and any PNG stb
// fails on go through FFmpeg (first frame of the first video stream). stb's other decoders are
// not used: they assert on corrupt data (see image.cpp).
// Errors: NotFound/PermissionDenied/IoError (load_image), MediaOpenFailed (not an image),
// MediaDecodeFailed (recognised but damaged), MediaUnsupported (above the limits).
Result<Image> load_image(const std::filesystem::path& path);
Result<Image> load_image(const std::filesystem::path& path, const ImageLimits& limits);
Result<Image> decode_image_memory(const uint8_t* data, size_t size);
Result<Image> decode_image_memory(const uint8_t* data, size_t size, const ImageLimits& limits);

// Rearranges pixels for an EXIF orientation value (1..8, TIFF/EXIF 2.3 tag 0x0112) so the result
// is upright. Values outside 1..8 return a copy.
Image apply_exif_orientation(const Image& src, int orientation);
// Rotates clockwise by 0/90/180/270 degrees (other values return a copy).
Image rotate_image(const Image& src, int degrees_cw);

// Area-averaging downscale so that max(width, height) <= max_side (never upscales).
Image fit_within(const Image& src, int max_side);

Result<std::vector<uint8_t>> encode_png(const Image& img);
Result<std::vector<uint8_t>> encode_jpeg(const Image& img, int quality = 90);
Status write_png(const Image& img, const std::filesystem::path& path);
Status write_jpeg(const Image& img, const std::filesystem::path& path, int quality = 90);

// A decoded video frame at (or just after) time_ms, rotation applied, scaled to fit max_side.
Result<Image> grab_video_frame(const std::filesystem::path& path, int64_t time_ms, int max_side);

}  // namespace atelier::media
