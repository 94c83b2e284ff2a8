// Whisper's decoding token rules, as OpenAI's decoding.py defines them: the start-of-transcript
// sequence, the prompt prefix (<|startofprev|>), the suppressed tokens and the timestamp rules that
// mask logits before each choice. Pure functions on spans: no model, no state.
// Invariant: every id handed in is < n_vocab (checked by the callers that build WhisperTokens).
// Thread-safety: free functions on caller-owned data; safe from any thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace atelier::infer::speech {

enum class Task { Invalid = 0, Transcribe, Translate };

// The ids the rules need (copied from the model's WhisperConfig).
struct WhisperTokens {
    int32_t n_vocab = 0;
    int32_t eot = -1, sot = -1, sot_prev = -1, sot_lm = -1, no_speech = -1, no_timestamps = -1;
    int32_t translate = -1, transcribe = -1;
    int32_t timestamp_begin = -1;  // <|0.00|>; every id >= it is a timestamp
    bool multilingual = false;
    std::vector<std::pair<std::string, int32_t>> languages;  // "en" -> id
    std::vector<int32_t> suppress_tokens;        // generation_config's list (non-speech symbols)
    std::vector<int32_t> begin_suppress_tokens;  // blank (" ") and eot at the first sampled step
};

inline constexpr float kTimePrecisionS = 0.02f;  // one timestamp step = 2 mel frames = 20 ms
inline constexpr int kMaxInitialTimestampIndex = 50;  // max_initial_timestamp 1.0 s / 0.02

// Language id of `code` ("en"), or -1 when the model has none of that name.
int32_t language_token(const WhisperTokens& t, const std::string& code);

// [sot, language, task] for multilingual models, [sot] for English-only ones (OpenAI: their
// tokenizer has neither); + <|notimestamps|> when without_timestamps. language_id -1: omitted.
std::vector<int32_t> sot_sequence(const WhisperTokens& t, int32_t language_id, Task task,
                                  bool without_timestamps);

// The tokens fed before sampling: [sot_prev, last (n_text_ctx/2 - 1) prompt tokens] when the
// prompt is not empty, then the SOT sequence. `sot_index` receives the SOT's position.
std::vector<int32_t> initial_tokens(const WhisperTokens& t, std::span<const int32_t> sot_seq,
                                    std::span<const int32_t> prompt, int n_text_ctx, int* sot_index);

// Sorted, unique: the config's suppress list plus transcribe, translate, sot, sot_prev, sot_lm
// and no_speech (which OpenAI always suppresses while sampling).
std::vector<int32_t> suppressed_tokens(const WhisperTokens& t);

// Sets logits[id] = -inf for each id (ids outside the span are ignored).
void suppress(std::span<float> logits, std::span<const int32_t> ids);

// OpenAI's ApplyTimestampRules for one sequence. `sampled`: the tokens sampled so far (after the
// initial tokens). Suppresses <|notimestamps|>; pairs timestamps (after a lone timestamp only
// timestamps or eot, after a pair no timestamp); forbids timestamps below the last one (and
// equal to it unless it closes a pair); at the first step only timestamps up to
// max_initial_index (-1: no cap); then, when the summed probability of all timestamps beats
// every single text token, masks the text tokens.
void apply_timestamp_rules(std::span<float> logits, std::span<const int32_t> sampled,
                           const WhisperTokens& t, int max_initial_index);

// log_softmax of logits into out (same size); -inf stays -inf. Computed in double, stored float.
void log_softmax(std::span<const float> logits, std::span<float> out);

}  // namespace atelier::infer::speech
