// DeepSeek V4 hyperparameters from GGUF metadata (architecture "deepseek4", llama.cpp's key
// names; deepseek-v4.md §2.4). Each field lists the key suffixes accepted, the first being
// llama.cpp's; a value that must be an integer, a number or an array is checked as such.
// Thread-safety: pure functions of an immutable Model.
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "inference/arch/deepseek-v4/v4.h"

namespace atelier::infer::v4 {
namespace {

class GgufSource {
public:
    explicit GgufSource(const Model& m) : m_(m), arch_(m.architecture()) {}

    // The first present key among `<arch>.<suffix>`; nullptr when none.
    const GgufValue* find(std::initializer_list<std::string_view> suffixes, std::string* key = nullptr) const {
        for (std::string_view s : suffixes) {
            const std::string k = arch_ + "." + std::string(s);
            if (const GgufValue* v = m_.gguf_value(k)) {
                if (key) *key = k;
                return v;
            }
        }
        return nullptr;
    }
    Error bad(const std::string& key, const std::string& what) const {
        const std::string file = m_.files().empty() ? "model" : m_.files().front().filename().string();
        return make_error(ErrorCode::ModelFormat, file + ": DeepSeek V4 GGUF key '" + key + "' " + what,
                          "re-convert the model with a deepseek4-aware converter");
    }
    std::string name(std::initializer_list<std::string_view> suffixes) const {
        return arch_ + "." + std::string(*suffixes.begin());
    }
    Result<std::optional<int64_t>> integer(std::initializer_list<std::string_view> suffixes) const {
        std::string key;
        const GgufValue* v = find(suffixes, &key);
        if (!v) return std::optional<int64_t>{};
        if (auto i = v->as_int()) return std::optional<int64_t>{*i};
        return bad(key, "is " + v->to_display() + ", expected an integer");
    }
    Result<std::optional<double>> number(std::initializer_list<std::string_view> suffixes) const {
        std::string key;
        const GgufValue* v = find(suffixes, &key);
        if (!v) return std::optional<double>{};
        if (auto d = v->as_number()) return std::optional<double>{*d};
        return bad(key, "is " + v->to_display() + ", expected a number");
    }
    Status required(std::initializer_list<std::string_view> suffixes, int64_t& out) const {
        ATELIER_TRY_ASSIGN(auto v, integer(suffixes));
        if (!v) return bad(name(suffixes), "is missing");
        out = *v;
        return ok_status();
    }
    Status optional(std::initializer_list<std::string_view> suffixes, int64_t& out) const {
        ATELIER_TRY_ASSIGN(auto v, integer(suffixes));
        if (v) out = *v;
        return ok_status();
    }
    Status optional(std::initializer_list<std::string_view> suffixes, float& out) const {
        ATELIER_TRY_ASSIGN(auto v, number(suffixes));
        if (v) out = static_cast<float>(*v);
        return ok_status();
    }
    const Model& model() const { return m_; }

private:
    const Model& m_;
    std::string arch_;
};

// Per-layer arrays (compress ratios) and scalars-or-arrays (the SwiGLU clamp).
Status read_arrays(const GgufSource& g, Config& c) {
    std::string key;
    const GgufValue* ratios = g.find({"attention.compress_ratios", "compress_ratios"}, &key);
    if (!ratios) return g.bad(g.name({"attention.compress_ratios"}), "is missing");
    auto r = ratios->as_ints();
    if (!r) return g.bad(key, "is " + ratios->to_display() + ", expected an array of integers");
    c.compress_ratios = *r;
    if (const GgufValue* clamp = g.find({"swiglu_clamp_exp", "swiglu_limit"}, &key)) {
        if (auto one = clamp->as_number()) {
            c.swiglu_limit = static_cast<float>(*one);
        } else if (auto many = clamp->as_numbers(); many && !many->empty()) {
            for (double v : *many)
                if (v != (*many)[0]) return g.bad(key, "differs between layers; V4 uses one limit");
            c.swiglu_limit = static_cast<float>((*many)[0]);
        } else {
            return g.bad(key, "is " + clamp->to_display() + ", expected a number or an array of numbers");
        }
    }
    return ok_status();
}

Status read_rope(const GgufSource& g, Config& c) {
    ATELIER_TRY(g.optional({"rope.freq_base"}, c.rope_theta));
    c.compress_rope_theta = 0.0f;  // required when a layer compresses (validate)
    ATELIER_TRY(g.optional({"attention.compress_rope_freq_base", "rope.compress_freq_base", "compress_rope_freq_base"},
                           c.compress_rope_theta));
    std::string key;
    if (const GgufValue* t = g.find({"rope.scaling.type"}, &key)) {
        const std::string* s = t->as_string();
        if (!s) return g.bad(key, "is not a string");
        if (*s == "none") return ok_status();
        if (*s != "yarn") return g.bad(key, "is '" + *s + "', expected 'yarn'");
        ATELIER_TRY(g.optional({"rope.scaling.factor"}, c.yarn_factor));
        ATELIER_TRY(g.optional({"rope.scaling.original_context_length"}, c.yarn_original_ctx));
        ATELIER_TRY(g.optional({"rope.scaling.yarn_beta_fast"}, c.yarn_beta_fast));
        ATELIER_TRY(g.optional({"rope.scaling.yarn_beta_slow"}, c.yarn_beta_slow));
    }
    return ok_status();
}

}  // namespace

Result<Config> config_from_gguf(const Model& m) {
    GgufSource g(m);
    Config c;
    c.fp8_block = 128;  // GGUF stores no DeepSeek block scales; the V4 activation block is 128
    if (Status s = g.required({"vocab_size"}, c.vocab_size); !s) {
        const GgufValue* toks = m.gguf_value("tokenizer.ggml.tokens");
        if (!toks) return std::move(s).error();
        c.vocab_size = static_cast<int64_t>(toks->array_size());
    }
    ATELIER_TRY(g.required({"embedding_length"}, c.dim));
    // llama.cpp appends the MTP blocks: block_count = layers + nextn_predict_layers.
    int64_t blocks = 0;
    ATELIER_TRY(g.required({"block_count"}, blocks));
    ATELIER_TRY(g.optional({"nextn_predict_layers"}, c.n_mtp_layers));
    if (c.n_mtp_layers < 0 || c.n_mtp_layers >= blocks)
        return g.bad(g.name({"nextn_predict_layers"}), "is " + std::to_string(c.n_mtp_layers) + ", expected 0.." +
                                                         std::to_string(blocks - 1) + " (block_count counts them)");
    c.n_layers = blocks - c.n_mtp_layers;
    ATELIER_TRY(g.required({"attention.head_count"}, c.n_heads));
    int64_t kv_heads = 1;
    ATELIER_TRY(g.optional({"attention.head_count_kv"}, kv_heads));
    if (kv_heads != 1) return g.bad(g.name({"attention.head_count_kv"}), "is " + std::to_string(kv_heads) + ", expected 1");
    ATELIER_TRY(g.optional({"attention.key_length"}, c.head_dim));
    ATELIER_TRY(g.optional({"rope.dimension_count"}, c.rope_dim));
    ATELIER_TRY(g.required({"attention.q_lora_rank"}, c.q_lora_rank));
    ATELIER_TRY(g.required({"attention.output_lora_rank", "attention.o_lora_rank"}, c.o_lora_rank));
    ATELIER_TRY(g.required({"attention.output_group_count", "attention.o_groups"}, c.o_groups));
    ATELIER_TRY(g.optional({"attention.sliding_window"}, c.window));
    ATELIER_TRY(g.optional({"attention.indexer.head_count"}, c.index_n_heads));
    ATELIER_TRY(g.optional({"attention.indexer.key_length"}, c.index_head_dim));
    ATELIER_TRY(g.optional({"attention.indexer.top_k"}, c.index_topk));
    ATELIER_TRY(g.required({"expert_count"}, c.n_routed_experts));
    ATELIER_TRY(g.optional({"expert_shared_count"}, c.n_shared_experts));
    ATELIER_TRY(g.required({"expert_used_count"}, c.n_active_experts));
    ATELIER_TRY(g.required({"expert_feed_forward_length"}, c.moe_inter_dim));
    ATELIER_TRY(g.optional({"hash_layer_count", "expert_hash_layer_count", "n_hash_layers"}, c.n_hash_layers));
    ATELIER_TRY(g.optional({"expert_weights_scale"}, c.route_scale));
    int64_t gating = 4;  // llama.cpp's LLAMA_EXPERT_GATING_FUNC_TYPE value for sqrt(softplus)
    ATELIER_TRY(g.optional({"expert_gating_func"}, gating));
    if (gating != 4) return g.bad(g.name({"expert_gating_func"}), "is " + std::to_string(gating) + ", expected 4 (sqrtsoftplus)");
    ATELIER_TRY(g.optional({"hyper_connection.count", "hc_mult"}, c.hc_mult));
    ATELIER_TRY(g.optional({"hyper_connection.sinkhorn_iterations", "hyper_connection.sinkhorn_iters", "hc_sinkhorn_iters"},
                           c.hc_sinkhorn_iters));
    ATELIER_TRY(g.optional({"hyper_connection.epsilon", "hyper_connection.eps", "hc_eps"}, c.hc_eps));
    ATELIER_TRY(g.optional({"attention.layer_norm_rms_epsilon"}, c.norm_eps));
    ATELIER_TRY(g.optional({"context_length"}, c.max_position));
    ATELIER_TRY(read_arrays(g, c));
    ATELIER_TRY(read_rope(g, c));
    for (auto [key, out] : {std::pair{"tokenizer.ggml.bos_token_id", &c.bos_id}, std::pair{"tokenizer.ggml.eos_token_id", &c.eos_id}})
        if (const GgufValue* v = m.gguf_value(key); v && v->as_int()) *out = static_cast<int32_t>(*v->as_int());
    return c;
}

}  // namespace atelier::infer::v4
