// Flags, model loading, Ctrl+C and timings for `generate` and `chat` (lm-common.h).
#include "cli/lm-common.h"

#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "cli/job-runner.h"
#include "inference/chat/model-tokenizer.h"
#include "inference/cpu-features.h"
#include "inference/memory-plan.h"

namespace atelier::cli {
using nlohmann::json;

const std::set<std::string> kLmOptions{"--model", "--system", "--max-tokens", "--temperature", "--top-p",
                                       "--top-k", "--min-p", "--repeat-penalty", "--presence-penalty",
                                       "--frequency-penalty", "--seed", "--threads", "--ctx", "--numerics",
                                       "--weights"};

namespace {

Error bad_value(const std::string& flag, const std::string& value, const std::string& want) {
    return make_error(ErrorCode::InvalidArgument, flag + " " + value + " is not " + want,
                      "give " + flag + " " + want + ", or leave it out for the default");
}

// Parses the whole text as a number in [lo, hi]; false when absent (out untouched).
Result<bool> number_flag(const Args& args, const std::string& flag, double lo, double hi, const std::string& want,
                         double& out) {
    if (!args.options.count(flag)) return false;
    const std::string v = args.option(flag);
    char* end = nullptr;
    const double x = std::strtod(v.c_str(), &end);
    if (v.empty() || *end != '\0' || !std::isfinite(x) || x < lo || x > hi) return bad_value(flag, v, want);
    out = x;
    return true;
}

Result<bool> integer_flag(const Args& args, const std::string& flag, int64_t lo, int64_t hi, const std::string& want,
                          int64_t& out) {
    if (!args.options.count(flag)) return false;
    const std::string v = args.option(flag);
    char* end = nullptr;
    errno = 0;
    const long long x = std::strtoll(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0' || errno != 0 || x < lo || x > hi) return bad_value(flag, v, want);
    out = x;
    return true;
}

}  // namespace

Result<LmFlags> parse_lm_flags(const Args& args, int32_t default_max_tokens) {
    LmFlags f;
    f.model_path = args.option("--model");
    if (f.model_path.empty())
        return make_error(ErrorCode::InvalidArgument, "--model PATH is required",
                          "give a DeepSeek V4 model: a .gguf file or a safetensors folder");
    f.system = args.option("--system");
    f.ignore_eos = args.has("--ignore-eos");
    f.max_tokens = default_max_tokens;
    double d = 0;
    int64_t i = 0;
    ATELIER_TRY_ASSIGN(bool has, number_flag(args, "--temperature", 0, 100, "a temperature >= 0 (0: greedy)", d));
    if (has) f.sampling.temperature = static_cast<float>(d);
    ATELIER_TRY_ASSIGN(has, number_flag(args, "--top-p", 0, 1, "a probability in (0, 1]", d));
    if (has && d <= 0) return bad_value("--top-p", args.option("--top-p"), "a probability in (0, 1]");
    if (has) f.sampling.top_p = static_cast<float>(d);
    ATELIER_TRY_ASSIGN(has, number_flag(args, "--min-p", 0, 1, "a probability in [0, 1]", d));
    if (has) f.sampling.min_p = static_cast<float>(d);
    ATELIER_TRY_ASSIGN(has, number_flag(args, "--repeat-penalty", 0.01, 100, "a factor > 0 (1: off)", d));
    if (has) f.sampling.repeat_penalty = static_cast<float>(d);
    ATELIER_TRY_ASSIGN(has, number_flag(args, "--presence-penalty", -100, 100, "a logit offset (0: off)", d));
    if (has) f.sampling.presence_penalty = static_cast<float>(d);
    ATELIER_TRY_ASSIGN(has, number_flag(args, "--frequency-penalty", -100, 100, "a logit offset per occurrence (0: off)", d));
    if (has) f.sampling.frequency_penalty = static_cast<float>(d);
    ATELIER_TRY_ASSIGN(has, integer_flag(args, "--top-k", 0, std::numeric_limits<int32_t>::max(),
                                         "a token count >= 0 (0: off)", i));
    if (has) f.sampling.top_k = static_cast<int32_t>(i);
    ATELIER_TRY_ASSIGN(has, integer_flag(args, "--max-tokens", 0, std::numeric_limits<int32_t>::max(),
                                         "a token count >= 0", i));
    if (has) f.max_tokens = static_cast<int32_t>(i);
    ATELIER_TRY_ASSIGN(has, integer_flag(args, "--threads", 0, 4096, "a thread count (0: all cores)", i));
    if (has) f.n_threads = static_cast<int>(i);
    ATELIER_TRY_ASSIGN(has, integer_flag(args, "--ctx", 1, int64_t{1} << 32, "a positive token count", i));
    if (has) f.n_ctx = i;
    if (args.options.count("--seed")) {
        const std::string v = args.option("--seed");
        char* end = nullptr;
        errno = 0;
        const unsigned long long s = std::strtoull(v.c_str(), &end, 10);
        if (v.empty() || v[0] == '-' || *end != '\0' || errno != 0) return bad_value("--seed", v, "a number >= 0");
        f.sampling.seed = s;
        f.seed_given = true;
    } else {
        f.sampling.seed = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    }
    if (args.options.count("--numerics")) {
        ATELIER_TRY_ASSIGN(f.numerics, infer::parse_numerics(args.option("--numerics")));
    }
    if (args.options.count("--weights") && !infer::parse_residency(args.option("--weights"), &f.weights))
        return bad_value("--weights", args.option("--weights"), "auto, resident or mapped");
    return f;
}

Result<int64_t> choose_ctx(const LmFlags& flags, int64_t model_max, int64_t needed) {
    if (flags.n_ctx > 0) {
        if (model_max > 0 && flags.n_ctx > model_max)
            return make_error(ErrorCode::InvalidArgument,
                              "--ctx " + std::to_string(flags.n_ctx) + " exceeds the model's context length " +
                                  std::to_string(model_max),
                              "give --ctx " + std::to_string(model_max) + " or less");
        return flags.n_ctx;
    }
    const int64_t want = std::max<int64_t>(4096, needed);
    return model_max > 0 ? std::min(want, model_max) : want;
}

Result<LoadedLm> load_lm(const LmFlags& flags, int64_t planned_ctx, const Cli& cli) {
    LoadedLm m;
    infer::LoadOptions load;
    load.residency = flags.weights;
    ATELIER_TRY_ASSIGN(m.model, infer::load_model(flags.model_path, load));
    infer::PlanRequest req;
    const int64_t model_max = m.model->summary().n_ctx_train;
    const int64_t want = flags.n_ctx > 0 ? flags.n_ctx : std::max<int64_t>(4096, planned_ctx);
    req.n_ctx = model_max > 0 ? std::min(want, model_max) : want;  // --ctx is checked by choose_ctx later
    req.n_threads = flags.n_threads;
    const infer::MemoryPlan plan = infer::plan_memory(m.model->summary(), req, infer::system_info());
    if (plan.verdict != infer::PlanVerdict::Fits && !cli.quiet) {
        std::fprintf(stderr, "memory plan (%s): %s\n", infer::plan_verdict_name(plan.verdict), plan.sentence.c_str());
        if (!plan.speed_note.empty()) std::fprintf(stderr, "  %s\n", plan.speed_note.c_str());
        for (const auto& s : plan.suggestions) std::fprintf(stderr, "  - %s\n", s.c_str());
    }
    infer::LmLoadOptions lo;
    lo.numerics = flags.numerics;
    ATELIER_TRY_ASSIGN(m.lm, infer::load_causal_lm(m.model, lo));
    ATELIER_TRY_ASSIGN(m.tokenizer, infer::tokenizer_for_model(*m.model));
    return m;
}

InterruptStop::InterruptStop()
    : watcher_([this](std::stop_token self) {
          while (!self.stop_requested()) {
              if (interrupt_requested()) {
                  source_.request_stop();
                  return;
              }
              std::this_thread::sleep_for(std::chrono::milliseconds(20));
          }
      }) {}

InterruptStop::~InterruptStop() {
    watcher_.request_stop();
    if (watcher_.joinable()) watcher_.join();
}

uint64_t peak_rss_bytes() {
    struct rusage ru {};
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
    return static_cast<uint64_t>(ru.ru_maxrss) * 1024;  // Linux: KiB
}

json timings_json(const infer::GenerateTimings& t) {
    return json{{"prefill_tokens", t.prefill_tokens},     {"prefill_ms", t.prefill_ms},
                {"prefill_tokens_per_s", t.prefill_tokens_per_s()},
                {"decode_tokens", t.decode_tokens},       {"decode_ms", t.decode_ms},
                {"decode_tokens_per_s", t.decode_tokens_per_s()},
                {"peak_rss_bytes", peak_rss_bytes()}};
}

std::string timings_line(const infer::GenerateTimings& t) {
    char buf[256];
    std::snprintf(buf, sizeof buf, "prefill %lld tokens in %.0f ms (%.1f tok/s), decode %lld tokens in %.0f ms (%.1f tok/s), peak memory %s",
                  static_cast<long long>(t.prefill_tokens), t.prefill_ms, t.prefill_tokens_per_s(),
                  static_cast<long long>(t.decode_tokens), t.decode_ms, t.decode_tokens_per_s(),
                  human_size(static_cast<int64_t>(peak_rss_bytes())).c_str());
    return buf;
}

}  // namespace atelier::cli
