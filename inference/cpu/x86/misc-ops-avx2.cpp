// avx2 build of the misc kernels (Sigmoid, Softplus, SqrtSoftplus, Gelu, Hadamard, GetRows,
// AddRows, TopK): the shared source misc-ops.inc compiled with this file's ISA flags
// (inference/CMakeLists.txt). Runs only when cpu_variant_score(CpuVariant::Avx2) > 0.
#define ATELIER_ISA_NS avx2
#include "inference/cpu/x86/misc-ops.inc"
