// FP4 expert products with fp32 products and sums, for released numerics on few tokens per expert
// (decode, short chunks). The MatMul op's fast path for FP4/MXFP4 below 16 columns quantises the
// activations to int8 per 32, which DeepSeek's kernels do not do: their FP4 GEMM multiplies the
// FP8-quantised activations exactly. Those int8 roundings made decode drift from prefill by more
// than the reference's own difference (cosine 0.97 vs 0.99 on the tiny model), so here every
// product is exact and only the summation order differs from the GEMM path:
//  - AVX-512 VNNI, when every block of 32 activations is a power of two times integers below 2^20
//    (FP8-quantised ones are) and the row has whole groups of 4 blocks: three 7-bit limbs of the
//    activations, vpdpbusd against the codes as small integers, exact int32 sums per 4 codes, one
//    f32 conversion and scale per lane (details at xi_layout). The fastest: memory-bound at decode
//    on an AMX Xeon, where the vdpbf16ps kernel below ran at about half the read rate;
//  - AVX-512 BF16, when every activation is exact in bf16 (FP8-quantised ones are): codes become
//    bf16 E2M1 values with one vpermw per 32, vdpbf16ps multiplies and sums pairs in f32, one FMA
//    per two blocks applies the UE8M0 scales; memory-bound at decode on AMD Zen 5, but not on
//    that Xeon (one vdpbf16ps per 2.2 cycles there, 8.5 cycles' latency);
//  - otherwise each block of 32 codes is looked up as f32 (x·code is exact in f32), summed per
//    block, then scaled by the block's scale (AVX-512 / AVX2+FMA / portable).
// From 16 columns the op's GEMM (exact products too: bf16 weights and FP8-valued activations) is
// faster, and MoE uses it (kFp4PathMaxTokens). The activations are reordered once per call to match
// the code lanes. Vector code is picked once from cpuid; every function has internal linkage and its
// own target attribute, so this file needs no ISA flags.
// Thread-safety: one thread per Ctx; rows are split over the session's pool.
// GCC 12's AVX-512 headers trip -Wuninitialized on their own _mm512_undefined_* (PR 105593).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>
#include <vector>

#include "inference/arch/deepseek-v4/v4.h"
#include "inference/cpu-features.h"
#include "inference/quant-blocks.h"

