// Whisper weights: the HF safetensors reader (through load_model) and the binding of canonical
// tensor names to the encoder/decoder structures, with strict shape and type checks. Matrices
// stay views into the file mapping; biases, norms and positional embeddings become f32 copies.
// Thread-safety: load-time functions; the result is immutable.
#include "inference/arch/whisper/whisper-internal.h"
#include "inference/quant.h"

namespace atelier::infer::whisper {
namespace {

class Binder {
public:
    Binder(const RawModel& raw) : raw_(raw) {}

    Result<const Tensor*> find(const std::string& name) const {
        auto it = raw_.tensors.find(name);
        if (it == raw_.tensors.end())
            return make_error(ErrorCode::ModelFormat, raw_.label + ": tensor " + name + " is missing",
                              raw_.from_ggml ? "the file is not a complete whisper.cpp model"
                                             : "the folder is not a complete openai/whisper-* checkpoint");
        return &it->second;
    }
    Error shape_error(const Tensor& t, const std::string& expected) const {
        return make_error(ErrorCode::ModelFormat,
                          raw_.label + ": tensor " + t.name + " has shape " + t.shape_string() + " (" + dtype_name(t.type) +
                              "), expected " + expected,
                          "the weights do not match the config; check the model files");
    }
    // A matrix [in, out] (engine order) of any type the matmul reads.
    Result<Tensor> matrix(const std::string& name, int64_t in, int64_t out) const {
        ATELIER_TRY_ASSIGN(const Tensor* t, find(name));
        if (t->ne[0] != in || t->ne[1] != out || t->ne[2] != 1 || t->ne[3] != 1)
            return shape_error(*t, "[" + std::to_string(in) + ", " + std::to_string(out) + "]");
        if (t->type != DType::F32 && t->type != DType::F16 && t->type != DType::BF16 && !dtype_traits(t->type).quantized)
            return shape_error(*t, "a float or quantised matrix");
        return *t;
    }
    // Any tensor of exactly n values (ne[0] n, or [1, n] as whisper.cpp stores conv biases), as f32.
    Result<Tensor> vector_f32(const std::string& name, int64_t n, int64_t rows = 1) const {
        ATELIER_TRY_ASSIGN(const Tensor* t, find(name));
        const bool as_rows = t->ne[0] == n && t->ne[1] == rows && t->ne[2] == 1 && t->ne[3] == 1;
        const bool as_col = rows == 1 && t->ne[0] == 1 && t->ne[1] == n && t->ne[2] == 1 && t->ne[3] == 1;
        if (!as_rows && !as_col)
            return shape_error(*t, rows == 1 ? "[" + std::to_string(n) + "]" : "[" + std::to_string(n) + ", " + std::to_string(rows) + "]");
        ATELIER_TRY_ASSIGN(Tensor out, Tensor::make(DType::F32, {n, rows}, t->name));
        const int64_t per_row = as_col ? 1 : n;
        for (int64_t r = 0; r < t->ne[1]; ++r) {
            auto st = dequantize_row(t->type, static_cast<const char*>(t->data) + r * t->nb[1],
                                     static_cast<float*>(out.data) + r * per_row, per_row);
            if (!st) return shape_error(*t, "a float tensor (" + st.error().detail + ")");
        }
        return out;
    }
    // Conv1d weight [3, n_in, d] (PyTorch [d, n_in, 3]) viewed as the matrix [n_in*3, d].
    Result<Tensor> conv(const std::string& name, int64_t n_in, int64_t d) const {
        ATELIER_TRY_ASSIGN(const Tensor* t, find(name));
        if (t->ne[0] != 3 || t->ne[1] != n_in || t->ne[2] != d || t->ne[3] != 1)
            return shape_error(*t, "[3, " + std::to_string(n_in) + ", " + std::to_string(d) + "]");
        if (t->type != DType::F32 && t->type != DType::F16 && t->type != DType::BF16)
            return shape_error(*t, "an f32/f16/bf16 convolution kernel");
        Tensor v = *t;
        v.n_dims = 2;
        v.ne = {n_in * 3, d, 1, 1};
        v.nb[1] = t->nb[2];
        v.nb[2] = v.nb[3] = t->nb[2] * d;
        return v;
    }
    Result<LayerNormW> norm(const std::string& prefix, int64_t d) const {
        LayerNormW ln;
        ATELIER_TRY_ASSIGN(ln.w, vector_f32(prefix + ".weight", d));
        ATELIER_TRY_ASSIGN(ln.b, vector_f32(prefix + ".bias", d));
        return ln;
    }
    Result<AttnW> attn(const std::string& p, int64_t d) const {
        AttnW a;
        ATELIER_TRY_ASSIGN(a.q_w, matrix(p + ".q_proj.weight", d, d));
        ATELIER_TRY_ASSIGN(a.k_w, matrix(p + ".k_proj.weight", d, d));
        ATELIER_TRY_ASSIGN(a.v_w, matrix(p + ".v_proj.weight", d, d));
        ATELIER_TRY_ASSIGN(a.o_w, matrix(p + ".out_proj.weight", d, d));
        ATELIER_TRY_ASSIGN(a.q_b, vector_f32(p + ".q_proj.bias", d));
        ATELIER_TRY_ASSIGN(a.v_b, vector_f32(p + ".v_proj.bias", d));
        ATELIER_TRY_ASSIGN(a.o_b, vector_f32(p + ".out_proj.bias", d));
        return a;
    }
    Result<BlockW> block(const std::string& p, int64_t d, bool cross, int& ffn) const {
        BlockW b;
        ATELIER_TRY_ASSIGN(b.ln_attn, norm(p + ".self_attn_layer_norm", d));
        ATELIER_TRY_ASSIGN(b.attn, attn(p + ".self_attn", d));
        if (cross) {
            ATELIER_TRY_ASSIGN(b.ln_cross, norm(p + ".encoder_attn_layer_norm", d));
            ATELIER_TRY_ASSIGN(b.cross, attn(p + ".encoder_attn", d));
        }
        ATELIER_TRY_ASSIGN(b.ln_mlp, norm(p + ".final_layer_norm", d));
        if (ffn == 0) {  // the MLP width is not in a ggml header: the first fc1 says it
            ATELIER_TRY_ASSIGN(const Tensor* fc1, find(p + ".fc1.weight"));
            ffn = static_cast<int>(fc1->ne[1]);
        }
        ATELIER_TRY_ASSIGN(b.fc1_w, matrix(p + ".fc1.weight", d, ffn));
        ATELIER_TRY_ASSIGN(b.fc2_w, matrix(p + ".fc2.weight", ffn, d));
        ATELIER_TRY_ASSIGN(b.fc1_b, vector_f32(p + ".fc1.bias", ffn));
        ATELIER_TRY_ASSIGN(b.fc2_b, vector_f32(p + ".fc2.bias", d));
        return b;
    }

private:
    const RawModel& raw_;
};

}  // namespace

Result<RawModel> read_hf_folder(const std::filesystem::path& path, const LoadOptions& options) {
    ATELIER_TRY_ASSIGN(auto model, load_model(path, options));
    RawModel raw;
    raw.label = path.string();
    if (model->format() != ModelFormat::Safetensors)
        return make_error(ErrorCode::ModelUnsupported,
                          raw.label + ": not a Whisper model (" + model_format_name(model->format()) + " architecture \"" +
                              model->architecture() + "\")",
                          "pick an openai/whisper-* safetensors folder or a whisper.cpp ggml .bin");
    for (const Tensor& t : model->tensors()) {
        std::string name = t.name;
        if (name.rfind("model.", 0) == 0) name.erase(0, 6);
        raw.tensors.emplace(std::move(name), t);
    }
    raw.model = std::move(model);
    return raw;
}

Status bind_weights(const WhisperConfig& cfg, WhisperModel::Weights& w) {
    const Binder b(w.raw);
    const int64_t d = cfg.n_audio_state;
    ATELIER_TRY_ASSIGN(w.conv1_w, b.conv("encoder.conv1.weight", cfg.n_mels, d));
    ATELIER_TRY_ASSIGN(w.conv2_w, b.conv("encoder.conv2.weight", d, d));
    ATELIER_TRY_ASSIGN(w.conv1_b, b.vector_f32("encoder.conv1.bias", d));
    ATELIER_TRY_ASSIGN(w.conv2_b, b.vector_f32("encoder.conv2.bias", d));
    ATELIER_TRY_ASSIGN(w.enc_pos, b.vector_f32("encoder.embed_positions.weight", d, cfg.n_audio_ctx));
    for (int i = 0; i < cfg.n_audio_layer; ++i) {
        ATELIER_TRY_ASSIGN(BlockW blk, b.block("encoder.layers." + std::to_string(i), d, false, w.enc_ffn));
        w.enc.push_back(std::move(blk));
    }
    ATELIER_TRY_ASSIGN(w.enc_ln, b.norm("encoder.layer_norm", d));
    ATELIER_TRY_ASSIGN(w.tok_emb, b.matrix("decoder.embed_tokens.weight", d, cfg.n_vocab));
    w.out_proj = w.tok_emb;  // tied, unless the checkpoint stores its own (some fine-tunes do)
    if (w.raw.tensors.count("proj_out.weight")) {
        ATELIER_TRY_ASSIGN(w.out_proj, b.matrix("proj_out.weight", d, cfg.n_vocab));
    }
    ATELIER_TRY_ASSIGN(w.dec_pos, b.vector_f32("decoder.embed_positions.weight", d, cfg.n_text_ctx));
    for (int i = 0; i < cfg.n_text_layer; ++i) {
        ATELIER_TRY_ASSIGN(BlockW blk, b.block("decoder.layers." + std::to_string(i), d, true, w.dec_ffn));
        w.dec.push_back(std::move(blk));
    }
    ATELIER_TRY_ASSIGN(w.dec_ln, b.norm("decoder.layer_norm", d));
    return ok_status();
}

void layer_norm_rows(const float* x, float* y, int64_t d, int64_t rows, const LayerNormW& ln, ExecContext& ctx) {
    const float* g = static_cast<const float*>(ln.w.data);
    const float* bb = static_cast<const float*>(ln.b.data);
    const int64_t parts = rows < 64 ? 1 : std::min<int64_t>(rows, ctx.n_threads * 4);
    parallel_for(ctx, parts, [&](int64_t p) {
        const int64_t r0 = rows * p / parts, r1 = rows * (p + 1) / parts;
        for (int64_t r = r0; r < r1; ++r) {
            const float* xr = x + r * d;
            float* yr = y + r * d;
            double mean = 0.0;
            for (int64_t i = 0; i < d; ++i) mean += xr[i];
            mean /= static_cast<double>(d);
            double var = 0.0;
            for (int64_t i = 0; i < d; ++i) {
                const double t = xr[i] - mean;
                var += t * t;
            }
            var /= static_cast<double>(d);
            const float inv = static_cast<float>(1.0 / std::sqrt(var + 1e-5));
            const float m = static_cast<float>(mean);
            for (int64_t i = 0; i < d; ++i) yr[i] = (xr[i] - m) * inv * g[i] + bb[i];
        }
    });
}

Tensor f32_view(float* data, int64_t ne0, int64_t ne1, int64_t row_stride_floats) {
    Tensor t;
    t.type = DType::F32;
    t.n_dims = 2;
    t.ne = {ne0, ne1, 1, 1};
    t.nb = {4, row_stride_floats * 4, row_stride_floats * 4 * ne1, row_stride_floats * 4 * ne1};
    t.data = data;
    return t;
}

}  // namespace atelier::infer::whisper
