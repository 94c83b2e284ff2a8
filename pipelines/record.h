// The "record" job: captures from an input device (AudioRecorder) into a WAV inside the project's
// media folder (<media>/recordings/, written as it goes, so a crash loses at most one flush block),
// until the job is cancelled (= stop and keep what was recorded) or max_duration_ms is reached, and
// then imports that WAV as an audio asset through the import path (content-addressed copy,
// waveform). Progress: elapsed/max, stage "record", then the import's stages; partial "level"
// ({"peak":0..1,"elapsed_ms":N}) about 20 times a second while recording.
// Thread-safety: record_into_project runs on a job worker; submit_record/register_recording on the
// Studio's owner thread. A record job interrupted by a crash is rerun as recover_recording():
// its take, written as it went, is imported.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "core/job.h"
#include "core/result.h"
#include "pipelines/import.h"
#include "projects/project.h"

namespace atelier::pipelines {

class Studio;

struct RecordOptions {
    std::string device;                   // exact name or unique substring; empty: the default input
    int sample_rate_hz = 48000;
    int channels = 0;                     // 0: up to 2, as many as the device offers
    int64_t max_duration_ms = 3600000;    // stop after this much sound (1 hour); > 0
    size_t ring_frames = 0;               // 0: the recorder's default (about 1.4 s at 48 kHz)
    std::string name;                     // file/asset name; empty: "Recording <date> <time>.wav"
    // Where the take is written; empty: <media>/recordings/<name> (never an existing file). The
    // record job stores it in its parameters, so a take left by a crash can be recovered.
    std::filesystem::path wav;
};

struct RecordReport {
    std::string asset_uuid;               // the new asset (or the existing one with the same content)
    std::filesystem::path source_wav;     // where the take was written (removed after a good import)
    int64_t frames = 0;                   // frames in the WAV
    int64_t duration_ms = 0;
    int sample_rate_hz = 0, channels = 0;
    uint64_t overruns = 0;                // buffers dropped because the writer fell behind
    bool stopped_by_cancel = false;       // the job was cancelled: what was recorded is kept
    ImportReport import;                  // the import's report (rows already committed)
};

// Records into `wav` (created or truncated) on the calling (worker) thread until cancel (kept: the
// result is ok with stopped_by_cancel) or max_duration_ms. Fills every field but asset_uuid and
// import. On an error the file is removed; an empty take is InvalidArgument (file removed).
Result<RecordReport> record_to_file(JobContext& ctx, const std::filesystem::path& wav, const RecordOptions& opts);

// Records and imports on the calling (worker) thread. The project must be opened by the caller
// (the Studio's); rows are committed with commit_import, so only the undo entry remains for the
// owner thread (register_recording). Errors: AudioDeviceFailed with a hint (no or unknown device,
// the device was lost), file errors naming the WAV, InvalidArgument when nothing was recorded.
Result<RecordReport> record_into_project(JobContext& ctx, projects::Project& project, const RecordOptions& opts);

// Submits record_into_project as a Studio job (kind "record"). `report` (may be null) receives the
// result on the worker before the job turns final. Rerunning a record job is not supported.
JobId submit_record(Studio& studio, RecordOptions opts, std::shared_ptr<RecordReport> report = nullptr);

// Owner thread, after the job is done: records the imported asset in the undo history.
Status register_recording(Studio& studio, const RecordReport& report);

// Where a take named `name` goes in `project`: <media>/recordings/<name>.wav, with " (2)", " (3)"...
// added so an existing file (an earlier take, or one left by a crash) is never overwritten.
Result<std::filesystem::path> new_take_path(projects::Project& project, const std::string& name);

// Owner thread: recovers the take of a record job interrupted by a crash (its WAV is valid up to
// the last flushed block) by importing it as an asset, with undo, like a finished take. The job
// must be interrupted and its take still on disk; otherwise a clear error says what was lost.
Result<JobId> recover_recording(Studio& studio, const projects::JobRecord& job);

}  // namespace atelier::pipelines