namespace atelier::infer::v4 {
namespace {

constexpr int64_t kRowsPerTask = 64;
// Software prefetch of the code bytes (rows are contiguous, so it runs on into the next rows) and
// of the separate scale rows, as the engine's matvec kernels do (matvec-quant.inc).
constexpr int kPrefetchAhead = 6144;
constexpr int64_t kScalePrefetchRows = 8;
alignas(64) constexpr float kE2M1[16] = {0.0f,  0.5f,  1.0f,  1.5f,  2.0f,  3.0f,  4.0f,  6.0f,
                                         -0.0f, -0.5f, -1.0f, -1.5f, -2.0f, -3.0f, -4.0f, -6.0f};

inline float e8m0(uint8_t e) {  // 2^(e-127); e = 0 is 2^-127 (a subnormal), as the other kernels
    const uint32_t bits = e == 0 ? 0x00400000u : static_cast<uint32_t>(e) << 23;
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

// x reordered per block of 32 to match the code lanes: MXFP4 byte j holds elements j (low nibble)
// and j+16 (high), so x stays as it is; FP4_E2M1 byte j holds 2j and 2j+1, so each block becomes
// [even elements | odd elements]. Then lane j of a block pairs code lanes with xs[j], xs[16+j].
void reorder_x(const float* x, int64_t K, bool mx, float* xs) {
    if (mx) {
        std::memcpy(xs, x, static_cast<size_t>(K) * sizeof(float));
        return;
    }
    for (int64_t b = 0; b < K; b += 32)
        for (int j = 0; j < 16; ++j) {
            xs[b + j] = x[b + 2 * j];
            xs[b + 16 + j] = x[b + 2 * j + 1];
        }
}

struct Kernels {
    // y[m] = Σ_b scale_b · Σ_j (code(q_b[j] & 15)·xs_m[32b + j] + code(q_b[j] >> 4)·xs_m[32b + 16 + j])
    // for one weight row: nb blocks of 16 code bytes at `q` (stride `qs` bytes), scales at `sc`.
    void (*row)(const uint8_t* q, int64_t qs, const float* sc, int64_t nb, const float* xs, int64_t K, int64_t M,
                float* y, int64_t y_stride);
};

// Runs a column kernel cols(G, m) over M columns in groups of 4, 2, then 1 (the vector kernels'
// register blocking; each call covers columns m..m+G-1). The kernels keep their own target
// attributes: this only calls them.
template <class Cols>
inline void by_columns(int64_t M, Cols&& cols) {
    int64_t m = 0;
    for (; m + 4 <= M; m += 4) cols(std::integral_constant<int, 4>{}, m);
    for (; m + 2 <= M; m += 2) cols(std::integral_constant<int, 2>{}, m);
    for (; m < M; ++m) cols(std::integral_constant<int, 1>{}, m);
}

// ---- portable ----
void row_ref(const uint8_t* q, int64_t qs, const float* sc, int64_t nb, const float* xs, int64_t K, int64_t M,
             float* y, int64_t y_stride) {
    for (int64_t m = 0; m < M; ++m) {
        float acc = 0;
        for (int64_t b = 0; b < nb; ++b) {
            const uint8_t* qb = q + b * qs;
            const float* xb = xs + m * K + b * 32;
            float t = 0;
            for (int j = 0; j < 16; ++j) t += kE2M1[qb[j] & 15] * xb[j] + kE2M1[qb[j] >> 4] * xb[16 + j];
            acc += t * sc[b];
        }
        y[m * y_stride] = acc;
    }
}

// The vector kernels take G columns at once (G = 1, 2 or 4) with A = 4, 2, 2 independent accumulators
// per column (blocks round-robin), so the FMA latency chain does not bound the loop.

// ---- AVX2 + FMA ----
__attribute__((target("avx2,fma"))) inline __m256 e2m1_avx2(__m256i codes) {  // low 4 bits of each lane
    const __m256 mag = _mm256_loadu_ps(kE2M1);
    const __m256 m = _mm256_permutevar8x32_ps(mag, codes);  // uses codes & 7
    const __m256i sign = _mm256_and_si256(_mm256_slli_epi32(codes, 28), _mm256_set1_epi32(INT32_MIN));
    return _mm256_xor_ps(m, _mm256_castsi256_ps(sign));
}
__attribute__((target("avx2,fma"))) inline float hsum_avx2(__m256 v) {
    const __m128 h = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    const __m128 p = _mm_add_ps(h, _mm_movehl_ps(h, h));
    return _mm_cvtss_f32(_mm_add_ss(p, _mm_shuffle_ps(p, p, 1)));
}
template <int G>
__attribute__((target("avx2,fma"))) void cols_avx2(const uint8_t* q, int64_t qs, const float* sc, int64_t nb,
                                                   const float* xs, int64_t K, float* y, int64_t y_stride) {
    constexpr int A = G == 4 ? 2 : 4 / G;
    __m256 acc[G][A];
    for (int g = 0; g < G; ++g)
        for (int a = 0; a < A; ++a) acc[g][a] = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; ++b) {
        const uint8_t* qb = q + b * qs;
        const __m256 s = _mm256_set1_ps(sc[b]);
        const int a = static_cast<int>(b % A);
        for (int h = 0; h < 2; ++h) {  // bytes 8h..8h+7
            const __m256i lanes = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(qb + 8 * h)));
            const __m256 wl = e2m1_avx2(lanes), wh = e2m1_avx2(_mm256_srli_epi32(lanes, 4));
            for (int g = 0; g < G; ++g) {
                const float* xb = xs + g * K + b * 32 + 8 * h;
                const __m256 t = _mm256_fmadd_ps(wh, _mm256_loadu_ps(xb + 16), _mm256_mul_ps(wl, _mm256_loadu_ps(xb)));
                acc[g][a] = _mm256_fmadd_ps(t, s, acc[g][a]);
            }
        }
    }
    for (int g = 0; g < G; ++g) {
        __m256 v = acc[g][0];
        for (int a = 1; a < A; ++a) v = _mm256_add_ps(v, acc[g][a]);
        y[g * y_stride] = hsum_avx2(v);
    }
}
__attribute__((target("avx2,fma"))) void row_avx2(const uint8_t* q, int64_t qs, const float* sc, int64_t nb,
                                                  const float* xs, int64_t K, int64_t M, float* y, int64_t y_stride) {
    by_columns(M, [&](auto G, int64_t m) { cols_avx2<G()>(q, qs, sc, nb, xs + m * K, K, y + m * y_stride, y_stride); });
}

