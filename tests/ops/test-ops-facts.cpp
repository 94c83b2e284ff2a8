// Independent facts about the reference kernels (the registry only compares variants with the
// reference, so the reference itself is checked here against mathematics and the documented
// numbers: YaRN's kept/scaled pairs for V4 (deepseek-v4.md §3.3), Hadamard's matrix, the sink's
// probability mass, SwiGLU's clamp, the top-k tie rule). Also Session and dispatch behaviour.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "inference/cpu-features.h"
#include "inference/cpu/cpu-backend.h"
#include "inference/session.h"

namespace atelier::infer {
namespace {

std::unique_ptr<Session> ref_session() {
    auto b = make_cpu_backend({.force = CpuVariant::Ref, .strict = true, .read_env = false});
    EXPECT_TRUE(b.ok());
    auto s = Session::create({.n_threads = 2, .backend = std::shared_ptr<Backend>(std::move(*b))});
    EXPECT_TRUE(s.ok());
    return std::move(*s);
}

Tensor wrap(DType t, std::initializer_list<int64_t> shape, void* p) { return Tensor::wrap(t, shape, p).value(); }

TEST(OpFacts, MatMulMatchesNaiveDoubleLoop) {
    const int64_t K = 37, N = 5, M = 3;
    std::mt19937 rng(1);
    std::normal_distribution<float> nd;
    std::vector<float> w(K * N), x(K * M), y(N * M);
    for (float& v : w) v = nd(rng);
    for (float& v : x) v = nd(rng);
    Tensor tw = wrap(DType::F32, {K, N}, w.data()), tx = wrap(DType::F32, {K, M}, x.data()), ty = wrap(DType::F32, {N, M}, y.data());
    auto s = ref_session();
    ASSERT_TRUE(s->run({Op::MatMul, MatMulArgs{.w = &tw, .x = &tx, .y = &ty}}).ok());
    for (int64_t m = 0; m < M; ++m)
        for (int64_t n = 0; n < N; ++n) {
            double acc = 0;
            for (int64_t k = 0; k < K; ++k) acc += double(w[n * K + k]) * x[m * K + k];
            EXPECT_NEAR(y[m * N + n], acc, 1e-5);
        }
}

// V4: θ 160000, r 64, YaRN factor 16, original 65536, β 32/1 -> pairs 0..15 keep f_i, pairs
// 25..31 use f_i/16 (deepseek-v4.md §3.3). Rotating the unit pair (1, 0) yields (cos, sin).
TEST(OpFacts, RopeYarnV4KeepsLowPairsAndScalesHighPairs) {
    const int64_t r = 64, p = 777;
    std::vector<float> x(r, 0.0f), y(r);
    for (int64_t i = 0; i < r / 2; ++i) x[2 * i] = 1.0f;
    int32_t pos = p;
    Tensor tx = wrap(DType::F32, {r, 1, 1}, x.data()), ty = wrap(DType::F32, {r, 1, 1}, y.data()), tp = wrap(DType::I32, {1}, &pos);
    auto s = ref_session();
    ASSERT_TRUE(s->run({Op::Rope, RopeArgs{.x = &tx, .pos = &tp, .y = &ty, .mode = RopeMode::Interleaved, .n_dims = r,
                                           .freq_base = 160000, .freq_scale = 1.0f / 16, .ext_factor = 1, .n_ctx_orig = 65536}})
                    .ok());
    for (int64_t i = 0; i < r / 2; ++i) {
        const double f = std::pow(160000.0, -2.0 * i / r);
        if (i > 15 && i < 25) continue;  // the ramp
        const double th = p * (i <= 15 ? f : f / 16);
        EXPECT_NEAR(y[2 * i], std::cos(th), 1e-5) << "pair " << i;
        EXPECT_NEAR(y[2 * i + 1], std::sin(th), 1e-5) << "pair " << i;
    }
}

TEST(OpFacts, InverseRopeUndoesRope) {
    const int64_t hd = 40;
    std::vector<float> x(hd * 3), y(hd * 3), z(hd * 3);
    std::iota(x.begin(), x.end(), -20.0f);
    int32_t pos = 12345;
    Tensor tx = wrap(DType::F32, {hd, 3, 1}, x.data()), ty = wrap(DType::F32, {hd, 3, 1}, y.data());
    Tensor tz = wrap(DType::F32, {hd, 3, 1}, z.data()), tp = wrap(DType::I32, {1}, &pos);
    auto s = ref_session();
    for (RopeMode mode : {RopeMode::Interleaved, RopeMode::HalfSplit}) {
        RopeArgs a{.x = &tx, .pos = &tp, .y = &ty, .mode = mode, .n_dims = 32, .first_dim = 8};
        ASSERT_TRUE(s->run({Op::Rope, a}).ok());
        a.x = &ty, a.y = &tz, a.inverse = true;
        ASSERT_TRUE(s->run({Op::Rope, a}).ok());
        for (size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(z[i], x[i], 1e-3);
    }
}

TEST(OpFacts, SoftmaxSinkTakesItsMassAndMaskedRowIsZero) {
    std::vector<float> x = {0.5f, -1.0f, 2.0f, 0.0f, 1.0f, 1.0f, 1.0f, 1.0f}, y(8), sink = {1.5f, 0.0f};
    std::vector<float> mask = {0, 0, 0, 0, -INFINITY, -INFINITY, -INFINITY, -INFINITY};
    Tensor tx = wrap(DType::F32, {4, 2}, x.data()), ty = wrap(DType::F32, {4, 2}, y.data());
    Tensor ts = wrap(DType::F32, {2}, sink.data()), tm = wrap(DType::F32, {4, 2}, mask.data());
    auto s = ref_session();
    ASSERT_TRUE(s->run({Op::Softmax, SoftmaxArgs{.x = &tx, .y = &ty, .sink = &ts}}).ok());
    double denom = std::exp(1.5);
    for (int i = 0; i < 4; ++i) denom += std::exp(x[i]);
    for (int i = 0; i < 4; ++i) EXPECT_NEAR(y[i], std::exp(x[i]) / denom, 1e-7);
    ASSERT_TRUE(s->run({Op::Softmax, SoftmaxArgs{.x = &tx, .y = &ty, .mask = &tm}}).ok());
    for (int i = 4; i < 8; ++i) EXPECT_EQ(y[i], 0.0f);
}

TEST(OpFacts, HadamardIsTheNormalisedSylvesterMatrixAndItsOwnInverse) {
    std::vector<float> x = {1, 2, 3, 4}, y(4), z(4);
    Tensor tx = wrap(DType::F32, {4}, x.data()), ty = wrap(DType::F32, {4}, y.data()), tz = wrap(DType::F32, {4}, z.data());
    auto s = ref_session();
    ASSERT_TRUE(s->run({Op::Hadamard, HadamardArgs{.x = &tx, .y = &ty}}).ok());
    // H4/2 = [[1,1,1,1],[1,-1,1,-1],[1,1,-1,-1],[1,-1,-1,1]]/2
    EXPECT_NEAR(y[0], 5.0, 1e-6);
    EXPECT_NEAR(y[1], -1.0, 1e-6);
    EXPECT_NEAR(y[2], -2.0, 1e-6);
    EXPECT_NEAR(y[3], 0.0, 1e-6);
    ASSERT_TRUE(s->run({Op::Hadamard, HadamardArgs{.x = &ty, .y = &tz}}).ok());
    for (int i = 0; i < 4; ++i) EXPECT_NEAR(z[i], x[i], 1e-6);
}

TEST(OpFacts, SwiGluClampAndSqrtSoftplusValues) {
    std::vector<float> g = {20.0f, -3.0f, 0.5f}, u = {-30.0f, 30.0f, 2.0f}, y(3);
    Tensor tg = wrap(DType::F32, {3}, g.data()), tu = wrap(DType::F32, {3}, u.data()), ty = wrap(DType::F32, {3}, y.data());
    auto s = ref_session();
    ASSERT_TRUE(s->run({Op::SwiGlu, SwiGluArgs{.gate = &tg, .up = &tu, .y = &ty, .limit = 10}}).ok());
    auto silu = [](double v) { return v / (1 + std::exp(-v)); };
    EXPECT_NEAR(y[0], silu(10) * -10, 1e-5);  // gate clamped from above, up from below
    EXPECT_NEAR(y[1], silu(-3) * 10, 1e-5);   // gate has no lower bound
    EXPECT_NEAR(y[2], silu(0.5) * 2, 1e-6);
    std::vector<float> x = {0.0f, 30.0f}, o(2);
    Tensor tx = wrap(DType::F32, {2}, x.data()), to = wrap(DType::F32, {2}, o.data());
    ASSERT_TRUE(s->run({Op::SqrtSoftplus, UnaryArgs{.x = &tx, .y = &to}}).ok());
    EXPECT_NEAR(o[0], std::sqrt(std::log(2.0)), 1e-7);
    EXPECT_NEAR(o[1], std::sqrt(30.0), 1e-5);
}

TEST(OpFacts, TopKOrderAndLowerIndexWinsTies) {
    std::vector<float> x = {1, 3, 2, 3, 0, 3, 2};
    std::vector<int32_t> idx(4);
    std::vector<float> val(4);
    Tensor tx = wrap(DType::F32, {7}, x.data()), ti = wrap(DType::I32, {4}, idx.data()), tv = wrap(DType::F32, {4}, val.data());
    auto s = ref_session();
    ASSERT_TRUE(s->run({Op::TopK, TopKArgs{.x = &tx, .values = &tv, .indices = &ti, .k = 4}}).ok());
    EXPECT_EQ(idx, (std::vector<int32_t>{1, 3, 5, 2}));
    EXPECT_EQ(val, (std::vector<float>{3, 3, 3, 2}));
}

TEST(OpFacts, GetRowsRejectsBadIdWithoutWriting) {
    std::vector<float> table(8 * 3, 1.0f), y(8 * 2, 7.0f);
    std::vector<int32_t> ids = {1, 3};
    Tensor tt = wrap(DType::F32, {8, 3}, table.data()), ti = wrap(DType::I32, {2}, ids.data()), ty = wrap(DType::F32, {8, 2}, y.data());
    auto s = ref_session();
    const Status st = s->run({Op::GetRows, GetRowsArgs{.table = &tt, .ids = &ti, .y = &ty}});
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, ErrorCode::InvalidArgument);
    EXPECT_NE(st.error().detail.find("id 3"), std::string::npos);
    for (float v : y) EXPECT_EQ(v, 7.0f);
}

TEST(OpFacts, ValidationNamesTheOpAndOperand) {
    std::vector<float> a(10), y(9);
    Tensor ta = wrap(DType::F32, {10}, a.data()), ty = wrap(DType::F32, {9}, y.data());
    auto s = ref_session();
    const Status st = s->run({Op::Silu, UnaryArgs{.x = &ta, .y = &ty}});
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().detail.find("silu"), std::string::npos);
    EXPECT_FALSE(s->run({Op::Silu, RmsNormArgs{.x = &ta, .y = &ty}}).ok());  // args of another op
}

// Q4_K_R16 rows exist only in groups of 16: a weight of another row count and a row table of
// that type are refused before any kernel runs.
TEST(OpFacts, Q4KR16NeedsWholeGroupsAndIsNoRowTable) {
    std::vector<uint8_t> w(148 * 24, 0);
    std::vector<float> x(256, 1.0f), y(24, 7.0f);
    std::vector<int32_t> ids = {0};
    Tensor tw = wrap(DType::Q4_K_R16, {256, 24}, w.data()), tx = wrap(DType::F32, {256, 1}, x.data());
    Tensor ty = wrap(DType::F32, {24, 1}, y.data()), ti = wrap(DType::I32, {1}, ids.data()), tr = wrap(DType::F32, {256, 1}, x.data());
    auto s = ref_session();
    Status st = s->run({Op::MatMul, MatMulArgs{.w = &tw, .x = &tx, .y = &ty}});
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().detail.find("groups of 16"), std::string::npos) << st.error().detail;
    for (float v : y) EXPECT_EQ(v, 7.0f);
    st = s->run({Op::GetRows, GetRowsArgs{.table = &tw, .ids = &ti, .y = &tr}});
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().detail.find("row table"), std::string::npos) << st.error().detail;
}

