// DeepSeek V4 (deepseek_v4 / GGUF deepseek4): the internal contract between the parts of the
// architecture: hyperparameters, bound weights per layer, per-sequence caches, and the forward
// functions of each sublayer (deepseek-v4.md §3.1-3.7). Only v4-model.cpp is seen from outside,
// through load_causal_lm (inference/lm.h).
// Thread-safety: Config and Weights are immutable after load; a V4State belongs to one thread.
//
// Changes since the first version (all additive; nothing the attention code uses was changed):
//  - Linear::out_bf16: released numerics round this product's output to bf16 (linear() does it).
//  - Attention::wo_a_group: o_groups row views of wo_a, one Linear per output group (§3.3.7).
//  - Ctx::ws: reusable scratch buffers (Workspace; slots 32..51 are the attention code's).
//  - round_bf16(), rms_norm_rows(), matmul_raw(), fp4_matmul_f32(), mhc_head(), layer_forward(),
//    make_causal_lm(), V4State::cfg().
//  - Cancel contract (V4State snapshots before each layer's attention_forward and restores on
//    cancel/error): attention_forward may write only the window slots of the fed positions,
//    compressed / index_keys rows >= n_entries (and n_entries), and comp / index_comp.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <stop_token>
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
    // Released numerics: the reference returns this product in bf16 (every FP8/FP4/bf16 product
    // except the fp32 compressor projections); linear() rounds y to bf16 when set.
    bool out_bf16 = false;
    int64_t in() const { return w ? w->ne[0] : 0; }
    int64_t out() const { return w ? w->ne[1] : 0; }
    // The MatMul arguments of y = W·x for this weight (its block scales included).
    MatMulArgs args(const Tensor* x, Tensor* y) const {
        return {.w = w, .x = x, .y = y, .w_scale = scale, .scale_block_k = scale_block_k, .scale_block_n = scale_block_n};
    }
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
    // wo_a split by output group: o_groups views [n_heads*head_dim/o_groups, o_lora_rank] of
    // wo_a's rows g*o_lora_rank.. (scales sliced alike); z_g = wo_a_group[g]·concat_g.
    std::vector<Linear> wo_a_group;
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
    // The memory of repacked weights (BindOptions::repack_q4k) and its total.
    std::vector<std::unique_ptr<HugePageBuffer>> buffers;
    uint64_t repacked_bytes = 0;
};

struct BindOptions {
    // Regroup resident Q4_K matmul weights (N % 16 == 0) as Q4_K_R16 (dtype.h), the layout of
    // the AVX-512 matvec, and release their file bytes (the Model is marked: a later bind fails).
    // The embedding stays Q4_K (a row table). For released numerics on a CPU that prefers it.
    bool repack_q4k = false;
};

// Binds every tensor by its official HF name (or GGUF deepseek4 name) and checks each shape
// against cfg. Errors: ModelFormat naming the tensor and the expected shape/type;
// InvalidArgument when an earlier bind released the model's repacked bytes.
Result<Weights> bind_weights(const Model& model, const Config& cfg, const BindOptions& options = {});

