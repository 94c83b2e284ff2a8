// Whisper model bench (issue 6 "Speed", model level): on the first 30 s of a 16 kHz WAV, our
// encoder time (median of 3), greedy decode ms/token and one beam-5 decode_batch step, and our
// peak RSS; then whisper.cpp's whisper-cli on the same audio and the same weights in its format
// (same thread count, beam 1), parsing its own encode/decode timings and measuring its peak RSS.
// Prints one markdown row per side, and the encoder time at reduced audio contexts (live use).
// --live TRUTH.json instead: live captions on the WAV fed as a microphone would be (see
// run_live), word latency against the truth's word end times. Usage:
//   atelier-bench-whisper --model DIR|FILE.bin --wav FILE [--threads N]
//                         [--anchor-cli whisper-cli --anchor-model ggml-*.bin]
//   atelier-bench-whisper --model DIR --wav FILE --live TRUTH.json [--threads N] [--full-context]
//                         [--step-ms N] [--pad-ms N] [--min-context-ms N] [--max-window-ms N] [--prompt] [--chunk-ms N]
//                         [--beam N] [--commit-ms N] [--verbose]
#include <sys/resource.h>

#include <cstdio>
#include <fstream>

#include "bench-util.h"
#include "e2e-util.h"  // tests/inference/speech: WAV reading, word normalisation and alignment
#include "inference/arch/whisper/whisper.h"
#include "inference/audio/log-mel.h"
#include "inference/speech/transcribe.h"
#include <nlohmann/json.hpp>

using namespace atelier;
using namespace atelier::infer;

