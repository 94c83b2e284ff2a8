// `model info FILE|DIR`: architecture, parameter count, type mix, tensor count and the memory
// plan for a context, from the file headers (tensor data is mapped, never read). --tensors lists
// every tensor; --json prints the same as one JSON object. Main thread only.
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>

#include "cli/args.h"
#include "cli/commands.h"
#include "inference/cpu-features.h"
#include "inference/lm.h"
#include "inference/model.h"

namespace atelier::cli {
using nlohmann::json;
namespace infer = atelier::infer;

namespace {

constexpr const char* kInfoUsage =
    "usage: atelier-cli model info FILE|DIR [--ctx N] [--tensors] [--json]\n"
    "  Describes a model (a .gguf file, a .safetensors file, or a folder of safetensors shards):\n"
    "  architecture, parameter count, bytes per type, tensor count, and whether it fits in this\n"
    "  machine's memory at a context of N tokens (default 4096). --tensors lists every tensor.\n";

std::string count_text(int64_t n) {
    char buf[32];
    if (n >= 1'000'000'000) std::snprintf(buf, sizeof buf, "%.2fB", static_cast<double>(n) / 1e9);
    else if (n >= 1'000'000) std::snprintf(buf, sizeof buf, "%.2fM", static_cast<double>(n) / 1e6);
    else std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(n));
    return buf;
}

json plan_json(const infer::MemoryPlan& p) {
    return json{{"verdict", infer::plan_verdict_name(p.verdict)},
                {"sentence", p.sentence},
                {"n_ctx", p.n_ctx},
                {"weight_bytes", p.weight_bytes},
                {"resident_weight_bytes", p.resident_weight_bytes},
                {"streamable_weight_bytes", p.streamable_weight_bytes},
                {"cache_bytes_per_token", p.cache_bytes_per_token},
                {"cache_estimated", p.cache_estimated},
                {"cache_bytes_fixed", p.cache_bytes_fixed},
                {"cache_bytes", p.cache_bytes},
                {"scratch_bytes", p.scratch_bytes},
                {"needed_bytes", p.needed_bytes},
                {"budget_bytes", p.budget_bytes},
                {"total_ram_bytes", p.total_ram_bytes},
                {"suggestions", p.suggestions},
                {"speed_note", p.speed_note},
                {"est_tokens_per_s", p.est_tokens_per_s}};
}

json tensor_json(const infer::Tensor& t) {
    json shape = json::array();
    for (int d = 0; d < t.n_dims; ++d) shape.push_back(t.ne[static_cast<size_t>(d)]);
    return json{{"name", t.name}, {"type", infer::dtype_name(t.type)}, {"shape", shape}, {"bytes", t.n_bytes()}};
}

// The architecture's own figures (load_causal_lm binds the tensors without reading their data).
struct LmFigures {
    std::optional<infer::LmInfo> info;
    std::string error;  // the model claims a supported architecture but does not load as one
};

LmFigures lm_figures(const std::shared_ptr<const infer::Model>& model) {
    auto lm = infer::load_causal_lm(model);
    if (lm.ok()) return {(*lm)->info(), {}};
    if (lm.error().code == ErrorCode::ModelUnsupported) return {};
    return {std::nullopt, lm.error().message()};
}

json lm_json(const infer::LmInfo& i) {
    return json{{"architecture", i.architecture},
                {"vocab_size", i.vocab_size},
                {"n_layers", i.n_layers},
                {"max_context", i.max_context},
                {"cache_bytes_per_token", i.cache_bytes_per_token},
                {"cache_bytes_fixed", i.cache_bytes_fixed},
                {"active_weight_bytes_per_token", i.active_weight_bytes_per_token}};
}

void print_lm(const LmFigures& f) {
    if (!f.error.empty()) std::printf("  warning: the model does not load for generation: %s\n", f.error.c_str());
    if (!f.info) return;
    std::printf("  cache:        %llu B per token + %s per sequence (%s's own figures)\n"
                "  per token:    %s of weights read (active experts only)\n",
                static_cast<unsigned long long>(f.info->cache_bytes_per_token),
                human_size(static_cast<int64_t>(f.info->cache_bytes_fixed)).c_str(), f.info->architecture.c_str(),
                human_size(static_cast<int64_t>(f.info->active_weight_bytes_per_token)).c_str());
}

void print_human(const std::string& path, const infer::Model& m, const infer::MemoryPlan& plan, const LmFigures& lm,
                 bool list_tensors) {
    std::printf("Model %s (%zu file%s)\n  format:       %s\n  architecture: %s\n  parameters:   %s (%lld)\n  tensors:      %zu\n"
                "  size:         %s\n  types:\n",
                path.c_str(), m.files().size(), m.files().size() == 1 ? "" : "s", infer::model_format_name(m.format()),
                m.architecture().empty() ? "(not stated)" : m.architecture().c_str(), count_text(m.parameter_count()).c_str(),
                static_cast<long long>(m.parameter_count()), m.tensors().size(),
                human_size(static_cast<int64_t>(m.total_bytes())).c_str());
    for (const auto& [type, bytes] : m.bytes_by_type())
        std::printf("    %-9s %10s  %5.1f%%\n", infer::dtype_name(type), human_size(static_cast<int64_t>(bytes)).c_str(),
                    m.total_bytes() ? 100.0 * static_cast<double>(bytes) / static_cast<double>(m.total_bytes()) : 0.0);
    std::printf("Memory at %lld tokens of context:\n  %s\n", static_cast<long long>(plan.n_ctx), plan.sentence.c_str());
    if (!plan.speed_note.empty()) std::printf("  %s\n", plan.speed_note.c_str());
    for (const auto& s : plan.suggestions) std::printf("  - %s\n", s.c_str());
    if (plan.cache_estimated) std::printf("  (cache size is a generic estimate from the model's attention shape)\n");
    print_lm(lm);
    if (!list_tensors) return;
    std::printf("%-48s  %-8s  %-24s  %10s\n", "TENSOR", "TYPE", "SHAPE", "BYTES");
    for (const auto& t : m.tensors())
        std::printf("%-48s  %-8s  %-24s  %10lld\n", t.name.c_str(), infer::dtype_name(t.type), t.shape_string().c_str(),
                    static_cast<long long>(t.n_bytes()));
}

}  // namespace

int cmd_model_info(const Argv& argv) {
    Args args;
    Cli cli;
    int rc = 0;
    if (!parse_command(argv, {.flags = {"--tensors"}, .options = {"--ctx"}, .min_positional = 1, .max_positional = 1},
                       "model info", kInfoUsage, args, cli, &rc))
        return rc;
    infer::PlanRequest req;
    const std::string ctx = args.option("--ctx", "4096");
    char* end = nullptr;
    const long long n_ctx = std::strtoll(ctx.c_str(), &end, 10);
    if (ctx.empty() || *end != '\0' || n_ctx <= 0 || n_ctx > (1ll << 32))
        return report_error(cli, make_error(ErrorCode::InvalidArgument, "--ctx " + ctx + " is not a token count",
                                            "give a positive number, e.g. --ctx 8192"),
                            kExitUsage);
    req.n_ctx = n_ctx;
    auto model = infer::load_model(args.positional[0]);
    if (!model.ok()) return report_error(cli, model.error());
    const infer::Model& m = **model;
    const LmFigures lm = lm_figures(*model);
    if (lm.info) {
        req.cache_bytes_per_token = lm.info->cache_bytes_per_token;
        req.cache_bytes_fixed = lm.info->cache_bytes_fixed;
    }
    const infer::MemoryPlan plan = infer::plan_memory(m.summary(), req, infer::system_info());
    if (!cli.json) {
        print_human(args.positional[0], m, plan, lm, args.has("--tensors"));
        return kExitOk;
    }
    json types = json::object();
    for (const auto& [type, bytes] : m.bytes_by_type()) types[infer::dtype_name(type)] = bytes;
    json files = json::array();
    for (const auto& f : m.files()) files.push_back(f.string());
    json out{{"format", infer::model_format_name(m.format())},
             {"architecture", m.architecture()},
             {"files", files},
             {"parameter_count", m.parameter_count()},
             {"tensor_count", m.tensors().size()},
             {"total_bytes", m.total_bytes()},
             {"type_bytes", types},
             {"memory_plan", plan_json(plan)}};
    if (lm.info) out["lm"] = lm_json(*lm.info);
    if (!lm.error.empty()) out["lm_error"] = lm.error;
    if (args.has("--tensors")) {
        json list = json::array();
        for (const auto& t : m.tensors()) list.push_back(tensor_json(t));
        out["tensors"] = list;
    }
    print_json(json{{"model", out}});
    return kExitOk;
}

}  // namespace atelier::cli
