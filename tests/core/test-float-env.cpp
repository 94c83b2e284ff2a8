// The float environment (core/float-env.h): FlushDenormalsScope flushes and restores; a
// parallel_for's items run in the caller's mode on every pool worker, flushing or not, and the
// workers are back in their own mode afterwards; ATELIER_KEEP_DENORMALS=1 turns the scope off
// (ctest core.keep_denormals runs these tests with it).
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <string>
#include <optional>
#include <thread>
#include <vector>

#include "core/float-env.h"
#include "core/thread-pool.h"

using namespace atelier;

namespace {

// Both directions, computed at run time so the compiler cannot fold them: a result below
// FLT_MIN (FTZ) and a subnormal input (DAZ).
struct Probe {
    float product = -1;  // FLT_MIN * 0.25: 2^-128 with denormals, 0 when flushed
    float sum = -1;      // 2^-128 (a subnormal input) + 0: kept, or 0 when inputs read as zero
};

Probe probe_here() {
    const uint32_t bits = 0x00200000u;  // 2^-128 built from bits: no flushed arithmetic
    float sub;
    std::memcpy(&sub, &bits, sizeof sub);
    volatile float min_normal = FLT_MIN, subnormal = sub;
    Probe p;
    p.product = min_normal * 0.25f;
    p.sum = subnormal + 0.0f;
    return p;
}

bool flushed(const Probe& p) { return p.product == 0.0f && p.sum == 0.0f; }
bool kept(const Probe& p) {
    uint32_t a, b;
    std::memcpy(&a, &p.product, 4);
    std::memcpy(&b, &p.sum, 4);
    return a == 0x00200000u && b == 0x00200000u;
}

bool keep_requested() {
    const char* v = std::getenv("ATELIER_KEEP_DENORMALS");
    return v && *v && std::string(v) != "0";
}

#if defined(__x86_64__) || defined(__i386__) || defined(__aarch64__)
constexpr bool kCanFlush = true;
#else
constexpr bool kCanFlush = false;
#endif

}  // namespace

TEST(FloatEnv, FlushingFollowsTheEnvironment) {
    EXPECT_EQ(denormal_flushing_enabled(), kCanFlush && !keep_requested());
}

TEST(FloatEnv, ThreadsStartKeepingDenormals) {
    EXPECT_FALSE(thread_flushes_denormals());
    EXPECT_TRUE(kept(probe_here()));
}

TEST(FloatEnv, ScopeFlushesAndRestores) {
    {
        const FlushDenormalsScope scope;
        EXPECT_EQ(thread_flushes_denormals(), denormal_flushing_enabled());
        EXPECT_TRUE(denormal_flushing_enabled() ? flushed(probe_here()) : kept(probe_here()));
        {
            const FlushDenormalsScope nested;  // already set: leaves it to the outer scope
        }
        EXPECT_EQ(thread_flushes_denormals(), denormal_flushing_enabled());
        EXPECT_TRUE(denormal_flushing_enabled() ? flushed(probe_here()) : kept(probe_here()));
    }
    EXPECT_FALSE(thread_flushes_denormals());
    EXPECT_TRUE(kept(probe_here()));
}

TEST(FloatEnv, ParallelForItemsRunInTheCallersMode) {
    ThreadPool pool(2);
    for (bool flush : {true, false, true}) {
        std::vector<Probe> got(256);
        std::vector<std::thread::id> who(got.size());
        {
            std::optional<FlushDenormalsScope> scope;
            if (flush) scope.emplace();
            pool.parallel_for(got.size(), [&](size_t i) {
                got[i] = probe_here();
                who[i] = std::this_thread::get_id();
                // slow enough that the workers take some items
                volatile float sink = 0;
                for (int k = 0; k < 2000; ++k) sink = sink + 1.0f;
            });
        }
        const bool expect_flush = flush && denormal_flushing_enabled();
        int on_workers = 0;
        for (size_t i = 0; i < got.size(); ++i) {
            EXPECT_TRUE(expect_flush ? flushed(got[i]) : kept(got[i])) << "item " << i << " flush " << flush;
            on_workers += who[i] != std::this_thread::get_id();
        }
        std::printf("flush %d: %d of %zu items ran on pool workers\n", flush, on_workers, got.size());
        EXPECT_FALSE(thread_flushes_denormals()) << "the scope restores the caller";
        // A task (not a parallel_for item) sees the worker's own mode again: keeping denormals.
        Probe task_probe;
        bool task_flushing = true;
        std::atomic<bool> done{false};
        pool.submit([&] {
            task_probe = probe_here();
            task_flushing = thread_flushes_denormals();
            done.store(true);
        });
        while (!done.load()) std::this_thread::yield();
        EXPECT_FALSE(task_flushing) << "a worker must leave the job's mode behind";
        EXPECT_TRUE(kept(task_probe));
    }
}
