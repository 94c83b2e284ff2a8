// Reference element-wise activations, computed in double:
//   silu x·σ(x); sigmoid σ(x) = 1/(1+e^-x); softplus log1p(e^x) (= x for x > 20, as torch);
//   sqrt_softplus √softplus(x); gelu tanh: 0.5x(1+tanh(√(2/π)(x+0.044715x³))), erf: 0.5x(1+erf(x/√2)).
#include <cmath>

#include "inference/cpu/kernels.h"
#include "inference/cpu/tensor-rows.h"

namespace atelier::infer::cpu::ref {
namespace {

double softplus(double x) { return x > 20 ? x : std::log1p(std::exp(x)); }
double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

}  // namespace

bool unary_supports(const OpTypes& t) { return t.src0 == DType::F32 && t.dst == DType::F32; }

Status unary(const OpCall& call, ExecContext&) {
    const Tensor* xt;
    Tensor* yt;
    GeluApprox approx = GeluApprox::Invalid;
    if (const auto* g = std::get_if<GeluArgs>(&call.args)) {
        xt = g->x, yt = g->y, approx = g->approx;
    } else {
        const auto& u = std::get<UnaryArgs>(call.args);
        xt = u.x, yt = u.y;
    }
    const int64_t n = xt->ne[0];
    for (int64_t r = 0; r < xt->n_rows(); ++r) {
        const float* x = row_f32(*xt, r);
        float* y = row_f32(*yt, r);
        for (int64_t i = 0; i < n; ++i) {
            const double v = x[i];
            double out = 0;
            switch (call.op) {
                case Op::Silu: out = v * sigmoid(v); break;
                case Op::Sigmoid: out = sigmoid(v); break;
                case Op::Softplus: out = softplus(v); break;
                case Op::SqrtSoftplus: out = std::sqrt(softplus(v)); break;
                case Op::Gelu:
                    out = approx == GeluApprox::Erf
                              ? 0.5 * v * (1 + std::erf(v / std::sqrt(2.0)))
                              : 0.5 * v * (1 + std::tanh(std::sqrt(2.0 / 3.14159265358979323846) * (v + 0.044715 * v * v * v)));
                    break;
                default: return make_error(ErrorCode::Internal, "unary: unexpected op");
            }
            y[i] = static_cast<float>(out);
        }
    }
    return ok_status();
}

}  // namespace atelier::infer::cpu::ref
