// Reference SwiGLU with DeepSeek V4's clamp (deepseek-v4.md §3.6): with limit L > 0,
//   g' = min(g, L) (upper bound only), u' = clamp(u, -L, L); y = silu(g')·u'. L <= 0: no clamp.
#include <algorithm>
#include <cmath>

#include "inference/cpu/kernels.h"
#include "inference/cpu/tensor-rows.h"

namespace atelier::infer::cpu::ref {

bool swiglu_supports(const OpTypes& t) { return t.src0 == DType::F32 && t.src1 == DType::F32 && t.dst == DType::F32; }

Status swiglu(const OpCall& call, ExecContext&) {
    const auto& a = std::get<SwiGluArgs>(call.args);
    const int64_t n = a.gate->ne[0];
    for (int64_t r = 0; r < a.gate->n_rows(); ++r) {
        const float* g = row_f32(*a.gate, r);
        const float* u = row_f32(*a.up, r);
        float* y = row_f32(*a.y, r);
        for (int64_t i = 0; i < n; ++i) {
            double gv = g[i], uv = u[i];
            if (a.limit > 0) {
                gv = std::min(gv, static_cast<double>(a.limit));
                uv = std::clamp(uv, -static_cast<double>(a.limit), static_cast<double>(a.limit));
            }
            y[i] = static_cast<float>(gv / (1.0 + std::exp(-gv)) * uv);
        }
    }
    return ok_status();
}

}  // namespace atelier::infer::cpu::ref
