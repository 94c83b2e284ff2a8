// DeepSeek V4 end-to-end benchmark (issue 4 "Speed"), on a V4-Flash-shaped model (every per-layer
// dimension of V4-Flash, fewer layers and routed experts; tools/bench/make-v4-bench-model.py):
//  - decode tok/s at the given contexts (default 0, 4096, 32768), with the bandwidth ratio:
//    active weight bytes per token x tok/s / STREAM copy bandwidth measured in this run;
//  - prefill tok/s at the given lengths (default 512, 8192);
//  - peak RSS;
//  - optionally the anchor: llama.cpp's llama-bench on the same GGUF, same threads, same run.
// Prints markdown rows for docs/PERFORMANCE.md; never asserts.
// Usage: atelier-bench-v4 --model PATH [--threads N] [--numerics released|exact]
//        [--decode-contexts 0,4096,32768] [--prefill 512,8192] [--decode-tokens 16]
//        [--llama-bench PATH_TO_llama-bench]
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench-stream.h"
#include "bench-util.h"
#include "core/thread-pool.h"
#include "inference/lm.h"
#include "inference/model.h"

using namespace atelier;
using namespace atelier::infer;
using atelier::bench::now_s;

namespace {

const char* arg_str(int argc, char** argv, const char* name, const char* fallback) {
    for (int i = 1; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
    return fallback;
}

std::vector<int64_t> parse_list(const std::string& s) {
    std::vector<int64_t> out;
    size_t at = 0;
    while (at < s.size()) {
        const size_t comma = s.find(',', at);
        const std::string item = s.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
        if (!item.empty()) out.push_back(std::atoll(item.c_str()));
        if (comma == std::string::npos) break;
        at = comma + 1;
    }
    return out;
}

double peak_rss_gb() {
    struct rusage ru {};
    getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_maxrss) * 1024.0 / 1e9;  // ru_maxrss is KiB on Linux
}

// Deterministic non-special prompt tokens.
std::vector<int32_t> make_tokens(int64_t n, int64_t vocab, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int32_t> d(16, static_cast<int32_t>(std::max<int64_t>(17, vocab - 1)));
    std::vector<int32_t> t(static_cast<size_t>(n));
    for (auto& x : t) x = d(rng);
    return t;
}

// Feeds tokens in chunks; returns seconds, or a negative value on error.
double feed(const CausalLm& lm, LmState& st, const std::vector<int32_t>& toks, std::vector<float>& logits,
            int64_t chunk) {
    const double t0 = now_s();
    for (size_t at = 0; at < toks.size(); at += static_cast<size_t>(chunk)) {
        const size_t n = std::min(toks.size() - at, static_cast<size_t>(chunk));
        const Status s = lm.eval(st, std::span<const int32_t>(toks.data() + at, n), logits);
        if (!s) {
            std::fprintf(stderr, "eval failed: %s\n", s.error().message().c_str());
            return -1;
        }
    }
    return now_s() - t0;
}

int32_t argmax(const std::vector<float>& v) {
    return static_cast<int32_t>(std::max_element(v.begin(), v.end()) - v.begin());
}

}  // namespace

