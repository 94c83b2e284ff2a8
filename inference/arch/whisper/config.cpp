// Whisper hyper-parameters, special-token ids and alignment heads: from HF config.json + generation_config.json
// (+ the tokenizer's added tokens) or from a ggml .bin header, completed by the vocabulary-size
// layout of openai/whisper's tokenizer (the rule whisper.cpp also applies). Validation is strict:
// a config that is not Whisper's, or sizes that cannot work, give ModelFormat/ModelUnsupported.
// Thread-safety: pure functions.
#include <fstream>
#include <sstream>

#include "inference/arch/whisper/whisper-internal.h"

namespace atelier::infer::whisper {
namespace {

Error bad(const std::string& label, const std::string& what, const std::string& hint = {}) {
    return make_error(ErrorCode::ModelFormat, label + ": " + what,
                      hint.empty() ? "use an openai/whisper-* checkpoint or a whisper.cpp ggml .bin" : hint);
}

Result<int> get_int(const nlohmann::json& j, const char* key, const std::string& label) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_number_integer())
        return bad(label, std::string("config.json has no integer \"") + key + "\"");
    const int64_t v = it->get<int64_t>();
    if (v <= 0 || v > (1 << 24)) return bad(label, std::string("config.json \"") + key + "\" = " + std::to_string(v) + " is out of range");
    return static_cast<int>(v);
}

Result<std::vector<int32_t>> id_list(const nlohmann::json& j, const char* key, const std::string& label, int n_vocab) {
    std::vector<int32_t> out;
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return out;
    if (!it->is_array()) return bad(label, std::string("\"") + key + "\" is not a list of token ids");
    for (const auto& v : *it) {
        if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() >= n_vocab)
            return bad(label, std::string("\"") + key + "\" holds an id outside the vocabulary");
        out.push_back(static_cast<int32_t>(v.get<int64_t>()));
    }
    return out;
}

Status check_sizes(const WhisperConfig& c, const std::string& label) {
    auto fail = [&](const std::string& w) { return Status(make_error(ErrorCode::ModelUnsupported, label + ": " + w,
                                                                     "this is not a Whisper size the engine knows")); };
    if (c.n_mels != 80 && c.n_mels != 128) return fail("n_mels " + std::to_string(c.n_mels) + " (expected 80 or 128)");
    if (c.n_audio_ctx != 1500) return fail("n_audio_ctx " + std::to_string(c.n_audio_ctx) + " (expected 1500)");
    if (c.n_text_ctx < 8 || c.n_text_ctx > 4096) return fail("n_text_ctx " + std::to_string(c.n_text_ctx));
    if (c.n_audio_head <= 0 || c.n_audio_state % c.n_audio_head != 0)
        return fail("encoder width " + std::to_string(c.n_audio_state) + " is not a multiple of its heads");
    if (c.n_text_head <= 0 || c.n_text_state % c.n_text_head != 0)
        return fail("decoder width " + std::to_string(c.n_text_state) + " is not a multiple of its heads");
    if (c.n_audio_state != c.n_text_state) return fail("encoder and decoder widths differ");
    if (c.n_audio_layer <= 0 || c.n_text_layer <= 0 || c.n_audio_layer > 256 || c.n_text_layer > 256)
        return fail("layer counts out of range");
    for (int32_t id : {c.eot, c.sot, c.sot_prev, c.sot_lm, c.no_speech, c.no_timestamps, c.translate, c.transcribe,
                       c.timestamp_begin})
        if (id < 0 || id >= c.n_vocab) return fail("a special token id (" + std::to_string(id) + ") is outside the vocabulary");
    for (auto [l, h] : c.alignment_heads)
        if (l < 0 || l >= c.n_text_layer || h < 0 || h >= c.n_text_head)
            return fail("alignment head (" + std::to_string(l) + ", " + std::to_string(h) + ") outside the decoder");
    return ok_status();
}

std::optional<nlohmann::json> read_json(const std::filesystem::path& p, std::string* err) {
    std::ifstream in(p, std::ios::binary);
    if (!in) return std::nullopt;
    std::stringstream ss;
    ss << in.rdbuf();
    auto j = nlohmann::json::parse(ss.str(), nullptr, false);
    if (j.is_discarded()) {
        *err = p.string() + " is not valid JSON";
        return std::nullopt;
    }
    return j;
}

