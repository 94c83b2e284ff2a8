// Scalar converters between f32 and the small float formats: fp16, bf16, FP8 E4M3 (OCP "fn":
// no infinities, S.1111.111 is NaN, max 448), UE8M0 scales and FP4 E2M1. Inline and integer-only
// so kernels (and later CUDA) can use them. Encoders round to nearest, ties to even.
// NaN/Inf: fp16/bf16 keep NaN (quieted) and Inf; E4M3 keeps NaN and saturates Inf to ±448;
// E2M1 has no NaN: NaN encodes as (signed) 0 and Inf saturates to ±6. UE8M0 0xFF decodes to NaN.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <cstring>

namespace atelier::infer {

inline uint32_t f32_bits(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
}
inline float f32_from_bits(uint32_t u) {
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

// v >> s rounded to nearest, ties to even (0 <= s; s >= 32 gives 0 unless v rounds up).
inline uint32_t shift_right_rne(uint32_t v, int s) {
    if (s <= 0) return v;
    if (s >= 32) return 0;  // callers keep s <= 25 for non-zero values
    const uint32_t q = v >> s;
    const uint32_t rem = v & ((1u << s) - 1);
    const uint32_t half = 1u << (s - 1);
    return q + ((rem > half || (rem == half && (q & 1))) ? 1u : 0u);
}

inline float f16_to_f32(uint16_t h) {
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
    const uint32_t exp = (h >> 10) & 0x1F;
    uint32_t mant = h & 0x3FF;
    if (exp == 0x1F) return f32_from_bits(sign | 0x7F800000 | (mant << 13));
    if (exp != 0) return f32_from_bits(sign | ((exp + 112) << 23) | (mant << 13));
    if (mant == 0) return f32_from_bits(sign);
    int e = 113;  // subnormal: normalise the mantissa
    while (!(mant & 0x400)) {
        mant <<= 1;
        --e;
    }
    return f32_from_bits(sign | (static_cast<uint32_t>(e) << 23) | ((mant & 0x3FF) << 13));
}

inline uint16_t f32_to_f16(float f) {
    const uint32_t u = f32_bits(f);
    const uint16_t sign = static_cast<uint16_t>((u >> 16) & 0x8000);
    const uint32_t a = u & 0x7FFFFFFF;
    if (a > 0x7F800000) return static_cast<uint16_t>(sign | 0x7E00 | ((a >> 13) & 0x3FF));  // NaN, quiet
    if (a >= 0x477FF000) return static_cast<uint16_t>(sign | 0x7C00);  // >= 65520 rounds to Inf
    const int e = static_cast<int>(a >> 23) - 127;
    if (e >= -14) {  // normal fp16: drop 13 mantissa bits; a carry bumps the exponent correctly
        const uint32_t base = (static_cast<uint32_t>(e + 15) << 10) | ((a >> 13) & 0x3FF);
        const uint32_t rem = a & 0x1FFF;
        const uint32_t r = base + ((rem > 0x1000 || (rem == 0x1000 && (base & 1))) ? 1u : 0u);
        return static_cast<uint16_t>(sign | r);
    }
    if (e < -25) return sign;  // below half the smallest subnormal
    const uint32_t m = (a & 0x7FFFFF) | 0x800000;  // value = m * 2^(e-23); unit 2^-24
    return static_cast<uint16_t>(sign | shift_right_rne(m, -e - 1));
}

inline float bf16_to_f32(uint16_t b) { return f32_from_bits(static_cast<uint32_t>(b) << 16); }

inline uint16_t f32_to_bf16(float f) {
    const uint32_t u = f32_bits(f);
    if ((u & 0x7FFFFFFF) > 0x7F800000) return static_cast<uint16_t>((u >> 16) | 0x0040);  // quiet NaN
    return static_cast<uint16_t>((u + 0x7FFF + ((u >> 16) & 1)) >> 16);
}

// FP8 E4M3 (bias 7). Subnormals: code e=0 means m/8 * 2^-6.
inline float e4m3_to_f32(uint8_t c) {
    const uint32_t sign = static_cast<uint32_t>(c & 0x80) << 24;
    const uint32_t exp = (c >> 3) & 0xF;
    const uint32_t mant = c & 7;
    if (exp == 0xF && mant == 7) return f32_from_bits(sign | 0x7FC00000);
    if (exp != 0) return f32_from_bits(sign | ((exp + 120) << 23) | (mant << 20));
    // subnormal m * 2^-9, exact in f32
    return f32_from_bits(sign | f32_bits(static_cast<float>(mant) * (1.0f / 512.0f)));
}

inline uint8_t f32_to_e4m3(float f) {
    const uint32_t u = f32_bits(f);
    const uint8_t sign = static_cast<uint8_t>((u >> 24) & 0x80);
    const uint32_t a = u & 0x7FFFFFFF;
    if (a > 0x7F800000) return static_cast<uint8_t>(sign | 0x7F);
    if (a >= 0x43E00000) return static_cast<uint8_t>(sign | 0x7E);  // >= 448 (and Inf) saturate
    const int e = static_cast<int>(a >> 23) - 127;
    if (e >= -6) {  // normal E4M3; a rounding carry moves into the exponent (max stays 0x7E)
        const uint32_t base = (static_cast<uint32_t>(e + 7) << 3) | ((a >> 20) & 7);
        const uint32_t rem = a & 0xFFFFF;
        const uint32_t r = base + ((rem > 0x80000 || (rem == 0x80000 && (base & 1))) ? 1u : 0u);
        return static_cast<uint8_t>(sign | r);
    }
    if (e < -11) return sign;  // below 2^-10 = half the smallest subnormal
    const uint32_t m = (a & 0x7FFFFF) | 0x800000;  // value = m * 2^(e-23); unit 2^-9
    return static_cast<uint8_t>(sign | shift_right_rne(m, 14 - e));
}

// UE8M0: 2^(c - 127); 0xFF is NaN (OCP MX). c = 0 gives 2^-127 (an f32 subnormal).
inline float e8m0_to_f32(uint8_t c) {
    if (c == 0xFF) return f32_from_bits(0x7FC00000);
    if (c == 0) return f32_from_bits(0x00400000);
    return f32_from_bits(static_cast<uint32_t>(c) << 23);
}

// FP4 E2M1 codes 0..15: magnitudes 0, 0.5, 1, 1.5, 2, 3, 4, 6; bit 3 is the sign.
inline float e2m1_to_f32(uint8_t code) {
    static constexpr float kMag[8] = {0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f};
    const float m = kMag[code & 7];
    return (code & 8) ? -m : m;
}

// Nearest E2M1 code, ties to the even code (0.25->0, 0.75->1.0, 1.25->1.0, 1.75->2, 2.5->2,
// 3.5->4, 5->4); |x| > 6 and Inf saturate to 6; NaN gives 0 with its sign.
inline uint8_t f32_to_e2m1(float f) {
    const uint8_t sign = (f32_bits(f) >> 28) & 8;
    const float a = f32_from_bits(f32_bits(f) & 0x7FFFFFFF);
    uint8_t c;
    if (!(a > 0.25f)) c = 0;  // also NaN
    else if (a < 0.75f) c = 1;
    else if (a <= 1.25f) c = 2;
    else if (a < 1.75f) c = 3;
    else if (a <= 2.5f) c = 4;
    else if (a < 3.5f) c = 5;
    else if (a <= 5.0f) c = 6;
    else c = 7;
    return static_cast<uint8_t>(sign | c);
}

// Exponent k of the smallest power of two 2^k >= x, for finite x > 0 (exact bit test, as
// DeepSeek's reference kernels compute it: exponent field plus one if any mantissa bit is set).
// Subnormal x is treated like the reference: exponent field 0 gives -127 (+1 if mantissa != 0).
inline int ceil_log2_bits(float x) {
    const uint32_t u = f32_bits(x);
    return static_cast<int>((u >> 23) & 0xFF) - 127 + ((u & 0x7FFFFF) != 0 ? 1 : 0);
}

// 2^k as f32 for -126 <= k <= 127.
inline float pow2_f32(int k) { return f32_from_bits(static_cast<uint32_t>(k + 127) << 23); }

}  // namespace atelier::infer
