// Energy VAD with hysteresis and the silence cut (see vad.h for the rule and its constants).
// Thread-safety: pure functions.
#include "inference/speech/vad.h"

#include <algorithm>
#include <cmath>

namespace atelier::infer::speech {
namespace {

std::vector<float> frame_levels_db(std::span<const float> pcm, int64_t frame_len) {
    const int64_t n = static_cast<int64_t>(pcm.size());
    std::vector<float> levels;
    levels.reserve(static_cast<size_t>((n + frame_len - 1) / frame_len));
    for (int64_t s = 0; s < n; s += frame_len) {
        const int64_t e = std::min(n, s + frame_len);
        double sum = 0.0;
        for (int64_t k = s; k < e; ++k) sum += double{pcm[static_cast<size_t>(k)]} * pcm[static_cast<size_t>(k)];
        levels.push_back(static_cast<float>(10.0 * std::log10(sum / static_cast<double>(e - s) + 1e-10)));
    }
    return levels;
}

}  // namespace

float peak_frame_dbfs(std::span<const float> pcm, const VadOptions& o) {
    const int64_t frame_len = std::max<int64_t>(1, int64_t{o.sample_rate} * o.frame_ms / 1000);
    const std::vector<float> levels = frame_levels_db(pcm, frame_len);
    return levels.empty() ? -100.0f : *std::max_element(levels.begin(), levels.end());
}

std::vector<SpeechRegion> detect_speech(std::span<const float> pcm, const VadOptions& o) {
    const int64_t frame_len = std::max<int64_t>(1, int64_t{o.sample_rate} * o.frame_ms / 1000);
    const std::vector<float> levels = frame_levels_db(pcm, frame_len);
    std::vector<SpeechRegion> regions;
    if (levels.empty()) return regions;
    std::vector<float> sorted = levels;
    const size_t p10 = sorted.size() / 10;
    std::nth_element(sorted.begin(), sorted.begin() + static_cast<ptrdiff_t>(p10), sorted.end());
    const float on = std::max(sorted[p10] + o.on_margin_db, o.min_on_dbfs);
    const float off = on - o.hysteresis_db;
    const int64_t hang_frames = o.hang_ms / std::max(1, o.frame_ms);
    const int64_t n = static_cast<int64_t>(pcm.size());
    bool in_speech = false;
    int64_t start = 0, last_active = 0;
    for (int64_t i = 0; i < static_cast<int64_t>(levels.size()); ++i) {
        const float level = levels[static_cast<size_t>(i)];
        if (!in_speech) {
            if (level > on) in_speech = true, start = i, last_active = i;
            continue;
        }
        if (level > off) {
            last_active = i;
        } else if (i - last_active > hang_frames) {
            regions.push_back({start * frame_len, std::min(n, (last_active + 1) * frame_len)});
            in_speech = false;
        }
    }
    if (in_speech) regions.push_back({start * frame_len, std::min(n, (last_active + 1) * frame_len)});
    return regions;
}

SilenceCut cut_silences(std::span<const float> pcm, const VadOptions& o) {
    SilenceCut cut;
    cut.regions = detect_speech(pcm, o);
    const std::vector<SpeechRegion>& regions = cut.regions;
    if (regions.empty()) return cut;
    cut.any_speech = true;
    const int64_t n = static_cast<int64_t>(pcm.size());
    const int64_t min_gap = int64_t{o.sample_rate} * o.min_silence_ms / 1000;
    const int64_t keep = int64_t{o.sample_rate} * o.keep_ms / 1000;
    // Removed stretches [a, b), in order.
    std::vector<std::pair<int64_t, int64_t>> removed;
    int64_t prev_end = 0;
    for (size_t k = 0; k <= regions.size(); ++k) {
        const int64_t next_start = k < regions.size() ? regions[k].start : n;
        const int64_t a = k == 0 ? 0 : prev_end + keep;
        const int64_t b = k == regions.size() ? n : next_start - keep;
        if (next_start - prev_end >= min_gap && b > a) removed.emplace_back(a, b);
        if (k < regions.size()) prev_end = regions[k].end;
    }
    int64_t pos = 0, compact = 0;
    const auto keep_span = [&](int64_t a, int64_t b) {
        if (b <= a) return;
        cut.chunks.push_back({a, compact, b - a});
        cut.audio.insert(cut.audio.end(), pcm.begin() + a, pcm.begin() + b);
        compact += b - a;
    };
    for (const auto& [a, b] : removed) {
        keep_span(pos, a);
        pos = b;
    }
    keep_span(pos, n);
    return cut;
}

int64_t SilenceCut::to_original_ms(int64_t compact_ms, bool is_end) const {
    if (chunks.empty()) return compact_ms;
    const int64_t c = compact_ms * 16;  // samples at 16 kHz
    for (const KeptChunk& k : chunks) {
        const bool inside = is_end ? (c > k.compact && c <= k.compact + k.length)
                                   : (c >= k.compact && c < k.compact + k.length);
        if (inside) return (k.original + (c - k.compact)) / 16;
    }
    if (c <= chunks.front().compact) return chunks.front().original / 16;
    const KeptChunk& last = chunks.back();
    return (last.original + (c - last.compact)) / 16;
}

}  // namespace atelier::infer::speech
