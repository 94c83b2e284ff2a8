// Internal to the V4 attention sources (attention.cpp, compressor.cpp, indexer.cpp): borrowed f32
// tensor views over plain buffers, the layer's RoPE parameters, bf16 rounding, the scratch slots
// the three files use, and the compressor / indexer entry points (deepseek-v4.md §3.3-3.5).
// Invariant: nothing here allocates once the workspace has grown to the largest chunk seen.
// Thread-safety: one thread per Ctx (a V4State is used by one thread at a time).
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "inference/arch/deepseek-v4/v4.h"
#include "inference/ops.h"

namespace atelier::infer::v4::attn {

// Tokens one internal step handles: attention_forward splits longer calls (the result is the same
// as feeding the pieces one after the other; it bounds the workspace).
inline constexpr int64_t kStepTokens = 256;
// Keys per block of the sparse-attention loop (DeepSeek's kernel rounds P to bf16 per block).
inline constexpr int64_t kKeyBlock = 64;
inline constexpr int64_t kMaxHeadDim = 1024;

// A borrowed, contiguous view [ne0, ne1, ne2] (no name, no ownership, no allocation).
Tensor f32_view(const float* data, int64_t ne0, int64_t ne1 = 1, int64_t ne2 = 1);
Tensor i32_view(const int32_t* data, int64_t ne0, int64_t ne1 = 1);
// Rows [n0, n0 + n) of a 2-D tensor as a borrowed view (no name copy).
Tensor rows_view(const Tensor& t, int64_t n0, int64_t n);

// Round to the nearest bf16 (ties to even) and back; NaN stays NaN.
inline float to_bf16(float x) {
    uint32_t u;
    std::memcpy(&u, &x, 4);
    if ((u & 0x7F800000u) == 0x7F800000u && (u & 0x007FFFFFu)) return x;
    u = (u + 0x7FFFu + ((u >> 16) & 1u)) & 0xFFFF0000u;
    std::memcpy(&x, &u, 4);
    return x;
}
// Released numerics: round n values to bf16 where the reference holds a bf16 tensor.
inline void bf16_if_released(const Ctx& c, float* x, int64_t n) {
    if (c.numerics == Numerics::Released) round_bf16({x, static_cast<size_t>(n)});
}

// RoPE of a layer of compress ratio `ratio` (§3.3 item 3): rope_theta without YaRN when 0,
// compress_rope_theta with YaRN otherwise; no mscale. x, y, pos, first_dim are left to the caller.
RopeArgs layer_rope(const Config& cfg, int64_t ratio);
// In place: RoPE (or its inverse) on the last rope_dim dims of x [width, heads, tokens].
Status rope_rows(Ctx& c, const RopeArgs& base, float* x, int64_t width, int64_t heads, int64_t tokens,
                 const int32_t* pos, bool inverse);
// In place: the normalised Hadamard transform over rows of `width` the way the reference's
// fast_hadamard_transform computes it: fp32 butterflies, then one multiply by width^-1/2.
Status hadamard_rows(Ctx& c, float* x, int64_t width, int64_t rows);
// In place: RMSNorm over rows of `width` (weight null: unweighted).
Status rms_rows(Ctx& c, float* x, int64_t width, int64_t rows, const Tensor* weight);

// Scratch buffers: Ctx::ws slots 32..51 (v4.h), or this thread's own Workspace when the caller
// passes none. A buffer grows to max(n, hint) and never shrinks, so steady decode does not
// allocate; `hint` lets a buffer that grows with the context take its final size at once.
enum F32Slot : int {
    kSlotQ = 32, kSlotKv, kSlotQLat, kSlotGroup, kSlotZ, kSlotZg,    // attention.cpp
    kSlotCompA, kSlotCompS, kSlotPoolMax, kSlotPoolSum,               // compressor.cpp
    kSlotIq, kSlotIw, kSlotHeadScores, kSlotScores,                   // indexer.cpp
    kSlotIdxCompA, kSlotIdxCompS,                                     // attention.cpp
    kSlotIwPadded,                                                    // indexer.cpp (..48)
};
enum I32Slot : int { kSlotPos = 32, kSlotEntryPos, kSlotSel, kSlotNSel, kSlotTopk, kSlotIqPairs, kSlotKeyRows, kSlotKeyPairs };
float* f32_buf(Ctx& c, int slot, int64_t n, int64_t hint = 0);
int32_t* i32_buf(Ctx& c, int slot, int64_t n, int64_t hint = 0);

// §3.4: feeds tokens pos0..pos0+T-1 (x [T][dim]) into the compressor state; every group that
// completes appends one entry of `width` floats to `entries` (pooled, RMS-normalised, rotated at
// the group's first position; main: FP8-simulated in released numerics; indexer: Hadamard, then
// FP4-simulated in released numerics). Fails with ContextFull when `entries` would outgrow its
// reserved capacity (it is never reallocated).
struct CompressorSpec {
    int64_t ratio = 0;
    int64_t width = 0;
    bool indexer = false;
};
// `pre`, when given, holds wkv·x and wgate·x already computed (the caller's one pass over every
// product of x); otherwise they are computed here.
struct CompressorProducts {
    const float* kv = nullptr;    // [T][w.wkv.out()]
    const float* gate = nullptr;  // [T][w.wgate.out()]
};
Status compressor_forward(Ctx& c, const Compressor& w, const CompressorSpec& spec, CompressorState& st,
                          std::vector<float>& entries, const float* x, int64_t pos0, int64_t T,
                          const CompressorProducts* pre = nullptr);

// §3.5: for each of T queries (positions pos0..), the indexer's top-k compressed entries, written
// to sel [T][cfg.index_topk] with n_sel[t] valid (= min(index_topk, (p+1)/4)). q_lat [T][q_lora_rank]
// is the normalised query latent, x [T][dim] the attention input, pos [T] the positions (pos0..).
// Index keys are read from cache (already holding the entries this step completes).
// `pre`, when given, holds wq_b·q_lat and weights_proj·x already computed (both are worked on in
// place); otherwise they are computed here.
struct IndexerProducts {
    float* q = nullptr;  // [T][index_n_heads * index_head_dim]
    float* w = nullptr;  // [T][index_n_heads]
};
// Mutates `cache` only to bring its bf16 copy of the index keys up to date (LayerCache).
Status indexer_select(Ctx& c, const Indexer& ix, LayerCache& cache, const float* x, const float* q_lat,
                      const int32_t* pos, int64_t T, int32_t* sel, int32_t* n_sel, const IndexerProducts* pre = nullptr);

}  // namespace atelier::infer::v4::attn
