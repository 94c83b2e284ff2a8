// The decoding runtime shared by the CLI, the chat pipeline and the benchmarks: chunked prefill
// with cancel between chunks, decode one token at a time, samplers, stop strings, streaming
// callbacks and timings. Works on any CausalLm (inference/lm.h).
// Thread-safety: generate() runs on the calling thread (a job worker); callbacks are invoked on
// that thread and must not throw.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "inference/lm.h"
#include "inference/tokenizer/tokenizer.h"

namespace atelier::infer {

// temperature <= 0 is greedy (argmax; ties: the lower id). Filters apply in the order
// penalties -> top_k -> top_p -> min_p -> temperature -> draw; 0 / 1.0 disable a filter.
struct SamplingParams {
    float temperature = 1.0f;      // DeepSeek's recommendation for V4
    int32_t top_k = 0;             // 0: off
    float top_p = 1.0f;            // 1: off
    float min_p = 0.0f;            // 0: off
    float repeat_penalty = 1.0f;   // 1: off; >1 divides positive / multiplies negative logits
    float presence_penalty = 0.0f; // subtracted once from every token already seen
    float frequency_penalty = 0.0f;// subtracted per occurrence
    int32_t penalty_last_n = 256;  // window of recent tokens the penalties look at; 0: none
    uint64_t seed = 0;             // the same seed gives the same text
};

// One entry of the distribution a Sampler draws from.
struct TokenProb {
    int32_t id = -1;
    float p = 0.0f;
};

// One sampler: holds the RNG and the recent-token window. Deterministic for a seed.
class Sampler {
public:
    explicit Sampler(const SamplingParams& params);
    // Picks a token from logits (vocab floats; may be modified in place). Never fails on finite
    // or -inf logits; all -inf or NaN picks the lowest id with the largest value.
    int32_t sample(std::span<float> logits);
    // The distribution sample() draws from for these logits (penalties, filters and temperature
    // applied; NaN counts as -inf), sorted by id, probabilities summing to 1. Greedy: the argmax
    // alone. Does not advance the RNG. `logits` is modified in place as by sample().
    std::vector<TokenProb> distribution(std::span<float> logits);
    void accept(int32_t token);  // record a token (prompt or generated) for the penalties
    const SamplingParams& params() const { return params_; }

private:
    SamplingParams params_;
    std::mt19937_64 rng_;
    std::vector<int32_t> recent_;
    std::vector<std::pair<float, int32_t>> candidates_;
    void apply_penalties(std::span<float> logits) const;
    void filter_candidates(std::span<const float> logits);  // fills candidates_: kept (logit/T, id)
};

// Length of the longest suffix of `text` that is a proper prefix of one of `stops` and starts
// on a UTF-8 character boundary: the text a streamer must hold back until it knows whether a
// stop string (or marker) follows. Shared by generate() and the chat reply parsers.
size_t stop_prefix_holdback(std::string_view text, std::span<const std::string> stops);

enum class StopReason : uint8_t { Invalid = 0, Eos, StopString, MaxTokens, Cancelled, ContextFull };
const char* stop_reason_name(StopReason r);  // "eos", "stop_string", "max_tokens", "cancelled", "context_full"

struct GenerateTimings {
    int64_t prefill_tokens = 0;  // prompt tokens fed
    double prefill_ms = 0;       // wall time of the prefill evals
    int64_t decode_tokens = 0;   // single-token evals during decode (generated tokens fed back)
    double decode_ms = 0;        // wall time from the end of prefill to the end (sampling included)
    double prefill_tokens_per_s() const;
    double decode_tokens_per_s() const;
};

struct GenerateRequest {
    std::vector<int32_t> prompt;          // token ids, BOS included when wanted
    int32_t max_tokens = 256;
    SamplingParams sampling{};
    std::vector<std::string> stop_strings{};  // matched on the decoded text; the match is cut off
    std::vector<int32_t> stop_tokens{};   // besides the model's EOS
    bool ignore_eos = false;              // EOS is sampled like any token (benchmarks: exactly N tokens)
    int32_t prefill_chunk = 256;          // tokens per eval() during prefill
    std::stop_token stop{};               // checked between chunks and tokens (and inside eval)
    // Text as it becomes final (holds back partial UTF-8 and possible stop-string prefixes).
    // Called once per generated token (text may be empty); when text was still held back at the
    // end (no stop string followed), one last call with token = -1 delivers it.
    std::function<void(int32_t token, std::string_view text)> on_token{};
    std::function<void(int64_t done, int64_t total)> on_prefill{};
    // Logits rows: row 0 at the last prompt position, row i after the i-th generated token was
    // fed (the CLI's --dump-logits). Costs one extra eval() of the last generated token.
    std::function<void(int64_t row, std::span<const float> logits)> on_logits{};
};

struct GenerateResult {
    std::vector<int32_t> tokens;  // generated ids (stop token excluded)
    std::string text;             // their decoded text, stop string removed
    StopReason reason = StopReason::Invalid;
    GenerateTimings timings{};
};

// Runs prefill (from state.n_past(): a state that already holds a prefix continues it) and
// decode. Cancel returns the partial result with reason Cancelled, not an error.
Result<GenerateResult> generate(const CausalLm& lm, LmState& state, const Tokenizer& tokenizer,
                                const GenerateRequest& request);

}  // namespace atelier::infer
