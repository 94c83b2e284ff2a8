// Test audio for the transcribe tests: tone bursts at known times and frequencies, written as a
// plain RIFF/PCM16 WAV here (not through our media code), and helpers that run a transcribe job.
#pragma once

#include <cmath>
#include <cstdlib>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "test-util.h"
#include "tests/inference/speech/e2e-util.h"

// For the e2e tests: the real Whisper base from the model cache, or a failure under CI and a
// skip elsewhere, saying why.
#define ATELIER_REQUIRE_WHISPER_BASE()                                                                            \
    do {                                                                                                          \
        if (!std::filesystem::exists(speech_test::whisper_base_dir() / "model.safetensors")) {                    \
            if (std::getenv("CI")) FAIL() << "Whisper base is not in the model cache (scripts/fetch-models)";     \
            GTEST_SKIP() << "Whisper base is not in the model cache: run scripts/fetch-models";                   \
        }                                                                                                         \
    } while (0)

namespace atelier::test {

struct Burst {
    int64_t start_ms, end_ms;
    double hz;
};

// 0.5-1.5 s 440 Hz, 2.5-3.3 s 880 Hz, 4.0-5.0 s 660 Hz, 6 s in all.
inline const std::vector<Burst> kBursts = {{500, 1500, 440}, {2500, 3300, 880}, {4000, 5000, 660}};
inline constexpr int64_t kBurstsTotalMs = 6000;

// Samples of the bursts (amplitude 0.5) at `rate`, `channels` interleaved.
inline std::vector<float> burst_samples(int rate, int channels, const std::vector<Burst>& bursts = kBursts,
                                        int64_t total_ms = kBurstsTotalMs) {
    const size_t frames = size_t(total_ms * rate / 1000);
    std::vector<float> out(frames * size_t(channels), 0.0f);
    for (const auto& b : bursts) {
        for (int64_t i = b.start_ms * rate / 1000; i < b.end_ms * rate / 1000; ++i) {
            const float v = float(0.5 * std::sin(2.0 * M_PI * b.hz * double(i) / rate));
            for (int c = 0; c < channels; ++c) out[size_t(i) * size_t(channels) + size_t(c)] = v;
        }
    }
    return out;
}

inline void write_burst_wav(const fs::path& path, int rate, int channels) {
    const std::vector<float> f = burst_samples(rate, channels);
    std::string data(f.size() * 2, '\0');
    for (size_t i = 0; i < f.size(); ++i) {
        const int16_t v = int16_t(std::lrint(f[i] * 32767.0f));
        std::memcpy(&data[i * 2], &v, 2);
    }
    auto u32 = [](uint32_t v) { return std::string(reinterpret_cast<const char*>(&v), 4); };
    auto u16 = [](uint16_t v) { return std::string(reinterpret_cast<const char*>(&v), 2); };
    std::string h = "RIFF" + u32(uint32_t(36 + data.size())) + "WAVEfmt " + u32(16) + u16(1) + u16(uint16_t(channels)) +
                    u32(uint32_t(rate)) + u32(uint32_t(rate * channels * 2)) + u16(uint16_t(channels * 2)) + u16(16) +
                    "data" + u32(uint32_t(data.size()));
    write_file(path, h + data);
}

}  // namespace atelier::test
