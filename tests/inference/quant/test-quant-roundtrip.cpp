// Quantise -> dequantise round trips and quantised dot products on random normal data (fixed
// seed), each against a budget per type written beside it with its reason. Budgets were set from
// measured values (printed by the tests) with margin; a quantiser that gets worse fails.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include "inference/quant.h"
#include "quant-test-util.h"

namespace atelier::infer {
namespace {

using test::normal_data;
using test::rel_rmse;

constexpr int64_t kN = 256 * 64;  // 16,384 values: 64 super-blocks, 512 Q8_0 blocks

struct Budget {
    DType type;
    double rmse;  // max relative RMSE of the round trip on N(0,1) data
    const char* why;
};

// Measured with seed 1234 (gcc 12, x86-64) in brackets; budgets leave ~30% margin so a real
// regression fails while a different libm or compiler does not.
const Budget kBudgets[] = {
    {DType::BF16, 0.0022, "[0.00167] 8-bit significand, RNE: relative step 2^-7..2^-8, RMS ~ step/sqrt(12)"},
    {DType::F16, 0.0003, "[0.00021] 11-bit significand: 8x finer than bf16"},
    {DType::F8_E4M3, 0.035, "[0.0265] 4-bit significand, unscaled; N(0,1) sits in E4M3's normal range"},
    {DType::Q8_0, 0.007, "[0.00537] step amax/127 per 32 values (amax ~ 2.1 sigma): step/sqrt(12)/sigma ~ 0.5%"},
    {DType::Q8_K, 0.009, "[0.00703] as Q8_0 but one scale per 256 values: larger amax (~2.9 sigma)"},
    {DType::Q4_K, 0.08, "[0.0702] 15 steps per 32 values, searched scale/min, 6-bit scales; plain min/max 0.078"},
    {DType::MXFP4, 0.13, "[0.1122] E2M1 (1 mantissa bit) with a power-of-two scale per 32 values"},
    {DType::FP4_E2M1, 0.18, "[0.1534] E2M1 codes with no scale: N(0,1) mostly in 0..3, clipped at 6"},
};

// The dot-product error of a round trip against an independent y behaves like a sum of N random
// terms: its expected size relative to |x||y| is rmse/sqrt(N). Budget: 4x the RMSE budget's
// value (worst of 8 trials stays well under 4 sigma).
double dot_budget(const Budget& b) { return 4.0 * b.rmse / std::sqrt(static_cast<double>(kN)); }

std::vector<float> round_trip(DType t, const std::vector<float>& x) {
    const auto bytes = dtype_row_bytes(t, static_cast<int64_t>(x.size()));
    std::vector<uint8_t> q(static_cast<size_t>(bytes.value_or(0)));
    std::vector<float> y(x.size());
    EXPECT_TRUE(quantize_row(t, x.data(), q.data(), static_cast<int64_t>(x.size())).ok()) << dtype_name(t);
    EXPECT_TRUE(dequantize_row(t, q.data(), y.data(), static_cast<int64_t>(x.size())).ok()) << dtype_name(t);
    return y;
}

void PrintTo(const Budget& b, std::ostream* os) { *os << dtype_name(b.type); }

class RoundTrip : public ::testing::TestWithParam<Budget> {};

TEST_P(RoundTrip, RoundTripWithinBudget) {
    const Budget b = GetParam();
    const std::vector<float> x = normal_data(kN, 1234);
    const double e = rel_rmse(x, round_trip(b.type, x));
    std::printf("[measured] %-8s round-trip rel RMSE %.5f (budget %.4f: %s)\n", dtype_name(b.type), e, b.rmse, b.why);
    EXPECT_LT(e, b.rmse) << dtype_name(b.type);
    // Scale invariance: data at sigma 1e-3 and 50 must do as well (scales are per block).
    for (float sigma : {1e-3f, 50.0f}) {
        const std::vector<float> xs = normal_data(kN, 99, sigma);
        const double es = rel_rmse(xs, round_trip(b.type, xs));
        if (b.type != DType::F8_E4M3 && b.type != DType::FP4_E2M1) {  // unscaled formats: fixed range
            EXPECT_LT(es, b.rmse) << dtype_name(b.type) << " sigma " << sigma;
        }
    }
}

TEST_P(RoundTrip, DotProductWithinBudget) {
    const Budget b = GetParam();
    double worst = 0;
    for (uint32_t trial = 0; trial < 8; ++trial) {
        const std::vector<float> x = normal_data(kN, 500 + trial), y = normal_data(kN, 900 + trial);
        const std::vector<float> xq = round_trip(b.type, x);
        double exact = 0, approx = 0, nx = 0, ny = 0;
        for (int64_t i = 0; i < kN; ++i) {
            exact += static_cast<double>(x[i]) * y[i];
            approx += static_cast<double>(xq[i]) * y[i];
            nx += static_cast<double>(x[i]) * x[i];
            ny += static_cast<double>(y[i]) * y[i];
        }
        worst = std::fmax(worst, std::fabs(approx - exact) / std::sqrt(nx * ny));
    }
    std::printf("[measured] %-8s dot error / (|x||y|) worst of 8: %.6f (budget %.6f)\n", dtype_name(b.type), worst,
                dot_budget(b));
    EXPECT_LT(worst, dot_budget(b)) << dtype_name(b.type);
}

INSTANTIATE_TEST_SUITE_P(Quant, RoundTrip, ::testing::ValuesIn(kBudgets),
                         [](const ::testing::TestParamInfo<Budget>& i) { return std::string(dtype_name(i.param.type)); });

// Q4_K's search must beat plain min/max rounding (scale (max-min)/15 per sub-block, unquantised
// f32 scales), which is the method a careless quantiser would use.
TEST(QuantQuality, Q4KSearchBeatsMinMaxRounding) {
    const std::vector<float> x = normal_data(kN, 4242);
    std::vector<float> naive(x.size());
    for (size_t s = 0; s < x.size(); s += 32) {
        float lo = x[s], hi = x[s];
        for (size_t i = s; i < s + 32; ++i) lo = std::fmin(lo, x[i]), hi = std::fmax(hi, x[i]);
        const float d = (hi - lo) / 15.0f;
        for (size_t i = s; i < s + 32; ++i) naive[i] = lo + d * std::nearbyint((x[i] - lo) / d);
    }
    const double ours = rel_rmse(x, round_trip(DType::Q4_K, x)), base = rel_rmse(x, naive);
    std::printf("[measured] q4_K %.5f vs min/max rounding %.5f\n", ours, base);
    EXPECT_LT(ours, base);
}

// MXFP4: picking the better of two shared exponents never loses to the OCP floor rule alone.
TEST(QuantQuality, Mxfp4ChoosesTheBetterExponent) {
    const std::vector<float> x = normal_data(kN, 777);
    std::vector<float> ocp(x.size());
    for (size_t s = 0; s < x.size(); s += 32) {
        float amax = 0;
        for (size_t i = s; i < s + 32; ++i) amax = std::fmax(amax, std::fabs(x[i]));
        const int k = std::ilogb(amax) - 2;
        for (size_t i = s; i < s + 32; ++i) {
            const float v = std::ldexp(x[i], -k);
            // nearest E2M1 magnitude (ties irrelevant for continuous data), clipped to 6
            const float mags[8] = {0, 0.5f, 1, 1.5f, 2, 3, 4, 6};
            float best = 0;
            for (float m : mags)
                if (std::fabs(std::fabs(v) - m) < std::fabs(std::fabs(v) - best)) best = m;
            ocp[i] = std::ldexp(std::copysign(best, v), k);
        }
    }
    const double ours = rel_rmse(x, round_trip(DType::MXFP4, x)), base = rel_rmse(x, ocp);
    std::printf("[measured] mxfp4 %.5f vs OCP floor exponent %.5f\n", ours, base);
    EXPECT_LE(ours, base);
}

}  // namespace
}  // namespace atelier::infer

