// DeepSeek V4 lightning indexer (deepseek-v4.md §3.5): per query, score every visible compressed
// entry with I_t = Σ_h w_h·ReLU(q_h·k_t) and keep the top-k (ties: the lower index wins). Released
// numerics: FP4-simulated queries and keys, bf16 scores as DeepSeek's reference computes them
// (bf16 q·k, bf16 head weights, one bf16 rounding of the head sum; §3.12 item 2).
// Two ways to the scores: the head products of a batch as one f32 MatMul, then the ReLU-weighted
// head sums over them; or, in released numerics on AVX-512 BF16, both fused per block of 16 keys
// (vdpbf16ps on the cache's bf16 copy of the keys), with no per-head rows in memory and nothing
// packed per token. The queries and keys are bf16 values there (FP4-simulated), so each product is
// exact either way and the fp32 sums differ at most in summation order (none when the 32-value
// blocks' scales lie within ~2^20 of each other: then every partial sum is exact too).
// Thread-safety: called by attention_forward on the state's thread; work is split on the pool.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "inference/arch/deepseek-v4/attention-internal.h"
#include "inference/arch/deepseek-v4/attention-simd.h"
#include "inference/quant.h"

namespace atelier::infer::v4::attn {
namespace {

// Floats of q·k products one batch of queries may hold (bounds the workspace: 16 MB).
constexpr int64_t kMaxHeadScores = int64_t{4} << 20;
constexpr int64_t kScoreChunk = 256;  // entries per parallel task

// Queries [T][n_heads][head_dim]: wq_b·q_lat, RoPE at the query positions, Hadamard, (FP4);
// bf16 between the steps in released numerics, as the reference holds them.
// With `computed`, q already holds wq_b·q_lat.
Status index_queries(Ctx& c, const Indexer& ix, const float* q_lat, const int32_t* pos, int64_t T, float* q,
                     bool computed) {
    const Config& cfg = c.cfg;
    const int64_t nh = cfg.index_n_heads, hd = cfg.index_head_dim;
    if (!computed)
        ATELIER_TRY(linear(c, ix.wq_b, {q_lat, static_cast<size_t>(T * cfg.q_lora_rank)}, T,
                           {q, static_cast<size_t>(T * nh * hd)}));
    ATELIER_TRY(rope_rows(c, layer_rope(cfg, 4), q, hd, nh, T, pos, false));
    bf16_if_released(c, q, T * nh * hd);
    ATELIER_TRY(hadamard_rows(c, q, hd, nh * T));
    bf16_if_released(c, q, T * nh * hd);
    if (c.numerics == Numerics::Released) ATELIER_TRY(fake_quant_fp4_act(q, T * nh * hd, 32));
    return ok_status();
}

// Head weights [T][n_heads] = weights_proj·x · head_dim^-0.5 · n_heads^-0.5 (bf16 in released).
// With `computed`, w already holds weights_proj·x.
Status head_weights(Ctx& c, const Indexer& ix, const float* x, int64_t T, float* w, bool computed) {
    const Config& cfg = c.cfg;
    const int64_t nh = cfg.index_n_heads;
    if (!computed)
        ATELIER_TRY(linear(c, ix.weights_proj, {x, static_cast<size_t>(T * cfg.dim)}, T, {w, static_cast<size_t>(T * nh)}));
    const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(cfg.index_head_dim)) /
                                           std::sqrt(static_cast<double>(nh)));
    const bool released = c.numerics == Numerics::Released;
    for (int64_t i = 0; i < T * nh; ++i) w[i] = released ? to_bf16(to_bf16(w[i]) * scale) : w[i] * scale;
    return ok_status();
}

// scores[t][e] for e < visible(t), -inf beyond, from head products hs [(t, h)][n_vis].
void weigh_scores(const Ctx& c, const float* hs, const float* w, int64_t Tq, int64_t n_vis, const int64_t* vis,
                  float* scores) {
    const int64_t nh = c.cfg.index_n_heads;
    const bool released = c.numerics == Numerics::Released;
    const VecKernels& vk = vec_kernels();
    const int64_t chunks = (n_vis + kScoreChunk - 1) / kScoreChunk;
    parallel_for(c.session.context(), Tq * chunks, [&](int64_t task) {
        const int64_t t = task / chunks, e0 = (task % chunks) * kScoreChunk;
        const int64_t e1 = std::min(n_vis, e0 + kScoreChunk), ev = std::min(e1, std::max(e0, vis[t]));
        float* out = scores + t * n_vis;
        std::fill(out + e0, out + ev, 0.0f);
        for (int64_t h = 0; h < nh; ++h) {
            const float* row = hs + (t * nh + h) * n_vis;
            const float wh = w[t * nh + h];
            (released ? vk.relu_acc_bf16 : vk.relu_acc)(out + e0, row + e0, wh, ev - e0);
        }
        if (released)
            for (int64_t e = e0; e < ev; ++e) out[e] = to_bf16(out[e]);
        std::fill(out + ev, out + e1, -std::numeric_limits<float>::infinity());
    });
}

