// Dequantisation of the IQ grid quants IQ2_XXS and IQ3_XXS (layouts in quant-blocks.h; grids in
// iq-grids.cpp). Arithmetic order follows the GGUF reference: db = d * (0.5 + scale) * k, then
// db * grid * sign, so results are bit-identical to it. Thread-safety: pure functions.
#include <cstring>

#include "inference/quant-blocks.h"
#include "inference/quant.h"
#include "inference/quant/float-convert.h"
#include "inference/quant/quant-internal.h"

namespace atelier::infer::detail {
namespace {

uint32_t load_u32(const void* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}

}  // namespace

void dequant_iq2_xxs(const void* src, float* dst, int64_t n_blocks) {
    const auto* b = static_cast<const BlockIQ2_XXS*>(src);
    for (int64_t i = 0; i < n_blocks; ++i) {
        const float d = f16_to_f32(b[i].d);
        for (int g = 0; g < kQK_K / 32; ++g) {
            const uint32_t idx = load_u32(&b[i].qs[4 * g]);
            const uint32_t aux = load_u32(&b[i].qs[4 * g + 2]);
            const float db = d * (0.5f + static_cast<float>(aux >> 28)) * 0.25f;
            for (int l = 0; l < 4; ++l) {
                const uint8_t* grid = kIq2xxsGrid[(idx >> (8 * l)) & 0xFF];
                const uint8_t signs = iq_sign_bits((aux >> (7 * l)) & 127);
                for (int j = 0; j < 8; ++j) {
                    const float v = db * static_cast<float>(grid[j]);
                    *dst++ = (signs >> j) & 1 ? -v : v;
                }
            }
        }
    }
}

void dequant_iq3_xxs(const void* src, float* dst, int64_t n_blocks) {
    const auto* b = static_cast<const BlockIQ3_XXS*>(src);
    for (int64_t i = 0; i < n_blocks; ++i) {
        const float d = f16_to_f32(b[i].d);
        const uint8_t* qs = b[i].qs;
        const uint8_t* sas = b[i].qs + kQK_K / 4;
        for (int g = 0; g < kQK_K / 32; ++g, qs += 8) {
            const uint32_t aux = load_u32(sas + 4 * g);
            const float db = d * (0.5f + static_cast<float>(aux >> 28)) * 0.5f;
            for (int l = 0; l < 4; ++l) {
                const uint8_t signs = iq_sign_bits((aux >> (7 * l)) & 127);
                const uint8_t* g1 = kIq3xxsGrid[qs[2 * l]];
                const uint8_t* g2 = kIq3xxsGrid[qs[2 * l + 1]];
                for (int j = 0; j < 8; ++j) {
                    const float v = db * static_cast<float>(j < 4 ? g1[j] : g2[j - 4]);
                    *dst++ = (signs >> j) & 1 ? -v : v;
                }
            }
        }
    }
}

}  // namespace atelier::infer::detail
