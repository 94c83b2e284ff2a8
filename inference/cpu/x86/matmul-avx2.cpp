// avx2 build of MatMul (matvec int8/float paths and the GEMM path): the shared source
// matmul.inc compiled with this file's ISA flags (inference/CMakeLists.txt). Runs only when
// cpu_variant_score(CpuVariant::Avx2) > 0.
#define ATELIER_ISA_NS avx2
#include "inference/cpu/x86/matmul.inc"
