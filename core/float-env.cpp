#include "core/float-env.h"

#include <cstdlib>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace atelier {
namespace {

#if defined(__x86_64__) || defined(__i386__)
constexpr uint64_t kFlushBits = 0x8040;  // MXCSR bit 15 flush-to-zero, bit 6 denormals-are-zero
constexpr uint64_t kControlBits = ~uint64_t{0x3F};  // all but the sticky exception flags
uint64_t read_mode() { return _mm_getcsr(); }
void write_mode(uint64_t m) { _mm_setcsr(static_cast<unsigned>(m)); }
constexpr bool kSupported = true;
#elif defined(__aarch64__)
constexpr uint64_t kFlushBits = uint64_t{1} << 24;  // FPCR.FZ: flush inputs and results to zero
constexpr uint64_t kControlBits = ~uint64_t{0};  // FPCR holds no status (that is FPSR)
uint64_t read_mode() {
    uint64_t v;
    asm volatile("mrs %0, fpcr" : "=r"(v));
    return v;
}
void write_mode(uint64_t m) { asm volatile("msr fpcr, %0" : : "r"(m)); }
constexpr bool kSupported = true;
#else
constexpr uint64_t kFlushBits = 0;
constexpr uint64_t kControlBits = 0;
uint64_t read_mode() { return 0; }
void write_mode(uint64_t) {}
constexpr bool kSupported = false;
#endif

bool flushing(uint64_t m) { return kSupported && (m & kFlushBits) == kFlushBits; }

bool decide() {
    if (!kSupported) return false;
    const char* keep = std::getenv("ATELIER_KEEP_DENORMALS");
    return !(keep && *keep && std::strcmp(keep, "0") != 0);
}

}  // namespace

bool denormal_flushing_enabled() {
    static const bool on = decide();
    return on;
}

bool thread_flushes_denormals() { return flushing(read_mode()); }

uint64_t thread_float_mode() { return read_mode(); }

FloatModeScope::FloatModeScope(uint64_t mode) {
    saved_ = read_mode();
    if ((saved_ & kControlBits) == (mode & kControlBits)) return;  // differs in sticky flags at most
    write_mode((mode & kControlBits) | (saved_ & ~kControlBits));
    changed_ = true;
}

FloatModeScope::~FloatModeScope() {
    if (changed_) write_mode(saved_);
}

FlushDenormalsScope::FlushDenormalsScope()
    : FloatModeScope(denormal_flushing_enabled() ? read_mode() | kFlushBits : read_mode()) {}

}  // namespace atelier
