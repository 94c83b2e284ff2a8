// Whisper's token rules (see token-rules.h). Semantics follow OpenAI's decoding.py
// (ApplyTimestampRules, SuppressTokens, _get_initial_tokens); written from its description.
// Thread-safety: pure functions.
#include "inference/speech/token-rules.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace atelier::infer::speech {
namespace {
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

void mask_range(std::span<float> logits, int64_t begin, int64_t end) {
    begin = std::clamp<int64_t>(begin, 0, static_cast<int64_t>(logits.size()));
    end = std::clamp<int64_t>(end, 0, static_cast<int64_t>(logits.size()));
    for (int64_t i = begin; i < end; ++i) logits[static_cast<size_t>(i)] = kNegInf;
}
}  // namespace

int32_t language_token(const WhisperTokens& t, const std::string& code) {
    for (const auto& [name, id] : t.languages)
        if (name == code) return id;
    return -1;
}

std::vector<int32_t> sot_sequence(const WhisperTokens& t, int32_t language_id, Task task,
                                  bool without_timestamps) {
    std::vector<int32_t> seq{t.sot};
    if (t.multilingual) {
        if (language_id >= 0) seq.push_back(language_id);
        seq.push_back(task == Task::Translate ? t.translate : t.transcribe);
    }
    if (without_timestamps) seq.push_back(t.no_timestamps);
    return seq;
}

std::vector<int32_t> initial_tokens(const WhisperTokens& t, std::span<const int32_t> sot_seq,
                                    std::span<const int32_t> prompt, int n_text_ctx, int* sot_index) {
    std::vector<int32_t> out;
    if (!prompt.empty()) {
        const size_t keep = static_cast<size_t>(std::max(0, n_text_ctx / 2 - 1));
        const size_t from = prompt.size() > keep ? prompt.size() - keep : 0;
        out.push_back(t.sot_prev);
        out.insert(out.end(), prompt.begin() + static_cast<ptrdiff_t>(from), prompt.end());
    }
    if (sot_index) *sot_index = static_cast<int>(out.size());
    out.insert(out.end(), sot_seq.begin(), sot_seq.end());
    return out;
}

std::vector<int32_t> suppressed_tokens(const WhisperTokens& t) {
    std::vector<int32_t> ids = t.suppress_tokens;
    for (int32_t id : {t.transcribe, t.translate, t.sot, t.sot_prev, t.sot_lm, t.no_speech})
        if (id >= 0) ids.push_back(id);
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    return ids;
}

void suppress(std::span<float> logits, std::span<const int32_t> ids) {
    for (int32_t id : ids)
        if (id >= 0 && static_cast<size_t>(id) < logits.size()) logits[static_cast<size_t>(id)] = kNegInf;
}

void apply_timestamp_rules(std::span<float> logits, std::span<const int32_t> sampled,
                           const WhisperTokens& t, int max_initial_index) {
    const int32_t tb = t.timestamp_begin;
    const int64_t n = static_cast<int64_t>(logits.size());
    if (t.no_timestamps >= 0 && t.no_timestamps < n) logits[static_cast<size_t>(t.no_timestamps)] = kNegInf;

    // Pairs: after <ts text ts> comes text or eot; after <text ts> comes a timestamp or eot.
    const size_t len = sampled.size();
    const bool last_ts = len >= 1 && sampled[len - 1] >= tb;
    const bool penult_ts = len < 2 || sampled[len - 2] >= tb;
    if (last_ts) {
        if (penult_ts) mask_range(logits, tb, n);
        else mask_range(logits, 0, t.eot);
    }
    // Monotonic, and every segment longer than zero.
    int32_t last_timestamp = -1;
    for (int32_t tok : sampled)
        if (tok >= tb) last_timestamp = tok;
    if (last_timestamp >= 0) {
        const int32_t upto = (last_ts && !penult_ts) ? last_timestamp : last_timestamp + 1;
        mask_range(logits, tb, upto);
    }
    if (len == 0) {
        mask_range(logits, 0, tb);  // the first sampled token is a timestamp
        if (max_initial_index >= 0) mask_range(logits, int64_t{tb} + max_initial_index + 1, n);
    }
    // Timestamp when their total probability beats every text token.
    std::vector<float> lp(logits.size());
    log_softmax(logits, lp);
    double max_ts = -std::numeric_limits<double>::infinity();
    for (int64_t i = tb; i < n; ++i) max_ts = std::max(max_ts, double{lp[static_cast<size_t>(i)]});
    double sum = 0.0;
    if (std::isfinite(max_ts))
        for (int64_t i = tb; i < n; ++i) sum += std::exp(double{lp[static_cast<size_t>(i)]} - max_ts);
    const double ts_logprob = std::isfinite(max_ts) ? max_ts + std::log(sum) : max_ts;
    double max_text = -std::numeric_limits<double>::infinity();
    for (int64_t i = 0; i < std::min<int64_t>(tb, n); ++i) max_text = std::max(max_text, double{lp[static_cast<size_t>(i)]});
    if (ts_logprob > max_text) mask_range(logits, 0, tb);
}

void log_softmax(std::span<const float> logits, std::span<float> out) {
    double mx = -std::numeric_limits<double>::infinity();
    for (float v : logits) mx = std::max(mx, double{v});
    if (!std::isfinite(mx)) {
        std::fill(out.begin(), out.end(), kNegInf);
        return;
    }
    double sum = 0.0;
    for (float v : logits) sum += std::exp(double{v} - mx);
    const double lse = mx + std::log(sum);
    for (size_t i = 0; i < logits.size(); ++i) out[i] = static_cast<float>(double{logits[i]} - lse);
}

}  // namespace atelier::infer::speech