// dst = obj[key] when it is a token id; absent or null keys leave dst as it is.
Status read_id(const nlohmann::json& obj, const char* key, int32_t& dst, int n_vocab, const std::string& label) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return ok_status();
    if (!it->is_number_integer() || it->get<int64_t>() < 0 || it->get<int64_t>() >= n_vocab)
        return bad(label, std::string("\"") + key + "\" is not a token id");
    dst = static_cast<int32_t>(it->get<int64_t>());
    return ok_status();
}

Status apply_generation_config(WhisperConfig& c, const nlohmann::json& g, const std::string& label) {
    auto id = [&](const char* key, int32_t& dst) { return read_id(g, key, dst, c.n_vocab, label); };
    ATELIER_TRY(id("eos_token_id", c.eot));
    ATELIER_TRY(id("decoder_start_token_id", c.sot));
    ATELIER_TRY(id("prev_sot_token_id", c.sot_prev));
    if (auto it = g.find("no_timestamps_token_id"); it != g.end() && it->is_number_integer()) {
        ATELIER_TRY(id("no_timestamps_token_id", c.no_timestamps));
        c.timestamp_begin = c.no_timestamps + 1;
        c.no_speech = c.no_timestamps - 1;
    }
    if (auto it = g.find("task_to_id"); it != g.end() && it->is_object()) {
        ATELIER_TRY(read_id(*it, "transcribe", c.transcribe, c.n_vocab, label + " task_to_id"));
        ATELIER_TRY(read_id(*it, "translate", c.translate, c.n_vocab, label + " task_to_id"));
    }
    if (auto it = g.find("is_multilingual"); it != g.end() && it->is_boolean()) c.multilingual = it->get<bool>();
    if (auto it = g.find("lang_to_id"); it != g.end() && it->is_object()) {
        std::vector<std::pair<std::string, int32_t>> langs;
        for (auto& [k, v] : it->items()) {
            if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() >= c.n_vocab || k.size() < 5 ||
                k.rfind("<|", 0) != 0)
                return bad(label, "generation_config.json lang_to_id entry \"" + k + "\" is malformed");
            langs.emplace_back(k.substr(2, k.size() - 4), v.get<int32_t>());
        }
        std::sort(langs.begin(), langs.end(), [](auto& a, auto& b) { return a.second < b.second; });
        c.languages = std::move(langs);
    }
    if (auto it = g.find("alignment_heads"); it != g.end() && it->is_array()) {
        c.alignment_heads.clear();
        for (const auto& p : *it) {
            if (!p.is_array() || p.size() != 2 || !p[0].is_number_integer() || !p[1].is_number_integer() ||
                p[0].get<int64_t>() < 0 || p[0].get<int64_t>() > 4096 || p[1].get<int64_t>() < 0 || p[1].get<int64_t>() > 4096)
                return bad(label, "generation_config.json alignment_heads must be [[layer, head], ...]");
            c.alignment_heads.emplace_back(p[0].get<int>(), p[1].get<int>());
        }
    }
    ATELIER_TRY_ASSIGN(c.suppress_tokens, id_list(g, "suppress_tokens", label, c.n_vocab));
    ATELIER_TRY_ASSIGN(c.begin_suppress_tokens, id_list(g, "begin_suppress_tokens", label, c.n_vocab));
    return ok_status();
}

void apply_tokenizer_ids(WhisperConfig& c, const Tokenizer& tok) {
    auto set = [&](const char* text, int32_t& dst) {
        const TokenId id = tok.token_id(text);
        if (id >= 0 && id < c.n_vocab) dst = id;
    };
    set("<|endoftext|>", c.eot);
    set("<|startoftranscript|>", c.sot);
    set("<|translate|>", c.translate);
    set("<|transcribe|>", c.transcribe);
    set("<|startoflm|>", c.sot_lm);
    set("<|startofprev|>", c.sot_prev);
    set("<|nocaptions|>", c.no_speech);
    set("<|nospeech|>", c.no_speech);
    set("<|notimestamps|>", c.no_timestamps);
    set("<|0.00|>", c.timestamp_begin);
}