// ---- AVX-512 (masked intrinsic forms: GCC 12's unmasked ones trip -Wuninitialized, PR 105593) ----
template <int G>
__attribute__((target("avx512f"))) void cols_avx512(const uint8_t* q, int64_t qs, const float* sc, int64_t nb,
                                                    const float* xs, int64_t K, float* y, int64_t y_stride) {
    constexpr int A = G == 4 ? 2 : 4 / G;
    const __m512 table = _mm512_loadu_ps(kE2M1);
    __m512 acc[G][A];
    for (int g = 0; g < G; ++g)
        for (int a = 0; a < A; ++a) acc[g][a] = _mm512_setzero_ps();
    for (int64_t b = 0; b < nb; ++b) {
        const __m512i lanes =
            _mm512_maskz_cvtepu8_epi32(0xFFFF, _mm_loadu_si128(reinterpret_cast<const __m128i*>(q + b * qs)));
        const __m512 wl = _mm512_mask_permutexvar_ps(table, 0xFFFF, lanes, table);  // uses lanes & 15
        const __m512 wh = _mm512_mask_permutexvar_ps(table, 0xFFFF, _mm512_maskz_srli_epi32(0xFFFF, lanes, 4), table);
        const __m512 s = _mm512_set1_ps(sc[b]);
        const int a = static_cast<int>(b % A);
        for (int g = 0; g < G; ++g) {
            const float* xb = xs + g * K + b * 32;
            const __m512 t = _mm512_fmadd_ps(wh, _mm512_loadu_ps(xb + 16), _mm512_mul_ps(wl, _mm512_loadu_ps(xb)));
            acc[g][a] = _mm512_fmadd_ps(t, s, acc[g][a]);
        }
    }
    for (int g = 0; g < G; ++g) {
        __m512 v = acc[g][0];
        for (int a = 1; a < A; ++a) v = _mm512_add_ps(v, acc[g][a]);
        alignas(64) float lanes_out[16];
        _mm512_store_ps(lanes_out, v);
        float r = 0;
        for (int j = 0; j < 16; j += 2) r += lanes_out[j] + lanes_out[j + 1];
        y[g * y_stride] = r;
    }
}
__attribute__((target("avx512f"))) void row_avx512(const uint8_t* q, int64_t qs, const float* sc, int64_t nb,
                                                   const float* xs, int64_t K, int64_t M, float* y, int64_t y_stride) {
    by_columns(M, [&](auto G, int64_t m) { cols_avx512<G()>(q, qs, sc, nb, xs + m * K, K, y + m * y_stride, y_stride); });
}

// ---- AVX-512 BF16 (the fast path when the activations are exact in bf16, as FP8-quantised
// activations always are): 64 codes (two blocks) become 64 bf16 E2M1 values with one vpermw per
// 32, vdpbf16ps multiplies them exactly by the bf16 activations and sums pairs in f32, and one FMA
// applies both blocks' scales (lanes 0-7: the first block, 8-15: the second). Activations come
// pre-arranged per pair of blocks (xb_layout): the first 32 pair with the low nibbles, the next
// 32 with the high ones. An odd last block is handled alone.
constexpr uint16_t kE2M1Bf16[32] = {0x0000, 0x3F00, 0x3F80, 0x3FC0, 0x4000, 0x4040, 0x4080, 0x40C0,
                                    0x8000, 0xBF00, 0xBF80, 0xBFC0, 0xC000, 0xC040, 0xC080, 0xC0C0,
                                    0x0000, 0x3F00, 0x3F80, 0x3FC0, 0x4000, 0x4040, 0x4080, 0x40C0,
                                    0x8000, 0xBF00, 0xBF80, 0xBFC0, 0xC000, 0xC040, 0xC080, 0xC0C0};

#define ATELIER_BF16 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx512bf16")))

