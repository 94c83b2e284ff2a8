// STREAM-like memory bandwidth measured in the same run as a benchmark: copy, triad and a
// read-only sum over 256 MiB arrays (2 MiB pages since 2026-11-30), split across the benchmark's own
// thread pool. This is the hardware limit that decode (matvec) ratios are taken against.
// Benchmarks only.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include <immintrin.h>
#include <sys/mman.h>

#include "core/thread-pool.h"

namespace atelier::bench {

namespace stream_detail {
inline double now_s() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace stream_detail

// `bytes` (rounded up to whole 2 MiB pages) 2 MiB-aligned and advised for transparent huge pages,
// as resident weights are (mapped-file.h); free with std::free. nullptr when out of memory.
inline void* huge_page_alloc(size_t bytes) {
    constexpr size_t kHuge = size_t{2} << 20;
    const size_t len = (bytes + kHuge - 1) / kHuge * kHuge;
    void* p = std::aligned_alloc(kHuge, len);
    if (p) ::madvise(p, len, MADV_HUGEPAGE);  // a hint; without it the pages are 4 KiB
    return p;
}

namespace stream_detail {
// On 2 MiB pages: with 4 KiB pages the same loops read 5-15 % slower on machine A, which would
// understate the limit the weights are measured against.
struct Array {
    float* p = nullptr;
    explicit Array(size_t n) {
        p = static_cast<float*>(huge_page_alloc(n * 4));
        if (p) std::memset(p, 0, n * 4);  // touch every page
    }
    ~Array() { std::free(p); }
    Array(const Array&) = delete;
    Array& operator=(const Array&) = delete;
};
// Sum of [p, p + n) (n % 64 == 0) with 512-bit loads and the matvec kernels' software prefetch
// (6 KB ahead): the fastest read-only stream these kernels could do. The plain loop below it
// (the compiler's vectorisation, no prefetch) read 10-20 % slower on machine A.
#pragma GCC diagnostic push  // GCC 12's AVX-512 headers trip these in generic files
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
__attribute__((target("avx512f"))) inline float read_avx512(const float* p, size_t n) {
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (size_t i = 0; i < n; i += 64) {
        const char* q = reinterpret_cast<const char*>(p + i) + 6144;
        for (int l = 0; l < 256; l += 64) __asm__ volatile("prefetcht0 %0" : : "m"(q[l]));
        a0 = _mm512_add_ps(a0, _mm512_loadu_ps(p + i));
        a1 = _mm512_add_ps(a1, _mm512_loadu_ps(p + i + 16));
        a2 = _mm512_add_ps(a2, _mm512_loadu_ps(p + i + 32));
        a3 = _mm512_add_ps(a3, _mm512_loadu_ps(p + i + 48));
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
}
#pragma GCC diagnostic pop
inline float read_plain(const float* p, size_t n) {
    float acc[16] = {};
    for (size_t i = 0; i + 16 <= n; i += 16)
        for (int j = 0; j < 16; ++j) acc[j] += p[i + j];
    float t = 0;
    for (float v : acc) t += v;
    return t;
}
}  // namespace stream_detail

struct Stream {
    // read: a sum over one array (read-only, like matvec); AVX-512 loads with a prefetch where the
    // CPU has them (since 2026-11-30; before, the plain loop)
    double copy_gbs = 0, triad_gbs = 0, read_gbs = 0;
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
    const bool avx512 = __builtin_cpu_supports("avx512f");
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
            // unaligned loads: a part starts at n·p/threads, not a multiple of 16 floats for 3 threads
            sums[lo * 64 / n] = avx512 ? stream_detail::read_avx512(pb + lo, (hi - lo) / 64 * 64) : stream_detail::read_plain(pb + lo, hi - lo);
        });
        s.read_gbs = std::max(s.read_gbs, 1.0 * n * 4 / (now_s() - t0) / 1e9);
        if (sums[0] == 12345.0f) std::printf(" ");  // keep the sum alive
    }
    return s;
}

}  // namespace atelier::bench
