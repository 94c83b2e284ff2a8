// VITS flow (reverse) and HiFi-GAN decoder. Flow: for each residual-coupling layer from last to
// first, reverse the channel order (the Flip that followed it), then x1 -= post(WaveNet(pre(x0)))
// (mean-only coupling). Decoder: conv_pre, per upsampling stage leaky ReLU(0.1) -> transposed
// conv -> mean of the stage's resblocks (type 2: x += conv(leaky(x)) per conv), leaky ReLU(0.01),
// conv_post, tanh. Thread-safety: one Session per caller; stop is checked between stages.
#include <algorithm>
#include <cmath>

#include "inference/tts/vits-internal.h"

namespace atelier::infer::tts {
namespace {

// WaveNet stack: returns the summed skip outputs [F][H]. cond (or null): the speaker's
// [2H x layers] added to every step's layer input before the gate.
Status wavenet(Session& s, const CouplingW& c, std::vector<float>& x, int64_t F, int64_t H, std::vector<float>& out,
               const float* cond) {
    out.assign(static_cast<size_t>(F * H), 0.0f);
    std::vector<float> in, acts(static_cast<size_t>(F * H)), rs;
    int64_t Tn = 0;
    const size_t n = c.in.size();
    for (size_t i = 0; i < n; ++i) {
        ATELIER_TRY(conv1d(s, c.in[i], x, F, in, Tn));
        if (cond != nullptr) {
            const float* g = cond + i * 2 * H;
            for (int64_t t = 0; t < F; ++t)
                for (int64_t h = 0; h < 2 * H; ++h) in[static_cast<size_t>(t * 2 * H + h)] += g[h];
        }
        // tanh(a) * sigmoid(b) with one vectorised Sigmoid op: tanh(a) = 2 sigmoid(2a) - 1.
        for (int64_t t = 0; t < F; ++t) {
            float* r = in.data() + t * 2 * H;
            for (int64_t h = 0; h < H; ++h) r[h] *= 2.0f;
        }
        ATELIER_TRY(sigmoid_inplace(s, in));
        for (int64_t t = 0; t < F; ++t) {
            const float* r = in.data() + t * 2 * H;
            float* a = acts.data() + t * H;
            for (int64_t h = 0; h < H; ++h) a[h] = (2.0f * r[h] - 1.0f) * r[H + h];
        }
        ATELIER_TRY(conv1d(s, c.res_skip[i], acts, F, rs, Tn));
        if (i + 1 < n) {
            for (int64_t t = 0; t < F; ++t)
                for (int64_t h = 0; h < H; ++h) {
                    x[static_cast<size_t>(t * H + h)] += rs[static_cast<size_t>(t * 2 * H + h)];
                    out[static_cast<size_t>(t * H + h)] += rs[static_cast<size_t>(t * 2 * H + H + h)];
                }
        } else {
            for (size_t j = 0; j < out.size(); ++j) out[j] += rs[j];
        }
    }
    return ok_status();
}

}  // namespace

Status flow_reverse(Session& s, const VitsVoice::Weights& w, const VitsArchitecture& a, std::vector<float>& z,
                    int64_t F, const SpeakerBias* spk) {
    const int64_t C = a.inter_channels, half = C / 2, H = a.hidden_channels;
    std::vector<float> x0(static_cast<size_t>(F * half)), h, skip, stats;
    int64_t Tn = 0;
    for (auto it = w.flows.rbegin(); it != w.flows.rend(); ++it) {
        for (int64_t t = 0; t < F; ++t) std::reverse(z.begin() + t * C, z.begin() + (t + 1) * C);
        for (int64_t t = 0; t < F; ++t)
            std::copy_n(z.begin() + t * C, half, x0.begin() + t * half);
        ATELIER_TRY(conv1d(s, it->pre, x0, F, h, Tn));
        const size_t index = static_cast<size_t>(w.flows.rend() - it) - 1;
        ATELIER_TRY(wavenet(s, *it, h, F, H, skip, spk ? spk->flows[index].data() : nullptr));
        ATELIER_TRY(conv1d(s, it->post, skip, F, stats, Tn));
        for (int64_t t = 0; t < F; ++t)
            for (int64_t c = 0; c < half; ++c) z[static_cast<size_t>(t * C + half + c)] -= stats[static_cast<size_t>(t * half + c)];
    }
    return ok_status();
}

Status hifigan(Session& s, const VitsVoice::Weights& w, const VitsArchitecture& /*a*/, std::span<const float> z, int64_t F,
               std::vector<float>& audio, std::stop_token stop, const SpeakerBias* spk) {
    // Reused across calls on this thread: the buffers reach tens of MB on long sentences.
    thread_local std::vector<float> x, y, acc, r, o;
    int64_t T = F, Tn = 0;
    ATELIER_TRY(conv1d(s, w.conv_pre, z, T, x, Tn));
    if (spk != nullptr) {  // x += cond(g)
        const int64_t C = w.conv_pre.cout;
        for (int64_t t = 0; t < T; ++t)
            for (int64_t c = 0; c < C; ++c) x[static_cast<size_t>(t * C + c)] += spk->dec[static_cast<size_t>(c)];
    }
    const size_t n_ups = w.ups.size(), per = w.resblocks.size() / n_ups;
    for (size_t i = 0; i < n_ups; ++i) {
        if (stop.stop_requested()) return make_error(ErrorCode::Cancelled, "tts: synthesis cancelled");
        leaky_relu_inplace(x, 0.1f);
        ATELIER_TRY(conv_transpose1d(s, w.ups[i], x, T, y, Tn));
        T = Tn;
        acc.assign(y.size(), 0.0f);
        for (size_t j = 0; j < per; ++j) {
            const auto& convs = w.resblocks[i * per + j];  // type 2: r += conv(leaky(r)) per conv
            for (size_t ci = 0; ci < convs.size(); ++ci) {
                const bool first = ci == 0, last = ci + 1 == convs.size();
                ATELIER_TRY(conv1d(s, convs[ci], first ? y : r, T, o, Tn, 0.1f));
                if (first) r.resize(y.size());
                float* rp = r.data();
                const float* base = first ? y.data() : r.data();
                float* ap = acc.data();
                const float* op = o.data();
                if (last) {
                    for (size_t k = 0; k < acc.size(); ++k) ap[k] += base[k] + op[k];
                } else {
                    for (size_t k = 0; k < r.size(); ++k) rp[k] = base[k] + op[k];
                }
            }
        }
        const float inv = 1.0f / static_cast<float>(per);
        x.resize(acc.size());
        for (size_t k = 0; k < acc.size(); ++k) x[k] = acc[k] * inv;
    }
    leaky_relu_inplace(x, 0.01f);
    ATELIER_TRY(conv1d(s, w.conv_post, x, T, audio, Tn));
    for (float& v : audio) v *= 2.0f;  // tanh(v) = 2 sigmoid(2v) - 1
    ATELIER_TRY(sigmoid_inplace(s, audio));
    for (float& v : audio) v = 2.0f * v - 1.0f;
    return ok_status();
}

}  // namespace atelier::infer::tts
