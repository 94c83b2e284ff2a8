// DeepSeek V4 test helpers (see v4-test-util.h).
#include "v4-test-util.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace atelier::infer::test {
namespace fs = std::filesystem;

fs::path tiny_dir() { return fs::path(ATELIER_BINARY_DIR) / "tiny-v4"; }
fs::path tiny_fp8() { return tiny_dir() / "tiny-v4-fp8"; }
fs::path tiny_bf16() { return tiny_dir() / "tiny-v4-bf16"; }
fs::path tiny_gguf() { return tiny_dir() / "tiny-v4.gguf"; }
fs::path goldens_dir() { return fs::path(ATELIER_TEST_DATA_DIR) / "inference" / "deepseek-v4" / "goldens"; }

std::shared_ptr<const CausalLm> load_lm(const fs::path& path, Numerics numerics) {
    auto model = load_model(path);
    EXPECT_TRUE(model.ok()) << path << ": " << (model.ok() ? "" : model.error().message())
                            << " (the v4.tiny_checkpoint fixture makes it; run ctest -L v4)";
    if (!model.ok()) return nullptr;
    auto lm = load_causal_lm(*model, {.numerics = numerics});
    EXPECT_TRUE(lm.ok()) << path << ": " << (lm.ok() ? "" : lm.error().message());
    return lm.ok() ? *lm : nullptr;
}

std::unique_ptr<LmState> new_state(const CausalLm& lm, int64_t n_ctx) {
    auto st = lm.new_state({.n_ctx = n_ctx, .n_threads = 2});
    EXPECT_TRUE(st.ok()) << (st.ok() ? "" : st.error().message());
    return st.ok() ? std::move(*st) : nullptr;
}

std::vector<float> feed(const CausalLm& lm, LmState& st, std::span<const int32_t> tokens, bool all) {
    const size_t V = static_cast<size_t>(lm.info().vocab_size);
    std::vector<float> out((all ? tokens.size() : 1) * V);
    Status s = lm.eval(st, tokens, out, {.logits_all = all});
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message());
    return out;
}

std::vector<int32_t> some_tokens(int64_t n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<int32_t> d(3, 496);
    std::vector<int32_t> v(static_cast<size_t>(n));
    for (auto& t : v) t = d(rng);
    return v;
}

double max_abs_diff(std::span<const float> a, std::span<const float> b) {
    double m = a.size() == b.size() ? 0.0 : INFINITY;
    for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) m = std::max(m, std::fabs(double(a[i]) - double(b[i])));
    return m;
}

double cosine(std::span<const float> a, std::span<const float> b) {
    double ab = 0, aa = 0, bb = 0;
    for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
        ab += double(a[i]) * b[i];
        aa += double(a[i]) * a[i];
        bb += double(b[i]) * b[i];
    }
    return a.size() == b.size() && aa > 0 && bb > 0 ? ab / std::sqrt(aa * bb) : 0.0;
}

int32_t argmax(std::span<const float> v) {
    size_t best = 0;
    for (size_t i = 1; i < v.size(); ++i)
        if (v[i] > v[best]) best = i;
    return static_cast<int32_t>(best);
}

}  // namespace atelier::infer::test
