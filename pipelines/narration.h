// Narration takes for the Speak workspace: a text split into sentences, each synthesised on its
// own (infer::tts::speak) with its own noise seed and speed, so one sentence can be regenerated and
// spliced in without touching a sample of the others; the take as one PCM stream (each sentence,
// then the pause, none after the last); saving it into a project as a "speak" asset with its
// provenance; and placing an asset on the timeline as a narration clip (an undoable command).
// Thread-safety: narrate/regenerate_sentence/store_take on a job worker (a NarrationVoice may be
// shared by several); narration_clip_command on the UndoStack's thread; the rest are pure.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/job.h"
#include "core/result.h"
#include "pipelines/speak.h"
#include "pipelines/timeline-edit.h"
#include "projects/project.h"

namespace atelier::infer::tts {
class VitsVoice;
}

namespace atelier::pipelines {

struct NarrationSentence {
    std::string text;
    uint64_t seed = 0;        // the noise seed it was synthesised with
    float speed = 1.0f;       // 0.25..4 (Piper's length scale 1/speed)
    std::vector<float> audio; // mono, the voice's rate, no pause
};

struct NarrationTake {
    std::filesystem::path voice_dir;
    int sample_rate_hz = 0;
    float sentence_silence_s = 0.2f;
    std::vector<NarrationSentence> sentences;
    std::vector<std::string> warnings;  // characters the phonemizer skipped

    int64_t pause_samples() const;
    int64_t start_sample(size_t i) const;   // where sentence i begins in pcm()
    int64_t total_samples() const;
    int64_t start_ms(size_t i) const;
    int64_t duration_ms(size_t i) const;    // sentence i alone
    int64_t total_ms() const;
    std::vector<float> pcm() const;         // sentences joined with the pause
};

// Sentences of a text: split after . ! ? (and runs of them, with closing quotes/brackets) that are
// followed by white space, and at blank lines; never inside <...> markup. Each piece trimmed;
// pieces with no letter or digit are joined to the one before. (narrate() does not split an SSML
// document, whose markup may span sentences: it is spoken as one piece.)
std::vector<std::string> split_sentences(std::string_view text);

// A loaded voice, immutable, shared by jobs (one load for many takes and regenerations).
class NarrationVoice {
public:
    // name_or_path as find_voice; errors: find_voice's (NotFound with the fetch hint), the loader's.
    static Result<std::shared_ptr<const NarrationVoice>> load(const std::string& name_or_path);
    ~NarrationVoice();
    const std::filesystem::path& dir() const;
    int sample_rate_hz() const;
    const infer::tts::VitsVoice& vits() const { return *voice_; }

private:
    NarrationVoice() = default;
    std::unique_ptr<infer::tts::VitsVoice> voice_;
};

// Called on the worker after each sentence is ready (its final samples).
using SentenceReadyFn = std::function<void(size_t index, const NarrationSentence& sentence)>;

// Synthesises every sentence of `text` in order; sentence i uses seed base_seed + i and
// settings.speed. Errors: InvalidArgument (empty text, speed outside 0.25..4), the synthesiser's,
// Cancelled (checked between sentences and inside the network).
Result<NarrationTake> narrate(JobContext& ctx, const NarrationVoice& voice, const std::string& text,
                              const SpeakSettings& settings, uint64_t base_seed, const SentenceReadyFn& on_sentence = {});

// Re-synthesises sentence `index` of `take` alone with `seed` and `speed` and splices it in: the
// other sentences keep every sample. Errors: InvalidArgument (index, speed, a take of another
// voice), the synthesiser's, Cancelled (the take is left unchanged).
Status regenerate_sentence(JobContext& ctx, const NarrationVoice& voice, NarrationTake& take, size_t index,
                           uint64_t seed, float speed, int threads = 0);

// Writes the take as a WAV beside the project (its media folder), imports it as an audio asset
// (content-addressed copy; the staged file is removed) with a "speak" generation row whose
// parameters also list each sentence's text, seed, speed and start. report.import holds the
// import for register_import (undo). `name` is the file name without extension.
Result<SpeakReport> store_take(JobContext& ctx, projects::Project& project, const NarrationTake& take,
                               const SpeakSettings& settings, const std::string& name, const std::string& job_uuid);

// Where a narration clip goes: the first audio track named "Narration" of the project's timeline
// (ensure_timeline), created on top when there is none. The clip starts at at_ms (< 0: the end of
// the timeline, the last clip's end on any track), moved later past any clip of the narration
// track it would overlap. Errors: the store's; InvalidArgument for duration_ms <= 0.
Result<std::unique_ptr<AddClipCommand>> narration_clip_command(projects::Project& project, const std::string& asset_uuid,
                                                               int64_t duration_ms, int64_t at_ms);

}  // namespace atelier::pipelines
