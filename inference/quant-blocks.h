// Byte layouts of the block-quantised types, declared once for the C++ and (later) CUDA code.
// Each struct is exactly one GGUF block as stored on disk (little-endian; fp16 fields are raw
// uint16_t bits); sizes are static_asserted against dtype.cpp's table. Layout facts come from the
// GGUF specification (ggml_type). Plain data only: no std:: beyond <cstdint>, no member functions.
// Thread-safety: types only.
#pragma once

#include <cstdint>

namespace atelier::infer {

constexpr int kQK8_0 = 32;   // values per Q8_0 block
constexpr int kQK_K = 256;   // values per K-quant / IQ super-block
constexpr int kQKMxfp4 = 32; // values per MXFP4 block
constexpr int kKScaleBytes = 12;  // packed 6-bit scales+mins of Q4_K/Q5_K

// Q8_0: y[i] = d * qs[i].
struct BlockQ8_0 {
    uint16_t d;          // fp16 scale
    int8_t qs[kQK8_0];
};

// Q2_K: 16 sub-blocks of 16. scales[j]: low nibble = scale, high nibble = min (4 bits each).
// qs: 2-bit values; value e = 128*h + 32*s + l is (qs[32*h + l] >> 2*s) & 3.
// y = d * (scales[e/16] & 15) * q - dmin * (scales[e/16] >> 4).
struct BlockQ2_K {
    uint8_t scales[kQK_K / 16];
    uint8_t qs[kQK_K / 4];
    uint16_t d;     // fp16 super-block scale for the scales
    uint16_t dmin;  // fp16 super-block scale for the mins
};

// Q3_K: 16 sub-blocks of 16 with signed 6-bit scales (stored +32, packed into 12 bytes).
// Low 2 bits of value e: (qs[32*h + l] >> 2*s) & 3 as in Q2_K; high bit: bit e/32 of
// hmask[e%32]; q = low - (high bit set ? 0 : 4). y = d * (scale - 32) * q.
struct BlockQ3_K {
    uint8_t hmask[kQK_K / 8];
    uint8_t qs[kQK_K / 4];
    uint8_t scales[12];
    uint16_t d;  // fp16
};

// Q4_K: 8 sub-blocks of 32, each with a 6-bit scale and 6-bit min packed in `scales`.
// Value e = 64*c + 32*h + l is (qs[32*c + l] >> 4*h) & 15, sub-block 2*c + h.
// y = d * sc * q - dmin * m.
struct BlockQ4_K {
    uint16_t d;     // fp16
    uint16_t dmin;  // fp16
    uint8_t scales[kKScaleBytes];
    uint8_t qs[kQK_K / 2];
};

// Q4_K_R16 (engine-internal, never stored in a file): one super-block of 256 values of 16
// consecutive rows, the Q4_K fields of each row regrouped so one vector instruction serves all
// 16 rows. d/dmin[r]: row r's fp16 factors; sc/m[j][r]: row r's 6-bit scale and min of sub-block
// j, unpacked to bytes; qs[j][k][4r+i]: low nibble = row r's value 32j+4k+i, high nibble = its
// value 32j+4k+16+i (k = 0..3, i = 0..3). A tensor of N rows (N % 16 == 0) stores its row
// groups one after another, each group's K/256 super-blocks consecutive, so the 16 rows starting
// at n (n % 16 == 0) begin at data + n·row_bytes with row_bytes = 148·K/256 (the per-row
// average; a single row is not contiguous).
struct BlockQ4_KR16 {
    uint16_t d[16];
    uint16_t dmin[16];
    uint8_t sc[8][16];
    uint8_t m[8][16];
    uint8_t qs[8][4][64];
};

// Q5_K: Q4_K plus a fifth bit: bit (e/32) of qh[e%32].
struct BlockQ5_K {
    uint16_t d;
    uint16_t dmin;
    uint8_t scales[kKScaleBytes];
    uint8_t qh[kQK_K / 8];
    uint8_t qs[kQK_K / 2];
};

// Q6_K: 16 sub-blocks of 16 with int8 scales. For e = 128*a + r: low 4 bits
// (ql[64*a + r%64] >> 4*(r/64)) & 15, high 2 bits (qh[32*a + r%32] >> 2*(r/32)) & 3;
// q = (low | high << 4) - 32; y = d * scales[e/16] * q.
struct BlockQ6_K {
    uint8_t ql[kQK_K / 2];
    uint8_t qh[kQK_K / 4];
    int8_t scales[kQK_K / 16];
    uint16_t d;  // fp16
};

// Q8_K: the activation format of the K-quant dot products. y = d * qs[i]; bsums[j] is the sum of
// qs[16*j .. 16*j + 15].
struct BlockQ8_K {
    float d;
    int8_t qs[kQK_K];
    int16_t bsums[kQK_K / 16];
};

// IQ2_XXS: 8 groups of 32 values. Group g uses qs[4g .. 4g+3] as two little-endian uint32:
// word 0 = four 8-bit indices into the 256-entry grid of 8 magnitudes; word 1 = four 7-bit sign
// indices (bits 0-27, the 8th sign bit makes the count of negatives even) and a 4-bit scale
// (bits 28-31). y = d * (0.5 + scale) * 0.25 * grid[idx][j] * sign.
struct BlockIQ2_XXS {
    uint16_t d;  // fp16
    uint16_t qs[kQK_K / 8];
};

// IQ3_XXS: qs[0..63] are 8-bit indices into a 256-entry grid of 4 magnitudes; qs[64..95] are
// eight little-endian uint32, one per group of 32: four 7-bit sign indices and a 4-bit scale as
// in IQ2_XXS. y = d * (0.5 + scale) * 0.5 * grid[idx][j] * sign.
struct BlockIQ3_XXS {
    uint16_t d;  // fp16
    uint8_t qs[3 * kQK_K / 8];
};

// MXFP4 (GGUF): e is a UE8M0 scale 2^(e-127); value j (0..15) is the low nibble of qs[j], value
// j+16 the high nibble; each nibble is an E2M1 code. y = e2m1(code) * 2^(e-127).
struct BlockMxfp4 {
    uint8_t e;
    uint8_t qs[kQKMxfp4 / 2];
};

static_assert(sizeof(BlockQ8_0) == 34, "Q8_0 block size");
static_assert(sizeof(BlockQ2_K) == 84, "Q2_K block size");
static_assert(sizeof(BlockQ3_K) == 110, "Q3_K block size");
static_assert(sizeof(BlockQ4_K) == 144, "Q4_K block size");
static_assert(sizeof(BlockQ4_KR16) == 16 * 148, "Q4_K_R16 group size");
static_assert(sizeof(BlockQ5_K) == 176, "Q5_K block size");
static_assert(sizeof(BlockQ6_K) == 210, "Q6_K block size");
static_assert(sizeof(BlockQ8_K) == 292, "Q8_K block size");
static_assert(sizeof(BlockIQ2_XXS) == 66, "IQ2_XXS block size");
static_assert(sizeof(BlockIQ3_XXS) == 98, "IQ3_XXS block size");
static_assert(sizeof(BlockMxfp4) == 17, "MXFP4 block size");

}  // namespace atelier::infer