TEST(OpFacts, DispatchPicksBestVariantAndHonoursForcing) {
    auto best = make_cpu_backend({.read_env = false});
    ASSERT_TRUE(best.ok());
    const OpTypes q8{DType::Q8_0, DType::F32, DType::F32};
    const CpuVariant chosen = (*best)->variant_for(Op::MatMul, q8);
    if (cpu_variant_score(CpuVariant::Avx512) > 0) EXPECT_EQ(chosen, CpuVariant::Avx512);
    else if (cpu_variant_score(CpuVariant::Avx2) > 0) EXPECT_EQ(chosen, CpuVariant::Avx2);
    else EXPECT_EQ(chosen, CpuVariant::Ref);
    // TopK has only a reference kernel: a forced (non-strict) avx2 backend falls back to it.
    auto forced = make_cpu_backend({.force = CpuVariant::Ref, .read_env = false});
    ASSERT_TRUE(forced.ok());
    EXPECT_EQ((*forced)->variant_for(Op::MatMul, q8), CpuVariant::Ref);
    EXPECT_EQ((*forced)->variant_for(Op::TopK, {DType::F32, DType::Invalid, DType::I32}), CpuVariant::Ref);
    ::setenv("ATELIER_CPU_VARIANT", "nonsense", 1);
    EXPECT_FALSE(make_cpu_backend({}).ok());
    ::setenv("ATELIER_CPU_VARIANT", "ref", 1);
    auto env = make_cpu_backend({});
    ASSERT_TRUE(env.ok());
    EXPECT_EQ((*env)->variant_for(Op::MatMul, q8), CpuVariant::Ref);
    ::unsetenv("ATELIER_CPU_VARIANT");
}

