// VITS internals shared by vits-*.cpp: the weight structs, and the 1-D layer helpers. Activations
// are time-major: a [T][C] buffer holds one row of C channels per time step (the MatMul op's
// column layout), so a Conv1d is im2col + MatMul. Thread-safety: one Session per caller.
#pragma once

#include <algorithm>
#include <span>
#include <stop_token>
#include <vector>

#include "inference/session.h"
#include "inference/tts/vits.h"

namespace atelier::infer::tts {

// A Conv1d / ConvTranspose1d: weight viewed for MatMul, bias, attributes.
struct ConvW {
    Tensor w;  // Conv: [Cin/groups*K, Cout] (depthwise: [K, C]); ConvTranspose: [Cin, Cout*K], transposed at load
    Tensor b;  // [Cout] or empty
    Tensor wd;  // [K][Cin][Cout] for the direct kernel (groups 1, K > 1, Cout % 16 == 0, <= kDirectMaxChannels)
    ConvAttrs a;
    int64_t cin = 0, cout = 0;
};
struct LayerNormW { const float* gamma = nullptr; const float* beta = nullptr; };

struct AttnLayerW { ConvW q, k, v, o; const float* rel_k = nullptr; const float* rel_v = nullptr; };
struct FfnW { ConvW c1, c2; };
struct DdsW { std::vector<ConvW> sep, pw; std::vector<LayerNormW> n1, n2; };
struct ConvFlowW { ConvW pre, proj; DdsW dds; };
struct CouplingW { ConvW pre, post; std::vector<ConvW> in, res_skip; };

struct VitsVoice::Weights {
    const float* emb = nullptr;  // [n_vocab][hidden]
    std::vector<AttnLayerW> attn;
    std::vector<LayerNormW> norm1, norm2;
    std::vector<FfnW> ffn;
    ConvW enc_proj;
    // Duration predictor.
    ConvW dp_pre, dp_proj;
    DdsW dp_dds;
    std::vector<ConvFlowW> dp_flows;     // the spline flows used in reverse, in index order (3, 5, 7)
    const float* dp_ea_m = nullptr;      // ElementwiseAffine m [2]
    const float* dp_ea_exp_neg_logs = nullptr;  // its exp(-logs) [2], folded by the exporter
    // Flow and decoder.
    std::vector<CouplingW> flows;  // in index order
    ConvW conv_pre, conv_post;
    std::vector<ConvW> ups;
    std::vector<std::vector<ConvW>> resblocks;  // each: its convs in order
    // Multi-speaker voices (gin_channels > 0): the speaker table and the 1x1 conditioning convs.
    const float* emb_g = nullptr;  // [n_speakers][gin]
    ConvW dp_cond, dec_cond;       // gin -> hidden, gin -> upsample_initial_channel
    std::vector<ConvW> flow_cond;  // per coupling (index order), gin -> 2 hidden x WaveNet layers
};

// One speaker's conditioning: each conditioning conv of g = emb_g[speaker] (a single time step),
// i.e. a per-channel vector added at every time step: after the duration predictor's pre conv,
// to each coupling's WaveNet layer inputs before the gate (layer l: [2H l, 2H (l + 1))), after
// the decoder's conv_pre. Single-speaker voices pass none.
struct SpeakerBias {
    std::vector<float> dp, dec;
    std::vector<std::vector<float>> flows;  // per coupling, index order
};

// y [T_out][Cout] = conv(act(x) [T][Cin]); T_out from the attributes. Depthwise (groups = Cin)
// too. in_slope != 1 applies a leaky ReLU with that slope to the input on the fly.
Status conv1d(Session& s, const ConvW& c, std::span<const float> x, int64_t T, std::vector<float>& y, int64_t& T_out,
              float in_slope = 1.0f);
// Widest conv the direct kernel takes: 128 adds the first HiFi-GAN stage (CPU time per audio
// second 0.0363 vs 0.0363-0.0393 with 64, within the noise; 192+ not tried).
inline constexpr int64_t kDirectMaxChannels = 128;
// The direct AVX-512 kernel for stride-1 convs with few output channels (vits-conv-direct.cpp);
// conv1d() uses it when supported and enabled, the MatMul path otherwise.
bool conv1d_direct_supported(const ConvW& c);
Status conv1d_direct(Session& s, const ConvW& c, std::span<const float> x, int64_t T, std::vector<float>& y, int64_t T_out,
                     float in_slope);
// Process-wide switch for tests that compare the direct kernel with its MatMul twin (default on).
void set_conv1d_direct_enabled(bool enabled);
// ConvTranspose1d (groups 1).
Status conv_transpose1d(Session& s, const ConvW& c, std::span<const float> x, int64_t T, std::vector<float>& y,
                        int64_t& T_out);
// dst[cin] = input row src of x [T][cin] through the optional leaky ReLU (slope != 1), or zeros
// when src is outside [0, T) (padding). Shared by the conv paths' input copies.
inline void input_row(float* dst, std::span<const float> x, int64_t src, int64_t T, int64_t cin, float slope) {
    if (src < 0 || src >= T) {
        std::fill(dst, dst + cin, 0.0f);
        return;
    }
    const float* in = x.data() + src * cin;
    if (slope != 1.0f) {
        for (int64_t ch = 0; ch < cin; ++ch) dst[ch] = std::max(in[ch], in[ch] * slope);
    } else {
        std::copy(in, in + cin, dst);
    }
}
void layer_norm_channels(float* x, int64_t T, int64_t C, const LayerNormW& ln);  // in place, eps 1e-5
Status gelu_inplace(Session& s, std::span<float> x);  // erf GELU
Status sigmoid_inplace(Session& s, std::span<float> x);
void leaky_relu_inplace(std::span<float> x, float slope);  // slope in [0, 1]

// Stages (vits-encoder.cpp, vits-duration.cpp, vits-decoder.cpp).
Status text_encoder(Session& s, const VitsVoice::Weights& w, const VitsArchitecture& a, std::span<const int64_t> ids,
                    std::vector<float>& enc_x, std::vector<float>& stats);
Status duration_log(Session& s, const VitsVoice::Weights& w, const VitsArchitecture& a, std::span<const float> enc_x,
                    int64_t T, float noise_w, std::vector<float>& logw, const SpeakerBias* g = nullptr);
Status flow_reverse(Session& s, const VitsVoice::Weights& w, const VitsArchitecture& a, std::vector<float>& z,
                    int64_t F, const SpeakerBias* g = nullptr);
Status hifigan(Session& s, const VitsVoice::Weights& w, const VitsArchitecture& a, std::span<const float> z, int64_t F,
               std::vector<float>& audio, std::stop_token stop, const SpeakerBias* g = nullptr);

}  // namespace atelier::infer::tts