// openai/whisper's alignment heads per released model ((layer, head) of the decoder), keyed by
// what a ggml header can tell apart. large-v1 and large-v2 share every size: no preset for them.
struct HeadsPreset {
    int n_text_layer, n_text_state, n_mels;
    bool multilingual;
    std::vector<std::pair<int, int>> heads;
};

const std::vector<HeadsPreset>& heads_presets() {
    static const std::vector<HeadsPreset> p = {
        {4, 384, 80, false, {{1, 0}, {2, 0}, {2, 5}, {3, 0}, {3, 1}, {3, 2}, {3, 3}, {3, 4}}},                // tiny.en
        {4, 384, 80, true, {{2, 2}, {3, 0}, {3, 2}, {3, 3}, {3, 4}, {3, 5}}},                                 // tiny
        {6, 512, 80, false, {{3, 3}, {4, 7}, {5, 1}, {5, 5}, {5, 7}}},                                        // base.en
        {6, 512, 80, true, {{3, 1}, {4, 2}, {4, 3}, {4, 7}, {5, 1}, {5, 2}, {5, 4}, {5, 6}}},                 // base
        {12, 768, 80, false, {{6, 6}, {7, 0}, {7, 3}, {7, 8}, {8, 2}, {8, 5}, {8, 7}, {9, 0}, {9, 4}, {9, 8},
                              {9, 10}, {10, 0}, {10, 1}, {10, 2}, {10, 3}, {10, 6}, {10, 11}, {11, 2}, {11, 4}}},  // small.en
        {12, 768, 80, true, {{5, 3}, {5, 9}, {8, 0}, {8, 4}, {8, 7}, {8, 8}, {9, 0}, {9, 7}, {9, 9}, {10, 5}}},  // small
        {24, 1024, 80, false, {{11, 4}, {14, 1}, {14, 12}, {14, 14}, {15, 4}, {16, 0}, {16, 4}, {16, 9}, {17, 12},
                               {17, 14}, {18, 7}, {18, 10}, {18, 15}, {20, 0}, {20, 3}, {20, 9}, {20, 14}, {21, 12}}},  // medium.en
        {24, 1024, 80, true, {{13, 15}, {15, 4}, {15, 15}, {16, 1}, {20, 0}, {23, 4}}},                       // medium
        {32, 1280, 128, true, {{7, 0}, {10, 17}, {12, 18}, {13, 12}, {16, 1}, {17, 14}, {19, 11}, {21, 4}, {24, 1}, {25, 6}}},  // large-v3
        {4, 1280, 128, true, {{2, 4}, {2, 11}, {3, 3}, {3, 6}, {3, 11}, {3, 14}}},                            // large-v3-turbo
    };
    return p;
}

void apply_heads_preset(WhisperConfig& c) {
    for (const HeadsPreset& p : heads_presets())
        if (p.n_text_layer == c.n_text_layer && p.n_text_state == c.n_text_state && p.n_mels == c.n_mels &&
            p.multilingual == c.multilingual) {
            c.alignment_heads = p.heads;
            return;
        }
}

}  // namespace

const std::vector<std::string>& language_codes() {
    static const std::vector<std::string> codes = [] {
        std::istringstream in(
            "en zh de es ru ko fr ja pt tr pl ca nl ar sv it id hi fi vi he uk el ms cs ro da hu ta no th ur hr bg lt la "
            "mi ml cy sk te fa lv bn sr az sl kn et mk br eu is hy ne mn bs kk sq sw gl mr pa si km sn yo so af oc ka "
            "be tg sd gu am yi lo uz fo ht ps tk nn mt sa lb my bo tl mg as tt haw ln ha ba jw su yue");
        std::vector<std::string> v;
        for (std::string s; in >> s;) v.push_back(s);
        return v;
    }();
    return codes;
}

