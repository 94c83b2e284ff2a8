// Shared by `generate` and `chat`: the sampling / context / numerics flags, loading a text model
// (Model -> memory plan note -> tokenizer -> CausalLm), Ctrl+C as a stop token, timings and peak
// memory. Thread-safety: main thread only (the stop watcher runs its own thread).
#pragma once

#include <memory>
#include <set>
#include <stop_token>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "cli/args.h"
#include "cli/output.h"
#include "inference/generate.h"
#include "inference/lm.h"
#include "inference/model.h"
#include "inference/tokenizer/tokenizer.h"

namespace atelier::cli {

// Options both commands take (besides --model, --think, --system).
extern const std::set<std::string> kLmOptions;

struct LmFlags {
    std::string model_path;
    infer::SamplingParams sampling;
    bool seed_given = false;
    int32_t max_tokens = 256;
    bool ignore_eos = false;  // --ignore-eos: answers run to max_tokens (benchmarks, tests)
    int64_t n_ctx = 0;  // 0: not given (chosen from the prompt and the model)
    int n_threads = 0;
    infer::Numerics numerics = infer::Numerics::Released;
    infer::Residency weights = infer::Residency::Auto;  // --weights auto|resident|mapped
    std::string system;
};

// Parses and range-checks the flags; InvalidArgument names the flag and its allowed range.
Result<LmFlags> parse_lm_flags(const Args& args, int32_t default_max_tokens);

struct LoadedLm {
    std::shared_ptr<const infer::Model> model;
    std::shared_ptr<const infer::Tokenizer> tokenizer;
    std::shared_ptr<const infer::CausalLm> lm;
};

// load_model, then the memory plan at `planned_ctx` (printed to stderr when it is not a plain
// "fits", unless quiet), then the architecture (a clear error for one we do not run), then the
// model's tokenizer.
Result<LoadedLm> load_lm(const LmFlags& flags, int64_t planned_ctx, const Cli& cli);
// The context to use: --ctx when given (refused beyond `model_max`, 0: unknown), else enough for
// `needed` tokens (at least 4096), capped at `model_max`.
Result<int64_t> choose_ctx(const LmFlags& flags, int64_t model_max, int64_t needed);

// Ctrl+C (the handler of job-runner.h) as a std::stop_token: a watcher thread polls the flag.
class InterruptStop {
public:
    InterruptStop();
    ~InterruptStop();
    std::stop_token token() const { return source_.get_token(); }
    bool requested() const { return source_.stop_requested(); }

private:
    std::stop_source source_;
    std::jthread watcher_;
};

uint64_t peak_rss_bytes();  // getrusage ru_maxrss
nlohmann::json timings_json(const infer::GenerateTimings& t);
std::string timings_line(const infer::GenerateTimings& t);  // "prefill ... tok/s, decode ... tok/s, peak memory ..."

}  // namespace atelier::cli
