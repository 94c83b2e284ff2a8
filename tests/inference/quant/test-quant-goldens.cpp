// Dequantisation of every GGUF block type against goldens from gguf-py's numpy reference
// (tools/make-quant-goldens.py), exactly: our arithmetic order is the reference's, so max |error|
// must be 0. Also quantiser output bytes against gguf-py (Q8_0, BF16) and numpy (F16), block
// struct sizes against the type table, and whole-block argument checks with guard bytes.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "inference/quant-blocks.h"
#include "inference/quant.h"
#include "quant-test-util.h"

namespace atelier::infer {
namespace {

using test::as_floats;
using test::read_golden;

struct GoldenCase {
    const char* file;
    DType type;
};

void PrintTo(const GoldenCase& c, std::ostream* os) { *os << c.file; }

class DequantGolden : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(DequantGolden, MatchesReferenceExactly) {
    const GoldenCase c = GetParam();
    const std::vector<uint8_t> blocks = read_golden(std::string(c.file) + ".bin");
    const std::vector<float> want = as_floats(read_golden(std::string(c.file) + ".f32"));
    const DTypeTraits& tr = dtype_traits(c.type);
    ASSERT_FALSE(blocks.empty()) << "missing golden " << c.file << " (run tools/make-quant-goldens.py)";
    ASSERT_EQ(0u, blocks.size() % tr.block_bytes);
    const int64_t n = static_cast<int64_t>(blocks.size()) / tr.block_bytes * tr.block_elems;
    ASSERT_EQ(static_cast<size_t>(n), want.size());
    std::vector<float> got(static_cast<size_t>(n) + 8, 12345.0f);  // guard values after the row
    ASSERT_TRUE(dequantize_row(c.type, blocks.data(), got.data(), n).ok());
    double max_err = 0;
    int mismatches = 0;
    for (int64_t i = 0; i < n; ++i) {
        const float w = want[static_cast<size_t>(i)], g = got[static_cast<size_t>(i)];
        if (w == g || (std::isnan(w) && std::isnan(g))) continue;
        ++mismatches;
        max_err = std::fmax(max_err, std::fabs(static_cast<double>(w) - g));
        if (mismatches < 5) ADD_FAILURE() << c.file << " value " << i << ": want " << w << " got " << g;
    }
    EXPECT_EQ(0, mismatches) << "max abs error " << max_err;
    for (size_t i = static_cast<size_t>(n); i < got.size(); ++i) EXPECT_EQ(12345.0f, got[i]) << "overrun at " << i;
}

INSTANTIATE_TEST_SUITE_P(
    Quant, DequantGolden,
    ::testing::Values(GoldenCase{"q8_0", DType::Q8_0}, GoldenCase{"q2_K", DType::Q2_K},
                      GoldenCase{"q3_K", DType::Q3_K}, GoldenCase{"q4_K", DType::Q4_K},
                      GoldenCase{"q5_K", DType::Q5_K}, GoldenCase{"q6_K", DType::Q6_K},
                      GoldenCase{"q8_K", DType::Q8_K}, GoldenCase{"iq2_xxs", DType::IQ2_XXS},
                      GoldenCase{"iq3_xxs", DType::IQ3_XXS}, GoldenCase{"mxfp4", DType::MXFP4},
                      GoldenCase{"f16-dequant", DType::F16}),
    [](const ::testing::TestParamInfo<GoldenCase>& i) {
        std::string s = i.param.file;
        for (char& ch : s)
            if (ch == '-') ch = '_';
        return s;
    });

void expect_quantize_matches(DType t, const char* in_file, const char* out_file) {
    const std::vector<float> x = as_floats(read_golden(in_file));
    const std::vector<uint8_t> want = read_golden(out_file);
    ASSERT_FALSE(x.empty());
    const auto bytes = dtype_row_bytes(t, static_cast<int64_t>(x.size()));
    ASSERT_TRUE(bytes.ok());
    ASSERT_EQ(static_cast<size_t>(*bytes), want.size());
    std::vector<uint8_t> got(want.size() + 16, 0xA5);
    ASSERT_TRUE(quantize_row(t, x.data(), got.data(), static_cast<int64_t>(x.size())).ok());
    int diffs = 0;
    for (size_t i = 0; i < want.size(); ++i)
        if (want[i] != got[i] && ++diffs < 5) ADD_FAILURE() << out_file << " byte " << i;
    EXPECT_EQ(0, diffs);
    for (size_t i = want.size(); i < got.size(); ++i) EXPECT_EQ(0xA5, got[i]) << "overrun";
}

// gguf-py states its Q8_0 quantiser is bit-exact with ggml's reference (round half away from zero).
TEST(QuantGolden, Q8_0QuantizeIsBitExactWithReference) {
    expect_quantize_matches(DType::Q8_0, "q8_0-quant.in.f32", "q8_0-quant.out.bin");
}

TEST(QuantGolden, Bf16QuantizeIsBitExactWithReference) {
    expect_quantize_matches(DType::BF16, "bf16-quant.in.f32", "bf16-quant.out.bin");
}

// numpy's float16 cast keeps a NaN's payload without forcing the quiet bit; we quiet NaNs, so a
// NaN compares as "any NaN". Everything else must be bit-identical.
TEST(QuantGolden, F16QuantizeMatchesNumpyCast) {
    const std::vector<float> x = as_floats(read_golden("bf16-quant.in.f32"));
    const std::vector<uint8_t> want = read_golden("f16-quant.out.bin");
    ASSERT_EQ(x.size() * 2, want.size());
    std::vector<uint16_t> got(x.size());
    ASSERT_TRUE(quantize_row(DType::F16, x.data(), got.data(), static_cast<int64_t>(x.size())).ok());
    for (size_t i = 0; i < x.size(); ++i) {
        const uint16_t w = static_cast<uint16_t>(want[2 * i] | (want[2 * i + 1] << 8));
        if ((w & 0x7C00) == 0x7C00 && (w & 0x3FF)) EXPECT_EQ(0x7C00, got[i] & 0x7C00) << i;
        else EXPECT_EQ(w, got[i]) << "value " << i << " = " << x[i];
    }
}

TEST(QuantLayout, BlockStructSizesMatchTypeTable) {
    EXPECT_EQ(sizeof(BlockQ8_0), static_cast<size_t>(dtype_traits(DType::Q8_0).block_bytes));
    EXPECT_EQ(sizeof(BlockQ2_K), static_cast<size_t>(dtype_traits(DType::Q2_K).block_bytes));
    EXPECT_EQ(sizeof(BlockQ3_K), static_cast<size_t>(dtype_traits(DType::Q3_K).block_bytes));
    EXPECT_EQ(sizeof(BlockQ4_K), static_cast<size_t>(dtype_traits(DType::Q4_K).block_bytes));
    EXPECT_EQ(sizeof(BlockQ5_K), static_cast<size_t>(dtype_traits(DType::Q5_K).block_bytes));
    EXPECT_EQ(sizeof(BlockQ6_K), static_cast<size_t>(dtype_traits(DType::Q6_K).block_bytes));
    EXPECT_EQ(sizeof(BlockQ8_K), static_cast<size_t>(dtype_traits(DType::Q8_K).block_bytes));
    EXPECT_EQ(sizeof(BlockIQ2_XXS), static_cast<size_t>(dtype_traits(DType::IQ2_XXS).block_bytes));
    EXPECT_EQ(sizeof(BlockIQ3_XXS), static_cast<size_t>(dtype_traits(DType::IQ3_XXS).block_bytes));
    EXPECT_EQ(sizeof(BlockMxfp4), static_cast<size_t>(dtype_traits(DType::MXFP4).block_bytes));
    EXPECT_EQ(kQK_K, dtype_traits(DType::Q4_K).block_elems);
    EXPECT_EQ(kQK8_0, dtype_traits(DType::Q8_0).block_elems);
}

// A row that is not whole blocks is refused before anything is read or written.
TEST(QuantArgs, PartialBlocksAreInvalidArgumentAndWriteNothing) {
    for (int t = 1; t < static_cast<int>(DType::Count); ++t) {
        const DType type = static_cast<DType>(t);
        const int64_t be = dtype_traits(type).block_elems;
        if (be == 1) continue;
        std::vector<uint8_t> src(4096, 0);
        std::vector<float> dst(1024, 7.0f);
        for (int64_t n : {be + 1, be - 1, int64_t{-be}}) {
            const Status s = dequantize_row(type, src.data(), dst.data(), n);
            ASSERT_FALSE(s.ok()) << dtype_name(type) << " n=" << n;
            EXPECT_EQ(ErrorCode::InvalidArgument, s.error().code);
            EXPECT_NE(std::string::npos, s.error().detail.find(dtype_name(type))) << s.error().detail;
        }
        std::vector<float> x(1024, 0.5f);
        std::vector<uint8_t> q(4096, 0xA5);
        for (int64_t n : {be + 1, be - 1}) {
            const Status s = quantize_row(type, x.data(), q.data(), n);
            ASSERT_FALSE(s.ok());
            EXPECT_EQ(ErrorCode::InvalidArgument, s.error().code);
        }
        for (float v : dst) ASSERT_EQ(7.0f, v);
        for (uint8_t b : q) ASSERT_EQ(0xA5, b);
    }
}

TEST(QuantArgs, BlockQuantisersRefuseNonFiniteAndUnsupportedTypes) {
    std::vector<float> x(256, 1.0f);
    std::vector<uint8_t> q(1024);
    for (DType t : {DType::Q8_0, DType::Q4_K, DType::Q8_K, DType::MXFP4}) {
        x[100] = std::nanf("");
        EXPECT_EQ(ErrorCode::InvalidArgument, quantize_row(t, x.data(), q.data(), 256).error().code);
        x[100] = -INFINITY;
        EXPECT_EQ(ErrorCode::InvalidArgument, quantize_row(t, x.data(), q.data(), 256).error().code);
        x[100] = 1.0f;
        EXPECT_TRUE(quantize_row(t, x.data(), q.data(), 256).ok()) << dtype_name(t);
    }
    x[3] = 2e6f;  // fp16 scales cannot hold it
    EXPECT_EQ(ErrorCode::InvalidArgument, quantize_row(DType::Q8_0, x.data(), q.data(), 256).error().code);
    EXPECT_EQ(ErrorCode::InvalidArgument, quantize_row(DType::Q4_K, x.data(), q.data(), 256).error().code);
    EXPECT_EQ(ErrorCode::Unsupported, quantize_row(DType::Q6_K, x.data(), q.data(), 256).error().code);
    EXPECT_EQ(ErrorCode::Unsupported, quantize_row(DType::IQ2_XXS, x.data(), q.data(), 256).error().code);
    EXPECT_TRUE(quantize_row(DType::Q8_0, x.data(), nullptr, 0).ok());  // empty row: nothing to do
}

}  // namespace
}  // namespace atelier::infer
