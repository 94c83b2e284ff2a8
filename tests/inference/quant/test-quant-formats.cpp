// Element formats checked exhaustively against independent formulas (ldexp of the spec's fields,
// not the bit tricks in float-convert.h): all E4M3, E2M1, E8M0 and fp16 codes decode right,
// encode(decode(c)) == c, midpoints round to the even code, saturation and NaN behave as documented.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "inference/quant.h"
#include "inference/quant/float-convert.h"

namespace atelier::infer {
namespace {

// OCP E4M3 ("fn"): bias 7, S.1111.111 is NaN, no infinities.
double ref_e4m3(int c) {
    const int s = c >> 7, e = (c >> 3) & 15, m = c & 7;
    if (e == 15 && m == 7) return std::numeric_limits<double>::quiet_NaN();
    const double mag = e == 0 ? std::ldexp(m, -9) : std::ldexp(8 + m, e - 10);
    return s ? -mag : mag;
}

double ref_e2m1(int c) {
    const int s = (c >> 3) & 1, e = (c >> 1) & 3, m = c & 1;
    const double mag = e == 0 ? 0.5 * m : std::ldexp(1.0 + 0.5 * m, e - 1);
    return s ? -mag : mag;
}

double ref_f16(int h) {
    const int s = h >> 15, e = (h >> 10) & 31, m = h & 1023;
    double mag;
    if (e == 31) mag = m ? std::numeric_limits<double>::quiet_NaN() : INFINITY;
    else if (e == 0) mag = std::ldexp(m, -24);
    else mag = std::ldexp(1024 + m, e - 25);
    return s ? -mag : mag;
}

bool same(double want, float got) {
    if (std::isnan(want)) return std::isnan(got);
    return static_cast<double>(got) == want && std::signbit(got) == std::signbit(want);
}

TEST(QuantFormats, E4m3DecodesAll256CodesPerOcpFormula) {
    for (int c = 0; c < 256; ++c) EXPECT_TRUE(same(ref_e4m3(c), e4m3_to_f32(static_cast<uint8_t>(c)))) << c;
}

TEST(QuantFormats, E4m3EncodeInvertsDecodeAndRoundsMidpointsToEven) {
    for (int c = 0; c < 256; ++c) {
        if ((c & 0x7F) == 0x7F) continue;  // NaN
        EXPECT_EQ(c, f32_to_e4m3(static_cast<float>(ref_e4m3(c)))) << c;
    }
    for (int c = 0; c < 0x7E; ++c) {  // adjacent positive finite codes c, c+1
        const double lo = ref_e4m3(c), hi = ref_e4m3(c + 1);
        const float mid = static_cast<float>((lo + hi) / 2);  // 5 significant bits: exact in f32
        ASSERT_EQ(static_cast<double>(mid), (lo + hi) / 2);
        const int even = (c % 2 == 0) ? c : c + 1;
        EXPECT_EQ(even, f32_to_e4m3(mid)) << "midpoint after code " << c;
        EXPECT_EQ(0x80 | even, f32_to_e4m3(-mid)) << "negative midpoint after code " << c;
        EXPECT_EQ(c, f32_to_e4m3(std::nextafter(mid, 0.0f))) << c;
        EXPECT_EQ(c + 1, f32_to_e4m3(std::nextafter(mid, 1000.0f))) << c;
    }
}

TEST(QuantFormats, E4m3SaturatesAndKeepsNan) {
    EXPECT_EQ(0x7E, f32_to_e4m3(448.0f));
    EXPECT_EQ(0x7E, f32_to_e4m3(463.9f));
    EXPECT_EQ(0x7E, f32_to_e4m3(464.0f));  // would round to 480 (the NaN code): saturates instead
    EXPECT_EQ(0x7E, f32_to_e4m3(1e30f));
    EXPECT_EQ(0x7E, f32_to_e4m3(INFINITY));
    EXPECT_EQ(0xFE, f32_to_e4m3(-INFINITY));
    EXPECT_EQ(0x7F, f32_to_e4m3(std::numeric_limits<float>::quiet_NaN()) & 0x7F);
    EXPECT_EQ(0x00, f32_to_e4m3(std::ldexp(1.0f, -10)));  // half the smallest subnormal: tie to 0
    EXPECT_EQ(0x01, f32_to_e4m3(std::nextafter(std::ldexp(1.0f, -10), 1.0f)));
    EXPECT_EQ(0x80, f32_to_e4m3(-1e-30f));
}

TEST(QuantFormats, E2m1DecodesAndEncodesAll16Codes) {
    for (int c = 0; c < 16; ++c) {
        EXPECT_TRUE(same(ref_e2m1(c), e2m1_to_f32(static_cast<uint8_t>(c)))) << c;
        EXPECT_EQ(c, f32_to_e2m1(static_cast<float>(ref_e2m1(c)))) << c;
    }
    for (int c = 0; c < 7; ++c) {
        const float mid = static_cast<float>((ref_e2m1(c) + ref_e2m1(c + 1)) / 2);
        const int even = (c % 2 == 0) ? c : c + 1;
        EXPECT_EQ(even, f32_to_e2m1(mid)) << c;
        EXPECT_EQ(8 | even, f32_to_e2m1(-mid)) << c;
        EXPECT_EQ(c, f32_to_e2m1(std::nextafter(mid, 0.0f))) << c;
        EXPECT_EQ(c + 1, f32_to_e2m1(std::nextafter(mid, 10.0f))) << c;
    }
    EXPECT_EQ(7, f32_to_e2m1(7.0f));
    EXPECT_EQ(7, f32_to_e2m1(INFINITY));
    EXPECT_EQ(15, f32_to_e2m1(-1e9f));
    EXPECT_EQ(0, f32_to_e2m1(std::numeric_limits<float>::quiet_NaN()));  // documented: no NaN code
}

TEST(QuantFormats, E8m0DecodesAll256Codes) {
    for (int c = 0; c < 255; ++c) EXPECT_EQ(std::ldexp(1.0, c - 127), e8m0_to_f32(static_cast<uint8_t>(c))) << c;
    EXPECT_TRUE(std::isnan(e8m0_to_f32(255)));
}

TEST(QuantFormats, F16DecodesAll65536CodesAndEncodeInverts) {
    for (int h = 0; h < 65536; ++h) {
        const float f = f16_to_f32(static_cast<uint16_t>(h));
        ASSERT_TRUE(same(ref_f16(h), f)) << h;
        if (!std::isnan(f)) {
            ASSERT_EQ(h, f32_to_f16(f)) << h;
        }
    }
}

TEST(QuantFormats, F16MidpointsRoundToEven) {
    // Midpoints between adjacent finite fp16 values (all binades, subnormals included).
    for (int h = 0; h < 0x7BFF; ++h) {
        const double mid = (ref_f16(h) + ref_f16(h + 1)) / 2;
        const float m = static_cast<float>(mid);
        ASSERT_EQ(static_cast<double>(m), mid);
        const int even = (h % 2 == 0) ? h : h + 1;
        ASSERT_EQ(even, f32_to_f16(m)) << h;
        ASSERT_EQ(h, f32_to_f16(std::nextafter(m, 0.0f))) << h;
        ASSERT_EQ(h + 1, f32_to_f16(std::nextafter(m, 1e9f))) << h;
    }
    EXPECT_EQ(0x7C00, f32_to_f16(65520.0f));  // tie between 65504 (odd) and 2^16 (Inf): even wins
    EXPECT_EQ(0x7BFF, f32_to_f16(std::nextafter(65520.0f, 0.0f)));
}

TEST(QuantFormats, Bf16RoundsToNearestEvenAndQuietsNan) {
    EXPECT_EQ(0x3F80, f32_to_bf16(f32_from_bits(0x3F808000)));  // tie, even stays
    EXPECT_EQ(0x3F82, f32_to_bf16(f32_from_bits(0x3F818000)));  // tie, odd rounds up
    EXPECT_EQ(0x3F81, f32_to_bf16(f32_from_bits(0x3F808001)));
    EXPECT_EQ(0x7F80, f32_to_bf16(INFINITY));
    EXPECT_EQ(0x7FC0, f32_to_bf16(f32_from_bits(0x7F800001)) & 0xFFC0);  // signalling NaN comes back quiet
    for (uint32_t b = 0; b < 65536; ++b)
        if ((b & 0x7FFF) <= 0x7F80) {
            ASSERT_EQ(b, f32_to_bf16(bf16_to_f32(static_cast<uint16_t>(b)))) << b;
        }
}

// The row functions agree with the scalar converters for the element formats.
TEST(QuantFormats, RowFunctionsMatchScalarConverters) {
    uint8_t codes[256];
    for (int c = 0; c < 256; ++c) codes[c] = static_cast<uint8_t>(c);
    float out[512];
    ASSERT_TRUE(dequantize_row(DType::F8_E4M3, codes, out, 256).ok());
    for (int c = 0; c < 256; ++c) EXPECT_TRUE(same(ref_e4m3(c), out[c])) << c;
    ASSERT_TRUE(dequantize_row(DType::FP4_E2M1, codes, out, 512).ok());
    for (int c = 0; c < 256; ++c) {
        EXPECT_TRUE(same(ref_e2m1(c & 15), out[2 * c])) << c;  // low nibble first
        EXPECT_TRUE(same(ref_e2m1(c >> 4), out[2 * c + 1])) << c;
    }
    uint8_t back[256];
    ASSERT_TRUE(quantize_row(DType::FP4_E2M1, out, back, 512).ok());
    for (int c = 0; c < 256; ++c) EXPECT_EQ(c, back[c]);  // -0 keeps its sign code
}

}  // namespace
}  // namespace atelier::infer
