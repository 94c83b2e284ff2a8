// Vector kernels of the V4 attention loops: dot product and update over one key, rescaling, and
// the indexer's ReLU-weighted head sum, in AVX-512, AVX2+FMA and portable versions picked once
// from cpuid (cpu_features(), never from build flags). Each function carries its own target
// attribute, so the files that include this header need no ISA flags; every function here has
// internal linkage (anonymous namespace), so no ISA-specific copy can be shared with other objects.
// Thread-safety: pure functions; vec_kernels() is initialised once (thread-safe static).
#pragma once

#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "inference/amx-tiles.h"
#include "inference/cpu-features.h"
#include "inference/quant/float-convert.h"

namespace atelier::infer::v4::attn {
namespace {

struct VecKernels {
    float (*dot)(const float* a, const float* b, int64_t n);
    void (*axpy)(float* y, float a, const float* x, int64_t n);  // y += a·x
    void (*scale)(float* y, float a, int64_t n);                 // y *= a
    // s[h·ss + j] = q_h·k_j for nh heads (rows of D at q) and nk keys.
    void (*qk)(const float* q, int nh, const float* const* k, int64_t nk, int64_t D, float* s, int64_t ss);
    // acc_h += Σ_j p[h·ps + j]·k_j (acc rows of D).
    void (*pv)(float* acc, int nh, const float* p, int64_t ps, const float* const* k, int64_t nk, int64_t D);
    // out += max(row, 0)·w; the bf16 form rounds row and each product to bf16 first (released).
    void (*relu_acc)(float* out, const float* row, float w, int64_t n);
    void (*relu_acc_bf16)(float* out, const float* row, float w, int64_t n);
    // qk and pv for 4 heads (D % 64 == 0) whose q, keys and p are bf16 values held in f32, as in
    // released numerics: vdpbf16ps, products exact, fp32 sums (two products a step, denormal
    // inputs and results flushed to zero). Null where the CPU lacks AVX-512 BF16.
    void (*qk_bf16)(const float* q, const float* const* k, int64_t nk, int64_t D, float* s, int64_t ss) = nullptr;
    void (*pv_bf16)(float* acc, const float* p, int64_t ps, const float* const* k, int64_t nk, int64_t D) = nullptr;
    // The lightning indexer's scores of nb blocks of 16 keys against one query (released
    // numerics; nh % 8 == 0, the caller pads with zero heads): keys as index_pack_keys lays them out, q as bf16 pairs
    // [head][dim pair]; out[16·nb] = bf16(Σ_h bf16(relu(bf16(q_h·k))·w_h)), heads summed in
    // order: relu_acc_bf16 over q·k rows, without the rows. Null where the CPU lacks AVX-512 BF16.
    void (*index_scores_bf16)(const uint32_t* qp, const float* w, int nh, int64_t n_pairs, const uint16_t* kb,
                              int64_t nb, float* out) = nullptr;
    // The same scores on AMX tiles (nh % 16 == 0, n_pairs % 16 == 0): TDPBF16PS on 16 heads x 16
    // keys x 32 dims a step, then the same epilogue, head by head in order. Exact products and fp32
    // sums, so the same bits wherever index_scores_bf16's sums are exact (the released indexer's
    // FP4 values); elsewhere only the summation order differs. ~5x index_scores_bf16 on the Xeon
    // of docs/PERFORMANCE.md's machine B (a tile product does 30x the multiply-adds of vdpbf16ps
    // per second there). Null where amx_enabled() is false.
    void (*index_scores_amx)(const uint32_t* qp, const float* w, int nh, int64_t n_pairs, const uint16_t* kb,
                             int64_t nb, float* out) = nullptr;
    // qk_bf16 and pv_bf16 on keys converted once (pack_keys_bf16): `rows` [nk][D] bf16 and `pairs`
    // [ceil(nk/2)][D] of (k_j[d], k_j+1[d]) bf16 pairs, an odd last key paired with itself. The same
    // operations on the same values as qk_bf16 / pv_bf16, so the same bits; for decode, where the 16
    // head groups of a token would otherwise convert every key 16 times.
    void (*qk_bf16_rows)(const float* q, const uint16_t* rows, int64_t nk, int64_t D, float* s, int64_t ss) = nullptr;
    void (*pv_bf16_pairs)(float* acc, const float* p, int64_t ps, const uint32_t* pairs, int64_t nk, int64_t D) = nullptr;
    // Keys k[0..n) (bf16 values in f32, D % 32 == 0) into rows + pairs, pairs counted from k[0].
    void (*pack_keys_bf16)(const float* const* k, int64_t n, int64_t D, uint16_t* rows, uint32_t* pairs) = nullptr;
    // Decode attention of 16 heads on AMX tiles, on packed keys (released numerics, D % 64 == 0).
    // qk_amx16: sT[64][16] = the 64 keys of `rows` from its start against the 16 queries qT, held as
    // bf16 pairs [D/2][16 heads]; all 64 rows are read (the caller keeps them readable: scores of
    // keys past its block are garbage it ignores). Exact products, fp32 sums in the tile's order (not
    // qk_bf16_rows' lane order, so not its bits). pv_amx16: acc[16][D] += P·keys for nk <= 64 keys,
    // P as bf16 [16 heads][64] with zeros from nk on; pairs are read to the 32-key boundary past nk
    // (finite values the caller keeps readable, met by p = 0). Per (head, dim) the same key-pair
    // steps in the same order as pv_bf16_pairs. Null where amx_enabled() is false.
    void (*qk_amx16)(const uint32_t* qT, const uint16_t* rows, int64_t D, float* sT) = nullptr;
    void (*pv_amx16)(float* acc, const uint16_t* pb, const uint32_t* pairs, int64_t nk, int64_t D) = nullptr;
};

// The indexer's bf16 key layout: blocks of 16 keys, each [dim pair][key][2] bf16 (so one 512-bit
// load holds one dim pair of 16 keys, the operand vdpbf16ps pairs with a query's broadcast pair).
constexpr int64_t kIndexKeyBlock = 16;
// Key `e` (hd values, bf16 values held in f32) into its block and lane of `packed`.
inline void index_pack_key(uint16_t* packed, int64_t e, const float* key, int64_t hd) {
    uint16_t* blk = packed + (e / kIndexKeyBlock) * kIndexKeyBlock * hd + (e % kIndexKeyBlock) * 2;
    for (int64_t p = 0; p < hd / 2; ++p) {
        blk[p * 2 * kIndexKeyBlock] = f32_to_bf16(key[2 * p]);
        blk[p * 2 * kIndexKeyBlock + 1] = f32_to_bf16(key[2 * p + 1]);
    }
}

inline float bf16_scalar(float x) {  // ties to even; inputs here are finite
    uint32_t u;
    std::memcpy(&u, &x, 4);
    u = (u + 0x7FFFu + ((u >> 16) & 1u)) & 0xFFFF0000u;
    std::memcpy(&x, &u, 4);
    return x;
}

// ---- portable ----
float dot_generic(const float* a, const float* b, int64_t n) {
    float s[8] = {};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; ++j) s[j] += a[i + j] * b[i + j];
    float r = ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
    for (; i < n; ++i) r += a[i] * b[i];
    return r;
}
void axpy_generic(float* y, float a, const float* x, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}
void scale_generic(float* y, float a, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] *= a;
}
void relu_acc_generic(float* out, const float* row, float w, int64_t n) {
    for (int64_t i = 0; i < n; ++i) out[i] += (row[i] > 0.0f ? row[i] : 0.0f) * w;
}
void relu_acc_bf16_generic(float* out, const float* row, float w, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
        const float r = bf16_scalar(row[i]);
        out[i] += bf16_scalar((r > 0.0f ? r : 0.0f) * w);
    }
}

