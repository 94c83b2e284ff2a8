// Replaces global operator new/delete with malloc/free plus a counter armed by the test (see
// v4-test-util.h), in its own translation unit so no caller sees the replacement inlined.
// Thread-safety: the counter is atomic; arming is done by the test's main thread.
#include <atomic>
#include <cstdlib>
#include <new>

#include "v4-test-util.h"

namespace {
std::atomic<bool> g_armed{false};
std::atomic<long> g_count{0};
}  // namespace

void* operator new(size_t n) {
    if (g_armed.load(std::memory_order_relaxed)) g_count.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace atelier::infer::test {
void alloc_count_start() {
    g_count = 0;
    g_armed = true;
}
long alloc_count_stop() {
    g_armed = false;
    return g_count.load();
}
}  // namespace atelier::infer::test