// Reusable scratch buffers for the forward functions: a slot grows to the largest size asked
// and never shrinks, so decode allocates nothing after the first token. A span stays valid until
// the same slot is asked for more. Slots 0..31: model, mHC, MoE, linear; 32..51: attention,
// compressor, indexer. (Session::scratch() is reset by every Session::run, so it cannot hold
// buffers across ops.)
class Workspace {
public:
    static constexpr int kSlots = 52;
    std::span<float> f32(int slot, size_t n);
    std::span<int32_t> i32(int slot, size_t n);

private:
    std::array<std::vector<float>, kSlots> f_;
    std::array<std::vector<int32_t>, kSlots> i_;
};

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
    // The same keys in bf16, blocks of 16 (attention-simd.h, index_pack_key), for the fused
    // indexer of released numerics; the first index_packed_n keys are current. The indexer packs
    // the keys appended since its last call; a rollback only lowers index_packed_n.
    std::vector<uint16_t> index_packed;
    int64_t index_packed_n = 0;
    CompressorState comp, index_comp;
    int64_t n_entries = 0;

    // attention engineer: added init/reset/bytes/bytes_per_token/bytes_fixed (attention.cpp).
    // Sizes the ring and compressor states for a layer of compress ratio `ratio` and reserves the
    // entries for n_ctx positions (decode never reallocates), then reset(). OutOfMemory on failure.
    Status init(const Config& cfg, int64_t ratio, int64_t n_ctx);
    // An empty sequence: no entries, ring zeroed, compressor kv = 0 and score = -inf (§3.12 item 5).
    void reset();
    uint64_t bytes() const;  // bytes held now (entries counted as filled)
    // Bytes that grow per token (entries and index keys, with the bf16 copy, rounded up) and
    // fixed bytes per sequence.
    static uint64_t bytes_per_token(const Config& cfg, int64_t ratio);
    static uint64_t bytes_fixed(const Config& cfg, int64_t ratio);
};

class V4State final : public LmState {
public:
    // Sizes every layer's cache for n_ctx positions; check init_status() (OutOfMemory) before use.
    V4State(const Config& cfg, int64_t n_ctx, std::unique_ptr<Session> session);
    const Status& init_status() const { return init_status_; }
    void reset() override;
    uint64_t cache_bytes() const override;
    Session& session() { return *session_; }
    const Config& cfg() const { return *cfg_; }
    std::vector<LayerCache>& layers() { return layers_; }
    void advance(int64_t n) { n_past_ += n; }
    Workspace& workspace() { return ws_; }

    // Rollback for cancel and errors (the contract at the top of this file): begin_call() forgets
    // earlier saves; save_layer() keeps what attention_forward of `layer` may overwrite when it
    // feeds positions [pos0, pos0+T); restore_saved() puts every saved layer back.
    void begin_call() { n_saved_ = 0; }
    void save_layer(int layer, int64_t pos0, int64_t T);
    void restore_saved();

private:
    struct Saved {
        int layer = -1;
        int64_t pos0 = 0, T = 0, n_entries = 0;
        size_t compressed_size = 0, index_keys_size = 0;
        std::vector<float> window;  // the ring slots of the fed positions (at most `window` rows)
        bool states = false;        // comp / index_comp saved (only when the call emits an entry)
        CompressorState comp, index_comp;
    };
    const Config* cfg_;
    std::unique_ptr<Session> session_;
    std::vector<LayerCache> layers_;
    Status init_status_;
    Workspace ws_;
    std::vector<Saved> saved_;  // one per layer, reused between calls
    size_t n_saved_ = 0;
};

// ---- sublayer forward functions --------------------------------------------------------------
// All activations are f32 row-major [n_tokens][width] (token-major), positions pos0.. pos0+T-1.
struct Ctx {
    const Config& cfg;
    Numerics numerics;
    Session& session;
    Workspace* ws = nullptr;  // null: functions allocate their own scratch (tests)
    std::stop_token stop{};   // eval's; also checked inside a layer (per attention step, per
                              // expert) so a cancel lands within one of those, not one layer
    bool pack_decode_keys = true;  // attention: decode converts each token's keys to bf16 once
                                   // (false: per head group, as prefill; tests compare the two)
    bool amx_attention = true;  // attention (released numerics): q·k and P·V on AMX tiles where the
                                // CPU has them, decode and prefill alike (false: vdpbf16ps; tests)
};

// Cancelled when c.stop was requested; `where` names the point for the message. Safe anywhere
// inside eval: eval restores the state saved before the call on any error.
Status check_stop(const Ctx& c, const char* where);

// In place: round each value to the nearest bf16 (ties to even), as torch's .to(bfloat16).
void round_bf16(std::span<float> x);

