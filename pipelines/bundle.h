// Project bundle export: a folder or a .zip holding manifest.json, every asset file, chats as
// Markdown, transcripts, and the provenance of each generated file (generations.json).
// Thread-safety: runs on a job worker with its own read-only Project connection.
#pragma once

#include <filesystem>

#include "core/job.h"
#include "core/result.h"

namespace atelier::pipelines {

// manifest.json "format_version"; bump when the layout changes incompatibly.
inline constexpr int kBundleFormatVersion = 1;

struct BundleOptions {
    bool zip = false;  // true: write dest as a .zip (libzip); false: dest is a new folder
};

struct BundleReport {
    std::filesystem::path dest;
    int64_t asset_count = 0;
    int64_t chat_count = 0;
    int64_t bytes_written = 0;
    int64_t generation_count = 0;
    int64_t missing_count = 0;  // assets whose file was gone: listed in the manifest with "missing": true
};

// dest must not exist. On failure or cancel, a partly written dest is removed.
Result<BundleReport> export_bundle(JobContext* ctx, const std::filesystem::path& project_path,
                                   const std::filesystem::path& dest, const BundleOptions& opts = {});

}  // namespace atelier::pipelines
