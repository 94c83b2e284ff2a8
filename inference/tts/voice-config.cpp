// voice.json parsing (see voice-config.h). Every value the engine relies on is type- and
// range-checked here so later stages can trust the struct. Thread-safety: pure functions.
#include "inference/tts/voice-config.h"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace atelier::infer::tts {
namespace {

using nlohmann::json;

constexpr std::string_view kFormat = "atelier-piper-voice";
constexpr std::string_view kConvertHint =
    "convert the voice with tools/tts/onnx-to-safetensors.py (scripts/fetch-models does it for the bundled voice)";

Error bad(std::string_view label, const std::string& what) {
    return make_error(ErrorCode::ModelFormat, std::string(label) + ": " + what, std::string(kConvertHint));
}

bool get_int(const json& j, const char* key, int lo, int hi, int& out) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_number_integer()) return false;
    const int64_t v = it->get<int64_t>();
    if (v < lo || v > hi) return false;
    out = static_cast<int>(v);
    return true;
}

bool get_int_list(const json& j, const char* key, std::vector<int>& out) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_array()) return false;
    out.clear();
    for (const auto& v : *it) {
        if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > 1 << 20) return false;
        out.push_back(v.get<int>());
    }
    return true;
}

Status parse_arch(const json& a, std::string_view label, VitsArchitecture& arch) {
    constexpr int kBig = 1 << 16;
    struct Field { const char* key; int* dst; int lo; };
    const Field fields[] = {
        {"n_vocab", &arch.n_vocab, 1}, {"hidden_channels", &arch.hidden_channels, 1},
        {"inter_channels", &arch.inter_channels, 1}, {"filter_channels", &arch.filter_channels, 1},
        {"n_heads", &arch.n_heads, 1}, {"n_layers", &arch.n_layers, 1}, {"kernel_size", &arch.kernel_size, 1},
        {"window_size", &arch.window_size, 0}, {"flow_wavenet_layers", &arch.flow_wavenet_layers, 1},
        {"flow_kernel_size", &arch.flow_kernel_size, 1}, {"upsample_initial_channel", &arch.upsample_initial_channel, 1},
        {"resblock_count", &arch.resblock_count, 1}, {"gin_channels", &arch.gin_channels, 0}};
    for (const auto& f : fields)
        if (!get_int(a, f.key, f.lo, kBig, *f.dst)) return bad(label, std::string("architecture.") + f.key + " is missing or out of range");
    if (arch.hidden_channels % arch.n_heads != 0) return bad(label, "hidden_channels is not a multiple of n_heads");
    if (!get_int_list(a, "flow_indices", arch.flow_indices) || arch.flow_indices.empty())
        return bad(label, "architecture.flow_indices is missing");
    if (!get_int_list(a, "upsample_rates", arch.upsample_rates) ||
        !get_int_list(a, "upsample_kernel_sizes", arch.upsample_kernel_sizes) || arch.upsample_rates.empty() ||
        arch.upsample_rates.size() != arch.upsample_kernel_sizes.size())
        return bad(label, "architecture.upsample_rates/upsample_kernel_sizes are missing or differ in length");
    const auto dp = a.find("duration_predictor");
    if (dp == a.end() || !dp->is_string()) return bad(label, "architecture.duration_predictor is missing");
    arch.stochastic_duration = dp->get<std::string>() == "stochastic";
    if (arch.stochastic_duration) {
        if (!get_int_list(a, "dp_flow_indices", arch.dp_flow_indices) || !get_int(a, "dp_num_bins", 1, 1024, arch.dp_num_bins))
            return bad(label, "a stochastic duration predictor needs dp_flow_indices and dp_num_bins");
    }
    return ok_status();
}

Status parse_phoneme_map(const json& j, std::string_view label, VoiceConfig& cfg) {
    auto it = j.find("phoneme_id_map");
    if (it == j.end() || !it->is_object() || it->empty()) return bad(label, "phoneme_id_map is missing or empty");
    for (const auto& [phoneme, ids] : it->items()) {
        if (!ids.is_array() || ids.empty()) return bad(label, "phoneme_id_map[\"" + phoneme + "\"] is not a list of ids");
        std::vector<int64_t> v;
        for (const auto& id : ids) {
            if (!id.is_number_integer() || id.get<int64_t>() < 0) return bad(label, "phoneme_id_map[\"" + phoneme + "\"] holds a bad id");
            v.push_back(id.get<int64_t>());
        }
        cfg.phoneme_ids.emplace(phoneme, std::move(v));
    }
    for (const char* special : {"_", "^", "$"})
        if (!cfg.phoneme_ids.count(special)) return bad(label, std::string("phoneme_id_map lacks Piper's '") + special + "'");
    const json& piper = j.value("piper", json::object());
    if (auto vc = piper.find("vowel_clusters"); vc != piper.end() && vc->is_array()) {
        for (const auto& cluster : *vc) {
            std::vector<std::string> parts;
            if (cluster.is_array())
                for (const auto& p : cluster) if (p.is_string()) parts.push_back(p.get<std::string>());
            if (parts.size() >= 2) cfg.vowel_clusters.push_back(std::move(parts));
        }
    }
    return ok_status();
}

