// STREAM-like memory bandwidth measured in the same run as a benchmark: copy, triad and a
// read-only sum over 256 MiB arrays, split across the benchmark's own thread pool. This is the
// hardware limit that decode (matvec) ratios are taken against. Benchmarks only.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "core/thread-pool.h"

namespace atelier::bench {

namespace stream_detail {
inline double now_s() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
struct Array {
    float* p = nullptr;
    explicit Array(size_t n) {
        p = static_cast<float*>(std::aligned_alloc(64, n * 4));
        if (p) std::memset(p, 0, n * 4);  // touch every page
    }
    ~Array() { std::free(p); }
    Array(const Array&) = delete;
    Array& operator=(const Array&) = delete;
};
}  // namespace stream_detail

struct Stream {
    double copy_gbs = 0, triad_gbs = 0, read_gbs = 0;  // read: a sum over one array (read-only, like matvec)
};

inline Stream measure_stream(ThreadPool* pool, int n_threads) {
    const size_t n = size_t{64} << 20;  // 64 Mi floats = 256 MiB per array
    using stream_detail::now_s;
    stream_detail::Array a(n), b(n), c(n);
    float* pa = a.p;
    float* pb = b.p;
    float* pc = c.p;
    if (!pa || !pb || !pc) return {};
    for (size_t i = 0; i < n; ++i) pb[i] = 1.0f, pc[i] = 2.0f;
    auto par = [&](auto&& fn) {
        const size_t parts = static_cast<size_t>(n_threads);
        auto body = [&](size_t p) { fn(n * p / parts, n * (p + 1) / parts); };
        if (pool) pool->parallel_for(parts, body);
        else body(0);
    };
    Stream s;
    for (int rep = 0; rep < 5; ++rep) {
        double t0 = now_s();
        par([&](size_t lo, size_t hi) { std::memcpy(pa + lo, pb + lo, (hi - lo) * 4); });
        s.copy_gbs = std::max(s.copy_gbs, 2.0 * n * 4 / (now_s() - t0) / 1e9);
        t0 = now_s();
        par([&](size_t lo, size_t hi) {
            for (size_t i = lo; i < hi; ++i) pa[i] = pb[i] + 3.0f * pc[i];
        });
        s.triad_gbs = std::max(s.triad_gbs, 3.0 * n * 4 / (now_s() - t0) / 1e9);
        float sums[64] = {};
        t0 = now_s();
        par([&](size_t lo, size_t hi) {
            float acc[16] = {};
            for (size_t i = lo; i + 16 <= hi; i += 16)
                for (int j = 0; j < 16; ++j) acc[j] += pb[i + j];
            float t = 0;
            for (float v : acc) t += v;
            sums[lo * 64 / n] = t;
        });
        s.read_gbs = std::max(s.read_gbs, 1.0 * n * 4 / (now_s() - t0) / 1e9);
        if (sums[0] == 12345.0f) std::printf(" ");  // keep the sum alive
    }
    return s;
}

}  // namespace atelier::bench
