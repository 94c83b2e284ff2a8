// The DeepSeek V4 CausalLm (deepseek-v4.md §3.1-3.7): embed -> 4 streams -> per layer
// [mHC pre -> attn_norm -> attention -> mHC post -> mHC pre -> ffn_norm -> MoE -> mHC post] ->
// head collapse -> norm -> logits. Batches are token-major; a stop request is honoured between
// layers, per attention step and per expert, and, like any error after the first cache write,
// rolls the state back (V4State). Exact
// numerics run every op on the reference CPU kernels (fp32/double, no quantisation anywhere);
// released numerics use the fast kernels and the reference's FP8/bf16 steps.
// Thread-safety: the CausalLm is immutable and shared; eval() uses one LmState at a time.
#include <algorithm>
#include <cstdlib>
#include <string_view>

#include "inference/arch/deepseek-v4/v4.h"
#include "inference/cpu/cpu-backend.h"

namespace atelier::infer::v4 {
namespace {

// Workspace slots (0..31 are the model's; linear 0, mHC 1, MoE 8..18).
enum : int { kStreams = 20, kX, kXn, kOut, kPost, kComb, kHead };

uint64_t bytes_of(const Tensor* t) { return t ? static_cast<uint64_t>(t->n_bytes()) : 0; }
uint64_t bytes_of(const Linear& l) { return bytes_of(l.w) + bytes_of(l.scale); }

// Weights one decode step reads: everything resident except the embedding table (one row) and
// the routed experts (n_active of them per layer).
uint64_t active_bytes(const Config& c, const Weights& w) {
    uint64_t n = bytes_of(w.head) + bytes_of(w.norm) + bytes_of(w.hc_head_fn) + bytes_of(w.hc_head_base) +
                 bytes_of(w.hc_head_scale) + static_cast<uint64_t>(w.embed->row_bytes());
    for (const Layer& l : w.layers) {
        n += bytes_of(l.attn_norm) + bytes_of(l.ffn_norm);
        for (const Mhc* h : {&l.hc_attn, &l.hc_ffn}) n += bytes_of(h->fn) + bytes_of(h->base) + bytes_of(h->scale);
        const Attention& a = l.attn;
        n += bytes_of(a.wq_a) + bytes_of(a.wq_b) + bytes_of(a.wkv) + bytes_of(a.wo_a) + bytes_of(a.wo_b) +
             bytes_of(a.q_norm) + bytes_of(a.kv_norm) + bytes_of(a.sink);
        for (const Compressor* cp : {&a.compressor, &a.indexer.compressor})
            n += bytes_of(cp->wkv) + bytes_of(cp->wgate) + bytes_of(cp->ape) + bytes_of(cp->norm);
        n += bytes_of(a.indexer.wq_b) + bytes_of(a.indexer.weights_proj);
        const Moe& m = l.moe;
        n += bytes_of(m.gate) + bytes_of(m.bias) + (m.tid2eid ? static_cast<uint64_t>(m.tid2eid->row_bytes()) : 0);
        n += bytes_of(m.shared.w1) + bytes_of(m.shared.w2) + bytes_of(m.shared.w3);
        if (!m.experts.empty()) {
            const Expert& e = m.experts.front();
            n += static_cast<uint64_t>(c.n_active_experts) * (bytes_of(e.w1) + bytes_of(e.w2) + bytes_of(e.w3));
        }
    }
    return n;
}

class V4Lm final : public CausalLm {
public:
    V4Lm(std::shared_ptr<const Model> model, Config cfg, Weights w, Numerics numerics)
        : model_(std::move(model)), cfg_(std::move(cfg)), w_(std::move(w)), numerics_(numerics) {
        info_.architecture = "deepseek_v4";
        info_.vocab_size = cfg_.vocab_size;
        info_.n_layers = cfg_.n_layers;
        info_.max_context = cfg_.max_position;
        info_.bos_id = cfg_.bos_id;
        info_.eos_id = cfg_.eos_id;
        for (int64_t i = 0; i < cfg_.n_layers; ++i) {
            const int64_t r = cfg_.compress_ratios[static_cast<size_t>(i)];
            info_.cache_bytes_per_token += LayerCache::bytes_per_token(cfg_, r);
            info_.cache_bytes_fixed += LayerCache::bytes_fixed(cfg_, r);
        }
        info_.active_weight_bytes_per_token = active_bytes(cfg_, w_);
        info_.repacked_weight_bytes = w_.repacked_bytes;
    }

