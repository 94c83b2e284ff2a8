// DeepSeek V4 mixture of experts (deepseek-v4.md §3.6): fp32 gate logits, sqrt(softplus) scores,
// selection by top-k of (score + bias) or by the token's tid2eid row on hash layers (ties: the
// lower expert index), weights renormalised over the chosen experts × route_scale, clamped SwiGLU
// with the routing weight applied before W2, and the shared expert with the same clamp. Tokens are
// grouped per expert so each expert runs one MatMul over its tokens; routed experts are read from
// the mapped file in place. Released numerics round where the reference holds bf16.
// Thread-safety: one thread per Ctx; the MatMuls split over the session's pool.
#include <algorithm>
#include <array>
#include <cstring>
#include <utility>
#include <vector>

#include "inference/arch/deepseek-v4/v4.h"
#include "inference/quant.h"

namespace atelier::infer::v4 {
namespace {

// Workspace slots (v4.h: 0..31 are the model's).
enum : int { kScores = 8, kBiased, kWeights, kXq, kXe, kGate, kUp, kH, kOut, kAcc, kScale };
enum : int { kIdx = 8, kOrder, kCount, kFill };

struct Buf {  // a workspace span, or a local vector when the Ctx has no workspace
    std::vector<float> local;
    float* p = nullptr;
    float* get(Ctx& c, int slot, int64_t n) {
        if (c.ws) return p = c.ws->f32(slot, static_cast<size_t>(n)).data();
        local.resize(static_cast<size_t>(n));
        return p = local.data();
    }
};
struct IBuf {
    std::vector<int32_t> local;
    int32_t* get(Ctx& c, int slot, int64_t n) {
        if (c.ws) return c.ws->i32(slot, static_cast<size_t>(n)).data();
        local.resize(static_cast<size_t>(n));
        return local.data();
    }
};

Result<Tensor> view(const float* p, int64_t ne0, int64_t ne1) {
    return Tensor::wrap(DType::F32, {ne0, ne1}, const_cast<float*>(p));
}

// Routing: idx [T][K] expert ids and w [T][K] weights.
Status route(Ctx& c, const Moe& m, std::span<const int32_t> tokens, const float* x, int64_t T, int32_t* idx, float* w) {
    const Config& cfg = c.cfg;
    const int64_t E = cfg.n_routed_experts, K = cfg.n_active_experts;
    Buf scores, biased;
    float* s = scores.get(c, kScores, T * E);
    ATELIER_TRY(matmul_raw(c, Linear{.w = m.gate}, x, T, s));  // fp32 logits
    ATELIER_TRY_ASSIGN(Tensor st, view(s, E, T));
    ATELIER_TRY(c.session.run(OpCall{Op::SqrtSoftplus, UnaryArgs{.x = &st, .y = &st}}));
    if (m.tid2eid) {
        for (int64_t t = 0; t < T; ++t) {
            const int32_t tok = tokens[static_cast<size_t>(t)];
            if (tok < 0 || tok >= m.tid2eid->ne[1])
                return make_error(ErrorCode::InvalidArgument, "v4 moe: token id " + std::to_string(tok) + " is outside the vocabulary",
                                  "pass ids below vocab_size");
            std::memcpy(idx + t * K, m.tid2eid->row<int32_t>(tok), static_cast<size_t>(K) * sizeof(int32_t));
        }
    } else {
        float* bsc = biased.get(c, kBiased, T * E);
        const float* bias = static_cast<const float*>(m.bias->data);
        for (int64_t t = 0; t < T; ++t)
            for (int64_t e = 0; e < E; ++e) bsc[t * E + e] = s[t * E + e] + bias[e];  // selection only
        ATELIER_TRY_ASSIGN(Tensor bt, view(bsc, E, T));
        ATELIER_TRY_ASSIGN(Tensor it, Tensor::wrap(DType::I32, {K, T}, idx));
        ATELIER_TRY(c.session.run(OpCall{Op::TopK, TopKArgs{.x = &bt, .indices = &it, .k = K}}));
    }
    for (int64_t t = 0; t < T; ++t) {
        float sum = 0;
        for (int64_t k = 0; k < K; ++k) sum += (w[t * K + k] = s[t * E + idx[t * K + k]]);
        for (int64_t k = 0; k < K; ++k) w[t * K + k] = w[t * K + k] / sum * cfg.route_scale;
    }
    return ok_status();
}

// The SwiGLU middle of an expert on n rows: gate/up [n][f] -> h [n][f] = scale_i ·
// silu(min(g, L))·clamp(u, ±L); released numerics round the products' bf16 results first, then
// .to(bf16) and W2's own FP8 activation quantisation. scale may be null (the shared expert).
Status expert_middle(Ctx& c, float* gp, float* up, int64_t n, int64_t f, const float* scale, float* hp) {
    const bool released = c.numerics == Numerics::Released;
    if (released) {  // the FP8/FP4 products return bf16
        round_bf16({gp, static_cast<size_t>(n * f)});
        round_bf16({up, static_cast<size_t>(n * f)});
    }
    ATELIER_TRY_ASSIGN(Tensor gt, view(gp, f, n));
    ATELIER_TRY_ASSIGN(Tensor ut, view(up, f, n));
    ATELIER_TRY_ASSIGN(Tensor ht, view(hp, f, n));
    ATELIER_TRY(c.session.run(OpCall{Op::SwiGlu, SwiGluArgs{.gate = &gt, .up = &ut, .y = &ht, .limit = c.cfg.swiglu_limit}}));
    if (scale)
        for (int64_t i = 0; i < n; ++i)
            for (int64_t j = 0; j < f; ++j) hp[i * f + j] *= scale[i];  // the routing weight, before W2
    if (released) {
        round_bf16({hp, static_cast<size_t>(n * f)});
        ATELIER_TRY(fake_quant_fp8_act_fast(c, hp, n * f, 128));
    }
    return ok_status();
}

// One SwiGLU expert over n rows of xq [n][dim] (already FP8-quantised in released numerics):
// out [n][dim] = W2·(scale_i · silu(min(W1x, L)) · clamp(W3x, ±L)). scale may be null (shared).
Status expert(Ctx& c, const Expert& ex, const float* xq, int64_t n, const float* scale, float* out) {
    const int64_t f = ex.w1.out();
    const bool released = c.numerics == Numerics::Released;
    Buf g, u, h;
    float* gp = g.get(c, kGate, n * f);
    float* up = u.get(c, kUp, n * f);
    float* hp = h.get(c, kH, n * f);
    // FP4 experts: the op rounds activations to int8 below 16 columns (the reference multiplies
    // them exactly), so fewer tokens take fp4_matmul_f32 (exact products, fp4-matmul.cpp); from
    // kFp4PathMaxTokens the op's GEMM (exact products on these FP8-valued activations).
    auto product = [&](const Linear& w, const float* in, float* o) {
        if (released && n < kFp4PathMaxTokens && fp4_exact_supports(w)) return fp4_matmul_f32(c, w, in, n, o);
        return matmul_raw(c, w, in, n, o);
    };
    ATELIER_TRY(product(ex.w1, xq, gp));
    ATELIER_TRY(product(ex.w3, xq, up));
    ATELIER_TRY(expert_middle(c, gp, up, n, f, scale, hp));
    ATELIER_TRY(product(ex.w2, hp, out));
    if (released) round_bf16({out, static_cast<size_t>(n * c.cfg.dim)});
    return ok_status();
}

// One token (decode): the chosen experts in ascending id, then the shared one. Every W1/W3
// product reads the same quantised x, so they run together (one MatMulGroup per weight type, one
// pass of the FP4 exact-product kernel), then every W2. Per expert the arithmetic and the summation
// order are the loop's in moe_forward, so the result is the same bit for bit; what changes is one
// synchronisation and one activation quantisation per group instead of per product.
struct Product {
    const Linear* l;
    const float* x;
    float* y;
};
// Fixed capacity, so decode allocates nothing (more experts take the general loop).
constexpr size_t kDecodeMaxExperts = 32;
constexpr size_t kDecodeMaxProducts = 2 * kDecodeMaxExperts;

Status run_products(Ctx& c, std::span<const Product> ps) {
    const bool released = c.numerics == Numerics::Released;
    std::array<Tensor, kDecodeMaxProducts> xs, ys;  // views of the op-path products, in order
    std::array<const Product*, kDecodeMaxProducts> op_path{};
    std::array<bool, kDecodeMaxProducts> queued{};
    std::array<MatMulArgs, kDecodeMaxProducts> items;
    std::array<Fp4Product, kDecodeMaxProducts> fp4;
    size_t n = 0, n_fp4 = 0;
    for (const Product& p : ps) {
        const Linear& l = *p.l;
        if (released && fp4_exact_supports(l)) {
            fp4[n_fp4++] = Fp4Product{.l = &l, .x = p.x, .y = p.y, .M = 1};
            continue;
        }
        ATELIER_TRY_ASSIGN(xs[n], Tensor::wrap(DType::F32, {l.in(), 1}, const_cast<float*>(p.x)));
        ATELIER_TRY_ASSIGN(ys[n], Tensor::wrap(DType::F32, {l.out(), 1}, p.y));
        op_path[n++] = &p;
    }
    for (size_t i = 0; i < n; ++i) {  // one group per weight type
        if (queued[i]) continue;
        size_t k = 0;
        for (size_t j = i; j < n; ++j) {
            const Linear& l = *op_path[j]->l;
            if (queued[j] || l.w->type != op_path[i]->l->w->type) continue;
            items[k++] = l.args(&xs[j], &ys[j]);
            queued[j] = true;
        }
        ATELIER_TRY(c.session.run(OpCall{Op::MatMulGroup, MatMulGroupArgs{.items = std::span(items.data(), k)}}));
    }
    if (n_fp4) ATELIER_TRY(fp4_matmul_group_f32(c, std::span(fp4.data(), n_fp4)));
    return ok_status();
}

Status moe_decode(Ctx& c, const Moe& m, const int32_t* idx, const float* w, const float* xq, std::span<float> out) {
    const size_t K = static_cast<size_t>(c.cfg.n_active_experts);
    const int64_t d = c.cfg.dim;
    const bool released = c.numerics == Numerics::Released;
    std::array<std::pair<int32_t, float>, kDecodeMaxExperts> chosen;  // (expert, weight), ascending id
    for (size_t k = 0; k < K; ++k) chosen[k] = {idx[k], w[k]};
    for (size_t k = 1; k < K; ++k)  // insertion sort: stable (repeated hash ids keep their slot order), no buffer
        for (size_t j = k; j > 0 && chosen[j - 1].first > chosen[j].first; --j) std::swap(chosen[j - 1], chosen[j]);
    std::array<const Expert*, kDecodeMaxExperts> ex{};
    for (size_t k = 0; k < K; ++k) ex[k] = &m.experts[static_cast<size_t>(chosen[k].first)];
    ex[K] = &m.shared;
    const size_t G = K + 1;
    std::array<int64_t, kDecodeMaxExperts + 1> off{};  // offsets of each expert's f values
    for (size_t g = 0; g < G; ++g) off[g + 1] = off[g] + ex[g]->w1.out();
    Buf gb, ub, hb, ob, ab;
    float* gate = gb.get(c, kGate, off[G]);
    float* up = ub.get(c, kUp, off[G]);
    float* h = hb.get(c, kH, off[G]);
    float* o = ob.get(c, kOut, static_cast<int64_t>(G) * d);
    float* acc = ab.get(c, kAcc, d);
    ATELIER_TRY(check_stop(c, "MoE experts"));
    std::array<Product, kDecodeMaxProducts> ps;
    for (size_t g = 0; g < G; ++g) {
        ps[2 * g] = {&ex[g]->w1, xq, gate + off[g]};
        ps[2 * g + 1] = {&ex[g]->w3, xq, up + off[g]};
    }
    ATELIER_TRY(run_products(c, std::span(ps.data(), 2 * G)));
    for (size_t g = 0; g < G; ++g) {
        const bool routed = g < K;
        ATELIER_TRY(expert_middle(c, gate + off[g], up + off[g], 1, off[g + 1] - off[g], routed ? &chosen[g].second : nullptr,
                                  h + off[g]));
    }
    for (size_t g = 0; g < G; ++g) ps[g] = {&ex[g]->w2, h + off[g], o + static_cast<int64_t>(g) * d};
    ATELIER_TRY(run_products(c, std::span(ps.data(), G)));
    if (released) round_bf16({o, static_cast<size_t>(static_cast<int64_t>(G) * d)});
    // acc = the routed outputs summed in ascending id from zero, then + shared: moe_forward's order.
    std::fill(acc, acc + d, 0.0f);
    for (size_t g = 0; g < K; ++g)
        for (int64_t j = 0; j < d; ++j) acc[j] += o[static_cast<int64_t>(g) * d + j];
    const float* os = o + static_cast<int64_t>(K) * d;
    for (int64_t j = 0; j < d; ++j) out[static_cast<size_t>(j)] = acc[j] + os[j];
    if (released) round_bf16(out.first(static_cast<size_t>(d)));
    return ok_status();
}

}  // namespace

Status moe_forward(Ctx& c, const Moe& m, int layer, std::span<const int32_t> tokens, std::span<const float> x,
                   int64_t T, std::span<float> out) {
    (void)layer;
    const Config& cfg = c.cfg;
    const int64_t E = cfg.n_routed_experts, K = cfg.n_active_experts, d = cfg.dim;
    if (static_cast<int64_t>(tokens.size()) < T || static_cast<int64_t>(x.size()) < T * d ||
        static_cast<int64_t>(out.size()) < T * d)
        return make_error(ErrorCode::InvalidArgument, "v4 moe_forward: spans too small for " + std::to_string(T) + " tokens",
                          "report this bug");
    if (T == 0) return ok_status();
    IBuf ib, ob, cb, fb;
    Buf wb, xqb, xeb, ob2, accb, scb;
    int32_t* idx = ib.get(c, kIdx, T * K);
    float* w = wb.get(c, kWeights, T * K);
    ATELIER_TRY(route(c, m, tokens, x.data(), T, idx, w));

    // Every expert product quantises the same activations: do it once.
    const float* xq = x.data();
    if (c.numerics == Numerics::Released) {
        float* q = xqb.get(c, kXq, T * d);
        std::memcpy(q, x.data(), static_cast<size_t>(T * d) * sizeof(float));
        ATELIER_TRY(fake_quant_fp8_act_fast(c, q, T * d, 128));
        xq = q;
    }
    if (T == 1 && static_cast<size_t>(K) < kDecodeMaxExperts) return moe_decode(c, m, idx, w, xq, out);
    // Group (token, slot) pairs by expert, tokens ascending within an expert.
    int32_t* count = cb.get(c, kCount, E + 1);
    std::fill(count, count + E + 1, 0);
    for (int64_t i = 0; i < T * K; ++i) ++count[idx[i] + 1];
    for (int64_t e = 0; e < E; ++e) count[e + 1] += count[e];
    int32_t* order = ob.get(c, kOrder, T * K);
    int32_t* fill = fb.get(c, kFill, E);
    std::copy(count, count + E, fill);
    for (int64_t i = 0; i < T * K; ++i) order[fill[idx[i]]++] = static_cast<int32_t>(i);
    float* acc = accb.get(c, kAcc, T * d);
    std::fill(acc, acc + T * d, 0.0f);
    float* xe = xeb.get(c, kXe, T * d);
    float* oe = ob2.get(c, kOut, T * d);
    float* sc = scb.get(c, kScale, T);
    for (int64_t e = 0; e < E; ++e) {  // ascending expert id: the reference's summation order
        const int64_t n = count[e + 1] - count[e];
        if (n == 0) continue;
        ATELIER_TRY(check_stop(c, "MoE experts"));
        for (int64_t i = 0; i < n; ++i) {
            const int32_t pair = order[count[e] + i];
            std::memcpy(xe + i * d, xq + (pair / K) * d, static_cast<size_t>(d) * sizeof(float));
            sc[i] = w[pair];
        }
        ATELIER_TRY(expert(c, m.experts[static_cast<size_t>(e)], xe, n, sc, oe));
        for (int64_t i = 0; i < n; ++i) {
            float* dst = acc + (order[count[e] + i] / K) * d;
            for (int64_t j = 0; j < d; ++j) dst[j] += oe[i * d + j];
        }
    }
    ATELIER_TRY(expert(c, m.shared, xq, T, nullptr, oe));
    for (int64_t i = 0; i < T * d; ++i) out[static_cast<size_t>(i)] = acc[i] + oe[i];
    if (c.numerics == Numerics::Released) round_bf16(out.first(static_cast<size_t>(T * d)));  // y.type_as(x)
    return ok_status();
}

}  // namespace atelier::infer::v4
