// The engine part of `atelier-cli demo`: builds a tiny model file with our own quantisers and GGUF
// writer, loads it back (memory-mapped, validated), plans its memory, and runs one quantised
// matrix-vector product on the fastest CPU kernel this machine has, checked against the scalar
// reference. Thread-safety: runs on the calling thread; touches only files under `dir`.
#pragma once

#include <filesystem>
#include <string>

#include "core/result.h"

namespace atelier::pipelines {

struct EngineDemoReport {
    std::filesystem::path model_path;
    int64_t n_tensors = 0;
    int64_t n_params = 0;
    uint64_t file_bytes = 0;
    std::string plan_sentence;   // the memory plan's verdict in plain words
    std::string kernel_variant;  // e.g. "cpu/avx512"
    std::string cpu_features;
    double max_rel_error = 0.0;  // fast kernel vs scalar reference, relative to max |reference|
};

// `dir` is created if needed. Fails with the engine's error (never throws).
Result<EngineDemoReport> run_engine_demo(const std::filesystem::path& dir);

}  // namespace atelier::pipelines
