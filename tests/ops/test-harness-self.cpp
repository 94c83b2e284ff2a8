// Tests of the harness itself: deliberately broken "variants" must fail (a write one element
// past the end, an unwritten row, a wrong value, an inf of the wrong sign), and an unsupported
// combination must come back UNSUPPORTED, never PASS. Each broken runner wraps the reference.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "op-harness.h"

namespace atelier::infer::optest {
namespace {

// A strided and a contiguous f32 output case (y = a + b).
OpCase add_case(bool strided) {
    OpCase c;
    c.name = strided ? "self_add_strided" : "self_add_contiguous";
    c.max_nmse = 1e-9;
    c.why = "harness self-test";
    c.build = [strided](CaseEnv& e) {
        const Layout l = strided ? Layout{.row_pad_bytes = 32} : Layout{};
        BinaryArgs a;
        a.a = e.input(DType::F32, {37, 5}, l);
        a.b = e.input(DType::F32, {37, 5});
        a.y = e.output(DType::F32, {37, 5}, l);
        e.call = {Op::Add, a};
    };
    return c;
}

// Runs the reference, then applies `damage` to y.
Runner broken(std::function<void(Tensor&)> damage) {
    return [damage](const OpCall& call, ExecContext& ctx) -> Status {
        auto ref = make_cpu_backend({.force = CpuVariant::Ref, .strict = true, .read_env = false});
        if (!ref) return std::move(ref).error();
        ATELIER_TRY((*ref)->run(call, ctx));
        damage(*std::get<BinaryArgs>(call.args).y);
        return ok_status();
    };
}

float* last_row(Tensor& y) { return reinterpret_cast<float*>(static_cast<char*>(y.data) + (y.ne[1] - 1) * y.nb[1]); }

TEST(OpHarnessSelf, CatchesWriteOnePastTheEndContiguous) {
    const Outcome o = run_case(add_case(false), broken([](Tensor& y) { last_row(y)[y.ne[0]] = 1.0f; }), true);
    EXPECT_EQ(o.kind, Outcome::Kind::Fail);
    EXPECT_NE(o.detail.find("outside"), std::string::npos) << o.detail;
}

TEST(OpHarnessSelf, CatchesWriteIntoRowPadding) {
    const Outcome o = run_case(add_case(true), broken([](Tensor& y) { static_cast<float*>(y.data)[y.ne[0]] = 0.0f; }), true);
    EXPECT_EQ(o.kind, Outcome::Kind::Fail);
    EXPECT_NE(o.detail.find("outside"), std::string::npos) << o.detail;
}

TEST(OpHarnessSelf, CatchesUnwrittenRow) {
    const Outcome o = run_case(add_case(true), broken([](Tensor& y) { std::memset(last_row(y), 0xFF, 37 * 4); }), true);
    EXPECT_EQ(o.kind, Outcome::Kind::Fail);
    EXPECT_NE(o.detail.find("NaN"), std::string::npos) << o.detail;
}

TEST(OpHarnessSelf, CatchesWrongValue) {
    const Outcome o = run_case(add_case(false), broken([](Tensor& y) { static_cast<float*>(y.data)[3] += 0.5f; }), true);
    EXPECT_EQ(o.kind, Outcome::Kind::Fail);
    EXPECT_NE(o.detail.find("NMSE"), std::string::npos) << o.detail;
}

TEST(OpHarnessSelf, CatchesInfSignMismatch) {
    const Outcome o = run_case(add_case(false), broken([](Tensor& y) { static_cast<float*>(y.data)[5] = -INFINITY; }), true);
    EXPECT_EQ(o.kind, Outcome::Kind::Fail);
    EXPECT_NE(o.detail.find("inf"), std::string::npos) << o.detail;
}

TEST(OpHarnessSelf, IntactVariantPasses) {
    const Outcome o = run_case(add_case(true), broken([](Tensor&) {}), true);
    EXPECT_EQ(o.kind, Outcome::Kind::Pass) << o.detail;
}

TEST(OpHarnessSelf, UnsupportedIsNeverPass) {
    const Outcome o = run_case(add_case(false), broken([](Tensor&) {}), false);
    EXPECT_EQ(o.kind, Outcome::Kind::Unsupported);
    // and a strict SIMD backend does not claim ops it has no kernel for
    for (CpuVariant v : {CpuVariant::Avx2, CpuVariant::Avx512}) {
        if (cpu_variant_score(v) == 0) continue;
        auto b = make_cpu_backend({.force = v, .strict = true, .read_env = false});
        ASSERT_TRUE(b.ok());
        EXPECT_FALSE((*b)->supports(Op::GetRows, {DType::Q4_K, DType::I32, DType::F32}));  // no SIMD q4_K gather
    }
}

}  // namespace
}  // namespace atelier::infer::optest
