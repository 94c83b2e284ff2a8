// atelier-bench-tts (issue 7 "Speed"): our Piper engine (speak()) against Piper's own runtime
// (piper-tts on onnxruntime, tools/tts/bench-piper.py run by a Python outside the product) on the
// same voice, text and machine, with 1 and 2 threads, alternating sides: real-time factor on a
// multi-sentence text, and time to first audio for a one-sentence request (ours streamed with a
// 24-frame first chunk, and unstreamed; Piper's is its first sentence). Also the share of the
// cores' peak FMA rate our synthesis reaches (VitsVoice::flops over the time).
// --matmul-too adds rows for the conv MatMul path (the direct kernel's twin) in the same run.
//   atelier-bench-tts [--voice DIR] [--text FILE.json|.txt] [--runs N] [--python P] [--onnx VOICE.onnx] [--matmul-too]
#include <time.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "bench-util.h"
#include "inference/tts/speak.h"
#include "inference/tts/vits-internal.h"

using namespace atelier;
namespace tts = atelier::infer::tts;
namespace fs = std::filesystem;

namespace {

const char* arg_str(int argc, char** argv, const char* name, const char* fallback) {
    for (int i = 1; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
    return fallback;
}

// Core clock from a chain of dependent adds (one per cycle), best of 3.
double measure_ghz() {
    const int64_t iters = 50'000'000;
    double best = 0;
    for (int rep = 0; rep < 3; ++rep) {
        uint64_t x = 0;
        const double t0 = bench::now_s();
        for (int64_t i = 0; i < iters; ++i)
            __asm__ volatile("add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0" : "+r"(x));
        best = std::max(best, 4.0 * static_cast<double>(iters) / (bench::now_s() - t0) / 1e9);
    }
    return best;
}

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    if (path.size() < 5 || path.substr(path.size() - 5) != ".json") return ss.str();
    std::string text;
    const auto doc = nlohmann::json::parse(ss.str(), nullptr, false);  // kept: the loop below refers into it
    if (!doc.is_object() || !doc.contains("sentences")) return text;
    for (const auto& s : doc.at("sentences")) text += (text.empty() ? "" : " ") + s.get<std::string>();
    return text;
}

struct Ours { double rtf = 0, first_stream_ms = 0, first_whole_ms = 0, gflops = 0, gflop = 0; };

Ours run_ours(const tts::VitsVoice& voice, const std::string& text, const std::string& one, int threads, int runs) {
    Ours o;
    auto session = infer::Session::create({.n_threads = threads});
    if (!session.ok()) return o;
    tts::SpeakOptions so;
    (void)tts::speak(voice, "Warm up.", so, **session);
    std::vector<double> rtf, first_s, first_w, gf;
    double total_flops = 0;
    for (int r = 0; r < runs; ++r) {
        const double t0 = bench::now_s();
        auto sp = tts::speak(voice, text, so, **session);
        const double t = bench::now_s() - t0;
        if (!sp.ok()) return o;
        rtf.push_back(t / (static_cast<double>(sp->audio.size()) / sp->sample_rate));
        double flops = 0;
        for (const auto& s : sp->sentences)
            flops += voice.flops(static_cast<int64_t>(s.ids.size()), s.n_samples / voice.hop_samples());
        gf.push_back(flops / t / 1e9);
        total_flops = flops;
        for (int streamed = 0; streamed < 2; ++streamed) {
            tts::SpeakOptions fo;
            fo.first_chunk_frames = streamed ? 24 : 0;
            double first = -1;
            const double f0 = bench::now_s();
            fo.on_audio = [&](std::span<const float>) {
                if (first < 0) first = bench::now_s() - f0;
            };
            if (!tts::speak(voice, one, fo, **session).ok()) return o;
            (streamed ? first_s : first_w).push_back(first * 1e3);
        }
    }
    return Ours{bench::median(rtf), bench::median(first_s), bench::median(first_w), bench::median(gf), total_flops / 1e9};
}

double process_cpu_s() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// One thread, the direct conv kernel and its MatMul twin alternating run by run: CPU seconds per
// second of audio (process CPU time moves far less than wall time on a loaded machine).
void ab_cpu(const tts::VitsVoice& voice, const std::string& text, int runs, double piper_cpu_rtf) {
    auto session = infer::Session::create({.n_threads = 1});
    if (!session.ok()) return;
    std::vector<double> cpu[2];
    for (int r = 0; r < 2 * runs; ++r) {
        const int direct = r % 2;
        tts::set_conv1d_direct_enabled(direct == 1);
        const double c0 = process_cpu_s();
        auto sp = tts::speak(voice, text, tts::SpeakOptions{}, **session);
        if (!sp.ok()) break;
        cpu[direct].push_back((process_cpu_s() - c0) / (static_cast<double>(sp->audio.size()) / sp->sample_rate));
    }
    tts::set_conv1d_direct_enabled(true);
    const double d = bench::median(cpu[1]), m = bench::median(cpu[0]);
    std::printf("\nCPU seconds per audio second, 1 thread, alternating (median of %d): direct conv %.4f, MatMul path %.4f (%.2fx); "
                "piper-tts %.4f (%.2fx of ours)\n", runs, d, m, m / std::max(1e-9, d), piper_cpu_rtf, piper_cpu_rtf / std::max(1e-9, d));
}

// bench-piper.py's JSON line, or an empty object when the anchor cannot run.
nlohmann::json run_piper(const std::string& python, const std::string& onnx, const std::string& text_file, int threads, int runs) {
    const std::string cmd = "LD_LIBRARY_PATH=/usr/local/cuda/lib64 " + python + " " + ATELIER_SOURCE_DIR "/tools/tts/bench-piper.py " +
                            onnx + " " + text_file + " --threads " + std::to_string(threads) + " --runs " + std::to_string(runs) +
                            " 2>/dev/null";
    std::string out;
    if (FILE* p = ::popen(cmd.c_str(), "r")) {
        char buf[4096];
        size_t n;
        while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
        ::pclose(p);
    }
    const size_t brace = out.rfind('{');
    if (brace == std::string::npos) return nlohmann::json::object();
    return nlohmann::json::parse(out.substr(brace), nullptr, false);
}

std::string default_voice() {
    const char* cache = std::getenv("ATELIER_MODEL_CACHE");
    const char* home = std::getenv("HOME");
    return ((cache && *cache) ? fs::path(cache) : fs::path(home ? home : "/root") / ".cache/atelier/models") / "piper-joe";
}

}  // namespace

