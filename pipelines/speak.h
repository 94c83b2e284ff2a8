// The "speak" job: text -> speech with a Piper voice (inference/tts) -> an audio file (WAV, FLAC,
// Opus, MP3 or M4A by extension, written to NAME.part and renamed when complete), and optionally
// into a project as an audio asset with its provenance (a generations row: voice, its hash, every
// setting, timings). Progress is per sentence; cancel is honoured between sentences and leaves no
// file. Voices are found by folder path or by name under the voice roots.
// Thread-safety: speak_to_file/store_speech on a job worker; the rest from any thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/job.h"
#include "core/result.h"
#include "pipelines/import.h"
#include "projects/project.h"

namespace atelier::pipelines {

struct SpeakSettings {
    std::string voice;               // a voice folder, or a voice name under voice_roots()
    float speed = 1.0f;              // 2 = twice as fast (Piper's length scale 0.5); 0.25..4
    float sentence_silence_s = 0.2f; // pause between sentences
    int threads = 0;                 // 0: all cores
    int speaker_id = 0;              // a multi-speaker voice's speaker (checked against the voice)
};

// One sentence of a narration take (pipelines/narration.h), for the provenance row.
struct SpokenSentenceInfo {
    std::string text;
    uint64_t seed = 0;
    float speed = 1.0f;
    int64_t start_ms = 0, duration_ms = 0;
};

struct SpeakReport {
    std::filesystem::path out;
    std::filesystem::path voice_dir;
    int sample_rate_hz = 0;
    int64_t samples = 0;
    int64_t duration_ms = 0;
    size_t sentences = 0;
    std::vector<std::string> warnings;  // characters the phonemizer skipped
    double synth_ms = 0;                // wall time of the synthesis
    double first_audio_ms = -1;         // time to the first sentence's audio
    std::string asset_uuid, generation_uuid;  // with store_speech
    std::vector<SpokenSentenceInfo> sentence_info;  // a narration take's sentences (else empty)
    ImportReport import;                // store_speech's import, for register_import (undo)
};

// Where voices are looked for: $ATELIER_MODEL_CACHE (else ~/.cache/atelier/models, where
// scripts/fetch-models puts them), then any extra roots given.
std::vector<std::filesystem::path> voice_roots(const std::vector<std::filesystem::path>& extra = {});
// A voice folder from a path or a name; NotFound lists the names that exist.
Result<std::filesystem::path> find_voice(const std::string& name_or_path, const std::vector<std::filesystem::path>& roots);

// Errors: InvalidArgument (empty text, bad speed, unknown extension), the voice's (NotFound, not a
// voice), AlreadyExists (out exists and !overwrite), Cancelled (no file left).
Result<SpeakReport> speak_to_file(JobContext& ctx, const std::string& text, const SpeakSettings& settings,
                                  const std::filesystem::path& out, bool overwrite);

// Imports report.out into the project (a content-addressed copy) and records the generation.
// Fills asset_uuid and generation_uuid. Runs on a worker with the project's writer connection, as
// record_into_project does; report.import receives the import report for register_import (undo).
// report.sentence_info, when filled, is recorded in the parameters ("sentences").
Status store_speech(JobContext& ctx, projects::Project& project, const std::string& text, const SpeakSettings& settings,
                    SpeakReport& report, const std::string& job_uuid);

}  // namespace atelier::pipelines