Status apply_vocab_layout(WhisperConfig& c) {
    c.multilingual = c.n_vocab >= 51865;
    const int n_langs = c.n_vocab - 51765 - (c.multilingual ? 1 : 0);
    if (c.n_vocab < 51864 || n_langs > static_cast<int>(language_codes().size()))
        return make_error(ErrorCode::ModelUnsupported,
                          "whisper: a vocabulary of " + std::to_string(c.n_vocab) + " tokens is not Whisper's layout",
                          "expected 51864 (.en), 51865 or 51866 (large-v3) tokens");
    c.eot = c.multilingual ? 50257 : 50256;
    c.sot = c.eot + 1;
    c.languages.clear();
    if (c.multilingual)
        for (int i = 0; i < n_langs; ++i) c.languages.emplace_back(language_codes()[static_cast<size_t>(i)], c.sot + 1 + i);
    c.translate = c.sot + 1 + n_langs;
    c.transcribe = c.translate + 1;
    c.sot_lm = c.translate + 2;
    c.sot_prev = c.translate + 3;
    c.no_speech = c.translate + 4;
    c.no_timestamps = c.translate + 5;
    c.timestamp_begin = c.translate + 6;
    return ok_status();
}

Result<WhisperConfig> config_from_hf(const RawModel& raw, const std::filesystem::path& folder, const Tokenizer* tok) {
    const nlohmann::json* j = raw.model ? raw.model->config() : nullptr;
    if (!j) return bad(raw.label, "no config.json beside the weights");
    auto mt = j->find("model_type");
    const std::string type = mt != j->end() && mt->is_string() ? mt->get<std::string>() : std::string("?");
    if (type != "whisper")
        return make_error(ErrorCode::ModelUnsupported,
                          raw.label + ": not a Whisper model (config.json model_type \"" + type + "\")",
                          "pick a Whisper checkpoint (openai/whisper-*)");
    WhisperConfig c;
    ATELIER_TRY_ASSIGN(c.n_mels, get_int(*j, "num_mel_bins", raw.label));
    ATELIER_TRY_ASSIGN(c.n_audio_state, get_int(*j, "d_model", raw.label));
    c.n_text_state = c.n_audio_state;
    ATELIER_TRY_ASSIGN(c.n_audio_layer, get_int(*j, "encoder_layers", raw.label));
    ATELIER_TRY_ASSIGN(c.n_audio_head, get_int(*j, "encoder_attention_heads", raw.label));
    ATELIER_TRY_ASSIGN(c.n_text_layer, get_int(*j, "decoder_layers", raw.label));
    ATELIER_TRY_ASSIGN(c.n_text_head, get_int(*j, "decoder_attention_heads", raw.label));
    ATELIER_TRY_ASSIGN(c.n_audio_ctx, get_int(*j, "max_source_positions", raw.label));
    ATELIER_TRY_ASSIGN(c.n_text_ctx, get_int(*j, "max_target_positions", raw.label));
    ATELIER_TRY_ASSIGN(c.n_vocab, get_int(*j, "vocab_size", raw.label));
    ATELIER_TRY(apply_vocab_layout(c));
    apply_heads_preset(c);  // generation_config.json, when present, says better
    if (tok) apply_tokenizer_ids(c, *tok);
    ATELIER_TRY(apply_generation_config(c, *j, raw.label + "/config.json"));  // older exports keep them here
    std::string err;
    if (auto g = read_json(folder / "generation_config.json", &err)) {
        ATELIER_TRY(apply_generation_config(c, *g, raw.label + "/generation_config.json"));
    } else if (!err.empty()) {
        return bad(raw.label, err);
    }
    ATELIER_TRY(check_sizes(c, raw.label));
    return c;
}

Result<WhisperConfig> config_from_ggml(const RawModel& raw) {
    const int* h = raw.ggml_hparams;
    WhisperConfig c;
    c.n_vocab = h[0];
    c.n_audio_ctx = h[1];
    c.n_audio_state = h[2];
    c.n_audio_head = h[3];
    c.n_audio_layer = h[4];
    c.n_text_ctx = h[5];
    c.n_text_state = h[6];
    c.n_text_head = h[7];
    c.n_text_layer = h[8];
    c.n_mels = h[9];
    for (int i = 0; i < 10; ++i)
        if (h[i] <= 0 || h[i] > (1 << 24)) return bad(raw.label, "header field " + std::to_string(i) + " = " + std::to_string(h[i]) + " is out of range");
    ATELIER_TRY(apply_vocab_layout(c));
    apply_heads_preset(c);
    ATELIER_TRY(check_sizes(c, raw.label));
    return c;
}

}  // namespace atelier::infer::whisper
