// Memory plan: before any tensor data is read, estimate what a model needs (weights, the caches
// at the requested context, scratch) and compare it with the machine's RAM, giving a verdict in
// plain words: fits; fits with routed experts streamed from disk (they stay mapped and come in
// through the page cache); or does not fit, with what to change.
// Works from a ModelSummary, which Model::summary() builds from the file headers alone.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "inference/cpu-features.h"
#include "inference/dtype.h"

namespace atelier::infer {

// Rough sustained read rate assumed for streaming experts from disk when the caller does not pass
// a measured one: a mid-range NVMe SSD doing multi-MB reads (~3 GB/s). It is an assumption, not a
// measurement; the speed note says so.
inline constexpr uint64_t kAssumedDiskBytesPerSecond = 3'000'000'000ull;

// Routed-expert weights (may stay on disk): GGUF "blk.N.ffn_{up,gate,down}_exps.weight" and HF
// "model.layers.N.mlp.experts.M.*" (".experts." but not shared experts).
bool is_routed_expert_tensor(std::string_view name);

struct ModelSummary {
    std::string architecture;
    int64_t n_tensors = 0;
    int64_t n_params = 0;
    uint64_t weight_bytes = 0;         // all tensor bytes
    uint64_t expert_bytes = 0;         // routed-expert tensor bytes (subset of weight_bytes)
    // Hyperparameters from GGUF metadata or config.json; 0 when the file does not say.
    int64_t n_layer = 0, n_embd = 0, n_head = 0, n_head_kv = 0;
    int64_t n_embd_head_k = 0, n_embd_head_v = 0;  // per-head key/value widths
    int64_t kv_lora_rank = 0, n_rot = 0;           // MLA (DeepSeek): the cache holds the latent + rope part
    int64_t n_expert = 0, n_expert_used = 0;
    int64_t n_vocab = 0, n_ctx_train = 0;
};

struct PlanRequest {
    int64_t n_ctx = 4096;
    int n_threads = 0;                  // 0: all logical cores
    int64_t n_batch = 512;              // prefill chunk, for the scratch estimate
    uint64_t cache_bytes_per_token = 0; // from the architecture when known; 0: generic estimate
    uint64_t cache_bytes_fixed = 0;     // per sequence, independent of context (LmInfo; e.g. V4's window rings)
    uint64_t disk_bytes_per_s = 0;      // measured disk read rate; 0: kAssumedDiskBytesPerSecond
};

enum class PlanVerdict { Invalid = 0, Fits, FitsStreamingExperts, DoesNotFit };
const char* plan_verdict_name(PlanVerdict v);  // "fits", "fits_streaming_experts", "does_not_fit"

struct MemoryPlan {
    uint64_t weight_bytes = 0;
    uint64_t resident_weight_bytes = 0;    // must stay in RAM (everything but routed experts)
    uint64_t streamable_weight_bytes = 0;  // routed experts: may stream from disk
    uint64_t cache_bytes_per_token = 0;
    bool cache_estimated = false;          // generic estimate (no architecture figure given)
    uint64_t cache_bytes_fixed = 0;        // part of cache_bytes independent of n_ctx
    uint64_t cache_bytes = 0;              // at n_ctx (per token x n_ctx + fixed)
    uint64_t scratch_bytes = 0;
    uint64_t needed_bytes = 0;             // weights + cache + scratch
    uint64_t budget_bytes = 0;             // RAM the plan may use (available RAM less a margin)
    uint64_t total_ram_bytes = 0;
    int64_t n_ctx = 0;
    PlanVerdict verdict = PlanVerdict::Invalid;
    std::string sentence;                  // plain words: the verdict and why
    std::vector<std::string> suggestions;  // what to change (DoesNotFit, or tight fits)
    std::string speed_note;                // streaming: "expect roughly N tok/s ..."
    double est_tokens_per_s = 0.0;         // 0 when not estimated
};

MemoryPlan plan_memory(const ModelSummary& model, const PlanRequest& request, const SystemInfo& system);

}  // namespace atelier::infer
