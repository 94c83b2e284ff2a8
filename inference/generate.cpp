// The decoding runtime (generate.h): the Sampler (penalties -> top-k -> top-p -> min-p ->
// temperature -> draw, one RNG draw per sampled token, so a seed fixes the text), the stop-string
// hold-back shared with the chat reply parsers, and generate(): chunked prefill, decode, streaming.
// Thread-safety: a Sampler and a generate() call belong to the calling thread.
#include "inference/generate.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>

namespace atelier::infer {

namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

bool better(const std::pair<float, int32_t>& a, const std::pair<float, int32_t>& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
}

// The lowest id with the largest value; NaN counts as -inf. Two passes over blocks of 16 in
// vector registers (GCC/Clang vector types: SSE on the baseline build): the maximum (a comparison
// with NaN is false, so NaN never wins), then the first block holding it, then the id in it. The
// scalar compare-and-move chain took ~100 us for a 129K vocabulary, ~0.5 % of a decode step.
int32_t argmax_lowest(std::span<const float> logits) {
    typedef float V4 __attribute__((vector_size(16)));
    typedef int32_t M4 __attribute__((vector_size(16)));
    const size_t n = logits.size(), body = n - n % 16;
    const float* x = logits.data();
    auto load = [x](size_t i) {
        V4 v;
        std::memcpy(&v, x + i, sizeof v);
        return v;
    };
    V4 m[4];
    for (V4& v : m) v = V4{kNegInf, kNegInf, kNegInf, kNegInf};
    for (size_t i = 0; i < body; i += 16)
        for (int k = 0; k < 4; ++k) {
            const V4 a = load(i + 4 * static_cast<size_t>(k));
            m[k] = a > m[k] ? a : m[k];
        }
    float best_v = kNegInf;
    for (const V4& v : m)
        for (int l = 0; l < 4; ++l) best_v = v[l] > best_v ? v[l] : best_v;
    for (size_t i = body; i < n; ++i) best_v = x[i] > best_v ? x[i] : best_v;
    if (best_v == kNegInf) return 0;  // all -inf or NaN: id 0, as the first value would be kept
    const V4 b = {best_v, best_v, best_v, best_v};
    size_t from = body;  // the first block of 16 holding it, else the tail
    for (size_t i = 0; i < body; i += 16) {
        const M4 e = (load(i) == b) | (load(i + 4) == b) | (load(i + 8) == b) | (load(i + 12) == b);
        if (e[0] | e[1] | e[2] | e[3]) {
            from = i;
            break;
        }
    }
    for (size_t i = from; i < n; ++i)
        if (x[i] == best_v) return static_cast<int32_t>(i);
    return 0;
}

// Uniform in [0, 1) from the top 53 bits: the same on every standard library (the
// std::uniform_real_distribution algorithm is not specified).
double uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

double ms_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

bool is_continuation_byte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

}  // namespace

size_t stop_prefix_holdback(std::string_view text, std::span<const std::string> stops) {
    size_t longest = 0;
    for (const std::string& s : stops) {
        const size_t max_len = std::min(text.size(), s.empty() ? size_t{0} : s.size() - 1);
        for (size_t len = max_len; len > longest; --len) {
            const size_t start = text.size() - len;
            if (is_continuation_byte(text[start])) continue;
            if (text.compare(start, len, s, 0, len) == 0) {
                longest = len;
                break;
            }
        }
    }
    return longest;
}

// ---------------------------------------------------------------------------------------------
// Sampler

Sampler::Sampler(const SamplingParams& params) : params_(params), rng_(params.seed) {}

void Sampler::accept(int32_t token) {
    if (params_.penalty_last_n <= 0) return;
    recent_.push_back(token);
    const size_t cap = static_cast<size_t>(params_.penalty_last_n);
    if (recent_.size() > 2 * cap) recent_.erase(recent_.begin(), recent_.end() - static_cast<ptrdiff_t>(cap));
}

