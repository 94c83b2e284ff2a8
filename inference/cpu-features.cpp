// CPU feature detection via cpuid/xgetbv (x86-64), with OS support for AVX/AVX-512 state
// checked through XCR0. Memory from /proc/meminfo.
#include "inference/cpu-features.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define ATELIER_X86 1
#endif

namespace atelier::infer {
namespace {

#ifdef ATELIER_X86
uint64_t xgetbv0() {
    uint32_t eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return (static_cast<uint64_t>(edx) << 32) | eax;
}
#endif

CpuFeatures detect() {
    CpuFeatures f;
#ifdef ATELIER_X86
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
    f.sse42 = c & (1u << 20);
    f.fma = c & (1u << 12);
    f.f16c = c & (1u << 29);
    const bool osxsave = c & (1u << 27);
    const bool avx_hw = c & (1u << 28);
    const uint64_t xcr0 = osxsave ? xgetbv0() : 0;
    const bool os_avx = (xcr0 & 0x6) == 0x6;
    const bool os_avx512 = (xcr0 & 0xE6) == 0xE6;
    f.avx = avx_hw && os_avx;
    if (!f.avx) f.fma = f.f16c = false;
    if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
        f.avx2 = f.avx && (b & (1u << 5));
        f.avx512f = os_avx512 && (b & (1u << 16));
        f.avx512dq = f.avx512f && (b & (1u << 17));
        f.avx512bw = f.avx512f && (b & (1u << 30));
        f.avx512vl = f.avx512f && (b & (1u << 31));
        f.avx512_vnni = f.avx512f && (c & (1u << 11));
        f.avx512_vbmi = f.avx512f && (c & (1u << 1));
        f.amx_tile = d & (1u << 24);
        const bool os_amx = (xcr0 & 0x60000) == 0x60000;  // XTILECFG and XTILEDATA state
        f.amx_bf16 = f.amx_tile && os_amx && (d & (1u << 22));
    }
    if (__get_cpuid_count(7, 1, &a, &b, &c, &d)) {
        f.avx_vnni = f.avx && (a & (1u << 4));
        f.avx512_bf16 = f.avx512f && (a & (1u << 5));
    }
    {
        unsigned v[4] = {};
        __get_cpuid(0, &v[0], &v[1], &v[3], &v[2]);  // vendor string in ebx, edx, ecx
        char vendor[13] = {};
        std::memcpy(vendor, &v[1], 12);
        f.intel = std::strcmp(vendor, "GenuineIntel") == 0;
    }
    unsigned max_ext = __get_cpuid_max(0x80000000, nullptr);
    if (max_ext >= 0x80000004) {
        char brand[49] = {};
        for (unsigned i = 0; i < 3; ++i) {
            unsigned r[4];
            __get_cpuid(0x80000002 + i, &r[0], &r[1], &r[2], &r[3]);
            std::memcpy(brand + 16 * i, r, 16);
        }
        f.brand = brand;
        while (!f.brand.empty() && f.brand.back() == ' ') f.brand.pop_back();
        while (!f.brand.empty() && f.brand.front() == ' ') f.brand.erase(0, 1);
    }
#endif
    return f;
}

}  // namespace

std::string CpuFeatures::summary() const {
    std::string s;
    auto add = [&](bool on, const char* name) {
        if (!on) return;
        if (!s.empty()) s += ' ';
        s += name;
    };
    add(sse42, "sse4.2");
    add(avx, "avx");
    add(avx2, "avx2");
    add(fma, "fma");
    add(f16c, "f16c");
    add(avx512f, "avx512f");
    add(avx512bw, "avx512bw");
    add(avx512dq, "avx512dq");
    add(avx512vl, "avx512vl");
    add(avx512_vnni, "avx512_vnni");
    add(avx512_vbmi, "avx512_vbmi");
    add(avx512_bf16, "avx512_bf16");
    add(avx_vnni, "avx_vnni");
    add(amx_tile, "amx_tile");
    add(amx_bf16, "amx_bf16");
    return s.empty() ? "scalar" : s;
}

namespace {
// ATELIER_CPU_DISABLE: the named features off (tests of fallback kernels).
void apply_disable(CpuFeatures& f, const char* list) {
    const struct {
        const char* name;
        bool CpuFeatures::*flag;
    } names[] = {{"avx512_vnni", &CpuFeatures::avx512_vnni}, {"avx512_vbmi", &CpuFeatures::avx512_vbmi},
                 {"avx512_bf16", &CpuFeatures::avx512_bf16}, {"avx_vnni", &CpuFeatures::avx_vnni},
                 {"amx_tile", &CpuFeatures::amx_tile}, {"amx_bf16", &CpuFeatures::amx_bf16}};
    std::stringstream ss(list);
    std::string item;
    while (std::getline(ss, item, ','))
        for (const auto& n : names)
            if (item == n.name) f.*n.flag = false;
}
}  // namespace

const CpuFeatures& cpu_features() {
    static const CpuFeatures f = [] {
        CpuFeatures d = detect();
        if (const char* env = std::getenv("ATELIER_CPU_DISABLE"); env && *env) apply_disable(d, env);
        return d;
    }();
    return f;
}

bool amx_enabled() {
    static const bool on = [] {
        const CpuFeatures& f = cpu_features();
        if (!f.amx_tile || !f.amx_bf16) return false;
#if defined(__x86_64__) && defined(__linux__) && defined(SYS_arch_prctl)
        constexpr long kReqXcompPerm = 0x1023, kXfeatureTileData = 18;  // <asm/prctl.h>
        return syscall(SYS_arch_prctl, kReqXcompPerm, kXfeatureTileData) == 0;
#else
        return false;
#endif
    }();
    return on;
}

const PrefetchDistance& prefetch_distance() {
    static const PrefetchDistance d = [] {
        PrefetchDistance r;
        if (cpu_features().intel) r.packed = r.wide = 1024, r.packed_far = r.wide_far = 8192;
        if (const char* env = std::getenv("ATELIER_PREFETCH_BYTES"); env && *env) {
            char* end = nullptr;
            const long near = std::strtol(env, &end, 10);
            long far = 0;
            bool ok = end != env && near >= 0 && near <= (1 << 20);
            if (ok && *end == ',') {
                const char* f = end + 1;
                far = std::strtol(f, &end, 10);
                ok = end != f && far >= 0 && far <= (1 << 20);
            }
            if (ok && *end == '\0') {
                r.packed = r.wide = static_cast<int>(near);
                r.packed_far = r.wide_far = static_cast<int>(far);
            }
        }
        return r;
    }();
    return d;
}

SystemInfo system_info() {
    SystemInfo s;
    s.logical_cores = static_cast<int>(std::thread::hardware_concurrency());
    std::ifstream in("/proc/meminfo");
    std::string key;
    uint64_t kb = 0;
    std::string unit;
    while (in >> key >> kb >> unit) {
        if (key == "MemTotal:") s.total_ram_bytes = kb * 1024;
        if (key == "MemAvailable:") s.available_ram_bytes = kb * 1024;
    }
    return s;
}

}  // namespace atelier::infer