// xs (f32, code-lane order per block, see reorder_x) -> xb: per pair p of blocks, 64 bf16
// [lo lanes of 2p, lo of 2p+1, hi of 2p, hi of 2p+1]; false when a value is not exact in bf16.
ATELIER_BF16 bool xb_layout(const float* xs, int64_t K, uint16_t* xb) {
    __mmask16 inexact = 0;
    for (int64_t b = 0; b < K / 32; ++b) {
        const __m512 lo = _mm512_loadu_ps(xs + 32 * b), hi = _mm512_loadu_ps(xs + 32 * b + 16);
        // exact in bf16 <=> the low 16 bits are zero (Inf/NaN too: they pass through unchanged)
        inexact |= _mm512_test_epi32_mask(_mm512_castps_si512(lo), _mm512_set1_epi32(0xFFFF)) |
                   _mm512_test_epi32_mask(_mm512_castps_si512(hi), _mm512_set1_epi32(0xFFFF));
        const __m256i l16 = _mm512_cvtepi32_epi16(_mm512_srli_epi32(_mm512_castps_si512(lo), 16));
        const __m256i h16 = _mm512_cvtepi32_epi16(_mm512_srli_epi32(_mm512_castps_si512(hi), 16));
        uint16_t* dst = xb + 64 * (b / 2) + 16 * (b % 2);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst), l16);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + 32), h16);
    }
    return inexact == 0;
}

template <int G>
ATELIER_BF16 void cols_bf16(const uint8_t* q, int64_t qs, const float* sc, int64_t nb, const uint16_t* xb, int64_t ldx,
                            float* y, int64_t y_stride) {
    const __m512i tab = _mm512_loadu_si512(kE2M1Bf16);
    const __m512i m4 = _mm512_set1_epi16(0x0F);
    __m512 acc[G];
    for (int g = 0; g < G; ++g) acc[g] = _mm512_setzero_ps();
    int64_t b = 0;
    for (; b + 2 <= nb; b += 2) {
        _mm_prefetch(reinterpret_cast<const char*>(q + b * qs) + kPrefetchAhead, _MM_HINT_T0);
        const __m128i q0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q + b * qs));
        const __m128i q1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q + (b + 1) * qs));
        const __m512i w16 = _mm512_cvtepu8_epi16(_mm256_inserti128_si256(_mm256_castsi128_si256(q0), q1, 1));
        const __m512bh wlo = (__m512bh)_mm512_permutexvar_epi16(_mm512_and_si512(w16, m4), tab);
        const __m512bh whi = (__m512bh)_mm512_permutexvar_epi16(_mm512_srli_epi16(w16, 4), tab);
        const __m512 s = _mm512_insertf32x8(_mm512_set1_ps(sc[b]), _mm256_set1_ps(sc[b + 1]), 1);
        for (int g = 0; g < G; ++g) {
            const uint16_t* xp = xb + g * ldx + 32 * b;
            __m512 t = _mm512_dpbf16_ps(_mm512_setzero_ps(), wlo, (__m512bh)_mm512_loadu_si512(xp));
            t = _mm512_dpbf16_ps(t, whi, (__m512bh)_mm512_loadu_si512(xp + 32));
            acc[g] = _mm512_fmadd_ps(t, s, acc[g]);
        }
    }
    if (b < nb) {  // odd last block: [lo | hi] codes against its 16 + 16 lanes of the last pair
        const __m256i w16 = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q + b * qs)));
        const __m512i both = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_and_si256(w16, _mm256_set1_epi16(0x0F))),
                                                _mm256_srli_epi16(w16, 4), 1);
        const __m512bh w = (__m512bh)_mm512_permutexvar_epi16(both, tab);
        const __m512 s = _mm512_set1_ps(sc[b]);
        for (int g = 0; g < G; ++g) {
            const uint16_t* xp = xb + g * ldx + 32 * b;  // lo lanes at xp, hi lanes at xp + 32
            const __m512i xv = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(xp))),
                                                  _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xp + 32)), 1);
            acc[g] = _mm512_fmadd_ps(_mm512_dpbf16_ps(_mm512_setzero_ps(), w, (__m512bh)xv), s, acc[g]);
        }
    }
    for (int g = 0; g < G; ++g) y[g * y_stride] = _mm512_reduce_add_ps(acc[g]);
}

ATELIER_BF16 void row_bf16(const uint8_t* q, int64_t qs, const float* sc, int64_t nb, const uint16_t* xb, int64_t ldx,
                           int64_t M, float* y, int64_t y_stride) {
    by_columns(M, [&](auto G, int64_t m) { cols_bf16<G()>(q, qs, sc, nb, xb + m * ldx, ldx, y + m * y_stride, y_stride); });
}

