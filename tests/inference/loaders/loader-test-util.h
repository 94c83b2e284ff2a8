// Helpers for the loader tests: file I/O, a small SHA-256 (FIPS 180-4) to compare tensor bytes
// with the fixtures' sidecars, a JSON description of a Model in tools/check-gguf.py's schema, a
// byte builder for crafting (bad) GGUF files, and running the .venv Python tools.
// Thread-safety: test code, main thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "inference/loaders/gguf-value.h"
#include "inference/model.h"

namespace atelier::infer::test {

std::filesystem::path fixtures_dir();              // tests/inference/loaders/fixtures
std::filesystem::path repo_root();
std::filesystem::path temp_dir(const std::string& name);  // fresh, under the build tree
std::vector<uint8_t> read_bytes(const std::filesystem::path& p);
void write_bytes(const std::filesystem::path& p, const std::vector<uint8_t>& bytes);
nlohmann::json read_json(const std::filesystem::path& p);

std::string sha256_hex(const void* data, size_t size);

// {"type": T, "value": V} / {"type": "array", "elem": E, "items": [...]} (tools/check-gguf.py).
nlohmann::json value_json(const GgufValue& v);
// {"version"?, "alignment"?, "metadata": {...}, "tensors": {name: {type, shape, sha256}}} of a GGUF model.
nlohmann::json describe_gguf_model(const Model& m);

// Runs a command, returns its stdout; *exit_code gets the status.
std::string run_capture(const std::string& command, int* exit_code);
bool venv_python_present();
std::string venv_python();

// Little-endian byte builder for hand-made GGUF files.
struct Bytes {
    std::vector<uint8_t> b;
    Bytes& u32(uint32_t v);
    Bytes& u64(uint64_t v);
    Bytes& str(const std::string& s);
    Bytes& raw(const std::vector<uint8_t>& v);
    Bytes& pad_to(size_t alignment);
    Bytes& header(uint32_t version, uint64_t n_tensors, uint64_t n_kv);  // magic + version + counts
    Bytes& kv_u32(const std::string& key, uint32_t v);
    Bytes& tensor(const std::string& name, std::vector<uint64_t> ne, uint32_t type, uint64_t offset);
};

}  // namespace atelier::infer::test