// Head-by-head forms over any dot / axpy (the blocked AVX-512 ones below fall back to these).
template <float (*Dot)(const float*, const float*, int64_t)>
void qk_loop(const float* q, int nh, const float* const* k, int64_t nk, int64_t D, float* s, int64_t ss) {
    for (int h = 0; h < nh; ++h)
        for (int64_t j = 0; j < nk; ++j) s[h * ss + j] = Dot(q + h * D, k[j], D);
}
template <void (*Axpy)(float*, float, const float*, int64_t)>
void pv_loop(float* acc, int nh, const float* p, int64_t ps, const float* const* k, int64_t nk, int64_t D) {
    for (int h = 0; h < nh; ++h)
        for (int64_t j = 0; j < nk; ++j) Axpy(acc + h * D, p[h * ps + j], k[j], D);
}

// ---- AVX2 + FMA ----
#define ATELIER_V4_AVX2 __attribute__((target("avx2,fma")))
ATELIER_V4_AVX2 inline __m256 bf16_avx2(__m256 v) {
    const __m256i u = _mm256_castps_si256(v);
    const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
    const __m256i r = _mm256_add_epi32(_mm256_add_epi32(u, _mm256_set1_epi32(0x7FFF)), lsb);
    return _mm256_castsi256_ps(_mm256_and_si256(r, _mm256_set1_epi32(static_cast<int>(0xFFFF0000u))));
}
ATELIER_V4_AVX2 float dot_avx2(const float* a, const float* b, int64_t n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
    }
    const __m256 s = _mm256_add_ps(s0, s1);
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    h = _mm_add_ss(h, _mm_shuffle_ps(h, h, 1));
    float r = _mm_cvtss_f32(h);
    for (; i < n; ++i) r += a[i] * b[i];
    return r;
}
ATELIER_V4_AVX2 void axpy_avx2(float* y, float a, const float* x, int64_t n) {
    const __m256 va = _mm256_set1_ps(a);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
    for (; i < n; ++i) y[i] += a * x[i];
}
ATELIER_V4_AVX2 void scale_avx2(float* y, float a, int64_t n) {
    const __m256 va = _mm256_set1_ps(a);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_mul_ps(va, _mm256_loadu_ps(y + i)));
    for (; i < n; ++i) y[i] *= a;
}
ATELIER_V4_AVX2 void relu_acc_avx2(float* out, const float* row, float w, int64_t n) {
    const __m256 vw = _mm256_set1_ps(w), zero = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 r = _mm256_max_ps(_mm256_loadu_ps(row + i), zero);
        _mm256_storeu_ps(out + i, _mm256_fmadd_ps(r, vw, _mm256_loadu_ps(out + i)));
    }
    relu_acc_generic(out + i, row + i, w, n - i);
}
ATELIER_V4_AVX2 void relu_acc_bf16_avx2(float* out, const float* row, float w, int64_t n) {
    const __m256 vw = _mm256_set1_ps(w), zero = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 r = _mm256_max_ps(bf16_avx2(_mm256_loadu_ps(row + i)), zero);
        _mm256_storeu_ps(out + i, _mm256_add_ps(_mm256_loadu_ps(out + i), bf16_avx2(_mm256_mul_ps(r, vw))));
    }
    relu_acc_bf16_generic(out + i, row + i, w, n - i);
}
#undef ATELIER_V4_AVX2