namespace {

const char* arg_str(int argc, char** argv, const char* name, const char* fallback) {
    for (int i = 1; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
    return fallback;
}

bool has_flag(int argc, char** argv, const char* name) {
    for (int i = 1; i < argc; ++i)
        if (std::strcmp(argv[i], name) == 0) return true;
    return false;
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

// The encoder at reduced audio contexts (live captions encode the buffered audio only): mel is
// one 30 s window [n_mels][3000]; each context takes its first 2 * ctx frames.
bool print_context_rows(const whisper::WhisperModel& m, const std::vector<float>& mel, Session& session) {
    std::printf("\n| audio context (frames / s) | encode ms (median of 3) |\n|---|---|\n");
    for (int ctx : {1500, 750, 375, 200}) {
        std::vector<float> sub;
        for (int b = 0; b < m.config().n_mels; ++b)
            sub.insert(sub.end(), mel.begin() + static_cast<ptrdiff_t>(b) * 3000, mel.begin() + static_cast<ptrdiff_t>(b) * 3000 + 2 * ctx);
        std::vector<double> t;
        for (int i = 0; i < 3; ++i) {
            const double t1 = bench::now_s();
            if (!m.encode(sub, session, {}, ctx)) return false;
            t.push_back(bench::now_s() - t1);
        }
        std::printf("| %d / %.1f | %.0f |\n", ctx, ctx * 0.02, bench::median(t) * 1000.0);
    }
    return true;
}

// Live captions on a recording fed as a microphone would be, against the real clock: a step sees
// the audio recorded by the time it starts, and the clock advances by the step's measured time.
// A truth word counts as shown at the first step whose final + partial text holds it (word
// alignment); its latency is that moment minus the word's end in the truth. The text is aligned
// against the truth words whose audio has begun by then: against the whole truth, a last word
// such as "the" could align with any later "the" (every truth word after it a deletion at equal
// cost) and count as shown only once its neighbours anchor it.
int run_live(const whisper::WhisperModel& m, const std::vector<float>& pcm, const char* truth_path, int threads,
             int argc, char** argv) {
    std::ifstream in(truth_path);
    const nlohmann::json truth = nlohmann::json::parse(in, nullptr, false);
    if (truth.is_discarded()) return std::fprintf(stderr, "%s: not JSON\n", truth_path), 1;
    std::vector<std::string> ref;
    std::vector<int64_t> ref_end, ref_start;  // ref_start: a word's start, else the last known end before it
    try {  // the truth file of tests/e2e (make-speech-fixtures): {"sentences": [{"words": [{"text", "end_ms"}]}]}
        for (const auto& sent : truth.at("sentences"))
            for (const auto& w : sent.at("words")) {
                ref.push_back(speech_test::normalise_words(w.at("text").get<std::string>()).at(0));
                ref_end.push_back(w.at("end_ms").is_null() ? -1 : w.at("end_ms").get<int64_t>());
                int64_t st = w.contains("start_ms") && !w.at("start_ms").is_null() ? w.at("start_ms").get<int64_t>() : -1;
                if (st < 0)
                    for (size_t k = ref_end.size() - 1; k-- > 0 && st < 0;) st = ref_end[k];
                ref_start.push_back(st < 0 ? 0 : st);
            }
    } catch (const std::exception& e) {
        return std::fprintf(stderr, "%s: not a truth file of sentences and timed words (%s)\n", truth_path, e.what()), 1;
    }
    speech::TranscribeOptions o;
    o.language = "en";
    o.n_threads = threads;
    speech::LiveTranscriber live(m, o);
    live.prompt_with_finals = has_flag(argc, argv, "--prompt");
    live.reduced_context = !has_flag(argc, argv, "--full-context");
    live.min_step_ms = bench::arg_int(argc, argv, "--step-ms", live.min_step_ms);
    live.context_pad_ms = bench::arg_int(argc, argv, "--pad-ms", live.context_pad_ms);
    live.max_window_ms = bench::arg_int(argc, argv, "--max-window-ms", live.max_window_ms);
    live.min_context_ms = bench::arg_int(argc, argv, "--min-context-ms", live.min_context_ms);
    live.beam_size = bench::arg_int(argc, argv, "--beam", live.beam_size);
    live.commit_step_ms = bench::arg_int(argc, argv, "--commit-ms", live.commit_step_ms);
    const int chunk_ms = bench::arg_int(argc, argv, "--chunk-ms", 0);  // > 0: fixed chunks, no clock (as the e2e test)
    std::vector<int64_t> shown(ref.size(), -1);
    std::vector<double> step_ms;
    std::string final_text;
    double now_ms = 0, pushed_ms = 0;
    const double total_ms = static_cast<double>(pcm.size()) / 16.0;
    while (pushed_ms < total_ms) {
        const double upto = std::min(total_ms, chunk_ms > 0 ? pushed_ms + chunk_ms : std::max(now_ms, pushed_ms + live.min_step_ms));
        const size_t a = static_cast<size_t>(pushed_ms * 16), b = static_cast<size_t>(upto * 16);
        (void)live.push(std::span<const float>(pcm).subspan(a, b - a));
        pushed_ms = upto;
        now_ms = std::max(now_ms, upto);
        const double t0 = bench::now_s();
        auto up = live.step({});
        if (!up) return std::fprintf(stderr, "%s\n", up.error().message().c_str()), 1;
        if (!up->decoded) continue;
        step_ms.push_back((bench::now_s() - t0) * 1000.0);
        now_ms += step_ms.back();
        if (has_flag(argc, argv, "--verbose"))
            std::fprintf(stderr, "t %.1f s: step %.0f ms, window %.1f s, %zu final, partial '%s'\n", now_ms / 1000.0,
                         step_ms.back(), static_cast<double>(up->audio_ms - up->partial_start_ms) / 1000.0,
                         up->final_segments.size(), up->partial_text.c_str());
        for (const auto& seg : up->final_segments) {
            final_text += seg.text;
            if (has_flag(argc, argv, "--verbose"))
                std::fprintf(stderr, "  final %.2f-%.2f s:%s\n", static_cast<double>(seg.start_ms) / 1000.0,
                             static_cast<double>(seg.end_ms) / 1000.0, seg.text.c_str());
        }
        const auto hyp = speech_test::normalise_words(final_text + " " + up->partial_text);
        size_t begun = 0;
        while (begun < ref.size() && static_cast<double>(ref_start[begun]) < pushed_ms) ++begun;
        const std::vector<std::string> heard(ref.begin(), ref.begin() + static_cast<ptrdiff_t>(begun));
        for (const auto& [i, j] : speech_test::align_words(heard, hyp, nullptr))
            if (shown[i] < 0) shown[i] = static_cast<int64_t>(now_ms);
    }
    auto fin = live.finish({});
    if (!fin) return std::fprintf(stderr, "%s\n", fin.error().message().c_str()), 1;
    std::string text;
    for (const auto& seg : fin->segments) text += seg.text;
    size_t errors = 0;
    speech_test::align_words(ref, speech_test::normalise_words(text), &errors);
    std::vector<double> lat;
    for (size_t i = 0; i < ref.size(); ++i)
        if (shown[i] >= 0 && ref_end[i] >= 0) lat.push_back(static_cast<double>(shown[i] - ref_end[i]) / 1000.0);
    for (size_t i = 0; i < ref.size(); ++i)  // which words came late, and when (for --verbose runs)
        if (shown[i] >= 0 && ref_end[i] >= 0 && shown[i] - ref_end[i] > 1500 && has_flag(argc, argv, "--verbose"))
            std::fprintf(stderr, "late: word %zu '%s' ended %.2f s, shown %.2f s\n", i, ref[i].c_str(),
                         static_cast<double>(ref_end[i]) / 1000.0, static_cast<double>(shown[i]) / 1000.0);
    std::sort(lat.begin(), lat.end());
    const auto within = std::count_if(lat.begin(), lat.end(), [](double x) { return x <= 1.5; });
    std::printf("| context | step ms (min new audio) | steps | step ms median / max | words shown | latency median | p90 | "
                "within 1.5 s | WER |\n|---|---|---|---|---|---|---|---|---|\n");
    std::printf("| %s | %d | %zu | %.0f / %.0f | %zu/%zu | %.2f s | %.2f s | %ld/%zu | %.1f %% (%zu) |\n",
                live.reduced_context ? "reduced" : "full 30 s", live.min_step_ms, step_ms.size(), bench::median(step_ms),
                step_ms.empty() ? 0.0 : *std::max_element(step_ms.begin(), step_ms.end()), lat.size(), ref.size(),
                lat.empty() ? 0.0 : lat[lat.size() / 2], lat.empty() ? 0.0 : lat[lat.size() * 9 / 10], static_cast<long>(within),
                lat.size(), 100.0 * static_cast<double>(errors) / static_cast<double>(ref.size()), errors);
    std::printf("final: %s\n", text.c_str());
    return 0;
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
    std::vector<float> pcm = speech_test::read_wav16(wav);
    if (const char* truth = arg_str(argc, argv, "--live", nullptr)) return run_live(m, pcm, truth, threads, argc, argv);
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
    if (!print_context_rows(m, mel->data, **session)) return 1;
    const char* cli = arg_str(argc, argv, "--anchor-cli", nullptr);
    const char* amodel = arg_str(argc, argv, "--anchor-model", nullptr);
    if (cli && amodel) run_anchor(cli, amodel, wav, threads);
    return 0;
}
