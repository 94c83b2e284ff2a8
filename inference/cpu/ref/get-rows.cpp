// Reference GetRows (embedding lookup via dequantize_row) and AddRows (scatter-add, in id order).
// Both check every id before writing anything: a bad id is an InvalidArgument error.
#include <string>

#include "inference/cpu/kernels.h"
#include "inference/cpu/tensor-rows.h"
#include "inference/quant.h"

namespace atelier::infer::cpu::ref {

Status check_row_ids(const Tensor& ids, int64_t n_rows, const char* what) {
    const auto* id = static_cast<const int32_t*>(ids.data);
    for (int64_t i = 0; i < ids.ne[0]; ++i)
        if (id[i] < 0 || id[i] >= n_rows)
            return make_error(ErrorCode::InvalidArgument,
                              std::string(what) + ": id " + std::to_string(id[i]) + " at " + std::to_string(i) +
                                  " is outside [0, " + std::to_string(n_rows) + ")",
                              "token or expert ids must come from the model's vocabulary");
    return ok_status();
}

bool get_rows_supports(const OpTypes& t) {
    return ref::matmul_supports({t.src0, DType::F32, DType::F32}) && t.src1 == DType::I32 && t.dst == DType::F32;
}

Status get_rows(const OpCall& call, ExecContext&) {
    const auto& a = std::get<GetRowsArgs>(call.args);
    ATELIER_TRY(check_row_ids(*a.ids, a.table->ne[1], "get_rows"));
    const auto* id = static_cast<const int32_t*>(a.ids->data);
    for (int64_t i = 0; i < a.ids->ne[0]; ++i)
        ATELIER_TRY(dequantize_row(a.table->type, static_cast<const char*>(a.table->data) + id[i] * a.table->nb[1],
                                   row_f32(*a.y, i), a.table->ne[0]));
    return ok_status();
}

bool add_rows_supports(const OpTypes& t) { return t.src0 == DType::F32 && t.src1 == DType::I32 && t.dst == DType::F32; }

Status add_rows(const OpCall& call, ExecContext&) {
    const auto& a = std::get<AddRowsArgs>(call.args);
    ATELIER_TRY(check_row_ids(*a.ids, a.dst->ne[1], "add_rows"));
    const auto* id = static_cast<const int32_t*>(a.ids->data);
    for (int64_t i = 0; i < a.ids->ne[0]; ++i) {
        const float s = a.scale ? static_cast<const float*>(a.scale->data)[i] : 1.0f;
        const float* src = row_f32(*a.src, i);
        float* dst = row_f32(*a.dst, id[i]);
        for (int64_t k = 0; k < a.src->ne[0]; ++k) dst[k] += s * src[k];
    }
    return ok_status();
}

}  // namespace atelier::infer::cpu::ref
