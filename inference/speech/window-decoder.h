// Decoding of one 30 s window, as OpenAI's DecodingTask does it: the initial tokens, no-speech
// probability at the SOT position, the logit filters (blank and token suppression, timestamp
// rules), greedy / sampled (best-of) or beam search with patience, ranking by length-normalised
// log-probability; and the temperature fallback around it; and language detection.
// Thread-safety: one WindowContext (its Session) per thread; the model is shared read-only.
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <stop_token>
#include <string>
#include <vector>

#include "core/result.h"
#include "inference/arch/whisper/whisper.h"
#include "inference/session.h"
#include "inference/speech/token-rules.h"

namespace atelier::infer::speech {

// The ids the rules need, from the model's config. Errors: ModelFormat when a special id is
// missing or outside the vocabulary (a config that is not Whisper's).
Result<WhisperTokens> whisper_tokens(const whisper::WhisperModel& model);

struct WindowContext {
    const whisper::WhisperModel* model = nullptr;
    const WhisperTokens* tokens = nullptr;
    Session* session = nullptr;
    std::stop_token stop{};
    std::mt19937_64* rng = nullptr;  // sampling at temperature > 0
};

struct WindowOptions {
    float temperature = 0.0f;
    int beam_size = 1;       // at temperature 0; 1 = greedy
    int best_of = 1;         // at temperature > 0
    float patience = 1.0f;
    float length_penalty = -1.0f;  // < 0: divide by length
    int32_t language_id = -1;
    Task task = Task::Transcribe;
    bool without_timestamps = false;
    std::vector<int32_t> prompt;  // previous text tokens (sot_prev prefix when not empty)
    int sample_len = 0;           // 0: n_text_ctx / 2
};

struct WindowResult {
    std::vector<int32_t> tokens;  // sampled tokens, without the final eot
    std::string text;             // decoded text tokens, stripped
    double sum_logprob = 0;
    float avg_logprob = 0, no_speech_prob = 0, temperature = 0, compression_ratio = 0;
};

Result<WindowResult> decode_window(const WindowContext& ctx, const std::shared_ptr<const whisper::EncoderOutput>& enc,
                                   const WindowOptions& options);

struct FallbackOptions {
    std::vector<float> temperatures{0.0f};
    float compression_ratio_threshold = 2.4f;  // <= 0: off
    float logprob_threshold = -1.0f;           // <= -1e9: off
    float no_speech_threshold = 0.6f;          // <= 0: off
};

// OpenAI's decode_with_fallback: tries each temperature until the result is neither too
// repetitive nor too improbable (unless it is silence). Beam search only at temperature 0,
// best-of only above it.
Result<WindowResult> decode_with_fallback(const WindowContext& ctx, const std::shared_ptr<const whisper::EncoderOutput>& enc,
                                          WindowOptions options, const FallbackOptions& fallback);

struct LanguageGuess {
    std::string code;
    int32_t id = -1;
    float probability = 0;
};

// Softmax over the language tokens of the logits after [sot]. Errors: ModelUnsupported for an
// English-only model.
Result<LanguageGuess> detect_language(const WindowContext& ctx, const std::shared_ptr<const whisper::EncoderOutput>& enc);

// Text of tokens: timestamps and specials dropped, decoded through the model's tokenizer.
std::string tokens_text(const Tokenizer& tok, const WhisperTokens& t, std::span<const int32_t> tokens);

}  // namespace atelier::infer::speech
