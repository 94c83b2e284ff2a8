// The CPU kernel table: which variant implements which op. The backend picks, per call, the
// highest-scoring variant this CPU can run whose supports() accepts the types (cpu-backend.cpp).
#include <array>

#include "inference/cpu/kernels.h"

namespace atelier::infer::cpu {
namespace {

#define K(OP, VAR, ns, fn) KernelEntry{Op::OP, CpuVariant::VAR, &ns::fn##_supports, &ns::fn}

constexpr std::array kTable = {
    // Scalar references: every op.
    K(MatMul, Ref, ref, matmul),
    K(MatMulGroup, Ref, ref, matmul_group),
    K(RmsNorm, Ref, ref, rms_norm),
    K(Softmax, Ref, ref, softmax),
    K(Rope, Ref, ref, rope),
    K(Silu, Ref, ref, unary),
    K(Gelu, Ref, ref, unary),
    K(Sigmoid, Ref, ref, unary),
    K(Softplus, Ref, ref, unary),
    K(SqrtSoftplus, Ref, ref, unary),
    K(SwiGlu, Ref, ref, swiglu),
    K(TopK, Ref, ref, topk),
    K(GetRows, Ref, ref, get_rows),
    K(AddRows, Ref, ref, add_rows),
    K(Hadamard, Ref, ref, hadamard),
    K(Add, Ref, ref, binary),
    K(Mul, Ref, ref, binary),
    // AVX2 + FMA + F16C.
    K(MatMul, Avx2, avx2, matmul),
    K(MatMulGroup, Avx2, avx2, matmul_group),
    K(RmsNorm, Avx2, avx2, rms_norm),
    K(Softmax, Avx2, avx2, softmax),
    K(Rope, Avx2, avx2, rope),
    K(Silu, Avx2, avx2, unary),
    K(SwiGlu, Avx2, avx2, swiglu),
    K(Add, Avx2, avx2, binary),
    K(Mul, Avx2, avx2, binary),
    K(Sigmoid, Avx2, avx2, activation),
    K(Softplus, Avx2, avx2, activation),
    K(SqrtSoftplus, Avx2, avx2, activation),
    K(Gelu, Avx2, avx2, activation),
    K(Hadamard, Avx2, avx2, hadamard),
    K(GetRows, Avx2, avx2, get_rows),
    K(AddRows, Avx2, avx2, add_rows),
    K(TopK, Avx2, avx2, topk),
    // AVX-512 (+VNNI, +BF16).
    K(MatMul, Avx512, avx512, matmul),
    K(MatMulGroup, Avx512, avx512, matmul_group),
    K(RmsNorm, Avx512, avx512, rms_norm),
    K(Softmax, Avx512, avx512, softmax),
    K(Rope, Avx512, avx512, rope),
    K(Silu, Avx512, avx512, unary),
    K(SwiGlu, Avx512, avx512, swiglu),
    K(Add, Avx512, avx512, binary),
    K(Mul, Avx512, avx512, binary),
    K(Sigmoid, Avx512, avx512, activation),
    K(Softplus, Avx512, avx512, activation),
    K(SqrtSoftplus, Avx512, avx512, activation),
    K(Gelu, Avx512, avx512, activation),
    K(Hadamard, Avx512, avx512, hadamard),
    K(GetRows, Avx512, avx512, get_rows),
    K(AddRows, Avx512, avx512, add_rows),
    K(TopK, Avx512, avx512, topk),
};

#undef K

}  // namespace

std::span<const KernelEntry> kernel_table() { return kTable; }

}  // namespace atelier::infer::cpu