// ---- AVX-512 (F) ----
#define ATELIER_V4_AVX512 __attribute__((target("avx512f,fma")))
// Sum of the 16 lanes, in 512-bit shuffles only. (The masked forms with an explicit source:
// GCC 12's unmasked shuffles, extracts and _mm512_reduce_add_ps trip -Wuninitialized, PR 105593.)
ATELIER_V4_AVX512 inline float hsum_avx512(__m512 v) {
    v = _mm512_add_ps(v, _mm512_mask_shuffle_f32x4(v, 0xFFFF, v, v, 0x4E));  // 256-bit halves
    v = _mm512_add_ps(v, _mm512_mask_shuffle_f32x4(v, 0xFFFF, v, v, 0xB1));  // 128-bit lanes
    v = _mm512_add_ps(v, _mm512_mask_permute_ps(v, 0xFFFF, v, 0x4E));        // pairs
    v = _mm512_add_ps(v, _mm512_mask_permute_ps(v, 0xFFFF, v, 0xB1));        // neighbours
    return _mm512_cvtss_f32(v);
}
ATELIER_V4_AVX512 inline __m512 bf16_avx512(__m512 v) {  // bf16_avx2 on 16 lanes
    const __m512i u = _mm512_castps_si512(v);
    const __m512i lsb = _mm512_and_si512(_mm512_maskz_srli_epi32(0xFFFF, u, 16), _mm512_set1_epi32(1));
    const __m512i r = _mm512_add_epi32(_mm512_add_epi32(u, _mm512_set1_epi32(0x7FFF)), lsb);
    return _mm512_castsi512_ps(_mm512_and_si512(r, _mm512_set1_epi32(static_cast<int>(0xFFFF0000u))));
}
// max(x, 0) with NaN -> 0 (x > 0 ? x : 0, as the scalar form); masked: see hsum_avx512
ATELIER_V4_AVX512 inline __m512 relu_avx512(__m512 x) {
    return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GT_OQ), x);
}
// The indexer's per-head relu-weighted sums, 16 entries a step (the 32K-context decode scores
// 64 heads x 8K entries a CSA layer); the same per-element arithmetic as the AVX2 and scalar forms.
ATELIER_V4_AVX512 void relu_acc_avx512(float* out, const float* row, float w, int64_t n) {
    const __m512 vw = _mm512_set1_ps(w);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(out + i, _mm512_fmadd_ps(relu_avx512(_mm512_loadu_ps(row + i)), vw, _mm512_loadu_ps(out + i)));
    relu_acc_generic(out + i, row + i, w, n - i);
}
ATELIER_V4_AVX512 void relu_acc_bf16_avx512(float* out, const float* row, float w, int64_t n) {
    const __m512 vw = _mm512_set1_ps(w);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512 r = relu_avx512(bf16_avx512(_mm512_loadu_ps(row + i)));
        _mm512_storeu_ps(out + i, _mm512_add_ps(_mm512_loadu_ps(out + i), bf16_avx512(_mm512_mul_ps(r, vw))));
    }
    relu_acc_bf16_generic(out + i, row + i, w, n - i);
}
ATELIER_V4_AVX512 float dot_avx512(const float* a, const float* b, int64_t n) {
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
        s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), s1);
    }
    float r = hsum_avx512(_mm512_add_ps(s0, s1));
    for (; i < n; ++i) r += a[i] * b[i];
    return r;
}
ATELIER_V4_AVX512 void axpy_avx512(float* y, float a, const float* x, int64_t n) {
    const __m512 va = _mm512_set1_ps(a);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, _mm512_fmadd_ps(va, _mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i)));
    for (; i < n; ++i) y[i] += a * x[i];
}
ATELIER_V4_AVX512 void scale_avx512(float* y, float a, int64_t n) {
    const __m512 va = _mm512_set1_ps(a);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, _mm512_mul_ps(va, _mm512_loadu_ps(y + i)));
    for (; i < n; ++i) y[i] *= a;
}
// 4 heads x 4 keys per tile: each q and k chunk is loaded once for 4 products.
ATELIER_V4_AVX512 void qk_avx512(const float* q, int nh, const float* const* k, int64_t nk, int64_t D, float* s,
                                 int64_t ss) {
    if (nh != 4 || D % 16) return qk_loop<dot_avx512>(q, nh, k, nk, D, s, ss);
    int64_t j = 0;
    for (; j + 4 <= nk; j += 4) {
        __m512 c[4][4];  // every loop over the accumulators unrolled (see qk_bf16_avx512)
#pragma GCC unroll 4
        for (int h = 0; h < 4; ++h)
#pragma GCC unroll 4
            for (int x = 0; x < 4; ++x) c[h][x] = _mm512_setzero_ps();
        for (int64_t i = 0; i < D; i += 16) {
            const __m512 k0 = _mm512_loadu_ps(k[j] + i), k1 = _mm512_loadu_ps(k[j + 1] + i);
            const __m512 k2 = _mm512_loadu_ps(k[j + 2] + i), k3 = _mm512_loadu_ps(k[j + 3] + i);
#pragma GCC unroll 4
            for (int h = 0; h < 4; ++h) {
                const __m512 qh = _mm512_loadu_ps(q + h * D + i);
                c[h][0] = _mm512_fmadd_ps(qh, k0, c[h][0]);
                c[h][1] = _mm512_fmadd_ps(qh, k1, c[h][1]);
                c[h][2] = _mm512_fmadd_ps(qh, k2, c[h][2]);
                c[h][3] = _mm512_fmadd_ps(qh, k3, c[h][3]);
            }
        }
#pragma GCC unroll 4
        for (int h = 0; h < 4; ++h)
#pragma GCC unroll 4
            for (int x = 0; x < 4; ++x) s[h * ss + j + x] = hsum_avx512(c[h][x]);
    }
    for (; j < nk; ++j)
        for (int h = 0; h < 4; ++h) s[h * ss + j] = dot_avx512(q + h * D, k[j], D);
}
// 4 heads x 64 output dims held in registers across the keys of the block.
ATELIER_V4_AVX512 void pv_avx512(float* acc, int nh, const float* p, int64_t ps, const float* const* k, int64_t nk,
                                 int64_t D) {
    if (nh != 4 || D % 64) return pv_loop<axpy_avx512>(acc, nh, p, ps, k, nk, D);
    for (int64_t i = 0; i < D; i += 64) {
        __m512 a[4][4];  // every loop over the accumulators unrolled (see qk_bf16_avx512)
#pragma GCC unroll 4
        for (int h = 0; h < 4; ++h)
#pragma GCC unroll 4
            for (int x = 0; x < 4; ++x) a[h][x] = _mm512_loadu_ps(acc + h * D + i + 16 * x);
        for (int64_t j = 0; j < nk; ++j) {
            const float* kj = k[j] + i;
            const __m512 k0 = _mm512_loadu_ps(kj), k1 = _mm512_loadu_ps(kj + 16);
            const __m512 k2 = _mm512_loadu_ps(kj + 32), k3 = _mm512_loadu_ps(kj + 48);
#pragma GCC unroll 4
            for (int h = 0; h < 4; ++h) {
                const __m512 w = _mm512_set1_ps(p[h * ps + j]);
                a[h][0] = _mm512_fmadd_ps(w, k0, a[h][0]);
                a[h][1] = _mm512_fmadd_ps(w, k1, a[h][1]);
                a[h][2] = _mm512_fmadd_ps(w, k2, a[h][2]);
                a[h][3] = _mm512_fmadd_ps(w, k3, a[h][3]);
            }
        }
#pragma GCC unroll 4
        for (int h = 0; h < 4; ++h)
#pragma GCC unroll 4
            for (int x = 0; x < 4; ++x) _mm512_storeu_ps(acc + h * D + i + 16 * x, a[h][x]);
    }
}
#undef ATELIER_V4_AVX512

