// load_causal_lm: picks the architecture of a loaded Model and builds its CausalLm; the
// Numerics names. Architectures: deepseek_v4 (config.json model_type, or a config in the
// reference's short names that has no model_type) and GGUF deepseek4.
// Thread-safety: pure functions; the returned CausalLm is immutable and shareable.
#include "inference/lm.h"

#include "inference/arch/deepseek-v4/v4.h"

namespace atelier::infer {
namespace {

bool is_deepseek_v4(const Model& m) {
    const std::string& a = m.architecture();
    if (a == "deepseek_v4" || a == "deepseek4" || a == "DeepseekV4ForCausalLM") return true;
    // DeepSeek's own inference/config.json names no architecture; its fields and tensors do.
    if (a.empty() && m.config() && m.config()->contains("compress_ratios") && m.config()->contains("hc_mult")) return true;
    return false;
}

}  // namespace

const char* numerics_name(Numerics n) {
    switch (n) {
        case Numerics::Released: return "released";
        case Numerics::Exact: return "exact";
        default: return "invalid";
    }
}

Result<Numerics> parse_numerics(std::string_view s) {
    if (s == "released") return Numerics::Released;
    if (s == "exact") return Numerics::Exact;
    return make_error(ErrorCode::InvalidArgument, "unknown numerics '" + std::string(s) + "'",
                      "use released (what the released model computes) or exact (fp32, for verification)");
}

Result<std::shared_ptr<const CausalLm>> load_causal_lm(std::shared_ptr<const Model> model, const LmLoadOptions& options) {
    if (!model) return make_error(ErrorCode::InvalidArgument, "load_causal_lm: no model", "load a model first");
    if (is_deepseek_v4(*model)) return v4::make_causal_lm(std::move(model), options);
    const std::string file = model->files().empty() ? "model" : model->files().front().string();
    return make_error(ErrorCode::ModelUnsupported,
                      file + ": architecture '" + (model->architecture().empty() ? "(not stated)" : model->architecture()) +
                          "' is not a text-generation architecture Atelier runs",
                      "supported: deepseek_v4 (safetensors, HF or reference config) and GGUF deepseek4");
}

}  // namespace atelier::infer