// Brings the cache's bf16 key blocks up to its f32 keys (only the keys added since the last call).
void pack_new_keys(LayerCache& cache, int64_t hd, int64_t n_keys) {
    if (cache.index_packed_n > n_keys) cache.index_packed_n = n_keys;
    if (cache.index_packed_n == n_keys) return;
    const int64_t blocks = (n_keys + kIndexKeyBlock - 1) / kIndexKeyBlock;
    cache.index_packed.resize(static_cast<size_t>(blocks * kIndexKeyBlock * hd));  // within the reserve
    for (int64_t e = cache.index_packed_n; e < n_keys; ++e)
        index_pack_key(cache.index_packed.data(), e, cache.index_keys.data() + e * hd, hd);
    cache.index_packed_n = n_keys;
}

// scores[t][e] for the batch's queries from the bf16 key blocks: tasks of kFusedChunk blocks per
// query, -inf past what each query sees.
constexpr int64_t kFusedChunk = 16;  // blocks of 16 keys per parallel task (256 keys)
using IndexKernel = decltype(VecKernels::index_scores_bf16);
void fused_scores(const Ctx& c, const LayerCache& cache, IndexKernel kernel, const uint32_t* qp, const float* w,
                  int64_t nh, int64_t Tq, int64_t n_vis, const int64_t* vis, float* scores) {
    const int64_t np = c.cfg.index_head_dim / 2;
    const int64_t blocks = (n_vis + kIndexKeyBlock - 1) / kIndexKeyBlock;
    const int64_t chunks = (blocks + kFusedChunk - 1) / kFusedChunk;
    parallel_for(c.session.context(), Tq * chunks, [&](int64_t task) {
        const int64_t t = task / chunks, b0 = (task % chunks) * kFusedChunk;
        const int64_t e0 = b0 * kIndexKeyBlock, e1 = std::min(n_vis, e0 + kFusedChunk * kIndexKeyBlock);
        const int64_t ev = std::min(e1, std::max(e0, vis[t]));
        float* out = scores + t * n_vis;
        if (ev > e0) {
            alignas(64) float tmp[kFusedChunk * kIndexKeyBlock];
            const int64_t nb = (ev - e0 + kIndexKeyBlock - 1) / kIndexKeyBlock;
            kernel(qp + t * nh * np, w + t * nh, static_cast<int>(nh), np,
                   cache.index_packed.data() + b0 * kIndexKeyBlock * 2 * np, nb, tmp);
            std::copy(tmp, tmp + (ev - e0), out + e0);
        }
        std::fill(out + ev, out + e1, -std::numeric_limits<float>::infinity());
    });
}

// Top-k of Tq score rows of n_vis; keeps only indices each query may see.
Status select_rows(Ctx& c, const float* scores, int64_t Tq, int64_t n_vis, const int64_t* vis, int32_t* sel,
                   int32_t* n_sel) {
    const int64_t k = std::min(c.cfg.index_topk, n_vis);
    int32_t* idx = i32_buf(c, kSlotTopk, k * Tq, c.cfg.index_topk * kStepTokens);
    const Tensor x = f32_view(scores, n_vis, Tq);
    Tensor ti = i32_view(idx, k, Tq);
    TopKArgs a;
    a.x = &x;
    a.indices = &ti;
    a.k = k;
    ATELIER_TRY(c.session.run(OpCall{Op::TopK, a}));
    for (int64_t t = 0; t < Tq; ++t) {
        int32_t n = 0;
        const int64_t want = std::min(k, vis[t]);
        for (int64_t i = 0; i < k && n < want; ++i) {
            const int32_t e = idx[t * k + i];
            if (e < vis[t]) sel[t * c.cfg.index_topk + n++] = e;
        }
        n_sel[t] = n;
    }
    return ok_status();
}

}  // namespace