// ---- AVX-512 BF16 (released numerics: every operand a bf16 value) ----
#define ATELIER_V4_BF16 __attribute__((target("avx512f,avx512bw,avx512bf16,fma")))
// 32 f32 values that are bf16 values, as bf16 (the conversion is then exact).
ATELIER_V4_BF16 inline __m512bh bf16x32(const float* x) {
    return _mm512_cvtne2ps_pbh(_mm512_loadu_ps(x + 16), _mm512_loadu_ps(x));
}
// Key sources of the q.k and P.V tiles below. F32Keys: the cache's f32 rows (bf16 values),
// converted in the tile; PackedKeys: rows and pairs converted once (pack_keys_bf16). Both give
// the same bf16 vectors, so either source gives the same bits.
struct F32Keys {
    const float* const* k;
    __m512i inter;  // pair interleave (pv)
    const float* row(int64_t j) const { return k[j]; }
    ATELIER_V4_BF16 __m512bh dims32(const float* r, int64_t d) const { return bf16x32(r + d); }
    // 16 dims from d of keys j and j+1 (or j twice at an odd end) as (k_j[d'], k_j+1[d']) pairs
    ATELIER_V4_BF16 __m512bh pair16(int64_t j, bool has_next, int64_t d) const {
        const float* k0 = k[j] + d;
        const float* k1 = has_next ? k[j + 1] + d : k0;
        const __m512bh v = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(k1), _mm512_loadu_ps(k0));
        return (__m512bh)_mm512_permutexvar_epi16(inter, (__m512i)v);
    }
};
struct PackedKeys {
    const uint16_t* rows;  // [n][D]
    const uint32_t* pairs; // [ceil(n/2)][D]
    int64_t D;
    const uint16_t* row(int64_t j) const { return rows + j * D; }
    ATELIER_V4_BF16 __m512bh dims32(const uint16_t* r, int64_t d) const { return (__m512bh)_mm512_loadu_si512(r + d); }
    ATELIER_V4_BF16 __m512bh pair16(int64_t j, bool, int64_t d) const {
        return (__m512bh)_mm512_loadu_si512(pairs + (j / 2) * D + d);
    }
};
alignas(64) inline constexpr uint16_t kPairInterleave[32] = {0, 16, 1, 17, 2,  18, 3,  19, 4,  20, 5,  21, 6,  22, 7,  23,
                                                             8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31};