#undef ATELIER_BF16

// ---- AVX-512 VNNI, exact: the fast path when every activation is an integer multiple of a power
// of two per block of 32 with at most 20 significant bits (FP8-quantised activations always are:
// E4M3 spans 18 bits under one power-of-two scale). Then x = q_b · x_int with |x_int| < 2^20, and
// x_int splits into three 7-bit limbs (two unsigned, the top one signed), so every product
// code · x is exact in int32: vpdpbusd multiplies u = 2·code + 12 (unsigned, 0..24) by each limb
// (signed bytes) and sums groups of 4; the +12 offset is removed with a per-lane correction that
// depends on x only (-12 · Σ x_int, the accumulator's start). Each i32 lane covers 4 code bytes of
// one block, so per group of 4 blocks (64 code bytes) lanes 4b..4b+3 belong to block b: the lane
// sums are combined (limb shifts), converted to f32 once (the only rounding before the f32 sum),
// and scaled by the weight block's UE8M0 scale times q_b / 2 (that product of powers of two is
// exact unless it falls below f32's range, i.e. a weight scale near 2^-126 with activations far
// below 1: lane sums under ~1e-38 would flush; rows with a scale byte of 0 take another kernel).
// vpdpbusd runs about 6× the MAC rate of vdpbf16ps on this generation of Xeon (≥1.4 vs 0.45
// instructions a cycle, 64 vs 32 MACs each).
// Activation layout per group of 4 blocks (kXiGroup bytes): limb l, low nibbles at 128·l, high
// nibbles at 128·l + 64 (byte p pairs with code byte p of the group), then the start values
// (int32 ×16), then q_b / 2 per lane (f32 ×16).
constexpr int64_t kXiGroup = 512;
constexpr int kXiCorr = 384, kXiScale = 448;

// xs (f32, code-lane order per block, see reorder_x; K % 128 == 0) -> xi (K / 128 groups);
// false when some block is not such an integer multiple (or holds Inf/NaN).
bool xi_layout(const float* xs, int64_t K, uint8_t* xi) {
    for (int64_t g = 0; g < K / 128; ++g) {
        uint8_t* dst = xi + g * kXiGroup;
        int32_t corr[16] = {};
        float qs[16];
        for (int bb = 0; bb < 4; ++bb) {
            const float* x = xs + (4 * g + bb) * 32;
            float m = 0;
            for (int j = 0; j < 32; ++j) {
                if (!std::isfinite(x[j])) return false;
                m = std::max(m, std::fabs(x[j]));
            }
            const int e = m > 0 ? std::ilogb(m) - 19 : 0;  // q = 2^e
            if (e < -125) return false;                     // keep q / 2 a normal f32
            const float q = std::ldexp(1.0f, e);
            for (int j = 0; j < 32; ++j) {
                const float v = x[j] / q;  // a power-of-two scaling: exact unless it leaves the range
                if (v != std::nearbyint(v) || v * q != x[j]) return false;
                const int32_t xi_v = static_cast<int32_t>(v);  // |v| < 2^20
                const int p = bb * 16 + (j & 15), half = j >> 4;  // code byte p of the group, low/high nibble
                dst[0 * 128 + 64 * half + p] = static_cast<uint8_t>(xi_v & 127);
                dst[1 * 128 + 64 * half + p] = static_cast<uint8_t>((xi_v >> 7) & 127);
                dst[2 * 128 + 64 * half + p] = static_cast<uint8_t>(static_cast<int8_t>(xi_v >> 14));
                corr[p / 4] -= 12 * xi_v;
            }
            for (int i = 0; i < 4; ++i) qs[4 * bb + i] = q * 0.5f;  // u - 12 = 2·code
        }
        std::memcpy(dst + kXiCorr, corr, sizeof corr);
        std::memcpy(dst + kXiScale, qs, sizeof qs);
    }
    return true;
}

#define ATELIER_VNNI __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx512vnni")))

