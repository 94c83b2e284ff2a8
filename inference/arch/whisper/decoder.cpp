// Whisper decoder: token + learned position embeddings, pre-LN blocks (causal self-attention on
// the state's KV cache, cross-attention on the encoder output's precomputed K/V^T, GELU MLP),
// final layer norm and logits through the tied token embedding (or a stored proj_out). decode()
// feeds n tokens of one state; decode_batch() one token for each of several states with the projections batched.
// After the first calls at a given size the forward pass allocates nothing (Work and the cache
// grow only). Cancel is checked between layers; a cancelled or failed call leaves n_past as it
// was. Thread-safety: a DecoderState and the Session belong to one thread.
#include <cmath>
#include <cstring>
#include <limits>

#include "core/float-env.h"
#include "inference/arch/whisper/whisper-internal.h"
#include "inference/quant.h"

namespace atelier::infer::whisper {

struct DecoderState::Work {
    std::vector<float> x, h, q, k, v, o, f, scores, mask;
    std::vector<KeepHead> keep;
};

DecoderState::~DecoderState() = default;

void DecoderState::truncate(int n) {
    if (n >= 0 && n < n_past_) n_past_ = n;
}

uint64_t DecoderState::cache_bytes() const { return (k_.size() + vt_.size()) * sizeof(float); }

Result<std::unique_ptr<DecoderState>> DecoderState::clone() const {
    std::unique_ptr<DecoderState> c(new (std::nothrow) DecoderState());
    if (!c) return make_error(ErrorCode::OutOfMemory, "whisper: cloning a decoder state");
    c->enc_ = enc_;
    c->n_past_ = n_past_;
    c->capacity_ = capacity_;
    c->n_layer_ = n_layer_, c->n_state_ = n_state_, c->n_head_ = n_head_, c->max_ctx_ = max_ctx_;
    c->k_ = k_;
    c->vt_ = vt_;
    c->alignment_ = alignment_;
    c->work_ = std::make_unique<Work>();
    return c;
}

Status DecoderState::reserve(int n) {
    if (n <= capacity_) return ok_status();
    const int cap = std::min(max_ctx_, std::max({n, capacity_ * 2, 64}));
    const size_t L = static_cast<size_t>(n_layer_), D = static_cast<size_t>(n_state_);
    std::vector<float> k(L * static_cast<size_t>(cap) * D), vt(L * D * static_cast<size_t>(cap));
    for (size_t l = 0; l < L; ++l) {
        std::memcpy(k.data() + l * cap * D, k_.data() + l * capacity_ * D, static_cast<size_t>(n_past_) * D * sizeof(float));
        for (size_t j = 0; j < D; ++j)
            std::memcpy(vt.data() + (l * D + j) * cap, vt_.data() + (l * D + j) * capacity_,
                        static_cast<size_t>(n_past_) * sizeof(float));
    }
    k_ = std::move(k);
    vt_ = std::move(vt);
    capacity_ = cap;
    return ok_status();
}

Result<std::unique_ptr<DecoderState>> WhisperModel::new_decoder(std::shared_ptr<const EncoderOutput> enc) const {
    if (!enc || enc->n_ctx < 1 || enc->n_ctx > cfg_.n_audio_ctx ||
        static_cast<int>(enc->cross_k.size()) != cfg_.n_text_layer ||
        static_cast<int>(enc->cross_vt.size()) != cfg_.n_text_layer || enc->cross_k[0].ne[1] != enc->n_ctx ||
        enc->cross_vt[0].ne[0] != enc->n_ctx)
        return make_error(ErrorCode::InvalidArgument, "whisper: new_decoder needs an encoder output of this model",
                          "pass what this model's encode() returned");
    std::unique_ptr<DecoderState> s(new (std::nothrow) DecoderState());
    if (!s) return make_error(ErrorCode::OutOfMemory, "whisper: decoder state");
    s->enc_ = std::move(enc);
    s->n_layer_ = cfg_.n_text_layer, s->n_state_ = cfg_.n_text_state, s->n_head_ = cfg_.n_text_head;
    s->max_ctx_ = cfg_.n_text_ctx;
    s->work_ = std::make_unique<DecoderState::Work>();
    ATELIER_TRY(s->reserve(64));
    return s;
}

Status WhisperModel::decode(DecoderState& state, std::span<const int32_t> tokens, std::span<float> logits,
                            const DecodeOptions& o) const {
    DecoderState* one[1] = {&state};
    return forward(one, tokens, static_cast<int64_t>(tokens.size()), logits, o);
}

Status WhisperModel::decode_batch(std::span<DecoderState* const> states, std::span<const int32_t> tokens,
                                  std::span<float> logits, const DecodeOptions& o) const {
    if (states.size() != tokens.size())
        return make_error(ErrorCode::InvalidArgument, "whisper: decode_batch needs one token per state");
    for (size_t i = 0; i < states.size(); ++i)
        for (size_t j = 0; j < i; ++j)
            if (states[i] == states[j]) return make_error(ErrorCode::InvalidArgument, "whisper: decode_batch got a state twice");
    return forward(states, tokens, 1, logits, o);
}

namespace {

Status check_inputs(const WhisperConfig& c, std::span<DecoderState* const> states, std::span<const int32_t> tokens,
                    int64_t R, std::span<float> logits, const DecodeOptions& o) {
    auto bad = [](const std::string& w) { return Status(make_error(ErrorCode::InvalidArgument, "whisper: decode: " + w)); };
    if (!o.session) return bad("DecodeOptions::session is null");
    if (states.empty() || R <= 0) return bad("no tokens to feed");
    for (int32_t t : tokens)
        if (t < 0 || t >= c.n_vocab) return bad("token id " + std::to_string(t) + " is outside the vocabulary");
    const int64_t rows_out = o.all_logits ? static_cast<int64_t>(tokens.size()) : static_cast<int64_t>(states.size());
    if (static_cast<int64_t>(logits.size()) < rows_out * c.n_vocab)
        return bad("logits hold " + std::to_string(logits.size()) + " floats, need " + std::to_string(rows_out * c.n_vocab));
    for (const DecoderState* s : states) {
        if (!s) return bad("a state is null");
        if (s->n_past() + R > c.n_text_ctx)
            return make_error(ErrorCode::ContextFull, "whisper: the decoder context of " + std::to_string(c.n_text_ctx) +
                                                          " tokens is full", "start a new window");
    }
    return ok_status();
}

template <class V>
void grow(V& v, size_t n) {
    if (v.size() < n) v.resize(n);
}

}  // namespace

// One forward pass over rows that are state-major: row r belongs to states[r / R] at position
// n_past + r % R. A friend of DecoderState (its caches and Work). T bounds the audio context of
// every state (each cross-attends to its own encoder output's n_ctx frames).
struct DecoderAccess {
    Session& s;
    const WhisperConfig& c;
    std::span<DecoderState* const> states;
    const DecodeOptions& o;
    DecoderState::Work& W;
    int64_t R, S, M, d, H, hd, T;

