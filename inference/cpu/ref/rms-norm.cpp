// Reference RmsNorm: y = x / sqrt(mean(x²) + eps) · w, mean accumulated in double. w optional.
#include "inference/cpu/kernels.h"
#include "inference/cpu/tensor-rows.h"
#include "inference/quant/float-convert.h"

#include <cmath>

namespace atelier::infer::cpu::ref {

bool rms_norm_supports(const OpTypes& t) {
    return t.src0 == DType::F32 && t.dst == DType::F32 &&
           (t.src1 == DType::Invalid || t.src1 == DType::F32 || t.src1 == DType::BF16);
}

Status rms_norm(const OpCall& call, ExecContext&) {
    const auto& a = std::get<RmsNormArgs>(call.args);
    const int64_t n = a.x->ne[0];
    for (int64_t r = 0; r < a.x->n_rows(); ++r) {
        const float* x = row_f32(*a.x, r);
        float* y = row_f32(*a.y, r);
        double ss = 0;
        for (int64_t i = 0; i < n; ++i) ss += static_cast<double>(x[i]) * x[i];
        const double scale = 1.0 / std::sqrt(ss / static_cast<double>(n) + a.eps);
        for (int64_t i = 0; i < n; ++i) {
            double w = 1;
            if (a.weight && a.weight->type == DType::F32) w = static_cast<const float*>(a.weight->data)[i];
            if (a.weight && a.weight->type == DType::BF16) w = bf16_to_f32(static_cast<const uint16_t*>(a.weight->data)[i]);
            y[i] = static_cast<float>(x[i] * scale * w);
        }
    }
    return ok_status();
}

}  // namespace atelier::infer::cpu::ref
