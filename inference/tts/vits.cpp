// VitsVoice: weight binding from model.safetensors through voice.json's aliases and Conv
// attributes (every tensor's shape is checked against the architecture before use), and the
// synthesis pipeline: encoder -> durations -> expanded prior (+ noise) -> flow -> decoder.
// Thread-safety: load on any thread; a loaded voice is read-only; one Session per caller.
#include "core/float-env.h"
#include "inference/tts/vits.h"

#include <chrono>
#include <cmath>
#include <random>

#include "core/log.h"

#include "inference/tts/vits-internal.h"

namespace atelier::infer::tts {
namespace {

class Binder {
public:
    Binder(const Model& m, const VoiceConfig& cfg, std::string label) : m_(m), cfg_(cfg), label_(std::move(label)) {}
    bool failed() const { return failed_; }
    Error error() const { return err_; }

    const Tensor* tensor(const std::string& name, int64_t n_elements) {
        if (failed_) return nullptr;
        auto al = cfg_.aliases.find(name);
        const std::string& key = al != cfg_.aliases.end() ? al->second : name;
        const Tensor* t = m_.find_tensor(key);
        if (t == nullptr) return fail(name + " (" + key + ") is missing");
        if (t->type != DType::F32 || !t->is_contiguous()) return fail(name + " is not a contiguous float32 tensor");
        if (n_elements >= 0 && t->n_elements() != n_elements)
            return fail(name + " has " + std::to_string(t->n_elements()) + " values, expected " + std::to_string(n_elements));
        return t;
    }
    const float* data(const std::string& name, int64_t n) {
        const Tensor* t = tensor(name, n);
        return t ? static_cast<const float*>(t->data) : nullptr;
    }
    LayerNormW norm(const std::string& mod, int64_t C) { return {data(mod + ".gamma", C), data(mod + ".beta", C)}; }