    DecoderAccess(Session& ss, const WhisperConfig& cc, std::span<DecoderState* const> st, const DecodeOptions& oo, int64_t r)
        : s(ss), c(cc), states(st), o(oo), W(*st[0]->work_), R(r), S(static_cast<int64_t>(st.size())), M(S * r),
          d(cc.n_text_state), H(cc.n_text_head), hd(d / H), T(cc.n_audio_ctx) {}

    Status residual(const Tensor& w, const Tensor& b, const float* in) {
        ATELIER_TRY(matmul_rows(s, w, in, M, W.h.data(), &b));
        for (int64_t i = 0; i < M * d; ++i) W.x[static_cast<size_t>(i)] += W.h[static_cast<size_t>(i)];
        return ok_status();
    }

    void prepare_alignment() {
        const int n_align = static_cast<int>(c.alignment_heads.size());
        for (DecoderState* st : states) {
            st->alignment_.n_heads = o.want_alignment ? n_align : 0;
            st->alignment_.n_tokens = o.want_alignment ? static_cast<int>(R) : 0;
            const int64_t t_enc = st->enc_->n_ctx;
            st->alignment_.n_audio_ctx = o.want_alignment ? static_cast<int>(t_enc) : 0;
            st->alignment_.data.resize(o.want_alignment ? static_cast<size_t>(n_align * R * t_enc) : 0);
        }
    }

