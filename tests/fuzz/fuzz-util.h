// Shared helpers for the libFuzzer targets: a per-process scratch folder for targets that need a
// file on disk, and a hard stop for a violated property (a finding, not an error path).
// Thread-safety: libFuzzer calls a target from one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>

namespace atelier::fuzz {

// <tmp>/atelier-fuzz-<pid>/, created on first use and removed at exit.
const std::filesystem::path& scratch_dir();
// Writes the bytes to scratch_dir()/name (replacing it) and returns the path.
std::filesystem::path write_scratch(const char* name, const uint8_t* data, size_t size);

}  // namespace atelier::fuzz

// A property every input must satisfy; a failure is a bug the fuzzer reports (it aborts on purpose).
#define FUZZ_CHECK(cond)                                                        \
    do {                                                                        \
        if (!(cond)) {                                                          \
            ::atelier::fuzz::check_failed(#cond, __FILE__, __LINE__);           \
        }                                                                       \
    } while (0)

namespace atelier::fuzz {
[[noreturn]] void check_failed(const char* what, const char* file, int line);
}
