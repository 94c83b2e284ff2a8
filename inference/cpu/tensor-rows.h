// Internal helpers for kernels: address the r-th row of a 4-D view (rows ordered i1 fastest,
// then i2, i3) through its byte strides, so non-contiguous views work everywhere. Header-only
// with internal linkage (anonymous namespace), so ISA-specific translation units that include
// it never share a COMDAT copy compiled with other flags.
#pragma once

#include <cstdint>

#include "inference/quant.h"
#include "inference/tensor.h"

namespace atelier::infer::cpu {
namespace {

inline char* row_ptr(const Tensor& t, int64_t r) {
    const int64_t i1 = r % t.ne[1];
    const int64_t i2 = (r / t.ne[1]) % t.ne[2];
    const int64_t i3 = r / (t.ne[1] * t.ne[2]);
    return static_cast<char*>(t.data) + i1 * t.nb[1] + i2 * t.nb[2] + i3 * t.nb[3];
}

inline float* row_f32(const Tensor& t, int64_t r) { return reinterpret_cast<float*>(row_ptr(t, r)); }

// Row n of a 2-D matmul weight as ne[0] floats: the row dequantised, or for Q4_K_R16 (rows
// interleaved 16 at a time) the row read through its group.
inline Status weight_row_f32(const Tensor& w, int64_t n, float* out) {
    const char* base = static_cast<const char*>(w.data);
    if (w.type == DType::Q4_K_R16)
        return dequantize_row_q4k_r16(base + (n / 16) * 16 * w.nb[1], static_cast<int>(n % 16), out, w.ne[0]);
    return dequantize_row(w.type, base + n * w.nb[1], out, w.ne[0]);
}

// Split [0, n) into `parts` nearly equal ranges; range p is [begin, end).
struct Range {
    int64_t begin, end;
};
inline Range split_range(int64_t n, int64_t parts, int64_t p) {
    const int64_t base = n / parts, extra = n % parts;
    const int64_t begin = p * base + (p < extra ? p : extra);
    return {begin, begin + base + (p < extra ? 1 : 0)};
}

}  // namespace
}  // namespace atelier::infer::cpu