// u = 2·E2M1(code) + 12 per code, repeated in each 128-bit lane (vpshufb looks up within lanes)
alignas(64) constexpr int8_t kE2M1U[64] = {12, 13, 14, 15, 16, 18, 20, 24, 12, 11, 10, 9, 8, 6, 4, 0,
                                           12, 13, 14, 15, 16, 18, 20, 24, 12, 11, 10, 9, 8, 6, 4, 0,
                                           12, 13, 14, 15, 16, 18, 20, 24, 12, 11, 10, 9, 8, 6, 4, 0,
                                           12, 13, 14, 15, 16, 18, 20, 24, 12, 11, 10, 9, 8, 6, 4, 0};

// Software prefetch of the code stream (one line per group, 64-68 bytes), at the distances the
// engine's 4-bit matvec kernels use on this CPU.
const PrefetchDistance kPf = prefetch_distance();

// y[m] for G columns of one row: ng groups of 4 blocks; codes at q (block stride qs: 16, or 17 for
// MXFP4 with its scale byte first), scale bytes sb[0..4·ng) (none of them 0).
template <int G>
ATELIER_VNNI void cols_vnni(const uint8_t* q, int64_t qs, const uint8_t* sb, int64_t ng, const uint8_t* xi, int64_t ldxi,
                            float* y, int64_t y_stride) {
    const __m512i tab = _mm512_load_si512(kE2M1U);
    const __m512i m4 = _mm512_set1_epi8(0x0F);
    // byte b of a 32-bit value -> the low byte of dwords 4b..4b+3 (others zero)
    const __m512i spread = _mm512_set_epi32(0x80808003, 0x80808003, 0x80808003, 0x80808003, 0x80808002, 0x80808002,
                                            0x80808002, 0x80808002, 0x80808001, 0x80808001, 0x80808001, 0x80808001,
                                            0x80808000, 0x80808000, 0x80808000, 0x80808000);
    __m512 acc[G];
    for (int c = 0; c < G; ++c) acc[c] = _mm512_setzero_ps();
    for (int64_t g = 0; g < ng; ++g) {
        __m512i w;
        const uint8_t* b0 = q + 4 * g * qs;
        prefetch_ahead(b0, 64, kPf.packed, kPf.packed_far);
        if (qs == 16) {
            w = _mm512_loadu_si512(b0);
        } else {
            w = _mm512_castsi128_si512(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b0)));
            w = _mm512_inserti32x4(w, _mm_loadu_si128(reinterpret_cast<const __m128i*>(b0 + qs)), 1);
            w = _mm512_inserti32x4(w, _mm_loadu_si128(reinterpret_cast<const __m128i*>(b0 + 2 * qs)), 2);
            w = _mm512_inserti32x4(w, _mm_loadu_si128(reinterpret_cast<const __m128i*>(b0 + 3 * qs)), 3);
        }
        const __m512i ulo = _mm512_shuffle_epi8(tab, _mm512_and_si512(w, m4));
        const __m512i uhi = _mm512_shuffle_epi8(tab, _mm512_and_si512(_mm512_srli_epi16(w, 4), m4));
        int32_t s4;
        std::memcpy(&s4, sb + 4 * g, 4);
        const __m512 sw = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_shuffle_epi8(_mm512_set1_epi32(s4), spread), 23));
        for (int c = 0; c < G; ++c) {
            const uint8_t* xg = xi + c * ldxi + g * kXiGroup;
            __m512i a0 = _mm512_loadu_si512(xg + kXiCorr);
            a0 = _mm512_dpbusd_epi32(a0, ulo, _mm512_loadu_si512(xg));
            a0 = _mm512_dpbusd_epi32(a0, uhi, _mm512_loadu_si512(xg + 64));
            __m512i a1 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), ulo, _mm512_loadu_si512(xg + 128));
            a1 = _mm512_dpbusd_epi32(a1, uhi, _mm512_loadu_si512(xg + 192));
            __m512i a2 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), ulo, _mm512_loadu_si512(xg + 256));
            a2 = _mm512_dpbusd_epi32(a2, uhi, _mm512_loadu_si512(xg + 320));
            const __m512i t = _mm512_add_epi32(a0, _mm512_slli_epi32(_mm512_add_epi32(a1, _mm512_slli_epi32(a2, 7)), 7));
            const __m512 s = _mm512_mul_ps(sw, _mm512_loadu_ps(reinterpret_cast<const float*>(xg + kXiScale)));
            acc[c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(t), s, acc[c]);
        }
    }
    for (int c = 0; c < G; ++c) y[c * y_stride] = _mm512_reduce_add_ps(acc[c]);
}

