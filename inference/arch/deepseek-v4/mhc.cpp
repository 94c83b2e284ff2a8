// DeepSeek V4 manifold-constrained hyper-connections (deepseek-v4.md §3.2, §3.7): the pre-step
// (mixes = (φ·x̄)·rsqrt(mean x̄² + eps), pre/post gates, 20 Sinkhorn rounds on the 4x4 comb), the
// post-step that replaces the residual add, and the head collapse. All mixing maths is fp32 as in
// the reference; the projection φ·x̄ runs through Session MatMul. In released numerics the
// collapsed sublayer input is rounded to bf16 (the streams are bf16 in the reference).
// Thread-safety: one thread per Ctx; work is split over the session's pool by token.
// GCC 12's AVX-512 headers trip -Wuninitialized on their own _mm512_undefined_* (PR 105593).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "inference/arch/deepseek-v4/v4.h"
#include "inference/cpu-features.h"

namespace atelier::infer::v4 {
namespace {

constexpr int kSlotMixes = 1;
constexpr int64_t kTokensPerTask = 8;

inline float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

// ---- the per-token loops, portable and AVX-512 (picked once from cpuid) ----
// Decode runs them on the calling thread for one token (16,384 stream values per step), so the
// scalar double arithmetic showed: ~1 ms of a 20 ms token over the 8 steps. The vector forms do
// the same fp32 products and double sums per element; only sum_squares adds in another order.

double sum_squares_generic(const float* x, int64_t n) {
    double ss = 0;
    for (int64_t i = 0; i < n; ++i) ss += static_cast<double>(x[i]) * x[i];
    return ss;
}
// y[e] = Σ_i pre_i·x[i][e] for e in [e0, d): fp32 products summed in double in stream order,
// rounded once (the vector forms finish their tail here).
void collapse_sum_from(const float* x, const float* pre, int64_t hc, int64_t d, float* y, int64_t e0) {
    for (int64_t e = e0; e < d; ++e) {
        double acc = 0;
        for (int64_t i = 0; i < hc; ++i) acc += static_cast<double>(pre[i] * x[i * d + e]);
        y[e] = static_cast<float>(acc);
    }
}
void collapse_sum_generic(const float* x, const float* pre, int64_t hc, int64_t d, float* y) {
    collapse_sum_from(x, pre, hc, d, y, 0);
}
// out[k][e] = post_k·f[e] + Σ_j comb[j][k]·r[j][e] for e in [e0, d) (fp32 products, double sum,
// fp32 add).
void post_mix_from(float* out, const float* r, const float* f, const float* post, const float* comb, int64_t hc,
                   int64_t d, int64_t e0) {
    for (int64_t k = 0; k < hc; ++k)
        for (int64_t e = e0; e < d; ++e) {
            double acc = 0;
            for (int64_t j = 0; j < hc; ++j) acc += static_cast<double>(comb[j * hc + k] * r[j * d + e]);
            out[k * d + e] = post[k] * f[e] + static_cast<float>(acc);
        }
}
void post_mix_generic(float* out, const float* r, const float* f, const float* post, const float* comb, int64_t hc,
                      int64_t d) {
    post_mix_from(out, r, f, post, comb, hc, d, 0);
}

#define ATELIER_MHC_AVX512 __attribute__((target("avx512f")))
ATELIER_MHC_AVX512 inline __m512d lo_pd(__m512 v) { return _mm512_cvtps_pd(_mm512_castps512_ps256(v)); }
ATELIER_MHC_AVX512 inline __m512d hi_pd(__m512 v) {
    return _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
}
ATELIER_MHC_AVX512 inline __m512 join_ps(__m512d lo, __m512d hi) {
    const __m256 l = _mm512_cvtpd_ps(lo), h = _mm512_cvtpd_ps(hi);
    return _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castps_pd(_mm512_castps256_ps512(l)), _mm256_castps_pd(h), 1));
}
ATELIER_MHC_AVX512 double sum_squares_avx512(const float* x, int64_t n) {
    __m512d a = _mm512_setzero_pd(), b = _mm512_setzero_pd();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512 v = _mm512_loadu_ps(x + i);
        const __m512d l = lo_pd(v), h = hi_pd(v);
        a = _mm512_fmadd_pd(l, l, a);  // the double product of two floats is exact: fma == mul + add
        b = _mm512_fmadd_pd(h, h, b);
    }
    double ss = _mm512_reduce_add_pd(_mm512_add_pd(a, b));
    for (; i < n; ++i) ss += static_cast<double>(x[i]) * x[i];
    return ss;
}
ATELIER_MHC_AVX512 void collapse_sum_avx512(const float* x, const float* pre, int64_t hc, int64_t d, float* y) {
    int64_t e = 0;
    for (; e + 16 <= d; e += 16) {
        __m512d lo = _mm512_setzero_pd(), hi = _mm512_setzero_pd();
        for (int64_t i = 0; i < hc; ++i) {
            const __m512 p = _mm512_mul_ps(_mm512_set1_ps(pre[i]), _mm512_loadu_ps(x + i * d + e));
            lo = _mm512_add_pd(lo, lo_pd(p));
            hi = _mm512_add_pd(hi, hi_pd(p));
        }
        _mm512_storeu_ps(y + e, join_ps(lo, hi));
    }
    collapse_sum_from(x, pre, hc, d, y, e);
}
ATELIER_MHC_AVX512 void post_mix_avx512(float* out, const float* r, const float* f, const float* post, const float* comb,
                                        int64_t hc, int64_t d) {
    const int64_t d16 = d / 16 * 16;
    for (int64_t k = 0; k < hc; ++k) {
        const __m512 pk = _mm512_set1_ps(post[k]);
        for (int64_t e = 0; e < d16; e += 16) {
            __m512d lo = _mm512_setzero_pd(), hi = _mm512_setzero_pd();
            for (int64_t j = 0; j < hc; ++j) {
                const __m512 p = _mm512_mul_ps(_mm512_set1_ps(comb[j * hc + k]), _mm512_loadu_ps(r + j * d + e));
                lo = _mm512_add_pd(lo, lo_pd(p));
                hi = _mm512_add_pd(hi, hi_pd(p));
            }
            // post·f rounded before the add, as the scalar form: GCC would fuse mul + add here
            // (-ffp-contract=fast is its default and these intrinsics are plain vector operators)
            __m512 pf = _mm512_mul_ps(pk, _mm512_loadu_ps(f + e));
            __asm__("" : "+v"(pf));
            _mm512_storeu_ps(out + k * d + e, _mm512_add_ps(pf, join_ps(lo, hi)));
        }
    }
    post_mix_from(out, r, f, post, comb, hc, d, d16);
}
#undef ATELIER_MHC_AVX512

