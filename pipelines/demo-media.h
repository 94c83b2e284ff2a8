// Synthetic media for the demo, the tests and the benchmarks: gradient PNGs (through our own
// PNG encoder), a sine WAV (a plain RIFF/PCM16 file written here), and a short test clip made by
// the ffmpeg program when it is installed. Nothing here is downloaded.
// Thread-safety: reentrant.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string_view>

#include "core/result.h"
#include "media/image.h"

namespace atelier::pipelines::demo {

// A smooth RGBA gradient; different seeds give different pixels (hence different content hashes).
media::Image gradient_image(int width, int height, uint32_t seed);
Status write_gradient_png(const std::filesystem::path& path, int width, int height, uint32_t seed);

// 16-bit PCM WAV with a sine of freq_hz at half amplitude on every channel.
Status write_sine_wav(const std::filesystem::path& path, double freq_hz, int duration_ms, int sample_rate_hz = 48000,
                      int channels = 1);

// The first executable `name` on PATH.
std::optional<std::filesystem::path> find_program(std::string_view name);

// An H.264/AAC MP4 (testsrc2 pattern + sine) of duration_ms at width x height, made by ffmpeg.
// Unsupported when ffmpeg is not installed; MediaEncodeFailed when it fails.
Status make_test_video(const std::filesystem::path& path, int duration_ms, int width = 320, int height = 240,
                       bool with_audio = true);

}  // namespace atelier::pipelines::demo
