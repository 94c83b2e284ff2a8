// FP8/FP4 formats: GGUF MXFP4 blocks, DeepSeek's block-scaled FP8 weights and FP4 experts, and the
// reference activation fake-quantisation (deepseek-v4.md §3.2, §3.12). MXFP4 follows GGUF's
// arithmetic: value * 2^(e-127) for every e, so e = 255 gives 2^128-scaled values (Inf where they
// overflow), while DeepSeek's UE8M0 scale tensors treat 0xFF as NaN (float8_e8m0fnu).
// Thread-safety: pure functions.
#include <cmath>

#include "inference/quant-blocks.h"
#include "inference/quant.h"
#include "inference/quant/float-convert.h"
#include "inference/quant/quant-internal.h"

namespace atelier::infer {
namespace detail {
namespace {

// 2^(e-128): half the MXFP4 scale, so that doubled E2M1 magnitudes (integers) multiply exactly.
float mxfp4_half_scale(uint8_t e) {
    return e < 2 ? f32_from_bits(0x00200000u << e) : f32_from_bits(static_cast<uint32_t>(e - 1) << 23);
}

constexpr float kE2m1Doubled[16] = {0, 1, 2, 3, 4, 6, 8, 12, -0.0f, -1, -2, -3, -4, -6, -8, -12};

void mxfp4_decode(const BlockMxfp4& b, float* y) {
    const float h = mxfp4_half_scale(b.e);
    for (int j = 0; j < 16; ++j) {
        y[j] = kE2m1Doubled[b.qs[j] & 0xF] * h;
        y[j + 16] = kE2m1Doubled[b.qs[j] >> 4] * h;
    }
}

void mxfp4_encode(const float* x, int e, BlockMxfp4* b) {
    b->e = static_cast<uint8_t>(e);
    for (int j = 0; j < 16; ++j) {
        const uint8_t lo = f32_to_e2m1(std::ldexp(x[j], 127 - e));
        const uint8_t hi = f32_to_e2m1(std::ldexp(x[j + 16], 127 - e));
        b->qs[j] = static_cast<uint8_t>(lo | (hi << 4));
    }
}

}  // namespace

void dequant_mxfp4(const void* src, float* dst, int64_t n_blocks) {
    const auto* b = static_cast<const BlockMxfp4*>(src);
    for (int64_t i = 0; i < n_blocks; ++i) mxfp4_decode(b[i], dst + kQKMxfp4 * i);
}

// Shared exponent: the OCP MX choice floor(log2(amax)) - 2 (may clip the largest values to 6) and
// one above it (no clipping); keep whichever reconstructs the block with less squared error.
void quant_mxfp4(const float* src, void* dst, int64_t n_blocks) {
    auto* out = static_cast<BlockMxfp4*>(dst);
    for (int64_t i = 0; i < n_blocks; ++i) {
        const float* x = src + kQKMxfp4 * i;
        float amax = 0.0f;
        for (int j = 0; j < kQKMxfp4; ++j) amax = std::fmax(amax, std::fabs(x[j]));
        if (amax == 0.0f) {
            mxfp4_encode(x, 127, &out[i]);
            continue;
        }
        int base = std::ilogb(amax) - 2 + 127;
        base = base < 0 ? 0 : (base > 253 ? 253 : base);
        float best = INFINITY;
        for (int e = base; e <= base + 1; ++e) {
            BlockMxfp4 cand;
            float y[kQKMxfp4];
            mxfp4_encode(x, e, &cand);
            mxfp4_decode(cand, y);
            float err = 0.0f;
            for (int j = 0; j < kQKMxfp4; ++j) err += (y[j] - x[j]) * (y[j] - x[j]);
            if (err < best) {
                best = err;
                out[i] = cand;
            }
        }
    }
}

}  // namespace detail

Status dequantize_fp8_blocked(const uint8_t* w, const uint8_t* scales_e8m0, int64_t rows, int64_t cols, int block,
                              float* out) {
    if (block != 128 && block != 32)
        return make_error(ErrorCode::InvalidArgument, "FP8 block size " + std::to_string(block) + " is not 128 or 32",
                          "DeepSeek V4 uses 128x128 scale blocks and V4.1 32x32");
    int64_t total = 0;
    if (rows < 0 || cols < 0 || __builtin_mul_overflow(rows, cols, &total))
        return make_error(ErrorCode::InvalidArgument, "bad FP8 weight shape [" + std::to_string(rows) + ", " +
                                                          std::to_string(cols) + "]");
    if (total > 0 && (!w || !scales_e8m0 || !out))
        return make_error(ErrorCode::InvalidArgument, "null buffer passed to dequantize_fp8_blocked");
    const int64_t scale_cols = (cols + block - 1) / block;
    for (int64_t r = 0; r < rows; ++r) {
        const uint8_t* srow = scales_e8m0 + (r / block) * scale_cols;
        for (int64_t c = 0; c < cols; ++c)
            out[r * cols + c] = e4m3_to_f32(w[r * cols + c]) * e8m0_to_f32(srow[c / block]);
    }
    return ok_status();
}

Status dequantize_fp4_expert(const uint8_t* packed, const uint8_t* scales_e8m0, int64_t rows, int64_t cols,
                             float* out) {
    int64_t total = 0;
    if (rows < 0 || cols < 0 || cols % 32 != 0 || __builtin_mul_overflow(rows, cols, &total))
        return make_error(ErrorCode::InvalidArgument,
                          "bad FP4 expert shape [" + std::to_string(rows) + ", " + std::to_string(cols) + "]",
                          "the K dimension must be a multiple of 32 (one UE8M0 scale per 32 values)");
    if (total > 0 && (!packed || !scales_e8m0 || !out))
        return make_error(ErrorCode::InvalidArgument, "null buffer passed to dequantize_fp4_expert");
    for (int64_t r = 0; r < rows; ++r) {
        const uint8_t* prow = packed + r * (cols / 2);
        const uint8_t* srow = scales_e8m0 + r * (cols / 32);
        float* orow = out + r * cols;
        for (int64_t c = 0; c < cols; c += 2) {
            const float s = e8m0_to_f32(srow[c / 32]);
            orow[c] = e2m1_to_f32(prow[c / 2] & 0xF) * s;
            orow[c + 1] = e2m1_to_f32(prow[c / 2] >> 4) * s;
        }
    }
    return ok_status();
}

namespace {

// One fake-quantisation pass; max_val is 448 (E4M3) or 6 (E2M1); amax is floored at amax_floor
// (DeepSeek's kernels: 1e-4 for FP8, 6·2^-126 for FP4). Each value becomes quant(x, s, 1/s) for
// its block's power-of-two scale s.
template <class Quant>
Status fake_quant(float* x, int64_t n, int block, float max_val, float amax_floor, Quant quant, const char* what) {
    if (block <= 0 || n < 0 || n % block != 0)
        return make_error(ErrorCode::InvalidArgument,
                          std::string(what) + ": " + std::to_string(n) + " values is not a whole number of blocks of " +
                              std::to_string(block),
                          "the reference quantises activations per block along K; pad K to the block");
    if (n > 0 && !x) return make_error(ErrorCode::InvalidArgument, std::string(what) + ": null buffer");
    const float inv_max = 1.0f / max_val;
    for (int64_t b0 = 0; b0 < n; b0 += block) {
        float amax = amax_floor;
        for (int64_t i = b0; i < b0 + block; ++i) {  // fmax's NaN rule (a NaN is skipped), without its call
            const float a = std::fabs(x[i]);
            amax = a > amax ? a : amax;
        }
        const float s = pow2_f32(ceil_log2_bits(amax * inv_max));
        const float inv_s = 1.0f / s;
        for (int64_t i = b0; i < b0 + block; ++i) x[i] = quant(x[i], s, inv_s);
    }
    return ok_status();
}

}  // namespace

Status fake_quant_fp8_act(float* x, int64_t n, int block) {
    auto quant = [](float val, float s, float) {
        float v = val / s;
        if (v > 448.0f) v = 448.0f;
        if (v < -448.0f) v = -448.0f;
        return e4m3_to_f32(f32_to_e4m3(v)) * s;
    };
    return fake_quant(x, n, block, 448.0f, 1e-4f, quant, "fake_quant_fp8_act");
}

// FP4 without an encode/decode round trip: the same values as f32_to_e2m1 then e2m1_to_f32,
// with no data-dependent branch (the indexer's queries run 8192 values a token per CSA layer, and
// the branchy encoder mispredicted on most of them). x/s is x·(1/s) exactly, s being a power of
// two; |v| rounds to the E2M1 grid by round-to-nearest-even on its own step (0.5 below 2, 1 below
// 4, 2 up to 6), which gives f32_to_e2m1's ties; NaN gives 0 with its sign.
Status fake_quant_fp4_act(float* x, int64_t n, int block) {
    auto quant = [](float val, float s, float inv_s) {
        constexpr float kRne = 0x1p23f;  // (y + 2^23) - 2^23 rounds 0 <= y < 2^23 to an integer, ties to even
        const float v = val * inv_s;
        float a = std::fabs(v);
        a = a > 6.0f ? 6.0f : a;
        const float up = a < 2.0f ? 2.0f : (a < 4.0f ? 1.0f : 0.5f);  // 1 / step
        const float step = a < 2.0f ? 0.5f : (a < 4.0f ? 1.0f : 2.0f);
        float q = ((a * up + kRne) - kRne) * step;  // not folded: no -ffast-math
        q = a > 0.25f ? q : 0.0f;  // also NaN
        return std::copysign(q, v) * s;
    };
    return fake_quant(x, n, block, 6.0f, 6.0f * 0x1p-126f, quant, "fake_quant_fp4_act");
}

}  // namespace atelier::infer