void parse_graph(const json& g, VoiceConfig& cfg) {
    if (auto al = g.find("aliases"); al != g.end() && al->is_object())
        for (const auto& [k, v] : al->items())
            if (v.is_string()) cfg.aliases.emplace(k, v.get<std::string>());
    if (auto cv = g.find("convs"); cv != g.end() && cv->is_object()) {
        for (const auto& [k, v] : cv->items()) {
            ConvAttrs c;
            c.transposed = v.value("op", "") == "ConvTranspose";
            const json& at = v.value("attributes", json::object());
            auto first = [&](const char* key, int fallback) {
                auto it = at.find(key);
                return (it != at.end() && it->is_array() && !it->empty() && (*it)[0].is_number_integer())
                    ? (*it)[0].get<int>() : fallback;
            };
            c.stride = first("strides", 1);
            c.dilation = first("dilations", 1);
            c.kernel = first("kernel_shape", 1);
            c.groups = at.value("group", 1);
            if (auto p = at.find("pads"); p != at.end() && p->is_array() && p->size() == 2) {
                c.pad_begin = (*p)[0].get<int>();
                c.pad_end = (*p)[1].get<int>();
            }
            cfg.convs.emplace(k, c);
        }
    }
}

Result<VoiceConfig> parse_voice_config_json(std::string_view json_text, std::string_view label);

}  // namespace

Result<VoiceConfig> parse_voice_config(std::string_view json_text, std::string_view label) {
    try {
        return parse_voice_config_json(json_text, label);
    } catch (const json::exception& e) {  // a field of the wrong JSON type
        return bad(label, std::string("has a field of the wrong type (") + e.what() + ")");
    }
}

namespace {
Result<VoiceConfig> parse_voice_config_json(std::string_view json_text, std::string_view label) {
    json j = json::parse(json_text.begin(), json_text.end(), nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) return bad(label, "is not JSON");
    if (j.value("format", "") != kFormat)
        return bad(label, "is not an Atelier voice (format is not \"atelier-piper-voice\"; a raw Piper .onnx.json?)");
    if (j.value("format_version", 0) != 1)
        return make_error(ErrorCode::ModelUnsupported, std::string(label) + ": voice format version " +
                          std::to_string(j.value("format_version", 0)) + " is not 1", "update Atelier or reconvert the voice");
    VoiceConfig cfg;
    if (!get_int(j, "sample_rate", 8000, 192000, cfg.sample_rate)) return bad(label, "sample_rate is missing or out of range");
    if (!get_int(j, "num_speakers", 1, 1 << 16, cfg.num_speakers)) return bad(label, "num_speakers is missing or out of range");
    for (auto [key, dst] : {std::pair{"noise_scale", &cfg.noise_scale}, {"length_scale", &cfg.length_scale}, {"noise_w", &cfg.noise_w}}) {
        auto it = j.find(key);
        if (it == j.end() || !it->is_number()) return bad(label, std::string(key) + " is missing");
        *dst = it->get<float>();
    }
    cfg.phoneme_type = j.value("phoneme_type", "espeak");
    cfg.espeak_voice = j.value("espeak_voice", "");
    if (auto sp = j.find("speaker_id_map"); sp != j.end() && sp->is_object())
        for (const auto& [k, v] : sp->items()) if (v.is_number_integer()) cfg.speaker_ids.emplace(k, v.get<int>());
    ATELIER_TRY(parse_phoneme_map(j, label, cfg));
    auto arch = j.find("architecture");
    if (arch == j.end() || !arch->is_object()) return bad(label, "architecture is missing");
    ATELIER_TRY(parse_arch(*arch, label, cfg.arch));
    parse_graph(j.value("graph", json::object()), cfg);
    return cfg;
}
}  // namespace

Result<VoiceConfig> load_voice_config(const std::filesystem::path& voice_json) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(voice_json, ec))
        return make_error(ErrorCode::NotFound, voice_json.string() + ": no such voice file", std::string(kConvertHint));
    std::ifstream in(voice_json, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    if (!in.good() && !in.eof()) return make_error(ErrorCode::IoError, voice_json.string() + ": cannot be read");
    return parse_voice_config(ss.str(), voice_json.string());
}

}  // namespace atelier::infer::tts
