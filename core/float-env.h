// The floating-point environment of compute threads: denormal (subnormal) floats, and which
// thread runs a parallel_for item.
//
// Flushing denormals: on many x86 cores an operation that meets a subnormal float takes a
// microcode assist a hundred times slower than the normal path. Whisper's activations decay into
// that range often enough to make live captions ~3x slower on an Intel Xeon (docs/PERFORMANCE.md,
// machine B), so Whisper and the voices compute inside a FlushDenormalsScope:
// results below 2^-126 become 0 (FTZ) and subnormal inputs read as 0 (DAZ). DeepSeek V4 does not:
// its released numerics are checked bit for bit against the reference, subnormal block scales
// included, and its decode is bound by memory, not by assists.
//
// ThreadPool::parallel_for runs its items in its caller's mode on every worker (FloatModeScope),
// so a result never depends on which thread ran which item.
//
// ATELIER_KEEP_DENORMALS=1 in the environment makes FlushDenormalsScope a no-op (A/B runs).
#pragma once

#include <cstdint>

namespace atelier {

// False under ATELIER_KEEP_DENORMALS=1 or where we cannot set the mode (read once per process).
bool denormal_flushing_enabled();

// Whether this thread flushes denormals now (x86: MXCSR FTZ and DAZ; ARM64: FPCR.FZ).
bool thread_flushes_denormals();

// This thread's whole float control word (x86 MXCSR, ARM64 FPCR; 0 elsewhere).
uint64_t thread_float_mode();

// Puts this thread in `mode` (a thread_float_mode() value) for the scope's lifetime, then
// restores what was there (no write when only the sticky exception flags differ).
class FloatModeScope {
public:
    explicit FloatModeScope(uint64_t mode);
    ~FloatModeScope();
    FloatModeScope(const FloatModeScope&) = delete;
    FloatModeScope& operator=(const FloatModeScope&) = delete;

private:
    uint64_t saved_ = 0;
    bool changed_ = false;
};

// Flushes denormals on this thread for the scope's lifetime (unless disabled), then restores.
class FlushDenormalsScope : public FloatModeScope {
public:
    FlushDenormalsScope();
};

}  // namespace atelier
