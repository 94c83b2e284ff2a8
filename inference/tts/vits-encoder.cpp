// VITS text encoder: embedding x sqrt(hidden), n_layers of [relative-position multi-head
// attention (keys and values get a shared learnt embedding for offsets within +-window) ->
// residual -> channel LayerNorm -> conv FFN (k taps, ReLU) -> residual -> LayerNorm], then the
// 1x1 projection to the prior's mean and log-std. One sentence, no padding, so masks are all
// ones. Thread-safety: one Session per caller.
#include <algorithm>
#include <cmath>

#include "inference/tts/vits-internal.h"

namespace atelier::infer::tts {
namespace {

// out [T][C] = attention over q, k, v [T][C] with heads of hd = C / n_heads.
void relative_attention(const VitsArchitecture& a, const AttnLayerW& L, const std::vector<float>& q,
                        const std::vector<float>& k, const std::vector<float>& v, int64_t T, std::vector<float>& out,
                        ExecContext& ctx) {
    const int64_t C = a.hidden_channels, H = a.n_heads, hd = C / H, W = a.window_size;
    const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
    out.assign(static_cast<size_t>(T * C), 0.0f);
    parallel_for(ctx, T * H, [&](int64_t job) {
        const int64_t i = job / H, h = job % H;
        std::vector<float> p(static_cast<size_t>(T));
        std::vector<float> qs(static_cast<size_t>(hd));
        const float* qi = q.data() + i * C + h * hd;
        for (int64_t d = 0; d < hd; ++d) qs[static_cast<size_t>(d)] = qi[d] * scale;
        float mx = -INFINITY;
        for (int64_t j = 0; j < T; ++j) {
            const float* kj = k.data() + j * C + h * hd;
            float sc = 0.0f;
            for (int64_t d = 0; d < hd; ++d) sc += qs[static_cast<size_t>(d)] * kj[d];
            const int64_t off = j - i;
            if (off >= -W && off <= W) {
                const float* rk = L.rel_k + (off + W) * hd;
                for (int64_t d = 0; d < hd; ++d) sc += qs[static_cast<size_t>(d)] * rk[d];
            }
            p[static_cast<size_t>(j)] = sc;
            mx = std::max(mx, sc);
        }
        float sum = 0.0f;
        for (auto& e : p) sum += (e = std::exp(e - mx));
        float* o = out.data() + i * C + h * hd;
        for (int64_t j = 0; j < T; ++j) {
            const float pj = p[static_cast<size_t>(j)] / sum;
            const float* vj = v.data() + j * C + h * hd;
            for (int64_t d = 0; d < hd; ++d) o[d] += pj * vj[d];
            const int64_t off = j - i;
            if (off >= -W && off <= W) {
                const float* rv = L.rel_v + (off + W) * hd;
                for (int64_t d = 0; d < hd; ++d) o[d] += pj * rv[d];
            }
        }
    });
}

void add_into(std::vector<float>& x, const std::vector<float>& y) {
    for (size_t i = 0; i < x.size(); ++i) x[i] += y[i];
}

}  // namespace

Status text_encoder(Session& s, const VitsVoice::Weights& w, const VitsArchitecture& a, std::span<const int64_t> ids,
                    std::vector<float>& enc_x, std::vector<float>& stats) {
    const int64_t T = static_cast<int64_t>(ids.size()), C = a.hidden_channels;
    std::vector<float>& x = enc_x;
    x.assign(static_cast<size_t>(T * C), 0.0f);
    const float emb_scale = std::sqrt(static_cast<float>(C));
    for (int64_t t = 0; t < T; ++t) {
        const float* e = w.emb + ids[static_cast<size_t>(t)] * C;
        for (int64_t c = 0; c < C; ++c) x[static_cast<size_t>(t * C + c)] = e[c] * emb_scale;
    }
    std::vector<float> q, k, v, o, y, f;
    int64_t Tn = 0;
    for (int l = 0; l < a.n_layers; ++l) {
        const AttnLayerW& L = w.attn[static_cast<size_t>(l)];
        ATELIER_TRY(conv1d(s, L.q, x, T, q, Tn));
        ATELIER_TRY(conv1d(s, L.k, x, T, k, Tn));
        ATELIER_TRY(conv1d(s, L.v, x, T, v, Tn));
        relative_attention(a, L, q, k, v, T, o, s.context());
        ATELIER_TRY(conv1d(s, L.o, o, T, y, Tn));
        add_into(x, y);
        layer_norm_channels(x.data(), T, C, w.norm1[static_cast<size_t>(l)]);
        const FfnW& F = w.ffn[static_cast<size_t>(l)];
        ATELIER_TRY(conv1d(s, F.c1, x, T, f, Tn));
        for (float& e : f) e = std::max(e, 0.0f);
        ATELIER_TRY(conv1d(s, F.c2, f, T, y, Tn));
        add_into(x, y);
        layer_norm_channels(x.data(), T, C, w.norm2[static_cast<size_t>(l)]);
    }
    return conv1d(s, w.enc_proj, x, T, stats, Tn);
}

}  // namespace atelier::infer::tts
