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

// How far ahead of the read position (bytes) the matvec kernels software-prefetch a weight
// stream: `packed` for 4-bit weights (Q4_K, Q4_K_R16, MXFP4, FP4), `wide` for Q8_0 and F8.
// Measured per machine (docs/PERFORMANCE.md, engine core): on AMD Zen 5 (machine A) 6 KB was
// best for every type; on an Intel Xeon with AMX (machine B), whose L2 streamer runs ahead on its
// own, 6 KB left 4-bit decode at ~70 % of the read rate: 1 KB (4-bit) and 3 KB (8-bit) were
// best there. ATELIER_PREFETCH_BYTES=N sets both (0: no software prefetch), for tuning.
struct PrefetchDistance {
    int packed = 6144, wide = 6144;
};
const PrefetchDistance& prefetch_distance();
SystemInfo system_info();  // memory figures are read fresh on each call

}  // namespace atelier::infer