int main(int argc, char** argv) {
    const std::string voice_dir = arg_str(argc, argv, "--voice", default_voice().c_str());
    const std::string text_path = arg_str(argc, argv, "--text", ATELIER_SOURCE_DIR "/tests/inference/tts/speak-sentences.json");
    const std::string python = arg_str(argc, argv, "--python", "/work/venv-ref/bin/python");
    const int runs = bench::arg_int(argc, argv, "--runs", 3);
    bool matmul_too = false;
    for (int i = 1; i < argc; ++i) matmul_too |= std::strcmp(argv[i], "--matmul-too") == 0;
    auto voice = tts::VitsVoice::load(voice_dir);
    if (!voice.ok()) {
        std::fprintf(stderr, "%s (run scripts/fetch-models)\n", voice.error().message().c_str());
        return 1;
    }
    std::string onnx = arg_str(argc, argv, "--onnx", "");
    for (const auto& e : fs::directory_iterator(voice_dir))
        if (onnx.empty() && e.path().extension() == ".onnx") onnx = e.path().string();
    const std::string text = read_text(text_path);
    const std::string one = text.substr(0, text.find(". ") + 1);  // the first sentence
    bench::ScratchDir scratch("tts");
    const fs::path text_file = scratch.path() / "text.txt", one_file = scratch.path() / "one.txt";
    std::ofstream(text_file) << text;
    std::ofstream(one_file) << one;
    const double ghz = measure_ghz();
    std::printf("Machine: %s, %.2f GHz measured; load before: ", bench::machine_name().c_str(), ghz);
    std::fflush(stdout);
    std::system("cut -d' ' -f1-3 /proc/loadavg");
    std::printf("Text: %zu characters (%s); one sentence: \"%s\"; median of %d runs\n\n", text.size(), text_path.c_str(), one.c_str(), runs);
    std::printf("| threads | ours RTF | piper RTF | speed ratio (piper time / ours) | ours first audio streamed / whole sentence | piper first audio | ours GFLOP/s | of peak FMA |\n"
                "|---|---|---|---|---|---|---|---|\n");
    double piper_cpu_rtf = 0;
    for (int threads : {1, 2}) {
        const Ours o = run_ours(**voice, text, one, threads, runs);
        const nlohmann::json p = run_piper(python, onnx, text_file.string(), threads, runs);
        const nlohmann::json p1 = run_piper(python, onnx, one_file.string(), threads, runs);
        const double prtf = p.value("rtf", 0.0), pfirst = p1.value("first_sentence_ms", 0.0);
        if (threads == 1) piper_cpu_rtf = p.value("cpu_rtf", 0.0);
        if (threads == 1) std::printf("| | (synthesis of the text: %.1f GFLOP by VitsVoice::flops) | | | | | | |\n", o.gflop);
        const double peak = threads * ghz * 2 /*FMA pipes*/ * 16 /*AVX-512 f32 lanes*/ * 2;
        std::printf("| %d | %.4f | %.4f | %.2fx | %.0f ms / %.0f ms | %.0f ms | %.1f | %.1f%% of %.0f |\n", threads, o.rtf, prtf,
                    o.rtf > 0 ? prtf / o.rtf : 0.0, o.first_stream_ms, o.first_whole_ms, pfirst, o.gflops, 100 * o.gflops / peak, peak);
        std::fflush(stdout);
        if (matmul_too) {
            tts::set_conv1d_direct_enabled(false);
            const Ours m = run_ours(**voice, text, one, threads, runs);
            tts::set_conv1d_direct_enabled(true);
            std::printf("| %d (conv MatMul path) | %.4f | | %.2fx | %.0f ms / %.0f ms | | %.1f | %.1f%% of %.0f |\n", threads, m.rtf,
                        m.rtf > 0 ? prtf / m.rtf : 0.0, m.first_stream_ms, m.first_whole_ms, m.gflops, 100 * m.gflops / peak, peak);
            std::fflush(stdout);
        }
    }
    if (matmul_too) ab_cpu(**voice, text, runs + 2, piper_cpu_rtf);
    std::printf("\nAnchor: %s; load after: ", run_piper(python, onnx, one_file.string(), 1, 1).value("runtime", std::string("unavailable")).c_str());
    std::fflush(stdout);
    std::system("cut -d' ' -f1-3 /proc/loadavg");
    return 0;
}