TEST(OpFacts, SessionReusesScratchBetweenCalls) {
    auto s = ref_session();
    std::vector<float> w(64 * 33, 0.5f), x(64 * 4, 1.0f), y(33 * 4);
    Tensor tw = wrap(DType::F32, {64, 33}, w.data()), tx = wrap(DType::F32, {64, 4}, x.data()), ty = wrap(DType::F32, {33, 4}, y.data());
    const OpCall call{Op::MatMul, MatMulArgs{.w = &tw, .x = &tx, .y = &ty}};
    ASSERT_TRUE(s->run(call).ok());
    const size_t cap = s->scratch().capacity_bytes();
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(s->run(call).ok());
    EXPECT_EQ(s->scratch().capacity_bytes(), cap);
    EXPECT_FLOAT_EQ(y[0], 32.0f);
    EXPECT_EQ(s->n_threads(), 2);
}

// ATELIER_CPU_DISABLE (the ctest ops.avx512_matmul_without_vbmi sets it): every feature it
// names reads as absent, so that run really takes the fallback kernels.
TEST(OpFacts, CpuDisableTurnsNamedFeaturesOff) {
    const char* env = std::getenv("ATELIER_CPU_DISABLE");
    const std::string list = std::string(",") + (env ? env : "") + ",";  // unset: only the summary check
    const CpuFeatures& f = cpu_features();
    if (list.find(",avx512_vbmi,") != std::string::npos) {
        EXPECT_FALSE(f.avx512_vbmi);
    }
    if (list.find(",avx512_bf16,") != std::string::npos) {
        EXPECT_FALSE(f.avx512_bf16);
    }
    if (list.find(",avx512_vnni,") != std::string::npos) {
        EXPECT_FALSE(f.avx512_vnni);
    }
    EXPECT_EQ(f.summary().find("avx512_vbmi") != std::string::npos, f.avx512_vbmi);
}