// 4 heads x 4 keys per tile, 32 dimensions a step: each key converted once for the 4 heads.
template <class Keys>
ATELIER_V4_BF16 void qk_bf16_tiles(const float* q, const Keys& keys, int64_t nk, int64_t D, float* s, int64_t ss) {
    constexpr int64_t kMaxChunks = 32;  // D <= 1024
    __m512bh qb[4][kMaxChunks];
    const int64_t nc = D / 32;
    for (int h = 0; h < 4; ++h)
        for (int64_t c = 0; c < nc; ++c) qb[h][c] = bf16x32(q + h * D + 32 * c);
    for (int64_t j = 0; j < nk; j += 4) {
        const int n = nk - j < 4 ? static_cast<int>(nk - j) : 4;
        decltype(keys.row(0)) kp[4];
        for (int x = 0; x < 4; ++x) kp[x] = keys.row(j + (x < n ? x : 0));  // a short tile repeats key j
        // (every loop over the 16 accumulators unrolled: GCC 12 otherwise kept them in memory, a
        // load and a store around each vdpbf16ps: q.k 1.5x and P.V 1.75x slower)
        __m512 c4[4][4];
#pragma GCC unroll 4
        for (int h = 0; h < 4; ++h)
#pragma GCC unroll 4
            for (int x = 0; x < 4; ++x) c4[h][x] = _mm512_setzero_ps();
        for (int64_t c = 0; c < nc; ++c) {
            const __m512bh k0 = keys.dims32(kp[0], 32 * c), k1 = keys.dims32(kp[1], 32 * c);
            const __m512bh k2 = keys.dims32(kp[2], 32 * c), k3 = keys.dims32(kp[3], 32 * c);
#pragma GCC unroll 4
            for (int h = 0; h < 4; ++h) {
                c4[h][0] = _mm512_dpbf16_ps(c4[h][0], qb[h][c], k0);
                c4[h][1] = _mm512_dpbf16_ps(c4[h][1], qb[h][c], k1);
                c4[h][2] = _mm512_dpbf16_ps(c4[h][2], qb[h][c], k2);
                c4[h][3] = _mm512_dpbf16_ps(c4[h][3], qb[h][c], k3);
            }
        }
#pragma GCC unroll 4
        for (int h = 0; h < 4; ++h)
#pragma GCC unroll 4
            for (int x = 0; x < 4; ++x)
                if (x < n) s[h * ss + j + x] = hsum_avx512(c4[h][x]);
    }
}
// 4 heads x 64 output dims in registers across the keys, taken in pairs: the two keys' values of
// 16 dims interleaved (v_j[d], v_j+1[d]) against the broadcast pair (p_j, p_j+1) of each head.
// At most 64 keys (the caller's key block); an odd last key meets p = 0 in its pair's second half.
template <class Keys>
ATELIER_V4_BF16 void pv_bf16_tiles(float* acc, const float* p, int64_t ps, const Keys& keys, int64_t nk, int64_t D) {
    constexpr int64_t kMaxKeys = 64;
    uint32_t pp[kMaxKeys / 2][4];  // per key pair and head: (p_j, p_j+1) as two bf16, built once
    for (int64_t j = 0; j < nk; j += 2)
        for (int h = 0; h < 4; ++h)
            pp[j / 2][h] = f32_to_bf16(p[h * ps + j]) | (j + 1 < nk ? uint32_t{f32_to_bf16(p[h * ps + j + 1])} << 16 : 0u);
    for (int64_t i = 0; i < D; i += 64) {
        __m512 a[4][4];  // every loop over them unrolled, as in qk_bf16_tiles
#pragma GCC unroll 4
        for (int h = 0; h < 4; ++h)
#pragma GCC unroll 4
            for (int x = 0; x < 4; ++x) a[h][x] = _mm512_loadu_ps(acc + h * D + i + 16 * x);
        for (int64_t j = 0; j < nk; j += 2) {
#pragma GCC unroll 4
            for (int x = 0; x < 4; ++x) {
                const __m512bh vi = keys.pair16(j, j + 1 < nk, i + 16 * x);
#pragma GCC unroll 4
                for (int h = 0; h < 4; ++h)
                    a[h][x] = _mm512_dpbf16_ps(a[h][x], vi, (__m512bh)_mm512_set1_epi32(static_cast<int>(pp[j / 2][h])));
            }
        }
#pragma GCC unroll 4
        for (int h = 0; h < 4; ++h)
#pragma GCC unroll 4
            for (int x = 0; x < 4; ++x) _mm512_storeu_ps(acc + h * D + i + 16 * x, a[h][x]);
    }
}
ATELIER_V4_BF16 void qk_bf16_avx512(const float* q, const float* const* k, int64_t nk, int64_t D, float* s, int64_t ss) {
    qk_bf16_tiles(q, F32Keys{k, _mm512_setzero_si512()}, nk, D, s, ss);
}
ATELIER_V4_BF16 void qk_bf16_rows_avx512(const float* q, const uint16_t* rows, int64_t nk, int64_t D, float* s, int64_t ss) {
    qk_bf16_tiles(q, PackedKeys{rows, nullptr, D}, nk, D, s, ss);
}
// Longer key lists go 64 keys a call.
ATELIER_V4_BF16 void pv_bf16_avx512(float* acc, const float* p, int64_t ps, const float* const* k, int64_t nk, int64_t D) {
    const __m512i inter = _mm512_load_si512(kPairInterleave);
    for (int64_t j0 = 0; j0 < nk; j0 += 64)
        pv_bf16_tiles(acc, p + j0, ps, F32Keys{k + j0, inter}, nk - j0 < 64 ? nk - j0 : 64, D);
}
ATELIER_V4_BF16 void pv_bf16_pairs_avx512(float* acc, const float* p, int64_t ps, const uint32_t* pairs, int64_t nk, int64_t D) {
    for (int64_t j0 = 0; j0 < nk; j0 += 64)
        pv_bf16_tiles(acc, p + j0, ps, PackedKeys{nullptr, pairs + j0 / 2 * D, D}, nk - j0 < 64 ? nk - j0 : 64, D);
}
ATELIER_V4_BF16 void pack_keys_bf16_avx512(const float* const* k, int64_t n, int64_t D, uint16_t* rows, uint32_t* pairs) {
    const F32Keys keys{k, _mm512_load_si512(kPairInterleave)};
    // The keys are cache entries picked by the indexer, scattered over the layer's cache (16 MB at
    // a 32K context): fetch two keys ahead (the first pass reads each key once from memory).
    constexpr int64_t kAhead = 2;
    for (int64_t j = 0; j < kAhead && j < n; ++j)
        for (int64_t d = 0; d < D; d += 16) _mm_prefetch(reinterpret_cast<const char*>(k[j] + d), _MM_HINT_T0);
    for (int64_t j = 0; j < n; ++j) {
        if (j + kAhead < n)
            for (int64_t d = 0; d < D; d += 16) _mm_prefetch(reinterpret_cast<const char*>(k[j + kAhead] + d), _MM_HINT_T0);
        for (int64_t d = 0; d < D; d += 32) _mm512_storeu_si512(rows + j * D + d, (__m512i)keys.dims32(k[j], d));
    }
    for (int64_t j = 0; j < n; j += 2)
        for (int64_t d = 0; d < D; d += 16) _mm512_storeu_si512(pairs + (j / 2) * D + d, (__m512i)keys.pair16(j, j + 1 < n, d));
}
// The indexer's fused scores: NB blocks of 16 keys x 8 heads in registers across the dim pairs
// (each key pair loaded once for the 8 heads, each query pair a broadcast operand), then the
// 8 heads' ReLU-weighted bf16 sums into the NB score vectors, head by head in order.
template <int NB>
ATELIER_V4_BF16 inline void index_tile_bf16(const uint32_t* qp, const float* w, int nh, int64_t np, const uint16_t* kb,
                                            float* out) {
    const int64_t bstride = np * 2 * kIndexKeyBlock;  // uint16 per block
    __m512 sc[NB];
#pragma GCC unroll 3
    for (int b = 0; b < NB; ++b) sc[b] = _mm512_setzero_ps();
    for (int h0 = 0; h0 < nh; h0 += 8) {
        __m512 a[8][NB];  // every loop over them unrolled, as in qk_bf16_avx512
#pragma GCC unroll 8
        for (int h = 0; h < 8; ++h)
#pragma GCC unroll 3
            for (int b = 0; b < NB; ++b) a[h][b] = _mm512_setzero_ps();
        const uint32_t* q = qp + h0 * np;
        for (int64_t p = 0; p < np; ++p) {
            __m512bh k[NB];
#pragma GCC unroll 3
            for (int b = 0; b < NB; ++b) k[b] = (__m512bh)_mm512_loadu_si512(kb + b * bstride + p * 2 * kIndexKeyBlock);
#pragma GCC unroll 8
            for (int h = 0; h < 8; ++h) {
                const __m512bh qb = (__m512bh)_mm512_set1_epi32(static_cast<int>(q[h * np + p]));
#pragma GCC unroll 3
                for (int b = 0; b < NB; ++b) a[h][b] = _mm512_dpbf16_ps(a[h][b], k[b], qb);
            }
        }
#pragma GCC unroll 8
        for (int h = 0; h < 8; ++h) {
            const __m512 wv = _mm512_set1_ps(w[h0 + h]);
#pragma GCC unroll 3
            for (int b = 0; b < NB; ++b) {
                const __m512 r = relu_avx512(bf16_avx512(a[h][b]));
                sc[b] = _mm512_add_ps(sc[b], bf16_avx512(_mm512_mul_ps(r, wv)));
            }
        }
    }
#pragma GCC unroll 3
    for (int b = 0; b < NB; ++b) _mm512_storeu_ps(out + 16 * b, bf16_avx512(sc[b]));
}
ATELIER_V4_BF16 void index_scores_bf16_avx512(const uint32_t* qp, const float* w, int nh, int64_t np, const uint16_t* kb,
                                              int64_t nb, float* out) {
    const int64_t bstride = np * 2 * kIndexKeyBlock;
    int64_t b = 0;
    for (; b + 3 <= nb; b += 3) index_tile_bf16<3>(qp, w, nh, np, kb + b * bstride, out + b * kIndexKeyBlock);
    if (nb - b == 2) index_tile_bf16<2>(qp, w, nh, np, kb + b * bstride, out + b * kIndexKeyBlock);
    if (nb - b == 1) index_tile_bf16<1>(qp, w, nh, np, kb + b * bstride, out + b * kIndexKeyBlock);
}
#undef ATELIER_V4_BF16

