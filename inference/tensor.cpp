// Tensor construction and shape helpers. Sizes come from dtype_row_bytes with overflow checks.
#include "inference/tensor.h"

#include <cstdlib>
#include <cstring>

namespace atelier::infer {
namespace {

Status fill_shape(Tensor& t, DType type, std::initializer_list<int64_t> shape) {
    if (shape.size() == 0 || shape.size() > kMaxDims)
        return make_error(ErrorCode::InvalidArgument, "tensor needs 1 to 4 dimensions");
    t.type = type;
    t.n_dims = static_cast<int>(shape.size());
    int i = 0;
    for (int64_t n : shape) {
        if (n < 0) return make_error(ErrorCode::InvalidArgument, "negative tensor dimension");
        t.ne[static_cast<size_t>(i++)] = n;
    }
    ATELIER_TRY_ASSIGN(int64_t rb, dtype_row_bytes(type, t.ne[0]));
    t.nb[0] = dtype_traits(type).block_bytes;
    t.nb[1] = rb;
    for (size_t d = 2; d < kMaxDims; ++d)
        if (__builtin_mul_overflow(t.nb[d - 1], t.ne[d - 1], &t.nb[d]))
            return make_error(ErrorCode::InvalidArgument, "tensor size overflows");
    int64_t total = 0;
    if (__builtin_mul_overflow(t.nb[3], t.ne[3], &total))
        return make_error(ErrorCode::InvalidArgument, "tensor size overflows");
    return ok_status();
}

}  // namespace

int64_t Tensor::row_bytes() const { return dtype_row_bytes(type, ne[0]).value_or(0); }

int64_t Tensor::n_bytes() const { return row_bytes() * n_rows(); }

bool Tensor::is_contiguous() const {
    int64_t expect = row_bytes();
    if (nb[1] != expect) return false;
    for (size_t d = 2; d < kMaxDims; ++d) {
        expect *= ne[d - 1];
        if (ne[d] > 1 && nb[d] != expect) return false;
    }
    return true;
}

Result<Tensor> Tensor::make(DType type, std::initializer_list<int64_t> shape, std::string name) {
    Tensor t;
    t.name = std::move(name);
    ATELIER_TRY(fill_shape(t, type, shape));
    const int64_t bytes = t.nb[3] * t.ne[3];
    const size_t alloc = (static_cast<size_t>(bytes) + 63) / 64 * 64;
    void* p = alloc ? std::aligned_alloc(64, alloc) : nullptr;
    if (alloc && !p)
        return make_error(ErrorCode::OutOfMemory, "cannot allocate " + std::to_string(bytes) + " bytes for tensor " + t.name,
                          "close other programs or use a smaller model/context");
    if (p) std::memset(p, 0, alloc);
    t.storage = std::shared_ptr<void>(p, [](void* q) { std::free(q); });
    t.data = p;
    return t;
}

Result<Tensor> Tensor::wrap(DType type, std::initializer_list<int64_t> shape, void* data, std::shared_ptr<void> keep_alive,
                            std::string name) {
    Tensor t;
    t.name = std::move(name);
    ATELIER_TRY(fill_shape(t, type, shape));
    t.data = data;
    t.storage = std::move(keep_alive);
    return t;
}

Tensor Tensor::view_rows(int64_t first_row, int64_t n) const {
    Tensor v = *this;
    v.data = static_cast<char*>(data) + first_row * nb[1];
    v.ne[1] = n;
    return v;
}

std::string Tensor::shape_string() const {
    std::string s = "[";
    for (int d = 0; d < std::max(n_dims, 1); ++d) {
        if (d) s += ", ";
        s += std::to_string(ne[static_cast<size_t>(d)]);
    }
    return s + "]";
}

}  // namespace atelier::infer
