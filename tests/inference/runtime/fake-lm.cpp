// The runtime tests' fake CausalLm (fake-lm.h).
#include "fake-lm.h"

#include <chrono>
#include <cmath>
#include <thread>

namespace atelier::infer::test {

FakeLm::FakeLm(int64_t vocab, LogitsFn fn, int32_t eos_id) : fn_(std::move(fn)) {
    info_.architecture = "fake";
    info_.vocab_size = vocab;
    info_.n_layers = 1;
    info_.max_context = 1 << 20;
    info_.eos_id = eos_id;
}

Result<std::unique_ptr<LmState>> FakeLm::new_state(const LmStateOptions& options) const {
    return std::unique_ptr<LmState>(std::make_unique<FakeState>(options.n_ctx));
}

Status FakeLm::eval(LmState& state, std::span<const int32_t> tokens, std::span<float> logits,
                    const EvalOptions& options) const {
    auto& st = static_cast<FakeState&>(state);
    const auto vocab = static_cast<size_t>(info_.vocab_size);
    const size_t rows = options.logits_all ? tokens.size() : 1;
    if (tokens.empty() || logits.size() != rows * vocab)
        return make_error(ErrorCode::InvalidArgument, "fake eval: no tokens or wrong logits size");
    for (int32_t t : tokens)
        if (t < 0 || t >= info_.vocab_size) return make_error(ErrorCode::InvalidArgument, "fake eval: bad token id");
    if (st.n_past() + static_cast<int64_t>(tokens.size()) > st.n_ctx())
        return make_error(ErrorCode::ContextFull, "fake eval: context full");
    {
        std::lock_guard lock(mutex_);
        calls_.emplace_back(tokens.begin(), tokens.end());
    }
    const int delay = delay_us_per_token.load();
    for (size_t i = 0; i < tokens.size() && delay > 0; ++i) {
        if (options.stop.stop_requested()) return make_error(ErrorCode::Cancelled, "fake eval: cancelled");
        std::this_thread::sleep_for(std::chrono::microseconds(delay));
    }
    if (options.stop.stop_requested()) return make_error(ErrorCode::Cancelled, "fake eval: cancelled");
    std::vector<int32_t> history = st.history;
    for (size_t i = 0; i < tokens.size(); ++i) {
        history.push_back(tokens[i]);
        if (options.logits_all || i + 1 == tokens.size())
            fn_(history, logits.subspan(options.logits_all ? i * vocab : 0, vocab));
    }
    st.advance(tokens);
    return ok_status();
}

std::vector<std::vector<int32_t>> FakeLm::calls() const {
    std::lock_guard lock(mutex_);
    return calls_;
}

void hashed_logits(std::span<const int32_t> history, std::span<float> logits) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < history.size(); ++i) {
        h ^= static_cast<uint64_t>(history[i]) + 0x9E3779B97F4A7C15ull * (i + 1);
        h *= 1099511628211ull;
    }
    for (size_t v = 0; v < logits.size(); ++v) {
        uint64_t x = h ^ (0xD1B54A32D192ED03ull * (v + 1));
        x ^= x >> 29;
        x *= 0xBF58476D1CE4E5B9ull;
        x ^= x >> 32;
        logits[v] = static_cast<float>(static_cast<double>(x >> 11) * 0x1.0p-53 * 8.0 - 4.0);
    }
}

LogitsFn scripted(size_t prompt_size, std::vector<int32_t> script, int32_t fallback) {
    return [prompt_size, script = std::move(script), fallback](std::span<const int32_t> history,
                                                               std::span<float> logits) {
        for (float& l : logits) l = 0.0f;
        const size_t step = history.size() - prompt_size;
        const int32_t want = step < script.size() ? script[step] : fallback;
        logits[static_cast<size_t>(want)] = 20.0f;
    };
}

}  // namespace atelier::infer::test
