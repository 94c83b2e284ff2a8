// Streaming audio decode: any file FFmpeg reads becomes interleaved float PCM at the requested
// rate and channel count (swresample). Memory stays flat on long files: read() fills a caller's
// buffer block by block. Thread-safety: one AudioReader per thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <stop_token>
#include <vector>

#include "core/result.h"

namespace atelier::media {

struct AudioFormat {
    int sample_rate_hz = 0;  // 0: keep the source rate
    int channels = 0;        // 0: keep the source channel count
};

class AudioReader {
public:
    static Result<std::unique_ptr<AudioReader>> open(const std::filesystem::path& path, AudioFormat want = {});
    ~AudioReader();

    AudioFormat format() const;           // the output format actually delivered
    int64_t duration_ms() const;          // 0 if unknown
    // Reads up to max_frames frames (frames = samples per channel) into out (resized).
    // Returns the number of frames read; 0 at end of stream.
    Result<size_t> read(std::vector<float>& out, size_t max_frames);

private:
    AudioReader();
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Whole-file convenience (for short clips and tests).
Result<std::vector<float>> decode_audio(const std::filesystem::path& path, AudioFormat want, int* out_channels = nullptr);

struct WaveformSummary {
    int sample_rate_hz = 0;
    int samples_per_bucket = 0;
    std::vector<float> min_max;  // interleaved min,max per bucket, mixed to mono
};

// Summarises the audio into about n_buckets buckets (min/max of the mono mix); checks `stop`
// between blocks.
Result<WaveformSummary> compute_waveform(const std::filesystem::path& path, int n_buckets, std::stop_token stop = {});

}  // namespace atelier::media
