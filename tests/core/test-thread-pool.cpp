// Thread pool: every task runs once, parallel_for covers each index exactly once, and nested
// parallel_for from a worker does not deadlock.
#include <gtest/gtest.h>

#include <atomic>
#include <vector>

#include "core/thread-pool.h"

using namespace atelier;

TEST(ThreadPool, SubmitRunsEveryTask) {
    std::atomic<int> n{0};
    {
        ThreadPool pool(3);
        for (int i = 0; i < 1000; ++i) pool.submit([&] { n.fetch_add(1); });
    }  // destructor drains
    EXPECT_EQ(n.load(), 1000);
}

TEST(ThreadPool, ParallelForCoversEachIndexOnce) {
    ThreadPool pool(4);
    for (size_t n : {0u, 1u, 7u, 1001u}) {
        std::vector<std::atomic<int>> hits(n);
        pool.parallel_for(n, [&](size_t i) { hits[i].fetch_add(1); });
        for (size_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << "n=" << n << " i=" << i;
    }
}

TEST(ThreadPool, NestedParallelForRunsInline) {
    ThreadPool pool(2);
    std::atomic<int> total{0};
    pool.parallel_for(8, [&](size_t) { pool.parallel_for(8, [&](size_t) { total.fetch_add(1); }); });
    EXPECT_EQ(total.load(), 64);
}
