// Voice activity: an energy detector with hysteresis (10 ms frames, dBFS = 10 log10(mean square);
// floor = 10th percentile of frame levels; speech above max(floor + on_margin_db, min_on_dbfs),
// ending hang_ms below that minus hysteresis_db), and the cut that removes silences longer than
// min_silence_ms but keep_ms each side (short pauses stay, so Whisper still sees sentence breaks),
// with the map that puts timestamps back on the original timeline.
// Thread-safety: pure functions on caller data.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace atelier::infer::speech {

struct VadOptions {
    int sample_rate = 16000;
    int frame_ms = 10;
    float on_margin_db = 10.0f;    // above the noise floor
    float min_on_dbfs = -50.0f;    // never call anything quieter than this speech
    float hysteresis_db = 5.0f;    // the off threshold is this much below the on threshold
    int hang_ms = 300;             // speech continues this long below the off threshold
    int min_silence_ms = 2000;     // only silences at least this long are cut
    int keep_ms = 300;             // silence kept on each side of a cut
};

struct SpeechRegion {
    int64_t start = 0, end = 0;  // samples, [start, end)
};

// The loudest 10 ms frame's level in dBFS (-100 for empty or all-zero audio).
float peak_frame_dbfs(std::span<const float> pcm, const VadOptions& options = {});

// Speech regions of pcm (mono), in order, not overlapping.
std::vector<SpeechRegion> detect_speech(std::span<const float> pcm, const VadOptions& options = {});

// One kept stretch: samples [original, original + length) sit at [compact, compact + length).
struct KeptChunk {
    int64_t original = 0, compact = 0, length = 0;
};

struct SilenceCut {
    std::vector<float> audio;        // the kept samples, in order
    std::vector<KeptChunk> chunks;   // empty when no speech was found
    std::vector<SpeechRegion> regions;  // the speech found, on the original timeline
    bool any_speech = false;
    // A time on the compacted audio (ms) on the original timeline. `is_end`: a time that closes
    // an interval maps to the end of the chunk it ends, not the start of the next one.
    int64_t to_original_ms(int64_t compact_ms, bool is_end) const;
};

SilenceCut cut_silences(std::span<const float> pcm, const VadOptions& options = {});

}  // namespace atelier::infer::speech