    // same_pad: the exporter padded outside the Conv (VITS FFN); apply (K-1)/2, K/2 here.
    ConvW conv(const std::string& mod, int64_t cin, int64_t cout, bool same_pad = false) {
        ConvW c;
        auto at = cfg_.convs.find(mod);
        if (at == cfg_.convs.end()) { fail(mod + " has no Conv attributes in voice.json"); return c; }
        c.a = at->second;
        c.cin = cin, c.cout = cout;
        const int64_t K = c.a.kernel;
        if (c.a.transposed) return transposed(mod, c);
        const int64_t cin_g = cin / std::max(1, c.a.groups);
        const Tensor* w = tensor(mod + ".weight", cout * cin_g * K);
        if (w == nullptr) return c;
        if (c.a.groups > 1 && (c.a.groups != cin || cin != cout)) { fail(mod + ": only depthwise grouped convs are supported"); return c; }
        if (K > 1 && c.a.groups == 1) {
            // Reordered to [Cout][K][Cin] so im2col copies whole input rows per tap.
            auto t = Tensor::make(DType::F32, {cin * K, cout}, mod + ".weight[k][c]");
            if (!t.ok()) { fail(mod + ": out of memory"); return c; }
            const float* src = static_cast<const float*>(w->data);
            float* dst = static_cast<float*>(t->data);
            for (int64_t co = 0; co < cout; ++co)
                for (int64_t ci = 0; ci < cin; ++ci)
                    for (int64_t k = 0; k < K; ++k) dst[(co * K + k) * cin + ci] = src[(co * cin + ci) * K + k];
            c.w = std::move(*t);
            if (cout % 16 == 0 && cout <= kDirectMaxChannels && !direct_layout(mod, c, src)) return c;
        } else {
            c.w = *w;
            c.w.n_dims = 2;
            c.w.ne = {cin_g * K, cout, 1, 1};
            c.w.nb = {4, 4 * cin_g * K, 4 * cin_g * K * cout, 4 * cin_g * K * cout};
        }
        if (const Tensor* b = m_.find_tensor(alias(mod + ".bias")); b != nullptr) {
            if (b->n_elements() != cout || b->type != DType::F32) { fail(mod + ".bias has the wrong shape"); return c; }
            c.b = *b;
        }
        if (same_pad && c.a.pad_begin == 0 && c.a.pad_end == 0) c.a.pad_begin = static_cast<int>((K - 1) / 2), c.a.pad_end = static_cast<int>(K / 2);
        return c;
    }

private:
    std::string alias(const std::string& name) const {
        auto al = cfg_.aliases.find(name);
        return al != cfg_.aliases.end() ? al->second : name;
    }
    const Tensor* fail(const std::string& what) {
        if (!failed_)
            err_ = make_error(ErrorCode::ModelFormat, label_ + ": " + what,
                              "reconvert the voice with tools/tts/onnx-to-safetensors.py (a Piper VITS voice)");
        failed_ = true;
        return nullptr;
    }
    // The direct kernel's [K][Cin][Cout] copy of an ONNX [Cout][Cin][K] weight.
    bool direct_layout(const std::string& mod, ConvW& c, const float* src) {
        const int64_t K = c.a.kernel, cin = c.cin, cout = c.cout;
        auto t = Tensor::make(DType::F32, {cout, cin * K}, mod + ".weight[k][ci][co]");
        if (!t.ok()) { fail(mod + ": out of memory"); return false; }
        float* dst = static_cast<float*>(t->data);
        for (int64_t co = 0; co < cout; ++co)
            for (int64_t ci = 0; ci < cin; ++ci)
                for (int64_t k = 0; k < K; ++k) dst[(k * cin + ci) * cout + co] = src[(co * cin + ci) * K + k];
        c.wd = std::move(*t);
        return true;
    }
    ConvW transposed(const std::string& mod, ConvW& c) {
        const int64_t K = c.a.kernel, cin = c.cin, cout = c.cout;
        const float* src = data(mod + ".weight", cin * cout * K);  // ONNX [Cin][Cout][K]
        if (src == nullptr) return std::move(c);
        auto t = Tensor::make(DType::F32, {cin, cout * K}, mod + ".weight^T");
        if (!t.ok()) { fail(mod + ": out of memory"); return std::move(c); }
        float* dst = static_cast<float*>(t->data);
        for (int64_t ci = 0; ci < cin; ++ci)
            for (int64_t co = 0; co < cout; ++co)
                for (int64_t k = 0; k < K; ++k) dst[(co * K + k) * cin + ci] = src[(ci * cout + co) * K + k];
        c.w = std::move(*t);
        if (const Tensor* b = m_.find_tensor(alias(mod + ".bias")); b != nullptr && b->n_elements() == cout) c.b = *b;
        return std::move(c);
    }