    // Causal self-attention of each state on its own cache (the fed rows are appended first).
    Status self_attention(int l, const BlockW& b) {
        layer_norm_rows(W.x.data(), W.h.data(), d, M, b.ln_attn, s.context());
        ATELIER_TRY(matmul_rows(s, b.attn.q_w, W.h.data(), M, W.q.data(), &b.attn.q_b));
        ATELIER_TRY(matmul_rows(s, b.attn.k_w, W.h.data(), M, W.k.data()));
        ATELIER_TRY(matmul_rows(s, b.attn.v_w, W.h.data(), M, W.v.data(), &b.attn.v_b));
        for (int64_t i = 0; i < S; ++i) {
            DecoderState& st = *states[static_cast<size_t>(i)];
            const int64_t cap = st.capacity_, n_past = st.n_past_, n_kv = n_past + R;
            float* kc = st.k_.data() + static_cast<size_t>(l) * cap * d;
            float* vtc = st.vt_.data() + static_cast<size_t>(l) * d * cap;
            std::memcpy(kc + n_past * d, W.k.data() + i * R * d, static_cast<size_t>(R * d) * sizeof(float));
            transpose_into(W.v.data() + i * R * d, R, d, d, vtc, cap, n_past);
            if (R > 1) {
                grow(W.mask, static_cast<size_t>(R * n_kv));
                for (int64_t q = 0; q < R; ++q)
                    for (int64_t j = 0; j < n_kv; ++j)
                        W.mask[static_cast<size_t>(q * n_kv + j)] = j <= n_past + q ? 0.0f : -std::numeric_limits<float>::infinity();
            }
            AttnProblem p;
            p.q = W.q.data() + i * R * d, p.q_stride = d, p.n_q = R;
            p.k = kc, p.k_stride = d, p.vt = vtc, p.vt_stride = cap, p.n_kv = n_kv;
            p.n_head = H, p.hd = hd, p.mask = R > 1 ? W.mask.data() : nullptr;
            p.out = W.o.data() + i * R * d, p.out_stride = d, p.scores = W.scores.data();
            ATELIER_TRY(attention(s, p));
        }
        return residual(b.attn.o_w, b.attn.o_b, W.o.data());
    }

    // Cross-attention; consecutive states sharing an encoder output go in one product.
    Status cross_attention(int l, const BlockW& b) {
        layer_norm_rows(W.x.data(), W.h.data(), d, M, b.ln_cross, s.context());
        ATELIER_TRY(matmul_rows(s, b.cross.q_w, W.h.data(), M, W.q.data(), &b.cross.q_b));
        for (int64_t i0 = 0; i0 < S;) {
            const EncoderOutput* enc = states[static_cast<size_t>(i0)]->enc_.get();
            const int64_t t_enc = enc->n_ctx;
            int64_t i1 = i0 + 1;
            while (i1 < S && states[static_cast<size_t>(i1)]->enc_.get() == enc) ++i1;
            W.keep.clear();
            for (size_t a = 0; o.want_alignment && a < c.alignment_heads.size(); ++a)
                if (c.alignment_heads[a].first == l)
                    for (int64_t i = i0; i < i1; ++i)
                        W.keep.push_back(KeepHead{c.alignment_heads[a].second,
                                                  states[static_cast<size_t>(i)]->alignment_.data.data() + static_cast<int64_t>(a) * R * t_enc,
                                                  (i - i0) * R, R});
            AttnProblem p;
            p.q = W.q.data() + i0 * R * d, p.q_stride = d, p.n_q = (i1 - i0) * R;
            p.k = static_cast<const float*>(enc->cross_k[static_cast<size_t>(l)].data), p.k_stride = d;
            p.vt = static_cast<const float*>(enc->cross_vt[static_cast<size_t>(l)].data), p.vt_stride = t_enc, p.n_kv = t_enc;
            p.n_head = H, p.hd = hd;
            p.out = W.o.data() + i0 * R * d, p.out_stride = d, p.scores = W.scores.data(), p.keep = W.keep;
            ATELIER_TRY(attention(s, p));
            i0 = i1;
        }
        return residual(b.cross.o_w, b.cross.o_b, W.o.data());
    }

