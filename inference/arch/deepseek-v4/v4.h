// DeepSeek V4 (deepseek_v4 / GGUF deepseek4): the internal contract between the parts of the
// architecture: hyperparameters, bound weights per layer, per-sequence caches, and the forward
// functions of each sublayer (deepseek-v4.md §3.1-3.7). Only v4-model.cpp is seen from outside,
// through load_causal_lm (inference/lm.h).
// Thread-safety: Config and Weights are immutable after load; a V4State belongs to one thread.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/result.h"
#include "inference/backend.h"
#include "inference/lm.h"
#include "inference/model.h"
#include "inference/session.h"
#include "inference/tensor.h"

namespace atelier::infer::v4 {

// ---- hyperparameters (models/deepseek-v4.md §2.1; HF names, short names, or GGUF keys) ----
struct Config {
    int64_t vocab_size = 0;
    int64_t dim = 0;                 // hidden_size / dim
    int64_t n_layers = 0;            // num_hidden_layers / n_layers (MTP layers not counted)
    int64_t n_mtp_layers = 0;        // num_nextn_predict_layers (loaded, not run)
    int64_t n_heads = 0;             // num_attention_heads / n_heads
    int64_t head_dim = 512;          // K = V width
    int64_t rope_dim = 64;           // qk_rope_head_dim / rope_head_dim: the last rope_dim dims
    int64_t q_lora_rank = 0;
    int64_t o_lora_rank = 0;
    int64_t o_groups = 0;
    int64_t window = 128;            // sliding_window / window_size
    std::vector<int64_t> compress_ratios;  // per layer (n_layers entries used): 0, 4 or 128
    int64_t index_n_heads = 0;
    int64_t index_head_dim = 128;
    int64_t index_topk = 0;
    int64_t n_routed_experts = 0;
    int64_t n_shared_experts = 1;
    int64_t n_active_experts = 0;    // num_experts_per_tok / n_activated_experts
    int64_t moe_inter_dim = 0;       // moe_intermediate_size / moe_inter_dim
    int64_t n_hash_layers = 0;       // num_hash_layers / n_hash_layers
    float route_scale = 1.0f;        // routed_scaling_factor / route_scale
    float swiglu_limit = 0.0f;       // 0: no clamp
    int64_t hc_mult = 4;
    int64_t hc_sinkhorn_iters = 20;
    float hc_eps = 1e-6f;
    float norm_eps = 1e-6f;          // rms_norm_eps
    float rope_theta = 10000.0f;
    float compress_rope_theta = 160000.0f;
    float yarn_factor = 1.0f;        // rope_scaling.factor / rope_factor (1: none)
    int64_t yarn_original_ctx = 0;   // original_max_position_embeddings / original_seq_len
    float yarn_beta_fast = 32.0f;
    float yarn_beta_slow = 1.0f;
    int64_t max_position = 0;        // max_position_embeddings
    int32_t bos_id = 0;
    int32_t eos_id = 1;
    int fp8_block = 128;             // quantization_config.weight_block_size (dense FP8 scales)
};

// From config.json (either naming scheme, or "text_config") or GGUF deepseek4.* metadata.
// Errors: ModelFormat naming the missing or contradictory field.
Result<Config> load_config(const Model& model);

// ---- weights -------------------------------------------------------------------------------
// A linear map y = W·x. w is [in, out] in engine order (ne[0] = in). scale: the UE8M0 block
// scales of an F8_E4M3 (scale_block x scale_block) or FP4_E2M1 (32 x 1) weight, else null.
struct Linear {
    const Tensor* w = nullptr;
    const Tensor* scale = nullptr;
    int64_t scale_block_k = 0;
    int64_t scale_block_n = 0;
    // Released numerics: the reference quantises this product's activations to FP8 (per 128
    // along K) because the released weight is FP8/FP4 (deepseek-v4.md §3.12.3; not wo_a).
    bool act_fp8 = false;
    int64_t in() const { return w ? w->ne[0] : 0; }
    int64_t out() const { return w ? w->ne[1] : 0; }
};

struct Compressor {            // §3.4; present when ratio > 0 (and for the indexer, ratio 4)
    Linear wkv, wgate;         // [dim, c*width]
    const Tensor* ape = nullptr;   // [c*width, ratio] f32
    const Tensor* norm = nullptr;  // [width]
};

struct Indexer {               // §3.5; ratio-4 layers
    Linear wq_b;               // [q_lora_rank, index_n_heads*index_head_dim]
    Linear weights_proj;       // [dim, index_n_heads]
    Compressor compressor;     // width index_head_dim, overlapping (c = 2)
};

struct Attention {             // §3.3
    Linear wq_a, wq_b, wkv, wo_a, wo_b;
    const Tensor* q_norm = nullptr;    // [q_lora_rank]
    const Tensor* kv_norm = nullptr;   // [head_dim]
    const Tensor* sink = nullptr;      // [n_heads] f32
    int64_t ratio = 0;                 // compress ratio of this layer: 0, 4 or 128
    Compressor compressor;             // ratio > 0
    Indexer indexer;                   // ratio == 4
};

struct Expert {
    Linear w1, w2, w3;                 // gate [dim, inter], down [inter, dim], up [dim, inter]
};

struct Moe {                           // §3.6
    const Tensor* gate = nullptr;      // [dim, n_routed] (bf16/f32)
    const Tensor* bias = nullptr;      // [n_routed] f32; null on hash layers
    const Tensor* tid2eid = nullptr;   // [n_active, vocab] int; hash layers only
    std::vector<Expert> experts;       // n_routed (per-expert views; GGUF stacks are sliced)
    Expert shared;
};

struct Mhc {                           // §3.2: one mHC site
    const Tensor* fn = nullptr;        // [hc*dim, 2hc + hc*hc] f32
    const Tensor* base = nullptr;      // [2hc + hc*hc] f32
    const Tensor* scale = nullptr;     // [3] f32
};

struct Layer {
    const Tensor* attn_norm = nullptr;
    const Tensor* ffn_norm = nullptr;
    Mhc hc_attn, hc_ffn;
    Attention attn;
    Moe moe;
};

struct Weights {
    const Tensor* embed = nullptr;     // [dim, vocab]
    const Tensor* head = nullptr;      // [dim, vocab]
    const Tensor* norm = nullptr;      // [dim]
    const Tensor* hc_head_fn = nullptr;     // [hc*dim, hc]
    const Tensor* hc_head_base = nullptr;   // [hc]
    const Tensor* hc_head_scale = nullptr;  // [1]
    std::vector<Layer> layers;
    // Owned tensors made at bind time (e.g. views, converted copies); keeps the pointers above valid.
    std::vector<std::unique_ptr<Tensor>> owned;
};

// Binds every tensor by its official HF name (or GGUF deepseek4 name) and checks each shape
// against cfg. Errors: ModelFormat naming the tensor and the expected shape/type.
Result<Weights> bind_weights(const Model& model, const Config& cfg);

// ---- per-sequence caches (§3.11) -------------------------------------------------------------
// Stored as f32 in this implementation (documented in docs/dev/deepseek-v4.md with the bytes).
struct CompressorState {       // the partial group (and, ratio 4, the previous group) of a and s
    std::vector<float> kv;     // [c*ratio rows][c*width]
    std::vector<float> score;  // same; -inf where empty
};

struct LayerCache {
    std::vector<float> window;          // ring [window][head_dim]: slot = pos % window
    std::vector<float> compressed;      // [n_entries][head_dim], grows to n_ctx/ratio
    std::vector<float> index_keys;      // [n_entries][index_head_dim] (ratio 4)
    CompressorState comp, index_comp;
    int64_t n_entries = 0;
};

class V4State final : public LmState {
public:
    V4State(const Config& cfg, int64_t n_ctx, std::unique_ptr<Session> session);
    void reset() override;
    uint64_t cache_bytes() const override;
    Session& session() { return *session_; }
    std::vector<LayerCache>& layers() { return layers_; }
    void advance(int64_t n) { n_past_ += n; }

private:
    const Config* cfg_;
    std::unique_ptr<Session> session_;
    std::vector<LayerCache> layers_;
};

// ---- sublayer forward functions --------------------------------------------------------------
// All activations are f32 row-major [n_tokens][width] (token-major), positions pos0.. pos0+T-1.
struct Ctx {
    const Config& cfg;
    Numerics numerics;
    Session& session;
};

// y = W·x for T tokens: x [T][in] -> y [T][out]; applies released-mode activation FP8 quant.
Status linear(Ctx& c, const Linear& l, std::span<const float> x, int64_t T, std::span<float> y);

// §3.3-3.5: x = attn_norm output [T][dim] -> out [T][dim]; reads and updates cache.
Status attention_forward(Ctx& c, const Attention& a, LayerCache& cache, std::span<const float> x, int64_t pos0,
                         int64_t T, std::span<float> out);

// §3.6: x [T][dim] -> out [T][dim]; token ids pick hash-layer experts.
Status moe_forward(Ctx& c, const Moe& m, int layer, std::span<const int32_t> tokens, std::span<const float> x,
                   int64_t T, std::span<float> out);

// §3.2: pre-step. streams [T][hc][dim] -> y [T][dim] (sublayer input), post [T][hc], comb [T][hc][hc].
Status mhc_pre(Ctx& c, const Mhc& h, std::span<const float> streams, int64_t T, std::span<float> y,
               std::span<float> post, std::span<float> comb);
// §3.2: post-step, in place: streams'_k = post_k·f + Σ_j comb[j][k]·streams_j.
void mhc_post(const Config& cfg, std::span<float> streams, std::span<const float> f, std::span<const float> post,
              std::span<const float> comb, int64_t T);

}  // namespace atelier::infer::v4