// ---- AMX (tiles) ----
// Palette 1 with tiles 0-7 all 16 rows x 64 bytes (amx_load_uniform_config). The indexer's tiles:
// 0-3 accumulators, 4-5 queries (16 heads x 16 dim pairs), 6-7 keys (16 dim pairs x 16 keys x 2);
// qk_amx16 and pv_amx16 state their own. Loaded at the start of each call and released at its
// end, so a thread holds no tile state between calls.
#define ATELIER_V4_AMX ATELIER_AMX_TARGET
// The fused indexer on AMX, in steps of NB (1-2) blocks of 16 keys x NG (1-2) groups of 16 heads:
// the tile products of a step (queries qp as bf16 pairs [head][pair]), stored to a buffer
// [group·2 + block][head][key]; then the step's epilogue (index_tile_bf16's, on the stored
// tiles): sc[b] += the heads' ReLU-weighted bf16 terms, group by group and head by head in order.
// A step's epilogue comes after the next step's products are issued, so the tile unit and the
// vector units may overlap (on machine B this measured within the noise of the plain order).
template <int NB, int NG>
ATELIER_V4_AMX inline void index_amx_products(const uint32_t* qp, int64_t np, const uint16_t* kb, int64_t bstride,
                                              float (*ct)[16 * 16]) {
    _tile_zero(0);
    if constexpr (NB > 1) _tile_zero(1);
    if constexpr (NG > 1) _tile_zero(2);
    if constexpr (NG > 1 && NB > 1) _tile_zero(3);
    const int64_t qstride = np * 4;
    for (int64_t p = 0; p < np; p += 16) {
        _tile_loadd(4, qp + p, qstride);
        _tile_loadd(6, kb + p * 2 * kIndexKeyBlock, 64);
        if constexpr (NB > 1) _tile_loadd(7, kb + bstride + p * 2 * kIndexKeyBlock, 64);
        if constexpr (NG > 1) _tile_loadd(5, qp + 16 * np + p, qstride);
        _tile_dpbf16ps(0, 4, 6);
        if constexpr (NB > 1) _tile_dpbf16ps(1, 4, 7);
        if constexpr (NG > 1) _tile_dpbf16ps(2, 5, 6);
        if constexpr (NG > 1 && NB > 1) _tile_dpbf16ps(3, 5, 7);
    }
    _tile_stored(0, ct[0], 64);
    if constexpr (NB > 1) _tile_stored(1, ct[1], 64);
    if constexpr (NG > 1) _tile_stored(2, ct[2], 64);
    if constexpr (NG > 1 && NB > 1) _tile_stored(3, ct[3], 64);
}
template <int NB, int NG>
ATELIER_V4_AMX inline void index_amx_epilogue(const float (*ct)[16 * 16], const float* w, __m512 (&sc)[2]) {
#pragma GCC unroll 2
    for (int g = 0; g < NG; ++g)
#pragma GCC unroll 4
        for (int h = 0; h < 16; ++h) {
            const __m512 wv = _mm512_set1_ps(w[g * 16 + h]);
#pragma GCC unroll 2
            for (int b = 0; b < NB; ++b) {
                const __m512 r = relu_avx512(bf16_avx512(_mm512_load_ps(ct[g * 2 + b] + h * 16)));
                sc[b] = _mm512_add_ps(sc[b], bf16_avx512(_mm512_mul_ps(r, wv)));
            }
        }
}
template <int NB>
ATELIER_V4_AMX inline void index_amx_epilogue_of(int ng, const float (*ct)[16 * 16], const float* w, __m512 (&sc)[2]) {
    if (ng == 2) index_amx_epilogue<NB, 2>(ct, w, sc);
    else if (ng == 1) index_amx_epilogue<NB, 1>(ct, w, sc);
}
// All head groups of NB blocks: each group pair's products, then the previous pair's epilogue.
template <int NB>
ATELIER_V4_AMX inline void index_amx_blocks(const uint32_t* qp, const float* w, int nh, int64_t np, const uint16_t* kb,
                                            int64_t bstride, float* out) {
    alignas(64) float ct[2][4][16 * 16];
    __m512 sc[2] = {_mm512_setzero_ps(), _mm512_setzero_ps()};
    int prev_ng = 0, prev_h0 = 0, n = 0;
    for (int h0 = 0; h0 < nh; h0 += 32, ++n) {
        const int ng = nh - h0 >= 32 ? 2 : 1;
        if (ng == 2) index_amx_products<NB, 2>(qp + h0 * np, np, kb, bstride, ct[n & 1]);
        else index_amx_products<NB, 1>(qp + h0 * np, np, kb, bstride, ct[n & 1]);
        index_amx_epilogue_of<NB>(prev_ng, ct[(n - 1) & 1], w + prev_h0, sc);  // none before the first
        prev_ng = ng;
        prev_h0 = h0;
    }
    index_amx_epilogue_of<NB>(prev_ng, ct[(n - 1) & 1], w + prev_h0, sc);
#pragma GCC unroll 2
    for (int b = 0; b < NB; ++b) _mm512_storeu_ps(out + 16 * b, bf16_avx512(sc[b]));
}
ATELIER_V4_AMX void index_scores_amx(const uint32_t* qp, const float* w, int nh, int64_t np, const uint16_t* kb,
                                     int64_t nb, float* out) {
    amx_load_uniform_config();
    const int64_t bstride = np * 2 * kIndexKeyBlock;
    int64_t b = 0;
    for (; b + 2 <= nb; b += 2) index_amx_blocks<2>(qp, w, nh, np, kb + b * bstride, bstride, out + b * kIndexKeyBlock);
    if (b < nb) index_amx_blocks<1>(qp, w, nh, np, kb + b * bstride, bstride, out + b * kIndexKeyBlock);
    _tile_release();
}
// Tiles 0-3: sT of keys 0-15 ... 48-63 (16 keys x 16 heads); 4 and 6: key rows (16 keys x 32
// dims, alternating so a load can overlap the previous product); 5: the queries' dim pairs.
ATELIER_V4_AMX void qk_amx16(const uint32_t* qT, const uint16_t* rows, int64_t D, float* sT) {
    amx_load_uniform_config();
    _tile_zero(0);
    _tile_zero(1);
    _tile_zero(2);
    _tile_zero(3);
    const int64_t stride = D * 2;  // bytes per key row
    for (int64_t c = 0; c < D / 32; ++c) {
        const uint16_t* r = rows + 32 * c;
        _tile_loadd(5, qT + c * 16 * 16, 64);
        _tile_loadd(4, r, stride);
        _tile_dpbf16ps(0, 4, 5);
        _tile_loadd(6, r + 16 * D, stride);
        _tile_dpbf16ps(1, 6, 5);
        _tile_loadd(4, r + 32 * D, stride);
        _tile_dpbf16ps(2, 4, 5);
        _tile_loadd(6, r + 48 * D, stride);
        _tile_dpbf16ps(3, 6, 5);
    }
    _tile_stored(0, sT, 64);
    _tile_stored(1, sT + 256, 64);
    _tile_stored(2, sT + 512, 64);
    _tile_stored(3, sT + 768, 64);
    _tile_release();
}
// Per 64 output dims: tiles 0-3 hold acc[16 heads][16 dims] x 4 across the key chunks of 32; 4 is
// P's chunk (16 heads x 32 keys), 5-6 the keys' pairs (16 key pairs x 16 dims x 2), alternating.
ATELIER_V4_AMX void pv_amx16(float* acc, const uint16_t* pb, const uint32_t* pairs, int64_t nk, int64_t D) {
    amx_load_uniform_config();
    const int64_t astride = D * 4, pstride = D * 4;
    const int64_t nkc = (nk + 31) / 32;
    for (int64_t d0 = 0; d0 < D; d0 += 64) {
        _tile_loadd(0, acc + d0, astride);
        _tile_loadd(1, acc + d0 + 16, astride);
        _tile_loadd(2, acc + d0 + 32, astride);
        _tile_loadd(3, acc + d0 + 48, astride);
        for (int64_t kc = 0; kc < nkc; ++kc) {
            const uint32_t* pr = pairs + kc * 16 * D + d0;
            _tile_loadd(4, pb + 32 * kc, 128);
            _tile_loadd(5, pr, pstride);
            _tile_dpbf16ps(0, 4, 5);
            _tile_loadd(6, pr + 16, pstride);
            _tile_dpbf16ps(1, 4, 6);
            _tile_loadd(5, pr + 32, pstride);
            _tile_dpbf16ps(2, 4, 5);
            _tile_loadd(6, pr + 48, pstride);
            _tile_dpbf16ps(3, 4, 6);
        }
        _tile_stored(0, acc + d0, astride);
        _tile_stored(1, acc + d0 + 16, astride);
        _tile_stored(2, acc + d0 + 32, astride);
        _tile_stored(3, acc + d0 + 48, astride);
    }
    _tile_release();
}
#undef ATELIER_V4_AMX

