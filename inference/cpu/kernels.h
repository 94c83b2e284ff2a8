// Internal: the CPU kernel table. Each variant file (cpu/ref/<op>.cpp, cpu/x86/<op>-avx2.cpp,
// cpu/x86/<op>-avx512.cpp) defines a run function and a supports function per op; dispatch.cpp
// lists them. Kernels receive validated calls (validate_call passed). Not a public header.
#pragma once

#include <span>

#include "inference/backend.h"
#include "inference/cpu/cpu-backend.h"

namespace atelier::infer::cpu {

using KernelRun = Status (*)(const OpCall&, ExecContext&);
using KernelSupports = bool (*)(const OpTypes&);

struct KernelEntry {
    Op op = Op::Invalid;
    CpuVariant variant = CpuVariant::Invalid;
    KernelSupports supports = nullptr;
    KernelRun run = nullptr;
};

std::span<const KernelEntry> kernel_table();

#define ATELIER_CPU_KERNEL(ns, fn)               \
    namespace ns {                               \
    Status fn(const OpCall&, ExecContext&);      \
    bool fn##_supports(const OpTypes&);          \
    }

ATELIER_CPU_KERNEL(ref, matmul)
ATELIER_CPU_KERNEL(ref, matmul_group)
ATELIER_CPU_KERNEL(ref, rms_norm)
ATELIER_CPU_KERNEL(ref, softmax)
ATELIER_CPU_KERNEL(ref, rope)
ATELIER_CPU_KERNEL(ref, unary)  // Silu, Sigmoid, Softplus, SqrtSoftplus, Gelu
ATELIER_CPU_KERNEL(ref, swiglu)
ATELIER_CPU_KERNEL(ref, topk)
ATELIER_CPU_KERNEL(ref, get_rows)
ATELIER_CPU_KERNEL(ref, add_rows)
ATELIER_CPU_KERNEL(ref, hadamard)
ATELIER_CPU_KERNEL(ref, binary)  // Add, Mul

ATELIER_CPU_KERNEL(avx2, matmul)
ATELIER_CPU_KERNEL(avx2, matmul_group)
ATELIER_CPU_KERNEL(avx2, rms_norm)
ATELIER_CPU_KERNEL(avx2, softmax)
ATELIER_CPU_KERNEL(avx2, rope)
ATELIER_CPU_KERNEL(avx2, unary)  // Silu
ATELIER_CPU_KERNEL(avx2, swiglu)
ATELIER_CPU_KERNEL(avx2, binary)
ATELIER_CPU_KERNEL(avx2, activation)  // Sigmoid, Softplus, SqrtSoftplus, Gelu (misc-ops.inc)
ATELIER_CPU_KERNEL(avx2, hadamard)
ATELIER_CPU_KERNEL(avx2, get_rows)  // f32, f16, bf16, Q8_0 tables
ATELIER_CPU_KERNEL(avx2, add_rows)
ATELIER_CPU_KERNEL(avx2, topk)

ATELIER_CPU_KERNEL(avx512, matmul)
ATELIER_CPU_KERNEL(avx512, matmul_group)
ATELIER_CPU_KERNEL(avx512, rms_norm)
ATELIER_CPU_KERNEL(avx512, softmax)
ATELIER_CPU_KERNEL(avx512, rope)
ATELIER_CPU_KERNEL(avx512, unary)
ATELIER_CPU_KERNEL(avx512, swiglu)
ATELIER_CPU_KERNEL(avx512, binary)
ATELIER_CPU_KERNEL(avx512, activation)  // Sigmoid, Softplus, SqrtSoftplus, Gelu (misc-ops.inc)
ATELIER_CPU_KERNEL(avx512, hadamard)
ATELIER_CPU_KERNEL(avx512, get_rows)  // f32, f16, bf16, Q8_0 tables
ATELIER_CPU_KERNEL(avx512, add_rows)
ATELIER_CPU_KERNEL(avx512, topk)

#undef ATELIER_CPU_KERNEL

namespace ref {
// GetRows/AddRows id check shared by every variant (ref/get-rows.cpp): each id in [0, n_rows),
// else InvalidArgument naming `what`, the id and its position. Checked before anything is written.
Status check_row_ids(const Tensor& ids, int64_t n_rows, const char* what);
}  // namespace ref

}  // namespace atelier::infer::cpu
