// Reference Add/Mul with broadcasting: y[i0,i1,i2,i3] = a[...] op b[i0 % nb0, i1 % nb1, ...]
// (b's extent along each dimension is a's or 1).
#include "inference/cpu/kernels.h"
#include "inference/cpu/tensor-rows.h"

namespace atelier::infer::cpu::ref {

bool binary_supports(const OpTypes& t) { return t.src0 == DType::F32 && t.src1 == DType::F32 && t.dst == DType::F32; }

Status binary(const OpCall& call, ExecContext&) {
    const auto& a = std::get<BinaryArgs>(call.args);
    const Tensor& A = *a.a;
    const Tensor& B = *a.b;
    for (int64_t r = 0; r < A.n_rows(); ++r) {
        const int64_t i1 = r % A.ne[1], i2 = (r / A.ne[1]) % A.ne[2], i3 = r / (A.ne[1] * A.ne[2]);
        const float* x = row_f32(A, r);
        const float* b = reinterpret_cast<const float*>(static_cast<const char*>(B.data) + (i1 % B.ne[1]) * B.nb[1] +
                                                        (i2 % B.ne[2]) * B.nb[2] + (i3 % B.ne[3]) * B.nb[3]);
        float* y = row_f32(*a.y, r);
        for (int64_t i = 0; i < A.ne[0]; ++i) {
            const float bv = b[B.ne[0] == 1 ? 0 : i];
            y[i] = call.op == Op::Add ? x[i] + bv : x[i] * bv;
        }
    }
    return ok_status();
}

}  // namespace atelier::infer::cpu::ref
