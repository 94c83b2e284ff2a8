// ctest -L ops: every registered case on every CPU variant, one GoogleTest case each
// (OpTests/Registry.Run/<case>__<variant>). The reference variant is checked for guards and
// NaN against itself; avx2/avx512 against the reference. UNSUPPORTED combinations and variants
// this CPU cannot run are reported with GTEST_SKIP (ctest lists them as skipped, never passed).
// The summary table is printed when the process exits.
#include <gtest/gtest.h>

#include "op-harness.h"

namespace atelier::infer::optest {
namespace {

struct Param {
    size_t case_index;
    CpuVariant variant;
};

void PrintTo(const Param& p, std::ostream* os) {
    *os << all_cases()[p.case_index].name << " on " << cpu_variant_name(p.variant);
}

class Registry : public ::testing::TestWithParam<Param> {};

TEST_P(Registry, Run) {
    const OpCase& c = all_cases()[GetParam().case_index];
    const Outcome o = run_case_on_variant(c, GetParam().variant);
    record(c, GetParam().variant, o);
    if (o.kind == Outcome::Kind::Unsupported) GTEST_SKIP() << o.detail;
    EXPECT_EQ(o.kind, Outcome::Kind::Pass) << c.name << " on " << cpu_variant_name(GetParam().variant) << ": " << o.detail
                                           << " (budget " << c.max_nmse << ": " << c.why << ")";
}

std::vector<Param> params() {
    std::vector<Param> p;
    for (size_t i = 0; i < all_cases().size(); ++i)
        for (CpuVariant v : {CpuVariant::Ref, CpuVariant::Avx2, CpuVariant::Avx512}) p.push_back({i, v});
    return p;
}

std::string param_name(const ::testing::TestParamInfo<Param>& info) {
    std::string n = all_cases()[info.param.case_index].name + "__" + cpu_variant_name(info.param.variant);
    for (char& ch : n)
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
    return n;
}

INSTANTIATE_TEST_SUITE_P(OpTests, Registry, ::testing::ValuesIn(params()), param_name);

class SummaryPrinter : public ::testing::Environment {
public:
    void TearDown() override { print_summary(); }
};
const auto* const g_env = ::testing::AddGlobalTestEnvironment(new SummaryPrinter);

}  // namespace
}  // namespace atelier::infer::optest
