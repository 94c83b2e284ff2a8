// A deterministic stand-in for a CausalLm in the runtime tests: its logits are a known function of
// the whole history fed so far (given by the test), it validates ids and the context length like a
// real architecture (ContextFull), records every eval() call, and can be slowed down per token,
// checking the stop token between tokens (a requested stop returns Cancelled, state unchanged).
// Thread-safety: as CausalLm (immutable apart from the call log, which the test reads after).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "inference/lm.h"

namespace atelier::infer::test {

using LogitsFn = std::function<void(std::span<const int32_t> history, std::span<float> logits)>;

class FakeState : public LmState {
public:
    explicit FakeState(int64_t n_ctx) { n_ctx_ = n_ctx; }
    void reset() override {
        history.clear();
        n_past_ = 0;
    }
    uint64_t cache_bytes() const override { return history.size() * sizeof(int32_t); }
    std::vector<int32_t> history;
    void advance(std::span<const int32_t> tokens) {
        history.insert(history.end(), tokens.begin(), tokens.end());
        n_past_ = static_cast<int64_t>(history.size());
    }
};

class FakeLm : public CausalLm {
public:
    FakeLm(int64_t vocab, LogitsFn fn, int32_t eos_id = -1);
    const LmInfo& info() const override { return info_; }
    Numerics numerics() const override { return Numerics::Exact; }
    Result<std::unique_ptr<LmState>> new_state(const LmStateOptions& options) const override;
    Status eval(LmState& state, std::span<const int32_t> tokens, std::span<float> logits,
                const EvalOptions& options = {}) const override;
    const std::shared_ptr<const Model>& model() const override { return model_; }

    std::atomic<int> delay_us_per_token{0};  // slows eval() down; the stop token is checked per token
    // Every eval() call's tokens, in order.
    std::vector<std::vector<int32_t>> calls() const;

private:
    LmInfo info_;
    LogitsFn fn_;
    std::shared_ptr<const Model> model_;
    mutable std::mutex mutex_;
    mutable std::vector<std::vector<int32_t>> calls_;
};

// A smooth, irregular, deterministic function of the history: logit[v] depends on every token
// fed, their positions and v (no two histories alike in practice).
void hashed_logits(std::span<const int32_t> history, std::span<float> logits);

// Logits that make `script[k]` the clear argmax at generation step k (k = history size - prompt
// size), and `fallback` after the script ends.
LogitsFn scripted(size_t prompt_size, std::vector<int32_t> script, int32_t fallback);

}  // namespace atelier::infer::test
