// DeepSeek V4 products y = W·x through Session MatMul (every weight type the kernels read: FP8
// with 128x128 UE8M0 block scales, FP4 E2M1 with per-32 scales, MXFP4, bf16, Q8_0, Q4_K, ...).
// Released numerics follow the reference's linear(): activations of FP8/FP4 products are
// fake-quantised to FP8 per 128 along K first, and the bf16 result is rounded to bf16.
// Also the Workspace buffers and bf16 rounding shared by the V4 sources. One thread per Ctx.
#include <cstring>
#include <vector>

#include "inference/arch/deepseek-v4/v4.h"
#include "inference/quant.h"

namespace atelier::infer::v4 {
namespace {

constexpr int kSlotActQuant = 0;  // linear(): the quantised copy of x
constexpr int kActBlock = 128;    // the reference's activation block along K (block_size)

inline float bf16_round1(float x) {
    uint32_t u;
    std::memcpy(&u, &x, 4);
    if ((u & 0x7F800000u) == 0x7F800000u) return x;  // inf stays inf, NaN stays NaN
    u = (u + 0x7FFFu + ((u >> 16) & 1u)) & 0xFFFF0000u;
    std::memcpy(&x, &u, 4);
    return x;
}

}  // namespace

std::span<float> Workspace::f32(int slot, size_t n) {
    std::vector<float>& v = f_[static_cast<size_t>(slot)];
    if (v.size() < n) v.resize(n);
    return {v.data(), n};
}

std::span<int32_t> Workspace::i32(int slot, size_t n) {
    std::vector<int32_t>& v = i_[static_cast<size_t>(slot)];
    if (v.size() < n) v.resize(n);
    return {v.data(), n};
}

void round_bf16(std::span<float> x) {
    for (float& v : x) v = bf16_round1(v);
}

Status matmul_raw(Ctx& c, const Linear& l, const float* x, int64_t T, float* y) {
    if (!l.w) return make_error(ErrorCode::Internal, "v4 linear: unbound weight", "report this bug");
    if (T == 0) return ok_status();
    ATELIER_TRY_ASSIGN(Tensor xt, Tensor::wrap(DType::F32, {l.in(), T}, const_cast<float*>(x)));
    ATELIER_TRY_ASSIGN(Tensor yt, Tensor::wrap(DType::F32, {l.out(), T}, y));
    return c.session.run(OpCall{Op::MatMul, MatMulArgs{.w = l.w,
                                                       .x = &xt,
                                                       .y = &yt,
                                                       .w_scale = l.scale,
                                                       .scale_block_k = l.scale_block_k,
                                                       .scale_block_n = l.scale_block_n}});
}

Status linear(Ctx& c, const Linear& l, std::span<const float> x, int64_t T, std::span<float> y) {
    const int64_t in = l.in(), out = l.out();
    if (static_cast<int64_t>(x.size()) < T * in || static_cast<int64_t>(y.size()) < T * out)
        return make_error(ErrorCode::InvalidArgument,
                          "v4 linear " + (l.w ? l.w->name : std::string("?")) + ": x holds " + std::to_string(x.size()) +
                              " values and y " + std::to_string(y.size()) + " for " + std::to_string(T) + " tokens of " +
                              std::to_string(in) + " -> " + std::to_string(out),
                          "report this bug");
    const bool released = c.numerics == Numerics::Released;
    const float* src = x.data();
    std::vector<float> local;
    if (released && l.act_fp8) {
        if (in % kActBlock != 0)
            return make_error(ErrorCode::ModelFormat, "v4 linear " + l.w->name + ": K = " + std::to_string(in) +
                                                          " is not a multiple of 128 (FP8 activation blocks)",
                              "the model's dimensions do not fit DeepSeek V4's FP8 products");
        const size_t n = static_cast<size_t>(T * in);
        float* q = nullptr;
        if (c.ws) {
            q = c.ws->f32(kSlotActQuant, n).data();
        } else {
            local.resize(n);
            q = local.data();
        }
        std::memcpy(q, src, n * sizeof(float));
        // Rows are whole blocks (in % 128 == 0), so one call over T rows equals T row calls.
        ATELIER_TRY(fake_quant_fp8_act(q, static_cast<int64_t>(n), kActBlock));
        src = q;
    }
    ATELIER_TRY(matmul_raw(c, l, src, T, y.data()));
    if (released && l.out_bf16) round_bf16(y.first(static_cast<size_t>(T * out)));
    return ok_status();
}

}  // namespace atelier::infer::v4
