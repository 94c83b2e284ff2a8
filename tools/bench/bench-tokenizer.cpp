// Tokenizer encode throughput: ~1 MB of mixed text (the golden strings of the tokenizer tests
// joined by "\n", repeated to >= 1,000,000 bytes) encoded in one call by our tokenizer (cold cache,
// then best of 5 warm), against the reference `tokenizers` package on the same text in the same
// run (tools/bench/tokenizer_anchor.py). Also checks both produce the same number of ids.
// Usage: atelier-bench-tokenizer [--threads N]   (run from anywhere; reads the committed fixtures)
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench-util.h"
#include "inference/tokenizer/tokenizer.h"

using namespace atelier;

namespace {

const std::string kRoot = ATELIER_SOURCE_DIR;
const std::string kFix = kRoot + "/tests/inference/tokenizer/fixtures/";

std::string read_all(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
}

std::vector<std::string> bench_lines() {  // must build the same text as tokenizer_anchor.py
    std::vector<std::string> texts;
    std::ifstream f(kFix + "goldens.jsonl", std::ios::binary);
    for (std::string line; std::getline(f, line);) {
        const auto j = nlohmann::json::parse(line);
        if (j.contains("text")) texts.push_back(j["text"].get<std::string>());
    }
    std::vector<std::string> out;
    size_t size = 0;
    while (size < 1000000 && !texts.empty()) {
        for (const std::string& t : texts) {
            out.push_back(t);
            size += t.size() + 1;
            if (size >= 1000000) break;
        }
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    const int n_threads = bench::arg_int(argc, argv, "--threads", static_cast<int>(std::thread::hardware_concurrency()));
    const std::string json = read_all(kFix + "tokenizer.json");
    const std::vector<std::string> lines = bench_lines();
    std::string text;
    for (size_t i = 0; i < lines.size(); ++i) text += (i ? "\n" : "") + lines[i];
    auto tok = infer::from_tokenizer_json(json, "tokenizer.json");
    if (!tok.ok()) {
        std::fprintf(stderr, "%s\n", tok.error().message().c_str());
        return 1;
    }
    double t0 = bench::now_s();
    auto ids = (*tok)->encode(text);
    const double cold_s = bench::now_s() - t0;
    double best_s = 1e9;
    for (int i = 0; i < 5; ++i) {
        t0 = bench::now_s();
        ids = (*tok)->encode(text);
        best_s = std::min(best_s, bench::now_s() - t0);
    }
    double best_lines_s = 1e9;
    for (int i = 0; i < 5; ++i) {
        t0 = bench::now_s();
        for (const std::string& l : lines) (void)(*tok)->encode(l);
        best_lines_s = std::min(best_lines_s, bench::now_s() - t0);
    }
    // Many threads on one shared tokenizer (thread-safety and cache contention), each its own copy.
    t0 = bench::now_s();
    std::vector<std::thread> pool;
    for (int i = 0; i < n_threads; ++i) pool.emplace_back([&] { (void)(*tok)->encode(text); });
    for (auto& th : pool) th.join();
    const double mt_s = bench::now_s() - t0;
    const double mb = static_cast<double>(text.size()) / 1e6;
    std::printf("text: %.2f MB, %zu ids; machine: %s\n", mb, ids.size(), bench::machine_name().c_str());
    std::printf("| tokenizer encode | ours: 1 string cold %.1f MB/s, warm %.1f MB/s; per line %.1f MB/s; %d threads %.1f MB/s total |",
                mb / cold_s, mb / best_s, mb / best_lines_s, n_threads, mb * n_threads / mt_s);
    const std::string cmd = kRoot + "/.venv/bin/python " + kRoot + "/tools/bench/tokenizer_anchor.py " + kFix +
                            "tokenizer.json " + kFix + "goldens.jsonl";
    std::string anchor;
    if (FILE* p = ::popen(cmd.c_str(), "r")) {
        char buf[256];
        while (std::fgets(buf, sizeof buf, p)) anchor += buf;
        ::pclose(p);
    }
    double ref_mbps = 0;
    double ref_lines_mbps = 0;
    long ref_ids = -1;
    if (std::sscanf(anchor.c_str(), "mb_per_s=%lf n_ids=%ld lines_mb_per_s=%lf", &ref_mbps, &ref_ids, &ref_lines_mbps) == 3)
        std::printf(" tokenizers 0.22.1: 1 string %.1f MB/s, per line %.1f MB/s | ratio 1 string %.2fx, per line %.2fx |"
                    " same id count: %s |\n", ref_mbps, ref_lines_mbps, (mb / best_s) / ref_mbps,
                    (mb / best_lines_s) / ref_lines_mbps, ref_ids == static_cast<long>(ids.size()) ? "yes" : "NO");
    else
        std::printf(" anchor unavailable (%s) |\n", cmd.c_str());
    return 0;
}
