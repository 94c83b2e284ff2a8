// The "transcribe" job: a media file (any container FFmpeg reads; its sound decoded to 16 kHz mono
// by media/audio-reader) goes through a speech recogniser; segments stream out as job partials
// ("segment", JSON) as each becomes final, and the result is stored in the project as a transcript
// with segments and words, its provenance in a generations row (model, every parameter, timings).
//  - The recogniser is behind a seam (Recogniser + RecogniserLoader), so the job, the CLI, the GUI
//    and their tests can run with any implementation; whisper_loader() is the real one.
//  - Errors are checked before any model is loaded: no such file, not media, no sound (an
//    audio-less video), a model that is not Whisper; each names the file and says what to do.
//  - Cancel is checked between decode blocks and inside the recogniser (between windows); a
//    cancelled job stores nothing.
// Thread-safety: transcribe_file/transcribe_into_project run on a job worker; submit_* and
// register_transcript on the Studio's owner thread. A Recogniser serves one call at a time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "core/job.h"
#include "core/result.h"
#include "projects/project.h"
#include "projects/transcript-store.h"

namespace atelier::pipelines {

class Studio;

inline constexpr int kTranscribeSampleRate = 16000;  // what every recogniser is fed

enum class TranscribeTask { Invalid = 0, Transcribe, Translate };
const char* transcribe_task_name(TranscribeTask task);  // "transcribe", "translate"

struct TranscribeSettings {
    std::filesystem::path model;     // a Whisper folder (HF safetensors) or a whisper.cpp .bin
    std::string language = "auto";   // "auto" or a code such as "en"
    TranscribeTask task = TranscribeTask::Transcribe;
    int beam_size = 5;               // 1: greedy
    bool word_timestamps = false;
    bool vad = true;                 // skip long silences
    std::string initial_prompt;
    int threads = 0;                 // 0: the engine's choice
};

// {"model", "language", "task", "beam_size", "word_timestamps", "vad", "initial_prompt", "threads"}
std::string transcribe_settings_json(const TranscribeSettings& s);
// InvalidArgument naming the bad key (unknown task, beam < 1, language not "auto" or 2-3 letters).
Result<TranscribeSettings> transcribe_settings_from_json(std::string_view json);
Status validate_transcribe_settings(const TranscribeSettings& s);

// ---- the recogniser seam -----------------------------------------------------------------------

struct RecognisedWord {
    int64_t start_ms = 0, end_ms = 0;
    std::string text;            // with its leading space, as the model wrote it
    float probability = 1.0f;
};

struct RecognisedSegment {
    int64_t start_ms = 0, end_ms = 0;
    std::string text;
    float avg_logprob = 0.0f, no_speech_prob = 0.0f;
    std::vector<RecognisedWord> words;  // empty without word timestamps
};

struct Recognition {
    std::string language;               // detected (or the one asked for)
    float language_probability = 0.0f;
    std::vector<RecognisedSegment> segments;
};

struct RecogniserCallbacks {
    std::function<void(const RecognisedSegment&)> on_segment;             // as each is final
    std::function<void(double fraction, int64_t audio_ms_done)> on_progress;
};

// What the live (microphone) path gets back from one step: segments that became final since
// the last step, and the unstable text after them (may change on the next step).
struct LiveUpdate {
    std::vector<RecognisedSegment> finals;
    std::string partial_text;
    int64_t partial_start_ms = 0;
};

class LiveRecogniser {
public:
    virtual ~LiveRecogniser() = default;
    virtual Status push(std::span<const float> pcm16k) = 0;          // cheap; the worker's thread
    virtual Result<LiveUpdate> step(std::stop_token stop) = 0;        // decode what is new
    virtual Result<Recognition> finish(std::stop_token stop) = 0;     // everything, all final
};

class Recogniser {
public:
    virtual ~Recogniser() = default;
    virtual std::string model_name() const = 0;   // e.g. "whisper-base" (provenance)
    virtual std::string model_hash() const { return {}; }
    // pcm: 16 kHz mono float in [-1, 1]. Cancelled error when `stop` fires.
    virtual Result<Recognition> transcribe(std::span<const float> pcm16k, const TranscribeSettings& settings,
                                           const RecogniserCallbacks& callbacks, std::stop_token stop) = 0;
    virtual Result<std::unique_ptr<LiveRecogniser>> live(const TranscribeSettings& settings) = 0;
};

// Loads the recogniser for settings.model. Runs on the job worker (ctx for progress and cancel).
using RecogniserLoader = std::function<Result<std::shared_ptr<Recogniser>>(const TranscribeSettings&, JobContext&)>;

// ModelUnsupported "not a Whisper model" (naming what it is, when that can be told), NotFound for
// a missing path, ModelFormat for an unreadable config.json. Reads only config.json or the .bin's
// first bytes: cheap enough to run before a job starts.
Status check_whisper_model(const std::filesystem::path& model);
// The real loader: check_whisper_model, then WhisperModel::load (progress as stage "load",
// cancellable; a model already loaded by another job is shared) and inference/speech.
// ModelUnsupported when the model has no tokenizer. (transcribe-whisper.cpp)
Result<std::shared_ptr<Recogniser>> load_whisper_recogniser(const TranscribeSettings& settings, JobContext& ctx);
RecogniserLoader whisper_loader();

// ---- the file job ------------------------------------------------------------------------------

// The file's sound as 16 kHz mono. Errors: NotFound, MediaOpenFailed (not media / corrupt),
// MediaNoStream (no sound: "has no audio stream", hint: choose a file with speech), Cancelled.
Result<std::vector<float>> decode_for_transcription(JobContext* ctx, const std::filesystem::path& file);

struct TranscribeReport {
    std::filesystem::path source;   // the transcribed file (empty: microphone)
    std::string transcript_uuid;    // empty when not stored (no project)
    std::string generation_uuid;
    std::string asset_uuid;         // the project's asset with the same content; empty if none
    projects::TranscriptDoc doc;    // what was stored (or would have been)
    std::string model;
    float language_probability = 0.0f;
    int64_t audio_ms = 0;
    double load_s = 0, decode_s = 0, recognise_s = 0;
    bool stopped_by_cancel = false; // microphone: the take was ended by cancel (kept)
};

// Decodes and recognises `file` on the calling (worker) thread; segments go out as partials
// "segment" ({"start_ms","end_ms","text","words":[...]}) and progress as stage "load", "decode",
// "transcribe". Nothing is stored.
Result<TranscribeReport> transcribe_file(JobContext& ctx, const std::filesystem::path& file,
                                         const TranscribeSettings& settings, const RecogniserLoader& loader);

// transcribe_file, then the result stored in `project` (generation + transcript, one savepoint
// each). The transcript is linked to the asset holding the same content, when there is one.
Result<TranscribeReport> transcribe_into_project(JobContext& ctx, projects::Project& project,
                                                 const std::filesystem::path& file, const TranscribeSettings& settings,
                                                 const RecogniserLoader& loader);

// Stores report.doc (file or microphone) with its provenance (settings, model, timings); fills
// the UUIDs. report.source empty: live input. job_uuid: the job's row, when it has one.
Result<TranscribeReport> store_recognition(projects::Project& project, TranscribeReport report,
                                           const TranscribeSettings& settings, const std::string& job_uuid);

// The transcript rows a recognition becomes (no UUIDs yet).
projects::TranscriptDoc transcript_doc_from(const Recognition& rec, std::string title);
// The JSON of one segment as the "segment" partial carries it.
std::string segment_partial_json(const RecognisedSegment& s);

// Submits transcribe_into_project as a Studio job (kind "transcribe"; params_json holds the file
// and the settings, so rerun_job works once set_transcribe_rerun has registered the loader).
// `loader` empty: whisper_loader(). `report` receives the result on the worker.
JobId submit_transcribe(Studio& studio, std::filesystem::path file, TranscribeSettings settings,
                        RecogniserLoader loader = {}, std::shared_ptr<TranscribeReport> report = nullptr);
void set_transcribe_rerun(Studio& studio, RecogniserLoader loader = {});

// Owner thread, after the job is done: records the stored transcript in the undo history
// (undo removes it, redo puts the same rows back).
Status register_transcript(Studio& studio, const TranscribeReport& report);

}  // namespace atelier::pipelines
