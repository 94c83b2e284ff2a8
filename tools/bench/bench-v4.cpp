// DeepSeek V4 end-to-end benchmark (issue 4 "Speed"), on a V4-Flash-shaped model (every per-layer
// dimension of V4-Flash, fewer layers and routed experts; tools/bench/make-v4-bench-model.py):
//  - prefill tok/s at the given lengths (default 512, 8192);
//  - decode tok/s at the given contexts (default 0, 4096, 32768), with the bandwidth ratio:
//    active weight bytes per token x tok/s / STREAM copy bandwidth, both against the median of
//    every copy sample of the run and against the mean of the two samples taken right before and
//    right after that decode measurement (the VM's memory speed moves within a run);
//  - peak RSS;
//  - optionally the anchor: llama.cpp's llama-bench on the same GGUF with the same threads, run
//    right after each of our measurements (interleaved), and the ratio of the medians;
//  - --decode-slices N: N decode samples per context on one prefilled state, each bracketed by
//    copy samples (one 32K prefill, several samples; the peak RSS then includes the STREAM arrays).
// The weights are held as atelier-cli holds them (--weights, default auto: read into 2 MiB-page RAM
// when they fit); llama-bench gets --llama-load-mode as its -lm (auto, none: read into RAM, mmap, ...).
// A warm-up prompt (default 32 tokens, as llama-bench's) first touches the weights, so no
// measurement pays the page faults of the first read. Prints markdown; never asserts.
// Usage: atelier-bench-v4 --model PATH [--threads N] [--numerics released|exact]
//        [--decode-contexts 0,4096,32768] [--prefill 512,8192] [--decode-tokens 16] [--chunk 512]
//        [--repeat 1] [--decode-slices 1] [--warmup 32] [--weights auto|resident|mapped]
//        [--llama-bench PATH_TO_llama-bench]
//        [--llama-load-mode MODE]
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench-stream.h"
#include "bench-util.h"
#include "core/thread-pool.h"
#include "inference/generate.h"
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

