// avx2 build of the float kernels (RmsNorm, Softmax, Rope, Silu, SwiGLU, Add/Mul): the shared
// source float-ops.inc compiled with this file's ISA flags (inference/CMakeLists.txt). Runs only
// when cpu_variant_score(CpuVariant::Avx2) > 0.
#define ATELIER_ISA_NS avx2
#include "inference/cpu/x86/float-ops.inc"
