// LiveTranscriber with the real Whisper base model on the flite clip, fed as a microphone would
// be in fixed 1 s chunks with a step after each (repeatable). Checks: the final transcript's WER
// <= 10 % with the reduced audio context (the default) and, as the reference, with the full 30 s
// context; finals are in time order, partial text appeared before the end, and every step's
// encoder ran on fewer frames than a 30 s window; steps between deciding steps
// (commit_step_ms) show text but change nothing. Word latency is a benchmark figure
// (tools/bench/atelier-bench-whisper --live), not measured here.
#include <gtest/gtest.h>

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
};

// Feeds the clip to a LiveTranscriber in 1 s chunks, a step after each.
LiveRun stream(const wh::WhisperModel& model, const std::vector<float>& pcm, bool reduced_context) {
    sp::TranscribeOptions o;
    o.language = "en";
    o.n_threads = 2;
    sp::LiveTranscriber live(model, o);
    live.reduced_context = reduced_context;
    LiveRun run;
    for (size_t a = 0; a < pcm.size(); a += 16000) {
        const size_t n = std::min<size_t>(16000, pcm.size() - a);
        EXPECT_TRUE(live.push(std::span<const float>(pcm).subspan(a, n)).ok());
        auto up = live.step({});
        EXPECT_TRUE(up.ok()) << up.error().message();
        if (!up.ok() || !up->decoded) continue;
        ++run.steps;
        if (!up->partial_text.empty()) run.saw_partial = true;
        if (reduced_context) EXPECT_LT(up->audio_ctx, model.config().n_audio_ctx);
        else EXPECT_EQ(up->audio_ctx, model.config().n_audio_ctx);
        for (const auto& s : up->final_segments) run.final_text += s.text;
    }
    auto fin = live.finish({});
    EXPECT_TRUE(fin.ok()) << fin.error().message();
    int64_t last_start = -1;
    run.final_text.clear();
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

TEST(SpeechE2eLive, StreamedClipGivesTheTextWithReducedAndFullContext) {
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
    for (const auto& s : truth["sentences"])
        for (const auto& w : s["words"]) {
            ref.push_back(speech_test::normalise_words(w["text"].get<std::string>()).at(0));
        }

    for (bool reduced : {true, false}) {
        const LiveRun run = stream(**model, pcm, reduced);
        const double wer = wer_of(ref, run.final_text);
        EXPECT_LE(wer, 0.10) << (reduced ? "reduced" : "full") << " context: " << run.final_text;
        EXPECT_TRUE(run.saw_partial);
        std::printf("live (1 s chunks, %s context): %d steps, WER %.3f\ntext: %s\n", reduced ? "reduced" : "full 30 s",
                    run.steps, wer, run.final_text.c_str());
    }
}

// min_step_ms 150 with commit_step_ms 300, fed 150 ms at a time, decides finals on the same audio
// as 300 ms steps do (its first decode and every other one), so the finals must be identical, and
// made at the same points of the stream: the steps in between may only show partial text. The
// clip's first 15 s (three sentences).
TEST(SpeechE2eLive, StepsBetweenDecidingStepsChangeNoFinals) {
    auto model = wh::WhisperModel::load(speech_test::whisper_base_dir());
    if (!model.ok()) {
        if (std::getenv("CI")) FAIL() << "Whisper base is not in the model cache (scripts/fetch-models)";
        GTEST_SKIP() << "Whisper base is not in the model cache: run scripts/fetch-models";
    }
    std::vector<float> pcm = speech_test::read_wav16(std::string(ATELIER_BINARY_DIR) + "/e2e/whisper/speech-long.wav");
    pcm.resize(std::min<size_t>(pcm.size(), 15 * 16000));
    auto run = [&](int step_ms, int* partial_only) {
        sp::TranscribeOptions o;
        o.language = "en";
        o.n_threads = 2;
        sp::LiveTranscriber live(**model, o);
        live.min_step_ms = step_ms;
        live.commit_step_ms = 300;
        std::vector<std::string> finals;
        const size_t chunk = static_cast<size_t>(step_ms) * 16;
        for (size_t a = 0; a < pcm.size(); a += chunk) {
            EXPECT_TRUE(live.push(std::span<const float>(pcm).subspan(a, std::min(chunk, pcm.size() - a))).ok());
            auto up = live.step({});
            EXPECT_TRUE(up.ok()) << up.error().message();
            if (!up.ok()) break;
            for (const auto& s : up->final_segments)
                finals.push_back("at " + std::to_string(up->audio_ms) + " ms: " + std::to_string(s.start_ms) + "-" +
                                 std::to_string(s.end_ms) + s.text);  // when it became final, too
            if (partial_only && up->decoded && up->final_segments.empty() && !up->partial_text.empty()) ++*partial_only;
        }
        return finals;
    };
    int shown = 0;
    const std::vector<std::string> fast = run(150, &shown);
    const std::vector<std::string> slow = run(300, nullptr);
    ASSERT_GE(slow.size(), 2u) << "the 300 ms run made too few finals to compare";
    EXPECT_EQ(slow, fast);
    EXPECT_GT(shown, 10);  // the 150 ms steps did show text between the deciding ones
}
