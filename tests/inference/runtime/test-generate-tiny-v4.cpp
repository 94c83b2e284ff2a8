// generate() on the real DeepSeek V4 architecture (the tiny random checkpoint, made at test time
// by the ctest fixture cli_tiny_v4): a stop requested in the middle of a long prefill (default
// chunks; eval also checks it between layers) returns within 200 ms (the timed
// requirement), keeps whole chunks only, and the state then continues like one fed the same.
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "inference/chat/model-tokenizer.h"
#include "inference/generate.h"

namespace atelier::infer {
namespace {

struct Tiny {
    std::shared_ptr<const Model> model;
    std::shared_ptr<const CausalLm> lm;
    std::shared_ptr<const Tokenizer> tok;
};

Tiny load_tiny() {
    Tiny t;
    auto m = load_model(std::string(ATELIER_TINY_V4_DIR) + "/tiny-v4-fp8");
    EXPECT_TRUE(m.ok()) << m.error().message();
    if (!m.ok()) return t;
    t.model = *m;
    auto lm = load_causal_lm(t.model);
    EXPECT_TRUE(lm.ok()) << lm.error().message();
    if (lm.ok()) t.lm = *lm;
    auto tok = tokenizer_for_model(*t.model);
    EXPECT_TRUE(tok.ok()) << tok.error().message();
    if (tok.ok()) t.tok = *tok;
    return t;
}

std::vector<int32_t> greedy(const Tiny& t, LmState& state, const std::vector<int32_t>& prompt) {
    GenerateRequest req{.prompt = prompt, .max_tokens = 8};
    req.sampling.temperature = 0.0f;
    req.ignore_eos = true;
    auto r = generate(*t.lm, state, *t.tok, req);
    EXPECT_TRUE(r.ok()) << r.error().message();
    return r.ok() ? r->tokens : std::vector<int32_t>{};
}

TEST(GenerateTinyV4, StopDuringALongPrefillReturnsWithin200ms) {
    const Tiny t = load_tiny();
    ASSERT_TRUE(t.lm && t.tok);
    auto state = t.lm->new_state({.n_ctx = 4096});
    ASSERT_TRUE(state.ok());
    std::vector<int32_t> prompt{0};
    for (int i = 0; i < 3000; ++i) prompt.push_back(3 + (i * 37) % 490);
    std::stop_source source;
    GenerateRequest req{.prompt = prompt, .max_tokens = 4};
    req.stop = source.get_token();
    std::chrono::steady_clock::time_point requested{};
    std::thread canceller([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        requested = std::chrono::steady_clock::now();
        source.request_stop();
    });
    auto r = generate(*t.lm, **state, *t.tok, req);
    const auto returned = std::chrono::steady_clock::now();
    canceller.join();
    ASSERT_TRUE(r.ok()) << r.error().message();
    ASSERT_EQ(r->reason, StopReason::Cancelled) << "the prefill finished before the stop (machine too fast?)";
    const double latency_ms = std::chrono::duration<double, std::milli>(returned - requested).count();
    EXPECT_LE(latency_ms, 200.0);
    // Whole chunks only: the cancelled eval left the state as it was before it.
    const int64_t kept = (*state)->n_past();
    EXPECT_EQ(kept % req.prefill_chunk, 0);
    EXPECT_LT(kept, static_cast<int64_t>(prompt.size()));
    // It continues like a state fed exactly those tokens.
    const std::vector<int32_t> more{40, 41, 42, 43};
    auto fresh = t.lm->new_state({.n_ctx = 4096});
    ASSERT_TRUE(fresh.ok());
    std::vector<int32_t> same(prompt.begin(), prompt.begin() + kept);
    same.insert(same.end(), more.begin(), more.end());
    EXPECT_EQ(greedy(t, **state, more), greedy(t, **fresh, same));
}

}  // namespace
}  // namespace atelier::infer
