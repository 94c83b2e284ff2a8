// Still images: decode PNG through stb_image, everything else through FFmpeg (first frame of the
// first video stream, swscale to RGBA); EXIF orientation for JPEG; PNG/JPEG encode through
// stb_image_write. Invariants: header dimensions are checked against ImageLimits before any pixel
// buffer exists; untrusted bytes only ever produce an Error. Thread-safety: reentrant (stb's
// failure reason is thread-local, no stb globals are set here).
#include "media/image.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <new>
#include <system_error>

#include <stb/stb_image.h>
#include <stb/stb_image_write.h>

#include "core/log.h"
#include "media/exif.h"
#include "media/ffmpeg-util.h"

namespace atelier::media {
namespace {

bool starts_with(const uint8_t* d, size_t n, const char* magic, size_t m) {
    return n >= m && std::memcmp(d, magic, m) == 0;
}

bool is_png(const uint8_t* d, size_t n) { return starts_with(d, n, "\x89PNG\r\n\x1a\n", 8); }

Error too_large(const std::string& label, int64_t w, int64_t h) {
    return make_error(ErrorCode::MediaUnsupported,
                      label + ": image is too large (" + std::to_string(w) + "x" + std::to_string(h) + ")",
                      "scale it down below 32768 pixels a side before importing");
}

bool within(const ImageLimits& limits, int64_t w, int64_t h) {
    return w > 0 && h > 0 && w <= limits.max_side_px && h <= limits.max_side_px && w * h <= limits.max_pixels;
}

// The size in the header, checked before anything decodes. PNG: the IHDR chunk, which must come
// first (PNG spec 5.6), read here because stb_image reports a huge PNG only as "unreadable".
// JPEG, GIF, BMP: stb_image's header parsers (headers only; no entropy decoding).
Status check_header_size(const uint8_t* d, size_t n, const ImageLimits& limits, const std::string& label) {
    int64_t w = 0, h = 0;
    if (is_png(d, n)) {
        if (n < 24 || std::memcmp(d + 12, "IHDR", 4) != 0) return ok_status();
        auto be32 = [&](size_t o) { return (int64_t{d[o]} << 24) | (int64_t{d[o + 1]} << 16) | (int64_t{d[o + 2]} << 8) | d[o + 3]; };
        w = be32(16);
        h = be32(20);
    } else if (n <= static_cast<size_t>(INT_MAX) &&
               (starts_with(d, n, "\xFF\xD8\xFF", 3) || starts_with(d, n, "GIF8", 4) || starts_with(d, n, "BM", 2))) {
        int iw = 0, ih = 0, comp = 0;
        if (stbi_info_from_memory(d, static_cast<int>(n), &iw, &ih, &comp)) {
            w = iw;
            h = ih;
        }
    }
    if (w > 0 && h > 0 && !within(limits, w, h)) return too_large(label, w, h);
    return ok_status();
}

struct StbFree {
    void operator()(stbi_uc* p) const { stbi_image_free(p); }
};

// stb_image decodes PNG only. Debian builds libstb with assertions on, and its JPEG entropy
// decoder asserts (and reads out of bounds) on corrupt data; GIF and BMP have had similar bugs.
// Untrusted bytes must never reach an assert, so everything but PNG goes to FFmpeg, whose
// decoders are fuzzed continuously. An empty Image without error: "stb did not decode it".
Result<Image> decode_with_stb(const uint8_t* data, size_t size, const ImageLimits& limits, const std::string& label) {
    if (!is_png(data, size) || size > static_cast<size_t>(INT_MAX)) return Image{};
    int w = 0, h = 0, comp = 0;
    std::unique_ptr<stbi_uc, StbFree> pixels(stbi_load_from_memory(data, static_cast<int>(size), &w, &h, &comp, 4));
    if (!pixels) {
        ATELIER_LOG_DEBUG("%s: stb_image: %s; trying FFmpeg", label.c_str(), stbi_failure_reason());
        return Image{};
    }
    if (!within(limits, w, h)) return too_large(label, w, h);
    Image img;
    img.width = w;
    img.height = h;
    img.rgba.assign(pixels.get(), pixels.get() + static_cast<size_t>(w) * static_cast<size_t>(h) * 4);
    return img;
}

Result<Image> decode_with_ffmpeg(const uint8_t* data, size_t size, const ImageLimits& limits, const std::string& label) {
    // Image demuxers give the codec without decoding; skipping stream info saves a second decode.
    ATELIER_TRY_ASSIGN(ff::InputPtr in, ff::open_input_memory(data, size, label, {.skip_stream_info_for_images = true}));
    int index = ff::best_stream(in->fmt(), AVMEDIA_TYPE_VIDEO, true);
    if (index < 0) {
        return make_error(ErrorCode::MediaOpenFailed, label + ": not an image (no picture inside)", ff::kNotMediaHint);
    }
    const AVCodecParameters* par = in->fmt()->streams[index]->codecpar;
    if ((par->width > 0 || par->height > 0) && !within(limits, par->width, par->height)) {
        return too_large(label, par->width, par->height);
    }
    // The decoder refuses pictures above the process-wide limit before allocating them; a stricter
    // `limits` is applied to the decoded size (frame_to_image), so it gets its own clear error.
    const int64_t decoder_limit = std::max(limits.max_pixels, default_image_limits().max_pixels);
    ATELIER_TRY_ASSIGN(auto decoder, ff::StreamDecoder::open(*in, index, {.max_pixels = decoder_limit}));
    ATELIER_TRY_ASSIGN(ff::FramePtr frame, ff::make_frame());
    ATELIER_TRY_ASSIGN(bool got, decoder->next_frame(frame.get()));
    if (!got) return make_error(ErrorCode::MediaDecodeFailed, label + ": no picture could be decoded", ff::kNotMediaHint);
    return ff::frame_to_image(frame.get(), limits, label);
}

Result<Image> decode_impl(const uint8_t* data, size_t size, const ImageLimits& limits, const std::string& label) {
    if (!data || size == 0) return make_error(ErrorCode::MediaOpenFailed, label + ": empty", ff::kNotMediaHint);
    ATELIER_TRY(check_header_size(data, size, limits, label));
    ATELIER_TRY_ASSIGN(Image img, decode_with_stb(data, size, limits, label));
    if (img.empty()) {
        ATELIER_TRY_ASSIGN(img, decode_with_ffmpeg(data, size, limits, label));
    }
    return apply_exif_orientation(img, jpeg_exif_orientation(data, size));
}

Error out_of_memory(const std::string& label) {
    return make_error(ErrorCode::OutOfMemory, label + ": out of memory", "close other programs, or use a smaller image");
}

Error write_error(const std::filesystem::path& path, int err) {
    std::string what = path.string() + ": cannot write (" + std::strerror(err) + ")";
    if (err == ENOSPC) return make_error(ErrorCode::DiskFull, what, "free some disk space and retry");
    if (err == EACCES || err == EPERM || err == EROFS) return make_error(ErrorCode::PermissionDenied, what, "choose a folder you can write to");
    if (err == ENOENT) return make_error(ErrorCode::NotFound, what, "check that the folder exists");
    return make_error(ErrorCode::IoError, what, "check the disk and the path");
}

Status check_encodable(const Image& img) {
    const size_t bytes = static_cast<size_t>(std::max(img.width, 0)) * static_cast<size_t>(std::max(img.height, 0)) * 4;
    if (img.empty() || img.rgba.size() != bytes) {
        return make_error(ErrorCode::InvalidArgument, "image to encode is empty or its pixel buffer has the wrong size");
    }
    if (bytes > static_cast<size_t>(INT_MAX) / 2) {
        return make_error(ErrorCode::MediaUnsupported, "image is too large to encode", "scale it down first");
    }
    return ok_status();
}

struct Sink {
    std::vector<uint8_t> bytes;
    bool failed = false;
    static void write(void* ctx, void* data, int size) {  // called from C: must not throw
        auto* s = static_cast<Sink*>(ctx);
        if (s->failed || size <= 0) return;
        try {
            const auto* p = static_cast<const uint8_t*>(data);
            s->bytes.insert(s->bytes.end(), p, p + size);
        } catch (...) {
            s->failed = true;
        }
    }
};

Status write_file_atomic(const std::vector<uint8_t>& bytes, const std::filesystem::path& path) {
    std::filesystem::path tmp = path;
    tmp += ".tmp";
    FILE* f = std::fopen(tmp.c_str(), "wb");
    if (!f) return write_error(path, errno);
    size_t n = std::fwrite(bytes.data(), 1, bytes.size(), f);
    int err = n == bytes.size() ? 0 : errno;
    if (std::fclose(f) != 0 && err == 0) err = errno;
    if (err == 0 && std::rename(tmp.c_str(), path.c_str()) != 0) err = errno;
    if (err != 0) {
        std::remove(tmp.c_str());
        return write_error(path, err);
    }
    return ok_status();
}

}  // namespace

Result<Image> decode_image_memory(const uint8_t* data, size_t size, const ImageLimits& limits) {
    try {
        return decode_impl(data, size, limits, "image data");
    } catch (const std::bad_alloc&) {
        return out_of_memory("image data");
    }
}

Result<Image> decode_image_memory(const uint8_t* data, size_t size) {
    return decode_image_memory(data, size, default_image_limits());
}

Result<Image> load_image(const std::filesystem::path& path, const ImageLimits& limits) {
    const std::string label = path.string();
    std::error_code ec;
    auto status = std::filesystem::status(path, ec);
    if (ec || !std::filesystem::exists(status)) return make_error(ErrorCode::NotFound, label + ": no such file", "check the path");
    if (std::filesystem::is_directory(status)) {
        return make_error(ErrorCode::MediaOpenFailed, label + ": is a folder, not an image", "choose a file inside it");
    }
    try {
        constexpr uintmax_t kMaxFileBytes = uintmax_t{2} << 30;  // no real still image is this big
        const uintmax_t size = std::filesystem::file_size(path, ec);
        if (ec) return make_error(ErrorCode::IoError, label + ": cannot read its size (" + ec.message() + ")", "check the disk");
        if (size > kMaxFileBytes) {
            return make_error(ErrorCode::MediaUnsupported, label + ": file is over 2 GiB, too large for a still image",
                              "convert it to a smaller image first");
        }
        std::ifstream in(path, std::ios::binary);
        if (!in) return make_error(ErrorCode::PermissionDenied, label + ": cannot open for reading", "check that you may read the file");
        std::vector<uint8_t> bytes(static_cast<size_t>(size));
        in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
        if (static_cast<uintmax_t>(in.gcount()) != size) {
            return make_error(ErrorCode::IoError, label + ": read failed (file changed or disk error)", "check the disk and retry");
        }
        return decode_impl(bytes.data(), bytes.size(), limits, label);
    } catch (const std::bad_alloc&) {
        return out_of_memory(label);
    }
}

Result<Image> load_image(const std::filesystem::path& path) { return load_image(path, default_image_limits()); }

namespace {
std::atomic<int> g_max_side_px{ImageLimits{}.max_side_px};
std::atomic<int64_t> g_max_pixels{ImageLimits{}.max_pixels};
}  // namespace

void set_default_image_limits(const ImageLimits& limits) {
    g_max_side_px.store(std::max(limits.max_side_px, 1));
    g_max_pixels.store(std::max<int64_t>(limits.max_pixels, 1));
}

ImageLimits default_image_limits() { return ImageLimits{g_max_side_px.load(), g_max_pixels.load()}; }

Result<std::vector<uint8_t>> encode_png(const Image& img) {
    ATELIER_TRY(check_encodable(img));
    Sink sink;
    int ok = stbi_write_png_to_func(&Sink::write, &sink, img.width, img.height, 4, img.rgba.data(), img.width * 4);
    if (!ok || sink.failed) return make_error(ErrorCode::MediaEncodeFailed, "PNG encoding failed", "retry; if it persists, report a bug");
    return std::move(sink.bytes);
}

Result<std::vector<uint8_t>> encode_jpeg(const Image& img, int quality) {
    ATELIER_TRY(check_encodable(img));
    Sink sink;
    int ok = stbi_write_jpg_to_func(&Sink::write, &sink, img.width, img.height, 4, img.rgba.data(), std::clamp(quality, 1, 100));
    if (!ok || sink.failed) return make_error(ErrorCode::MediaEncodeFailed, "JPEG encoding failed", "retry; if it persists, report a bug");
    return std::move(sink.bytes);
}

Status write_png(const Image& img, const std::filesystem::path& path) {
    ATELIER_TRY_ASSIGN(auto bytes, encode_png(img));
    return write_file_atomic(bytes, path);
}

Status write_jpeg(const Image& img, const std::filesystem::path& path, int quality) {
    ATELIER_TRY_ASSIGN(auto bytes, encode_jpeg(img, quality));
    return write_file_atomic(bytes, path);
}

}  // namespace atelier::media
