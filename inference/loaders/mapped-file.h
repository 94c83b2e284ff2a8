// MappedFile: a whole file's bytes, read-only, released when the last owner lets go. Model tensors
// are views into these, so placing a tensor copies nothing.
// Two ways to hold the bytes:
//   - mapped (mmap, MAP_PRIVATE): nothing is read at open; pages come in from the page cache (or
//     disk) when a kernel first touches them, and the kernel may drop them again under pressure,
//     so a model larger than RAM still runs (slowly). Pages are 4 KiB.
//   - resident: the file is read once into anonymous memory 2 MiB-aligned and advised for
//     transparent huge pages, then made read-only. Streaming weights through 2 MiB pages avoids a
//     page walk every 4 KiB, which is what decode does every token (measured: docs/PERFORMANCE.md,
//     "Weights in 2 MiB pages"). Costs a full read at open, and the memory cannot be reclaimed.
// Invariants: data() is valid for size() bytes for the object's lifetime; an empty file holds
// data() == nullptr, size() == 0; the bytes never change. Thread-safety: immutable after open();
// share freely.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>

#include "core/result.h"

namespace atelier::infer {

enum class MapAdvice { Invalid = 0, Normal, Sequential, Random, WillNeed, DontNeed };

// How a model's files are held (LoadOptions::residency).
//   Mapped: always mapped.  Resident: always read into RAM (OutOfMemory when the memory cannot be
//   had).  Auto: resident while the files read so far fit auto_resident()'s budget and the kernel
//   gives huge pages; mapped otherwise (a model that does not fit stays runnable).
enum class Residency { Mapped = 0, Resident, Auto };
const char* residency_name(Residency r);                          // "mapped", "resident", "auto"
bool parse_residency(std::string_view s, Residency* out);         // the names above

// Auto's rule, as a pure function: resident when already + file_bytes <= available · 0.7 (the
// rest is left for caches, scratch and everything else running) and huge pages are on.
bool auto_resident(uint64_t already_resident, uint64_t file_bytes, uint64_t available_ram, bool huge_pages);
// Whether the kernel hands out transparent huge pages to memory that asks (the setting in
// /sys/kernel/mm/transparent_hugepage/enabled is not [never]; false when it cannot be read).
bool transparent_huge_pages_available();

struct OpenFileOptions {
    bool resident = false;
    std::stop_token stop{};                                          // checked between reads
    std::function<void(uint64_t done, uint64_t total)> progress{};  // resident reads, by bytes
};

// Anonymous memory 2 MiB-aligned and advised for transparent huge pages: what a resident file is
// read into, and what weights made at load (a repacked layout) live in. Writable until seal()
// makes it read-only; released on destruction. Pages are committed as they are first written.
class HugePageBuffer {
public:
    // OutOfMemory (naming `what`) when the address space cannot be had.
    static Result<std::unique_ptr<HugePageBuffer>> allocate(uint64_t bytes, const std::string& what);
    ~HugePageBuffer();
    HugePageBuffer(const HugePageBuffer&) = delete;
    HugePageBuffer& operator=(const HugePageBuffer&) = delete;

    uint8_t* data() const { return data_; }
    uint64_t size() const { return size_; }
    void seal();  // read-only from now on

private:
    HugePageBuffer() = default;
    uint8_t* data_ = nullptr;
    uint64_t size_ = 0;
    void* region_ = nullptr;
    uint64_t region_bytes_ = 0;
};

class MappedFile {
public:
    // Opens `path` and maps it (or reads it into RAM). Errors name the file: NotFound,
    // PermissionDenied, IoError (a folder, mmap failed, a read failed or came up short),
    // OutOfMemory (resident memory could not be had), Cancelled (stop requested while reading).
    static Result<std::shared_ptr<const MappedFile>> open(const std::filesystem::path& path,
                                                          const OpenFileOptions& options = {});

    ~MappedFile();
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    const uint8_t* data() const { return data_; }
    uint64_t size() const { return size_; }
    const std::filesystem::path& path() const { return path_; }
    bool resident() const { return resident_; }

    // For an owner that has copied [offset, offset+length) into a layout of its own and will never
    // read these bytes again (nor let anyone else): the whole pages inside the range go back to
    // the system, so a repacked copy does not double the memory. They read as zeros afterwards
    // (resident) or come from the file again (mapped). Best effort, never fails.
    void release(uint64_t offset, uint64_t length) const;

    // A hint to the kernel for [offset, offset+length) (clamped to the file); best effort, never
    // fails. Sequential/WillNeed help a first full read; Random suits routed experts. Does
    // nothing on a resident file (DontNeed would discard anonymous pages).
    void advise(MapAdvice advice, uint64_t offset = 0, uint64_t length = UINT64_MAX) const;

private:
    MappedFile() = default;
    std::filesystem::path path_;
    const uint8_t* data_ = nullptr;
    uint64_t size_ = 0;
    void* region_ = nullptr;  // the mapping munmap releases (mapped files)
    uint64_t region_bytes_ = 0;
    std::unique_ptr<HugePageBuffer> resident_buf_;  // the bytes of a resident file
    bool resident_ = false;
};
}  // namespace atelier::infer
