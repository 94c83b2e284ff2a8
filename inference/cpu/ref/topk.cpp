// Reference TopK: per row, the k largest values in descending order. Tie rule: among equal
// values the lower index comes first, so it also wins the last place (DeepSeek's indexer and
// MoE gate, deepseek-v4.md §3.12). NaN ranks below every number (including -inf).
#include <algorithm>
#include <cmath>
#include <vector>

#include "inference/cpu/kernels.h"
#include "inference/cpu/tensor-rows.h"

namespace atelier::infer::cpu::ref {

bool topk_supports(const OpTypes& t) { return t.src0 == DType::F32 && t.dst == DType::I32; }

Status topk(const OpCall& call, ExecContext&) {
    const auto& a = std::get<TopKArgs>(call.args);
    const int64_t n = a.x->ne[0];
    std::vector<int32_t> idx(static_cast<size_t>(n));
    for (int64_t r = 0; r < a.x->n_rows(); ++r) {
        const float* x = row_f32(*a.x, r);
        for (int64_t i = 0; i < n; ++i) idx[static_cast<size_t>(i)] = static_cast<int32_t>(i);
        auto before = [x](int32_t p, int32_t q) {  // strict weak order: greater value, then lower index
            const bool pn = std::isnan(x[p]), qn = std::isnan(x[q]);
            if (pn != qn) return qn;
            if (!pn && x[p] != x[q]) return x[p] > x[q];
            return p < q;
        };
        std::partial_sort(idx.begin(), idx.begin() + a.k, idx.end(), before);
        int32_t* out_i = reinterpret_cast<int32_t*>(row_ptr(*a.indices, r));
        float* out_v = a.values ? row_f32(*a.values, r) : nullptr;
        for (int64_t j = 0; j < a.k; ++j) {
            out_i[j] = idx[static_cast<size_t>(j)];
            if (out_v) out_v[j] = x[idx[static_cast<size_t>(j)]];
        }
    }
    return ok_status();
}

}  // namespace atelier::infer::cpu::ref
