// Reference MatMul (the spec): each W row is dequantised with dequantize_row (Q4_K_R16 through its
// group of 16 rows; plus DeepSeek's
// UE8M0 block scales for F8_E4M3 / FP4_E2M1), then dotted with each f32 column of x in double.
// Rows of W are split across the pool; each task owns one K-float buffer from scratch.
#include <algorithm>
#include <vector>

#include "inference/cpu/kernels.h"
#include "inference/cpu/tensor-rows.h"
#include "inference/quant.h"
#include "inference/quant/float-convert.h"

namespace atelier::infer::cpu::ref {
namespace {

// W row n as K floats, block scales applied.
Status dequant_w_row(const MatMulArgs& a, int64_t n, float* out) {
    const Tensor& w = *a.w;
    const int64_t K = w.ne[0];
    ATELIER_TRY(weight_row_f32(w, n, out));
    if (w.type == DType::F8_E4M3 || w.type == DType::FP4_E2M1) {
        const auto* srow = reinterpret_cast<const uint8_t*>(static_cast<const char*>(a.w_scale->data) +
                                                            (n / a.scale_block_n) * a.w_scale->nb[1]);
        for (int64_t k = 0; k < K; ++k) out[k] *= e8m0_to_f32(srow[k / a.scale_block_k]);
    }
    return ok_status();
}

}  // namespace

bool matmul_supports(const OpTypes& t) {
    const bool w_ok = t.src0 != DType::Invalid && t.src0 != DType::F64 && t.src0 != DType::I8 &&
                      t.src0 != DType::I16 && t.src0 != DType::I32 && t.src0 != DType::I64 &&
                      t.src0 != DType::F8_E8M0 && t.src0 != DType::Count;
    return w_ok && (t.src1 == DType::F32 || t.src1 == DType::BF16) && t.dst == DType::F32;
}

Status matmul(const OpCall& call, ExecContext& ctx) {
    const auto& a = std::get<MatMulArgs>(call.args);
    const int64_t K = a.w->ne[0], N = a.w->ne[1], M = a.x->n_rows();
    // x columns as contiguous f32 [M][K].
    float* xf = ctx.scratch->alloc_array<float>(static_cast<size_t>(M * K));
    const int64_t parts = std::max<int64_t>(1, std::min<int64_t>(N, ctx.n_threads * 4));
    float* wbuf = ctx.scratch->alloc_array<float>(static_cast<size_t>(parts * K));
    if ((M > 0 && K > 0 && !xf) || !wbuf) return make_error(ErrorCode::OutOfMemory, "matmul: scratch", "use a smaller batch");
    for (int64_t m = 0; m < M; ++m) ATELIER_TRY(dequantize_row(a.x->type, row_ptr(*a.x, m), xf + m * K, K));
    std::vector<Status> status(static_cast<size_t>(parts));
    parallel_for(ctx, parts, [&](int64_t p) {
        float* wr = wbuf + p * K;
        const Range r = split_range(N, parts, p);
        for (int64_t n = r.begin; n < r.end; ++n) {
            Status s = dequant_w_row(a, n, wr);
            if (!s) {
                status[static_cast<size_t>(p)] = std::move(s);
                return;
            }
            for (int64_t m = 0; m < M; ++m) {
                const float* xc = xf + m * K;
                double acc = 0;
                for (int64_t k = 0; k < K; ++k) acc += static_cast<double>(wr[k]) * xc[k];
                row_f32(*a.y, m)[n] = static_cast<float>(acc);
            }
        }
    });
    for (Status& s : status) ATELIER_TRY(std::move(s));
    return ok_status();
}

bool matmul_group_supports(const OpTypes& t) { return matmul_supports(t); }

// The group is its items, one after another (the specification of MatMulGroup).
Status matmul_group(const OpCall& call, ExecContext& ctx) {
    for (const MatMulArgs& a : std::get<MatMulGroupArgs>(call.args).items) ATELIER_TRY(matmul(OpCall{Op::MatMul, a}, ctx));
    return ok_status();
}

}  // namespace atelier::infer::cpu::ref
