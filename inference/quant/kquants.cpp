// K-quants: dequantisation of Q2_K, Q3_K, Q4_K, Q5_K and Q6_K (layouts in quant-blocks.h), with
// the GGUF reference's arithmetic order (sub-block scale d*sc first, then *q, then - dmin*m) so
// results are bit-identical to it when the compiler does not contract into FMA (we never enable it
// for these files). The Q4_K quantiser is in kquant-q4k.cpp. Thread-safety: pure functions.
#include "inference/quant-blocks.h"
#include "inference/quant/float-convert.h"
#include "inference/quant/quant-internal.h"

namespace atelier::infer::detail {

void dequant_q2_k(const void* src, float* dst, int64_t n_blocks) {
    const auto* b = static_cast<const BlockQ2_K*>(src);
    for (int64_t i = 0; i < n_blocks; ++i, dst += kQK_K) {
        const float d = f16_to_f32(b[i].d);
        const float dmin = f16_to_f32(b[i].dmin);
        for (int sb = 0; sb < 16; ++sb) {  // sub-block of 16: e = 16*sb + k
            const uint8_t sc = b[i].scales[sb];
            const float dl = d * static_cast<float>(sc & 0xF);
            const float ml = dmin * static_cast<float>(sc >> 4);
            const uint8_t* qs = b[i].qs + 32 * (sb / 8) + 16 * (sb % 2);
            const int shift = 2 * ((sb / 2) % 4);
            for (int k = 0; k < 16; ++k) dst[16 * sb + k] = dl * static_cast<float>((qs[k] >> shift) & 3) - ml;
        }
    }
}

void dequant_q3_k(const void* src, float* dst, int64_t n_blocks) {
    const auto* b = static_cast<const BlockQ3_K*>(src);
    for (int64_t i = 0; i < n_blocks; ++i, dst += kQK_K) {
        const float d = f16_to_f32(b[i].d);
        float dl[16];
        for (int j = 0; j < 16; ++j) {
            const int lo = j < 8 ? (b[i].scales[j] & 0xF) : (b[i].scales[j - 8] >> 4);
            const int hi = (b[i].scales[8 + j % 4] >> (2 * (j / 4))) & 3;
            dl[j] = d * static_cast<float>((lo | (hi << 4)) - 32);
        }
        for (int sb = 0; sb < 16; ++sb) {  // e = 16*sb + k, e%32 = 16*(sb%2) + k
            const uint8_t* qs = b[i].qs + 32 * (sb / 8) + 16 * (sb % 2);
            const uint8_t* hm = b[i].hmask + 16 * (sb % 2);
            const int shift = 2 * ((sb / 2) % 4), hbit = sb / 2;
            for (int k = 0; k < 16; ++k) {
                const int low = (qs[k] >> shift) & 3;
                const int high = (hm[k] >> hbit) & 1;
                dst[16 * sb + k] = dl[sb] * static_cast<float>(low - (high ? 0 : 4));
            }
        }
    }
}

namespace {

// Q4_K and Q5_K share the scale/min layout; Q5_K adds a fifth bit from qh.
template <class Block, bool kFifthBit>
void dequant_q45_k(const void* src, float* dst, int64_t n_blocks) {
    const auto* b = static_cast<const Block*>(src);
    for (int64_t i = 0; i < n_blocks; ++i, dst += kQK_K) {
        const float d = f16_to_f32(b[i].d);
        const float dmin = f16_to_f32(b[i].dmin);
        for (int sb = 0; sb < 8; ++sb) {
            uint8_t sc, m;
            kquant_scale_min(b[i].scales, sb, &sc, &m);
            const float ds = d * static_cast<float>(sc);
            const float dm = dmin * static_cast<float>(m);
            const uint8_t* qs = b[i].qs + 32 * (sb / 2);
            const int shift = 4 * (sb % 2);
            for (int l = 0; l < 32; ++l) {
                int q = (qs[l] >> shift) & 0xF;
                if constexpr (kFifthBit) q |= ((b[i].qh[l] >> sb) & 1) << 4;
                dst[32 * sb + l] = ds * static_cast<float>(q) - dm;
            }
        }
    }
}

}  // namespace

void dequant_q4_k(const void* src, float* dst, int64_t n_blocks) {
    dequant_q45_k<BlockQ4_K, false>(src, dst, n_blocks);
}

void dequant_q5_k(const void* src, float* dst, int64_t n_blocks) {
    dequant_q45_k<BlockQ5_K, true>(src, dst, n_blocks);
}

void dequant_q6_k(const void* src, float* dst, int64_t n_blocks) {
    const auto* b = static_cast<const BlockQ6_K*>(src);
    for (int64_t i = 0; i < n_blocks; ++i, dst += kQK_K) {
        const float d = f16_to_f32(b[i].d);
        for (int sb = 0; sb < 16; ++sb) {  // e = 128*a + r, r = 16*(sb%8) + k
            const int a = sb / 8, r0 = 16 * (sb % 8);
            const float ds = d * static_cast<float>(b[i].scales[sb]);
            const uint8_t* ql = b[i].ql + 64 * a + r0 % 64;
            const uint8_t* qh = b[i].qh + 32 * a + r0 % 32;
            const int lshift = 4 * (r0 / 64), hshift = 2 * (r0 / 32);
            for (int k = 0; k < 16; ++k) {
                const int q = ((ql[k] >> lshift) & 0xF) | (((qh[k] >> hshift) & 3) << 4);
                dst[16 * sb + k] = ds * static_cast<float>(q - 32);
            }
        }
    }
}

}  // namespace atelier::infer::detail
