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

// Decodes any still image. EXIF orientation (JPEG) is applied, so pixels are upright.
// Refuses images above 32768 px on a side or 512 Mpixel before allocating.
Result<Image> load_image(const std::filesystem::path& path);
Result<Image> decode_image_memory(const uint8_t* data, size_t size);

// Area-averaging downscale so that max(width, height) <= max_side (never upscales).
Image fit_within(const Image& src, int max_side);

Result<std::vector<uint8_t>> encode_png(const Image& img);
Result<std::vector<uint8_t>> encode_jpeg(const Image& img, int quality = 90);
Status write_png(const Image& img, const std::filesystem::path& path);
Status write_jpeg(const Image& img, const std::filesystem::path& path, int quality = 90);

// A decoded video frame at (or just after) time_ms, rotation applied, scaled to fit max_side.
Result<Image> grab_video_frame(const std::filesystem::path& path, int64_t time_ms, int max_side);

}  // namespace atelier::media
