// The V4 speed paths against their specifications, bit for bit: fake_quant_fp8_act_fast (AVX-512)
// against quant.h's scalar fake_quant_fp8_act, and round_bf16 against a scalar round-to-nearest-
// even written here, on values that reach every branch: E4M3 normals and subnormals, rounding
// ties, the 448 clamp, the 1e-4 amax floor, zeros of both signs, NaN; bf16 also Inf.
// Thread-safety: test code, main thread.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "inference/arch/deepseek-v4/v4.h"
#include "inference/quant.h"

namespace atelier::infer::v4 {
namespace {

uint32_t bits(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
}

// Blocks of 128 with assorted scales and hand-placed edge values.
std::vector<float> edge_blocks(std::mt19937& rng, int n_blocks) {
    std::vector<float> x(static_cast<size_t>(n_blocks) * 128);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    for (int b = 0; b < n_blocks; ++b) {
        const float scale = std::ldexp(1.0f, static_cast<int>(rng() % 60) - 40);
        float* blk = x.data() + b * 128;
        for (int i = 0; i < 128; ++i) blk[i] = nd(rng) * scale;
        switch (b % 8) {
            case 0: blk[3] = 0.0f, blk[4] = -0.0f; break;
            case 1: blk[5] = 448.0f * scale, blk[6] = -447.9f * scale; break;   // the clamp region
            case 2: for (int i = 0; i < 128; ++i) blk[i] *= 1e-7f; break;       // amax below the floor
            case 3: blk[7] = scale * (1.0f + 1.0f / 16.0f); break;              // a tie between E4M3 steps
            case 4: blk[8] = std::ldexp(1.0f, -20) * scale; break;              // deep in the subnormals
            default: break;
        }
    }
    return x;
}

TEST(V4FastPaths, FakeQuantFp8MatchesTheScalarReferenceBitForBit) {
    auto session = Session::create({.n_threads = 2});
    ASSERT_TRUE(session.ok());
    Config cfg;
    Ctx c{cfg, Numerics::Released, **session};
    std::mt19937 rng(11);
    for (int block : {128, 64, 32}) {
        for (int n_blocks : {1, 7, 600}) {  // 600 x 128: several pool tasks
            std::vector<float> a = edge_blocks(rng, n_blocks * 128 / block), b = a;
            ASSERT_TRUE(fake_quant_fp8_act(a.data(), static_cast<int64_t>(a.size()), block).ok());
            ASSERT_TRUE(fake_quant_fp8_act_fast(c, b.data(), static_cast<int64_t>(b.size()), block).ok());
            for (size_t i = 0; i < a.size(); ++i)
                ASSERT_EQ(bits(a[i]), bits(b[i])) << "block " << block << " value " << i << ": " << a[i] << " vs " << b[i];
        }
    }
    std::vector<float> odd(100, 1.0f);  // not a whole number of blocks: the same error as the reference
    EXPECT_FALSE(fake_quant_fp8_act_fast(c, odd.data(), 100, 128).ok());
}

TEST(V4FastPaths, FakeQuantFp8PassesNanAsTheReference) {
    auto session = Session::create({.n_threads = 1});
    ASSERT_TRUE(session.ok());
    Config cfg;
    Ctx c{cfg, Numerics::Released, **session};
    std::vector<float> a(128, 0.5f);
    a[1] = std::numeric_limits<float>::quiet_NaN();
    std::vector<float> b = a;
    ASSERT_TRUE(fake_quant_fp8_act(a.data(), 128, 128).ok());
    ASSERT_TRUE(fake_quant_fp8_act_fast(c, b.data(), 128, 128).ok());
    EXPECT_TRUE(std::isnan(a[1]) && std::isnan(b[1]));
    for (int i = 0; i < 128; ++i) {
        if (i == 1) continue;
        EXPECT_EQ(bits(a[static_cast<size_t>(i)]), bits(b[static_cast<size_t>(i)])) << i;
    }
}

TEST(V4FastPaths, RoundBf16IsRoundToNearestEven) {
    std::mt19937 rng(5);
    std::vector<float> x(4099);
    for (float& v : x) {
        const uint32_t u = static_cast<uint32_t>(rng());
        std::memcpy(&v, &u, 4);  // every bit pattern: subnormals, Inf, NaN included
    }
    x[0] = std::ldexp(1.0f + 1.0f / 256.0f, 3);        // a tie, even below: stays
    x[1] = std::ldexp(1.0f + 3.0f / 256.0f, 3);        // a tie, odd below: rounds up
    x[2] = std::numeric_limits<float>::infinity();
    x[3] = std::numeric_limits<float>::max();          // rounds to Inf
    std::vector<uint32_t> want(x.size());
    for (size_t i = 0; i < x.size(); ++i) {
        const uint32_t u = bits(x[i]);
        want[i] = (u & 0x7F800000u) == 0x7F800000u ? u : (u + 0x7FFFu + ((u >> 16) & 1u)) & 0xFFFF0000u;
    }
    round_bf16(x);
    for (size_t i = 0; i < x.size(); ++i) ASSERT_EQ(bits(x[i]), want[i]) << i;
    EXPECT_EQ(bits(x[3]), 0x7F800000u);
}

}  // namespace
}  // namespace atelier::infer::v4
