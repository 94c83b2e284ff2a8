// compute_waveform: min/max of the mono mix (mean of the channels) per bucket of
// samples_per_bucket frames, at the source rate. The bucket size comes from the duration when the
// container knows it; otherwise (or when the duration lied) buckets are merged pairwise whenever
// there are more than asked for, so the result never exceeds n_buckets and memory stays flat.
// Thread-safety: reentrant; runs on a job worker and checks `stop` between decoded blocks.
#include <algorithm>
#include <cmath>
#include <limits>
#include <new>

#include "media/audio-reader.h"

namespace atelier::media {
namespace {

struct Accumulator {
    std::vector<float> min_max;  // complete buckets
    int64_t samples_per_bucket = 1;
    int64_t count = 0;           // frames in the open bucket
    float lo = std::numeric_limits<float>::infinity();
    float hi = -std::numeric_limits<float>::infinity();

    void add(float v) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
        if (++count == samples_per_bucket) close();
    }
    void close() {
        min_max.push_back(std::clamp(lo, -1.0f, 1.0f));
        min_max.push_back(std::clamp(hi, -1.0f, 1.0f));
        count = 0;
        lo = std::numeric_limits<float>::infinity();
        hi = -std::numeric_limits<float>::infinity();
    }
    // Halves the bucket count by doubling the bucket size. An odd last bucket is folded back into
    // the open one, so every bucket keeps starting at a multiple of the new size.
    void merge_pairs() {
        size_t n = min_max.size() / 2;
        if (n % 2 == 1) {
            lo = std::min(lo, min_max[2 * n - 2]);
            hi = std::max(hi, min_max[2 * n - 1]);
            count += samples_per_bucket;
            min_max.resize(2 * (n - 1));
            --n;
        }
        for (size_t i = 0; i < n / 2; ++i) {
            min_max[2 * i] = std::min(min_max[4 * i], min_max[4 * i + 2]);
            min_max[2 * i + 1] = std::max(min_max[4 * i + 1], min_max[4 * i + 3]);
        }
        min_max.resize(n);
        samples_per_bucket *= 2;
    }
};

Result<WaveformSummary> waveform_impl(const std::filesystem::path& path, int n_buckets, std::stop_token stop) {
    if (n_buckets <= 0) return make_error(ErrorCode::InvalidArgument, "waveform: n_buckets must be positive");
    ATELIER_TRY_ASSIGN(auto reader, AudioReader::open(path));
    const AudioFormat fmt = reader->format();
    Accumulator acc;
    if (reader->duration_ms() > 0) {
        const int64_t total = reader->duration_ms() * fmt.sample_rate_hz / 1000;
        acc.samples_per_bucket = std::max<int64_t>(1, (total + n_buckets - 1) / n_buckets);
    } else {
        acc.samples_per_bucket = 1;  // doubled by merging as the audio keeps coming
    }
    const auto channels = static_cast<size_t>(fmt.channels);
    const float inv_channels = 1.0f / static_cast<float>(channels);
    std::vector<float> block;
    int64_t frames_total = 0;
    constexpr size_t kBlockFrames = 16384;  // ~0.3 s at 48 kHz: the cancellation granularity
    for (;;) {
        if (stop.stop_requested()) return make_error(ErrorCode::Cancelled, "waveform cancelled");
        ATELIER_TRY_ASSIGN(size_t n, reader->read(block, kBlockFrames));
        if (n == 0) break;
        frames_total += static_cast<int64_t>(n);
        for (size_t i = 0; i < n; ++i) {
            float sum = 0.0f;
            for (size_t c = 0; c < channels; ++c) sum += block[i * channels + c];
            const float v = sum * inv_channels;
            acc.add(std::isfinite(v) ? v : 0.0f);
            if (acc.min_max.size() / 2 > static_cast<size_t>(n_buckets)) acc.merge_pairs();
        }
    }
    if (frames_total == 0) {
        return make_error(ErrorCode::MediaDecodeFailed, path.string() + ": no audio could be decoded",
                          "the file may be damaged; try converting it");
    }
    if (acc.count > 0) acc.close();
    while (acc.min_max.size() / 2 > static_cast<size_t>(n_buckets)) {
        acc.merge_pairs();
        if (acc.count > 0) acc.close();
    }
    WaveformSummary out;
    out.sample_rate_hz = fmt.sample_rate_hz;
    out.samples_per_bucket = static_cast<int>(std::min<int64_t>(acc.samples_per_bucket, std::numeric_limits<int>::max()));
    out.min_max = std::move(acc.min_max);
    return out;
}

}  // namespace

Result<WaveformSummary> compute_waveform(const std::filesystem::path& path, int n_buckets, std::stop_token stop) {
    try {
        return waveform_impl(path, n_buckets, std::move(stop));
    } catch (const std::bad_alloc&) {
        return make_error(ErrorCode::OutOfMemory, path.string() + ": out of memory computing the waveform", "close other programs and retry");
    }
}

}  // namespace atelier::media
