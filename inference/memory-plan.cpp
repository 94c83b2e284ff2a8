// plan_memory: the arithmetic behind the memory verdict. Every figure is an estimate from the
// headers; constants carry the reason they have the value they have.
#include "inference/memory-plan.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace atelier::infer {
namespace {

// RAM left for the OS, the app and other programs: 10% of total, at least 1 GiB. Below this the
// machine starts swapping or the OOM killer steps in.
uint64_t headroom_bytes(uint64_t total) { return std::max<uint64_t>(total / 10, 1ull << 30); }

// When experts stream, at least this share of them should fit in the page cache, or every token
// waits on the disk for nearly all its experts (a guess at "usable", not a measurement).
constexpr double kMinExpertCacheShare = 0.05;

std::string gb(uint64_t bytes) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f GB", static_cast<double>(bytes) / 1e9);
    return buf;
}

uint64_t sat_mul(uint64_t a, uint64_t b) {
    uint64_t r = 0;
    return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}
uint64_t sat_add(uint64_t a, uint64_t b) {
    uint64_t r = 0;
    return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}
uint64_t pos(int64_t v) { return v > 0 ? static_cast<uint64_t>(v) : 0; }

// Generic cache per token when the architecture gives none: f16 K and V for every layer and KV
// head; for MLA (kv_lora_rank set) the compressed latent plus the rope part, as DeepSeek caches.
uint64_t generic_cache_per_token(const ModelSummary& m) {
    const uint64_t layers = pos(m.n_layer);
    if (m.kv_lora_rank > 0) return sat_mul(layers, sat_mul(pos(m.kv_lora_rank) + pos(m.n_rot), 2));
    const uint64_t heads = pos(m.n_head_kv > 0 ? m.n_head_kv : m.n_head);
    const uint64_t head_dim = m.n_head > 0 ? pos(m.n_embd / m.n_head) : 0;
    const uint64_t k = m.n_embd_head_k > 0 ? pos(m.n_embd_head_k) : head_dim;
    const uint64_t v = m.n_embd_head_v > 0 ? pos(m.n_embd_head_v) : k;
    return sat_mul(sat_mul(layers, heads), sat_mul(k + v, 2));
}

// Activations of one prefill chunk (~16 rows of n_embd floats live per token), attention scores
// for one chunk against the context per thread, logits, and a fixed 64 MiB for the runtime.
uint64_t scratch_estimate(const ModelSummary& m, const PlanRequest& r, int threads) {
    const uint64_t batch = pos(std::max<int64_t>(r.n_batch, 1));
    uint64_t s = 64ull << 20;
    s = sat_add(s, sat_mul(batch, sat_mul(pos(m.n_embd), 16 * 4)));
    s = sat_add(s, sat_mul(sat_mul(batch, pos(r.n_ctx)), sat_mul(4, pos(threads))));
    s = sat_add(s, sat_mul(pos(m.n_vocab), 4));
    return s;
}

void explain_does_not_fit(MemoryPlan& p, const ModelSummary& m, uint64_t resident_floor) {
    p.sentence = "Does not fit: the model needs " + gb(p.needed_bytes) + " (" + gb(p.weight_bytes) + " weights, " +
                 gb(p.cache_bytes) + " cache at " + std::to_string(p.n_ctx) + " tokens, " + gb(p.scratch_bytes) +
                 " scratch) but about " + gb(p.budget_bytes) + " of memory can be used.";
    if (p.cache_bytes > 0 && p.cache_bytes_per_token > 0 && resident_floor - p.cache_bytes < p.budget_bytes) {
        const uint64_t room = p.budget_bytes - (resident_floor - p.cache_bytes);
        const uint64_t ctx = (room - std::min(room, p.cache_bytes_fixed)) / p.cache_bytes_per_token / 1024 * 1024;
        if (ctx >= 1024 && static_cast<int64_t>(ctx) < p.n_ctx)
            p.suggestions.push_back("use a smaller context: about " + std::to_string(ctx) + " tokens would fit");
    }
    p.suggestions.push_back("use a smaller quantisation of this model (it must save about " +
                            gb(resident_floor - std::min(resident_floor, p.budget_bytes)) + ")");
    if (p.budget_bytes + headroom_bytes(p.total_ram_bytes) < p.total_ram_bytes)
        p.suggestions.push_back("close other programs: they hold " +
                                gb(p.total_ram_bytes - p.budget_bytes - headroom_bytes(p.total_ram_bytes)) + " of memory");
    (void)m;
}

