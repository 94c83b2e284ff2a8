// Thread pool: every task runs once, parallel_for covers each index exactly once, nested parallel_for
// does not deadlock, concurrent callers take turns, and jobs reach workers that went to sleep.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
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

TEST(ThreadPool, ConcurrentParallelForCallersTakeTurns) {
    ThreadPool pool(2);
    std::atomic<int64_t> total{0};
    std::vector<std::thread> callers;
    for (int t = 0; t < 4; ++t)
        callers.emplace_back([&] {
            for (int r = 0; r < 200; ++r) pool.parallel_for(17, [&](size_t i) { total.fetch_add(static_cast<int64_t>(i)); });
        });
    for (auto& c : callers) c.join();
    EXPECT_EQ(total.load(), 4 * 200 * (16 * 17 / 2));
}

TEST(ThreadPool, ParallelForAfterWorkersSleptAndBetweenTasks) {
    ThreadPool pool(3);
    std::atomic<int> hits{0}, tasks{0};
    for (int r = 0; r < 5; ++r) {
        std::this_thread::sleep_for(std::chrono::milliseconds(3));  // past the workers' spin: they sleep
        pool.submit([&] { tasks.fetch_add(1); });
        pool.parallel_for(64, [&](size_t) {
            std::this_thread::sleep_for(std::chrono::microseconds(50));
            hits.fetch_add(1);
        });
    }
    EXPECT_EQ(hits.load(), 5 * 64);
    while (tasks.load() < 5) std::this_thread::yield();
}