void Sampler::apply_penalties(std::span<float> logits) const {
    const bool any = params_.repeat_penalty != 1.0f || params_.presence_penalty != 0.0f ||
                     params_.frequency_penalty != 0.0f;
    if (!any || recent_.empty() || params_.penalty_last_n <= 0) return;
    const size_t n = std::min(recent_.size(), static_cast<size_t>(params_.penalty_last_n));
    std::vector<int32_t> window(recent_.end() - static_cast<ptrdiff_t>(n), recent_.end());
    std::sort(window.begin(), window.end());
    for (size_t i = 0; i < window.size();) {
        size_t j = i;
        while (j < window.size() && window[j] == window[i]) ++j;
        const int32_t id = window[i];
        const auto count = static_cast<float>(j - i);
        i = j;
        if (id < 0 || static_cast<size_t>(id) >= logits.size()) continue;
        float& l = logits[static_cast<size_t>(id)];
        if (params_.repeat_penalty != 1.0f) l = l > 0.0f ? l / params_.repeat_penalty : l * params_.repeat_penalty;
        l -= count * params_.frequency_penalty + params_.presence_penalty;
    }
}

void Sampler::filter_candidates(std::span<const float> logits) {
    candidates_.clear();
    for (size_t i = 0; i < logits.size(); ++i)
        if (std::isfinite(logits[i])) candidates_.emplace_back(logits[i], static_cast<int32_t>(i));
    if (candidates_.empty()) return;
    size_t sorted = 0;  // candidates_[0, sorted) is in `better` order and precedes the rest
    if (params_.top_k > 0 && static_cast<size_t>(params_.top_k) < candidates_.size()) {
        const auto k = static_cast<ptrdiff_t>(params_.top_k);
        std::partial_sort(candidates_.begin(), candidates_.begin() + k, candidates_.end(), better);
        candidates_.resize(static_cast<size_t>(k));
        sorted = candidates_.size();
    }
    const float max_l = std::max_element(candidates_.begin(), candidates_.end())->first;
    if (params_.top_p < 1.0f) {
        double total = 0;
        for (const auto& c : candidates_) total += std::exp(static_cast<double>(c.first - max_l));
        const double target = static_cast<double>(params_.top_p) * total;
        size_t keep = 0, scanned = 0;
        double cum = 0;
        while (keep == 0) {
            if (scanned == sorted) {
                // Sort a growing prefix: nucleus sets are usually small against a 100k+ vocabulary.
                const size_t want = std::min(candidates_.size(), std::max<size_t>(64, sorted * 4));
                std::partial_sort(candidates_.begin() + static_cast<ptrdiff_t>(sorted),
                                  candidates_.begin() + static_cast<ptrdiff_t>(want), candidates_.end(), better);
                sorted = want;
            }
            for (; scanned < sorted && keep == 0; ++scanned) {
                cum += std::exp(static_cast<double>(candidates_[scanned].first - max_l));
                if (cum >= target) keep = scanned + 1;
            }
            if (keep == 0 && scanned == candidates_.size()) keep = scanned;  // rounding: keep all
        }
        candidates_.resize(keep);
    }
    if (params_.min_p > 0.0f) {
        // p_i >= min_p * p_max  <=>  l_i >= l_max + log(min_p), independent of normalisation.
        const float floor_l = max_l + std::log(params_.min_p);
        std::erase_if(candidates_, [&](const auto& c) { return c.first < floor_l; });
    }
    for (auto& c : candidates_) c.first /= params_.temperature;
}

std::vector<TokenProb> Sampler::distribution(std::span<float> logits) {
    std::vector<TokenProb> out;
    if (logits.empty()) return out;
    apply_penalties(logits);
    if (params_.temperature <= 0.0f) {
        out.push_back({argmax_lowest(logits), 1.0f});
        return out;
    }
    filter_candidates(logits);
    if (candidates_.empty()) {
        out.push_back({argmax_lowest(logits), 1.0f});
        return out;
    }
    float max_l = kNegInf;
    for (const auto& c : candidates_) max_l = std::max(max_l, c.first);
    double total = 0;
    for (const auto& c : candidates_) total += std::exp(static_cast<double>(c.first - max_l));
    out.reserve(candidates_.size());
    for (const auto& c : candidates_)
        out.push_back({c.second, static_cast<float>(std::exp(static_cast<double>(c.first - max_l)) / total)});
    std::sort(out.begin(), out.end(), [](const TokenProb& a, const TokenProb& b) { return a.id < b.id; });
    return out;
}

