// Internal: a small float-vector vocabulary over AVX2 (8 lanes) or AVX-512 (16 lanes), chosen by
// the flags of the including translation unit (__AVX512F__). Everything has internal linkage
// (anonymous namespace) so the AVX2 and AVX-512 files never share a COMDAT copy; include it only
// from cpu/x86/*-avx2.cpp / *-avx512.cpp. Also: exp (Cephes-style, ~2 ulp) and tail masks.
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace atelier::infer::cpu {
namespace {

#if defined(__AVX512F__)
using VF = __m512;
constexpr int kW = 16;
inline VF vzero() { return _mm512_setzero_ps(); }
inline VF vset1(float v) { return _mm512_set1_ps(v); }
inline VF vload(const float* p) { return _mm512_loadu_ps(p); }
inline void vstore(float* p, VF v) { _mm512_storeu_ps(p, v); }
inline __mmask16 tail_mask(int n) { return static_cast<__mmask16>((1u << n) - 1u); }
inline VF vload_n(const float* p, int n) { return _mm512_maskz_loadu_ps(tail_mask(n), p); }
inline VF vload_n_fill(const float* p, int n, float fill) { return _mm512_mask_loadu_ps(vset1(fill), tail_mask(n), p); }
inline void vstore_n(float* p, VF v, int n) { _mm512_mask_storeu_ps(p, tail_mask(n), v); }
inline VF vadd(VF a, VF b) { return _mm512_add_ps(a, b); }
inline VF vsub(VF a, VF b) { return _mm512_sub_ps(a, b); }
inline VF vmul(VF a, VF b) { return _mm512_mul_ps(a, b); }
inline VF vdiv(VF a, VF b) { return _mm512_div_ps(a, b); }
inline VF vfma(VF a, VF b, VF c) { return _mm512_fmadd_ps(a, b, c); }
inline VF vmax(VF a, VF b) { return _mm512_max_ps(a, b); }
inline VF vmin(VF a, VF b) { return _mm512_min_ps(a, b); }
inline float vhsum(VF v) { return _mm512_reduce_add_ps(v); }
inline float vhmax(VF v) { return _mm512_reduce_max_ps(v); }
inline VF vround(VF v) { return _mm512_roundscale_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
inline VF vpow2i(VF n) {  // 2^n for integral n in [-126, 127]
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23));
}
inline VF vswap_pairs(VF v) { return _mm512_permute_ps(v, 0xB1); }
inline VF vzero_where_neg_inf(VF z, VF e) {
    return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(z, vset1(-__builtin_inff()), _CMP_NEQ_OQ), e);
}
#else
using VF = __m256;
constexpr int kW = 8;
inline VF vzero() { return _mm256_setzero_ps(); }
inline VF vset1(float v) { return _mm256_set1_ps(v); }
inline VF vload(const float* p) { return _mm256_loadu_ps(p); }
inline void vstore(float* p, VF v) { _mm256_storeu_ps(p, v); }
inline __m256i tail_mask(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
inline VF vload_n(const float* p, int n) { return _mm256_maskload_ps(p, tail_mask(n)); }
inline VF vload_n_fill(const float* p, int n, float fill) {
    return _mm256_blendv_ps(vset1(fill), _mm256_maskload_ps(p, tail_mask(n)), _mm256_castsi256_ps(tail_mask(n)));
}
inline void vstore_n(float* p, VF v, int n) { _mm256_maskstore_ps(p, tail_mask(n), v); }
inline VF vadd(VF a, VF b) { return _mm256_add_ps(a, b); }
inline VF vsub(VF a, VF b) { return _mm256_sub_ps(a, b); }
inline VF vmul(VF a, VF b) { return _mm256_mul_ps(a, b); }
inline VF vdiv(VF a, VF b) { return _mm256_div_ps(a, b); }
inline VF vfma(VF a, VF b, VF c) { return _mm256_fmadd_ps(a, b, c); }
inline VF vmax(VF a, VF b) { return _mm256_max_ps(a, b); }
inline VF vmin(VF a, VF b) { return _mm256_min_ps(a, b); }
inline float vhsum(VF v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}
inline float vhmax(VF v) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}
inline VF vround(VF v) { return _mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
inline VF vpow2i(VF n) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23));
}
inline VF vswap_pairs(VF v) { return _mm256_permute_ps(v, 0xB1); }
inline VF vzero_where_neg_inf(VF z, VF e) { return _mm256_and_ps(e, _mm256_cmp_ps(z, vset1(-__builtin_inff()), _CMP_NEQ_OQ)); }
#endif

// e^x, Cephes polynomial after range reduction x = n·ln2 + r; inputs clamped to [-87.3, 88.7]
// (so e^-inf gives ~1e-38 rather than 0: callers that need exact 0 for -inf mask it themselves).
inline VF vexp(VF x) {
    x = vmin(vmax(x, vset1(-87.3f)), vset1(88.7f));
    const VF n = vround(vmul(x, vset1(1.44269504088896341f)));
    VF r = vfma(n, vset1(-0.693359375f), x);
    r = vfma(n, vset1(2.12194440e-4f), r);
    VF p = vset1(1.9875691500E-4f);
    p = vfma(p, r, vset1(1.3981999507E-3f));
    p = vfma(p, r, vset1(8.3334519073E-3f));
    p = vfma(p, r, vset1(4.1665795894E-2f));
    p = vfma(p, r, vset1(1.6666665459E-1f));
    p = vfma(p, r, vset1(5.0000001201E-1f));
    p = vfma(p, vmul(r, r), vadd(r, vset1(1.0f)));
    return vmul(p, vpow2i(n));
}

inline VF vsilu(VF x) { return vdiv(x, vadd(vset1(1.0f), vexp(vsub(vzero(), x)))); }

}  // namespace
}  // namespace atelier::infer::cpu
