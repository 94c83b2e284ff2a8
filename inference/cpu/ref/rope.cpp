// Reference Rope: for each token t (pos p), head h and pair i of the rotated span,
//   (a, b) -> (a·cos θ - b·sin θ, a·sin θ + b·cos θ)·attn_factor, θ = ±p·freq_i (minus: inverse).
// Dims outside [first_dim, first_dim + n_dims) are copied. Angles and products in double.
#include <cmath>
#include <vector>

#include "inference/cpu/kernels.h"
#include "inference/cpu/rope-freqs.h"
#include "inference/cpu/tensor-rows.h"

namespace atelier::infer::cpu::ref {

bool rope_supports(const OpTypes& t) { return t.src0 == DType::F32 && t.dst == DType::F32; }

Status rope(const OpCall& call, ExecContext&) {
    const auto& a = std::get<RopeArgs>(call.args);
    const Tensor& x = *a.x;
    const int64_t hd = x.ne[0], half = a.n_dims / 2;
    std::vector<double> freq(static_cast<size_t>(half));
    rope_freqs(a, freq.data());
    const int32_t* pos = static_cast<const int32_t*>(a.pos->data);
    for (int64_t r = 0; r < x.n_rows(); ++r) {
        const int64_t t = r / x.ne[1];
        const float* xr = row_f32(x, r);
        float* yr = row_f32(*a.y, r);
        std::vector<float> in(xr, xr + hd);  // allows x == y
        for (int64_t i = 0; i < hd; ++i) yr[i] = in[static_cast<size_t>(i)];
        const float* xs = in.data() + a.first_dim;
        float* ys = yr + a.first_dim;
        for (int64_t i = 0; i < half; ++i) {
            const double theta = (a.inverse ? -1.0 : 1.0) * static_cast<double>(pos[t]) * freq[static_cast<size_t>(i)];
            const double c = std::cos(theta) * a.attn_factor, s = std::sin(theta) * a.attn_factor;
            const int64_t i0 = rope_first(a.mode, i), i1 = rope_second(a.mode, i, a.n_dims);
            const double v0 = xs[i0], v1 = xs[i1];
            ys[i0] = static_cast<float>(v0 * c - v1 * s);
            ys[i1] = static_cast<float>(v0 * s + v1 * c);
        }
    }
    return ok_status();
}

}  // namespace atelier::infer::cpu::ref
