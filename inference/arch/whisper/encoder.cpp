// Whisper encoder: two 3-tap convolutions (stride 1 then 2) with GELU as im2col + MatMul,
// positional embedding, pre-LN transformer blocks, final layer norm; then every decoder layer's
// cross-attention K and V^T from the encoder output, computed once per window. A reduced audio
// context (whisper.cpp's audio_ctx) runs the same graph on fewer frames with the positional
// embedding's first rows. Cancel is
// checked between layers. Thread-safety: one Session per caller; the model is read-only.
#include <cstring>

#include "core/float-env.h"
#include "inference/arch/whisper/whisper-internal.h"

namespace atelier::infer::whisper {
namespace {

Error cancelled() { return make_error(ErrorCode::Cancelled, "whisper: encoding cancelled"); }

// x [rows][n_in] -> cols [t_out][n_in*3]: cols[t][c*3+k] = x[t*stride + k - 1][c] (0 outside).
void im2col(const float* x, int64_t rows, int64_t n_in, bool channel_major, int64_t stride, int64_t t_out, float* cols,
            ExecContext& ctx) {
    parallel_for(ctx, t_out, [&](int64_t t) {
        float* dst = cols + t * n_in * 3;
        for (int64_t k = 0; k < 3; ++k) {
            const int64_t src = t * stride + k - 1;
            const bool in = src >= 0 && src < rows;
            for (int64_t c = 0; c < n_in; ++c)
                dst[c * 3 + k] = !in ? 0.0f : channel_major ? x[c * rows + src] : x[src * n_in + c];
        }
    });
}

struct EncBuffers {
    std::vector<float> x, h, q, k, v, vt, o, f, scores;
};

Status encoder_block(Session& s, const BlockW& b, const WhisperConfig& cfg, int64_t T, EncBuffers& B) {
    const int64_t d = cfg.n_audio_state, hd = d / cfg.n_audio_head;
    ExecContext& ctx = s.context();
    layer_norm_rows(B.x.data(), B.h.data(), d, T, b.ln_attn, ctx);
    ATELIER_TRY(matmul_rows(s, b.attn.q_w, B.h.data(), T, B.q.data(), &b.attn.q_b));
    ATELIER_TRY(matmul_rows(s, b.attn.k_w, B.h.data(), T, B.k.data()));
    ATELIER_TRY(matmul_rows(s, b.attn.v_w, B.h.data(), T, B.v.data(), &b.attn.v_b));
    transpose_into(B.v.data(), T, d, d, B.vt.data(), T, 0);
    AttnProblem p;
    p.q = B.q.data(), p.q_stride = d, p.n_q = T;
    p.k = B.k.data(), p.k_stride = d;
    p.vt = B.vt.data(), p.vt_stride = T, p.n_kv = T;
    p.n_head = cfg.n_audio_head, p.hd = hd;
    p.out = B.o.data(), p.out_stride = d, p.scores = B.scores.data();
    ATELIER_TRY(attention(s, p));
    ATELIER_TRY(matmul_rows(s, b.attn.o_w, B.o.data(), T, B.h.data(), &b.attn.o_b));
    for (int64_t i = 0; i < T * d; ++i) B.x[static_cast<size_t>(i)] += B.h[static_cast<size_t>(i)];
    layer_norm_rows(B.x.data(), B.h.data(), d, T, b.ln_mlp, ctx);
    const int64_t ffn = b.fc1_w.ne[1];
    ATELIER_TRY(matmul_rows(s, b.fc1_w, B.h.data(), T, B.f.data(), &b.fc1_b));
    ATELIER_TRY(gelu_rows(s, B.f.data(), T * ffn));
    ATELIER_TRY(matmul_rows(s, b.fc2_w, B.f.data(), T, B.h.data(), &b.fc2_b));
    for (int64_t i = 0; i < T * d; ++i) B.x[static_cast<size_t>(i)] += B.h[static_cast<size_t>(i)];
    return ok_status();
}

// The two convolutions, GELU and the positional embedding (its first T rows): mel [n_mels][2T]
// -> x [T][d].
Status encoder_stem(Session& s, const WhisperModel::Weights& w, const WhisperConfig& cfg, int64_t T,
                    std::span<const float> mel, EncBuffers& B) {
    const int64_t T1 = 2 * T, d = cfg.n_audio_state, nm = cfg.n_mels;
    ExecContext& ctx = s.context();
    std::vector<float> cols(static_cast<size_t>(T1 * std::max(nm, d) * 3));
    std::vector<float> h1(static_cast<size_t>(T1 * d));
    im2col(mel.data(), T1, nm, true, 1, T1, cols.data(), ctx);
    ATELIER_TRY(matmul_rows(s, w.conv1_w, cols.data(), T1, h1.data(), &w.conv1_b));
    ATELIER_TRY(gelu_rows(s, h1.data(), T1 * d));
    im2col(h1.data(), T1, d, false, 2, T, cols.data(), ctx);
    ATELIER_TRY(matmul_rows(s, w.conv2_w, cols.data(), T, B.x.data(), &w.conv2_b));
    ATELIER_TRY(gelu_rows(s, B.x.data(), T * d));
    const float* pos = static_cast<const float*>(w.enc_pos.data);
    for (int64_t i = 0; i < T * d; ++i) B.x[static_cast<size_t>(i)] += pos[i];
    return ok_status();
}

}  // namespace

Result<EncoderOutput> WhisperModel::encode(std::span<const float> mel, Session& s, std::stop_token stop) const {
    return encode(mel, s, stop, cfg_.n_audio_ctx);
}

Result<EncoderOutput> WhisperModel::encode(std::span<const float> mel, Session& s, std::stop_token stop,
                                           int n_ctx) const {
    const FlushDenormalsScope flush_denormals;  // core/float-env.h: subnormal assists cost ~3x here
    const WhisperConfig& c = cfg_;
    const int64_t T = n_ctx, d = c.n_audio_state;
    if (n_ctx < 1 || n_ctx > c.n_audio_ctx)
        return make_error(ErrorCode::InvalidArgument,
                          "whisper: encode: audio context " + std::to_string(n_ctx) + " is outside 1.." +
                              std::to_string(c.n_audio_ctx),
                          "give at most the model's n_audio_ctx frames (30 s)");
    if (static_cast<int64_t>(mel.size()) != static_cast<int64_t>(c.n_mels) * 2 * T)
        return make_error(ErrorCode::InvalidArgument,
                          "whisper: encode needs a mel of " + std::to_string(c.n_mels) + " x " + std::to_string(2 * T) +
                              " values, got " + std::to_string(mel.size()),
                          "pad or cut the audio to the window (2 mel frames per audio context frame)");
    EncBuffers B;
    const int64_t ffn = std::max<int64_t>(w_->enc_ffn, d);
    B.x.resize(static_cast<size_t>(T * d));
    // The stem's buffers (24 MB for a 30 s window of base) are freed before the blocks' (42 MB)
    // are made, so the two never add up in the peak memory.
    ATELIER_TRY(encoder_stem(s, *w_, c, T, mel, B));
    for (auto* v : {&B.h, &B.q, &B.k, &B.v, &B.vt, &B.o}) v->resize(static_cast<size_t>(T * d));
    B.f.resize(static_cast<size_t>(T * ffn));
    B.scores.resize(static_cast<size_t>(T * T));
    for (const BlockW& b : w_->enc) {
        if (stop.stop_requested()) return cancelled();
        ATELIER_TRY(encoder_block(s, b, c, T, B));
    }
    EncoderOutput out;
    out.n_ctx = static_cast<int>(T);
    out.n_state = static_cast<int>(d);
    out.hidden.resize(static_cast<size_t>(T * d));
    layer_norm_rows(B.x.data(), out.hidden.data(), d, T, w_->enc_ln, s.context());
    const int64_t dt = c.n_text_state;
    for (const BlockW& b : w_->dec) {
        if (stop.stop_requested()) return cancelled();
        ATELIER_TRY_ASSIGN(Tensor k, Tensor::make(DType::F32, {dt, T}, "cross_k"));
        ATELIER_TRY_ASSIGN(Tensor vt, Tensor::make(DType::F32, {T, dt}, "cross_vt"));
        ATELIER_TRY(matmul_rows(s, b.cross.k_w, out.hidden.data(), T, static_cast<float*>(k.data)));
        ATELIER_TRY(matmul_rows(s, b.cross.v_w, out.hidden.data(), T, B.v.data(), &b.cross.v_b));
        transpose_into(B.v.data(), T, dt, dt, static_cast<float*>(vt.data), T, 0);
        out.cross_k.push_back(std::move(k));
        out.cross_vt.push_back(std::move(vt));
    }
    return out;
}

}  // namespace atelier::infer::whisper
