// Internal contract between the Whisper sources: the bound weights, the raw tensor sources of the
// two file formats (HF safetensors, whisper.cpp ggml .bin), the config readers, and the small
// row helpers (layer norm, GELU, bias) the forward passes share.
// Thread-safety: Weights and RawModel are immutable after load; helpers are pure functions that
// may split work over the Session's pool (call them from the Session's thread).
#pragma once

#include <filesystem>
#include <span>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "inference/arch/whisper/whisper.h"
#include "inference/loaders/mapped-file.h"

namespace atelier::infer::whisper {

// Tensors of one checkpoint under canonical names (HF names without the "model." prefix, e.g.
// "encoder.layers.0.self_attn.q_proj.weight"), plus what the file says besides the tensors.
struct RawModel {
    std::string label;                    // the file or folder, for error messages
    std::map<std::string, Tensor> tensors;
    std::shared_ptr<const Model> model;   // safetensors: keeps the mappings alive
    std::shared_ptr<const MappedFile> bin;  // ggml .bin
    // ggml .bin only: the header hyper-parameters and the byte vocabulary.
    bool from_ggml = false;
    int ggml_hparams[11] = {};  // n_vocab, n_audio_ctx, n_audio_state, n_audio_head, n_audio_layer,
                                // n_text_ctx, n_text_state, n_text_head, n_text_layer, n_mels, ftype
    std::vector<std::string> ggml_vocab;
};

// whisper.cpp ggml .bin (magic "ggml", legacy unaligned layout). Errors: ModelFormat,
// ModelTruncated, ModelUnsupported naming the file and the tensor.
Result<RawModel> read_ggml_bin(const std::filesystem::path& path, const LoadOptions& options);
// HF folder (or a .safetensors file with config.json beside it).
Result<RawModel> read_hf_folder(const std::filesystem::path& path, const LoadOptions& options);

// Hyper-parameters and special ids. HF: config.json, generation_config.json when present, then the
// tokenizer's added tokens, then the vocabulary-size layout. ggml: the header and the layout.
Result<WhisperConfig> config_from_hf(const RawModel& raw, const std::filesystem::path& folder, const Tokenizer* tok);
Result<WhisperConfig> config_from_ggml(const RawModel& raw);
// The vocabulary-size layout of openai/whisper's tokenizer (special ids, languages).
Status apply_vocab_layout(WhisperConfig& cfg);
// A Tokenizer from a ggml .bin's byte vocabulary (merges recovered from the ranks; specials added
// at cfg's ids). Errors: ModelFormat for an empty, oversized or repeating vocabulary.
Result<std::shared_ptr<const Tokenizer>> tokenizer_from_ggml_vocab(const std::vector<std::string>& words,
                                                                   const WhisperConfig& cfg, const std::string& label);
// Whisper's language codes in token order (100: the 99 of tiny..large-v2, then "yue").
const std::vector<std::string>& language_codes();

struct LayerNormW {
    Tensor w, b;  // f32 [d]
};
struct AttnW {
    Tensor q_w, k_w, v_w, o_w;  // [d, d] any weight type (views into the file)
    Tensor q_b, v_b, o_b;       // f32 [d]
};
struct BlockW {
    LayerNormW ln_attn;
    AttnW attn;
    LayerNormW ln_cross;  // decoder only
    AttnW cross;          // decoder only
    LayerNormW ln_mlp;
    Tensor fc1_w, fc2_w;  // [d, ffn], [ffn, d]
    Tensor fc1_b, fc2_b;  // f32
};

struct WhisperModel::Weights {
    RawModel raw;                 // owns the mappings the views below point into
    std::vector<std::shared_ptr<void>> owned;  // f32 copies (biases, norms, positions)
    Tensor conv1_w, conv2_w;      // viewed as [n_in*3, d] (ne[0] = (channel, tap))
    Tensor conv1_b, conv2_b;      // f32 [d]
    Tensor enc_pos;               // f32 [d, n_audio_ctx]
    std::vector<BlockW> enc, dec;
    LayerNormW enc_ln, dec_ln;
    Tensor tok_emb;               // [d, n_vocab]
    Tensor out_proj;              // [d, n_vocab]: proj_out when a checkpoint stores one, else tok_emb (tied)
    Tensor dec_pos;               // f32 [d, n_text_ctx]
    int enc_ffn = 0, dec_ffn = 0;
};

// Binds and validates every tensor against cfg (names, shapes, types); errors name the tensor,
// its shape and the expected one.
Status bind_weights(const WhisperConfig& cfg, WhisperModel::Weights& w);

// ---- row helpers (f32, contiguous [d, rows]) ----
// y = (x - mean)/sqrt(var + 1e-5)·w + b per row; x and y may alias.
void layer_norm_rows(const float* x, float* y, int64_t d, int64_t rows, const LayerNormW& ln, ExecContext& ctx);
// Tensor over borrowed f32 memory with given shape and row stride (bytes); no checks.
Tensor f32_view(float* data, int64_t ne0, int64_t ne1, int64_t row_stride_floats);

}  // namespace atelier::infer::whisper

namespace atelier::infer::whisper {

// ---- op helpers (attention.cpp) ----
// y = W·x (+ bias per row of d) through the Session's MatMul; x rows of K floats.
Status matmul_rows(Session& s, const Tensor& w, const float* x, int64_t m, float* y, const Tensor* bias = nullptr);
Status gelu_rows(Session& s, float* x, int64_t n);  // erf GELU in place (n values)

// Multi-head scaled dot-product attention over f32 rows: queries [n_q][stride q_stride] (heads
// side by side, hd each), keys [n_kv][k_stride], values transposed [n_head*hd][vt_stride] (row
// dim, column key). mask: [n_q][n_kv] additive or null. out: [n_q][out_stride]. scores:
// n_q*n_head*n_kv floats of workspace (every head's probabilities at once for few queries). keep: heads whose probabilities [n_q][n_kv] are copied out (alignment).
struct KeepHead {
    int head = 0;
    float* dst = nullptr;   // receives rows [row0, row0 + n_rows) of the head's probabilities
    int64_t row0 = 0, n_rows = 0;
};
struct AttnProblem {
    const float* q = nullptr;
    int64_t q_stride = 0, n_q = 0;
    const float* k = nullptr;
    int64_t k_stride = 0;
    const float* vt = nullptr;
    int64_t vt_stride = 0, n_kv = 0;
    int64_t n_head = 0, hd = 0;
    const float* mask = nullptr;
    float* out = nullptr;
    int64_t out_stride = 0;
    float* scores = nullptr;
    std::span<const KeepHead> keep{};
};
Status attention(Session& s, const AttnProblem& p);

// Transposes rows [n][ld] (first `cols` values) into dst [cols][dst_stride] at column offset c0.
void transpose_into(const float* src, int64_t n, int64_t cols, int64_t ld, float* dst, int64_t dst_stride, int64_t c0);

}  // namespace atelier::infer::whisper