const VecKernels& vec_kernels() {
    static const VecKernels k = [] {
        const CpuFeatures& f = cpu_features();
        VecKernels v{dot_generic,        axpy_generic,       scale_generic, qk_loop<dot_generic>,
                     pv_loop<axpy_generic>, relu_acc_generic, relu_acc_bf16_generic};
        if (f.avx2 && f.fma)
            v = {dot_avx2, axpy_avx2, scale_avx2, qk_loop<dot_avx2>, pv_loop<axpy_avx2>, relu_acc_avx2, relu_acc_bf16_avx2};
        if (f.avx512f && f.fma) {
            v.dot = dot_avx512;
            v.axpy = axpy_avx512;
            v.scale = scale_avx512;
            v.qk = qk_avx512;
            v.pv = pv_avx512;
            v.relu_acc = relu_acc_avx512;
            v.relu_acc_bf16 = relu_acc_bf16_avx512;
        }
        if (f.avx512f && f.avx512bw && f.avx512_bf16 && f.fma) {
            v.qk_bf16 = qk_bf16_avx512;
            v.pv_bf16 = pv_bf16_avx512;
            v.index_scores_bf16 = index_scores_bf16_avx512;
            v.qk_bf16_rows = qk_bf16_rows_avx512;
            v.pv_bf16_pairs = pv_bf16_pairs_avx512;
            v.pack_keys_bf16 = pack_keys_bf16_avx512;
            if (amx_enabled()) {
                v.index_scores_amx = index_scores_amx;
                v.qk_amx16 = qk_amx16;
                v.pv_amx16 = pv_amx16;
            }
        }
        return v;
    }();
    return k;
}

}  // namespace
}  // namespace atelier::infer::v4::attn
