// Q4_K quantiser. Method (ours): for each sub-block of 32, search a grid of 21 candidate scales
// (15 + t)/(max - min), t in [-1, 1] step 0.1, rounding every value to a 4-bit code, then fit the
// best scale and offset for those codes by least squares (offset kept <= 0, i.e. min >= 0) and keep
// the candidate with the lowest squared error. The 8 scales and mins are then stored as 6-bit
// multiples of the fp16 super-block d and dmin; each sub-block finally tries its 6-bit scale and
// min +-1 against the rounded d/dmin and keeps the best, with codes recomputed from the stored
// values (what dequantisation will see). Thread-safety: pure function.
#include <cmath>

#include "inference/quant-blocks.h"
#include "inference/quant/float-convert.h"
#include "inference/quant/quant-internal.h"

namespace atelier::infer::detail {
namespace {

constexpr int kSub = 32;

int clamp_code(float v, int hi) {
    const int q = static_cast<int>(std::nearbyint(v));
    return q < 0 ? 0 : (q > hi ? hi : q);
}

// Squared error of x against scale*q - min with codes chosen by rounding; codes written to L.
float sub_error(const float* x, float scale, float min, uint8_t* L) {
    float err = 0.0f;
    const float inv = scale > 0.0f ? 1.0f / scale : 0.0f;
    for (int i = 0; i < kSub; ++i) {
        const int q = scale > 0.0f ? clamp_code((x[i] + min) * inv, 15) : 0;
        L[i] = static_cast<uint8_t>(q);
        const float e = scale * static_cast<float>(q) - min - x[i];
        err += e * e;
    }
    return err;
}

// Best (scale, min) for one sub-block, min >= 0 (the value -min is the sub-block's offset).
void fit_sub_block(const float* x, float* scale_out, float* min_out) {
    float lo = x[0], hi = x[0];
    for (int i = 1; i < kSub; ++i) {
        lo = std::fmin(lo, x[i]);
        hi = std::fmax(hi, x[i]);
    }
    if (lo > 0.0f) lo = 0.0f;
    *scale_out = 0.0f;
    *min_out = -lo;
    if (hi <= lo) return;
    uint8_t L0[kSub];
    float best = sub_error(x, (hi - lo) / 15.0f, -lo, L0);
    *scale_out = (hi - lo) / 15.0f;
    for (int t = -10; t <= 10; ++t) {
        const float iscale = (15.0f + 0.1f * static_cast<float>(t)) / (hi - lo);
        double sl = 0, sx = 0, sll = 0, slx = 0;
        for (int i = 0; i < kSub; ++i) {
            const int q = clamp_code(iscale * (x[i] - lo), 15);
            sl += q;
            sx += x[i];
            sll += static_cast<double>(q) * q;
            slx += static_cast<double>(q) * x[i];
        }
        const double det = kSub * sll - sl * sl;
        if (det <= 0) continue;
        double a = (kSub * slx - sl * sx) / det;
        double b = (sll * sx - sl * slx) / det;  // x ~ a*q + b
        if (b > 0) {
            b = 0;
            a = slx / sll;
        }
        if (a <= 0) continue;
        uint8_t L[kSub];
        const float err = sub_error(x, static_cast<float>(a), static_cast<float>(-b), L);
        if (err < best) {
            best = err;
            *scale_out = static_cast<float>(a);
            *min_out = static_cast<float>(-b);
        }
    }
}

void pack_scales(const uint8_t* sc, const uint8_t* m, uint8_t* s) {
    for (int k = 0; k < 4; ++k) {
        s[k] = static_cast<uint8_t>(sc[k] | ((sc[k + 4] >> 4) << 6));
        s[k + 4] = static_cast<uint8_t>(m[k] | ((m[k + 4] >> 4) << 6));
        s[k + 8] = static_cast<uint8_t>((sc[k + 4] & 0xF) | ((m[k + 4] & 0xF) << 4));
    }
}

void quant_q4_k_block(const float* x, BlockQ4_K* b) {
    float scale[8], min[8], max_scale = 0.0f, max_min = 0.0f;
    for (int s = 0; s < 8; ++s) {
        fit_sub_block(x + kSub * s, &scale[s], &min[s]);
        max_scale = std::fmax(max_scale, scale[s]);
        max_min = std::fmax(max_min, min[s]);
    }
    b->d = f32_to_f16(max_scale / 63.0f);
    b->dmin = f32_to_f16(max_min / 63.0f);
    const float d = f16_to_f32(b->d), dmin = f16_to_f32(b->dmin);
    uint8_t sc[8], m[8], L[kQK_K];
    for (int s = 0; s < 8; ++s) {
        const int sc0 = d > 0.0f ? clamp_code(scale[s] / d, 63) : 0;
        const int m0 = dmin > 0.0f ? clamp_code(min[s] / dmin, 63) : 0;
        float best = INFINITY;
        for (int ds = -1; ds <= 1; ++ds) {
            for (int dm = -1; dm <= 1; ++dm) {
                const int si = sc0 + ds, mi = m0 + dm;
                if (si < 0 || si > 63 || mi < 0 || mi > 63) continue;
                uint8_t Lt[kSub];
                const float err = sub_error(x + kSub * s, d * static_cast<float>(si), dmin * static_cast<float>(mi), Lt);
                if (err < best) {
                    best = err;
                    sc[s] = static_cast<uint8_t>(si);
                    m[s] = static_cast<uint8_t>(mi);
                    for (int i = 0; i < kSub; ++i) L[kSub * s + i] = Lt[i];
                }
            }
        }
    }
    pack_scales(sc, m, b->scales);
    for (int c = 0; c < 4; ++c)
        for (int l = 0; l < 32; ++l)
            b->qs[32 * c + l] = static_cast<uint8_t>(L[64 * c + l] | (L[64 * c + 32 + l] << 4));
}

}  // namespace

void quant_q4_k(const float* src, void* dst, int64_t n_blocks) {
    auto* b = static_cast<BlockQ4_K*>(dst);
    for (int64_t i = 0; i < n_blocks; ++i) quant_q4_k_block(src + kQK_K * i, &b[i]);
}

}  // namespace atelier::infer::detail
