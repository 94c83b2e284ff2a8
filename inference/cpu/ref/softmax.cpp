// Reference Softmax with optional scale, additive mask and sink logit (V4 §3.3):
//   z_i = x_i·scale + mask_i;  m = max(max_i z_i, sink);  y_i = e^(z_i-m) / (Σ_j e^(z_j-m) + e^(sink-m)).
// A row that is fully masked (all -inf) with no sink yields zeros, never NaN.
#include <cmath>
#include <limits>

#include "inference/cpu/kernels.h"
#include "inference/cpu/tensor-rows.h"

namespace atelier::infer::cpu::ref {

bool softmax_supports(const OpTypes& t) { return t.src0 == DType::F32 && t.dst == DType::F32; }

Status softmax(const OpCall& call, ExecContext&) {
    const auto& a = std::get<SoftmaxArgs>(call.args);
    const Tensor& x = *a.x;
    const int64_t n = x.ne[0];
    for (int64_t r = 0; r < x.n_rows(); ++r) {
        const int64_t i1 = r % x.ne[1], i2 = (r / x.ne[1]) % x.ne[2];
        const float* xr = row_f32(x, r);
        float* yr = row_f32(*a.y, r);
        const float* mask = a.mask ? reinterpret_cast<const float*>(static_cast<const char*>(a.mask->data) + i1 * a.mask->nb[1]) : nullptr;
        double sink = -std::numeric_limits<double>::infinity();
        if (a.sink) sink = static_cast<const float*>(a.sink->data)[a.sink_dim == 1 ? i1 : i2];
        double mx = sink;
        for (int64_t i = 0; i < n; ++i) mx = std::fmax(mx, static_cast<double>(xr[i]) * a.scale + (mask ? mask[i] : 0.0));
        if (std::isinf(mx) && mx < 0) {
            for (int64_t i = 0; i < n; ++i) yr[i] = 0.0f;
            continue;
        }
        double sum = a.sink ? std::exp(sink - mx) : 0.0;
        for (int64_t i = 0; i < n; ++i) sum += std::exp(static_cast<double>(xr[i]) * a.scale + (mask ? mask[i] : 0.0) - mx);
        for (int64_t i = 0; i < n; ++i)
            yr[i] = static_cast<float>(std::exp(static_cast<double>(xr[i]) * a.scale + (mask ? mask[i] : 0.0) - mx) / sum);
    }
    return ok_status();
}

}  // namespace atelier::infer::cpu::ref
