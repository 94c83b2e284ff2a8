// Op test harness: guarded tensors, fills, the compare step and the summary table.
#include "op-harness.h"

#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <mutex>

#include "core/thread-pool.h"
#include "inference/quant-blocks.h"
#include "inference/quant.h"

namespace atelier::infer::optest {
namespace {

constexpr size_t kGuard = 64;
constexpr uint8_t kSentinel = 0xFF;  // as f32: NaN, so an unwritten output element fails loudly

// Byte offset of each block's fp16 scale field(s) for the types filled with random bytes.
std::vector<size_t> scale_offsets(DType t) {
    switch (t) {
        case DType::Q2_K: return {offsetof(BlockQ2_K, d), offsetof(BlockQ2_K, dmin)};
        case DType::Q3_K: return {offsetof(BlockQ3_K, d)};
        case DType::Q5_K: return {offsetof(BlockQ5_K, d), offsetof(BlockQ5_K, dmin)};
        case DType::Q6_K: return {offsetof(BlockQ6_K, d)};
        case DType::IQ2_XXS: return {offsetof(BlockIQ2_XXS, d)};
        case DType::IQ3_XXS: return {offsetof(BlockIQ3_XXS, d)};
        default: return {};
    }
}

void fill_row(DType type, const float* vals, int64_t n, uint8_t* dst, std::mt19937_64& rng) {
    if (can_quantize(type)) {
        (void)quantize_row(type, vals, dst, n);
        return;
    }
    const DTypeTraits& tr = dtype_traits(type);
    const int64_t bytes = n / tr.block_elems * tr.block_bytes;
    for (int64_t i = 0; i < bytes; ++i) dst[i] = static_cast<uint8_t>(rng());
    for (int64_t b = 0; b < n / tr.block_elems; ++b)
        for (size_t off : scale_offsets(type)) {
            const uint16_t h = static_cast<uint16_t>(0x2000 + rng() % 0x0800);  // ~0.008 .. 0.03, positive
            std::memcpy(dst + b * tr.block_bytes + off, &h, 2);
        }
}

std::mutex g_summary_mutex;
std::vector<std::string> g_summary;

}  // namespace

GuardedTensor& CaseEnv::alloc(DType type, std::initializer_list<int64_t> shape, Layout layout, bool output) {
    auto g = std::make_unique<GuardedTensor>();
    Tensor& t = g->t;
    t.type = type;
    t.n_dims = static_cast<int>(shape.size());
    size_t d = 0;
    for (int64_t n : shape) t.ne[d++] = n;
    const int64_t row_bytes = dtype_row_bytes(type, t.ne[0]).value();
    t.nb[0] = dtype_traits(type).block_bytes;
    t.nb[1] = row_bytes + layout.row_pad_bytes;
    if (!layout.permute_batch) {
        t.nb[2] = t.nb[1] * t.ne[1];
        t.nb[3] = t.nb[2] * t.ne[2];
    } else {
        t.nb[3] = t.nb[1] * t.ne[1];
        t.nb[2] = t.nb[3] * t.ne[3];
    }
    const size_t payload = static_cast<size_t>(t.nb[1] * t.ne[1] * t.ne[2] * t.ne[3]);
    g->bytes.assign(payload + 2 * kGuard, kSentinel);
    g->covered.assign(g->bytes.size(), 0);
    t.data = g->bytes.data() + kGuard;
    for (int64_t r = 0; r < t.n_rows(); ++r) {
        const int64_t i1 = r % t.ne[1], i2 = (r / t.ne[1]) % t.ne[2], i3 = r / (t.ne[1] * t.ne[2]);
        const size_t off = kGuard + static_cast<size_t>(i1 * t.nb[1] + i2 * t.nb[2] + i3 * t.nb[3]);
        std::memset(g->covered.data() + off, 1, static_cast<size_t>(row_bytes));
    }
    g->is_output = output;
    tensors.push_back(std::move(g));
    return *tensors.back();
}

Tensor* CaseEnv::input(DType type, std::initializer_list<int64_t> shape, Layout layout,
                       std::function<float(std::mt19937_64&)> gen) {
    if (type == DType::Q4_K_R16) {  // a Q4_K tensor's rows regrouped (contiguous, N % 16 == 0)
        const Tensor& src = *input(DType::Q4_K, shape, {}, std::move(gen));
        GuardedTensor& g = alloc(type, shape, {}, false);
        for (int64_t n = 0; n < src.ne[1]; n += 16)
            if (!repack_q4k_r16(static_cast<const char*>(src.data) + n * src.nb[1], src.nb[1], src.ne[0],
                                static_cast<char*>(g.t.data) + n * g.t.nb[1]).ok())
                std::abort();
        return &g.t;
    }
    GuardedTensor& g = alloc(type, shape, layout, false);
    Tensor& t = g.t;
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> vals(static_cast<size_t>(t.ne[0]));
    for (int64_t r = 0; r < t.n_rows(); ++r) {
        for (float& v : vals) v = gen ? gen(rng) : normal(rng);
        const int64_t i1 = r % t.ne[1], i2 = (r / t.ne[1]) % t.ne[2], i3 = r / (t.ne[1] * t.ne[2]);
        fill_row(type, vals.data(), t.ne[0], static_cast<uint8_t*>(t.data) + i1 * t.nb[1] + i2 * t.nb[2] + i3 * t.nb[3], rng);
    }
    return &t;
}

Tensor* CaseEnv::ids(std::initializer_list<int64_t> shape, int32_t lo, int32_t hi, Layout layout) {
    GuardedTensor& g = alloc(DType::I32, shape, layout, false);
    std::uniform_int_distribution<int32_t> dist(lo, hi);
    auto* p = static_cast<int32_t*>(g.t.data);
    for (int64_t i = 0; i < g.t.n_elements(); ++i) p[i] = dist(rng);
    return &g.t;
}

Tensor* CaseEnv::e8m0(std::initializer_list<int64_t> shape, uint8_t lo, uint8_t hi) {
    GuardedTensor& g = alloc(DType::F8_E8M0, shape, {}, false);
    std::uniform_int_distribution<int> dist(lo, hi);
    auto* p = static_cast<uint8_t*>(g.t.data);
    for (int64_t i = 0; i < g.t.n_elements(); ++i) p[i] = static_cast<uint8_t>(dist(rng));
    return &g.t;
}

Tensor* CaseEnv::output(DType type, std::initializer_list<int64_t> shape, Layout layout) {
    return &alloc(type, shape, layout, true).t;
}

Tensor* CaseEnv::inout(std::initializer_list<int64_t> shape, Layout layout) {
    Tensor* t = input(DType::F32, shape, layout);
    GuardedTensor& g = *tensors.back();
    g.is_output = true;
    return t;
}

namespace {

// Logical values of an output as doubles (f32 or i32), in row order.
std::vector<double> values(const Tensor& t) {
    std::vector<double> out;
    out.reserve(static_cast<size_t>(t.n_elements()));
    for (int64_t r = 0; r < t.n_rows(); ++r) {
        const int64_t i1 = r % t.ne[1], i2 = (r / t.ne[1]) % t.ne[2], i3 = r / (t.ne[1] * t.ne[2]);
        const char* p = static_cast<const char*>(t.data) + i1 * t.nb[1] + i2 * t.nb[2] + i3 * t.nb[3];
        for (int64_t i = 0; i < t.ne[0]; ++i)
            out.push_back(t.type == DType::I32 ? reinterpret_cast<const int32_t*>(p)[i] : reinterpret_cast<const float*>(p)[i]);
    }
    return out;
}

struct RunResult {
    Status status;
    std::vector<std::vector<double>> outputs;
    std::string guard_error;
};

RunResult execute(const OpCase& c, const Runner& run) {
    CaseEnv env(0xA7E11E5ull);
    c.build(env);
    ThreadPool pool(1);  // two threads in all: exercises the split even on one core
    ScratchArena scratch;
    ExecContext ctx{&pool, &scratch, 2};
    RunResult rr;
    rr.status = run(env.call, ctx);
    for (const auto& g : env.tensors) {
        if (!g->is_output) continue;
        for (size_t i = 0; i < g->bytes.size(); ++i)
            if (!g->covered[i] && g->bytes[i] != kSentinel && rr.guard_error.empty())
                rr.guard_error = "byte " + std::to_string(static_cast<int64_t>(i) - static_cast<int64_t>(kGuard)) +
                                 " outside the output's elements was written (guard/padding)";
        rr.outputs.push_back(values(g->t));
    }
    return rr;
}

}  // namespace

Outcome run_case(const OpCase& c, const Runner& run, bool supported) {
    if (!supported) return {Outcome::Kind::Unsupported, "UNSUPPORTED", 0};
    auto ref_backend = make_cpu_backend({.force = CpuVariant::Ref, .strict = true, .read_env = false});
    if (!ref_backend) return {Outcome::Kind::Fail, "no reference backend", 0};
    Backend& ref = **ref_backend;
    const RunResult want = execute(c, [&](const OpCall& call, ExecContext& ctx) { return ref.run(call, ctx); });
    if (!want.status) return {Outcome::Kind::Fail, "reference failed: " + want.status.error().message(), 0};
    if (!want.guard_error.empty()) return {Outcome::Kind::Fail, "reference: " + want.guard_error, 0};
    const RunResult got = execute(c, run);
    if (!got.status) return {Outcome::Kind::Fail, "run failed: " + got.status.error().message(), 0};
    if (!got.guard_error.empty()) return {Outcome::Kind::Fail, got.guard_error, 0};
    double err = 0, norm = 0;
    for (size_t o = 0; o < want.outputs.size(); ++o) {
        const auto& w = want.outputs[o];
        const auto& g = got.outputs[o];
        for (size_t i = 0; i < w.size(); ++i) {
            if (std::isnan(w[i])) return {Outcome::Kind::Fail, "reference produced NaN at " + std::to_string(i), 0};
            if (std::isnan(g[i])) return {Outcome::Kind::Fail, "NaN at output " + std::to_string(o) + " element " + std::to_string(i), 0};
            if (std::isinf(w[i]) || std::isinf(g[i])) {
                if (w[i] != g[i]) return {Outcome::Kind::Fail, "inf mismatch at element " + std::to_string(i), 0};
                continue;
            }
            err += (g[i] - w[i]) * (g[i] - w[i]);
            norm += w[i] * w[i];
        }
    }
    const double nmse = norm > 0 ? err / norm : err;
    if (nmse > c.max_nmse) {
        char buf[160];
        std::snprintf(buf, sizeof buf, "NMSE %.3g exceeds the budget %.3g", nmse, c.max_nmse);
        return {Outcome::Kind::Fail, buf, nmse};
    }
    return {Outcome::Kind::Pass, "", nmse};
}

Outcome run_case_on_variant(const OpCase& c, CpuVariant v) {
    if (cpu_variant_score(v) == 0)
        return {Outcome::Kind::Unsupported, std::string("UNSUPPORTED: this CPU cannot run ") + cpu_variant_name(v), 0};
    auto backend = make_cpu_backend({.force = v, .strict = true, .read_env = false});
    if (!backend) return {Outcome::Kind::Fail, backend.error().message(), 0};
    Backend& b = **backend;
    CaseEnv probe(0xA7E11E5ull);
    c.build(probe);
    const bool supported = b.supports(probe.call.op, op_types(probe.call));
    return run_case(c, [&](const OpCall& call, ExecContext& ctx) { return b.run(call, ctx); }, supported);
}

void record(const OpCase& c, CpuVariant v, const Outcome& o) {
    const char* kind = o.kind == Outcome::Kind::Pass ? "PASS" : o.kind == Outcome::Kind::Fail ? "FAIL" : "UNSUPPORTED";
    char buf[512];
    std::snprintf(buf, sizeof buf, "| %-48s | %-7s | %-11s | %10.3g | %8.1g | %s |", c.name.c_str(), cpu_variant_name(v), kind,
                  o.nmse, c.max_nmse, o.detail.c_str());
    std::lock_guard lock(g_summary_mutex);
    g_summary.emplace_back(buf);
}

void print_summary() {
    std::lock_guard lock(g_summary_mutex);
    if (g_summary.empty()) return;
    std::printf("\n| case | variant | result | NMSE | budget | detail |\n|---|---|---|---|---|---|\n");
    for (const auto& line : g_summary) std::printf("%s\n", line.c_str());
}

}  // namespace atelier::infer::optest
