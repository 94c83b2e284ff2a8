// fp4_matmul_f32 (inference/arch/deepseek-v4/fp4-matmul.cpp), the released-numerics product of FP4
// experts on few tokens, against a double-precision product of the weights dequantised by
// quant.h (an independent decoder): FP4_E2M1 with per-32 UE8M0 scales and GGUF MXFP4, 1..37
// columns, odd row and block counts, activations exact in bf16 (FP8-valued) or not, FP8 values
// over E4M3's whole range, edge scales. The vector variants this CPU picks are the ones tested
// (ctest runs it again with AVX-512 VNNI off: v4.fp4_without_vnni).
// Thread-safety: test code, main thread.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "inference/arch/deepseek-v4/v4.h"
#include "inference/quant.h"

namespace atelier::infer::v4 {
namespace {

// y [M][N] against the double product of w [N][K] (dequantised) and x [M][K]. Exact products,
// fp32 sums of K terms: |error| <= ~K·2^-24·Σ|w·x|; 1e-6 relative to Σ|w·x| holds with margin up
// to K = 4096 for these sums (observed ~1e-8). The absolute floor covers results near f32's
// smallest normals (the edge-scale rows).
void expect_double_product(const std::vector<float>& w, const std::vector<float>& x, const std::vector<float>& y, int64_t K,
                           int64_t N, int64_t M, const std::string& what) {
    for (int64_t m = 0; m < M; ++m)
        for (int64_t n = 0; n < N; ++n) {
            double dot = 0, mag = 0;
            for (int64_t k = 0; k < K; ++k) {
                const double p = static_cast<double>(w[static_cast<size_t>(n * K + k)]) * x[static_cast<size_t>(m * K + k)];
                dot += p, mag += std::fabs(p);
            }
            EXPECT_LE(std::fabs(y[static_cast<size_t>(m * N + n)] - dot), 1e-6 * mag + 1e-37)
                << what << " M=" << M << " m=" << m << " n=" << n;
        }
}

struct Case {
    DType type;
    int64_t K, N;
};

TEST(V4Fp4Matmul, MatchesADoubleProductOfTheDequantisedWeights) {
    std::mt19937 rng(7);
    for (const Case& cs : {Case{DType::FP4_E2M1, 256, 37}, Case{DType::MXFP4, 128, 53}, Case{DType::FP4_E2M1, 4096, 5},
                           Case{DType::MXFP4, 96, 19}, Case{DType::FP4_E2M1, 160, 7}}) {  // odd block counts too
        const int64_t K = cs.K, N = cs.N;
        std::vector<float> w(static_cast<size_t>(K * N));  // dequantised weights, row n = output n
        Tensor wt, st;
        if (cs.type == DType::FP4_E2M1) {
            wt = *Tensor::make(DType::FP4_E2M1, {K, N});
            st = *Tensor::make(DType::F8_E8M0, {K / 32, N});
            for (int64_t i = 0; i < wt.n_bytes(); ++i) static_cast<uint8_t*>(wt.data)[i] = static_cast<uint8_t>(rng());
            for (int64_t i = 0; i < st.n_bytes(); ++i) static_cast<uint8_t*>(st.data)[i] = static_cast<uint8_t>(115 + rng() % 20);
            ASSERT_TRUE(dequantize_fp4_expert(static_cast<uint8_t*>(wt.data), static_cast<uint8_t*>(st.data), N, K, w.data()).ok());
        } else {
            std::normal_distribution<float> nd(0.0f, 1.0f);
            std::vector<float> src(static_cast<size_t>(K * N));
            for (auto& v : src) v = nd(rng) * std::ldexp(1.0f, static_cast<int>(rng() % 6) - 3);
            wt = *Tensor::make(DType::MXFP4, {K, N});
            for (int64_t n = 0; n < N; ++n) {
                ASSERT_TRUE(quantize_row(DType::MXFP4, src.data() + n * K, wt.row<void>(n), K).ok());
                ASSERT_TRUE(dequantize_row(DType::MXFP4, wt.row<void>(n), w.data() + n * K, K).ok());
            }
        }
        Linear l{.w = &wt};
        if (cs.type == DType::FP4_E2M1) l = Linear{.w = &wt, .scale = &st, .scale_block_k = 32, .scale_block_n = 1};
        ASSERT_TRUE(fp4_exact_supports(l));
        auto session = Session::create({.n_threads = 2});
        ASSERT_TRUE(session.ok());
        Config cfg;
        Ctx c{cfg, Numerics::Released, **session};
        for (int64_t M : {1, 2, 3, 4, 7, 16, 37}) {
            std::vector<float> x(static_cast<size_t>(M * K)), y(static_cast<size_t>(M * N));
            std::vector<float> q(x.size());
            std::normal_distribution<float> nd(0.0f, 2.0f);
            for (auto& v : x) v = nd(rng);
            // Odd M: FP8-valued, as in the model (exact in bf16: the AVX-512 BF16 kernel where the CPU has
            // it); even M: raw f32 values (not exact in bf16: the f32 kernel).
            if (M % 2 == 1) {
                ASSERT_TRUE(fake_quant_fp8_act(x.data(), M * K, 32).ok());
            }
            ASSERT_TRUE(fp4_matmul_f32(c, l, x.data(), M, y.data()).ok());
            expect_double_product(w, x, y, K, N, M, std::string(dtype_name(cs.type)) + " K=" + std::to_string(K));
        }
    }
}

// FP8-valued activations over the whole E4M3 range in one block of 128 (subnormals, zeros, both
// signs, whole zero blocks), where the integer kernel (AVX-512 VNNI: three 7-bit limbs of x per
// block of 32) must still give exact products; plus rows whose scale byte is 0 (2^-127, which that
// kernel hands to the others) and scales at both ends of the range it takes.
TEST(V4Fp4Matmul, WideRangeFp8ActivationsAndEdgeScales) {
    std::mt19937 rng(11);
    for (const DType type : {DType::FP4_E2M1, DType::MXFP4}) {
        const int64_t K = 2048, N = 21;
        Tensor wt = *Tensor::make(type, {K, N}), st;
        std::vector<float> w(static_cast<size_t>(K * N));
        auto* wb = static_cast<uint8_t*>(wt.data);
        for (int64_t i = 0; i < wt.n_bytes(); ++i) wb[i] = static_cast<uint8_t>(rng());
        Linear l{.w = &wt};
        if (type == DType::FP4_E2M1) {
            st = *Tensor::make(DType::F8_E8M0, {K / 32, N});
            auto* sb = static_cast<uint8_t*>(st.data);
            for (int64_t i = 0; i < st.n_bytes(); ++i) sb[i] = static_cast<uint8_t>(110 + rng() % 30);
            sb[3 * (K / 32) + 5] = 0;    // row 3: one scale 2^-127
            sb[4 * (K / 32) + 0] = 1;    // row 4: the smallest normal scale
            sb[5 * (K / 32) + 9] = 200;  // row 5: a large one (2^73; products stay finite)
            ASSERT_TRUE(dequantize_fp4_expert(wb, sb, N, K, w.data()).ok());
            l = Linear{.w = &wt, .scale = &st, .scale_block_k = 32, .scale_block_n = 1};
        } else {
            for (int64_t n = 0; n < N; ++n)
                for (int64_t b = 0; b < K / 32; ++b) wb[n * wt.nb[1] + b * 17] = static_cast<uint8_t>(110 + rng() % 30);
            wb[3 * wt.nb[1] + 5 * 17] = 0;
            for (int64_t n = 0; n < N; ++n) ASSERT_TRUE(dequantize_row(DType::MXFP4, wt.row<void>(n), w.data() + n * K, K).ok());
        }
        auto session = Session::create({.n_threads = 2});
        ASSERT_TRUE(session.ok());
        Config cfg;
        Ctx c{cfg, Numerics::Released, **session};
        for (int64_t M : {1, 3, 6}) {
            std::vector<float> x(static_cast<size_t>(M * K)), y(static_cast<size_t>(M * N));
            for (int64_t i = 0; i < M * K; ++i) {
                // magnitudes 2^-12 .. 2^9 (after the FP8 step: down to E4M3 subnormals of the block), both signs
                const float mag = std::ldexp(1.0f + static_cast<float>(rng() % 1000) / 1000.0f, static_cast<int>(rng() % 22) - 12);
                x[static_cast<size_t>(i)] = (rng() % 2 ? mag : -mag) * (rng() % 9 == 0 ? 0.0f : 1.0f);
            }
            std::fill(x.begin() + 256, x.begin() + 384, 0.0f);  // a whole zero block of 128
            ASSERT_TRUE(fake_quant_fp8_act(x.data(), M * K, 128).ok());
            ASSERT_TRUE(fp4_matmul_f32(c, l, x.data(), M, y.data()).ok());
            expect_double_product(w, x, y, K, N, M, dtype_name(type));
        }
    }
}

// fp4_matmul_group_f32 prepares each distinct x once and hands it to every product reading it;
// a product sharing an x that is not the group's first must read that x, not the first one's
// (the MoE decode group only shares the first). Each product must equal its own single call.
TEST(V4Fp4Matmul, GroupProductsSharingALaterInputMatchSingleCalls) {
    std::mt19937 rng(5);
    const int64_t K = 256, N = 40;
    std::vector<Tensor> ws, ss;
    for (int i = 0; i < 3; ++i) {
        ws.push_back(*Tensor::make(DType::FP4_E2M1, {K, N}));
        ss.push_back(*Tensor::make(DType::F8_E8M0, {K / 32, N}));
        for (int64_t b = 0; b < ws.back().n_bytes(); ++b) static_cast<uint8_t*>(ws.back().data)[b] = static_cast<uint8_t>(rng());
        for (int64_t b = 0; b < ss.back().n_bytes(); ++b) static_cast<uint8_t*>(ss.back().data)[b] = static_cast<uint8_t>(118 + rng() % 8);
    }
    std::vector<Linear> ls;
    for (int i = 0; i < 3; ++i) ls.push_back(Linear{.w = &ws[i], .scale = &ss[i], .scale_block_k = 32, .scale_block_n = 1});
    auto session = Session::create({.n_threads = 2});
    ASSERT_TRUE(session.ok());
    Config cfg;
    Ctx c{cfg, Numerics::Released, **session};
    for (int64_t M : {1, 3}) {
        std::vector<float> x1(static_cast<size_t>(M * K)), x2(x1.size());
        std::normal_distribution<float> nd(0.0f, 1.0f);
        for (auto& v : x1) v = nd(rng);
        for (auto& v : x2) v = nd(rng) * 8.0f;
        ASSERT_TRUE(fake_quant_fp8_act(x1.data(), M * K, 128).ok());
        ASSERT_TRUE(fake_quant_fp8_act(x2.data(), M * K, 128).ok());
        std::vector<std::vector<float>> yg(3, std::vector<float>(static_cast<size_t>(M * N))), y1 = yg;
        const float* xin[3] = {x1.data(), x2.data(), x2.data()};
        std::vector<Fp4Product> ps;
        for (int i = 0; i < 3; ++i) ps.push_back({.l = &ls[static_cast<size_t>(i)], .x = xin[i], .y = yg[static_cast<size_t>(i)].data(), .M = M});
        ASSERT_TRUE(fp4_matmul_group_f32(c, ps).ok());
        for (int i = 0; i < 3; ++i) {
            ASSERT_TRUE(fp4_matmul_f32(c, ls[static_cast<size_t>(i)], xin[i], M, y1[static_cast<size_t>(i)].data()).ok());
            for (int64_t k = 0; k < M * N; ++k)
                EXPECT_EQ(yg[static_cast<size_t>(i)][static_cast<size_t>(k)], y1[static_cast<size_t>(i)][static_cast<size_t>(k)])
                    << "product " << i << " M=" << M << " at " << k;
        }
    }
}

}  // namespace
}  // namespace atelier::infer::v4
