// Internal: for_rows(ctx, n_rows, row_len, body) runs body(row) for every row, split across the
// pool in chunks when there is enough work (>= kMinElemsPerTask elements per task). Internal
// linkage (anonymous namespace) like vec.h; include only from cpu/x86/*.inc. Called on the
// thread that owns ctx; body runs on pool threads and must write disjoint rows.
#pragma once

#include <cstdint>

#include "inference/cpu/kernels.h"
#include "inference/cpu/tensor-rows.h"

namespace atelier::infer::cpu {
namespace {

constexpr int64_t kMinElemsPerTask = 16384;

template <class Body>
void for_rows(ExecContext& ctx, int64_t n_rows, int64_t row_len, Body&& body) {
    int64_t parts = n_rows * row_len / kMinElemsPerTask;
    parts = parts < 1 ? 1 : parts;
    parts = parts > ctx.n_threads * 4 ? ctx.n_threads * 4 : parts;
    parts = parts > n_rows ? n_rows : parts;
    parallel_for(ctx, parts, [&](int64_t p) {
        const Range r = split_range(n_rows, parts, p);
        for (int64_t i = r.begin; i < r.end; ++i) body(i);
    });
}

}  // namespace
}  // namespace atelier::infer::cpu
