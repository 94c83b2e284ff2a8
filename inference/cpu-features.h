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
    std::string brand;  // e.g. "AMD EPYC 9R45"
    std::string summary() const;  // "avx2 fma f16c avx512f ... "
};

struct SystemInfo {
    int logical_cores = 0;
    uint64_t total_ram_bytes = 0;
    uint64_t available_ram_bytes = 0;  // MemAvailable
};

const CpuFeatures& cpu_features();
SystemInfo system_info();  // memory figures are read fresh on each call

}  // namespace atelier::infer
