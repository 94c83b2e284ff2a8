// FP4 expert products with fp32 products and sums, for released numerics on few tokens per expert
// (decode, sparse prefill). The MatMul op's fast path for FP4/MXFP4 below 16 columns quantises the
// activations to int8 per 32, which DeepSeek's kernels do not do: their FP4 GEMM multiplies the
// FP8-quantised activations exactly. Those int8 roundings made decode drift from prefill by more
// than the reference's own difference (cosine 0.97 vs 0.99 on the tiny model), so this path
// decodes each weight row to f32 once (E2M1 × UE8M0 is exact in f32) and dots it with every
// column in fp32: every product is exact and only the summation order differs from the GEMM path.
// Vector code (AVX-512 / AVX2+FMA / portable) is picked once from cpuid; every function has
// internal linkage and its own target attribute, so this file needs no ISA flags.
// Thread-safety: one thread per Ctx; rows are split over the session's pool.
#include <immintrin.h>

#include <cstring>
#include <vector>

#include "inference/arch/deepseek-v4/v4.h"
#include "inference/cpu-features.h"
#include "inference/quant-blocks.h"

namespace atelier::infer::v4 {
namespace {

constexpr int64_t kRowsPerTask = 16;
alignas(64) constexpr float kE2M1[16] = {0.0f,  0.5f,  1.0f,  1.5f,  2.0f,  3.0f,  4.0f,  6.0f,
                                         -0.0f, -0.5f, -1.0f, -1.5f, -2.0f, -3.0f, -4.0f, -6.0f};

inline float e8m0(uint8_t e) {  // 2^(e-127); e = 0 is 2^-127 (a subnormal), as the other kernels
    const uint32_t bits = e == 0 ? 0x00400000u : static_cast<uint32_t>(e) << 23;
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

// 32 codes of one block in element order, from FP4_E2M1 packing (byte j: elements 2j, 2j+1) or
// MXFP4 packing (byte j: elements j, j+16).
inline void block_codes(const uint8_t* q, bool mx, uint8_t* codes) {
    for (int j = 0; j < 16; ++j) {
        if (mx) {
            codes[j] = q[j] & 15;
            codes[j + 16] = q[j] >> 4;
        } else {
            codes[2 * j] = q[j] & 15;
            codes[2 * j + 1] = q[j] >> 4;
        }
    }
}

struct Kernels {
    void (*decode)(const uint8_t* codes, float scale, float* out);  // 32 values
    float (*dot)(const float* a, const float* b, int64_t n);
};

// ---- portable ----
void decode_ref(const uint8_t* codes, float scale, float* out) {
    for (int i = 0; i < 32; ++i) out[i] = kE2M1[codes[i]] * scale;
}
float dot_ref(const float* a, const float* b, int64_t n) {
    float s[4] = {0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 4 <= n; i += 4)
        for (int k = 0; k < 4; ++k) s[k] += a[i + k] * b[i + k];
    for (; i < n; ++i) s[0] += a[i] * b[i];
    return (s[0] + s[1]) + (s[2] + s[3]);
}

// ---- AVX2 + FMA ----
__attribute__((target("avx2,fma"))) void decode_avx2(const uint8_t* codes, float scale, float* out) {
    const __m256 mag = _mm256_loadu_ps(kE2M1);  // entries 0..7: the magnitudes
    const __m256 s = _mm256_set1_ps(scale);
    for (int i = 0; i < 32; i += 8) {
        const __m256i c = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(codes + i)));
        const __m256 m = _mm256_permutevar8x32_ps(mag, c);  // uses c & 7
        const __m256 sign = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_and_si256(c, _mm256_set1_epi32(8)), 28));
        _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_xor_ps(m, sign), s));
    }
}
__attribute__((target("avx2,fma"))) float dot_avx2(const float* a, const float* b, int64_t n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
        s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), s2);
        s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), s3);
    }
    const __m256 v = _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3));
    const __m128 h = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    const __m128 q = _mm_add_ps(h, _mm_movehl_ps(h, h));
    float r = _mm_cvtss_f32(_mm_add_ss(q, _mm_shuffle_ps(q, q, 1)));
    for (; i < n; ++i) r += a[i] * b[i];
    return r;
}