int32_t Sampler::sample(std::span<float> logits) {
    if (logits.empty()) return 0;
    apply_penalties(logits);
    if (params_.temperature <= 0.0f) return argmax_lowest(logits);
    filter_candidates(logits);
    if (candidates_.empty()) return argmax_lowest(logits);
    if (candidates_.size() == 1) {
        (void)rng_();  // one draw per sampled token, whatever the support
        return candidates_[0].second;
    }
    // Draw in id order so the result does not depend on how the filters left the order.
    std::sort(candidates_.begin(), candidates_.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
    float max_l = kNegInf;
    for (const auto& c : candidates_) max_l = std::max(max_l, c.first);
    double total = 0;
    for (auto& c : candidates_) {
        c.first = static_cast<float>(std::exp(static_cast<double>(c.first - max_l)));
        total += c.first;
    }
    const double u = uniform01(rng_) * total;
    double cum = 0;
    for (const auto& c : candidates_) {
        cum += c.first;
        if (u < cum) return c.second;
    }
    return candidates_.back().second;
}

const char* stop_reason_name(StopReason r) {
    switch (r) {
        case StopReason::Eos: return "eos";
        case StopReason::StopString: return "stop_string";
        case StopReason::MaxTokens: return "max_tokens";
        case StopReason::Cancelled: return "cancelled";
        case StopReason::ContextFull: return "context_full";
        case StopReason::Invalid: break;
    }
    return "invalid";
}

double GenerateTimings::prefill_tokens_per_s() const {
    return prefill_ms > 0 ? static_cast<double>(prefill_tokens) * 1000.0 / prefill_ms : 0.0;
}

double GenerateTimings::decode_tokens_per_s() const {
    return decode_ms > 0 ? static_cast<double>(decode_tokens) * 1000.0 / decode_ms : 0.0;
}

// ---------------------------------------------------------------------------------------------
// generate()

namespace {

// Decoded text on its way out: complete UTF-8 only, with possible stop-string prefixes held back.
class TextStream {
public:
    TextStream(const Tokenizer& tokenizer, const GenerateRequest& request, GenerateResult& result)
        // Non-owning: the tokenizer outlives this call.
        : decoder_(std::shared_ptr<const Tokenizer>(std::shared_ptr<const Tokenizer>{}, &tokenizer)),
          request_(request), result_(result) {}

    // Adds the token's text; returns true when a stop string completed (the text is cut there).
    bool push(int32_t token) {
        held_ += decoder_.push(token);
        size_t match = std::string::npos;
        for (const std::string& s : request_.stop_strings) {
            if (s.empty()) continue;
            const size_t pos = held_.find(s);
            if (pos < match) match = pos;
        }
        if (match != std::string::npos) {
            emit(token, held_.substr(0, match));
            held_.clear();
            return true;
        }
        const size_t keep = stop_prefix_holdback(held_, request_.stop_strings);
        emit(token, held_.substr(0, held_.size() - keep));
        held_.erase(0, held_.size() - keep);
        return false;
    }

    // End of generation without a stop string: whatever was held back is final.
    void flush() {
        held_ += decoder_.finish();
        if (!held_.empty()) emit(-1, held_);
        held_.clear();
    }

private:
    void emit(int32_t token, const std::string& text) {
        result_.text += text;
        if (request_.on_token) request_.on_token(token, text);
    }

    StreamDecoder decoder_;
    const GenerateRequest& request_;
    GenerateResult& result_;
    std::string held_;
};

// Maps an eval() failure to a stop reason (true) or leaves it an error (false).
bool stop_reason_for(const Error& e, StopReason& reason) {
    if (e.code == ErrorCode::Cancelled) reason = StopReason::Cancelled;
    else if (e.code == ErrorCode::ContextFull) reason = StopReason::ContextFull;
    else return false;
    return true;
}

Status check_request(const CausalLm& lm, const GenerateRequest& request) {
    if (request.prompt.empty())
        return make_error(ErrorCode::InvalidArgument, "generate: the prompt is empty",
                          "give at least one prompt token (BOS, or the chat template's tokens)");
    if (lm.info().vocab_size <= 0)
        return make_error(ErrorCode::InvalidArgument, "generate: the model reports no vocabulary",
                          "load the model with load_causal_lm");
    if (request.prefill_chunk <= 0 || request.max_tokens < 0)
        return make_error(ErrorCode::InvalidArgument,
                          "generate: prefill_chunk must be positive and max_tokens not negative",
                          "use e.g. prefill_chunk 256, max_tokens 256");
    return ok_status();
}

// Feeds the prompt in chunks. Returns a stop reason (Cancelled / ContextFull) or Invalid to go on.
Result<StopReason> prefill(const CausalLm& lm, LmState& state, const GenerateRequest& request,
                           std::span<float> logits) {
    const auto& prompt = request.prompt;
    const auto total = static_cast<int64_t>(prompt.size());
    if (state.n_past() + total > state.n_ctx()) return StopReason::ContextFull;
    EvalOptions opts;
    opts.stop = request.stop;
    for (int64_t done = 0; done < total;) {
        if (request.stop.stop_requested()) return StopReason::Cancelled;
        const int64_t n = std::min<int64_t>(request.prefill_chunk, total - done);
        const Status st = lm.eval(state, std::span(prompt).subspan(static_cast<size_t>(done), static_cast<size_t>(n)),
                                  logits, opts);
        if (!st.ok()) {
            StopReason reason = StopReason::Invalid;
            if (stop_reason_for(st.error(), reason)) return reason;
            return st.error();
        }
        done += n;
        if (request.on_prefill) request.on_prefill(done, total);
    }
    return StopReason::Invalid;
}

}  // namespace

Result<GenerateResult> generate(const CausalLm& lm, LmState& state, const Tokenizer& tokenizer,
                                const GenerateRequest& request) {
    ATELIER_TRY(check_request(lm, request));
    GenerateResult result;
    const auto vocab = static_cast<size_t>(lm.info().vocab_size);
    std::vector<float> logits(vocab), scratch(vocab);
    Sampler sampler(request.sampling);
    for (int32_t t : request.prompt) sampler.accept(t);
    std::vector<int32_t> stop_ids = request.stop_tokens;
    if (!request.ignore_eos) {
        if (lm.info().eos_id >= 0) stop_ids.push_back(lm.info().eos_id);
        if (tokenizer.eos_id() >= 0) stop_ids.push_back(tokenizer.eos_id());
    }

    auto t0 = std::chrono::steady_clock::now();
    ATELIER_TRY_ASSIGN(StopReason reason, prefill(lm, state, request, logits));
    result.timings.prefill_tokens = reason == StopReason::Invalid ? static_cast<int64_t>(request.prompt.size()) : 0;
    result.timings.prefill_ms = ms_since(t0);
    if (reason != StopReason::Invalid) {
        result.reason = reason;
        return result;
    }
    if (request.on_logits) request.on_logits(0, logits);

    t0 = std::chrono::steady_clock::now();
    TextStream text(tokenizer, request, result);
    EvalOptions opts;
    opts.stop = request.stop;
    while (reason == StopReason::Invalid) {
        if (request.stop.stop_requested()) {
            reason = StopReason::Cancelled;
            break;
        }
        if (static_cast<int32_t>(result.tokens.size()) >= request.max_tokens) {
            reason = StopReason::MaxTokens;
            break;
        }
        std::copy(logits.begin(), logits.end(), scratch.begin());
        const int32_t token = sampler.sample(scratch);
        if (std::find(stop_ids.begin(), stop_ids.end(), token) != stop_ids.end()) {
            reason = StopReason::Eos;
            break;
        }
        sampler.accept(token);
        result.tokens.push_back(token);
        if (text.push(token)) reason = StopReason::StopString;
        else if (static_cast<int32_t>(result.tokens.size()) >= request.max_tokens) reason = StopReason::MaxTokens;
        // The final token is fed only when someone wants its logits row.
        if (reason != StopReason::Invalid && !request.on_logits) break;
        const Status st = lm.eval(state, std::span(&token, 1), logits, opts);
        if (!st.ok()) {
            StopReason why = StopReason::Invalid;
            if (!stop_reason_for(st.error(), why)) return st.error();
            if (reason == StopReason::Invalid || why == StopReason::Cancelled) reason = why;
            break;
        }
        ++result.timings.decode_tokens;
        if (request.on_logits) request.on_logits(static_cast<int64_t>(result.tokens.size()), logits);
    }
    if (reason != StopReason::StopString) text.flush();
    result.reason = reason;
    result.timings.decode_ms = ms_since(t0);
    return result;
}

}  // namespace atelier::infer