    const Model& m_;
    const VoiceConfig& cfg_;
    std::string label_;
    Error err_;
    bool failed_ = false;
};

DdsW bind_dds(Binder& b, const std::string& mod, int64_t C, int n_layers) {
    DdsW d;
    for (int i = 0; i < n_layers; ++i) {
        const std::string s = std::to_string(i);
        d.sep.push_back(b.conv(mod + ".convs_sep." + s, C, C));
        d.pw.push_back(b.conv(mod + ".convs_1x1." + s, C, C));
        d.n1.push_back(b.norm(mod + ".norms_1." + s, C));
        d.n2.push_back(b.norm(mod + ".norms_2." + s, C));
    }
    return d;
}

void bind_encoder(Binder& b, const VitsArchitecture& a, VitsVoice::Weights& w) {
    const int64_t C = a.hidden_channels, hd = C / a.n_heads, W = a.window_size;
    w.emb = b.data("enc_p.emb.weight", a.n_vocab * C);
    for (int l = 0; l < a.n_layers; ++l) {
        const std::string p = "enc_p.encoder.attn_layers." + std::to_string(l);
        AttnLayerW L{b.conv(p + ".conv_q", C, C), b.conv(p + ".conv_k", C, C), b.conv(p + ".conv_v", C, C),
                     b.conv(p + ".conv_o", C, C), b.data(p + ".emb_rel_k", (2 * W + 1) * hd),
                     b.data(p + ".emb_rel_v", (2 * W + 1) * hd)};
        w.attn.push_back(std::move(L));
        const std::string s = std::to_string(l);
        w.norm1.push_back(b.norm("enc_p.encoder.norm_layers_1." + s, C));
        w.norm2.push_back(b.norm("enc_p.encoder.norm_layers_2." + s, C));
        const std::string f = "enc_p.encoder.ffn_layers." + s;
        w.ffn.push_back(FfnW{b.conv(f + ".conv_1", C, a.filter_channels, true), b.conv(f + ".conv_2", a.filter_channels, C, true)});
    }
    w.enc_proj = b.conv("enc_p.proj", C, 2 * a.inter_channels);
}

void bind_duration(Binder& b, const VitsArchitecture& a, VitsVoice::Weights& w) {
    const int64_t C = a.hidden_channels;
    constexpr int kDdsLayers = 3;  // VITS's DDSConv depth in the duration predictor
    w.dp_pre = b.conv("dp.pre", C, C);
    w.dp_dds = bind_dds(b, "dp.convs", C, kDdsLayers);
    w.dp_proj = b.conv("dp.proj", C, C);
    for (int i : a.dp_flow_indices) {
        const std::string p = "dp.flows." + std::to_string(i);
        w.dp_flows.push_back(ConvFlowW{b.conv(p + ".pre", 1, C), b.conv(p + ".proj", C, 3 * a.dp_num_bins - 1),
                                       bind_dds(b, p + ".convs", C, kDdsLayers)});
    }
    w.dp_ea_m = b.data("dp.flows.0.m", 2);
    w.dp_ea_exp_neg_logs = b.data("dp.flows.0.exp_neg_logs", 2);
}

void bind_flow_decoder(Binder& b, const VitsArchitecture& a, VitsVoice::Weights& w) {
    const int64_t I = a.inter_channels, H = a.hidden_channels;
    for (int i : a.flow_indices) {
        const std::string p = "flow.flows." + std::to_string(i);
        CouplingW c{b.conv(p + ".pre", I / 2, H), b.conv(p + ".post", H, I / 2), {}, {}};
        for (int l = 0; l < a.flow_wavenet_layers; ++l) {
            const std::string s = std::to_string(l);
            c.in.push_back(b.conv(p + ".enc.in_layers." + s, H, 2 * H));
            c.res_skip.push_back(b.conv(p + ".enc.res_skip_layers." + s, H, l + 1 < a.flow_wavenet_layers ? 2 * H : H));
        }
        w.flows.push_back(std::move(c));
    }
    int64_t ch = a.upsample_initial_channel;
    w.conv_pre = b.conv("dec.conv_pre", I, ch);
    const size_t n_ups = a.upsample_rates.size(), per = static_cast<size_t>(a.resblock_count) / n_ups;
    for (size_t i = 0; i < n_ups; ++i) {
        w.ups.push_back(b.conv("dec.ups." + std::to_string(i), ch, ch / 2));
        ch /= 2;
        for (size_t j = 0; j < per; ++j) {
            std::vector<ConvW> convs;
            const std::string p = "dec.resblocks." + std::to_string(i * per + j) + ".convs.";
            for (int k = 0; k < 2; ++k) convs.push_back(b.conv(p + std::to_string(k), ch, ch));
            w.resblocks.push_back(std::move(convs));
        }
    }
    w.conv_post = b.conv("dec.conv_post", ch, 1);
}

void bind_speakers(Binder& b, const VitsArchitecture& a, int n_speakers, VitsVoice::Weights& w) {
    const int64_t G = a.gin_channels, H = a.hidden_channels;
    w.emb_g = b.data("emb_g.weight", n_speakers * G);
    w.dp_cond = b.conv("dp.cond", G, H);
    w.dec_cond = b.conv("dec.cond", G, a.upsample_initial_channel);
    for (int i : a.flow_indices)
        w.flow_cond.push_back(b.conv("flow.flows." + std::to_string(i) + ".enc.cond_layer", G, 2 * H * a.flow_wavenet_layers));
}

// cond(g) for a 1x1 conv on a single step: y[co] = b[co] + sum_ci w[co][ci] g[ci].
std::vector<float> condition(const ConvW& c, const float* g) {
    const float* wt = static_cast<const float*>(c.w.data);
    const float* bias = static_cast<const float*>(c.b.data);
    std::vector<float> y(static_cast<size_t>(c.cout));
    for (int64_t co = 0; co < c.cout; ++co) {
        float acc = bias ? bias[co] : 0.0f;
        for (int64_t ci = 0; ci < c.cin; ++ci) acc += wt[co * c.cin + ci] * g[ci];
        y[static_cast<size_t>(co)] = acc;
    }
    return y;
}

SpeakerBias speaker_bias(const VitsVoice::Weights& w, const VitsArchitecture& a, int speaker) {
    const float* g = w.emb_g + static_cast<int64_t>(speaker) * a.gin_channels;
    SpeakerBias sb{condition(w.dp_cond, g), condition(w.dec_cond, g), {}};
    for (const ConvW& c : w.flow_cond) sb.flows.push_back(condition(c, g));
    return sb;
}

// Rows [rows][stride] (columns c0..c0+C) -> channel-major [C][rows], as the ONNX graph's [1, C, T].
std::vector<float> channel_major(const std::vector<float>& v, int64_t rows, int64_t C, int64_t c0, int64_t stride) {
    std::vector<float> r(static_cast<size_t>(rows * C));
    for (int64_t t = 0; t < rows; ++t)
        for (int64_t c = 0; c < C; ++c) r[static_cast<size_t>(c * rows + t)] = v[static_cast<size_t>(t * stride + c0 + c)];
    return r;
}

// z_p [F][I]: each phoneme's prior mean repeated over its frames, plus N(0,1) x exp(logs) x noise.
std::vector<float> expand_prior(const std::vector<float>& stats, const std::vector<int64_t>& durations, int64_t F,
                                int64_t I, float noise_scale, std::mt19937_64& rng) {
    std::vector<float> z(static_cast<size_t>(F * I), 0.0f);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    for (size_t t = 0, f = 0; t < durations.size(); ++t)
        for (int64_t r = 0; r < durations[t]; ++r, ++f)
            for (int64_t c = 0; c < I; ++c) {
                const float m = stats[t * 2 * I + c], ls = stats[t * 2 * I + I + c];
                z[f * I + c] = m + (noise_scale != 0.0f ? nd(rng) * std::exp(ls) * noise_scale : 0.0f);
            }
    return z;
}

// Flow + decoder in two pieces: frames [0, c) computed on [0, c + P), then [c, F) on [c - P, F);
// each piece's audio is cropped to its own frames and handed to on_audio (exact up to float
// rounding: P covers the flow's and decoder's receptive fields).
Status decode_in_two_pieces(Session& s, const VitsVoice::Weights& w, const VitsArchitecture& a,
                            const std::vector<float>& z, int64_t F, int64_t c, int64_t hop, std::vector<float>& out,
                            std::stop_token stop, const std::function<void(std::span<const float>)>& on_audio,
                            const SpeakerBias* spk) {
    const int64_t P = kChunkContextFrames, I = a.inter_channels;
    const std::pair<int64_t, int64_t> pieces[] = {{0, c}, {c, F}};
    std::vector<float> zc, audio;
    for (const auto& [begin, end] : pieces) {
        const int64_t lo = std::max<int64_t>(0, begin - P), hi = std::min<int64_t>(F, end + P);
        zc.assign(z.begin() + lo * I, z.begin() + hi * I);
        ATELIER_TRY(flow_reverse(s, w, a, zc, hi - lo, spk));
        ATELIER_TRY(hifigan(s, w, a, zc, hi - lo, audio, stop, spk));
        const auto first = audio.begin() + (begin - lo) * hop;
        const size_t at = out.size();
        out.insert(out.end(), first, first + (end - begin) * hop);
        if (on_audio) on_audio(std::span<const float>(out).subspan(at));
    }
    return ok_status();
}

}  // namespace

VitsVoice::~VitsVoice() = default;

int VitsVoice::hop_samples() const {
    int hop = 1;
    for (int r : cfg_.arch.upsample_rates) hop *= r;
    return hop;
}

double VitsVoice::flops(int64_t n_ids, int64_t n_frames) const {
    const Weights& w = *w_;
    const auto T = static_cast<double>(n_ids), F = static_cast<double>(n_frames);
    // Per output step (ConvTranspose: per input step): 2 x Cin/groups x Cout x K.
    auto conv = [](const ConvW& c) {
        const double cin_g = static_cast<double>(c.cin) / std::max(1, c.a.groups);
        return 2.0 * cin_g * static_cast<double>(c.cout) * c.a.kernel;
    };
    auto dds = [&](const DdsW& d) {
        double f = 0;
        for (size_t i = 0; i < d.sep.size(); ++i) f += conv(d.sep[i]) + conv(d.pw[i]);
        return f;
    };
    const double C = cfg_.arch.hidden_channels;
    double per_id = conv(w.enc_proj) + conv(w.dp_pre) + conv(w.dp_proj) + dds(w.dp_dds);
    for (size_t l = 0; l < w.attn.size(); ++l)
        per_id += conv(w.attn[l].q) + conv(w.attn[l].k) + conv(w.attn[l].v) + conv(w.attn[l].o) + conv(w.ffn[l].c1) +
                  conv(w.ffn[l].c2) + 2.0 * 2.0 * T * C;  // scores and the weighted sum over T keys
    for (const ConvFlowW& f : w.dp_flows) per_id += conv(f.pre) + conv(f.proj) + dds(f.dds);
    double per_frame = conv(w.conv_pre);
    for (const CouplingW& c : w.flows) {
        per_frame += conv(c.pre) + conv(c.post);
        for (size_t l = 0; l < c.in.size(); ++l) per_frame += conv(c.in[l]) + conv(c.res_skip[l]);
    }
    double steps = F, total = per_id * T + per_frame * F;
    const size_t per = w.resblocks.size() / std::max<size_t>(1, w.ups.size());
    for (size_t i = 0; i < w.ups.size(); ++i) {
        total += conv(w.ups[i]) * steps;  // the MatMul before the overlap-add runs on the input steps
        steps *= cfg_.arch.upsample_rates[i];
        for (size_t j = 0; j < per; ++j)
            for (const ConvW& c : w.resblocks[i * per + j]) total += conv(c) * steps;
    }
    return total + conv(w.conv_post) * steps;
}

Result<std::unique_ptr<VitsVoice>> VitsVoice::load(const std::filesystem::path& dir) {
    ATELIER_TRY_ASSIGN(VoiceConfig cfg, load_voice_config(dir / "voice.json"));
    const VitsArchitecture& a = cfg.arch;
    const std::string label = (dir / "model.safetensors").string();
    if (!a.stochastic_duration)
        return make_error(ErrorCode::ModelUnsupported, label + ": only voices with the stochastic duration predictor are supported so far",
                          "use a Piper medium voice (e.g. en_US-joe-medium)");
    if ((a.gin_channels > 0) != (cfg.num_speakers > 1))
        return make_error(ErrorCode::ModelFormat, label + ": " + std::to_string(cfg.num_speakers) + " speaker(s) but speaker embedding width " +
                          std::to_string(a.gin_channels), "reconvert the voice with tools/tts/onnx-to-safetensors.py");
    if (cfg.convs.count("dec.resblocks.0.convs.0") == 0 || a.resblock_count % static_cast<int>(a.upsample_rates.size()) != 0)
        return make_error(ErrorCode::ModelUnsupported, label + ": the decoder's resblocks are not HiFi-GAN type 2 (Piper medium)",
                          "use a Piper medium-quality voice");
    ATELIER_TRY_ASSIGN(auto model, load_model(dir / "model.safetensors"));
    auto voice = std::unique_ptr<VitsVoice>(new VitsVoice());
    voice->w_ = std::make_unique<Weights>();
    Binder b(*model, cfg, label);
    bind_encoder(b, a, *voice->w_);
    bind_duration(b, a, *voice->w_);
    bind_flow_decoder(b, a, *voice->w_);
    if (a.gin_channels > 0) bind_speakers(b, a, cfg.num_speakers, *voice->w_);
    if (b.failed()) return b.error();
    voice->cfg_ = std::move(cfg);
    voice->dir_ = dir;
    voice->model_ = std::move(model);
    return voice;
}

Result<VitsOutput> VitsVoice::synthesize(std::span<const int64_t> ids, const VitsOptions& o, Session& s,
                                         std::stop_token stop,
                                         const std::function<void(std::span<const float>)>& on_audio) const {
    const FlushDenormalsScope flush_denormals;  // core/float-env.h (joe-medium: same speed, same bits)
    const VitsArchitecture& a = cfg_.arch;
    if (ids.empty()) return make_error(ErrorCode::InvalidArgument, "tts: no phoneme ids to speak");
    for (int64_t id : ids)
        if (id < 0 || id >= a.n_vocab)
            return make_error(ErrorCode::InvalidArgument, "tts: phoneme id " + std::to_string(id) + " is outside the voice's table");
    const int n_speakers = std::max(1, cfg_.num_speakers);
    if (o.speaker_id < 0 || o.speaker_id >= n_speakers)
        return make_error(ErrorCode::InvalidArgument,
                          "tts: speaker " + std::to_string(o.speaker_id) + " is out of range; the voice has " + std::to_string(n_speakers) + " speaker(s)",
                          "pick a speaker from 0 to " + std::to_string(n_speakers - 1));
    SpeakerBias bias;
    const SpeakerBias* spk = nullptr;
    if (a.gin_channels > 0) bias = speaker_bias(*w_, a, o.speaker_id), spk = &bias;
    const int64_t T = static_cast<int64_t>(ids.size()), I = a.inter_channels;
    auto cancelled = [] { return make_error(ErrorCode::Cancelled, "tts: synthesis cancelled"); };
    std::vector<float> enc_x, stats, logw;
    using Clock = std::chrono::steady_clock;
    const auto t0 = Clock::now();
    auto ms_since = [](Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); };
    ATELIER_TRY(text_encoder(s, *w_, a, ids, enc_x, stats));
    const double enc_ms = ms_since(t0);
    if (stop.stop_requested()) return cancelled();
    ATELIER_TRY(duration_log(s, *w_, a, enc_x, T, o.noise_w, logw, spk));
    const double dur_ms = ms_since(t0) - enc_ms;
    VitsOutput out;
    int64_t F = 0;
    for (float lw : logw) {
        const int64_t d = static_cast<int64_t>(std::ceil(std::exp(lw) * o.length_scale));
        out.durations.push_back(std::max<int64_t>(d, 0));
        F += out.durations.back();
    }
    F = std::max<int64_t>(F, 1);
    std::vector<float> z = expand_prior(stats, out.durations, F, I, o.noise_scale, s.rng());
    if (o.keep_intermediates) {
        out.intermediates.enc_x = channel_major(enc_x, T, a.hidden_channels, 0, a.hidden_channels);
        out.intermediates.m_p = channel_major(stats, T, I, 0, 2 * I);
        out.intermediates.logs_p = channel_major(stats, T, I, I, 2 * I);
        out.intermediates.logw = logw;
        out.intermediates.z_p = channel_major(z, F, I, 0, I);
    }
    if (stop.stop_requested()) return cancelled();
    const auto t_flow = Clock::now();
    double flow_ms = 0;
    if (o.keep_intermediates || o.first_chunk_frames <= 0 || F <= o.first_chunk_frames + kChunkContextFrames) {
        ATELIER_TRY(flow_reverse(s, *w_, a, z, F, spk));
        flow_ms = ms_since(t_flow);
        if (o.keep_intermediates) out.intermediates.z = channel_major(z, F, I, 0, I);
        ATELIER_TRY(hifigan(s, *w_, a, z, F, out.audio, stop, spk));
        if (on_audio) on_audio(out.audio);
    } else {
        ATELIER_TRY(decode_in_two_pieces(s, *w_, a, z, F, o.first_chunk_frames, hop_samples(), out.audio, stop, on_audio, spk));
        flow_ms = -1;  // interleaved with the decoder
    }
    ATELIER_LOG_DEBUG("tts: %lld ids, %lld frames: encoder %.1f ms, durations %.1f ms, flow %.1f ms, flow+decoder %.1f ms",
                      static_cast<long long>(T), static_cast<long long>(F), enc_ms, dur_ms, flow_ms, ms_since(t_flow));
    return out;
}

}  // namespace atelier::infer::tts
