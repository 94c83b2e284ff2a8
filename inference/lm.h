// CausalLm: the interface every text-generating architecture implements (DeepSeek V4 first;
// dense decoders later), and LmState, one sequence's caches. The decoding runtime
// (inference/generate.h), the CLI and the chat pipeline only see this interface.
// Thread-safety: a CausalLm is immutable after load and may be shared; an LmState is used by one
// thread at a time (it owns its Session: thread pool, scratch arena).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <stop_token>
#include <string>

#include "core/result.h"
#include "inference/model.h"

namespace atelier::infer {

// How the forward pass computes (deepseek-v4.md §3.12).
enum class Numerics : uint8_t {
    Invalid = 0,
    Released,  // what the released model computes: its FP8/FP4 activation and cache quantisation steps
    Exact,     // fp32 math with those steps off; for verification against references
};
const char* numerics_name(Numerics n);  // "released", "exact"
Result<Numerics> parse_numerics(std::string_view s);

struct LmInfo {
    std::string architecture;        // "deepseek_v4"
    int64_t vocab_size = 0;
    int64_t n_layers = 0;
    int64_t max_context = 0;         // the model's own limit (max_position_embeddings)
    int32_t bos_id = -1;             // from the config; -1 when unknown
    int32_t eos_id = -1;
    // Cache memory of one sequence, as this implementation stores it (memory plan input).
    uint64_t cache_bytes_per_token = 0;  // grows with context (compressed entries, indexer keys)
    uint64_t cache_bytes_fixed = 0;      // independent of context (window rings, compressor state)
    uint64_t active_weight_bytes_per_token = 0;  // weights one decode step reads (bandwidth bound)
    uint64_t repacked_weight_bytes = 0;  // weights regrouped at load for the CPU kernels (Q4_K_R16)
};

struct LmStateOptions {
    int64_t n_ctx = 4096;   // positions this state can hold; eval() beyond it fails with ContextFull
    int n_threads = 0;      // 0: all logical cores
};

// One sequence's caches and the Session it runs on. Created by CausalLm::new_state.
class LmState {
public:
    virtual ~LmState() = default;
    int64_t n_past() const { return n_past_; }  // tokens already fed
    int64_t n_ctx() const { return n_ctx_; }
    // Forget everything (n_past = 0); compressor state restarts from kv = 0, score = -inf.
    virtual void reset() = 0;
    virtual uint64_t cache_bytes() const = 0;  // memory this state holds now

protected:
    int64_t n_past_ = 0;
    int64_t n_ctx_ = 0;
};

struct EvalOptions {
    std::stop_token stop{};  // checked between layers; a requested stop returns Cancelled and
                             // leaves the state as it was before the call
    // true: logits for every fed token ([n_tokens][vocab]); false: for the last one only.
    bool logits_all = false;
    // Test/debug hook: after each layer, the residual streams of the fed tokens, laid out
    // [n_tokens][hc_mult][hidden] f32 (hc_mult = 1 for single-stream architectures).
    std::function<void(int layer, std::span<const float> streams)> on_layer{};
};

class CausalLm {
public:
    virtual ~CausalLm() = default;
    virtual const LmInfo& info() const = 0;
    virtual Numerics numerics() const = 0;
    virtual Result<std::unique_ptr<LmState>> new_state(const LmStateOptions& options) const = 0;
    // Feeds `tokens` at positions n_past.. n_past+n-1 and advances n_past. `logits` receives
    // vocab_size floats (or n·vocab_size with logits_all). Any number of tokens per call: the
    // implementation may split them internally; callers chunk prefill to make cancel responsive.
    // Errors: InvalidArgument (bad id, wrong logits size), ContextFull, Cancelled, OutOfMemory.
    virtual Status eval(LmState& state, std::span<const int32_t> tokens, std::span<float> logits,
                        const EvalOptions& options = {}) const = 0;
    // The model this was built from (files, hashes, tokenizer sources).
    virtual const std::shared_ptr<const Model>& model() const = 0;
};

struct LmLoadOptions {
    Numerics numerics = Numerics::Released;
};

// Picks the architecture from the model (config.json model_type / GGUF general.architecture)
// and binds its tensors. ModelUnsupported names the architecture when none matches;
// ModelFormat names the tensor or config field when the weights do not fit the config.
Result<std::shared_ptr<const CausalLm>> load_causal_lm(std::shared_ptr<const Model> model,
                                                       const LmLoadOptions& options = {});

}  // namespace atelier::infer