ATELIER_VNNI void row_vnni(const uint8_t* q, int64_t qs, const uint8_t* sb, int64_t ng, const uint8_t* xi, int64_t ldxi,
                           int64_t M, float* y, int64_t y_stride) {
    by_columns(M, [&](auto G, int64_t m) { cols_vnni<G()>(q, qs, sb, ng, xi + m * ldxi, ldxi, y + m * y_stride, y_stride); });
}

#undef ATELIER_VNNI

bool have_vnni_kernel() {
    static const bool yes = [] {
        const CpuFeatures& f = cpu_features();
        return f.avx512f && f.avx512bw && f.avx512dq && f.avx512vl && f.avx512_vnni;
    }();
    return yes;
}

bool have_bf16_kernel() {
    static const bool yes = [] {
        const CpuFeatures& f = cpu_features();
        return f.avx512f && f.avx512bw && f.avx512dq && f.avx512vl && f.avx512_bf16;
    }();
    return yes;
}

const Kernels& kernels() {
    static const Kernels k = [] {
        const CpuFeatures& f = cpu_features();
        if (f.avx512f) return Kernels{row_avx512};
        if (f.avx2 && f.fma) return Kernels{row_avx2};
        return Kernels{row_ref};
    }();
    return k;
}

}  // namespace

bool fp4_exact_supports(const Linear& l) {
    if (!l.w || l.in() % 32 != 0 || l.in() > 32768) return false;
    if (l.w->type == DType::MXFP4) return true;
    return l.w->type == DType::FP4_E2M1 && l.scale && l.scale_block_k == 32 && l.scale_block_n == 1;
}

Status fp4_matmul_f32(Ctx& c, const Linear& l, const float* x, int64_t M, float* y) {
    const Fp4Product p{.l = &l, .x = x, .y = y, .M = M};
    return fp4_matmul_group_f32(c, {&p, 1});
}

