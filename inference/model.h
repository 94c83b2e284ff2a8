// Model: the immutable, shared weights of one model (shared_ptr<const Model>), loaded from a GGUF
// file, a .safetensors file, or a folder (sharded safetensors with model.safetensors.index.json,
// plus config.json / tokenizer.json / tokenizer_config.json beside them). Tensors are views into
// the files' bytes (MappedFile): mapped by default, so loading copies no tensor data, a 10 GB file
// is ready in milliseconds and pages come in when kernels first touch them; or, with
// LoadOptions::residency, read once into huge-page RAM, which decode streams faster. Every header
// is validated before use (loaders/).
// Thread-safety: load_model may run on any thread (a job worker); a loaded Model is immutable
// and safe to read from any number of threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "inference/dtype.h"
#include "inference/loaders/gguf-value.h"
#include "inference/loaders/mapped-file.h"
#include "inference/memory-plan.h"
#include "inference/tensor.h"

namespace atelier::infer {

enum class ModelFormat { Invalid = 0, Gguf, Safetensors };
const char* model_format_name(ModelFormat f);  // "gguf", "safetensors"

struct LoadOptions {
    std::stop_token stop{};  // checked between tensors; a requested stop returns Cancelled
    // Called with fraction in [0,1] and the tensor just placed; on the loading thread.
    // With a resident read, also called while the bytes come in (the file's path as `tensor`).
    std::function<void(double fraction, std::string_view tensor)> progress{};
    // Mapped (the default) suits looking at a model; Auto suits running one (mapped-file.h).
    Residency residency = Residency::Mapped;
};

class Model {
public:
    ModelFormat format() const { return format_; }
    // GGUF general.architecture, or config.json model_type (else architectures[0]); may be empty.
    const std::string& architecture() const { return architecture_; }
    const std::vector<std::filesystem::path>& files() const { return files_; }

    const std::vector<Tensor>& tensors() const { return tensors_; }  // sorted by name
    const Tensor* find_tensor(std::string_view name) const;           // nullptr when absent
    int64_t parameter_count() const;                                   // sum of element counts
    uint64_t total_bytes() const;                                      // sum of tensor bytes
    std::map<DType, uint64_t> bytes_by_type() const;                   // the "type mix"

    // GGUF metadata in file order (empty for safetensors), and lookup by key.
    const std::vector<std::pair<std::string, GgufValue>>& gguf_metadata() const { return gguf_metadata_; }
    const GgufValue* gguf_value(std::string_view key) const;
    // safetensors "__metadata__" of every file, merged (empty for GGUF).
    const std::map<std::string, std::string>& safetensors_metadata() const { return st_metadata_; }
    // Files beside a safetensors model; null / empty when absent.
    const nlohmann::json* config() const { return config_ ? &*config_ : nullptr; }
    const nlohmann::json* tokenizer_config() const { return tokenizer_config_ ? &*tokenizer_config_ : nullptr; }
    const std::string& tokenizer_json() const { return tokenizer_json_; }  // raw text of tokenizer.json

    // One integer hyperparameter: GGUF "<arch>.<gguf_suffix>" or the first of `config_keys` found
    // in config.json (or its "text_config"). nullopt when neither says.
    std::optional<int64_t> hparam(std::string_view gguf_suffix, std::initializer_list<std::string_view> config_keys) const;

    ModelSummary summary() const;  // for plan_memory
    uint64_t resident_bytes() const;  // bytes of the files read into RAM (0: all mapped)

    // Whether a tensor's bytes lie in a file read into RAM.
    bool is_resident(const Tensor& t) const;
    // For an architecture that has copied bytes of a resident tensor into a layout of its own (a
    // repacked matmul weight): the whole pages inside [data, data + bytes) go back to the system,
    // so the copy does not double the memory, and the model is marked: those bytes read as zeros
    // from now on, and a later binding must check weights_released() and refuse (load the file
    // again). Does nothing for bytes that are not in a resident file.
    void release_resident(const void* data, uint64_t bytes) const;
    bool weights_released() const { return released_.load(std::memory_order_acquire); }

private:
    friend struct ModelBuilder;
    Model() = default;
    ModelFormat format_ = ModelFormat::Invalid;
    std::string architecture_;
    std::vector<std::filesystem::path> files_;
    std::vector<std::shared_ptr<const MappedFile>> mappings_;
    std::vector<Tensor> tensors_;
    std::vector<std::pair<std::string, GgufValue>> gguf_metadata_;
    std::map<std::string, std::string> st_metadata_;
    std::optional<nlohmann::json> config_, tokenizer_config_;
    std::string tokenizer_json_;
    mutable std::atomic<bool> released_{false};
};

// Loads a model from a file (.gguf or .safetensors) or a folder. Errors: NotFound / IoError /
// PermissionDenied for the file system, ModelFormat / ModelTruncated / ModelUnsupported for bad
// contents (naming the file and the tensor or key), Cancelled when `options.stop` is requested.
Result<std::shared_ptr<const Model>> load_model(const std::filesystem::path& path, const LoadOptions& options = {});

}  // namespace atelier::infer