struct MhcKernels {
    double (*sum_squares)(const float*, int64_t);
    void (*collapse_sum)(const float*, const float*, int64_t, int64_t, float*);
    void (*post_mix)(float*, const float*, const float*, const float*, const float*, int64_t, int64_t);
};
const MhcKernels& mhc_kernels() {
    static const MhcKernels k = cpu_features().avx512f
                                    ? MhcKernels{sum_squares_avx512, collapse_sum_avx512, post_mix_avx512}
                                    : MhcKernels{sum_squares_generic, collapse_sum_generic, post_mix_generic};
    return k;
}

// rsqrt(mean(x²) + eps) over n values, in the reference's arithmetic: the sum of squares
// accumulated in double and rounded to fp32, then fp32 division, + eps and rsqrt.
float rms_scale(const float* x, int64_t n, float eps) {
    const double ss = mhc_kernels().sum_squares(x, n);
    return 1.0f / std::sqrt(static_cast<float>(ss) / static_cast<float>(n) + eps);
}

// comb (hc x hc, row j = source stream, column k = destination) -> doubly stochastic.
void sinkhorn(float* comb, int64_t hc, int64_t iters, float eps) {
    float col[16];
    for (int64_t j = 0; j < hc; ++j) {  // softmax over each row, + eps
        float* r = comb + j * hc;
        float mx = r[0];
        for (int64_t k = 1; k < hc; ++k) mx = std::max(mx, r[k]);
        float sum = 0;
        for (int64_t k = 0; k < hc; ++k) sum += (r[k] = std::exp(r[k] - mx));
        for (int64_t k = 0; k < hc; ++k) r[k] = r[k] / sum + eps;
    }
    auto col_norm = [&] {
        for (int64_t k = 0; k < hc; ++k) {
            col[k] = 0;
            for (int64_t j = 0; j < hc; ++j) col[k] += comb[j * hc + k];
        }
        for (int64_t j = 0; j < hc; ++j)
            for (int64_t k = 0; k < hc; ++k) comb[j * hc + k] /= col[k] + eps;
    };
    col_norm();
    for (int64_t it = 1; it < iters; ++it) {
        for (int64_t j = 0; j < hc; ++j) {
            float* r = comb + j * hc;
            float sum = 0;
            for (int64_t k = 0; k < hc; ++k) sum += r[k];
            for (int64_t k = 0; k < hc; ++k) r[k] /= sum + eps;
        }
        col_norm();
    }
}

