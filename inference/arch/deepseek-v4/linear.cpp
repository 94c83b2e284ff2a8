// DeepSeek V4 products y = W·x through Session MatMul (every weight type the kernels read: FP8
// with 128x128 UE8M0 block scales, FP4 E2M1 with per-32 scales, MXFP4, bf16, Q8_0, Q4_K, ...).
// Released numerics follow the reference's linear(): activations of FP8/FP4 products are
// fake-quantised to FP8 per 128 along K first, and the bf16 result is rounded to bf16.
// Also the Workspace buffers, bf16 rounding and the FP8 activation fake-quant shared by the V4
// sources, in AVX-512 where the CPU has it (bit-identical to the scalar forms, which stay the
// specification: quant.h's fake_quant_fp8_act). One thread per Ctx.
// GCC 12's AVX-512 headers trip -Wuninitialized on their own _mm512_undefined_* (PR 105593).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <array>
#include <cstring>
#include <vector>

#include "inference/arch/deepseek-v4/v4.h"
#include "inference/cpu-features.h"
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

bool have_avx512() {
    static const bool yes = [] {
        const CpuFeatures& f = cpu_features();
        return f.avx512f && f.avx512bw && f.avx512dq && f.avx512vl;
    }();
    return yes;
}

#define ATELIER_AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl")))

// bf16_round1 on 16 lanes: RNE on the bits, Inf/NaN kept as they are.
ATELIER_AVX512 inline __m512 bf16_round16(__m512 v) {
    const __m512i u = _mm512_castps_si512(v);
    const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
    const __m512i r = _mm512_and_si512(_mm512_add_epi32(_mm512_add_epi32(u, _mm512_set1_epi32(0x7FFF)), lsb),
                                       _mm512_set1_epi32(static_cast<int>(0xFFFF0000u)));
    const __mmask16 special = _mm512_cmpeq_epi32_mask(_mm512_and_si512(u, _mm512_set1_epi32(0x7F800000)), _mm512_set1_epi32(0x7F800000));
    return _mm512_castsi512_ps(_mm512_mask_mov_epi32(r, special, u));
}

ATELIER_AVX512 void round_bf16_avx512(float* x, int64_t n) {
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(x + i, bf16_round16(_mm512_loadu_ps(x + i)));
    for (; i < n; ++i) x[i] = bf16_round1(x[i]);
}

// One block of the reference's FP8 activation quantisation (quant.h fake_quant_fp8_act, block %
// 16 == 0): s = 2^ceil(log2(max(amax, 1e-4) / 448)), v = clamp(x / s, ±448) rounded to E4M3 (3
// mantissa bits, ties to even; below 2^-6 to multiples of 2^-9), x = v·s. Division by the power of
// two s is the exact product with 2^-k; NaN passes through as in the scalar code.
ATELIER_AVX512 void fq_fp8_block(float* x, int64_t block) {
    __m512 amax = _mm512_set1_ps(1e-4f);
    for (int64_t i = 0; i < block; i += 16) amax = _mm512_max_ps(_mm512_abs_ps(_mm512_loadu_ps(x + i)), amax);
    const float t = _mm512_reduce_max_ps(amax) * (1.0f / 448.0f);
    uint32_t tb;
    std::memcpy(&tb, &t, 4);
    const int k = static_cast<int>((tb >> 23) & 0xFF) - 127 + ((tb & 0x7FFFFF) != 0 ? 1 : 0);
    const __m512 s = _mm512_castsi512_ps(_mm512_set1_epi32((k + 127) << 23));
    const __m512 inv = _mm512_castsi512_ps(_mm512_set1_epi32((127 - k) << 23));
    const __m512 lim = _mm512_set1_ps(448.0f), nlim = _mm512_set1_ps(-448.0f);
    for (int64_t i = 0; i < block; i += 16) {
        __m512 v = _mm512_mul_ps(_mm512_loadu_ps(x + i), inv);
        v = _mm512_max_ps(nlim, _mm512_min_ps(lim, v));  // NaN stays NaN (second operand)
        const __m512i u = _mm512_castps_si512(v);
        const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 20), _mm512_set1_epi32(1));
        const __m512 nrm = _mm512_castsi512_ps(_mm512_and_si512(_mm512_add_epi32(_mm512_add_epi32(u, _mm512_set1_epi32(0x7FFFF)), lsb),
                                                                _mm512_set1_epi32(static_cast<int>(0xFFF00000u))));
        const __m512 sub = _mm512_mul_ps(_mm512_roundscale_ps(_mm512_mul_ps(v, _mm512_set1_ps(512.0f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC),
                                         _mm512_set1_ps(1.0f / 512.0f));
        const __mmask16 tiny = _mm512_cmp_ps_mask(_mm512_abs_ps(v), _mm512_set1_ps(0x1p-6f), _CMP_LT_OQ);
        _mm512_storeu_ps(x + i, _mm512_mul_ps(_mm512_mask_mov_ps(nrm, tiny, sub), s));
    }
}

#undef ATELIER_AVX512

}  // namespace