    const LmInfo& info() const override { return info_; }
    Numerics numerics() const override { return numerics_; }
    const std::shared_ptr<const Model>& model() const override { return model_; }

    Result<std::unique_ptr<LmState>> new_state(const LmStateOptions& options) const override {
        if (options.n_ctx <= 0)
            return make_error(ErrorCode::InvalidArgument, "context length " + std::to_string(options.n_ctx) + " is not positive",
                              "give a positive n_ctx");
        SessionOptions so;
        so.n_threads = options.n_threads;
        if (numerics_ == Numerics::Exact) {  // the reference kernels: fp32 inputs, double sums, no quantisation
            ATELIER_TRY_ASSIGN(auto backend, make_cpu_backend({.force = CpuVariant::Ref, .read_env = false}));
            so.backend = std::move(backend);
        }
        ATELIER_TRY_ASSIGN(auto session, Session::create(so));
        auto st = std::make_unique<V4State>(cfg_, options.n_ctx, std::move(session));
        ATELIER_TRY(st->init_status());
        return std::unique_ptr<LmState>(std::move(st));
    }

    Status eval(LmState& state, std::span<const int32_t> tokens, std::span<float> logits,
                const EvalOptions& options) const override;

private:
    Status check_call(const V4State& st, std::span<const int32_t> tokens, std::span<float> logits, bool all) const;
    Status run_layers(V4State& st, Ctx& c, std::span<const int32_t> tokens, float* streams, const EvalOptions& o) const;
    Status head(Ctx& c, const float* streams, int64_t T, std::span<float> logits, bool all) const;