// quant.h's fake_quant_fp8_act (the reference's FP8 activation quantisation per block), bit for
// bit, vectorised where the CPU has AVX-512 and split over the session's pool (linear.cpp).
Status fake_quant_fp8_act_fast(Ctx& c, float* x, int64_t n, int block);

// In place over `rows` rows of `width`: x·rsqrt(mean(x²)+eps)·w in the reference's arithmetic
// (sum of squares in double rounded to fp32, fp32 rsqrt, (x·r)·w). The RmsNorm op sums in fp32 or
// multiplies in double; at bf16 outputs either one flips roundings the reference does not. w may be
// null (unweighted), f32 or bf16.
Status rms_norm_rows(Ctx& c, float* x, int64_t width, int64_t rows, const Tensor* w);

// y = W·x through Session MatMul with no activation quantisation and no output rounding:
// x [T][in] -> y [T][out], both contiguous f32.
Status matmul_raw(Ctx& c, const Linear& l, const float* x, int64_t T, float* y);

// FP4 weights (FP4_E2M1 with per-32 UE8M0 scales, or MXFP4) times M columns with fp32 products
// and sums (fp4-matmul.cpp): what DeepSeek's FP4 GEMM computes on FP8-quantised activations. The
// MatMul op quantises activations to int8 below 16 columns; from 16 its packed GEMM multiplies bf16
// weights by the (FP8-valued, so bf16-exact) activations exactly. Released MoE uses this path below
// kFp4PathMaxTokens tokens per expert.
inline constexpr int64_t kFp4PathMaxTokens = 16;
bool fp4_exact_supports(const Linear& l);
Status fp4_matmul_f32(Ctx& c, const Linear& l, const float* x, int64_t M, float* y);
// Several such products in one parallel pass (MoE decode); products may share x (prepared once).
struct Fp4Product {
    const Linear* l = nullptr;
    const float* x = nullptr;
    float* y = nullptr;
    int64_t M = 1;
};
Status fp4_matmul_group_f32(Ctx& c, std::span<const Fp4Product> ps);

// y = W·x for T tokens: x [T][in] -> y [T][out]; applies released-mode activation FP8 quant.
Status linear(Ctx& c, const Linear& l, std::span<const float> x, int64_t T, std::span<float> y);
// Several products of the same x [T][in], each as linear() computes it: the FP8 activation step
// runs once for those that take it, and the products of each weight type run as one MatMulGroup
// (types in order of first appearance; more than 12 products fall back to linear() one by one).
// Each y is [T][out] of its own Linear.
struct LinearOut {
    const Linear* l = nullptr;
    float* y = nullptr;
};
Status linear_shared_x(Ctx& c, std::span<const LinearOut> outs, const float* x, int64_t T);

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
// §3.7: the head collapse: streams [T][hc][dim] -> y [T][dim] = Σ_i pre_i·X_i with
// pre = sigmoid(hc_head_scale·m + hc_head_base) + hc_eps (bf16-rounded in released numerics).
Status mhc_head(Ctx& c, const Weights& w, std::span<const float> streams, int64_t T, std::span<float> y);

// One block on T tokens (positions state.n_past()..): streams [T][hc][dim] updated in place
// (§3.2 order: mHC pre, attn_norm, attention, mHC post, mHC pre, ffn_norm, MoE, mHC post). The
// layer's cache is saved first (V4State::save_layer), so a caller can roll back on failure.
Status layer_forward(Ctx& c, const Layer& layer, int index, V4State& state, std::span<const int32_t> tokens,
                     std::span<float> streams);

// The CausalLm of a deepseek_v4 / deepseek4 model (load_causal_lm dispatches here).
Result<std::shared_ptr<const CausalLm>> make_causal_lm(std::shared_ptr<const Model> model, const LmLoadOptions& options);

}  // namespace atelier::infer::v4
