// The CPU backend: every op, in a scalar reference variant (always present, the spec) and in
// AVX2 and AVX-512 variants chosen at run time by cpu_features() with a score. A variant can be
// forced (tests) or chosen with the environment variable ATELIER_CPU_VARIANT=ref|avx2|avx512.
// Thread-safety: immutable after creation; run() from one thread at a time per ExecContext.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "core/result.h"
#include "inference/backend.h"

namespace atelier::infer {

enum class CpuVariant : uint8_t {
    Invalid = 0,
    Ref,     // portable scalar code (the specification)
    Avx2,    // x86-64-v3: AVX2 + FMA + F16C
    Avx512,  // x86-64-v4 + AVX512-VNNI + AVX512-BF16 (Zen 4/5, Sapphire Rapids and later)
    Count
};

const char* cpu_variant_name(CpuVariant v);
std::optional<CpuVariant> cpu_variant_from_name(std::string_view name);
// 0 when this CPU cannot run the variant; otherwise higher is preferred.
int cpu_variant_score(CpuVariant v);
// Whether a default CPU backend (environment read) dispatches Q4_K_R16 matmuls to its AVX-512
// kernels, the ones the layout is for, so repacking Q4_K pays.
bool cpu_prefers_q4k_r16();

struct CpuBackendOptions {
    // Invalid: pick the best available variant per op (or ATELIER_CPU_VARIANT if set).
    // Otherwise use only that variant, falling back to ref for ops it lacks unless strict.
    CpuVariant force = CpuVariant::Invalid;
    bool strict = false;   // supports() is false where the forced variant has no kernel
    bool read_env = true;  // honour ATELIER_CPU_VARIANT when force is Invalid
};

class CpuBackend final : public Backend {
public:
    explicit CpuBackend(CpuBackendOptions options);
    const char* name() const override;
    bool supports(Op op, const OpTypes& types) const override;
    Status run(const OpCall& call, ExecContext& ctx) override;
    // The variant that would run op on types (Invalid when none).
    CpuVariant variant_for(Op op, const OpTypes& types) const;

private:
    CpuBackendOptions options_;
};

// Fails (Unsupported) when the forced variant cannot run on this CPU, or when
// ATELIER_CPU_VARIANT names an unknown or unavailable variant.
Result<std::unique_ptr<CpuBackend>> make_cpu_backend(CpuBackendOptions options);

}  // namespace atelier::infer