    std::shared_ptr<const Model> model_;
    Config cfg_;
    Weights w_;
    Numerics numerics_;
    LmInfo info_;
};

Status V4Lm::check_call(const V4State& st, std::span<const int32_t> tokens, std::span<float> logits, bool all) const {
    const int64_t T = static_cast<int64_t>(tokens.size());
    if (T == 0) return make_error(ErrorCode::InvalidArgument, "eval: no tokens", "pass at least one token");
    for (int32_t t : tokens)
        if (t < 0 || t >= cfg_.vocab_size)
            return make_error(ErrorCode::InvalidArgument, "eval: token id " + std::to_string(t) + " is outside the vocabulary (" +
                                                              std::to_string(cfg_.vocab_size) + ")",
                              "tokenize with this model's tokenizer");
    const size_t want = static_cast<size_t>((all ? T : 1) * cfg_.vocab_size);
    if (logits.size() != want)
        return make_error(ErrorCode::InvalidArgument,
                          "eval: logits holds " + std::to_string(logits.size()) + " floats, expected " + std::to_string(want),
                          "size it vocab_size (or n_tokens * vocab_size with logits_all)");
    if (st.n_past() + T > st.n_ctx())
        return make_error(ErrorCode::ContextFull,
                          "the sequence holds " + std::to_string(st.n_past()) + " of " + std::to_string(st.n_ctx()) +
                              " positions; " + std::to_string(T) + " more do not fit",
                          "start a new conversation or use a longer context");
    return ok_status();
}

// In place, over the pool: streams'_k = post_k·f + Σ_j comb[j][k]·streams_j (bf16 in released).
void post_step(Ctx& c, float* streams, const float* f, const float* post, const float* comb, int64_t T) {
    const int64_t hc = c.cfg.hc_mult, d = c.cfg.dim;
    constexpr int64_t kTok = 4;
    parallel_for(c.session.context(), (T + kTok - 1) / kTok, [&](int64_t k) {
        const int64_t t0 = k * kTok, n = std::min(kTok, T - t0);
        std::span<float> s(streams + t0 * hc * d, static_cast<size_t>(n * hc * d));
        mhc_post(c.cfg, s, {f + t0 * d, static_cast<size_t>(n * d)}, {post + t0 * hc, static_cast<size_t>(n * hc)},
                 {comb + t0 * hc * hc, static_cast<size_t>(n * hc * hc)}, n);
        if (c.numerics == Numerics::Released) round_bf16(s);
    });
}

// RMSNorm of x [T][dim] in place with weight w (rounded to bf16 in released numerics).
Status norm(Ctx& c, float* x, int64_t T, const Tensor* w) {
    ATELIER_TRY(rms_norm_rows(c, x, c.cfg.dim, T, w));
    if (c.numerics == Numerics::Released) round_bf16({x, static_cast<size_t>(T * c.cfg.dim)});
    return ok_status();
}

Status V4Lm::run_layers(V4State& st, Ctx& c, std::span<const int32_t> tokens, float* streams, const EvalOptions& o) const {
    const int64_t T = static_cast<int64_t>(tokens.size());
    const std::span<float> all(streams, static_cast<size_t>(T * cfg_.hc_mult * cfg_.dim));
    for (int64_t l = 0; l < cfg_.n_layers; ++l) {
        if (o.stop.stop_requested())
            return make_error(ErrorCode::Cancelled, "eval cancelled at layer " + std::to_string(l));
        ATELIER_TRY(layer_forward(c, w_.layers[static_cast<size_t>(l)], static_cast<int>(l), st, tokens, all));
        if (o.on_layer) o.on_layer(static_cast<int>(l), all);
    }
    return ok_status();
}

Status V4Lm::head(Ctx& c, const float* streams, int64_t T, std::span<float> logits, bool all) const {
    const int64_t rows = all ? T : 1, hc = cfg_.hc_mult, d = cfg_.dim;
    const float* last = streams + (T - rows) * hc * d;
    std::span<float> y = c.ws->f32(kHead, static_cast<size_t>(rows * d));
    // [rows][dim] = Σ pre_i X_i -> norm -> [rows][vocab] = head · y (fp32)
    ATELIER_TRY(mhc_head(c, w_, {last, static_cast<size_t>(rows * hc * d)}, rows, y));
    ATELIER_TRY(norm(c, y.data(), rows, w_.norm));
    return matmul_raw(c, Linear{.w = w_.head}, y.data(), rows, logits.data());
}

Status V4Lm::eval(LmState& state, std::span<const int32_t> tokens, std::span<float> logits,
                  const EvalOptions& options) const {
    auto* stp = dynamic_cast<V4State*>(&state);
    if (!stp) return make_error(ErrorCode::InvalidArgument, "eval: the state was not made by this model", "use new_state()");
    V4State& st = *stp;
    ATELIER_TRY(check_call(st, tokens, logits, options.logits_all));
    if (options.stop.stop_requested()) return make_error(ErrorCode::Cancelled, "eval cancelled before the first layer");
    const int64_t T = static_cast<int64_t>(tokens.size()), hc = cfg_.hc_mult, d = cfg_.dim;
    Workspace& ws = st.workspace();
    Ctx c{cfg_, numerics_, st.session(), &ws, options.stop};
    // [T][dim] embeddings, copied into every stream: [T][hc][dim]
    std::span<float> e = ws.f32(kX, static_cast<size_t>(T * d));
    ATELIER_TRY_ASSIGN(Tensor et, Tensor::wrap(DType::F32, {d, T}, e.data()));
    ATELIER_TRY_ASSIGN(Tensor ids, Tensor::wrap(DType::I32, {T}, const_cast<int32_t*>(tokens.data())));
    ATELIER_TRY(st.session().run(OpCall{Op::GetRows, GetRowsArgs{.table = w_.embed, .ids = &ids, .y = &et}}));
    float* streams = ws.f32(kStreams, static_cast<size_t>(T * hc * d)).data();
    for (int64_t t = 0; t < T; ++t)
        for (int64_t i = 0; i < hc; ++i) std::copy(e.begin() + t * d, e.begin() + (t + 1) * d, streams + (t * hc + i) * d);
    st.begin_call();
    Status s = run_layers(st, c, tokens, streams, options);
    if (s.ok()) s = head(c, streams, T, logits, options.logits_all);
    if (!s.ok()) {
        st.restore_saved();  // the state is as before the call (cancel or error)
        return s;
    }
    st.advance(T);
    return ok_status();
}

}  // namespace

Status check_stop(const Ctx& c, const char* where) {
    if (!c.stop.stop_requested()) return ok_status();
    return make_error(ErrorCode::Cancelled, std::string("eval cancelled inside a layer (") + where + ")");
}

Status layer_forward(Ctx& c, const Layer& L, int index, V4State& st, std::span<const int32_t> tokens,
                     std::span<float> streams) {
    const int64_t T = static_cast<int64_t>(tokens.size()), hc = c.cfg.hc_mult, d = c.cfg.dim, pos0 = st.n_past();
    if (static_cast<int64_t>(streams.size()) < T * hc * d || !c.ws)
        return make_error(ErrorCode::InvalidArgument, "v4 layer_forward: streams too small or no workspace", "report this bug");
    Workspace& ws = *c.ws;
    std::span<float> x = ws.f32(kXn, static_cast<size_t>(T * d)), out = ws.f32(kOut, static_cast<size_t>(T * d));
    std::span<float> post = ws.f32(kPost, static_cast<size_t>(T * hc)), comb = ws.f32(kComb, static_cast<size_t>(T * hc * hc));
    // [T][dim] attention input: collapse, attn_norm
    ATELIER_TRY(mhc_pre(c, L.hc_attn, streams, T, x, post, comb));
    ATELIER_TRY(norm(c, x.data(), T, L.attn_norm));
    st.save_layer(index, pos0, T);
    ATELIER_TRY(attention_forward(c, L.attn, st.layers()[static_cast<size_t>(index)], x, pos0, T, out));
    if (c.numerics == Numerics::Released) round_bf16(out.first(static_cast<size_t>(T * d)));
    post_step(c, streams.data(), out.data(), post.data(), comb.data(), T);
    ATELIER_TRY(check_stop(c, "between attention and MoE"));
    // [T][dim] FFN input: collapse, ffn_norm, MoE
    ATELIER_TRY(mhc_pre(c, L.hc_ffn, streams, T, x, post, comb));
    ATELIER_TRY(norm(c, x.data(), T, L.ffn_norm));
    ATELIER_TRY(moe_forward(c, L.moe, index, tokens, x, T, out));
    post_step(c, streams.data(), out.data(), post.data(), comb.data(), T);
    return ok_status();
}

Result<std::shared_ptr<const CausalLm>> make_causal_lm(std::shared_ptr<const Model> model, const LmLoadOptions& options) {
    if (!model) return make_error(ErrorCode::InvalidArgument, "load_causal_lm: no model", "load a model first");
    if (options.numerics != Numerics::Released && options.numerics != Numerics::Exact)
        return make_error(ErrorCode::InvalidArgument, "load_causal_lm: numerics not set", "use released or exact");
    ATELIER_TRY_ASSIGN(Config cfg, load_config(*model));
    // Q4_K_R16 serves decode ~1.5x faster per weight byte on AVX-512 (docs/PERFORMANCE.md);
    // ATELIER_REPACK=0 keeps the file layout (for comparisons).
    const char* env = std::getenv("ATELIER_REPACK");
    const bool repack = options.numerics == Numerics::Released && cpu_prefers_q4k_r16() && !(env && std::string_view(env) == "0");
    ATELIER_TRY_ASSIGN(Weights w, bind_weights(*model, cfg, {.repack_q4k = repack}));
    return std::shared_ptr<const CausalLm>(std::make_shared<V4Lm>(std::move(model), std::move(cfg), std::move(w), options.numerics));
}

}  // namespace atelier::infer::v4
