// CPU backend: variant scoring and selection, the scratch arena and parallel_for over the
// session's pool. Selection per call: the forced variant (if any, else ref unless strict), or
// the best-scoring available variant that supports the types.
#include "inference/cpu/cpu-backend.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>

#include "core/thread-pool.h"
#include "inference/cpu-features.h"
#include "inference/cpu/kernels.h"

namespace atelier::infer {

// ---- ScratchArena ----

ScratchArena::~ScratchArena() {
    for (Block& b : blocks_) std::free(b.data);
}

void* ScratchArena::alloc(size_t bytes) {
    bytes = (bytes + 63) / 64 * 64;
    if (!blocks_.empty()) {
        Block& b = blocks_.back();
        if (b.size - b.used >= bytes) {
            void* p = b.data + b.used;
            b.used += bytes;
            return p;
        }
    }
    const size_t last = blocks_.empty() ? 0 : blocks_.back().size;
    const size_t size = std::max<size_t>({bytes, last * 2, size_t{1} << 20});
    char* p = static_cast<char*>(std::aligned_alloc(64, size));
    if (!p) return nullptr;
    blocks_.push_back({p, size, bytes});
    return p;
}

void ScratchArena::reset() {
    if (blocks_.size() > 1) {  // merge into one block of the total size for the next round
        const size_t total = capacity_bytes();
        for (Block& b : blocks_) std::free(b.data);
        blocks_.clear();
        char* p = static_cast<char*>(std::aligned_alloc(64, total));
        if (p) blocks_.push_back({p, total, 0});
        return;
    }
    for (Block& b : blocks_) b.used = 0;
}

size_t ScratchArena::capacity_bytes() const {
    size_t n = 0;
    for (const Block& b : blocks_) n += b.size;
    return n;
}

void parallel_for_impl(const ExecContext& ctx, int64_t n, void (*thunk)(void*, int64_t), void* fn) {
    if (n <= 0) return;
    if (!ctx.pool || ctx.pool->size() == 0 || n == 1) {
        for (int64_t i = 0; i < n; ++i) thunk(fn, i);
        return;
    }
    // Many small items are run in contiguous chunks, at most kPartsPerThread per thread: each
    // item handed out costs an atomic on a line both cores write, which dominated loops over
    // channels or time steps (about a sixth of a 2-thread TTS run). Few items keep one per part.
    constexpr int64_t kPartsPerThread = 16;
    const int64_t max_parts = (static_cast<int64_t>(ctx.pool->size()) + 1) * kPartsPerThread;
    if (n <= max_parts) {
        ctx.pool->parallel_for(static_cast<size_t>(n), [&](size_t i) { thunk(fn, static_cast<int64_t>(i)); });
        return;
    }
    const int64_t chunk = (n + max_parts - 1) / max_parts, parts = (n + chunk - 1) / chunk;
    ctx.pool->parallel_for(static_cast<size_t>(parts), [&](size_t p) {
        const int64_t begin = static_cast<int64_t>(p) * chunk, end = std::min(n, begin + chunk);
        for (int64_t i = begin; i < end; ++i) thunk(fn, i);
    });
}

// ---- variants ----

const char* cpu_variant_name(CpuVariant v) {
    switch (v) {
        case CpuVariant::Ref: return "ref";
        case CpuVariant::Avx2: return "avx2";
        case CpuVariant::Avx512: return "avx512";
        default: return "invalid";
    }
}

std::optional<CpuVariant> cpu_variant_from_name(std::string_view name) {
    for (auto v : {CpuVariant::Ref, CpuVariant::Avx2, CpuVariant::Avx512})
        if (name == cpu_variant_name(v)) return v;
    return std::nullopt;
}

int cpu_variant_score(CpuVariant v) {
    const CpuFeatures& f = cpu_features();
    const bool v3 = f.avx2 && f.fma && f.f16c;
    switch (v) {
        case CpuVariant::Ref: return 1;
        case CpuVariant::Avx2: return v3 ? 20 : 0;
        case CpuVariant::Avx512:
            return v3 && f.avx512f && f.avx512bw && f.avx512dq && f.avx512vl && f.avx512_vnni && f.avx512_bf16 ? 30 : 0;
        default: return 0;
    }
}

// ---- backend ----

CpuBackend::CpuBackend(CpuBackendOptions options) : options_(options) {}

const char* CpuBackend::name() const { return "cpu"; }

CpuVariant CpuBackend::variant_for(Op op, const OpTypes& types) const {
    const cpu::KernelEntry* best = nullptr;
    int best_score = 0;
    for (const cpu::KernelEntry& k : cpu::kernel_table()) {
        if (k.op != op || !k.supports(types)) continue;
        int score = cpu_variant_score(k.variant);
        if (options_.force != CpuVariant::Invalid) {
            if (k.variant == options_.force) score += 1000;
            else if (k.variant != CpuVariant::Ref || options_.strict) continue;
        }
        if (score > best_score) best = &k, best_score = score;
    }
    return best ? best->variant : CpuVariant::Invalid;
}

bool CpuBackend::supports(Op op, const OpTypes& types) const { return variant_for(op, types) != CpuVariant::Invalid; }

Status CpuBackend::run(const OpCall& call, ExecContext& ctx) {
    ATELIER_TRY(validate_call(call));
    const OpTypes types = op_types(call);
    const CpuVariant v = variant_for(call.op, types);
    for (const cpu::KernelEntry& k : cpu::kernel_table())
        if (k.op == call.op && k.variant == v && k.supports(types)) return k.run(call, ctx);
    return make_error(ErrorCode::Unsupported,
                      std::string("cpu backend has no kernel for ") + op_name(call.op) + " on " +
                          dtype_name(types.src0) + "/" + dtype_name(types.src1) + " -> " + dtype_name(types.dst),
                      "convert the tensor to a supported type (f32, bf16, q8_0)");
}

bool cpu_prefers_q4k_r16() {
    auto b = make_cpu_backend({.read_env = true});
    return b.ok() && (*b)->variant_for(Op::MatMul, {DType::Q4_K_R16, DType::F32, DType::F32}) == CpuVariant::Avx512;
}

Result<std::unique_ptr<CpuBackend>> make_cpu_backend(CpuBackendOptions options) {
    if (options.force == CpuVariant::Invalid && options.read_env) {
        if (const char* env = std::getenv("ATELIER_CPU_VARIANT"); env && *env) {
            auto v = cpu_variant_from_name(env);
            if (!v)
                return make_error(ErrorCode::InvalidArgument, std::string("ATELIER_CPU_VARIANT=") + env + " is unknown",
                                  "use ref, avx2 or avx512, or unset it");
            options.force = *v;
        }
    }
    if (options.force != CpuVariant::Invalid && cpu_variant_score(options.force) == 0)
        return make_error(ErrorCode::Unsupported,
                          std::string("CPU variant ") + cpu_variant_name(options.force) + " cannot run on this CPU (" +
                              cpu_features().summary() + ")",
                          "choose a lower variant (ref or avx2)");
    return std::make_unique<CpuBackend>(options);
}

}  // namespace atelier::infer
