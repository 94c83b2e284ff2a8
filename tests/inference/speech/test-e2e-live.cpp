// LiveTranscriber with the real Whisper base model on the flite clip, fed as a microphone would
// be: the audio clock is simulated (a step sees only the audio "recorded" by the time it starts,
// and the clock advances by each step's measured compute time), so the figures match a real-time
// run on this machine. Checks: the final transcript's WER <= 10 %, finals are in time order and
// partial text appeared before the end (on a fixed 1 s feed, so the run is repeatable).
// Prints the word latency (shown minus spoken, per truth
// word): the 1.5 s goal is a benchmark figure, not asserted here.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "e2e-util.h"
#include "inference/speech/transcribe.h"

namespace sp = atelier::infer::speech;
namespace wh = atelier::infer::whisper;
using nlohmann::json;

namespace {

struct LiveRun {
    std::string final_text;
    bool saw_partial = false;
    int steps = 0;
    double max_step_ms = 0;
    std::vector<int64_t> shown_ms;  // per truth word, when it first appeared (-1: never)
};

// Feeds the clip to a LiveTranscriber. real_clock: a step sees the audio recorded by the time it
// starts and the clock advances by its measured compute time; else the audio comes in fixed
// 1 s chunks with a step after each (deterministic).
LiveRun stream(const wh::WhisperModel& model, const std::vector<float>& pcm, const std::vector<std::string>& ref,
               bool real_clock) {
    sp::TranscribeOptions o;
    o.language = "en";
    o.n_threads = 2;
    sp::LiveTranscriber live(model, o);
    LiveRun run;
    run.shown_ms.assign(ref.size(), -1);
    double now_ms = 0, pushed_ms = 0;
    const double total_ms = static_cast<double>(pcm.size()) / 16.0;
    while (pushed_ms < total_ms) {
        const double upto = std::min(total_ms, real_clock ? std::max(now_ms, pushed_ms + live.min_step_ms) : pushed_ms + 1000.0);
        const size_t a = static_cast<size_t>(pushed_ms * 16), b = static_cast<size_t>(upto * 16);
        EXPECT_TRUE(live.push(std::span<const float>(pcm).subspan(a, b - a)).ok());
        pushed_ms = upto;
        now_ms = std::max(now_ms, upto);
        const auto t0 = std::chrono::steady_clock::now();
        auto up = live.step({});
        const double step_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        EXPECT_TRUE(up.ok()) << up.error().message();
        if (!up.ok() || !up->decoded) continue;
        ++run.steps;
        if (real_clock) now_ms += step_ms;
        run.max_step_ms = std::max(run.max_step_ms, step_ms);
        if (!up->partial_text.empty()) run.saw_partial = true;
        for (const auto& s : up->final_segments) run.final_text += s.text;
        const auto hyp = speech_test::normalise_words(run.final_text + " " + up->partial_text);
        for (const auto& [i, j] : speech_test::align_words(ref, hyp, nullptr))
            if (run.shown_ms[i] < 0) run.shown_ms[i] = static_cast<int64_t>(now_ms);
    }
    auto fin = live.finish({});
    EXPECT_TRUE(fin.ok()) << fin.error().message();
    run.final_text.clear();
    int64_t last_start = -1;
    if (fin.ok())
        for (const auto& s : fin->segments) {
            run.final_text += s.text;
            EXPECT_GE(s.start_ms, last_start);
            last_start = s.start_ms;
        }
    return run;
}

double wer_of(const std::vector<std::string>& ref, const std::string& text) {
    size_t errors = 0;
    speech_test::align_words(ref, speech_test::normalise_words(text), &errors);
    return static_cast<double>(errors) / static_cast<double>(ref.size());
}

}  // namespace

TEST(SpeechE2eLive, StreamedClipGivesTheTextWithLatencyFigures) {
    auto model = wh::WhisperModel::load(speech_test::whisper_base_dir());
    if (!model.ok()) {
        if (std::getenv("CI")) FAIL() << "Whisper base is not in the model cache (scripts/fetch-models)";
        GTEST_SKIP() << "Whisper base is not in the model cache: run scripts/fetch-models";
    }
    const std::string dir = std::string(ATELIER_BINARY_DIR) + "/e2e/whisper";
    const std::vector<float> pcm = speech_test::read_wav16(dir + "/speech-long.wav");
    std::ifstream in(dir + "/speech-long.json");
    const json truth = json::parse(in);
    std::vector<std::string> ref;
    std::vector<int64_t> ref_end;
    for (const auto& s : truth["sentences"])
        for (const auto& w : s["words"]) {
            ref.push_back(speech_test::normalise_words(w["text"].get<std::string>()).at(0));
            ref_end.push_back(w["end_ms"].is_null() ? -1 : w["end_ms"].get<int64_t>());
        }

    const LiveRun fixed = stream(**model, pcm, ref, false);
    const double wer = wer_of(ref, fixed.final_text);
    EXPECT_LE(wer, 0.10) << fixed.final_text;
    std::printf("live (1 s chunks) text: %s\n", fixed.final_text.c_str());
    EXPECT_TRUE(fixed.saw_partial);

    const LiveRun timed = stream(**model, pcm, ref, true);  // figures only: they depend on the load
    std::vector<double> lat;
    for (size_t i = 0; i < ref.size(); ++i)
        if (timed.shown_ms[i] >= 0 && ref_end[i] >= 0) lat.push_back(static_cast<double>(timed.shown_ms[i] - ref_end[i]) / 1000.0);
    std::sort(lat.begin(), lat.end());
    const size_t within = static_cast<size_t>(std::count_if(lat.begin(), lat.end(), [](double x) { return x <= 1.5; }));
    std::printf("live (1 s chunks): %d steps, WER %.3f\n", fixed.steps, wer);
    std::printf("live (real clock): %d steps, max step %.0f ms, WER %.3f, words shown %zu/%zu, latency median %.2f s, "
                "p90 %.2f s, within 1.5 s %zu/%zu\n",
                timed.steps, timed.max_step_ms, wer_of(ref, timed.final_text), lat.size(), ref.size(),
                lat.empty() ? 0.0 : lat[lat.size() / 2], lat.empty() ? 0.0 : lat[lat.size() * 9 / 10], within, lat.size());
    std::printf("live (real clock) text: %s\n", timed.final_text.c_str());
}
