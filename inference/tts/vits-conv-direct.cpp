// Direct stride-1 Conv1d for up to kDirectMaxChannels output channels (a multiple of 16: the
// HiFi-GAN's stages, most of a Piper voice's time) on AVX-512: a block of R output steps x up to
// 64 output channels stays in registers while the taps and input channels stream past, reading
// the padded input rows in place; no im2col, no operand packing, no transposes. The MatMul path in
// vits-layers.cpp is its slow twin and the fallback without AVX-512 (same sums, another order).
// Thread-safety: one Session per caller; rows are split over the Session's workers.
#include <algorithm>

#include "inference/tts/vits-internal.h"

namespace atelier::infer::tts {
namespace {

#pragma GCC push_options
#pragma GCC target("avx512f,avx512vl,fma")

typedef float V16 __attribute__((vector_size(64)));
typedef float V16u __attribute__((vector_size(64), aligned(4)));  // unaligned loads and stores

// y[r][co0 + j] (r < R, j < 16 NV) = bias + sum_k sum_ci w[k][ci][co0 + j] x[r + k d][ci]; rows of
// w and y are cout long.
template <int NV, int R>
void conv_block(const float* x, int64_t cin, int64_t K, int64_t d, const float* w, const float* bias, float* y,
                int64_t cout, int64_t co0) {
    V16 acc[R][NV];
    for (int v = 0; v < NV; ++v) {
        const V16 b = bias ? *reinterpret_cast<const V16u*>(bias + co0 + 16 * v) : V16{};
        for (int r = 0; r < R; ++r) acc[r][v] = b;
    }
    for (int64_t k = 0; k < K; ++k) {
        const float* xk = x + k * d * cin;
        const float* wk = w + k * cin * cout + co0;
        for (int64_t ci = 0; ci < cin; ++ci) {
            V16 wv[NV];
            for (int v = 0; v < NV; ++v) wv[v] = *reinterpret_cast<const V16u*>(wk + ci * cout + 16 * v);
            for (int r = 0; r < R; ++r) {
                const V16 xb = V16{} + xk[r * cin + ci];
                for (int v = 0; v < NV; ++v) acc[r][v] += xb * wv[v];
            }
        }
    }
    for (int r = 0; r < R; ++r)
        for (int v = 0; v < NV; ++v) *reinterpret_cast<V16u*>(y + r * cout + co0 + 16 * v) = acc[r][v];
}

// Output columns [co0, co0 + 16 NV) of rows [t0, t1), R rows at a time, then one at a time.
template <int NV, int R>
void conv_rows(const float* xp, int64_t cin, int64_t K, int64_t d, const float* w, const float* bias, float* y,
               int64_t cout, int64_t co0, int64_t t0, int64_t t1) {
    int64_t t = t0;
    for (; t + R <= t1; t += R) conv_block<NV, R>(xp + t * cin, cin, K, d, w, bias, y + t * cout, cout, co0);
    for (; t < t1; ++t) conv_block<NV, 1>(xp + t * cin, cin, K, d, w, bias, y + t * cout, cout, co0);
}

#pragma GCC pop_options

// Register budget (32 zmm): R x NV accumulators + NV weight vectors + a broadcast.
using RowsFn = void (*)(const float*, int64_t, int64_t, int64_t, const float*, const float*, float*, int64_t, int64_t,
                        int64_t, int64_t);
RowsFn rows_fn(int64_t nv) {
    switch (nv) {
        case 1: return conv_rows<1, 14>;
        case 2: return conv_rows<2, 12>;
        case 3: return conv_rows<3, 8>;
        case 4: return conv_rows<4, 6>;
        default: return nullptr;
    }
}

bool have_avx512() {
    static const bool yes = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl");
    return yes;
}

}  // namespace

bool conv1d_direct_supported(const ConvW& c) {
    return have_avx512() && c.wd.data != nullptr && c.cout % 16 == 0 && c.cout <= kDirectMaxChannels;
}

Status conv1d_direct(Session& s, const ConvW& c, std::span<const float> x, int64_t T, std::vector<float>& y, int64_t T_out,
                     float in_slope) {
    const ConvAttrs& a = c.a;
    const int64_t cin = c.cin, cout = c.cout, pb = a.pad_begin, Tp = T + pb + a.pad_end;
    if (cout % 16 != 0 || T_out != Tp - (a.kernel - 1) * a.dilation)
        return make_error(ErrorCode::InvalidArgument, "vits: direct convolution called on an unsupported shape");
    // The padded input with the optional leaky ReLU applied, copied once.
    thread_local std::vector<float> padded;  // the calling thread's; workers get a pointer
    padded.resize(static_cast<size_t>(Tp * cin));
    float* const xp = padded.data();
    parallel_for(s.context(), Tp, [&](int64_t v) { input_row(xp + v * cin, x, v - pb, T, cin, in_slope); });
    y.resize(static_cast<size_t>(T_out * cout));
    const float* w = static_cast<const float*>(c.wd.data);
    const float* bias = c.b.data ? static_cast<const float*>(c.b.data) : nullptr;
    constexpr int64_t kRowsPerJob = 168;  // a multiple of every R above
    const int64_t n_col_blocks = (cout + 63) / 64, n_row_jobs = (T_out + kRowsPerJob - 1) / kRowsPerJob;
    float* const out = y.data();
    // Jobs: row ranges x 64-column blocks (the last block 16-48 wide).
    parallel_for(s.context(), n_row_jobs * n_col_blocks, [&](int64_t job) {
        const int64_t t0 = (job / n_col_blocks) * kRowsPerJob, co0 = (job % n_col_blocks) * 64;
        const RowsFn fn = rows_fn(std::min<int64_t>(64, cout - co0) / 16);
        fn(xp, cin, a.kernel, a.dilation, w, bias, out, cout, co0, t0, std::min(T_out, t0 + kRowsPerJob));
    });
    return ok_status();
}

}  // namespace atelier::infer::tts
