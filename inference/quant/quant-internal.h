// Per-type row functions behind quant.h's dispatch. Each takes a whole number of blocks
// (n_blocks), already checked by the caller; none validates or allocates.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>

namespace atelier::infer::detail {

void dequant_q8_0(const void* src, float* dst, int64_t n_blocks);
void dequant_q8_k(const void* src, float* dst, int64_t n_blocks);
void dequant_q2_k(const void* src, float* dst, int64_t n_blocks);
void dequant_q3_k(const void* src, float* dst, int64_t n_blocks);
void dequant_q4_k(const void* src, float* dst, int64_t n_blocks);
void dequant_q5_k(const void* src, float* dst, int64_t n_blocks);
void dequant_q6_k(const void* src, float* dst, int64_t n_blocks);
void dequant_iq2_xxs(const void* src, float* dst, int64_t n_blocks);
void dequant_iq3_xxs(const void* src, float* dst, int64_t n_blocks);
void dequant_mxfp4(const void* src, float* dst, int64_t n_blocks);

// Quantisers: input already checked finite.
void quant_q8_0(const float* src, void* dst, int64_t n_blocks);
void quant_q8_k(const float* src, void* dst, int64_t n_blocks);
void quant_q4_k(const float* src, void* dst, int64_t n_blocks);
void quant_mxfp4(const float* src, void* dst, int64_t n_blocks);

// Unpacks the 6-bit scale and min of sub-block j (0..7) from Q4_K/Q5_K's 12 packed bytes.
inline void kquant_scale_min(const uint8_t* s, int j, uint8_t* sc, uint8_t* m) {
    if (j < 4) {
        *sc = s[j] & 63;
        *m = s[j + 4] & 63;
    } else {
        *sc = static_cast<uint8_t>((s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4));
        *m = static_cast<uint8_t>((s[j + 4] >> 4) | ((s[j] >> 6) << 4));
    }
}

}  // namespace atelier::infer::detail
