// Where a bundle goes: a folder or a .zip. Both stage their output under a hidden temporary name
// beside dest (folder) or let libzip write through its own temporary (zip), so `dest` appears only
// when finish() succeeds; abort() (or destruction without finish) removes every partial file.
// Thread-safety: one writer belongs to one thread (the bundle job's worker).
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>

#include "core/result.h"

namespace atelier::pipelines {

class BundleWriter {
public:
    virtual ~BundleWriter() = default;
    // name: '/'-separated path inside the bundle ("assets/a.png"). Folders are created as needed.
    // compress: false for media that is already compressed (zip stores it as is).
    virtual Status add_file(const std::string& name, const std::filesystem::path& src, int64_t size_bytes,
                            bool compress) = 0;
    virtual Status add_bytes(const std::string& name, std::string bytes) = 0;
    virtual Status add_dir(const std::string& name) = 0;
    virtual Status finish() = 0;        // dest appears complete, or an error and nothing at dest
    virtual void abort() = 0;           // removes partial output; safe to call twice
    virtual int64_t bytes_written() const = 0;
};

struct BundleWriterOptions {
    std::stop_token stop;
    int64_t total_bytes = 0;                        // for progress; file payload expected in total
    std::function<void(double fraction)> on_progress;  // [0,1] of the byte payload; may be empty
};

Result<std::unique_ptr<BundleWriter>> open_folder_writer(const std::filesystem::path& dest, BundleWriterOptions opts);
Result<std::unique_ptr<BundleWriter>> open_zip_writer(const std::filesystem::path& dest, BundleWriterOptions opts);

}  // namespace atelier::pipelines
