// DeepSeek's block-scaled formats and the reference activation fake-quantisation, against
// references computed here a different way (spec fields via ldexp, nearest value by exhaustive
// search with ties to the even code, ceil(log2) in double) — deepseek-v4.md §2.2 and §3.12.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "inference/quant.h"
#include "quant-test-util.h"

namespace atelier::infer {
namespace {

double spec_e4m3(int c) {
    const int e = (c >> 3) & 15, m = c & 7;
    if (e == 15 && m == 7) return std::numeric_limits<double>::quiet_NaN();
    const double mag = e == 0 ? std::ldexp(m, -9) : std::ldexp(8 + m, e - 10);
    return (c & 0x80) ? -mag : mag;
}

double spec_e2m1(int c) {
    const double mags[8] = {0, 0.5, 1, 1.5, 2, 3, 4, 6};
    return (c & 8) ? -mags[c & 7] : mags[c & 7];
}

double spec_e8m0(int c) { return c == 255 ? std::numeric_limits<double>::quiet_NaN() : std::ldexp(1.0, c - 127); }

bool same(double want, float got) {
    if (std::isnan(want)) return std::isnan(got);
    return static_cast<float>(want) == got;
}

TEST(QuantDeepseek, Fp8BlockedUsesCeilShapedScaleGrid) {
    std::mt19937 rng(7);
    for (auto [rows, cols, block] : {std::tuple{130, 200, 128}, std::tuple{33, 70, 32}, std::tuple{128, 128, 128}}) {
        const int srows = (rows + block - 1) / block, scols = (cols + block - 1) / block;
        std::vector<uint8_t> w(static_cast<size_t>(rows * cols)), s(static_cast<size_t>(srows * scols));
        for (auto& b : w) b = static_cast<uint8_t>(rng());
        for (auto& b : s) b = static_cast<uint8_t>(110 + rng() % 30);
        s[0] = 255;  // a NaN scale poisons its block only
        std::vector<float> out(w.size() + 4, 99.0f);
        ASSERT_TRUE(dequantize_fp8_blocked(w.data(), s.data(), rows, cols, block, out.data()).ok());
        for (int r = 0; r < rows; ++r)
            for (int c = 0; c < cols; ++c) {
                const double want = spec_e4m3(w[r * cols + c]) * spec_e8m0(s[(r / block) * scols + c / block]);
                ASSERT_TRUE(same(want, out[r * cols + c])) << r << "," << c;
            }
        for (size_t i = w.size(); i < out.size(); ++i) EXPECT_EQ(99.0f, out[i]);
    }
    float o[4];
    uint8_t b[4] = {}, sc[1] = {127};
    EXPECT_EQ(ErrorCode::InvalidArgument, dequantize_fp8_blocked(b, sc, 2, 2, 64, o).error().code);
    EXPECT_EQ(ErrorCode::InvalidArgument, dequantize_fp8_blocked(b, sc, -1, 2, 128, o).error().code);
}

TEST(QuantDeepseek, Fp4ExpertLowNibbleIsEvenElement) {
    const int rows = 3, cols = 96;
    std::mt19937 rng(11);
    std::vector<uint8_t> p(rows * cols / 2), s(rows * cols / 32);
    for (auto& b : p) b = static_cast<uint8_t>(rng());
    for (auto& b : s) b = static_cast<uint8_t>(120 + rng() % 15);
    p[0] = 0x21;  // element 0 = code 1 (0.5), element 1 = code 2 (1.0)
    s[0] = 128;   // scale 2
    std::vector<float> out(rows * cols);
    ASSERT_TRUE(dequantize_fp4_expert(p.data(), s.data(), rows, cols, out.data()).ok());
    EXPECT_EQ(1.0f, out[0]);
    EXPECT_EQ(2.0f, out[1]);
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c) {
            const uint8_t byte = p[r * cols / 2 + c / 2];
            const double want = spec_e2m1(c % 2 ? byte >> 4 : byte & 15) * spec_e8m0(s[r * cols / 32 + c / 32]);
            ASSERT_TRUE(same(want, out[r * cols + c])) << r << "," << c;
        }
    EXPECT_EQ(ErrorCode::InvalidArgument, dequantize_fp4_expert(p.data(), s.data(), 1, 48, out.data()).error().code);
}

// Nearest value of `grid` (ascending magnitudes indexed by code) to |v|, ties to the even code.
double nearest_even(double v, const std::vector<double>& grid) {
    size_t best = 0;
    for (size_t c = 1; c < grid.size(); ++c) {
        const double dc = std::fabs(std::fabs(v) - grid[c]), db = std::fabs(std::fabs(v) - grid[best]);
        if (dc < db || (dc == db && c % 2 == 0)) best = c;
    }
    return std::copysign(grid[best], v);
}

// The reference: amax floored (DeepSeek's kernel.py: 1e-4 for FP8 act_quant, 6·2^-126 for FP4
// fp4_act_quant); scale 2^ceil(log2(amax * fl(1/max))); clamp; round; scale.
std::vector<float> ref_fake_quant(const std::vector<float>& x, int block, double max_val,
                                  const std::vector<double>& grid) {
    std::vector<float> y(x.size());
    const float inv = static_cast<float>(1.0 / max_val);
    const float floor_amax = max_val == 6.0 ? std::ldexp(6.0f, -126) : 1e-4f;
    for (size_t b0 = 0; b0 < x.size(); b0 += static_cast<size_t>(block)) {
        float amax = floor_amax;
        for (size_t i = b0; i < b0 + static_cast<size_t>(block); ++i) amax = std::fmax(amax, std::fabs(x[i]));
        const double k = std::ceil(std::log2(static_cast<double>(amax * inv)));
        const double s = std::ldexp(1.0, static_cast<int>(k));
        for (size_t i = b0; i < b0 + static_cast<size_t>(block); ++i) {
            const double v = std::fmin(max_val, std::fmax(-max_val, x[i] / s));
            y[i] = static_cast<float>(nearest_even(v, grid) * s);
        }
    }
    return y;
}

std::vector<float> activation_data() {
    std::vector<float> x = test::normal_data(128 * 12, 31337, 3.0f);
    for (int i = 0; i < 128; ++i) x[128 + i] *= 1e-7f;  // block under the 1e-4 amax floor
    for (int i = 0; i < 128; ++i) x[256 + i] = static_cast<float>(i - 64) * 0.5f;  // many exact ties
    x[384] = 448.0f;  // amax exactly at the format's max: scale stays 1
    x[512] = 1e6f;    // an outlier
    return x;
}

TEST(QuantDeepseek, FakeQuantFp8MatchesReferenceBitExactly) {
    std::vector<double> grid;
    for (int c = 0; c <= 0x7E; ++c) grid.push_back(spec_e4m3(c));
    for (int block : {128, 64, 32}) {
        std::vector<float> x = activation_data();
        const std::vector<float> want = ref_fake_quant(x, block, 448.0, grid);
        ASSERT_TRUE(fake_quant_fp8_act(x.data(), static_cast<int64_t>(x.size()), block).ok());
        for (size_t i = 0; i < x.size(); ++i) ASSERT_EQ(want[i], x[i]) << "block " << block << " value " << i;
    }
    std::vector<float> odd(100, 1.0f);
    EXPECT_EQ(ErrorCode::InvalidArgument, fake_quant_fp8_act(odd.data(), 100, 128).error().code);
}

TEST(QuantDeepseek, FakeQuantFp4MatchesReferenceBitExactly) {
    std::vector<double> grid;
    for (int c = 0; c < 8; ++c) grid.push_back(spec_e2m1(c));
    std::vector<float> x = activation_data();
    const std::vector<float> want = ref_fake_quant(x, 32, 6.0, grid);
    ASSERT_TRUE(fake_quant_fp4_act(x.data(), static_cast<int64_t>(x.size())).ok());
    for (size_t i = 0; i < x.size(); ++i) ASSERT_EQ(want[i], x[i]) << i;
    std::vector<float> odd(40, 1.0f);
    EXPECT_EQ(ErrorCode::InvalidArgument, fake_quant_fp4_act(odd.data(), 40).error().code);
}

// Every value on a 1/256 grid over [-7, 7] (each E2M1 midpoint and grid point included), in blocks
// whose amax gives scales 2^-3 .. 2^3, against the independent nearest-even reference.
TEST(QuantDeepseek, FakeQuantFp4SweepMatchesReference) {
    std::vector<double> grid;
    for (int c = 0; c < 8; ++c) grid.push_back(spec_e2m1(c));
    for (int k = -3; k <= 3; ++k) {
        const float scale = std::ldexp(1.0f, k);
        std::vector<float> x;
        for (int i = -7 * 256; i <= 7 * 256; ++i) {
            if (x.size() % 32 == 0) x.push_back(6.0f * scale);  // each block's amax: scale 2^k
            x.push_back(static_cast<float>(i) / 256.0f * scale);
        }
        while (x.size() % 32) x.push_back(0.0f);
        const std::vector<float> want = ref_fake_quant(x, 32, 6.0, grid);
        ASSERT_TRUE(fake_quant_fp4_act(x.data(), static_cast<int64_t>(x.size())).ok());
        for (size_t i = 0; i < x.size(); ++i) ASSERT_EQ(want[i], x[i]) << "scale 2^" << k << " value " << i;
    }
    std::vector<float> nan_block(32, 1.0f);
    nan_block[3] = std::nanf("");
    nan_block[4] = -std::nanf("");
    ASSERT_TRUE(fake_quant_fp4_act(nan_block.data(), 32).ok());
    EXPECT_EQ(0.0f, nan_block[3]);  // the encoder maps NaN to a signed zero
    EXPECT_TRUE(std::signbit(nan_block[4]) && nan_block[4] == 0.0f);
    EXPECT_EQ(1.0f, nan_block[5]);
}

TEST(QuantDeepseek, FakeQuantKeepsNan) {
    std::vector<float> x(128, 1.0f);
    x[5] = std::nanf("");
    ASSERT_TRUE(fake_quant_fp8_act(x.data(), 128, 128).ok());
    EXPECT_TRUE(std::isnan(x[5]));
    EXPECT_EQ(1.0f, x[6]);
}

}  // namespace
}  // namespace atelier::infer
