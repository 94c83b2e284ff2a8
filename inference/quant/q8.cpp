// Q8_0 and Q8_K: dequantisation and quantisation. Q8_0 rounding matches GGUF's reference
// quantiser bit for bit: d = amax/127 (f32), id = 1/d, q = round-half-away(x * id), d stored fp16.
// Q8_K (activations): d = amax/127 kept in f32, q = nearest-even(x / d), plus 16 block sums.
// Thread-safety: pure functions.
#include <cmath>

#include "inference/quant-blocks.h"
#include "inference/quant/float-convert.h"
#include "inference/quant/quant-internal.h"

namespace atelier::infer::detail {
namespace {

// amax/127 and its reciprocal (0 for an all-zero block), in f32 as GGUF's reference computes them.
void symmetric_scale(const float* x, int n, float* d, float* id) {
    float amax = 0.0f;
    for (int j = 0; j < n; ++j) amax = std::fmax(amax, std::fabs(x[j]));
    *d = amax / 127.0f;
    *id = *d != 0.0f ? 1.0f / *d : 0.0f;
}

}  // namespace

void dequant_q8_0(const void* src, float* dst, int64_t n_blocks) {
    const auto* b = static_cast<const BlockQ8_0*>(src);
    for (int64_t i = 0; i < n_blocks; ++i, dst += kQK8_0) {
        const float d = f16_to_f32(b[i].d);
        for (int j = 0; j < kQK8_0; ++j) dst[j] = static_cast<float>(b[i].qs[j]) * d;
    }
}

void dequant_q8_k(const void* src, float* dst, int64_t n_blocks) {
    const auto* b = static_cast<const BlockQ8_K*>(src);
    for (int64_t i = 0; i < n_blocks; ++i, dst += kQK_K)
        for (int j = 0; j < kQK_K; ++j) dst[j] = static_cast<float>(b[i].qs[j]) * b[i].d;
}

void quant_q8_0(const float* src, void* dst, int64_t n_blocks) {
    auto* b = static_cast<BlockQ8_0*>(dst);
    for (int64_t i = 0; i < n_blocks; ++i, src += kQK8_0) {
        float d, id;
        symmetric_scale(src, kQK8_0, &d, &id);
        b[i].d = f32_to_f16(d);
        for (int j = 0; j < kQK8_0; ++j) b[i].qs[j] = static_cast<int8_t>(std::round(src[j] * id));
    }
}

void quant_q8_k(const float* src, void* dst, int64_t n_blocks) {
    auto* b = static_cast<BlockQ8_K*>(dst);
    for (int64_t i = 0; i < n_blocks; ++i, src += kQK_K) {
        float d, id;
        symmetric_scale(src, kQK_K, &d, &id);
        b[i].d = d;
        for (int j = 0; j < kQK_K; ++j) {
            const float q = std::nearbyint(src[j] * id);
            b[i].qs[j] = static_cast<int8_t>(std::fmin(127.0f, std::fmax(-127.0f, q)));
        }
        for (int g = 0; g < kQK_K / 16; ++g) {
            int sum = 0;
            for (int j = 0; j < 16; ++j) sum += b[i].qs[16 * g + j];
            b[i].bsums[g] = static_cast<int16_t>(sum);
        }
    }
}

}  // namespace atelier::infer::detail
