// Row-level dequantisation and quantisation for every engine type, DeepSeek's block-scaled FP8
// and FP4 weight formats, and the reference activation fake-quantisation (deepseek-v4.md §3.12).
// Rows are whole blocks: a length that is not a multiple of the type's block gives
// InvalidArgument and nothing is written. Block quantisers reject NaN/Inf input (InvalidArgument)
// instead of writing garbage scales; element formats follow quant/float-convert.h.
// Thread-safety: pure functions on caller-owned memory; safe to call concurrently.
#pragma once

#include <cstdint>

#include "core/result.h"
#include "inference/dtype.h"

namespace atelier::infer {

// n values of type t at src -> n floats at dst. Every DType except Invalid/Count/F64/integers.
// F8_E8M0 decodes each byte as a scale (0xFF -> NaN); FP4_E2M1 reads n/2 bytes, low nibble first.
Status dequantize_row(DType t, const void* src, float* dst, int64_t n);

// Q4_K_R16 (dtype.h, quant-blocks.h): its rows are interleaved 16 at a time, so dequantize_row
// refuses it (Unsupported); a row is read through its group instead. K % 256 == 0 for all three.
//  repack: 16 Q4_K rows of K values (row r at rows + r·row_stride) -> one group (K/256 blocks).
//  unpack: row r (0..15) of a group back to K/256 Q4_K blocks, byte-identical to the original.
//  dequantize: row r of a group as K floats (what dequantize_row gives for the Q4_K row).
Status repack_q4k_r16(const void* rows, int64_t row_stride, int64_t K, void* dst);
Status unpack_row_q4k_r16(const void* group, int r, int64_t K, void* dst);
Status dequantize_row_q4k_r16(const void* group, int r, float* dst, int64_t K);

// n floats -> n values of type t. Supported: F32, F16, BF16, F8_E4M3, FP4_E2M1 (codes, no
// scale), Q8_0, Q4_K, Q8_K, MXFP4. Others: Unsupported.
Status quantize_row(DType t, const float* src, void* dst, int64_t n);

// True when quantize_row supports t.
bool can_quantize(DType t);

// DeepSeek FP8 weights [rows, cols] (E4M3, row-major) with UE8M0 scales
// [ceil(rows/block), ceil(cols/block)] (row-major); out[r*cols + c] = w * scale[r/block][c/block].
// block is 128 (V4) or 32 (V4.1). Fails on rows/cols < 0 or another block.
Status dequantize_fp8_blocked(const uint8_t* w, const uint8_t* scales_e8m0, int64_t rows, int64_t cols,
                              int block, float* out);

// DeepSeek FP4 experts [rows, cols]: packed [rows, cols/2] (low nibble = element 2i), UE8M0
// scales [rows, cols/32]. cols must be a multiple of 32.
Status dequantize_fp4_expert(const uint8_t* packed, const uint8_t* scales_e8m0, int64_t rows, int64_t cols,
                             float* out);

// In place: per block of `block` values, amax floored at 1e-4, scale 2^ceil(log2(amax * (1/448)))
// (computed on the bits, as the reference kernels do), x/scale clamped to ±448, rounded to E4M3
// (nearest even) and multiplied back. n must be a multiple of block (> 0). NaN stays NaN.
Status fake_quant_fp8_act(float* x, int64_t n, int block);
// The same with FP4 E2M1 (amax floored at 6·2^-126, max 6, scale 2^ceil(log2(amax * (1/6)))),
// block 32 unless given.
Status fake_quant_fp4_act(float* x, int64_t n, int block = 32);

// Grids of the IQ quants (GGUF): 256 entries of 8 (IQ2_XXS) or 4 (IQ3_XXS) magnitudes, and the
// 128-entry sign table (7 sign bits + the parity bit that makes the count of negatives even).
extern const uint8_t kIq2xxsGrid[256][8];
extern const uint8_t kIq3xxsGrid[256][4];
inline uint8_t iq_sign_bits(uint32_t idx7) {
    return static_cast<uint8_t>(idx7 | ((__builtin_popcount(idx7 & 127) & 1) << 7));
}

}  // namespace atelier::infer
