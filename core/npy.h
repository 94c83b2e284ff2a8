// NumPy .npy files (format 1.0/2.0/3.0): read and write little-endian, C-order arrays of f32, f64,
// i32, i64 and u16 (bf16 bit patterns). Headers are validated strictly: exactly the keys descr,
// fortran_order, shape; a supported little-endian descr; C order; non-negative dims whose product
// matches the data size exactly. NpyRowWriter appends rows whose count is known only at the end
// (the CLI's --dump-logits) and rewrites the shape when finished.
// Thread-safety: pure functions; an NpyRowWriter belongs to one thread.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace atelier {

enum class NpyType : uint8_t { Invalid = 0, F32, F64, I32, I64, U16 };
const char* npy_descr(NpyType t);   // "<f4", "<f8", "<i4", "<i8", "<u2"
size_t npy_item_bytes(NpyType t);   // 4, 8, 4, 8, 2 (0 for Invalid)

struct NpyArray {
    NpyType type = NpyType::Invalid;
    std::vector<int64_t> shape;  // empty: a scalar (one element)
    std::vector<uint8_t> bytes;  // n_elements() * item bytes, little-endian, C order

    int64_t n_elements() const;
    // Typed views; empty when the type differs.
    std::span<const float> f32() const;
    std::span<const double> f64() const;
    std::span<const int32_t> i32() const;
    std::span<const int64_t> i64() const;
    std::span<const uint16_t> u16() const;
};

// Parses an in-memory .npy image; `label` names it in errors. Errors: InvalidArgument for a
// malformed header or a size mismatch, Unsupported for a valid file we do not read (big-endian,
// Fortran order, another dtype, pickled objects).
Result<NpyArray> parse_npy(std::span<const uint8_t> file, std::string_view label);
// Reads a file. Errors as parse_npy, plus NotFound / IoError.
Result<NpyArray> read_npy(const std::filesystem::path& path);

// The complete file image (version 1.0 unless the header needs 2.0); header padded so the data
// starts at a multiple of 64. `data` holds n_elements * item bytes.
Result<std::vector<uint8_t>> encode_npy(NpyType type, std::span<const int64_t> shape, const void* data);
// Writes atomically enough for tests and tools (temporary name, then rename).
Status write_npy(const std::filesystem::path& path, NpyType type, std::span<const int64_t> shape, const void* data);
inline Status write_npy(const std::filesystem::path& path, std::span<const int64_t> shape, std::span<const float> v) {
    return write_npy(path, NpyType::F32, shape, v.data());
}

// Streams rows of a fixed row shape; the leading dimension is the number of rows appended.
// The header is written with room for any row count and rewritten by finish().
class NpyRowWriter {
public:
    static Result<std::unique_ptr<NpyRowWriter>> create(const std::filesystem::path& path, NpyType type,
                                                         std::vector<int64_t> row_shape);
    ~NpyRowWriter();
    NpyRowWriter(const NpyRowWriter&) = delete;
    NpyRowWriter& operator=(const NpyRowWriter&) = delete;
    // `row` holds row_elements() values of the writer's type.
    Status append(const void* row);
    Status append(std::span<const float> row);  // F32 writers only; size must match
    // Rewrites the header with the final shape and closes the file. Idempotent.
    Status finish();
    int64_t rows() const { return rows_; }
    int64_t row_elements() const;

private:
    NpyRowWriter() = default;
    std::filesystem::path path_;
    NpyType type_ = NpyType::Invalid;
    std::vector<int64_t> row_shape_;
    int64_t rows_ = 0;
    FILE* f_ = nullptr;
};

}  // namespace atelier
