// VITS stochastic duration predictor, reverse direction (inference): the encoder output is
// conditioned (1x1 pre, dilated depthwise-separable conv stack, 1x1 proj); noise z [T][2]
// (randn x noise_w) goes through the flows in reverse (flip, spline flow 7, flip, 5, flip, 3,
// flip, elementwise affine; the unused flow 1 is dropped as in VITS) and channel 0 is log w.
// Spline flows are piecewise rational-quadratic (Durkan et al.) inverted, linear tails at +-5.
// Thread-safety: one Session per caller.
#include <algorithm>
#include <cmath>
#include <random>

#include "inference/tts/vits-internal.h"

namespace atelier::infer::tts {
namespace {

constexpr float kTailBound = 5.0f;
constexpr float kMinBinWidth = 1e-3f, kMinBinHeight = 1e-3f, kMinDerivative = 1e-3f;

float softplus(float v) { return v > 20.0f ? v : std::log1p(std::exp(v)); }

// Knots (n+1) from unnormalised bin sizes: softmax, floor at min_size, cumsum over [-B, B].
void knots(const float* u, int n, float min_size, float* cum) {
    float mx = -INFINITY;
    for (int i = 0; i < n; ++i) mx = std::max(mx, u[i]);
    float sum = 0.0f;
    std::vector<float> e(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) sum += (e[static_cast<size_t>(i)] = std::exp(u[i] - mx));
    float acc = 0.0f;
    cum[0] = -kTailBound;
    for (int i = 0; i < n; ++i) {
        acc += min_size + (1.0f - min_size * static_cast<float>(n)) * (e[static_cast<size_t>(i)] / sum);
        cum[i + 1] = 2.0f * kTailBound * acc - kTailBound;
    }
    cum[n] = kTailBound;
}

// Inverse of the rational-quadratic spline at y; params: n widths, n heights, n-1 inner derivatives.
float spline_inverse(float y, const float* uw, const float* uh, const float* ud, int n, float norm) {
    if (y < -kTailBound || y > kTailBound) return y;  // linear tails: identity
    std::vector<float> w(static_cast<size_t>(n)), h(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) w[static_cast<size_t>(i)] = uw[i] / norm, h[static_cast<size_t>(i)] = uh[i] / norm;
    std::vector<float> cw(static_cast<size_t>(n + 1)), ch(static_cast<size_t>(n + 1)), d(static_cast<size_t>(n + 1));
    knots(w.data(), n, kMinBinWidth, cw.data());
    knots(h.data(), n, kMinBinHeight, ch.data());
    // Boundary derivatives are 1: softplus(log(e^(1-min)-1)) + min.
    d[0] = d[static_cast<size_t>(n)] = 1.0f;
    for (int i = 1; i < n; ++i) d[static_cast<size_t>(i)] = kMinDerivative + softplus(ud[i - 1]);
    int bin = 0;  // searchsorted on the heights, last knot nudged up by 1e-6
    for (int i = 0; i <= n; ++i) bin += y >= (i == n ? ch[static_cast<size_t>(i)] + 1e-6f : ch[static_cast<size_t>(i)]);
    bin = std::clamp(bin - 1, 0, n - 1);
    const size_t b = static_cast<size_t>(bin);
    const float bw = cw[b + 1] - cw[b], bh = ch[b + 1] - ch[b];
    const float delta = bh / bw, d0 = d[b], d1 = d[b + 1];
    const float dy = y - ch[b];
    const float t = d0 + d1 - 2.0f * delta;
    const float qa = dy * t + bh * (delta - d0);
    const float qb = bh * d0 - dy * t;
    const float qc = -delta * dy;
    const float disc = std::max(qb * qb - 4.0f * qa * qc, 0.0f);
    const float root = (2.0f * qc) / (-qb - std::sqrt(disc));
    return root * bw + cw[b];
}

// DDSConv: x [T][C] += per layer gelu(LN(1x1(gelu(LN(depthwise dilated conv(x)))))).
Status dds(Session& s, const DdsW& d, std::vector<float>& x, int64_t T, int64_t C) {
    std::vector<float> y, z;
    int64_t Tn = 0;
    for (size_t i = 0; i < d.sep.size(); ++i) {
        ATELIER_TRY(conv1d(s, d.sep[i], x, T, y, Tn));
        layer_norm_channels(y.data(), T, C, d.n1[i]);
        ATELIER_TRY(gelu_inplace(s, y));
        ATELIER_TRY(conv1d(s, d.pw[i], y, T, z, Tn));
        layer_norm_channels(z.data(), T, C, d.n2[i]);
        ATELIER_TRY(gelu_inplace(s, z));
        for (size_t j = 0; j < x.size(); ++j) x[j] += z[j];
    }
    return ok_status();
}

// One spline flow in reverse on z [T][2]: channel 1 transformed, conditioned on channel 0 and g.
Status conv_flow_reverse(Session& s, const ConvFlowW& f, const VitsArchitecture& a, const std::vector<float>& g,
                         std::vector<float>& z, int64_t T) {
    const int64_t C = a.hidden_channels;
    std::vector<float> x0(static_cast<size_t>(T)), h, p;
    for (int64_t t = 0; t < T; ++t) x0[static_cast<size_t>(t)] = z[static_cast<size_t>(2 * t)];
    int64_t Tn = 0;
    ATELIER_TRY(conv1d(s, f.pre, x0, T, h, Tn));
    for (size_t j = 0; j < h.size(); ++j) h[j] += g[j];
    ATELIER_TRY(dds(s, f.dds, h, T, C));
    ATELIER_TRY(conv1d(s, f.proj, h, T, p, Tn));
    const int n = a.dp_num_bins;
    const int64_t P = 3 * n - 1;
    const float norm = std::sqrt(static_cast<float>(C));
    for (int64_t t = 0; t < T; ++t) {
        const float* row = p.data() + t * P;
        float& y = z[static_cast<size_t>(2 * t + 1)];
        y = spline_inverse(y, row, row + n, row + 2 * n, n, norm);
    }
    return ok_status();
}

}  // namespace

Status duration_log(Session& s, const VitsVoice::Weights& w, const VitsArchitecture& a, std::span<const float> enc_x,
                    int64_t T, float noise_w, std::vector<float>& logw, const SpeakerBias* spk) {
    const int64_t C = a.hidden_channels;
    std::vector<float> x, g;
    int64_t Tn = 0;
    ATELIER_TRY(conv1d(s, w.dp_pre, enc_x, T, x, Tn));
    if (spk != nullptr)  // x += cond(g), the same at every step
        for (int64_t t = 0; t < T; ++t)
            for (int64_t c = 0; c < C; ++c) x[static_cast<size_t>(t * C + c)] += spk->dp[static_cast<size_t>(c)];
    ATELIER_TRY(dds(s, w.dp_dds, x, T, C));
    ATELIER_TRY(conv1d(s, w.dp_proj, x, T, g, Tn));
    std::vector<float> z(static_cast<size_t>(2 * T), 0.0f);
    if (noise_w != 0.0f) {
        std::normal_distribution<float> nd(0.0f, 1.0f);
        // Channel-major draw order, as randn(1, 2, T).
        for (int c = 0; c < 2; ++c)
            for (int64_t t = 0; t < T; ++t) z[static_cast<size_t>(2 * t + c)] = nd(s.rng()) * noise_w;
    }
    auto flip = [&] { for (int64_t t = 0; t < T; ++t) std::swap(z[static_cast<size_t>(2 * t)], z[static_cast<size_t>(2 * t + 1)]); };
    for (auto it = w.dp_flows.rbegin(); it != w.dp_flows.rend(); ++it) {
        flip();
        ATELIER_TRY(conv_flow_reverse(s, *it, a, g, z, T));
    }
    flip();
    logw.resize(static_cast<size_t>(T));
    for (int64_t t = 0; t < T; ++t)
        logw[static_cast<size_t>(t)] = (z[static_cast<size_t>(2 * t)] - w.dp_ea_m[0]) * w.dp_ea_exp_neg_logs[0];
    return ok_status();
}

}  // namespace atelier::infer::tts