// mixes [T][n_mix] = fn · streams (fp32), into the workspace (or `local`).
Result<float*> project(Ctx& c, const Tensor& fn, std::span<const float> streams, int64_t T, std::vector<float>& local) {
    const int64_t K = fn.ne[0], n_mix = fn.ne[1];
    if (static_cast<int64_t>(streams.size()) < T * K)
        return make_error(ErrorCode::InvalidArgument, "v4 mHC: streams hold fewer than T*hc*dim values", "report this bug");
    float* mixes = nullptr;
    if (c.ws) {
        mixes = c.ws->f32(kSlotMixes, static_cast<size_t>(T * n_mix)).data();
    } else {
        local.resize(static_cast<size_t>(T * n_mix));
        mixes = local.data();
    }
    ATELIER_TRY(matmul_raw(c, Linear{.w = &fn}, streams.data(), T, mixes));
    return mixes;
}

// y[t] = Σ_i pre_i·X_i (fp32 products summed in double, rounded once, as the reference's sum),
// rounded to bf16 in released numerics. A different summation flips bf16 roundings, and on a
// random model one flip in the attention input moves the layer output by ~1%.
void collapse(const float* x, const float* pre, int64_t hc, int64_t d, bool bf16, float* y) {
    mhc_kernels().collapse_sum(x, pre, hc, d, y);
    if (bf16) round_bf16({y, static_cast<size_t>(d)});
}

}  // namespace

Status mhc_pre(Ctx& c, const Mhc& h, std::span<const float> streams, int64_t T, std::span<float> y,
               std::span<float> post, std::span<float> comb) {
    const Config& cfg = c.cfg;
    const int64_t hc = cfg.hc_mult, d = cfg.dim, n_mix = (2 + hc) * hc;
    if (static_cast<int64_t>(y.size()) < T * d || static_cast<int64_t>(post.size()) < T * hc ||
        static_cast<int64_t>(comb.size()) < T * hc * hc || h.fn->ne[1] != n_mix)
        return make_error(ErrorCode::InvalidArgument, "v4 mhc_pre: output spans too small", "report this bug");
    std::vector<float> local;
    ATELIER_TRY_ASSIGN(float* mixes, project(c, *h.fn, streams, T, local));
    const float* s = static_cast<const float*>(h.scale->data);
    const float* b = static_cast<const float*>(h.base->data);
    const bool bf16 = c.numerics == Numerics::Released;
    auto token = [&](int64_t t) {
        const float* x = streams.data() + t * hc * d;
        float* m = mixes + t * n_mix;
        const float r = rms_scale(x, hc * d, cfg.norm_eps);
        for (int64_t i = 0; i < n_mix; ++i) m[i] *= r;
        float pre[16];
        for (int64_t i = 0; i < hc; ++i) {
            pre[i] = sigmoid(m[i] * s[0] + b[i]) + cfg.hc_eps;
            post[static_cast<size_t>(t * hc + i)] = 2.0f * sigmoid(m[hc + i] * s[1] + b[hc + i]);
        }
        float* cm = comb.data() + t * hc * hc;
        for (int64_t i = 0; i < hc * hc; ++i) cm[i] = m[2 * hc + i] * s[2] + b[2 * hc + i];
        sinkhorn(cm, hc, cfg.hc_sinkhorn_iters, cfg.hc_eps);
        collapse(x, pre, hc, d, bf16, y.data() + t * d);
    };
    const int64_t tasks = (T + kTokensPerTask - 1) / kTokensPerTask;
    parallel_for(c.session.context(), tasks, [&](int64_t k) {
        for (int64_t t = k * kTokensPerTask; t < std::min(T, (k + 1) * kTokensPerTask); ++t) token(t);
    });
    return ok_status();
}