    Status mlp(const BlockW& b) {
        layer_norm_rows(W.x.data(), W.h.data(), d, M, b.ln_mlp, s.context());
        ATELIER_TRY(matmul_rows(s, b.fc1_w, W.h.data(), M, W.f.data(), &b.fc1_b));
        ATELIER_TRY(gelu_rows(s, W.f.data(), M * b.fc1_w.ne[1]));
        return residual(b.fc2_w, b.fc2_b, W.f.data());
    }
};

Status WhisperModel::forward(std::span<DecoderState* const> states, std::span<const int32_t> tokens, int64_t R,
                             std::span<float> logits, const DecodeOptions& o) const {
    const FlushDenormalsScope flush_denormals;  // core/float-env.h: subnormal assists cost ~3x here
    const WhisperConfig& c = cfg_;
    ATELIER_TRY(check_inputs(c, states, tokens, R, logits, o));
    for (const DecoderState* st : states)
        if (st->n_layer_ != c.n_text_layer || st->n_state_ != c.n_text_state || st->n_head_ != c.n_text_head ||
            st->max_ctx_ != c.n_text_ctx)
            return make_error(ErrorCode::InvalidArgument, "whisper: decode: a state made by another model",
                              "create states with this model's new_decoder()");
    for (DecoderState* st : states) ATELIER_TRY(st->reserve(st->n_past() + static_cast<int>(R)));
    DecoderAccess P(*o.session, c, states, o, R);
    const int64_t M = P.M, d = P.d;
    DecoderState::Work& W = P.W;
    const int64_t max_kv = std::max<int64_t>(P.T, c.n_text_ctx);
    for (auto* v : {&W.x, &W.h, &W.q, &W.k, &W.v, &W.o}) grow(*v, static_cast<size_t>(M * d));
    grow(W.f, static_cast<size_t>(M * w_->dec_ffn));
    grow(W.scores, static_cast<size_t>(M * (M <= 16 ? P.H : 1) * max_kv));
    for (int64_t r = 0; r < M; ++r) {  // token + position embeddings
        const Tensor& e = w_->tok_emb;
        float* xr = W.x.data() + r * d;
        ATELIER_TRY(dequantize_row(e.type, static_cast<const char*>(e.data) + tokens[static_cast<size_t>(r)] * e.nb[1], xr, d));
        const float* pos = static_cast<const float*>(w_->dec_pos.data) + (states[static_cast<size_t>(r / R)]->n_past() + r % R) * d;
        for (int64_t i = 0; i < d; ++i) xr[i] += pos[i];
    }
    P.prepare_alignment();
    for (int l = 0; l < c.n_text_layer; ++l) {
        if (o.stop.stop_requested()) return make_error(ErrorCode::Cancelled, "whisper: decoding cancelled");
        const BlockW& b = w_->dec[static_cast<size_t>(l)];
        ATELIER_TRY(P.self_attention(l, b));
        ATELIER_TRY(P.cross_attention(l, b));
        ATELIER_TRY(P.mlp(b));
    }
    int64_t n_out = 0;  // final norm and logits: every row, or the last row of each state
    for (int64_t r = 0; r < M; ++r)
        if (o.all_logits || r % R == R - 1) {
            if (n_out != r) std::memcpy(W.x.data() + n_out * d, W.x.data() + r * d, static_cast<size_t>(d) * sizeof(float));
            ++n_out;
        }
    layer_norm_rows(W.x.data(), W.h.data(), d, n_out, w_->dec_ln, P.s.context());
    ATELIER_TRY(matmul_rows(P.s, w_->out_proj, W.h.data(), n_out, logits.data()));
    for (DecoderState* st : states) st->n_past_ += static_cast<int>(R);
    return ok_status();
}

}  // namespace atelier::infer::whisper
