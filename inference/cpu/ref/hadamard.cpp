// Reference Hadamard: y = H_n·x·scale with H_n the Sylvester-ordered Walsh-Hadamard matrix
// (H_1 = [1], H_2n = [[H, H], [H, -H]]), scale 1/sqrt(n) by default (V4 indexer §3.5). Written as
// the plain O(n²) sum Σ_j (-1)^popcount(i&j) x_j in double, as the definition.
#include <cmath>
#include <vector>

#include "inference/cpu/kernels.h"
#include "inference/cpu/tensor-rows.h"

namespace atelier::infer::cpu::ref {

bool hadamard_supports(const OpTypes& t) { return t.src0 == DType::F32 && t.dst == DType::F32; }

Status hadamard(const OpCall& call, ExecContext& ctx) {
    const auto& a = std::get<HadamardArgs>(call.args);
    const int64_t n = a.x->ne[0];
    const double scale = a.scale != 0.0f ? a.scale : 1.0 / std::sqrt(static_cast<double>(n));
    parallel_for(ctx, a.x->n_rows(), [&](int64_t r) {
        const float* x = row_f32(*a.x, r);
        std::vector<double> out(static_cast<size_t>(n));
        for (int64_t i = 0; i < n; ++i) {
            double acc = 0;
            for (int64_t j = 0; j < n; ++j) acc += (__builtin_popcountll(static_cast<uint64_t>(i & j)) & 1) ? -x[j] : x[j];
            out[static_cast<size_t>(i)] = acc * scale;
        }
        float* y = row_f32(*a.y, r);
        for (int64_t i = 0; i < n; ++i) y[i] = static_cast<float>(out[static_cast<size_t>(i)]);
    });
    return ok_status();
}

}  // namespace atelier::infer::cpu::ref
