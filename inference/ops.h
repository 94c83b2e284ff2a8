// The engine's ops: an enum, and one named-argument struct per op (STYLE §2: no positional
// mega-signatures). An OpCall names the op and carries its arguments; a Backend answers
// supports(op, types) from OpTypes alone and runs an OpCall. Tensors are borrowed views
// (ne[0] innermost); outputs are written in place and must not alias inputs unless stated.
// Thread-safety: plain values; the tensors they point at must outlive the call.
#pragma once

#include <cstdint>
#include <span>
#include <variant>

#include "inference/tensor.h"

namespace atelier::infer {

enum class Op : uint8_t {
    Invalid = 0,
    MatMul,        // y = W^T·x per column: W [K, N] any weight type, x [K, M, ...] f32|bf16 -> y [N, M, ...] f32
    RmsNorm,       // y = x·rsqrt(mean(x²)+eps)·w  (w optional: "unweighted")
    Softmax,       // y = softmax(x·scale + mask) per row, optional sink logit in the denominator
    Rope,          // rotary embedding, interleaved or half-split, YaRN, inverse
    Silu,          // x·sigmoid(x)
    Gelu,          // tanh approximation or erf
    SwiGlu,        // silu(min(g, limit))·clamp(u, -limit, limit)
    Sigmoid,       // 1/(1+e^-x)
    Softplus,      // log(1+e^x)
    SqrtSoftplus,  // sqrt(softplus(x)) (DeepSeek V4 MoE gate scores)
    TopK,          // k largest per row, descending; ties: the lower index wins
    GetRows,       // embedding lookup: y[:, i] = dequant(table[:, ids[i]])
    AddRows,       // scatter-add: dst[:, ids[i]] += scale[i]·src[:, i]
    Hadamard,      // normalised fast Walsh-Hadamard transform along ne[0] (power of two)
    Add,           // y = a + b (b broadcast along dims where its ne is 1)
    Mul,           // y = a ⊙ b (same broadcasting)
    MatMulGroup,   // several independent MatMuls run as one (MoE experts at decode); items may share x
    Count
};

const char* op_name(Op op);

// What supports() looks at: the operand and result types (Invalid where absent).
struct OpTypes {
    DType src0 = DType::Invalid;  // MatMul: weight type; GetRows: table type; otherwise the input
    DType src1 = DType::Invalid;  // MatMul: activation type; Add/Mul: b; SwiGlu: up
    DType dst = DType::Invalid;
    bool operator==(const OpTypes&) const = default;
};

// MatMul. W rows are K-long (rows stepped by w->nb[1]); x columns are K-long (x->nb[1..3]);
// y[n, m, i2, i3] = Σ_k W[k, n]·x[k, m, i2, i3]. Matvec is M = 1.
// F8_E4M3 weights take UE8M0 block scales w_scale [ceil(K/bk), ceil(N/bn)] (DeepSeek 128x128 or
// 32x32); FP4_E2M1 weights take w_scale [K/32, N] (bk = 32, bn = 1). Other types ignore it.
struct MatMulArgs {
    const Tensor* w = nullptr;
    const Tensor* x = nullptr;
    Tensor* y = nullptr;
    const Tensor* w_scale = nullptr;  // F8_E8M0
    int64_t scale_block_k = 0;
    int64_t scale_block_n = 0;
};

// MatMulGroup: each item is one MatMul (validated as such); every item has the same weight type
// and the same activation type. Items may share x (the backend prepares a shared x once); no y
// may overlap another item's y or any x. Results equal running the items one by one; a backend
// may run the rows of all items in one parallel pass (the CPU does for M < 16).
struct MatMulGroupArgs {
    std::span<const MatMulArgs> items;
};

// RmsNorm over ne[0]. weight (f32|bf16, [ne0]) is optional: nullptr is the unweighted form
// (V4's per-head q normalisation). x and y may alias (in place).
struct RmsNormArgs {
    const Tensor* x = nullptr;
    Tensor* y = nullptr;
    const Tensor* weight = nullptr;
    float eps = 1e-6f;
};

// Softmax over ne[0] of f32 rows. mask (f32 [ne0, ne1], broadcast over i2/i3; -inf masks) is
// added after scaling. sink (f32 [n]) is indexed by dimension sink_dim (1 or 2) of x: its logit
// exp(sink) joins the denominator only, taking probability mass with no output slot (V4 §3.3).
struct SoftmaxArgs {
    const Tensor* x = nullptr;
    Tensor* y = nullptr;
    float scale = 1.0f;
    const Tensor* mask = nullptr;
    const Tensor* sink = nullptr;
    int sink_dim = 1;
};

enum class RopeMode : uint8_t {
    Invalid = 0,
    Interleaved,  // pairs (2i, 2i+1), GPT-J style (DeepSeek V4)
    HalfSplit,    // pairs (i, i + n_dims/2), GPT-NeoX style
};

// Rope on x [head_dim, n_head, n_tokens] f32 with positions pos (I32 [n_tokens]). Rotates dims
// [first_dim, first_dim + n_dims) and copies the rest. Pair i has base frequency
// f_i = freq_base^(-2i/n_dims). YaRN (ggml's form): low = max(0, floor(n_dims·ln(n_ctx_orig /
// (beta_fast·2π)) / (2·ln freq_base))), high = min(n_dims-1, ceil(same with beta_slow)),
// c_i = clamp((i-low)/max(0.001, high-low), 0, 1), mix_i = (1-c_i)·ext_factor and
// f'_i = f_i·freq_scale·(1-mix_i) + f_i·mix_i; angle = pos·f'_i. ext_factor 0 gives plain
// linear scaling f_i·freq_scale; V4 uses ext_factor 1, freq_scale 1/16 (deepseek-v4.md §3.3). cos/sin are multiplied by attn_factor (any YaRN mscale
// is folded in by the caller; V4 uses 1). inverse negates the angle (V4's output de-rotation).
struct RopeArgs {
    const Tensor* x = nullptr;
    const Tensor* pos = nullptr;
    Tensor* y = nullptr;
    RopeMode mode = RopeMode::Interleaved;
    int64_t n_dims = 0;
    int64_t first_dim = 0;
    float freq_base = 10000.0f;
    float freq_scale = 1.0f;
    float ext_factor = 0.0f;
    float attn_factor = 1.0f;
    float beta_fast = 32.0f;
    float beta_slow = 1.0f;
    int64_t n_ctx_orig = 0;
    bool inverse = false;
};

// Silu, Sigmoid, Softplus, SqrtSoftplus: f32 -> f32, same shape; x and y may alias.
struct UnaryArgs {
    const Tensor* x = nullptr;
    Tensor* y = nullptr;
};

enum class GeluApprox : uint8_t { Invalid = 0, Tanh, Erf };
struct GeluArgs {
    const Tensor* x = nullptr;
    Tensor* y = nullptr;
    GeluApprox approx = GeluApprox::Tanh;
};

// y = silu(min(gate, limit))·clamp(up, -limit, limit); limit <= 0 means no clamp (V4 §3.6
// uses 10 for routed and shared experts).
struct SwiGluArgs {
    const Tensor* gate = nullptr;
    const Tensor* up = nullptr;
    Tensor* y = nullptr;
    float limit = 0.0f;
};

// TopK per row of x (f32 [n, rows]): values f32 [k, rows] and indices I32 [k, rows], sorted by
// value descending. Tie rule: among equal values the lower index comes first (and wins the last
// place), as DeepSeek's indexer and MoE gate require. NaN ranks below every number.
struct TopKArgs {
    const Tensor* x = nullptr;
    Tensor* values = nullptr;  // may be nullptr when only indices are wanted
    Tensor* indices = nullptr;
    int64_t k = 0;
};

// y [n_embd, n_ids] f32 = rows of table [n_embd, n_rows] (any weight type) picked by ids
// (I32 [n_ids]). An id outside [0, n_rows) is an InvalidArgument error, nothing is written.
struct GetRowsArgs {
    const Tensor* table = nullptr;
    const Tensor* ids = nullptr;
    Tensor* y = nullptr;
};

// dst [n_embd, n_rows] f32 += scale[i]·src[:, i] at row ids[i] (I32 [n]); scale optional
// (f32 [n]). Repeated ids accumulate in index order. Bad ids: InvalidArgument, nothing written.
struct AddRowsArgs {
    const Tensor* src = nullptr;
    const Tensor* ids = nullptr;
    Tensor* dst = nullptr;
    const Tensor* scale = nullptr;
};

// y = H_n·x·scale along ne[0] = n (power of two); scale 0 means the normalised 1/sqrt(n).
struct HadamardArgs {
    const Tensor* x = nullptr;
    Tensor* y = nullptr;
    float scale = 0.0f;
};

// Add/Mul: a, y f32; b f32 with each ne[d] equal to a's or 1 (broadcast).
struct BinaryArgs {
    const Tensor* a = nullptr;
    const Tensor* b = nullptr;
    Tensor* y = nullptr;
};

using OpArgs = std::variant<std::monostate, MatMulArgs, MatMulGroupArgs, RmsNormArgs, SoftmaxArgs, RopeArgs, UnaryArgs, GeluArgs,
                            SwiGluArgs, TopKArgs, GetRowsArgs, AddRowsArgs, HadamardArgs, BinaryArgs>;

struct OpCall {
    Op op = Op::Invalid;
    OpArgs args;
};

// The types of a call's operands (Invalid where a tensor is absent or the args do not fit op).
OpTypes op_types(const OpCall& call);

// Shape/type/argument checks shared by every backend: the call is well-formed (args match op,
// shapes agree, required tensors present). Error names the op and the bad operand.
Status validate_call(const OpCall& call);

}  // namespace atelier::infer
