// DeepSeek V4 tensor names: every model tensor is indexed under its canonical HF name (the
// official checkpoint's, deepseek-v4.md §2.3). HF aliases (self_attn, mlp, weight_scale_inv,
// e_score_correction_bias, a "model." prefix) are folded in; GGUF deepseek4 names (llama.cpp's,
// §2.4) are translated, with each stacked expert tensor under "layers.L.ffn.experts.wN.stacked".
// Thread-safety: built once at load; read-only afterwards.
#include "inference/arch/deepseek-v4/weight-names.h"

#include <algorithm>
#include <array>
#include <cstdlib>

namespace atelier::infer::v4 {
namespace {

void replace_all(std::string& s, std::string_view from, std::string_view to) {
    for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
}

std::string canonical_hf(std::string name) {
    if (name.rfind("model.", 0) == 0) name.erase(0, 6);
    replace_all(name, ".self_attn.", ".attn.");
    replace_all(name, ".mlp.", ".ffn.");
    for (auto [from, to] : {std::pair<std::string_view, std::string_view>{".weight_scale_inv", ".scale"},
                            {".e_score_correction_bias", ".bias"}})
        if (name.size() > from.size() && name.compare(name.size() - from.size(), from.size(), from) == 0)
            name.replace(name.size() - from.size(), from.size(), to);
    return name;
}

// GGUF top-level names -> HF.
constexpr std::array<std::pair<std::string_view, std::string_view>, 6> kGgufTop = {{
    {"token_embd.weight", "embed.weight"},
    {"output.weight", "head.weight"},
    {"output_norm.weight", "norm.weight"},
    {"output_hc_fn.weight", "hc_head_fn"},
    {"output_hc_base.weight", "hc_head_base"},
    {"output_hc_scale.weight", "hc_head_scale"},
}};

// GGUF per-layer suffixes (after "blk.L.") -> HF suffixes (after "layers.L.").
constexpr std::array<std::pair<std::string_view, std::string_view>, 37> kGgufLayer = {{
    {"attn_norm.weight", "attn_norm.weight"},
    {"ffn_norm.weight", "ffn_norm.weight"},
    {"hc_attn_fn.weight", "hc_attn_fn"},
    {"hc_attn_base.weight", "hc_attn_base"},
    {"hc_attn_scale.weight", "hc_attn_scale"},
    {"hc_ffn_fn.weight", "hc_ffn_fn"},
    {"hc_ffn_base.weight", "hc_ffn_base"},
    {"hc_ffn_scale.weight", "hc_ffn_scale"},
    {"attn_q_a.weight", "attn.wq_a.weight"},
    {"attn_q_a_norm.weight", "attn.q_norm.weight"},
    {"attn_q_b.weight", "attn.wq_b.weight"},
    {"attn_kv.weight", "attn.wkv.weight"},
    {"attn_kv_a_norm.weight", "attn.kv_norm.weight"},
    {"attn_output_a.weight", "attn.wo_a.weight"},
    {"attn_output_b.weight", "attn.wo_b.weight"},
    {"attn_sinks.weight", "attn.attn_sink"},
    {"attn_sinks", "attn.attn_sink"},
    {"attn_compressor_kv.weight", "attn.compressor.wkv.weight"},
    {"attn_compressor_gate.weight", "attn.compressor.wgate.weight"},
    {"attn_compressor_ape.weight", "attn.compressor.ape"},
    {"attn_compressor_norm.weight", "attn.compressor.norm.weight"},
    {"indexer.attn_q_b.weight", "attn.indexer.wq_b.weight"},
    {"indexer.proj.weight", "attn.indexer.weights_proj.weight"},
    {"indexer_compressor_kv.weight", "attn.indexer.compressor.wkv.weight"},
    {"indexer_compressor_gate.weight", "attn.indexer.compressor.wgate.weight"},
    {"indexer_compressor_ape.weight", "attn.indexer.compressor.ape"},
    {"indexer_compressor_norm.weight", "attn.indexer.compressor.norm.weight"},
    {"ffn_gate_inp.weight", "ffn.gate.weight"},
    {"exp_probs_b.bias", "ffn.gate.bias"},
    {"ffn_gate_tid2eid.weight", "ffn.gate.tid2eid"},
    {"ffn_gate_tid2eid", "ffn.gate.tid2eid"},
    {"ffn_gate_shexp.weight", "ffn.shared_experts.w1.weight"},
    {"ffn_down_shexp.weight", "ffn.shared_experts.w2.weight"},
    {"ffn_up_shexp.weight", "ffn.shared_experts.w3.weight"},
    {"ffn_gate_exps.weight", "ffn.experts.w1.stacked"},
    {"ffn_down_exps.weight", "ffn.experts.w2.stacked"},
    {"ffn_up_exps.weight", "ffn.experts.w3.stacked"},
}};

std::string canonical_gguf(const std::string& name) {
    for (auto [g, hf] : kGgufTop)
        if (name == g) return std::string(hf);
    if (name.rfind("blk.", 0) != 0) return name;
    char* end = nullptr;
    const long layer = std::strtol(name.c_str() + 4, &end, 10);
    if (end == name.c_str() + 4 || *end != '.') return name;
    const std::string_view suffix(end + 1);
    for (auto [g, hf] : kGgufLayer)
        if (suffix == g) return "layers." + std::to_string(layer) + "." + std::string(hf);
    return name;
}

}  // namespace

Result<TensorIndex> TensorIndex::build(const Model& model) {
    TensorIndex idx;
    idx.gguf_ = model.format() == ModelFormat::Gguf;
    for (const Tensor& t : model.tensors()) {
        std::string key = idx.gguf_ ? canonical_gguf(t.name) : canonical_hf(t.name);
        auto [it, inserted] = idx.map_.emplace(std::move(key), &t);
        if (!inserted)
            return make_error(ErrorCode::ModelFormat,
                              "tensors " + it->second->name + " and " + t.name + " are the same DeepSeek V4 weight (" +
                                  it->first + ")",
                              "keep one naming scheme in the checkpoint");
    }
    return idx;
}

const Tensor* TensorIndex::find(const std::string& canonical) const {
    auto it = map_.find(canonical);
    return it == map_.end() ? nullptr : it->second;
}

std::string TensorIndex::file_name(const std::string& canonical) const {
    if (const Tensor* t = find(canonical)) return t->name;
    if (!gguf_) return canonical;
    for (auto [g, hf] : kGgufTop)
        if (canonical == hf) return std::string(g);
    if (canonical.rfind("layers.", 0) == 0) {
        const size_t dot = canonical.find('.', 7);
        const std::string layer = canonical.substr(7, dot - 7);
        const std::string_view suffix = std::string_view(canonical).substr(dot + 1);
        for (auto [g, hf] : kGgufLayer)
            if (suffix == hf) return "blk." + layer + "." + std::string(g);
    }
    return canonical;
}

std::string TensorIndex::file_shape(std::initializer_list<int64_t> ne) const {
    std::vector<int64_t> v(ne);
    if (!gguf_) std::reverse(v.begin(), v.end());  // safetensors lists the outermost dimension first
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
    return s + "]";
}

std::string TensorIndex::file_shape(const Tensor& t) const {
    std::vector<int64_t> v(t.ne.begin(), t.ne.begin() + std::max(t.n_dims, 1));
    if (!gguf_) std::reverse(v.begin(), v.end());
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
    return s + "]";
}

}  // namespace atelier::infer::v4
