// DeepSeek V4 hyperparameters (deepseek-v4.md §2.1) from config.json with HF names or the
// reference's short names (either at the top level or inside "text_config"), or from GGUF
// deepseek4.* metadata; then one validation pass that names the field and what was expected.
// A field given under two names must agree. Thread-safety: pure functions of an immutable Model.
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "inference/arch/deepseek-v4/v4.h"

namespace atelier::infer::v4 {
namespace {
using nlohmann::json;

std::string source_name(const Model& m) {
    if (m.files().empty()) return "model";
    const auto& f = m.files().front();
    return m.format() == ModelFormat::Gguf ? f.filename().string() : (f.parent_path() / "config.json").string();
}

Error field_error(const Model& m, std::string_view field, const std::string& what) {
    return make_error(ErrorCode::ModelFormat,
                      source_name(m) + ": DeepSeek V4 config field '" + std::string(field) + "' " + what,
                      m.format() == ModelFormat::Gguf ? "re-convert the model with a deepseek4-aware converter"
                                                      : "fix config.json (HF names such as hidden_size, or the "
                                                        "reference's short names such as dim)");
}

std::string num_text(double v) {
    if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

// ---- config.json ----
class JsonSource {
public:
    JsonSource(const Model& m, const json& top) : m_(m), top_(top) {
        if (auto t = top.find("text_config"); t != top.end() && t->is_object()) text_ = &*t;
    }
    // The value of the first name present (text_config first, then the top level); every other
    // name present must hold the same value.
    Result<const json*> find(std::initializer_list<std::string_view> names) const {
        const json* found = nullptr;
        std::string_view found_name;
        for (std::string_view n : names) {
            for (const json* obj : {text_, &top_}) {
                if (!obj) continue;
                auto it = obj->find(std::string(n));
                if (it == obj->end() || it->is_null()) continue;
                if (!found) {
                    found = &*it, found_name = n;
                } else if (*it != *found) {
                    return field_error(m_, found_name, "is " + found->dump() + " but '" + std::string(n) + "' is " +
                                                           it->dump() + " (contradictory; give one value)");
                }
            }
        }
        return found;
    }
    Result<std::optional<int64_t>> integer(std::initializer_list<std::string_view> names) const {
        ATELIER_TRY_ASSIGN(const json* v, find(names));
        if (!v) return std::optional<int64_t>{};
        if (v->is_number_integer()) return std::optional<int64_t>{v->get<int64_t>()};
        if (v->is_number_float() && v->get<double>() == std::floor(v->get<double>()) && std::fabs(v->get<double>()) < 9e15)
            return std::optional<int64_t>{static_cast<int64_t>(v->get<double>())};
        return field_error(m_, *names.begin(), "is " + v->dump() + ", expected an integer");
    }
    Result<std::optional<double>> number(std::initializer_list<std::string_view> names) const {
        ATELIER_TRY_ASSIGN(const json* v, find(names));
        if (!v) return std::optional<double>{};
        if (v->is_number()) return std::optional<double>{v->get<double>()};
        return field_error(m_, *names.begin(), "is " + v->dump() + ", expected a number");
    }
    Result<std::optional<std::string>> string(std::initializer_list<std::string_view> names) const {
        ATELIER_TRY_ASSIGN(const json* v, find(names));
        if (!v) return std::optional<std::string>{};
        if (v->is_string()) return std::optional<std::string>{v->get<std::string>()};
        return field_error(m_, *names.begin(), "is " + v->dump() + ", expected a string");
    }

private:
    const Model& m_;
    const json& top_;
    const json* text_ = nullptr;
};

template <class T>
Status need(const Model& m, std::optional<T> v, std::string_view field, T& out) {
    if (!v) return field_error(m, field, "is missing");
    out = *v;
    return ok_status();
}
template <class T>
void opt(std::optional<T> v, T& out) {
    if (v) out = *v;
}
void opt_f(std::optional<double> v, float& out) {
    if (v) out = static_cast<float>(*v);
}

Status read_json_rope(const Model& m, const JsonSource& src, Config& cfg) {
    // HF: rope_scaling {type|rope_type: yarn, factor, original_max_position_embeddings, beta_*};
    // short names: rope_factor, original_seq_len, beta_fast, beta_slow at the top level.
    ATELIER_TRY_ASSIGN(const json* rs, src.find({"rope_scaling"}));
    if (rs && !rs->is_object()) return field_error(m, "rope_scaling", "is " + rs->dump() + ", expected an object");
    if (rs) {
        std::string type;
        for (const char* k : {"type", "rope_type"})
            if (auto it = rs->find(k); it != rs->end() && it->is_string()) type = it->get<std::string>();
        if (type != "yarn") return field_error(m, "rope_scaling.type", "is '" + type + "', expected 'yarn'");
        auto num = [&](const char* k, double& out) -> Status {
            auto it = rs->find(k);
            if (it == rs->end()) return field_error(m, std::string("rope_scaling.") + k, "is missing");
            if (!it->is_number()) return field_error(m, std::string("rope_scaling.") + k, "is not a number");
            out = it->get<double>();
            return ok_status();
        };
        double factor = 0, orig = 0, bf = 32, bs = 1;
        ATELIER_TRY(num("factor", factor));
        ATELIER_TRY(num("original_max_position_embeddings", orig));
        if (rs->contains("beta_fast")) ATELIER_TRY(num("beta_fast", bf));
        if (rs->contains("beta_slow")) ATELIER_TRY(num("beta_slow", bs));
        cfg.yarn_factor = static_cast<float>(factor);
        cfg.yarn_original_ctx = static_cast<int64_t>(orig);
        cfg.yarn_beta_fast = static_cast<float>(bf);
        cfg.yarn_beta_slow = static_cast<float>(bs);
        return ok_status();
    }
    ATELIER_TRY_ASSIGN(auto factor, src.number({"rope_factor"}));
    ATELIER_TRY_ASSIGN(auto orig, src.integer({"original_seq_len"}));
    opt_f(factor, cfg.yarn_factor);
    opt(orig, cfg.yarn_original_ctx);
    ATELIER_TRY_ASSIGN(auto bf, src.number({"beta_fast"}));
    ATELIER_TRY_ASSIGN(auto bs, src.number({"beta_slow"}));
    opt_f(bf, cfg.yarn_beta_fast);
    opt_f(bs, cfg.yarn_beta_slow);
    return ok_status();
}

Status read_json_quant(const Model& m, const JsonSource& src, Config& cfg) {
    ATELIER_TRY_ASSIGN(const json* q, src.find({"quantization_config"}));
    if (!q) return ok_status();
    if (!q->is_object()) return field_error(m, "quantization_config", "is not an object");
    if (auto it = q->find("weight_block_size"); it != q->end()) {
        if (!it->is_array() || it->size() != 2 || !(*it)[0].is_number_integer() || (*it)[0] != (*it)[1])
            return field_error(m, "quantization_config.weight_block_size", "is " + it->dump() + ", expected [128, 128]");
        cfg.fp8_block = (*it)[0].get<int>();
    }
    return ok_status();
}

Status read_json_moe(const Model& m, const JsonSource& src, Config& cfg) {
    ATELIER_TRY_ASSIGN(auto routed, src.integer({"n_routed_experts"}));
    ATELIER_TRY(need(m, routed, "n_routed_experts", cfg.n_routed_experts));
    ATELIER_TRY_ASSIGN(auto shared, src.integer({"n_shared_experts"}));
    opt(shared, cfg.n_shared_experts);
    ATELIER_TRY_ASSIGN(auto active, src.integer({"num_experts_per_tok", "n_activated_experts"}));
    ATELIER_TRY(need(m, active, "num_experts_per_tok / n_activated_experts", cfg.n_active_experts));
    ATELIER_TRY_ASSIGN(auto inter, src.integer({"moe_intermediate_size", "moe_inter_dim"}));
    ATELIER_TRY(need(m, inter, "moe_intermediate_size / moe_inter_dim", cfg.moe_inter_dim));
    ATELIER_TRY_ASSIGN(auto hash, src.integer({"num_hash_layers", "n_hash_layers"}));
    opt(hash, cfg.n_hash_layers);
    ATELIER_TRY_ASSIGN(auto rscale, src.number({"routed_scaling_factor", "route_scale"}));
    opt_f(rscale, cfg.route_scale);
    ATELIER_TRY_ASSIGN(auto limit, src.number({"swiglu_limit"}));
    opt_f(limit, cfg.swiglu_limit);
    ATELIER_TRY_ASSIGN(auto score, src.string({"scoring_func", "score_func"}));
    if (score && *score != "sqrtsoftplus")
        return field_error(m, "scoring_func", "is '" + *score + "', expected 'sqrtsoftplus'");
    return ok_status();
}

Result<Config> config_from_json(const Model& m, const json& top) {
    JsonSource src(m, top);
    Config cfg;
    ATELIER_TRY_ASSIGN(auto vocab, src.integer({"vocab_size"}));
    ATELIER_TRY(need(m, vocab, "vocab_size", cfg.vocab_size));
    ATELIER_TRY_ASSIGN(auto dim, src.integer({"hidden_size", "dim"}));
    ATELIER_TRY(need(m, dim, "hidden_size / dim", cfg.dim));
    ATELIER_TRY_ASSIGN(auto layers, src.integer({"num_hidden_layers", "n_layers"}));
    ATELIER_TRY(need(m, layers, "num_hidden_layers / n_layers", cfg.n_layers));
    ATELIER_TRY_ASSIGN(auto mtp, src.integer({"num_nextn_predict_layers", "n_mtp_layers"}));
    opt(mtp, cfg.n_mtp_layers);
    ATELIER_TRY_ASSIGN(auto heads, src.integer({"num_attention_heads", "n_heads"}));
    ATELIER_TRY(need(m, heads, "num_attention_heads / n_heads", cfg.n_heads));
    ATELIER_TRY_ASSIGN(auto kv_heads, src.integer({"num_key_value_heads"}));
    if (kv_heads && *kv_heads != 1)
        return field_error(m, "num_key_value_heads", "is " + std::to_string(*kv_heads) + ", expected 1 (V4 shares one KV head)");
    ATELIER_TRY_ASSIGN(auto head_dim, src.integer({"head_dim"}));
    opt(head_dim, cfg.head_dim);
    ATELIER_TRY_ASSIGN(auto rope_dim, src.integer({"qk_rope_head_dim", "rope_head_dim"}));
    opt(rope_dim, cfg.rope_dim);
    ATELIER_TRY_ASSIGN(auto q_lora, src.integer({"q_lora_rank"}));
    ATELIER_TRY(need(m, q_lora, "q_lora_rank", cfg.q_lora_rank));
    ATELIER_TRY_ASSIGN(auto o_lora, src.integer({"o_lora_rank"}));
    ATELIER_TRY(need(m, o_lora, "o_lora_rank", cfg.o_lora_rank));
    ATELIER_TRY_ASSIGN(auto o_groups, src.integer({"o_groups"}));
    ATELIER_TRY(need(m, o_groups, "o_groups", cfg.o_groups));
    ATELIER_TRY_ASSIGN(auto window, src.integer({"sliding_window", "window_size"}));
    opt(window, cfg.window);
    ATELIER_TRY_ASSIGN(const json* ratios, src.find({"compress_ratios"}));
    if (!ratios) return field_error(m, "compress_ratios", "is missing");
    if (!ratios->is_array()) return field_error(m, "compress_ratios", "is " + ratios->dump() + ", expected a list");
    for (const json& r : *ratios) {
        if (!r.is_number_integer()) return field_error(m, "compress_ratios", "holds " + r.dump() + ", expected integers");
        cfg.compress_ratios.push_back(r.get<int64_t>());
    }
    ATELIER_TRY_ASSIGN(auto ixh, src.integer({"index_n_heads"}));
    opt(ixh, cfg.index_n_heads);
    ATELIER_TRY_ASSIGN(auto ixd, src.integer({"index_head_dim"}));
    opt(ixd, cfg.index_head_dim);
    ATELIER_TRY_ASSIGN(auto ixk, src.integer({"index_topk"}));
    opt(ixk, cfg.index_topk);
    ATELIER_TRY(read_json_moe(m, src, cfg));
    ATELIER_TRY_ASSIGN(auto hc, src.integer({"hc_mult"}));
    opt(hc, cfg.hc_mult);
    ATELIER_TRY_ASSIGN(auto iters, src.integer({"hc_sinkhorn_iters"}));
    opt(iters, cfg.hc_sinkhorn_iters);
    ATELIER_TRY_ASSIGN(auto hc_eps, src.number({"hc_eps"}));
    opt_f(hc_eps, cfg.hc_eps);
    ATELIER_TRY_ASSIGN(auto eps, src.number({"rms_norm_eps", "norm_eps"}));
    opt_f(eps, cfg.norm_eps);
    ATELIER_TRY_ASSIGN(auto theta, src.number({"rope_theta"}));
    opt_f(theta, cfg.rope_theta);
    ATELIER_TRY_ASSIGN(auto ctheta, src.number({"compress_rope_theta"}));
    if (!ctheta) cfg.compress_rope_theta = 0.0f;  // required when a layer compresses (validate)
    opt_f(ctheta, cfg.compress_rope_theta);
    ATELIER_TRY(read_json_rope(m, src, cfg));
    ATELIER_TRY_ASSIGN(auto maxpos, src.integer({"max_position_embeddings"}));
    opt(maxpos, cfg.max_position);
    if (!maxpos && cfg.yarn_original_ctx > 0) cfg.max_position = static_cast<int64_t>(cfg.yarn_original_ctx * cfg.yarn_factor);
    for (auto [name, out] : {std::pair{"bos_token_id", &cfg.bos_id}, std::pair{"eos_token_id", &cfg.eos_id}}) {
        ATELIER_TRY_ASSIGN(const json* v, src.find({name}));
        if (v && v->is_array() && !v->empty()) v = &(*v)[0];  // a list of ids: the first is the main one
        if (v && !v->is_number_integer()) return field_error(m, name, "is " + v->dump() + ", expected a token id");
        if (v) *out = static_cast<int32_t>(v->get<int64_t>());
    }
    ATELIER_TRY(read_json_quant(m, src, cfg));
    return cfg;
}

}  // namespace

// GGUF keys are defined in config-gguf.cpp.
Result<Config> config_from_gguf(const Model& m);
Status validate_config(const Model& m, const Config& cfg);

Result<Config> load_config(const Model& model) {
    Config cfg;
    if (model.format() == ModelFormat::Gguf) {
        ATELIER_TRY_ASSIGN(cfg, config_from_gguf(model));
    } else {
        if (!model.config())
            return make_error(ErrorCode::ModelFormat, source_name(model) + " is missing",
                              "a DeepSeek V4 safetensors folder needs its config.json beside the shards");
        ATELIER_TRY_ASSIGN(cfg, config_from_json(model, *model.config()));
    }
    ATELIER_TRY(validate_config(model, cfg));
    return cfg;
}

// ---- validation ----

namespace {
Status check(const Model& m, bool ok, std::string_view field, const std::string& what) {
    return ok ? ok_status() : Status(field_error(m, field, what));
}
}  // namespace

Status validate_config(const Model& m, const Config& c) {
    auto is = [](int64_t v) { return std::to_string(v); };
    ATELIER_TRY(check(m, c.vocab_size > 0, "vocab_size", "is " + is(c.vocab_size) + ", expected > 0"));
    ATELIER_TRY(check(m, c.dim > 0 && c.dim % 128 == 0, "hidden_size / dim",
                      "is " + is(c.dim) + ", expected a positive multiple of 128 (FP8 activation blocks along K)"));
    ATELIER_TRY(check(m, c.n_layers > 0, "num_hidden_layers / n_layers", "is " + is(c.n_layers) + ", expected > 0"));
    ATELIER_TRY(check(m, c.n_mtp_layers >= 0, "num_nextn_predict_layers / n_mtp_layers", "is negative"));
    ATELIER_TRY(check(m, c.n_heads > 0, "num_attention_heads / n_heads", "is " + is(c.n_heads) + ", expected > 0"));
    ATELIER_TRY(check(m, c.rope_dim > 0 && c.rope_dim % 2 == 0, "qk_rope_head_dim / rope_head_dim",
                      "is " + is(c.rope_dim) + ", expected a positive even number"));
    ATELIER_TRY(check(m, c.head_dim > c.rope_dim && (c.head_dim - c.rope_dim) % 64 == 0, "head_dim",
                      "is " + is(c.head_dim) + ", expected qk_rope_head_dim + a multiple of 64 (KV FP8 simulation blocks)"));
    ATELIER_TRY(check(m, c.q_lora_rank > 0 && c.q_lora_rank % 128 == 0, "q_lora_rank",
                      "is " + is(c.q_lora_rank) + ", expected a positive multiple of 128 (FP8 activation blocks along K)"));
    ATELIER_TRY(check(m, c.o_groups > 0 && c.n_heads % c.o_groups == 0, "o_groups",
                      "is " + is(c.o_groups) + ", expected a divisor of num_attention_heads (" + is(c.n_heads) + ")"));
    ATELIER_TRY(check(m, c.o_lora_rank > 0 && (c.o_groups * c.o_lora_rank) % 128 == 0, "o_lora_rank",
                      "is " + is(c.o_lora_rank) + ", expected o_groups * o_lora_rank to be a multiple of 128"));
    ATELIER_TRY(check(m, c.window > 0, "sliding_window / window_size", "is " + is(c.window) + ", expected > 0"));
    const size_t want_ratios = static_cast<size_t>(c.n_layers + c.n_mtp_layers);
    ATELIER_TRY(check(m, c.compress_ratios.size() == want_ratios || c.compress_ratios.size() == size_t(c.n_layers),
                      "compress_ratios",
                      "has " + std::to_string(c.compress_ratios.size()) + " entries, expected num_hidden_layers + "
                      "num_nextn_predict_layers = " + std::to_string(want_ratios)));
    bool any_csa = false;
    for (size_t i = 0; i < c.compress_ratios.size(); ++i) {
        const int64_t r = c.compress_ratios[i];
        ATELIER_TRY(check(m, r == 0 || r == 4 || r == 128, "compress_ratios",
                          "[" + std::to_string(i) + "] is " + is(r) + ", expected 0, 4 or 128"));
        any_csa |= r == 4 && static_cast<int64_t>(i) < c.n_layers;
    }
    bool any_compress = false;
    for (int64_t i = 0; i < c.n_layers; ++i) any_compress |= c.compress_ratios[static_cast<size_t>(i)] > 0;
    if (any_compress)
        ATELIER_TRY(check(m, c.compress_rope_theta > 0, "compress_rope_theta", "is missing (layers compress their KV)"));
    if (any_csa) {
        ATELIER_TRY(check(m, c.index_n_heads > 0, "index_n_heads", "is " + is(c.index_n_heads) + ", expected > 0 (CSA layers)"));
        ATELIER_TRY(check(m, c.index_topk > 0, "index_topk", "is " + is(c.index_topk) + ", expected > 0 (CSA layers)"));
        const int64_t d = c.index_head_dim;
        ATELIER_TRY(check(m, d > c.rope_dim && (d & (d - 1)) == 0 && d % 32 == 0, "index_head_dim",
                          "is " + is(d) + ", expected a power of two above qk_rope_head_dim (Hadamard, FP4 blocks of 32)"));
    }
    ATELIER_TRY(check(m, c.n_routed_experts > 0, "n_routed_experts", "is " + is(c.n_routed_experts) + ", expected > 0"));
    ATELIER_TRY(check(m, c.n_active_experts > 0 && c.n_active_experts <= c.n_routed_experts, "num_experts_per_tok / n_activated_experts",
                      "is " + is(c.n_active_experts) + ", expected 1.." + is(c.n_routed_experts) + " (n_routed_experts)"));
    ATELIER_TRY(check(m, c.n_shared_experts == 1, "n_shared_experts", "is " + is(c.n_shared_experts) + ", expected 1"));
    ATELIER_TRY(check(m, c.moe_inter_dim > 0 && c.moe_inter_dim % 128 == 0, "moe_intermediate_size / moe_inter_dim",
                      "is " + is(c.moe_inter_dim) + ", expected a positive multiple of 128 (FP8 activation blocks)"));
    ATELIER_TRY(check(m, c.n_hash_layers >= 0 && c.n_hash_layers <= c.n_layers, "num_hash_layers / n_hash_layers",
                      "is " + is(c.n_hash_layers) + ", expected 0.." + is(c.n_layers)));
    ATELIER_TRY(check(m, c.route_scale > 0 && std::isfinite(c.route_scale), "routed_scaling_factor / route_scale",
                      "is " + num_text(c.route_scale) + ", expected > 0"));
    ATELIER_TRY(check(m, c.swiglu_limit >= 0 && std::isfinite(c.swiglu_limit), "swiglu_limit",
                      "is " + num_text(c.swiglu_limit) + ", expected >= 0 (0: no clamp)"));
    ATELIER_TRY(check(m, c.hc_mult > 0 && c.hc_mult <= 16, "hc_mult", "is " + is(c.hc_mult) + ", expected 1..16"));
    ATELIER_TRY(check(m, c.hc_sinkhorn_iters > 0, "hc_sinkhorn_iters", "is " + is(c.hc_sinkhorn_iters) + ", expected > 0"));
    ATELIER_TRY(check(m, c.hc_eps >= 0 && c.norm_eps > 0, c.hc_eps < 0 ? "hc_eps" : "rms_norm_eps", "must be positive"));
    ATELIER_TRY(check(m, c.rope_theta > 0, "rope_theta", "is " + num_text(c.rope_theta) + ", expected > 0"));
    ATELIER_TRY(check(m, c.yarn_factor > 0, "rope_scaling.factor", "is " + num_text(c.yarn_factor) + ", expected > 0"));
    ATELIER_TRY(check(m, c.yarn_factor == 1.0f || c.yarn_original_ctx > 0, "rope_scaling.original_max_position_embeddings",
                      "is missing (YaRN needs the original context)"));
    ATELIER_TRY(check(m, c.max_position >= 0, "max_position_embeddings", "is negative"));
    ATELIER_TRY(check(m, c.fp8_block == 128, "quantization_config.weight_block_size",
                      "is [" + std::to_string(c.fp8_block) + ", " + std::to_string(c.fp8_block) + "], expected [128, 128] (V4)"));
    ATELIER_TRY(check(m, c.bos_id >= -1 && c.bos_id < c.vocab_size && c.eos_id >= -1 && c.eos_id < c.vocab_size,
                      "eos_token_id", "is outside the vocabulary"));
    return ok_status();
}

}  // namespace atelier::infer::v4