void explain_streaming(MemoryPlan& p, const ModelSummary& m, const PlanRequest& r, uint64_t resident_floor) {
    const uint64_t cached = p.budget_bytes - resident_floor;  // page cache left for experts
    const double share = p.streamable_weight_bytes ? std::min(1.0, static_cast<double>(cached) /
                                                                       static_cast<double>(p.streamable_weight_bytes))
                                                   : 1.0;
    p.sentence = "Fits with experts streamed from disk: " + gb(p.resident_weight_bytes) + " of weights, " +
                 gb(p.cache_bytes) + " of cache and " + gb(p.scratch_bytes) + " of scratch stay in memory; " +
                 gb(p.streamable_weight_bytes) + " of routed experts stay on disk and about " +
                 std::to_string(static_cast<int>(share * 100)) + "% of them fit in the page cache.";
    const uint64_t bw = r.disk_bytes_per_s ? r.disk_bytes_per_s : kAssumedDiskBytesPerSecond;
    const std::string rate = std::to_string(bw / 100'000'000 / 10.0).substr(0, 3) + " GB/s";
    if (m.n_expert > 0 && m.n_expert_used > 0) {
        // Per token every layer reads n_expert_used of n_expert experts; uniform routing assumed,
        // so a share `share` of those reads hit the page cache.
        const double per_token = static_cast<double>(p.streamable_weight_bytes) * static_cast<double>(m.n_expert_used) /
                                 static_cast<double>(m.n_expert) * (1.0 - share);
        if (per_token > 0) {
            p.est_tokens_per_s = static_cast<double>(bw) / per_token;
            char buf[200];
            std::snprintf(buf, sizeof buf, "expect roughly %.1f tok/s from disk at %s (%s disk rate)", p.est_tokens_per_s,
                          rate.c_str(), r.disk_bytes_per_s ? "measured" : "assumed");
            p.speed_note = buf;
        }
    }
    if (p.speed_note.empty())
        p.speed_note = "speed depends on the disk (" + rate + (r.disk_bytes_per_s ? " measured" : " assumed") +
                       "): the model does not say how many experts each token uses";
    p.suggestions.push_back("more free memory or a smaller quantisation keeps more experts in memory and runs faster");
}

}  // namespace

bool is_routed_expert_tensor(std::string_view name) {
    if (name.find("_exps") != std::string_view::npos) return true;       // GGUF ffn_{up,gate,down}_exps
    if (name.find("shared_expert") != std::string_view::npos) return false;  // HF shared experts stay resident
    return name.find(".experts.") != std::string_view::npos;             // HF mlp.experts.N.*
}

const char* plan_verdict_name(PlanVerdict v) {
    switch (v) {
        case PlanVerdict::Fits: return "fits";
        case PlanVerdict::FitsStreamingExperts: return "fits_streaming_experts";
        case PlanVerdict::DoesNotFit: return "does_not_fit";
        default: return "invalid";
    }
}

MemoryPlan plan_memory(const ModelSummary& m, const PlanRequest& r, const SystemInfo& sys) {
    MemoryPlan p;
    p.n_ctx = std::max<int64_t>(r.n_ctx, 0);
    p.weight_bytes = m.weight_bytes;
    p.streamable_weight_bytes = std::min(m.expert_bytes, m.weight_bytes);
    p.resident_weight_bytes = m.weight_bytes - p.streamable_weight_bytes;
    p.cache_estimated = r.cache_bytes_per_token == 0;
    p.cache_bytes_per_token = p.cache_estimated ? generic_cache_per_token(m) : r.cache_bytes_per_token;
    p.cache_bytes_fixed = p.cache_estimated ? 0 : r.cache_bytes_fixed;
    p.cache_bytes = sat_add(sat_mul(p.cache_bytes_per_token, pos(p.n_ctx)), p.cache_bytes_fixed);
    const int threads = r.n_threads > 0 ? r.n_threads : std::max(sys.logical_cores, 1);
    p.scratch_bytes = scratch_estimate(m, r, threads);
    p.needed_bytes = sat_add(sat_add(p.weight_bytes, p.cache_bytes), p.scratch_bytes);
    p.total_ram_bytes = sys.total_ram_bytes;
    const uint64_t avail = sys.available_ram_bytes ? sys.available_ram_bytes : sys.total_ram_bytes;
    const uint64_t headroom = headroom_bytes(sys.total_ram_bytes);
    p.budget_bytes = avail > headroom ? avail - headroom : 0;

    const uint64_t resident_floor = sat_add(sat_add(p.resident_weight_bytes, p.cache_bytes), p.scratch_bytes);
    const uint64_t min_expert_cache =
        static_cast<uint64_t>(static_cast<double>(p.streamable_weight_bytes) * kMinExpertCacheShare);
    if (p.needed_bytes <= p.budget_bytes) {
        p.verdict = PlanVerdict::Fits;
        p.sentence = "Fits: the model needs " + gb(p.needed_bytes) + " (" + gb(p.weight_bytes) + " weights, " +
                     gb(p.cache_bytes) + " cache at " + std::to_string(p.n_ctx) + " tokens, " + gb(p.scratch_bytes) +
                     " scratch) and about " + gb(p.budget_bytes) + " of memory can be used.";
    } else if (p.streamable_weight_bytes > 0 && sat_add(resident_floor, min_expert_cache) <= p.budget_bytes) {
        p.verdict = PlanVerdict::FitsStreamingExperts;
        explain_streaming(p, m, r, resident_floor);
    } else {
        p.verdict = PlanVerdict::DoesNotFit;
        explain_does_not_fit(p, m, resident_floor);
    }
    return p;
}

}  // namespace atelier::infer
