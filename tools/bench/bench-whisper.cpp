// Whisper model bench (issue 6 "Speed", model level): on the first 30 s of a 16 kHz WAV, our
// encoder time (median of 3), greedy decode ms/token and one beam-5 decode_batch step, and our
// peak RSS; then whisper.cpp's whisper-cli on the same audio and the same weights in its format
// (same thread count, beam 1), parsing its own encode/decode timings and measuring its peak RSS.
// Prints one markdown row per side. Usage:
//   atelier-bench-whisper --model DIR|FILE.bin --wav FILE [--threads N]
//                         [--anchor-cli whisper-cli --anchor-model ggml-*.bin]
#include <sys/resource.h>

#include <cstdio>
#include <fstream>

#include "bench-util.h"
#include "inference/arch/whisper/whisper.h"
#include "inference/audio/log-mel.h"

using namespace atelier;
using namespace atelier::infer;

namespace {

const char* arg_str(int argc, char** argv, const char* name, const char* fallback) {
    for (int i = 1; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
    return fallback;
}

// 16-bit PCM mono WAV -> floats (bench input only; the product reads audio through media/).
std::vector<float> read_wav16(const char* path) {
    std::ifstream in(path, std::ios::binary);
    std::vector<char> b((std::istreambuf_iterator<char>(in)), {});
    std::vector<float> pcm;
    for (size_t i = 12; i + 8 <= b.size();) {
        uint32_t len;
        std::memcpy(&len, &b[i + 4], 4);
        if (std::memcmp(&b[i], "data", 4) == 0) {
            for (size_t j = i + 8; j + 1 < std::min(b.size(), i + 8 + len); j += 2) {
                int16_t v;
                std::memcpy(&v, &b[j], 2);
                pcm.push_back(static_cast<float>(v) / 32768.0f);
            }
            break;
        }
        i += 8 + len + (len & 1);
    }
    return pcm;
}

double peak_rss_mb(int who) {
    rusage u{};
    getrusage(who, &u);
    return static_cast<double>(u.ru_maxrss) / 1024.0;
}

int32_t argmax(const std::vector<float>& v) {
    return static_cast<int32_t>(std::max_element(v.begin(), v.end()) - v.begin());
}

// Runs whisper-cli and prints its row (its own encode time and decode ms per run).
void run_anchor(const char* cli, const char* model, const char* wav, int threads) {
    const std::string cmd = std::string(cli) + " -m " + model + " -f " + wav + " -t " + std::to_string(threads) +
                            " -d 30000 -bs 1 -nt -l en 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) return;
    double enc_ms = -1, dec_ms = -1;
    int dec_runs = 0;
    char line[1024];
    while (std::fgets(line, sizeof line, p)) {
        if (const char* at = std::strstr(line, "encode time =")) std::sscanf(at, "encode time = %lf", &enc_ms);
        if (const char* at = std::strstr(line, "decode time =")) {
            double total = 0;
            std::sscanf(at, "decode time = %lf ms / %d runs ( %lf", &total, &dec_runs, &dec_ms);
        }
    }
    ::pclose(p);
    std::printf("| whisper.cpp | %s | %d | %.0f | %.2f (%d runs) | - | %.0f |\n", model, threads, enc_ms, dec_ms, dec_runs,
                peak_rss_mb(RUSAGE_CHILDREN));
}

}  // namespace

int main(int argc, char** argv) {
    const char* model_path = arg_str(argc, argv, "--model", nullptr);
    const char* wav = arg_str(argc, argv, "--wav", nullptr);
    const int threads = bench::arg_int(argc, argv, "--threads", 2);
    if (!model_path || !wav) {
        std::fprintf(stderr, "usage: %s --model DIR|FILE.bin --wav FILE [--threads N] [--anchor-cli P --anchor-model P]\n", argv[0]);
        return 2;
    }
    auto model = whisper::WhisperModel::load(model_path);
    if (!model) return std::fprintf(stderr, "%s\n", model.error().message().c_str()), 1;
    const whisper::WhisperModel& m = **model;
    const auto& c = m.config();
    std::vector<float> pcm = read_wav16(wav);
    pcm.resize(std::min<size_t>(pcm.size(), audio::kChunkSamples));
    auto mel = audio::whisper_log_mel(pcm, c.n_mels);
    if (!mel) return std::fprintf(stderr, "%s\n", mel.error().message().c_str()), 1;
    SessionOptions so;
    so.n_threads = threads;
    auto session = Session::create(so);
    if (!session) return 1;
    std::vector<double> enc_s;
    std::shared_ptr<const whisper::EncoderOutput> enc;
    for (int i = 0; i < 3; ++i) {
        enc.reset();  // one encoder output alive at a time, as in a transcription
        const double t0 = bench::now_s();
        auto e = m.encode(mel->data, **session, {});
        if (!e) return std::fprintf(stderr, "%s\n", e.error().message().c_str()), 1;
        enc_s.push_back(bench::now_s() - t0);
        enc = std::make_shared<const whisper::EncoderOutput>(std::move(*e));
    }
    std::vector<int32_t> prompt = {c.sot};
    if (c.multilingual) prompt.insert(prompt.end(), {c.languages[0].second, c.transcribe});
    prompt.push_back(c.no_timestamps);
    auto st = m.new_decoder(enc);
    if (!st) return 1;
    std::vector<float> logits(static_cast<size_t>(c.n_vocab) * 5);
    whisper::DecodeOptions o;
    o.session = session->get();
    std::vector<float> one(static_cast<size_t>(c.n_vocab));
    if (!m.decode(**st, prompt, one, o)) return 1;
    int n_tok = 0;
    const double t0 = bench::now_s();
    for (; n_tok < 200; ++n_tok) {
        int32_t t = argmax(one);
        if (t == c.eot) break;
        if (!m.decode(**st, std::span(&t, 1), one, o)) return 1;
    }
    const double dec_ms = n_tok ? (bench::now_s() - t0) * 1000.0 / n_tok : 0.0;
    // One beam-5 step: five forks of the sequence advance one token each in one batch.
    std::vector<std::unique_ptr<whisper::DecoderState>> beams;
    std::vector<whisper::DecoderState*> ptrs;
    for (int i = 0; i < 5; ++i) beams.push_back(std::move((*st)->clone()).value()), ptrs.push_back(beams.back().get());
    std::vector<int32_t> toks = {220, 264, 293, 281, 13};
    std::vector<double> beam_ms;
    for (int rep = 0; rep < 5; ++rep) {
        const double b0 = bench::now_s();
        if (!m.decode_batch(ptrs, toks, logits, o)) return 1;
        beam_ms.push_back((bench::now_s() - b0) * 1000.0);
    }
    std::printf("| side | weights | threads | encode ms | decode ms/token | beam-5 step ms | peak RSS MB |\n|---|---|---|---|---|---|---|\n");
    std::printf("| atelier | %s | %d | %.0f | %.2f (%d tokens) | %.2f | %.0f |\n", model_path, threads,
                bench::median(enc_s) * 1000.0, dec_ms, n_tok, bench::median(beam_ms), peak_rss_mb(RUSAGE_SELF));
    const char* cli = arg_str(argc, argv, "--anchor-cli", nullptr);
    const char* amodel = arg_str(argc, argv, "--anchor-model", nullptr);
    if (cli && amodel) run_anchor(cli, amodel, wav, threads);
    return 0;
}
