// What this machine offers the engine: CPU SIMD features (detected at run time with cpuid,
// never assumed from build flags), core count and memory. Used by kernel dispatch, the memory
// plan and the Settings dialog. Thread-safety: pure; results are cached after the first call.
// ATELIER_CPU_DISABLE=name,name... (names as summary() prints them) turns features off, so the
// fallback kernels of a feature this CPU has can be tested here (tests/ops).
#pragma once

#include <cstdint>
#include <string>

namespace atelier::infer {

struct CpuFeatures {
    bool sse42 = false, avx = false, avx2 = false, fma = false, f16c = false;
    bool avx512f = false, avx512bw = false, avx512dq = false, avx512vl = false;
    bool avx512_vnni = false, avx512_bf16 = false, avx512_vbmi = false, avx_vnni = false, amx_tile = false;
    // AMX with bf16 tile products, the CPU and the OS (XCR0 tile state) both offering it; usable only
    // once amx_enabled() has asked Linux for the tile data permission.
    bool amx_bf16 = false;
    bool intel = false;  // vendor GenuineIntel (prefetch_distance())
    std::string brand;  // e.g. "AMD EPYC 9R45"
    std::string summary() const;  // "avx2 fma f16c avx512f ... "
};

struct SystemInfo {
    int logical_cores = 0;
    uint64_t total_ram_bytes = 0;
    uint64_t available_ram_bytes = 0;  // MemAvailable
};

const CpuFeatures& cpu_features();

// AMX tiles usable by this process: cpu_features().amx_bf16 and, on Linux, the kernel granted the
// tile data state (arch_prctl ARCH_REQ_XCOMP_PERM, asked once, for every thread of the process).
// False elsewhere, and where ATELIER_CPU_DISABLE names amx_bf16.
bool amx_enabled();

// How far ahead of the read position (bytes) the matvec kernels software-prefetch a weight
// stream: `packed` for 4-bit weights (Q4_K, Q4_K_R16, MXFP4, FP4), `wide` for Q8_0 and F8, into
// L1 (prefetcht0); the *_far distances, where not 0, add a prefetch into L2 (prefetcht2) further
// ahead. Measured per machine (docs/PERFORMANCE.md, DeepSeek V4 section): on AMD Zen 5 (machine
// A) 6 KB into L1 was best for every type and an extra L2 prefetch gained nothing; on an Intel
// Xeon with AMX (machine B), 6 KB left Q4_K decode at ~70 % of the read rate, 1 KB raised it to
// ~80 % and 1 KB plus 8 KB into L2 to ~87 % (Q8_0 decode: 80-82 % with 3 KB + 8 KB, 84-87 % with
// 1 KB + 8 KB). ATELIER_PREFETCH_BYTES=N[,FAR] sets both types (0,0: no software prefetch), for
// tuning on other machines.
struct PrefetchDistance {
    int packed = 6144, wide = 6144;
    int packed_far = 0, wide_far = 0;
};
const PrefetchDistance& prefetch_distance();

// Software prefetch of a weight stream: covers the lines of the next `bytes` read, `ahead` bytes
// ahead into L1 and, where `far` > 0, also `far` bytes ahead into L2 (rows are contiguous, so it
// runs on into the following rows); 0 turns either off. Prefetches never fault, so reading past
// a tensor's end is harmless. An asm statement, not _mm_prefetch: GCC 12 at -O2 left the builtin
// out of kernels inlined into their caller (disassembly: the run_items loop held 3 prefetches, 8
// with asm; the FP4 loops had lost theirs, and so had the Q4_K row loop once inlined).
inline void prefetch_ahead(const void* p, int bytes, int ahead, int far) {
#if defined(__x86_64__) || defined(__i386__)
    if (ahead > 0) {
        const char* q = static_cast<const char*>(p) + ahead;
        for (int l = 0; l < bytes; l += 64) __asm__ volatile("prefetcht0 %0" : : "m"(q[l]));
    }
    if (far > 0) {
        const char* q = static_cast<const char*>(p) + far;
        for (int l = 0; l < bytes; l += 64) __asm__ volatile("prefetcht2 %0" : : "m"(q[l]));
    }
#else
    (void)p, (void)bytes, (void)ahead, (void)far;
#endif
}
SystemInfo system_info();  // memory figures are read fresh on each call

}  // namespace atelier::infer
