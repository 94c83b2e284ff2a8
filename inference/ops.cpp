// Op names, operand types and the call validation every backend runs before a kernel: tensors
// present, types allowed, shapes consistent, rows contiguous along ne[0]. Kernels may then rely
// on these facts. Thread-safety: pure functions.
#include "inference/ops.h"

#include <string>

namespace atelier::infer {
namespace {

Error bad(Op op, const std::string& what) {
    return make_error(ErrorCode::InvalidArgument, std::string(op_name(op)) + ": " + what,
                      "this is a bug in the model code that built the call");
}

bool same_shape(const Tensor& a, const Tensor& b) { return a.ne == b.ne; }

// Present, has data, rows contiguous along ne[0], of an allowed type.
Status check(Op op, const char* role, const Tensor* t, std::initializer_list<DType> allowed = {}) {
    if (!t || !t->data) return bad(op, std::string(role) + " is missing");
    if (allowed.size()) {
        bool found = false;
        for (DType d : allowed) found |= t->type == d;
        if (!found) return bad(op, std::string(role) + " has unsupported type " + dtype_name(t->type));
    }
    if (!dtype_row_bytes(t->type, t->ne[0]).ok())
        return bad(op, std::string(role) + " rows of " + std::to_string(t->ne[0]) + " are not whole blocks of " +
                           dtype_name(t->type));
    if (t->nb[0] != dtype_traits(t->type).block_bytes)
        return bad(op, std::string(role) + " is not contiguous along ne[0]");
    for (int64_t n : t->ne)
        if (n < 0) return bad(op, std::string(role) + " has a negative dimension");
    return ok_status();
}

Status validate_matmul(Op op, const MatMulArgs& a) {
    ATELIER_TRY(check(op, "w", a.w));
    ATELIER_TRY(check(op, "x", a.x, {DType::F32, DType::BF16}));
    ATELIER_TRY(check(op, "y", a.y, {DType::F32}));
    const int64_t K = a.w->ne[0], N = a.w->ne[1];
    if (a.w->ne[2] != 1 || a.w->ne[3] != 1) return bad(op, "w must be 2-D [K, N]");
    if (a.w->type == DType::Q4_K_R16 && (N % 16 != 0 || a.w->nb[1] != dtype_row_bytes(DType::Q4_K_R16, K).value_or(0)))
        return bad(op, "q4_K_r16 weights need whole groups of 16 contiguous rows, got " + a.w->shape_string());
    if (a.x->ne[0] != K) return bad(op, "x has " + std::to_string(a.x->ne[0]) + " rows, w needs " + std::to_string(K));
    if (a.y->ne[0] != N || a.y->ne[1] != a.x->ne[1] || a.y->ne[2] != a.x->ne[2] || a.y->ne[3] != a.x->ne[3])
        return bad(op, "y must be [N, M, ...] = " + std::to_string(N) + " x x's columns, got " + a.y->shape_string());
    if (a.w->type == DType::F8_E4M3 || a.w->type == DType::FP4_E2M1) {
        ATELIER_TRY(check(op, "w_scale", a.w_scale, {DType::F8_E8M0}));
        const int64_t bk = a.scale_block_k, bn = a.scale_block_n;
        if (bk <= 0 || bn <= 0) return bad(op, "scale_block_k/n must be positive for block-scaled weights");
        if (a.w->type == DType::FP4_E2M1 && (bk != 32 || bn != 1)) return bad(op, "fp4 weights take one scale per 32 K-values (bk 32, bn 1)");
        if (a.w_scale->ne[0] != (K + bk - 1) / bk || a.w_scale->ne[1] != (N + bn - 1) / bn)
            return bad(op, "w_scale shape " + a.w_scale->shape_string() + " does not match blocks of w");
    }
    return ok_status();
}

Status validate_softmax(Op op, const SoftmaxArgs& a) {
    ATELIER_TRY(check(op, "x", a.x, {DType::F32}));
    ATELIER_TRY(check(op, "y", a.y, {DType::F32}));
    if (!same_shape(*a.x, *a.y)) return bad(op, "y shape differs from x");
    if (a.mask) {
        ATELIER_TRY(check(op, "mask", a.mask, {DType::F32}));
        if (a.mask->ne[0] != a.x->ne[0] || a.mask->ne[1] != a.x->ne[1]) return bad(op, "mask must be [ne0, ne1] of x");
    }
    if (a.sink) {
        ATELIER_TRY(check(op, "sink", a.sink, {DType::F32}));
        if (a.sink_dim != 1 && a.sink_dim != 2) return bad(op, "sink_dim must be 1 or 2");
        if (a.sink->ne[0] != a.x->ne[static_cast<size_t>(a.sink_dim)]) return bad(op, "sink length must match x's sink_dim");
    }
    return ok_status();
}

Status validate_rope(Op op, const RopeArgs& a) {
    ATELIER_TRY(check(op, "x", a.x, {DType::F32}));
    ATELIER_TRY(check(op, "y", a.y, {DType::F32}));
    ATELIER_TRY(check(op, "pos", a.pos, {DType::I32}));
    if (!same_shape(*a.x, *a.y)) return bad(op, "y shape differs from x");
    if (a.pos->ne[0] != a.x->ne[2] || a.x->ne[3] != 1) return bad(op, "pos must hold one position per token (x [hd, heads, tokens])");
    if (a.mode != RopeMode::Interleaved && a.mode != RopeMode::HalfSplit) return bad(op, "mode is invalid");
    if (a.n_dims <= 0 || a.n_dims % 2 || a.first_dim < 0 || a.first_dim + a.n_dims > a.x->ne[0])
        return bad(op, "rotated dims [first_dim, first_dim+n_dims) must be even-sized and inside the head");
    if (a.ext_factor > 0 && a.n_ctx_orig <= 0) return bad(op, "YaRN needs n_ctx_orig");
    return ok_status();
}

Status validate_rows(Op op, const OpCall& c) {
    if (const auto* a = std::get_if<GetRowsArgs>(&c.args)) {
        ATELIER_TRY(check(op, "table", a->table));
        if (a->table->type == DType::Q4_K_R16) return bad(op, "a q4_K_r16 tensor (rows interleaved) cannot be a row table");
        ATELIER_TRY(check(op, "ids", a->ids, {DType::I32}));
        ATELIER_TRY(check(op, "y", a->y, {DType::F32}));
        if (a->table->ne[2] != 1 || a->table->ne[3] != 1 || a->ids->n_elements() != a->ids->ne[0])
            return bad(op, "table must be 2-D and ids 1-D");
        if (a->y->ne[0] != a->table->ne[0] || a->y->ne[1] != a->ids->ne[0] || a->y->n_rows() != a->y->ne[1])
            return bad(op, "y must be [n_embd, n_ids]");
        return ok_status();
    }
    const auto* a = std::get_if<AddRowsArgs>(&c.args);
    if (!a) return bad(op, "arguments do not match the op");
    ATELIER_TRY(check(op, "src", a->src, {DType::F32}));
    ATELIER_TRY(check(op, "ids", a->ids, {DType::I32}));
    ATELIER_TRY(check(op, "dst", a->dst, {DType::F32}));
    if (a->ids->n_elements() != a->ids->ne[0] || a->src->n_rows() != a->ids->ne[0] || a->src->ne[0] != a->dst->ne[0] ||
        a->dst->n_rows() != a->dst->ne[1])
        return bad(op, "need src [n_embd, n], ids [n], dst [n_embd, rows]");
    if (a->scale) {
        ATELIER_TRY(check(op, "scale", a->scale, {DType::F32}));
        if (a->scale->ne[0] != a->ids->ne[0]) return bad(op, "scale must hold one value per id");
    }
    return ok_status();
}

Status validate_other(Op op, const OpCall& c) {
    if (const auto* a = std::get_if<RmsNormArgs>(&c.args)) {
        ATELIER_TRY(check(op, "x", a->x, {DType::F32}));
        ATELIER_TRY(check(op, "y", a->y, {DType::F32}));
        if (!same_shape(*a->x, *a->y)) return bad(op, "y shape differs from x");
        if (a->weight) {
            ATELIER_TRY(check(op, "weight", a->weight, {DType::F32, DType::BF16}));
            if (a->weight->ne[0] != a->x->ne[0]) return bad(op, "weight length differs from rows");
        }
        return ok_status();
    }
    if (const auto* a = std::get_if<UnaryArgs>(&c.args)) {
        ATELIER_TRY(check(op, "x", a->x, {DType::F32}));
        ATELIER_TRY(check(op, "y", a->y, {DType::F32}));
        return same_shape(*a->x, *a->y) ? ok_status() : Status(bad(op, "y shape differs from x"));
    }
    if (const auto* a = std::get_if<GeluArgs>(&c.args)) {
        ATELIER_TRY(check(op, "x", a->x, {DType::F32}));
        ATELIER_TRY(check(op, "y", a->y, {DType::F32}));
        if (a->approx != GeluApprox::Tanh && a->approx != GeluApprox::Erf) return bad(op, "approx is invalid");
        return same_shape(*a->x, *a->y) ? ok_status() : Status(bad(op, "y shape differs from x"));
    }
    if (const auto* a = std::get_if<SwiGluArgs>(&c.args)) {
        ATELIER_TRY(check(op, "gate", a->gate, {DType::F32}));
        ATELIER_TRY(check(op, "up", a->up, {DType::F32}));
        ATELIER_TRY(check(op, "y", a->y, {DType::F32}));
        if (!same_shape(*a->gate, *a->up) || !same_shape(*a->gate, *a->y)) return bad(op, "gate, up and y differ in shape");
        return ok_status();
    }
    if (const auto* a = std::get_if<TopKArgs>(&c.args)) {
        ATELIER_TRY(check(op, "x", a->x, {DType::F32}));
        ATELIER_TRY(check(op, "indices", a->indices, {DType::I32}));
        if (a->k < 1 || a->k > a->x->ne[0]) return bad(op, "k must be in [1, row length]");
        auto expect = a->x->ne;
        expect[0] = a->k;
        if (a->indices->ne != expect) return bad(op, "indices must be [k, rows of x]");
        if (a->values) {
            ATELIER_TRY(check(op, "values", a->values, {DType::F32}));
            if (a->values->ne != expect) return bad(op, "values must be [k, rows of x]");
        }
        return ok_status();
    }
    if (const auto* a = std::get_if<HadamardArgs>(&c.args)) {
        ATELIER_TRY(check(op, "x", a->x, {DType::F32}));
        ATELIER_TRY(check(op, "y", a->y, {DType::F32}));
        const int64_t n = a->x->ne[0];
        if (n < 1 || (n & (n - 1))) return bad(op, "length must be a power of two");
        return same_shape(*a->x, *a->y) ? ok_status() : Status(bad(op, "y shape differs from x"));
    }
    if (const auto* a = std::get_if<BinaryArgs>(&c.args)) {
        ATELIER_TRY(check(op, "a", a->a, {DType::F32}));
        ATELIER_TRY(check(op, "b", a->b, {DType::F32}));
        ATELIER_TRY(check(op, "y", a->y, {DType::F32}));
        if (!same_shape(*a->a, *a->y)) return bad(op, "y shape differs from a");
        for (size_t d = 0; d < kMaxDims; ++d)
            if (a->b->ne[d] != a->a->ne[d] && a->b->ne[d] != 1) return bad(op, "b does not broadcast to a");
        return ok_status();
    }
    return bad(op, "arguments do not match the op");
}

template <class A>
bool args_are(const OpCall& c) { return std::holds_alternative<A>(c.args); }

}  // namespace

const char* op_name(Op op) {
    static constexpr const char* kNames[] = {"invalid", "matmul",  "rms_norm", "softmax", "rope",     "silu",
                                             "gelu",    "swiglu",  "sigmoid",  "softplus", "sqrt_softplus",
                                             "top_k",   "get_rows", "add_rows", "hadamard", "add",   "mul",  "matmul_group"};
    static_assert(std::size(kNames) == static_cast<size_t>(Op::Count));
    const auto i = static_cast<size_t>(op);
    return i < std::size(kNames) ? kNames[i] : "invalid";
}

OpTypes op_types(const OpCall& c) {
    auto t = [](const Tensor* p) { return p ? p->type : DType::Invalid; };
    return std::visit(
        [&](const auto& a) -> OpTypes {
            using A = std::decay_t<decltype(a)>;
            if constexpr (std::is_same_v<A, MatMulArgs>) return {t(a.w), t(a.x), t(a.y)};
            else if constexpr (std::is_same_v<A, MatMulGroupArgs>) {
                if (a.items.empty()) return {};
                return {t(a.items[0].w), t(a.items[0].x), t(a.items[0].y)};
            }
            else if constexpr (std::is_same_v<A, SwiGluArgs>) return {t(a.gate), t(a.up), t(a.y)};
            else if constexpr (std::is_same_v<A, TopKArgs>) return {t(a.x), DType::Invalid, t(a.indices)};
            else if constexpr (std::is_same_v<A, GetRowsArgs>) return {t(a.table), t(a.ids), t(a.y)};
            else if constexpr (std::is_same_v<A, AddRowsArgs>) return {t(a.src), t(a.ids), t(a.dst)};
            else if constexpr (std::is_same_v<A, BinaryArgs>) return {t(a.a), t(a.b), t(a.y)};
            else if constexpr (std::is_same_v<A, RmsNormArgs>) return {t(a.x), t(a.weight), t(a.y)};
            else if constexpr (std::is_same_v<A, std::monostate>) return {};
            else return {t(a.x), DType::Invalid, t(a.y)};
        },
        c.args);
}

Status validate_call(const OpCall& c) {
    const Op op = c.op;
    switch (op) {
        case Op::MatMul:
            if (!args_are<MatMulArgs>(c)) break;
            return validate_matmul(op, std::get<MatMulArgs>(c.args));
        case Op::MatMulGroup: {
            if (!args_are<MatMulGroupArgs>(c)) break;
            const auto& g = std::get<MatMulGroupArgs>(c.args);
            if (g.items.empty()) return bad(op, "the group has no items");
            for (const MatMulArgs& a : g.items) {
                ATELIER_TRY(validate_matmul(op, a));
                if (a.w->type != g.items[0].w->type || a.x->type != g.items[0].x->type)
                    return bad(op, "items mix weight or activation types");
            }
            return ok_status();
        }
        case Op::Softmax:
            if (!args_are<SoftmaxArgs>(c)) break;
            return validate_softmax(op, std::get<SoftmaxArgs>(c.args));
        case Op::Rope:
            if (!args_are<RopeArgs>(c)) break;
            return validate_rope(op, std::get<RopeArgs>(c.args));
        case Op::GetRows:
        case Op::AddRows:
            if (!args_are<GetRowsArgs>(c) && !args_are<AddRowsArgs>(c)) break;
            if ((op == Op::GetRows) != args_are<GetRowsArgs>(c)) break;
            return validate_rows(op, c);
        case Op::Silu:
        case Op::Sigmoid:
        case Op::Softplus:
        case Op::SqrtSoftplus:
            if (!args_are<UnaryArgs>(c)) break;
            return validate_other(op, c);
        case Op::Gelu: if (!args_are<GeluArgs>(c)) break; return validate_other(op, c);
        case Op::RmsNorm: if (!args_are<RmsNormArgs>(c)) break; return validate_other(op, c);
        case Op::SwiGlu: if (!args_are<SwiGluArgs>(c)) break; return validate_other(op, c);
        case Op::TopK: if (!args_are<TopKArgs>(c)) break; return validate_other(op, c);
        case Op::Hadamard: if (!args_are<HadamardArgs>(c)) break; return validate_other(op, c);
        case Op::Add:
        case Op::Mul:
            if (!args_are<BinaryArgs>(c)) break;
            return validate_other(op, c);
        default: break;
    }
    return bad(op, "arguments do not match the op");
}

}  // namespace atelier::infer
