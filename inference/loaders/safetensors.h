// safetensors reader: validates the header of one .safetensors file, and parses the shard index
// (model.safetensors.index.json) of a sharded model. Tensor data stays in the mapping.
//
// Format (huggingface/safetensors): u64 little-endian N | N bytes of UTF-8 JSON (may end in
// spaces) | data buffer. The JSON is an object: "__metadata__" -> {string: string} (optional),
// and for each tensor name -> {"dtype": "F32"|"F16"|"BF16"|"F64"|"I8"|"I16"|"I32"|"I64"|"U8"|
// "F8_E4M3"|"F8_E8M0"|..., "shape": [d0, ..., dk] (outermost first), "data_offsets": [begin, end]}
// with offsets relative to the data buffer (byte 8 + N). We store ne reversed (ne[0] = dk).
// Validation: N <= kSafetensorsMaxHeaderBytes and inside the file, JSON nesting <= 64, known
// dtype, <= 4 dims, end - begin == the shape's bytes, end inside the file, no two tensors
// overlapping. Index: {"metadata": {...}, "weight_map": {tensor: shard file name}}; shard names
// must be plain file names in the same folder.
// Thread-safety: pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "inference/dtype.h"

namespace atelier::infer {

// A header this large is refused before parsing: real headers are a few MB even for 1T models
// (DeepSeek V4-Pro's largest shard header is ~1.5 MB); the safetensors library caps it at 100 MB.
inline constexpr uint64_t kSafetensorsMaxHeaderBytes = 100ull << 20;

struct SafetensorsTensorInfo {
    std::string name;
    DType type = DType::Invalid;
    int n_dims = 0;
    std::array<int64_t, 4> ne{1, 1, 1, 1};  // ggml order: ne[0] is the last (contiguous) HF dim
    uint64_t file_offset = 0;               // absolute
    uint64_t size_bytes = 0;
};

struct SafetensorsHeader {
    uint64_t data_offset = 0;  // 8 + N
    std::vector<SafetensorsTensorInfo> tensors;    // sorted by name
    std::map<std::string, std::string> metadata;   // "__metadata__" (non-string values as JSON text)
};

struct SafetensorsIndex {
    std::map<std::string, std::string> weight_map;  // tensor name -> shard file name
    std::vector<std::string> shards;                // distinct shard names, sorted
};

std::optional<DType> dtype_from_safetensors(std::string_view name);
const char* dtype_safetensors_name(DType t);  // "F32", ...; nullptr where safetensors has none

Result<SafetensorsHeader> parse_safetensors(const uint8_t* data, uint64_t size, const std::string& file_label);
Result<SafetensorsIndex> parse_safetensors_index(std::string_view json_text, const std::string& file_label);

}  // namespace atelier::infer