// ---- AVX-512 ----
__attribute__((target("avx512f"))) void decode_avx512(const uint8_t* codes, float scale, float* out) {
    const __m512 table = _mm512_loadu_ps(kE2M1);
    const __m512 s = _mm512_set1_ps(scale);
    for (int i = 0; i < 32; i += 16) {
        const __m512i c = _mm512_maskz_cvtepu8_epi32(0xFFFF, _mm_loadu_si128(reinterpret_cast<const __m128i*>(codes + i)));  // masked: GCC PR 105593
        _mm512_storeu_ps(out + i, _mm512_mul_ps(_mm512_mask_permutexvar_ps(table, 0xFFFF, c, table), s));
    }
}
__attribute__((target("avx512f"))) float dot_avx512(const float* a, const float* b, int64_t n) {
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps(), s2 = _mm512_setzero_ps(), s3 = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 64 <= n; i += 64) {
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
        s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), s1);
        s2 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 32), _mm512_loadu_ps(b + i + 32), s2);
        s3 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 48), _mm512_loadu_ps(b + i + 48), s3);
    }
    // (not _mm512_reduce_add_ps: GCC 12's header trips -Wuninitialized, GCC PR 105593)
    alignas(64) float lanes[16];
    _mm512_store_ps(lanes, _mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
    float r = 0;
    for (int j = 0; j < 16; j += 2) r += lanes[j] + lanes[j + 1];
    for (; i < n; ++i) r += a[i] * b[i];
    return r;
}

const Kernels& kernels() {
    static const Kernels k = [] {
        const CpuFeatures& f = cpu_features();
        if (f.avx512f) return Kernels{decode_avx512, dot_avx512};
        if (f.avx2 && f.fma) return Kernels{decode_avx2, dot_avx2};
        return Kernels{decode_ref, dot_ref};
    }();
    return k;
}

}  // namespace

bool fp4_exact_supports(const Linear& l) {
    if (!l.w || l.in() % 32 != 0) return false;
    if (l.w->type == DType::MXFP4) return true;
    return l.w->type == DType::FP4_E2M1 && l.scale && l.scale_block_k == 32 && l.scale_block_n == 1;
}

Status fp4_matmul_f32(Ctx& c, const Linear& l, const float* x, int64_t M, float* y) {
    if (!fp4_exact_supports(l))
        return make_error(ErrorCode::Internal, "v4 fp4_matmul_f32: not an FP4 weight with per-32 scales", "report this bug");
    const Kernels& k = kernels();
    const int64_t K = l.in(), N = l.out(), nb = K / 32;
    const bool mx = l.w->type == DType::MXFP4;
    const int64_t tasks = (N + kRowsPerTask - 1) / kRowsPerTask;
    parallel_for(c.session.context(), tasks, [&](int64_t t) {
        thread_local std::vector<float> row;
        row.resize(static_cast<size_t>(K));
        uint8_t codes[32];
        for (int64_t n = t * kRowsPerTask; n < std::min(N, (t + 1) * kRowsPerTask); ++n) {
            const auto* w = static_cast<const uint8_t*>(l.w->data) + n * l.w->nb[1];
            const auto* s = mx ? nullptr : static_cast<const uint8_t*>(l.scale->data) + n * l.scale->nb[1];
            for (int64_t b = 0; b < nb; ++b) {
                const uint8_t* q = mx ? w + b * static_cast<int64_t>(sizeof(BlockMxfp4)) + 1 : w + b * 16;
                block_codes(q, mx, codes);
                k.decode(codes, e8m0(mx ? q[-1] : s[b]), row.data() + b * 32);
            }
            for (int64_t m = 0; m < M; ++m) y[m * N + n] = k.dot(row.data(), x + m * K, K);
        }
    });
    return ok_status();
}

}  // namespace atelier::infer::v4
