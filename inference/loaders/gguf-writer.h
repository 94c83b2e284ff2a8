// GgufWriter: writes a GGUF v3 file (layout in gguf.h): metadata of every value type, tensor
// infos, and tensor data, each tensor at an offset aligned to `general.alignment`.
// The file appears atomically: it is written to "<path>.tmp-<pid>" and renamed over `path` only
// after a successful fsync, so a reader never sees half a model.
// Thread-safety: one writer per thread; write() reads the tensors' memory, which must not change.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "inference/loaders/gguf-value.h"
#include "inference/tensor.h"

namespace atelier::infer {

class GgufWriter {
public:
    // alignment: a power of two; written as general.alignment (u32) unless it is the default 32.
    explicit GgufWriter(uint32_t alignment = 32);

    // Adds or replaces a metadata entry (kept in insertion order). An Invalid value is refused.
    Status set(std::string key, GgufValue value);
    // Adds a tensor; its type must have a GGUF id and it must be contiguous. The writer keeps the
    // Tensor (and so its storage) alive until it is destroyed. Names must be unique.
    Status add_tensor(const Tensor& tensor);
    // Adds a tensor from raw bytes (copied): ne innermost first, n_dims of them.
    Status add_tensor(std::string name, DType type, std::vector<int64_t> ne, std::vector<uint8_t> bytes);

    // Writes the file (atomically, see above). Errors: IoError/DiskFull/PermissionDenied naming the file.
    Status write(const std::filesystem::path& path) const;

private:
    struct Entry {
        Tensor tensor;
        std::shared_ptr<std::vector<uint8_t>> owned;
        uint64_t offset = 0;
    };
    uint32_t alignment_;
    std::vector<std::pair<std::string, GgufValue>> metadata_;
    std::vector<Entry> tensors_;
};

}  // namespace atelier::infer