// The vendor read from cpuid leaf 0 (it picks the kernels' prefetch distances) agrees with the
// kernel's own /proc/cpuinfo, and the distances are the documented ones unless overridden.
TEST(OpFacts, CpuVendorAndPrefetchDistances) {
    std::ifstream in("/proc/cpuinfo");
    std::string line, vendor;
    while (vendor.empty() && std::getline(in, line))
        if (line.rfind("vendor_id", 0) == 0) vendor = line.substr(line.find(':') + 2);
    if (vendor.empty()) GTEST_SKIP() << "no vendor_id in /proc/cpuinfo (not x86 Linux)";
    EXPECT_EQ(cpu_features().intel, vendor == "GenuineIntel") << vendor;
    const PrefetchDistance& d = prefetch_distance();
    if (const char* env = std::getenv("ATELIER_PREFETCH_BYTES"); env && *env) {  // "N" or "N,FAR"
        const std::string v = env;
        const size_t comma = v.find(',');
        const int near = std::stoi(v.substr(0, comma)), far = comma == std::string::npos ? 0 : std::stoi(v.substr(comma + 1));
        EXPECT_EQ(d.packed, near);
        EXPECT_EQ(d.wide, near);
        EXPECT_EQ(d.packed_far, far);
        EXPECT_EQ(d.wide_far, far);
    } else {
        const bool intel = cpu_features().intel;
        EXPECT_EQ(d.packed, intel ? 1024 : 6144);
        EXPECT_EQ(d.wide, intel ? 1024 : 6144);
        EXPECT_EQ(d.packed_far, intel ? 8192 : 0);
        EXPECT_EQ(d.wide_far, intel ? 8192 : 0);
    }
}

}  // namespace
}  // namespace atelier::infer
