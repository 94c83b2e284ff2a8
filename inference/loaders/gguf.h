// GGUF reader: parses and validates a GGUF v2/v3 header; tensor data stays in the mapping.
//
// Format (GGUF v3, little-endian; v2 has the same layout; v1 and big-endian files are refused):
//   u32 magic "GGUF" (bytes 47 47 55 46) | u32 version | u64 n_tensors | u64 n_kv
//   n_kv x { string key | u32 value_type | value }
//       string = u64 length + bytes (no NUL); value_type ids 0..12: u8 i8 u16 i16 u32 i32 f32 bool
//       string array u64 i64 f64; array = u32 elem_type + u64 count + count elements (elements
//       of an array of arrays are themselves "u32 type + u64 count + items")
//   n_tensors x { string name | u32 n_dims (<= 4) | u64 ne[n_dims] (ne[0] contiguous) |
//                 u32 ggml_type | u64 offset (relative to the data section, aligned) }
//   padding to `general.alignment` (u32 metadata, default 32, a power of two)
//   data section: tensor bytes; each tensor is dtype_row_bytes(type, ne[0]) * ne[1]*ne[2]*ne[3].
// Validation before use (all arithmetic overflow-checked): magic, version, every count against
// the bytes left (no allocation sized by an unchecked count), string and array lengths, nesting
// depth, duplicate keys and tensor names, dims, types, block multiples, offsets aligned and
// inside the file, tensors not overlapping. Errors: ModelFormat / ModelTruncated /
// ModelUnsupported, naming the file, the key or tensor, and what was expected.
// Thread-safety: pure functions; a GgufHeader is a value.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "inference/dtype.h"
#include "inference/loaders/gguf-value.h"

namespace atelier::infer {

inline constexpr uint32_t kGgufMagic = 0x46554747;  // "GGUF" read as a little-endian u32
inline constexpr uint32_t kGgufDefaultAlignment = 32;
inline constexpr int kGgufMaxArrayDepth = 8;  // nesting deeper than this is refused (no real file nests)

struct GgufTensorInfo {
    std::string name;
    DType type = DType::Invalid;
    int n_dims = 0;
    std::array<int64_t, 4> ne{1, 1, 1, 1};
    uint64_t offset = 0;      // relative to the data section, as stored
    uint64_t file_offset = 0; // absolute position of the first byte in the file
    uint64_t size_bytes = 0;
};

struct GgufHeader {
    uint32_t version = 0;
    uint64_t alignment = kGgufDefaultAlignment;
    uint64_t data_offset = 0;  // absolute start of the data section
    uint64_t file_size = 0;
    std::vector<std::pair<std::string, GgufValue>> metadata;  // file order
    std::vector<GgufTensorInfo> tensors;                      // file order

    const GgufValue* find(std::string_view key) const;  // nullptr when absent (linear; use an index for hot paths)
};

// Parses `size` bytes at `data` (a whole file). `file_label` (the path) starts every message.
Result<GgufHeader> parse_gguf(const uint8_t* data, uint64_t size, const std::string& file_label);

// True when the bytes start with the GGUF magic (for format detection).
bool looks_like_gguf(const uint8_t* data, uint64_t size);

}  // namespace atelier::infer
