// MappedFile: a whole file mapped read-only (mmap, MAP_PRIVATE), unmapped when the last owner
// lets go. Model tensors are views into these mappings, so nothing is copied at load; pages come
// in from the page cache (or disk) when a kernel first touches them.
// Invariants: data() is valid for size() bytes for the object's lifetime; an empty file maps to
// data() == nullptr, size() == 0. Thread-safety: immutable after open(); share freely.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "core/result.h"

namespace atelier::infer {

enum class MapAdvice { Invalid = 0, Normal, Sequential, Random, WillNeed, DontNeed };

class MappedFile {
public:
    // Opens and maps `path`. Errors name the file: NotFound, PermissionDenied, IoError (a folder,
    // or mmap failed).
    static Result<std::shared_ptr<const MappedFile>> open(const std::filesystem::path& path);

    ~MappedFile();
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    const uint8_t* data() const { return data_; }
    uint64_t size() const { return size_; }
    const std::filesystem::path& path() const { return path_; }

    // A hint to the kernel for [offset, offset+length) (clamped to the file); best effort, never
    // fails. Sequential/WillNeed help a first full read; Random suits routed experts.
    void advise(MapAdvice advice, uint64_t offset = 0, uint64_t length = UINT64_MAX) const;

private:
    MappedFile() = default;
    std::filesystem::path path_;
    const uint8_t* data_ = nullptr;
    uint64_t size_ = 0;
};

}  // namespace atelier::infer