double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::string samples(const std::vector<double>& v) {
    std::string s;
    char b[32];
    for (double x : v) std::snprintf(b, sizeof b, "%s%.1f", s.empty() ? "" : " ", x), s += b;
    return s;
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
double feed(const CausalLm& lm, LmState& st, const std::vector<int32_t>& toks, std::vector<float>& logits, int64_t chunk) {
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

struct Options {
    int n_threads = 2, n_decode = 16, repeat = 1, warmup = 32, slices = 1;
    int64_t chunk = 512;
    std::vector<int64_t> prefills, contexts;
    const char* model = nullptr;
    const char* llama_bench = nullptr;
    const char* llama_load_mode = nullptr;  // llama-bench -lm (its default when null)
};

// Prefill of p tokens into a fresh state: tok/s, or negative on error.
double run_prefill(const CausalLm& lm, const Options& o, int64_t p) {
    auto st = lm.new_state(LmStateOptions{.n_ctx = p + 1, .n_threads = o.n_threads});
    if (!st) return std::fprintf(stderr, "%s\n", st.error().message().c_str()), -1;
    std::vector<float> logits(static_cast<size_t>(lm.info().vocab_size));
    const double sec = feed(lm, **st, make_tokens(p, lm.info().vocab_size, 1), logits, o.chunk);
    return sec < 0 ? -1 : static_cast<double>(p) / sec;
}

// After a prompt of ctx tokens, `slices` runs of n_decode greedy tokens on the same state (slice i
// starts at ctx + i·n_decode), calling between_slices() ahead of each but the first: tok/s of each
// slice, or empty on error. Slices give several bracketed samples for one (long) prefill.
std::vector<double> run_decode(const CausalLm& lm, const Options& o, int64_t ctx, const std::function<void()>& between_slices) {
    auto st = lm.new_state(LmStateOptions{.n_ctx = ctx + int64_t{o.n_decode} * o.slices + 1, .n_threads = o.n_threads});
    if (!st) return std::fprintf(stderr, "%s\n", st.error().message().c_str()), std::vector<double>{};
    std::vector<float> logits(static_cast<size_t>(lm.info().vocab_size));
    if (feed(lm, **st, make_tokens(std::max<int64_t>(ctx, 1), lm.info().vocab_size, 2), logits, o.chunk) < 0) return {};
    Sampler greedy({.temperature = 0.0f});  // the product's greedy path, as generate runs it
    int32_t tok = greedy.sample(logits);
    std::vector<double> rates;
    for (int k = 0; k < o.slices; ++k) {
        if (k > 0) between_slices();
        const double t0 = now_s();
        for (int i = 0; i < o.n_decode; ++i) {
            const Status s = lm.eval(**st, std::span<const int32_t>(&tok, 1), logits);
            if (!s) return std::fprintf(stderr, "%s\n", s.error().message().c_str()), std::vector<double>{};
            tok = greedy.sample(logits);
        }
        rates.push_back(o.n_decode / (now_s() - t0));
    }
    return rates;
}

// llama-bench once (-r 1) on one test; its t/s from the CSV output, or negative.
double run_llama(const Options& o, int64_t prompt, int64_t gen, int64_t depth) {
    const std::string cmd = std::string(o.llama_bench) + " -m " + o.model + " -t " + std::to_string(o.n_threads) + " -p " +
                            std::to_string(prompt) + " -n " + std::to_string(gen) + " -d " + std::to_string(depth) +
                            (o.llama_load_mode ? std::string(" -lm ") + o.llama_load_mode : std::string()) + " -r 1 -o csv 2>/dev/null";
    FILE* f = ::popen(cmd.c_str(), "r");
    if (!f) return -1;
    char line[4096];
    std::vector<std::string> header;
    double ts = -1;
    while (std::fgets(line, sizeof line, f)) {
        std::vector<std::string> cells;
        std::string cell;
        bool quoted = false;
        for (const char* c = line; *c && *c != '\n'; ++c) {
            if (*c == '"') quoted = !quoted;
            else if (*c == ',' && !quoted) cells.push_back(cell), cell.clear();
            else cell += *c;
        }
        cells.push_back(cell);
        if (header.empty()) {
            header = cells;
            continue;
        }
        for (size_t i = 0; i < header.size() && i < cells.size(); ++i)
            if (header[i] == "avg_ts") ts = std::atof(cells[i].c_str());
    }
    ::pclose(f);
    return ts;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    o.model = arg_str(argc, argv, "--model", nullptr);
    if (!o.model) {
        std::fprintf(stderr, "usage: atelier-bench-v4 --model PATH [--threads N] [--numerics released|exact] "
                             "[--decode-contexts 0,4096,32768] [--prefill 512,8192] [--decode-tokens 16] [--chunk 512] "
                             "[--repeat 1] [--decode-slices 1] [--warmup 32] [--weights auto|resident|mapped] [--llama-bench PATH] "
                             "[--llama-load-mode MODE]\n");
        return 2;
    }
    o.n_threads = bench::arg_int(argc, argv, "--threads", static_cast<int>(std::thread::hardware_concurrency()));
    o.contexts = parse_list(arg_str(argc, argv, "--decode-contexts", "0,4096,32768"));
    o.prefills = parse_list(arg_str(argc, argv, "--prefill", "512,8192"));
    o.n_decode = bench::arg_int(argc, argv, "--decode-tokens", 16);
    o.chunk = bench::arg_int(argc, argv, "--chunk", 512);
    o.repeat = std::max(1, bench::arg_int(argc, argv, "--repeat", 1));
    o.slices = std::max(1, bench::arg_int(argc, argv, "--decode-slices", 1));
    o.warmup = bench::arg_int(argc, argv, "--warmup", 32);
    o.llama_bench = arg_str(argc, argv, "--llama-bench", nullptr);
    o.llama_load_mode = arg_str(argc, argv, "--llama-load-mode", nullptr);
    LoadOptions load;
    load.residency = Residency::Auto;
    if (const char* w = arg_str(argc, argv, "--weights", nullptr); w && !parse_residency(w, &load.residency))
        return std::fprintf(stderr, "--weights %s: give auto, resident or mapped\n", w), 2;
    auto numerics = parse_numerics(arg_str(argc, argv, "--numerics", "released"));
    if (!numerics) return std::fprintf(stderr, "%s\n", numerics.error().message().c_str()), 2;

    ThreadPool pool(static_cast<size_t>(std::max(1, o.n_threads - 1)));  // with the caller: n_threads
    std::vector<double> copy, read;
    auto stream = [&] {
        const bench::Stream bw = bench::measure_stream(&pool, o.n_threads);
        copy.push_back(bw.copy_gbs), read.push_back(bw.read_gbs);
    };
    const double t0 = now_s();
    auto model = load_model(o.model, load);
    if (!model) return std::fprintf(stderr, "%s\n", model.error().message().c_str()), 1;
    auto lm = load_causal_lm(*model, LmLoadOptions{.numerics = *numerics});
    if (!lm) return std::fprintf(stderr, "%s\n", lm.error().message().c_str()), 1;
    const LmInfo& info = (*lm)->info();
    std::printf("machine: %s; threads %d\nmodel: %s (%s), %lld layers, load %.2f s, active weights %.1f MB/token, numerics %s, "
                "weights %s (%.1f MB in RAM)%s\n",
                bench::machine_name().c_str(), o.n_threads, o.model, info.architecture.c_str(),
                static_cast<long long>(info.n_layers), now_s() - t0, info.active_weight_bytes_per_token / 1e6,
                numerics_name(*numerics), (*model)->resident_bytes() ? "resident" : "mapped",
                static_cast<double>((*model)->resident_bytes()) / 1e6,
                o.llama_bench ? (std::string("; llama-bench -lm ") + (o.llama_load_mode ? o.llama_load_mode : "(its default)")).c_str() : "");
    if (o.warmup > 0 && run_prefill(**lm, o, o.warmup) < 0) return 1;

    std::map<std::string, std::vector<double>> ours, anchor, bracketed, bracketed_read;
    for (int r = 0; r < o.repeat; ++r) {
        stream();
        for (int64_t p : o.prefills) {
            const double v = run_prefill(**lm, o, p);
            if (v < 0) return 1;
            ours["prefill " + std::to_string(p)].push_back(v);
            if (o.llama_bench) anchor["prefill " + std::to_string(p)].push_back(run_llama(o, p, 0, 0));
        }
        for (int64_t ctx : o.contexts) {
            // The VM's memory speed moves between and within runs (copy 42-80 GB/s), so each
            // decode measurement is bracketed by copy samples and also compared with their mean.
            // (the first copy sample before the state exists, as the peak RSS should not count the
            // STREAM arrays; with --decode-slices > 1 the later samples are taken with it alive)
            stream();
            const std::vector<double> rates = run_decode(**lm, o, ctx, stream);
            if (rates.empty()) return 1;
            stream();
            for (size_t k = 0; k < rates.size(); ++k) {  // slice k sits between samples end-1-n+k and end-n+k
                const size_t after = copy.size() - rates.size() + k, before = after - 1;
                const double around = (copy[before] + copy[after]) / 2, around_read = (read[before] + read[after]) / 2;
                const double gbs = rates[k] * static_cast<double>(info.active_weight_bytes_per_token) / 1e9;
                bracketed["decode @ ctx " + std::to_string(ctx)].push_back(100 * gbs / around);
                bracketed_read["decode @ ctx " + std::to_string(ctx)].push_back(100 * gbs / around_read);
                ours["decode @ ctx " + std::to_string(ctx)].push_back(rates[k]);
            }
            if (o.llama_bench) anchor["decode @ ctx " + std::to_string(ctx)].push_back(run_llama(o, 0, o.n_decode, ctx));
        }
        std::fprintf(stderr, "repetition %d of %d done\n", r + 1, o.repeat);
    }
    stream();
    const double bw = median(copy);
    std::printf("STREAM copy median %.1f GB/s (samples %s), read median %.1f GB/s; peak RSS %.2f GB\n\n", bw,
                samples(copy).c_str(), median(read), peak_rss_gb());
    std::printf("| measure | ours tok/s (median) | samples | llama.cpp tok/s (median) | samples | ours / llama.cpp | weight GB/s | %% of copy "
                "(run median) | %% of copy around each (samples) | %% of read around each (samples) |\n"
                "|---|---|---|---|---|---|---|---|---|---|\n");
    auto row = [&](const std::string& key, bool decode) {
        const double m = median(ours[key]), a = median(anchor[key]);
        const double gbs = m * static_cast<double>(info.active_weight_bytes_per_token) / 1e9;
        char anc[64] = "-", ratio[32] = "-", bwc[32] = "-", pct[32] = "-", around[96] = "-", around_read[96] = "-";
        if (o.llama_bench) std::snprintf(anc, sizeof anc, "%.1f", a);
        if (o.llama_bench && a > 0) std::snprintf(ratio, sizeof ratio, "%.2fx", m / a);
        if (decode) {
            std::snprintf(bwc, sizeof bwc, "%.1f", gbs), std::snprintf(pct, sizeof pct, "%.0f%%", 100 * gbs / bw);
            std::snprintf(around, sizeof around, "%.0f%% (%s)", median(bracketed[key]), samples(bracketed[key]).c_str());
            std::snprintf(around_read, sizeof around_read, "%.0f%% (%s)", median(bracketed_read[key]), samples(bracketed_read[key]).c_str());
        }
        std::printf("| %s | %.1f | %s | %s | %s | %s | %s | %s | %s | %s |\n", key.c_str(), m, samples(ours[key]).c_str(), anc,
                    o.llama_bench ? samples(anchor[key]).c_str() : "-", ratio, bwc, pct, around, around_read);
    };
    for (int64_t p : o.prefills) row("prefill " + std::to_string(p), false);
    for (int64_t ctx : o.contexts) row("decode @ ctx " + std::to_string(ctx), true);
    return 0;
}
