// Whisper's op helpers: matmul with bias, GELU, and multi-head attention. Many queries (the
// encoder, a long prompt) take the engine's MatMul and Softmax ops, one product pair per head
// (scores = K_h·q_h, out = V_h^T·p) on the packed GEMM; a few queries (a decode step, a beam
// batch) take one pass over all (query, head) pairs with the engine's cpuid-picked dot product
// (the vector kernels of the V4 attention: AVX-512, AVX2+FMA or portable), one Softmax op for
// every row, and a second pass for the outputs: 3 calls instead of 3 per head.
// Thread-safety: called from the Session's thread; the work is split over its pool.
// GCC 12's AVX-512 headers trip -Wuninitialized on their own _mm512_undefined_* (PR 105593).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <cmath>
#include <cstring>
#include <limits>

#include "inference/arch/deepseek-v4/attention-simd.h"
#include "inference/arch/whisper/whisper-internal.h"

namespace atelier::infer::whisper {
namespace {

constexpr int64_t kSmallQueries = 16;  // up to this many queries: the fused path

Status attention_small(Session& s, const AttnProblem& p) {
    const auto dot = v4::attn::vec_kernels().dot;  // AVX-512 / AVX2+FMA / portable, from cpuid
    const float scale = 1.0f / std::sqrt(static_cast<float>(p.hd));
    const int64_t units = p.n_q * p.n_head;
    ExecContext& ctx = s.context();
    parallel_for(ctx, units, [&](int64_t u) {  // u = query * n_head + head
        const int64_t q = u / p.n_head, h = u % p.n_head;
        const float* qv = p.q + q * p.q_stride + h * p.hd;
        const float* mask = p.mask ? p.mask + q * p.n_kv : nullptr;
        float* sc = p.scores + u * p.n_kv;
        for (int64_t j = 0; j < p.n_kv; ++j) sc[j] = dot(qv, p.k + j * p.k_stride + h * p.hd, p.hd) * scale + (mask ? mask[j] : 0.0f);
    });
    Tensor sc = f32_view(p.scores, p.n_kv, units, p.n_kv);
    ATELIER_TRY(s.run(OpCall{Op::Softmax, SoftmaxArgs{&sc, &sc, 1.0f}}));
    parallel_for(ctx, units, [&](int64_t u) {
        const int64_t q = u / p.n_head, h = u % p.n_head;
        const float* pr = p.scores + u * p.n_kv;
        float* out = p.out + q * p.out_stride + h * p.hd;
        for (int64_t dd = 0; dd < p.hd; ++dd) out[dd] = dot(pr, p.vt + (h * p.hd + dd) * p.vt_stride, p.n_kv);
    });
    for (const KeepHead& k : p.keep)
        for (int64_t r = 0; r < k.n_rows; ++r)
            std::memcpy(k.dst + r * p.n_kv, p.scores + ((k.row0 + r) * p.n_head + k.head) * p.n_kv,
                        static_cast<size_t>(p.n_kv) * sizeof(float));
    return ok_status();
}

}  // namespace

Status matmul_rows(Session& s, const Tensor& w, const float* x, int64_t m, float* y, const Tensor* bias) {
    const int64_t k = w.ne[0], n = w.ne[1];
    Tensor xt = f32_view(const_cast<float*>(x), k, m, k);
    Tensor yt = f32_view(y, n, m, n);
    ATELIER_TRY(s.run(OpCall{Op::MatMul, MatMulArgs{&w, &xt, &yt}}));
    if (bias) {
        const float* b = static_cast<const float*>(bias->data);
        parallel_for(s.context(), m, [&](int64_t r) {
            float* yr = y + r * n;
            for (int64_t i = 0; i < n; ++i) yr[i] += b[i];
        });
    }
    return ok_status();
}

Status gelu_rows(Session& s, float* x, int64_t n) {
    Tensor t = f32_view(x, n, 1, n);
    return s.run(OpCall{Op::Gelu, GeluArgs{&t, &t, GeluApprox::Erf}});
}

Status attention(Session& s, const AttnProblem& p) {
    if (p.n_q <= kSmallQueries) return attention_small(s, p);
    const float scale = 1.0f / std::sqrt(static_cast<float>(p.hd));
    Tensor mask;
    if (p.mask) mask = f32_view(const_cast<float*>(p.mask), p.n_kv, p.n_q, p.n_kv);
    for (int64_t h = 0; h < p.n_head; ++h) {
        const Tensor kh = f32_view(const_cast<float*>(p.k) + h * p.hd, p.hd, p.n_kv, p.k_stride);
        const Tensor qh = f32_view(const_cast<float*>(p.q) + h * p.hd, p.hd, p.n_q, p.q_stride);
        Tensor sc = f32_view(p.scores, p.n_kv, p.n_q, p.n_kv);
        ATELIER_TRY(s.run(OpCall{Op::MatMul, MatMulArgs{&kh, &qh, &sc}}));
        SoftmaxArgs sm{&sc, &sc, scale};
        if (p.mask) sm.mask = &mask;
        ATELIER_TRY(s.run(OpCall{Op::Softmax, sm}));
        for (const KeepHead& k : p.keep)
            if (k.head == h)
                std::memcpy(k.dst, p.scores + k.row0 * p.n_kv, static_cast<size_t>(k.n_rows * p.n_kv) * sizeof(float));
        const Tensor vh = f32_view(const_cast<float*>(p.vt) + h * p.hd * p.vt_stride, p.n_kv, p.hd, p.vt_stride);
        Tensor oh = f32_view(p.out + h * p.hd, p.hd, p.n_q, p.out_stride);
        ATELIER_TRY(s.run(OpCall{Op::MatMul, MatMulArgs{&vh, &sc, &oh}}));
    }
    return ok_status();
}

void transpose_into(const float* src, int64_t n, int64_t cols, int64_t ld, float* dst, int64_t dst_stride, int64_t c0) {
    constexpr int64_t kB = 32;
    for (int64_t r0 = 0; r0 < n; r0 += kB)
        for (int64_t j0 = 0; j0 < cols; j0 += kB)
            for (int64_t j = j0; j < std::min(cols, j0 + kB); ++j)
                for (int64_t r = r0; r < std::min(n, r0 + kB); ++r) dst[j * dst_stride + c0 + r] = src[r * ld + j];
}

}  // namespace atelier::infer::whisper
