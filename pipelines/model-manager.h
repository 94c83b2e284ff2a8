// Model manager: what is in the models folder and what each model can do. Scans GGUF files and
// safetensors files/folders (headers only: tensor data is mapped, never read), describes each one
// (architecture, parameters, size on disk, type mix, memory plan at a chosen context, the jobs it
// serves) and imports a model into the folder by copying or linking it, with progress and cancel.
// A bad file is one entry with its error; it never stops the scan.
// Thread-safety: the functions are reentrant; run scans and imports on a worker (they touch the
// disk). Results are plain values.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "inference/cpu-features.h"
#include "inference/memory-plan.h"
#include "inference/model.h"

namespace atelier::pipelines {

// A job kind a model can serve, or will once its architecture is supported.
struct ModelJobSupport {
    std::string job;        // "chat", "transcribe", "speak", ...
    bool supported = false;
};

struct ModelEntry {
    std::filesystem::path path;        // the .gguf / .safetensors file, or the folder
    std::string name;                  // file or folder name
    bool ok = false;                   // headers read and validated
    Error error;                       // when !ok: what is wrong with this file, with a hint
    infer::ModelFormat format = infer::ModelFormat::Invalid;
    uint64_t size_bytes = 0;           // on disk (every file of the model)
    int64_t n_files = 0;
    std::string architecture;          // "deepseek_v4", "deepseek4", "whisper"...; empty if unstated
    int64_t n_params = 0;
    int64_t n_tensors = 0;
    std::vector<std::pair<std::string, uint64_t>> type_mix;  // dtype name -> tensor bytes, largest first
    infer::ModelSummary summary;       // plan_memory input
    std::vector<ModelJobSupport> jobs; // empty: no job knows this architecture
    bool serves(std::string_view job) const;
    std::string jobs_text() const;     // "chat", or "not supported yet (whisper)"
};

// Jobs the architecture serves in this build: deepseek_v4 / deepseek4 / DeepseekV4ForCausalLM ->
// chat. Unknown: empty.
std::vector<ModelJobSupport> jobs_for_architecture(std::string_view architecture);

struct ScanOptions {
    std::stop_token stop{};                                                   // checked between models
    std::function<void(double fraction, const std::filesystem::path&)> progress{};  // before each model
};

// Reads one model's headers. Never fails: errors are in the entry.
ModelEntry inspect_model(const std::filesystem::path& path, std::stop_token stop = {});

// Every model in `folder`: *.gguf and *.safetensors files, folders holding safetensors (one model
// each), and *.gguf one level down; sorted by name. Hidden and partial (".*") entries are
// skipped. Errors: NotFound / PermissionDenied for the folder itself; Cancelled.
Result<std::vector<ModelEntry>> scan_models(const std::filesystem::path& folder, const ScanOptions& options = {});

// The memory plan of an inspected model at `n_ctx` tokens on this machine. cache_bytes_per_token:
// the architecture's own figure when known (a loaded CausalLm's LmInfo), else 0 (estimate).
infer::MemoryPlan plan_for(const ModelEntry& entry, int64_t n_ctx, const infer::SystemInfo& system,
                           uint64_t cache_bytes_per_token = 0);

enum class ImportMode { Invalid = 0, Copy, Link };

struct ImportModelOptions {
    ImportMode mode = ImportMode::Copy;
    std::stop_token stop{};
    std::function<void(int64_t done_bytes, int64_t total_bytes)> progress{};
};

// Puts the model at `source` (a file or a folder) into `models_folder` under its own name, by a
// chunked copy (through a hidden ".name.partial" that is renamed at the end, removed on failure
// or cancel) or a symbolic link. The source is inspected first: something that is not a model is
// refused with its error. Returns the new path. Errors: AlreadyExists (that name is taken),
// NotFound, PermissionDenied, DiskFull, IoError, Cancelled, and the model errors of inspect.
Result<std::filesystem::path> import_model(const std::filesystem::path& source, const std::filesystem::path& models_folder,
                                           const ImportModelOptions& options = {});

// "1.23 GB", "512 MB", "900 B" (decimal units, as file managers show sizes).
std::string format_bytes(uint64_t bytes);
// "1.23B", "45.6M", "789"
std::string format_count(int64_t n);

}  // namespace atelier::pipelines