int main(int argc, char** argv) {
    const char* model_path = arg_str(argc, argv, "--model", nullptr);
    if (!model_path) {
        std::fprintf(stderr, "usage: atelier-bench-v4 --model PATH [--threads N] [--numerics released|exact] "
                             "[--decode-contexts 0,4096,32768] [--prefill 512,8192] [--decode-tokens 16] "
                             "[--llama-bench PATH]\n");
        return 2;
    }
    const int n_threads = bench::arg_int(argc, argv, "--threads", static_cast<int>(std::thread::hardware_concurrency()));
    const auto contexts = parse_list(arg_str(argc, argv, "--decode-contexts", "0,4096,32768"));
    const auto prefills = parse_list(arg_str(argc, argv, "--prefill", "512,8192"));
    const int n_decode = bench::arg_int(argc, argv, "--decode-tokens", 16);
    const int64_t chunk = bench::arg_int(argc, argv, "--chunk", 512);
    auto numerics = parse_numerics(arg_str(argc, argv, "--numerics", "released"));
    if (!numerics) {
        std::fprintf(stderr, "%s\n", numerics.error().message().c_str());
        return 2;
    }

    ThreadPool pool(static_cast<size_t>(n_threads));
    const bench::Stream bw = bench::measure_stream(&pool, n_threads);
    std::printf("machine: %s; threads %d; STREAM copy %.1f GB/s, read %.1f GB/s\n", bench::machine_name().c_str(),
                n_threads, bw.copy_gbs, bw.read_gbs);

    double t0 = now_s();
    auto model = load_model(model_path);
    if (!model) {
        std::fprintf(stderr, "%s\n", model.error().message().c_str());
        return 1;
    }
    auto lm = load_causal_lm(*model, LmLoadOptions{.numerics = *numerics});
    if (!lm) {
        std::fprintf(stderr, "%s\n", lm.error().message().c_str());
        return 1;
    }
    const LmInfo& info = (*lm)->info();
    std::printf("model: %s (%s), %lld layers, load %.2f s, active weights %.1f MB/token, numerics %s\n", model_path,
                info.architecture.c_str(), static_cast<long long>(info.n_layers), now_s() - t0,
                info.active_weight_bytes_per_token / 1e6, numerics_name(*numerics));
    std::printf("\n| measure | tokens | time | tok/s | weight GB/s | %% of copy BW | peak RSS |\n|---|---|---|---|---|---|---|\n");

    std::vector<float> logits(static_cast<size_t>(info.vocab_size));
    for (int64_t p : prefills) {
        auto st = (*lm)->new_state(LmStateOptions{.n_ctx = p + 1, .n_threads = n_threads});
        if (!st) return std::fprintf(stderr, "%s\n", st.error().message().c_str()), 1;
        const double sec = feed(**lm, **st, make_tokens(p, info.vocab_size, 1), logits, chunk);
        if (sec < 0) return 1;
        std::printf("| prefill | %lld | %.2f s | %.1f | - | - | %.2f GB |\n", static_cast<long long>(p), sec, p / sec,
                    peak_rss_gb());
        std::fflush(stdout);
    }
    for (int64_t ctx : contexts) {
        auto st = (*lm)->new_state(LmStateOptions{.n_ctx = ctx + n_decode + 1, .n_threads = n_threads});
        if (!st) return std::fprintf(stderr, "%s\n", st.error().message().c_str()), 1;
        std::vector<int32_t> prompt = make_tokens(std::max<int64_t>(ctx, 1), info.vocab_size, 2);
        const double fill = feed(**lm, **st, prompt, logits, chunk);
        if (fill < 0) return 1;
        int32_t tok = argmax(logits);
        const double td = now_s();
        for (int i = 0; i < n_decode; ++i) {
            const Status s = (*lm)->eval(**st, std::span<const int32_t>(&tok, 1), logits);
            if (!s) return std::fprintf(stderr, "%s\n", s.error().message().c_str()), 1;
            tok = argmax(logits);
        }
        const double sec = now_s() - td;
        const double tps = n_decode / sec;
        const double gbs = tps * static_cast<double>(info.active_weight_bytes_per_token) / 1e9;
        std::printf("| decode @ ctx %lld | %d | %.2f s | %.2f | %.1f | %.0f%% | %.2f GB |\n", static_cast<long long>(ctx),
                    n_decode, sec, tps, gbs, 100.0 * gbs / bw.copy_gbs, peak_rss_gb());
        std::fflush(stdout);
    }

    if (const char* lb = arg_str(argc, argv, "--llama-bench", nullptr)) {
        // The anchor, same GGUF, same thread count, same run (llama.cpp's own benchmark tool).
        std::string ps, ds;
        for (int64_t p : prefills) ps += (ps.empty() ? "" : ",") + std::to_string(p);
        for (int64_t c : contexts) ds += (ds.empty() ? "" : ",") + std::to_string(c);
        const std::string cmd = std::string(lb) + " -m " + model_path + " -t " + std::to_string(n_threads) + " -p " +
                                ps + " -n " + std::to_string(n_decode) + " -d " + ds + " -r 1 -o md";
        std::printf("\nanchor: %s\n", cmd.c_str());
        std::fflush(stdout);
        if (bench::time_shell(cmd) < 0) std::printf("anchor failed\n");
    }
    return 0;
}
