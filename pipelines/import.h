// The import pipeline: probe every file with FFmpeg, hash it, copy it into the project's media
// folder by content hash, make a thumbnail (images, video) and a waveform summary (audio, video
// with sound). Runs as a job on a worker thread against a read-only view of the project; its
// result is applied on the owner thread as one undoable AddAssetsCommand.
// Thread-safety: run_import runs on a job worker; apply_import on the project's owner thread.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/job.h"
#include "core/result.h"
#include "projects/project.h"
#include "projects/undo.h"

namespace atelier::pipelines {

struct ImportOptions {
    bool copy_into_project = true;  // false: reference the file where it is (External storage)
    int thumbnail_max_side = 256;
    int waveform_buckets = 2048;
};

struct ImportFailure {
    std::filesystem::path path;
    Error error;
};

// A file whose content is already in the project, or earlier in the same batch.
struct ImportDuplicate {
    std::filesystem::path path;  // the file that was not added
    std::string asset_uuid;      // the asset that holds the same content
};

struct ImportReport {
    std::vector<projects::AddAssetsCommand::Item> added;  // new assets, in input order
    std::vector<std::string> duplicates;                  // uuids of existing assets matched by hash
    std::vector<ImportFailure> failures;                  // files that could not be imported
    std::vector<ImportDuplicate> duplicate_files;         // one per skipped file (same order as duplicates)
    int64_t files_seen = 0;                               // regular files after folder expansion
    int64_t bytes_copied = 0;                             // bytes newly written into the media folder
};

// Folders are expanded recursively (hidden files skipped). A file whose hash already exists in
// the project (or earlier in the same batch) is reported as a duplicate, not added twice.
// Cancelled between files; files already copied stay in the media folder (content-addressed).
Result<ImportReport> run_import(JobContext& ctx, const std::filesystem::path& project_path,
                                const std::vector<std::filesystem::path>& inputs, const ImportOptions& opts = {});

// Stable machine names of the progress stages run_import reports.
inline constexpr const char* kImportStages[] = {"scan", "hash", "probe", "copy", "thumbnail", "waveform"};

// Pushes an AddAssetsCommand for report.added (no-op when empty). Duplicates found by a
// concurrent import are dropped here, by hash, so the same file never appears twice.
Status apply_import(projects::Project& project, projects::UndoStack& undo, ImportReport& report);

// The same in two halves, so that the owner (GUI) thread never waits on the database:
//  - commit_import, on the job worker: inserts report.added in short transactions (64 assets
//    each; other threads wait at most a few ms for the Project), dropping content that is
//    already there (checked inside each transaction, so concurrent imports never duplicate).
//    Afterwards report.added holds exactly what was inserted. On error, what this call inserted
//    is removed again. Not cancellable: it is bounded (about 0.1 ms per asset).
//  - register_import, on the owner thread: records those assets as one undoable command without
//    inserting them again (undo removes them, redo re-inserts the same rows). No-op when empty.
Status commit_import(projects::Project& project, ImportReport& report);
Status register_import(projects::UndoStack& undo, const ImportReport& report);

}  // namespace atelier::pipelines
