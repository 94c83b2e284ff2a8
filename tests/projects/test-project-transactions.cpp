// Unit tests of Project::begin / Transaction: commit, rollback on destruction, nesting and depth,
// the commit hook that refuses a raw COMMIT inside a savepoint, and thread exclusion.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <thread>

#include "core/log.h"
#include "projects/project.h"
#include "tests/projects/test-util.h"

namespace ap = atelier::projects;
using atelier::test::make_asset;
using atelier::test::raw_int;
using atelier::test::TempDir;

TEST(ProjectTransactions, CommitPersistsAndDestructionRollsBack) {
    TempDir dir;
    auto path = dir / "t.atelier";
    auto p = ap::Project::create(path);
    ASSERT_TRUE(p.ok());
    {
        auto tx = (*p)->begin("two assets");
        ASSERT_TRUE(tx.ok());
        EXPECT_EQ((*p)->transaction_depth(), 1);
        ASSERT_TRUE((*p)->insert_asset(make_asset("a.png")).ok());
        ASSERT_TRUE((*p)->insert_asset(make_asset("b.png")).ok());
        EXPECT_EQ(raw_int(path, "SELECT count(*) FROM assets"), 0) << "not visible before commit";
        ASSERT_TRUE(tx->commit().ok());
        EXPECT_EQ((*p)->transaction_depth(), 0);
        EXPECT_FALSE(tx->commit().ok()) << "a transaction ends once";
    }
    EXPECT_EQ(raw_int(path, "SELECT count(*) FROM assets"), 2);
    {
        auto tx = (*p)->begin("abandoned");
        ASSERT_TRUE(tx.ok());
        ASSERT_TRUE((*p)->insert_asset(make_asset("c.png")).ok());
        EXPECT_EQ(*(*p)->count_assets(), 3) << "visible inside the transaction";
    }
    EXPECT_EQ((*p)->transaction_depth(), 0);
    EXPECT_EQ(*(*p)->count_assets(), 2);
    EXPECT_EQ(raw_int(path, "SELECT count(*) FROM assets"), 2);
}

TEST(ProjectTransactions, NestedRollbackKeepsOuterWork) {
    TempDir dir;
    auto path = dir / "t.atelier";
    auto p = ap::Project::create(path);
    ASSERT_TRUE(p.ok());
    {
        auto outer = (*p)->begin("outer");
        ASSERT_TRUE(outer.ok());
        ASSERT_TRUE((*p)->insert_asset(make_asset("outer.png")).ok());
        {
            auto inner = (*p)->begin("inner");
            ASSERT_TRUE(inner.ok());
            EXPECT_EQ((*p)->transaction_depth(), 2);
            ASSERT_TRUE((*p)->insert_asset(make_asset("inner.png")).ok());
        }  // inner rolled back
        EXPECT_EQ((*p)->transaction_depth(), 1);
        EXPECT_EQ(*(*p)->count_assets(), 1);
        ASSERT_TRUE(outer->commit().ok());
    }
    auto names = (*p)->list_assets();
    ASSERT_EQ(names->size(), 1u);
    EXPECT_EQ((*names)[0].name, "outer.png");
    EXPECT_EQ(raw_int(path, "SELECT count(*) FROM assets"), 1);
}

TEST(ProjectTransactions, OuterRollbackDiscardsCommittedInner) {
    TempDir dir;
    auto path = dir / "t.atelier";
    auto p = ap::Project::create(path);
    ASSERT_TRUE(p.ok());
    {
        auto outer = (*p)->begin("outer");
        ASSERT_TRUE(outer.ok());
        auto inner = (*p)->begin("inner");
        ASSERT_TRUE(inner.ok());
        ASSERT_TRUE((*p)->insert_asset(make_asset("x.png")).ok());
        ASSERT_TRUE(inner->commit().ok());
        EXPECT_EQ(raw_int(path, "SELECT count(*) FROM assets"), 0);
    }
    EXPECT_EQ(*(*p)->count_assets(), 0);
    EXPECT_EQ(raw_int(path, "SELECT count(*) FROM assets"), 0);
}

TEST(ProjectTransactions, FailedMutationInsideTransactionLeavesEarlierWork) {
    TempDir dir;
    auto p = ap::Project::create(dir / "t.atelier");
    ASSERT_TRUE(p.ok());
    auto tx = (*p)->begin("mixed");
    ASSERT_TRUE(tx.ok());
    ap::Asset a = make_asset("a.png");
    ASSERT_TRUE((*p)->insert_asset(a).ok());
    EXPECT_FALSE((*p)->insert_asset(a).ok()) << "duplicate";
    ASSERT_TRUE(tx->commit().ok());
    EXPECT_EQ(*(*p)->count_assets(), 1);
}

TEST(ProjectTransactions, RawCommitInsideSavepointIsRefused) {
    TempDir dir;
    auto path = dir / "t.atelier";
    auto p = ap::Project::create(path);
    ASSERT_TRUE(p.ok());
    std::vector<std::string> log;
    atelier::log_set_sink([&](atelier::LogLevel, const std::string& line) { log.push_back(line); });
    {
        auto tx = (*p)->begin("guarded");
        ASSERT_TRUE(tx.ok());
        ASSERT_TRUE((*p)->insert_asset(make_asset("a.png")).ok());
        int rc = sqlite3_exec((*p)->raw_handle(), "COMMIT", nullptr, nullptr, nullptr);
        EXPECT_NE(rc, SQLITE_OK) << "the commit hook turns a stray COMMIT into a rollback";
        EXPECT_EQ(raw_int(path, "SELECT count(*) FROM assets"), 0);
    }
    atelier::log_set_sink({});
    bool named = false;  // the log names the open savepoint and where it was begun
    for (const std::string& line : log)
        named = named || (line.find("guarded (test-project-transactions.cpp:") != std::string::npos);
    EXPECT_TRUE(named);
    EXPECT_EQ((*p)->transaction_depth(), 0);
    EXPECT_EQ(*(*p)->count_assets(), 0);
    ASSERT_TRUE((*p)->insert_asset(make_asset("b.png")).ok()) << "the project stays usable";
    EXPECT_EQ(raw_int(path, "SELECT count(*) FROM assets"), 1);
}

TEST(ProjectTransactions, TransactionExcludesOtherThreadsUntilItEnds) {
    TempDir dir;
    auto path = dir / "t.atelier";
    auto p = ap::Project::create(path);
    ASSERT_TRUE(p.ok());
    std::atomic<bool> other_done{false};
    std::thread other;
    {
        auto tx = (*p)->begin("exclusive");
        ASSERT_TRUE(tx.ok());
        ASSERT_TRUE((*p)->insert_asset(make_asset("mine.png")).ok());
        other = std::thread([&] {
            EXPECT_TRUE((*p)->insert_asset(make_asset("theirs.png")).ok());
            other_done = true;
        });
        // Not a timing assertion: the other thread's write must not land inside our savepoint,
        // which the rollback below would otherwise undo.
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        EXPECT_FALSE(other_done.load());
    }  // rolled back
    other.join();
    auto assets = (*p)->list_assets();
    ASSERT_EQ(assets->size(), 1u);
    EXPECT_EQ((*assets)[0].name, "theirs.png");
}
