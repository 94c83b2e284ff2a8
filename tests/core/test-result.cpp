// Result<T>/Error semantics and the error-code ranges each library owns.
#include <gtest/gtest.h>

#include <memory>

#include "core/result.h"

using namespace atelier;

namespace {
Result<int> parse_positive(int v) {
    if (v <= 0) return make_error(ErrorCode::InvalidArgument, "not positive", "pass a number > 0");
    return v;
}
Result<int> doubled(int v) {
    ATELIER_TRY_ASSIGN(int x, parse_positive(v));
    return 2 * x;
}
Status check(int v) {
    ATELIER_TRY(parse_positive(v));
    return ok_status();
}
}  // namespace

TEST(Result, ValueAndError) {
    auto a = doubled(4);
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(*a, 8);
    auto b = doubled(-1);
    ASSERT_FALSE(b.ok());
    EXPECT_EQ(b.error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(b.error().message(), "not positive (pass a number > 0)");
    EXPECT_TRUE(check(1).ok());
    EXPECT_FALSE(check(0).ok());
}

TEST(Result, MoveOnlyValues) {
    Result<std::unique_ptr<int>> r = std::make_unique<int>(7);
    ASSERT_TRUE(r.ok());
    std::unique_ptr<int> p = std::move(r).value();
    EXPECT_EQ(*p, 7);
}

TEST(Result, CodeRangesAndNames) {
    EXPECT_GE(static_cast<int>(ErrorCode::Cancelled), 1000);
    EXPECT_LT(static_cast<int>(ErrorCode::Cancelled), 2000);
    EXPECT_GE(static_cast<int>(ErrorCode::ModelFormat), 2000);
    EXPECT_GE(static_cast<int>(ErrorCode::MediaOpenFailed), 3000);
    EXPECT_GE(static_cast<int>(ErrorCode::ProjectTooNew), 4000);
    EXPECT_GE(static_cast<int>(ErrorCode::ImportFailed), 5000);
    EXPECT_STREQ(error_code_name(ErrorCode::ProjectTooNew), "project_too_new");
    EXPECT_TRUE(is_cancelled(make_error(ErrorCode::Cancelled, "")));
}