Status fp4_matmul_group_f32(Ctx& c, std::span<const Fp4Product> ps) {
    for (const Fp4Product& p : ps)
        if (!fp4_exact_supports(*p.l))
            return make_error(ErrorCode::Internal, "v4 fp4_matmul_f32: not an FP4 weight with per-32 scales", "report this bug");
    const Kernels& k = kernels();
    // Activations reordered to the code lanes, once per distinct x (reused by every row of every
    // product reading it); in bf16 too when every value is exact there (then products are exact
    // either way). Buffers are kept per thread, so a warm decode allocates nothing.
    struct Prep {
        size_t xs = 0, xb = 0, xi = 0;  // offsets into the buffers
        bool bf16 = false, vnni = false;
        size_t owner = 0;  // the first product reading this x
        int64_t task_begin = 0;
    };
    thread_local std::vector<Prep> prep;
    thread_local std::vector<float> xs_buf;
    thread_local std::vector<uint16_t> xb_buf;
    thread_local std::vector<uint8_t> xi_buf;
    prep.assign(ps.size(), Prep{});
    size_t xs_len = 0, xb_len = 0, xi_len = 0;
    int64_t tasks = 0;
    for (size_t i = 0; i < ps.size(); ++i) {
        const int64_t K = ps[i].l->in();
        size_t j = 0;  // an earlier product reading the same x the same way
        while (j < i && !(ps[j].x == ps[i].x && ps[j].M == ps[i].M && ps[j].l->in() == K && ps[j].l->w->type == ps[i].l->w->type)) ++j;
        prep[i].owner = j;
        if (j < i) {
            prep[i].xs = prep[j].xs, prep[i].xb = prep[j].xb, prep[i].xi = prep[j].xi;
        } else {
            prep[i].xs = xs_len, prep[i].xb = xb_len, prep[i].xi = xi_len;
            xs_len += static_cast<size_t>(ps[i].M * K);
            xb_len += static_cast<size_t>(ps[i].M * ((K + 63) / 64 * 64));
            if (K % 128 == 0) xi_len += static_cast<size_t>(ps[i].M * (K / 128) * kXiGroup);
        }
        prep[i].task_begin = tasks;
        tasks += (ps[i].l->out() + kRowsPerTask - 1) / kRowsPerTask;
    }
    if (xs_buf.size() < xs_len) xs_buf.resize(xs_len);
    if (have_bf16_kernel() && xb_buf.size() < xb_len) xb_buf.resize(xb_len);
    if (have_vnni_kernel() && xi_buf.size() < xi_len) xi_buf.resize(xi_len);
    for (size_t i = 0; i < ps.size(); ++i) {
        const int64_t K = ps[i].l->in(), M = ps[i].M, ldx = (K + 63) / 64 * 64;
        if (prep[i].owner != i) {
            prep[i].bf16 = prep[prep[i].owner].bf16;
            prep[i].vnni = prep[prep[i].owner].vnni;
            continue;
        }
        const bool mx = ps[i].l->w->type == DType::MXFP4;
        float* xs = xs_buf.data() + prep[i].xs;
        for (int64_t m = 0; m < M; ++m) reorder_x(ps[i].x + m * K, K, mx, xs + m * K);
        bool vnni = have_vnni_kernel() && K % 128 == 0;
        for (int64_t m = 0; m < M && vnni; ++m)
            vnni = xi_layout(xs + m * K, K, xi_buf.data() + prep[i].xi + static_cast<size_t>(m * (K / 128) * kXiGroup));
        prep[i].vnni = vnni;
        bool bf16 = have_bf16_kernel();
        if (bf16) {
            uint16_t* xb = xb_buf.data() + prep[i].xb;
            std::fill(xb, xb + M * ldx, uint16_t{0});
            for (int64_t m = 0; m < M && bf16; ++m) bf16 = xb_layout(xs + m * K, K, xb + m * ldx);
        }
        prep[i].bf16 = bf16;
    }
    // (thread_local names would resolve to each worker's own, empty, buffers inside the lambda)
    const Prep* pr = prep.data();
    const float* xs_all = xs_buf.data();
    const uint16_t* xb_all = xb_buf.data();
    const uint8_t* xi_all = xi_buf.data();
    parallel_for(c.session.context(), tasks, [&](int64_t t) {
        size_t i = 0;
        while (i + 1 < ps.size() && pr[i + 1].task_begin <= t) ++i;
        const Fp4Product& p = ps[i];
        const Linear& l = *p.l;
        const int64_t K = l.in(), N = l.out(), nb = K / 32, M = p.M, ldx = (K + 63) / 64 * 64;
        const bool mx = l.w->type == DType::MXFP4;
        const float* xs = xs_all + pr[i].xs;
        const uint16_t* xb = xb_all + pr[i].xb;
        const uint8_t* xi = xi_all + pr[i].xi;
        const int64_t n0 = (t - pr[i].task_begin) * kRowsPerTask, n1 = std::min(N, n0 + kRowsPerTask);
        float sc[4096 / 32 * 8];  // scales of one row (K <= 32768)
        uint8_t sbytes[4096 / 32 * 8];
        const int64_t qs = mx ? static_cast<int64_t>(sizeof(BlockMxfp4)) : 16;
        for (int64_t n = n0; n < n1; ++n) {
            const auto* w = static_cast<const uint8_t*>(l.w->data) + n * l.w->nb[1];
            const auto* s = mx ? nullptr : static_cast<const uint8_t*>(l.scale->data) + n * l.scale->nb[1];
            if (s) _mm_prefetch(reinterpret_cast<const char*>(s + kScalePrefetchRows * l.scale->nb[1]), _MM_HINT_T0);
            const uint8_t* q = mx ? w + 1 : w;
            if (pr[i].vnni) {  // the exact integer kernel, unless a scale is 0 (2^-127: not a normal f32)
                if (mx)
                    for (int64_t b = 0; b < nb; ++b) sbytes[b] = w[b * qs];
                const uint8_t* sb = mx ? sbytes : s;
                if (std::memchr(sb, 0, static_cast<size_t>(nb)) == nullptr) {
                    row_vnni(q, qs, sb, nb / 4, xi, (K / 128) * kXiGroup, M, p.y + n, N);
                    continue;
                }
            }
            for (int64_t b = 0; b < nb; ++b) sc[b] = e8m0(mx ? w[b * qs] : s[b]);
            if (pr[i].bf16) row_bf16(q, qs, sc, nb, xb, ldx, M, p.y + n, N);
            else k.row(q, qs, sc, nb, xs, K, M, p.y + n, N);
        }
    });
    return ok_status();
}

}  // namespace atelier::infer::v4
