// Helpers for the DeepSeek V4 tests: where the tiny checkpoint is (made by the v4.tiny_checkpoint
// ctest fixture from tools/deepseek-v4/make-tiny-v4.py), loading it as a CausalLm, feeding tokens,
// and the comparison measures the tolerances are stated in.
// Thread-safety: test code, main thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "inference/lm.h"

namespace atelier::infer::test {

std::filesystem::path tiny_dir();     // <build>/tiny-v4
std::filesystem::path tiny_fp8();     // the official HF layout
std::filesystem::path tiny_bf16();    // bf16 copy, reference short-name config
std::filesystem::path tiny_gguf();    // GGUF deepseek4
std::filesystem::path goldens_dir();  // tests/inference/deepseek-v4/goldens

// Loads a model and its CausalLm; fails the test (and returns null) on error.
std::shared_ptr<const CausalLm> load_lm(const std::filesystem::path& path, Numerics numerics);
std::unique_ptr<LmState> new_state(const CausalLm& lm, int64_t n_ctx = 1024);

// Feeds tokens in one eval; returns vocab floats per token (logits_all) or for the last one.
std::vector<float> feed(const CausalLm& lm, LmState& st, std::span<const int32_t> tokens, bool all);

// Deterministic ids in [3, 497) (plain BPE ids of the tiny tokenizer, no specials), from a seed.
std::vector<int32_t> some_tokens(int64_t n, uint64_t seed);

double max_abs_diff(std::span<const float> a, std::span<const float> b);
double cosine(std::span<const float> a, std::span<const float> b);
int32_t argmax(std::span<const float> v);  // ties: the lower id

// Heap allocations (global operator new) between start and stop, on any thread. Only binaries
// that link alloc-count.cpp have these (it replaces operator new).
void alloc_count_start();
long alloc_count_stop();

}  // namespace atelier::infer::test
