// Fuzz target for safetensors. Byte 0 picks the mode:
//  - even: the rest is one .safetensors file, parsed from memory (parse_safetensors);
//  - odd: bytes 1-2 (little-endian) are the length L of a model.safetensors.index.json, the next L
//    bytes are that index and the rest is shard "a.safetensors"; load_model runs on the folder.
// A failure must be a model/file error; a success must give tensors inside the bytes.
#include <cstdint>
#include <filesystem>
#include <fstream>

#include "fuzz-util.h"
#include "inference/loaders/safetensors.h"
#include "inference/model.h"

using namespace atelier;

extern "C" int LLVMFuzzerInitialize(int*, char***) { return 0; }

namespace {

bool model_error(ErrorCode c) {
    return c == ErrorCode::ModelFormat || c == ErrorCode::ModelTruncated || c == ErrorCode::ModelUnsupported;
}

void from_memory(const uint8_t* data, size_t size) {
    auto h = infer::parse_safetensors(data, size, "fuzz.safetensors");
    if (!h.ok()) {
        FUZZ_CHECK(model_error(h.error().code));
        return;
    }
    for (const auto& t : h->tensors) {
        FUZZ_CHECK(t.file_offset >= h->data_offset);
        FUZZ_CHECK(t.file_offset + t.size_bytes <= size);
        FUZZ_CHECK(t.n_dims >= 0 && t.n_dims <= 4);
    }
}

void write_file(const std::filesystem::path& p, const uint8_t* data, size_t size) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
}

void from_folder(const uint8_t* data, size_t size) {
    if (size < 2) return;
    const size_t index_len = std::min<size_t>(size - 2, data[0] | (size_t{data[1]} << 8));
    const auto dir = fuzz::scratch_dir() / "st";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    write_file(dir / "model.safetensors.index.json", data + 2, index_len);
    write_file(dir / "a.safetensors", data + 2 + index_len, size - 2 - index_len);
    auto m = infer::load_model(dir);
    if (!m.ok()) {
        FUZZ_CHECK(model_error(m.error().code) || m.error().code == ErrorCode::NotFound ||
                   m.error().code == ErrorCode::IoError);
        return;
    }
    for (const auto& t : (*m)->tensors()) {
        const auto* base = static_cast<const uint8_t*>(t.storage.get());
        FUZZ_CHECK(static_cast<const uint8_t*>(t.data) >= base);
        FUZZ_CHECK(static_cast<uint64_t>(static_cast<const uint8_t*>(t.data) - base) + static_cast<uint64_t>(t.n_bytes()) <=
                   size - 2 - index_len);
    }
    (void)infer::plan_memory((*m)->summary(), {}, infer::SystemInfo{8, 16ull << 30, 8ull << 30});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    if (data[0] % 2 == 0) from_memory(data + 1, size - 1);
    else from_folder(data + 1, size - 1);
    return 0;
}
