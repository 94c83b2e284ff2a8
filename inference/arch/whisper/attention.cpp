// Whisper's op helpers: matmul with bias, GELU, and multi-head attention built from the engine's
// MatMul and Softmax ops (one product pair per head: scores = K_h·q_h, out = V_h^T·p), so the
// encoder's 1500x1500 products take the packed GEMM and a decode step takes the matvec paths.
// Thread-safety: called from the Session's thread; the ops split work over its pool.
#include <cmath>
#include <cstring>

#include "inference/arch/whisper/whisper-internal.h"

namespace atelier::infer::whisper {

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
