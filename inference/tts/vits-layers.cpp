// 1-D layers for VITS on time-major [T][C] buffers. Stride-1 convs (all of Piper's): per dilation
// phase one MatMul over overlapping input windows (weights reordered to [Cout][K][Cin] at load),
// operands swapped for <= 64 output channels; other strides: chunked im2col + MatMul. Depthwise
// convs as a direct loop, ConvTranspose1d as MatMul + overlap-add, channel LayerNorm, GELU and
// Sigmoid through the engine's ops, leaky ReLU. Thread-safety: one Session per caller.
#include <algorithm>
#include <atomic>
#include <cmath>

#include "inference/tts/vits-internal.h"

namespace atelier::infer::tts {
namespace {

// At or below this many output channels a stride-1 conv swaps the MatMul operands (measured on
// the engine's AVX-512 kernel: 32 channels 11 -> 29 GFLOPS, 64: 36 -> 48; 128 is better as is).
constexpr int64_t kSwapMaxChannels = 64;

Tensor f32_view(const float* data, int64_t ne0, int64_t ne1) {
    Tensor t;
    t.type = DType::F32;
    t.n_dims = 2;
    t.ne = {ne0, ne1, 1, 1};
    t.nb = {4, 4 * ne0, 4 * ne0 * ne1, 4 * ne0 * ne1};
    t.data = const_cast<float*>(data);
    return t;
}

Status matmul(Session& s, const Tensor& w, const float* x, int64_t m, float* y) {
    Tensor xt = f32_view(x, w.ne[0], m);
    Tensor yt = f32_view(y, w.ne[1], m);
    return s.run(OpCall{Op::MatMul, MatMulArgs{&w, &xt, &yt}});
}

void add_bias(Session& s, const ConvW& c, float* y, int64_t T) {
    if (c.b.data == nullptr) return;
    const float* b = static_cast<const float*>(c.b.data);
    const int64_t C = c.cout;
    parallel_for(s.context(), T, [&](int64_t t) {
        float* row = y + t * C;
        for (int64_t i = 0; i < C; ++i) row[i] += b[i];
    });
}

std::atomic<bool> g_direct_enabled{true};

}  // namespace

void set_conv1d_direct_enabled(bool enabled) { g_direct_enabled.store(enabled); }

// Stride-1 conv without im2col. With taps d apart, output t = r + u*d (phase r) reads the padded
// input at r + (u + k)*d, k < K: consecutive rows of the phase's subsequence xr[v] = xp[r + v*d].
// So each phase is one MatMul whose columns are overlapping windows of xr (column stride one row,
// K*Cin long; the weights are [Cout][K][Cin]) writing every d-th output row. The input is copied
// once (with the optional leaky ReLU) instead of K times.
Status conv1d_phases(Session& s, const ConvW& c, std::span<const float> x, int64_t T, std::vector<float>& y,
                     int64_t T_out, float in_slope) {
    const ConvAttrs& a = c.a;
    const int64_t K = a.kernel, cin = c.cin, cout = c.cout, d = a.dilation, pb = a.pad_begin;
    const int64_t Tp = T + pb + a.pad_end;
    thread_local std::vector<float> phase_buffer;  // the calling thread's; workers get a pointer
    phase_buffer.resize(static_cast<size_t>((Tp + d) * cin));
    float* const xr = phase_buffer.data();
    for (int64_t r = 0; r < d && r < T_out; ++r) {
        const int64_t L = (Tp - r + d - 1) / d;        // rows of the phase's subsequence
        const int64_t U = (T_out - r + d - 1) / d;     // its outputs
        parallel_for(s.context(), L, [&](int64_t v) { input_row(xr + v * cin, x, r + v * d - pb, T, cin, in_slope); });
        Tensor windows = f32_view(xr, K * cin, U);
        windows.nb[1] = 4 * cin;  // overlapping windows
        if (cout > kSwapMaxChannels) {
            Tensor yt = f32_view(y.data() + r * cout, cout, U);
            yt.nb[1] = 4 * cout * d;
            ATELIER_TRY(s.run(OpCall{Op::MatMul, MatMulArgs{&c.w, &windows, &yt}}));
            continue;
        }
        // Few output channels: the MatMul kernel is faster with the windows as its "weight"
        // operand (many rows) and the conv weights as the few columns; the result is channel-major
        // and is transposed into y with the bias added on the way.
        thread_local std::vector<float> cm_buffer;
        cm_buffer.resize(static_cast<size_t>(U * cout));
        float* const cm = cm_buffer.data();
        Tensor cmt = f32_view(cm, U, cout);
        ATELIER_TRY(s.run(OpCall{Op::MatMul, MatMulArgs{&windows, &c.w, &cmt}}));
        const float* bias = c.b.data ? static_cast<const float*>(c.b.data) : nullptr;
        constexpr int64_t kBlock = 64;  // time steps per transposed tile (fits L1)
        parallel_for(s.context(), (U + kBlock - 1) / kBlock, [&](int64_t blk) {
            const int64_t u0 = blk * kBlock, u1 = std::min(U, u0 + kBlock);
            for (int64_t ch = 0; ch < cout; ++ch) {
                const float b = bias ? bias[ch] : 0.0f;
                const float* src = cm + ch * U;
                for (int64_t u = u0; u < u1; ++u) y[static_cast<size_t>((r + u * d) * cout + ch)] = src[u] + b;
            }
        });
    }
    if (cout > kSwapMaxChannels) add_bias(s, c, y.data(), T_out);
    return ok_status();
}

Status conv1d(Session& s, const ConvW& c, std::span<const float> x, int64_t T, std::vector<float>& y, int64_t& T_out,
              float in_slope) {
    const ConvAttrs& a = c.a;
    const int64_t K = a.kernel, cin = c.cin, cout = c.cout;
    T_out = (T + a.pad_begin + a.pad_end - static_cast<int64_t>(a.dilation) * (K - 1) - 1) / a.stride + 1;
    if (T_out <= 0 || static_cast<int64_t>(x.size()) < T * cin)
        return make_error(ErrorCode::InvalidArgument, "vits: convolution input is too short");
    const bool act = in_slope != 1.0f;
    auto in_value = [&](float v) { return act ? std::max(v, v * in_slope) : v; };
    y.resize(static_cast<size_t>(T_out * cout));
    if (a.groups > 1) {  // depthwise: weight [C][1][K]
        const float* w = static_cast<const float*>(c.w.data);
        std::fill(y.begin(), y.end(), 0.0f);
        parallel_for(s.context(), T_out, [&](int64_t t) {
            float* out = y.data() + t * cout;
            for (int64_t k = 0; k < K; ++k) {
                const int64_t src = t * a.stride + k * a.dilation - a.pad_begin;
                if (src < 0 || src >= T) continue;
                const float* in = x.data() + src * cin;
                for (int64_t ch = 0; ch < cout; ++ch) out[ch] += w[ch * K + k] * in_value(in[ch]);
            }
        });
        add_bias(s, c, y.data(), T_out);
        return ok_status();
    }
    if (K == 1 && a.stride == 1 && a.pad_begin == 0 && !act) {
        ATELIER_TRY(matmul(s, c.w, x.data(), T, y.data()));
        add_bias(s, c, y.data(), T_out);
        return ok_status();
    }
    if (a.stride == 1 && g_direct_enabled.load(std::memory_order_relaxed) && conv1d_direct_supported(c))
        return conv1d_direct(s, c, x, T, y, T_out, in_slope);
    if (a.stride == 1) return conv1d_phases(s, c, x, T, y, T_out, in_slope);
    // im2col in chunks of time steps, so the column buffer stays around a few MB and is reused.
    thread_local std::vector<float> cols_buffer;  // the calling thread's; workers get a pointer
    const int64_t row = cin * K;
    const int64_t chunk = std::clamp<int64_t>((int64_t{1} << 19) / std::max<int64_t>(row, 1), 16, T_out);
    cols_buffer.resize(static_cast<size_t>(chunk * row));
    float* const cols = cols_buffer.data();
    for (int64_t t0 = 0; t0 < T_out; t0 += chunk) {
        const int64_t n = std::min(chunk, T_out - t0);
        parallel_for(s.context(), n, [&](int64_t i) {
            const int64_t t = t0 + i;
            float* dst = cols + i * row;
            for (int64_t k = 0; k < K; ++k)  // weights were reordered to [Cout][K][Cin] at load
                input_row(dst + k * cin, x, t * a.stride + k * a.dilation - a.pad_begin, T, cin, in_slope);
        });
        ATELIER_TRY(matmul(s, c.w, cols, n, y.data() + t0 * cout));
    }
    add_bias(s, c, y.data(), T_out);
    return ok_status();
}

Status conv_transpose1d(Session& s, const ConvW& c, std::span<const float> x, int64_t T, std::vector<float>& y,
                        int64_t& T_out) {
    const ConvAttrs& a = c.a;
    const int64_t K = a.kernel, cout = c.cout, stride = a.stride;
    T_out = (T - 1) * stride - a.pad_begin - a.pad_end + K;
    if (T_out <= 0) return make_error(ErrorCode::InvalidArgument, "vits: transposed convolution input is too short");
    thread_local std::vector<float> z_buffer;  // the calling thread's; workers get a pointer
    z_buffer.resize(static_cast<size_t>(T * cout * K));
    const float* const z = z_buffer.data();
    ATELIER_TRY(matmul(s, c.w, x.data(), T, z_buffer.data()));
    y.assign(static_cast<size_t>(T_out * cout), 0.0f);
    // Overlap-add, parallel over output steps (each gathers the inputs that reach it).
    parallel_for(s.context(), T_out, [&](int64_t to) {
        float* out = y.data() + to * cout;
        const int64_t pos = to + a.pad_begin;  // = t*stride + k
        for (int64_t k = pos % stride; k < K; k += stride) {
            const int64_t t = (pos - k) / stride;
            if (t < 0 || t >= T) continue;
            const float* zr = z + t * cout * K;
            for (int64_t ch = 0; ch < cout; ++ch) out[ch] += zr[ch * K + k];
        }
    });
    add_bias(s, c, y.data(), T_out);
    return ok_status();
}

void layer_norm_channels(float* x, int64_t T, int64_t C, const LayerNormW& ln) {
    for (int64_t t = 0; t < T; ++t) {
        float* row = x + t * C;
        double mean = 0.0, var = 0.0;
        for (int64_t i = 0; i < C; ++i) mean += row[i];
        mean /= static_cast<double>(C);
        for (int64_t i = 0; i < C; ++i) var += (row[i] - mean) * (row[i] - mean);
        var /= static_cast<double>(C);
        const float inv = static_cast<float>(1.0 / std::sqrt(var + 1e-5));
        for (int64_t i = 0; i < C; ++i)
            row[i] = (row[i] - static_cast<float>(mean)) * inv * ln.gamma[i] + ln.beta[i];
    }
}

Status gelu_inplace(Session& s, std::span<float> x) {
    Tensor t = f32_view(x.data(), static_cast<int64_t>(x.size()), 1);
    return s.run(OpCall{Op::Gelu, GeluArgs{&t, &t, GeluApprox::Erf}});
}

Status sigmoid_inplace(Session& s, std::span<float> x) {
    Tensor t = f32_view(x.data(), static_cast<int64_t>(x.size()), 1);
    return s.run(OpCall{Op::Sigmoid, UnaryArgs{&t, &t}});
}

void leaky_relu_inplace(std::span<float> x, float slope) {
    for (float& v : x) v = std::max(v, v * slope);  // slope < 1: branch-free, vectorises
}

}  // namespace atelier::infer::tts