Status indexer_select(Ctx& c, const Indexer& ix, LayerCache& cache, const float* x, const float* q_lat,
                      const int32_t* pos, int64_t T, int32_t* sel, int32_t* n_sel, const IndexerProducts* pre) {
    const Config& cfg = c.cfg;
    const int64_t nh = cfg.index_n_heads, hd = cfg.index_head_dim;
    if (!ix.wq_b.w || !ix.weights_proj.w || ix.wq_b.out() != nh * hd || ix.weights_proj.out() != nh)
        return make_error(ErrorCode::ModelFormat, "indexer weights are missing or mis-shaped",
                          "the checkpoint does not match index_n_heads / index_head_dim");
    const int64_t pos0 = pos[0];
    float* q = pre ? pre->q : f32_buf(c, kSlotIq, T * nh * hd);
    float* w = pre ? pre->w : f32_buf(c, kSlotIw, T * nh);
    ATELIER_TRY(index_queries(c, ix, q_lat, pos, T, q, pre != nullptr));
    ATELIER_TRY(head_weights(c, ix, x, T, w, pre != nullptr));
    const int64_t n_keys = static_cast<int64_t>(cache.index_keys.size()) / hd;
    const int64_t max_entries = static_cast<int64_t>(cache.index_keys.capacity()) / hd;
    int64_t vis[kStepTokens];
    if (T > kStepTokens) return make_error(ErrorCode::Internal, "indexer: too many tokens in one step", "report this bug");
    // Fused (released numerics, AVX-512 BF16): heads in groups of 8 (16 on AMX), the last group
    // padded with zero queries and zero weights (a padded head adds +0 to every score: the same sums).
    const VecKernels& vk = vec_kernels();
    const bool fused = c.numerics == Numerics::Released && vk.index_scores_bf16 && hd % 2 == 0;
    const int64_t np = hd / 2;
    const bool amx = vk.index_scores_amx && np % 16 == 0;  // the tiles step 16 dim pairs
    const IndexKernel kernel = amx ? vk.index_scores_amx : vk.index_scores_bf16;
    const int64_t nhp = amx ? (nh + 15) / 16 * 16 : (nh + 7) / 8 * 8;
    uint32_t* qp = nullptr;  // the queries as bf16 pairs [t][nhp][dim pair]
    float* wp = nullptr;     // the head weights [t][nhp]
    if (fused) {
        pack_new_keys(cache, hd, n_keys);
        qp = reinterpret_cast<uint32_t*>(i32_buf(c, kSlotIqPairs, T * nhp * np, kStepTokens * nhp * np));
        wp = f32_buf(c, kSlotIwPadded, T * nhp, kStepTokens * nhp);
        for (int64_t t = 0; t < T; ++t)
            for (int64_t h = 0; h < nhp; ++h) {
                uint32_t* dst = qp + (t * nhp + h) * np;
                const float* src = q + (t * nh + h) * hd;
                for (int64_t i = 0; i < np; ++i)
                    dst[i] = h < nh ? f32_to_bf16(src[2 * i]) | uint32_t{f32_to_bf16(src[2 * i + 1])} << 16 : 0u;
                wp[t * nhp + h] = h < nh ? w[t * nh + h] : 0.0f;
            }
    }
    for (int64_t t0 = 0; t0 < T;) {
        const int64_t n_vis = (pos0 + t0 + 1) / 4;
        if (n_vis == 0) {
            n_sel[t0++] = 0;
            continue;
        }
        // A batch of queries whose head products fit the bound, all seeing up to n_vis_max entries.
        int64_t Tq = 1;
        while (t0 + Tq < T && ((pos0 + t0 + Tq + 1) / 4) * nh * (Tq + 1) <= kMaxHeadScores) ++Tq;
        const int64_t n_vis_max = (pos0 + t0 + Tq) / 4;
        if (n_vis_max > n_keys)
            return make_error(ErrorCode::Internal, "indexer: fewer keys than visible entries", "report this bug");
        for (int64_t t = 0; t < Tq; ++t) vis[t] = (pos0 + t0 + t + 1) / 4;
        if (fused) {
            float* scores = f32_buf(c, kSlotScores, n_vis_max * Tq, std::min(max_entries * kStepTokens, kMaxHeadScores / nh));
            fused_scores(c, cache, kernel, qp + t0 * nhp * np, wp + t0 * nhp, nhp, Tq, n_vis_max, vis, scores);
            ATELIER_TRY(select_rows(c, scores, Tq, n_vis_max, vis, sel + t0 * cfg.index_topk, n_sel + t0));
            t0 += Tq;
            continue;
        }
        float* hs = f32_buf(c, kSlotHeadScores, n_vis_max * nh * Tq, std::min(max_entries * nh, kMaxHeadScores));
        float* scores = f32_buf(c, kSlotScores, n_vis_max * Tq, std::min(max_entries * kStepTokens, kMaxHeadScores / nh));
        const Tensor keys = f32_view(cache.index_keys.data(), hd, n_vis_max);
        const Tensor qv = f32_view(q + t0 * nh * hd, hd, nh * Tq);
        Tensor y = f32_view(hs, n_vis_max, nh * Tq);
        MatMulArgs mm;
        mm.w = &keys;
        mm.x = &qv;
        mm.y = &y;
        ATELIER_TRY(c.session.run(OpCall{Op::MatMul, mm}));
        weigh_scores(c, hs, w + t0 * nh, Tq, n_vis_max, vis, scores);
        ATELIER_TRY(select_rows(c, scores, Tq, n_vis_max, vis, sel + t0 * cfg.index_topk, n_sel + t0));
        t0 += Tq;
    }
    return ok_status();
}

}  // namespace atelier::infer::v4::attn
