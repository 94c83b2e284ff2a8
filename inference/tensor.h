// Tensor: a typed, strided view over memory that it either owns or borrows (a slice of a mapped
// model file). Dimension order follows ggml: ne[0] is the contiguous dimension, and shape
// comments read innermost first, e.g. [n_embd, n_tokens]. Quantised types are stored in whole
// blocks along ne[0], so nb[0] is the byte size of one block divided by its value count only
// conceptually: code must step rows by nb[1], never elements of a quantised row by nb[0].
// Thread-safety: a Tensor is a value; concurrent reads of its data are fine, writes need care.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>

#include "core/result.h"
#include "inference/dtype.h"

namespace atelier::infer {

inline constexpr int kMaxDims = 4;

struct Tensor {
    std::string name;
    DType type = DType::Invalid;
    int n_dims = 0;
    std::array<int64_t, kMaxDims> ne{1, 1, 1, 1};  // values per dimension
    std::array<int64_t, kMaxDims> nb{0, 0, 0, 0};  // byte stride per dimension (nb[1] = row stride)
    void* data = nullptr;                          // first byte; not owned
    std::shared_ptr<void> storage;                 // keeps owned memory or the file mapping alive

    int64_t n_elements() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
    int64_t n_rows() const { return ne[1] * ne[2] * ne[3]; }
    int64_t row_bytes() const;    // bytes of one contiguous row of ne[0] values
    int64_t n_bytes() const;      // bytes spanned when contiguous
    bool is_contiguous() const;

    template <class T>
    T* row(int64_t i1, int64_t i2 = 0, int64_t i3 = 0) const {
        return reinterpret_cast<T*>(static_cast<char*>(data) + i1 * nb[1] + i2 * nb[2] + i3 * nb[3]);
    }

    // A new owned, contiguous, zeroed tensor (64-byte aligned). Fails on a bad shape or when the
    // allocation fails (OutOfMemory), never throws.
    static Result<Tensor> make(DType type, std::initializer_list<int64_t> shape, std::string name = {});
    // A view over borrowed memory, contiguous strides.
    static Result<Tensor> wrap(DType type, std::initializer_list<int64_t> shape, void* data,
                               std::shared_ptr<void> keep_alive = {}, std::string name = {});
    // A view of a sub-range of rows or a transposed/permuted layout shares storage.
    Tensor view_rows(int64_t first_row, int64_t n_rows) const;
    std::string shape_string() const;  // "[4096, 32, 7]"
};

}  // namespace atelier::infer