Status fake_quant_fp8_act_fast(Ctx& c, float* x, int64_t n, int block) {
    if (!have_avx512() || block % 16 != 0 || block <= 0 || n % block != 0) return fake_quant_fp8_act(x, n, block);
    const int64_t blocks = n / block;
    constexpr int64_t kBlocksPerTask = 256;
    parallel_for(c.session.context(), (blocks + kBlocksPerTask - 1) / kBlocksPerTask, [&](int64_t t) {
        const int64_t b1 = std::min(blocks, (t + 1) * kBlocksPerTask);
        for (int64_t b = t * kBlocksPerTask; b < b1; ++b) fq_fp8_block(x + b * block, block);
    });
    return ok_status();
}

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
    if (have_avx512()) return round_bf16_avx512(x.data(), static_cast<int64_t>(x.size()));
    for (float& v : x) v = bf16_round1(v);
}

Status matmul_raw(Ctx& c, const Linear& l, const float* x, int64_t T, float* y) {
    if (!l.w) return make_error(ErrorCode::Internal, "v4 linear: unbound weight", "report this bug");
    if (T == 0) return ok_status();
    ATELIER_TRY_ASSIGN(Tensor xt, Tensor::wrap(DType::F32, {l.in(), T}, const_cast<float*>(x)));
    ATELIER_TRY_ASSIGN(Tensor yt, Tensor::wrap(DType::F32, {l.out(), T}, y));
    return c.session.run(OpCall{Op::MatMul, l.args(&xt, &yt)});
}

namespace {

// Released numerics: x [T][l.in()] copied and fake-quantised to FP8 per 128 along K (into the
// workspace's slot, or `local` without a workspace).
Result<const float*> fp8_act_copy(Ctx& c, const Linear& l, const float* x, int64_t T, std::vector<float>& local) {
    const int64_t in = l.in();
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
    std::memcpy(q, x, n * sizeof(float));
    // Rows are whole blocks (in % 128 == 0), so one call over T rows equals T row calls.
    ATELIER_TRY(fake_quant_fp8_act_fast(c, q, static_cast<int64_t>(n), kActBlock));
    return static_cast<const float*>(q);
}

}  // namespace

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
        ATELIER_TRY_ASSIGN(src, fp8_act_copy(c, l, src, T, local));
    }
    ATELIER_TRY(matmul_raw(c, l, src, T, y.data()));
    if (released && l.out_bf16) round_bf16(y.first(static_cast<size_t>(T * out)));
    return ok_status();
}

Status linear_shared_x(Ctx& c, std::span<const LinearOut> outs, const float* x, int64_t T) {
    constexpr size_t kMax = 12;
    if (outs.empty()) return ok_status();
    const Linear& l0 = *outs[0].l;
    bool grouped = outs.size() <= kMax && l0.w;
    for (const LinearOut& o : outs) grouped = grouped && o.l->w && o.l->in() == l0.in();
    if (!grouped) {
        for (const LinearOut& o : outs)
            ATELIER_TRY(linear(c, *o.l, {x, static_cast<size_t>(T * o.l->in())}, T, {o.y, static_cast<size_t>(T * o.l->out())}));
        return ok_status();
    }
    const int64_t in = l0.in();
    const bool released = c.numerics == Numerics::Released;
    bool any_fp8 = false;
    for (const LinearOut& o : outs) any_fp8 = any_fp8 || (released && o.l->act_fp8);
    const float* xq = x;
    std::vector<float> local;
    if (any_fp8) {  // once for every product taking it
        ATELIER_TRY_ASSIGN(xq, fp8_act_copy(c, l0, x, T, local));
    }
    ATELIER_TRY_ASSIGN(Tensor xt, Tensor::wrap(DType::F32, {in, T}, const_cast<float*>(x)));
    ATELIER_TRY_ASSIGN(Tensor xqt, Tensor::wrap(DType::F32, {in, T}, const_cast<float*>(xq)));
    std::array<Tensor, kMax> ys;
    std::array<MatMulArgs, kMax> items;
    std::array<bool, kMax> done{};
    // One pass per weight type (a MatMulGroup takes one), in the order the types first appear.
    for (size_t first = 0; first < outs.size(); ++first) {
        if (done[first]) continue;
        const DType type = outs[first].l->w->type;
        size_t n = 0;
        for (size_t i = first; i < outs.size(); ++i) {
            if (done[i] || outs[i].l->w->type != type) continue;
            const Linear& l = *outs[i].l;
            ATELIER_TRY_ASSIGN(ys[n], Tensor::wrap(DType::F32, {l.out(), T}, outs[i].y));
            items[n] = l.args(released && l.act_fp8 ? &xqt : &xt, &ys[n]);
            ++n;
            done[i] = true;
        }
        ATELIER_TRY(c.session.run(OpCall{Op::MatMulGroup, MatMulGroupArgs{.items = std::span(items.data(), n)}}));
    }
    for (const LinearOut& o : outs)
        if (released && o.l->out_bf16) round_bf16({o.y, static_cast<size_t>(T * o.l->out())});
    return ok_status();
}

}  // namespace atelier::infer::v4