namespace atelier::infer {
namespace {

// Q4_K_R16 regroups 16 Q4_K rows without changing a bit: every row unpacks to the same bytes
// and dequantises to the same floats as the Q4_K row it came from (including scales and mins
// above 15, whose top bits are packed apart in Q4_K).
TEST(Q4KR16, RepackIsLosslessAndRowsDequantiseAsQ4K) {
    constexpr int64_t K = 256 * 3, kRowBytes = 144 * 3;
    std::vector<uint8_t> rows(16 * kRowBytes);
    for (int r = 0; r < 16; ++r) {
        auto x = test::normal_data(K, 100 + r);
        for (int64_t i = 0; i < K; ++i) x[i] *= 1.0f + static_cast<float>(i % 97) / 10.0f;  // spread the sub-block scales
        ASSERT_TRUE(quantize_row(DType::Q4_K, x.data(), rows.data() + r * kRowBytes, K).ok());
    }
    std::vector<uint8_t> group(16 * 148 * 3);
    ASSERT_TRUE(repack_q4k_r16(rows.data(), kRowBytes, K, group.data()).ok());
    for (int r = 0; r < 16; ++r) {
        std::vector<uint8_t> back(kRowBytes);
        ASSERT_TRUE(unpack_row_q4k_r16(group.data(), r, K, back.data()).ok());
        EXPECT_EQ(0, std::memcmp(back.data(), rows.data() + r * kRowBytes, kRowBytes)) << "row " << r;
        std::vector<float> a(K), b(K);
        ASSERT_TRUE(dequantize_row(DType::Q4_K, rows.data() + r * kRowBytes, a.data(), K).ok());
        ASSERT_TRUE(dequantize_row_q4k_r16(group.data(), r, b.data(), K).ok());
        EXPECT_EQ(a, b) << "row " << r;
    }
    // A row of a group is not a row of bytes: dequantize_row refuses the type, bad sizes fail.
    std::vector<float> out(K);
    EXPECT_EQ(dequantize_row(DType::Q4_K_R16, group.data(), out.data(), K).error().code, ErrorCode::Unsupported);
    EXPECT_FALSE(repack_q4k_r16(rows.data(), kRowBytes, 100, group.data()).ok());
    EXPECT_FALSE(unpack_row_q4k_r16(group.data(), 16, K, out.data()).ok());
}

}  // namespace
}  // namespace atelier::infer