void mhc_post(const Config& cfg, std::span<float> streams, std::span<const float> f, std::span<const float> post,
              std::span<const float> comb, int64_t T) {
    const int64_t hc = cfg.hc_mult, d = cfg.dim;
    thread_local std::vector<float> r;  // one token's streams before the update
    r.resize(static_cast<size_t>(hc * d));
    for (int64_t t = 0; t < T; ++t) {
        float* x = streams.data() + t * hc * d;
        std::copy(x, x + hc * d, r.begin());
        mhc_kernels().post_mix(x, r.data(), f.data() + t * d, post.data() + t * hc, comb.data() + t * hc * hc, hc, d);
    }
}

Status mhc_head(Ctx& c, const Weights& w, std::span<const float> streams, int64_t T, std::span<float> y) {
    const Config& cfg = c.cfg;
    const int64_t hc = cfg.hc_mult, d = cfg.dim;
    if (static_cast<int64_t>(y.size()) < T * d)
        return make_error(ErrorCode::InvalidArgument, "v4 mhc_head: output span too small", "report this bug");
    std::vector<float> local;
    ATELIER_TRY_ASSIGN(float* mixes, project(c, *w.hc_head_fn, streams, T, local));
    const float s = static_cast<const float*>(w.hc_head_scale->data)[0];
    const float* b = static_cast<const float*>(w.hc_head_base->data);
    const bool bf16 = c.numerics == Numerics::Released;
    parallel_for(c.session.context(), T, [&](int64_t t) {
        const float* x = streams.data() + t * hc * d;
        const float r = rms_scale(x, hc * d, cfg.norm_eps);
        float pre[16];
        for (int64_t i = 0; i < hc; ++i) pre[i] = sigmoid(mixes[t * hc + i] * r * s + b[i]) + cfg.hc_eps;
        collapse(x, pre, hc, d, bf16, y.data() + t * d);
    });
    return ok_status();
}

}  // namespace atelier::infer::v4

namespace atelier::infer::v4 {

Status rms_norm_rows(Ctx& c, float* x, int64_t width, int64_t rows, const Tensor* w) {
    if (w && (w->ne[0] != width || (w->type != DType::F32 && w->type != DType::BF16)))
        return make_error(ErrorCode::InvalidArgument, "v4 rms_norm_rows: weight " + w->name + " does not fit width " +
                                                          std::to_string(width), "report this bug");
    const bool bf16 = w && w->type == DType::BF16;
    parallel_for(c.session.context(), rows, [&](int64_t r) {
        float* v = x + r * width;
        const float s = rms_scale(v, width, c.cfg.norm_eps);
        for (int64_t i = 0; i < width; ++i) {
            float wi = 1.0f;
            if (bf16) {
                const uint32_t u = static_cast<uint32_t>(static_cast<const uint16_t*>(w->data)[i]) << 16;
                std::memcpy(&wi, &u, 4);
            } else if (w) {
                wi = static_cast<const float*>(w->data)[i];
            }
            v[i] = wi * (v[i] * s);  // (x·r)·w, each product rounded to fp32
        }
    });
    return ok_status();
}

}  // namespace atelier::infer::v4
