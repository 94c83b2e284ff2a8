// Front end: HF tokenizer.json -> TokenizerDesc (see tokenizer.h for what is supported). The JSON
// is untrusted: nlohmann exceptions stay inside this file and become ModelFormat errors; every
// component we do not implement is refused by name (ModelUnsupported), never silently ignored.
// Thread-safety: pure functions.
#include <nlohmann/json.hpp>

#include "inference/tokenizer/tokenizer.h"

namespace atelier::infer {
namespace {

using nlohmann::json;

Error unsupported(const std::string& label, const std::string& what, const std::string& hint) {
    return make_error(ErrorCode::ModelUnsupported, label + ": " + what + " is not supported", hint);
}

Error format(const std::string& label, const std::string& what) {
    return make_error(ErrorCode::ModelFormat, label + ": " + what, "the tokenizer.json is damaged or incomplete");
}

std::string type_of(const json& j) {
    return j.is_object() && j.contains("type") && j["type"].is_string() ? j["type"].get<std::string>() : "";
}

Status parse_model(const json& root, TokenizerDesc& d) {
    const std::string& label = d.label;
    if (!root.contains("model") || !root["model"].is_object()) return format(label, "no \"model\" object");
    const json& m = root["model"];
    const std::string type = type_of(m);
    if (!type.empty() && type != "BPE")
        return unsupported(label, "model type \"" + type + "\"", "only byte-level BPE tokenizers load today");
    if (!m.contains("vocab") || !m["vocab"].is_object()) return format(label, "model has no \"vocab\" object");
    if (!m.contains("merges") || !m["merges"].is_array()) return format(label, "model has no \"merges\" array");
    for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"})
        if (m.contains(key) && !m[key].is_null() && !(m[key].is_string() && m[key].get<std::string>().empty()))
            return unsupported(label, std::string("BPE ") + key, "WordPiece-style BPE suffixes are not implemented");
    if (m.value("byte_fallback", false))
        return unsupported(label, "BPE byte_fallback", "SentencePiece-style byte fallback is not implemented");
    if (m.contains("dropout") && m["dropout"].is_number() && m["dropout"].get<double>() > 0.0)
        return unsupported(label, "BPE dropout", "dropout is a training-time option; export without it");
    d.bpe.ignore_merges = m.value("ignore_merges", false);
    for (const auto& [piece, id] : m["vocab"].items()) {
        if (!id.is_number_integer()) return format(label, "vocab entry \"" + piece + "\" has no integer id");
        const int64_t v = id.get<int64_t>();
        if (v < 0 || v > kMaxTokenId) return format(label, "vocab entry \"" + piece + "\" has id " + std::to_string(v));
        d.bpe.vocab.emplace_back(piece, static_cast<TokenId>(v));
    }
    for (const json& mg : m["merges"]) {
        if (mg.is_string()) {  // older form: "left right"
            const std::string s = mg.get<std::string>();
            const size_t sp = s.find(' ');
            if (sp == std::string::npos || s.find(' ', sp + 1) != std::string::npos)
                return format(label, "merge \"" + s + "\" is not two tokens separated by one space");
            d.bpe.merges.emplace_back(s.substr(0, sp), s.substr(sp + 1));
        } else if (mg.is_array() && mg.size() == 2 && mg[0].is_string() && mg[1].is_string()) {
            d.bpe.merges.emplace_back(mg[0].get<std::string>(), mg[1].get<std::string>());
        } else {
            return format(label, "a merge is neither \"a b\" nor [\"a\", \"b\"]");
        }
    }
    return ok_status();
}

Status parse_normalizer(const json& n, TokenizerDesc& d) {
    if (n.is_null()) return ok_status();
    const std::string type = type_of(n);
    if (type == "Sequence") {
        if (!n.contains("normalizers") || !n["normalizers"].is_array()) return format(d.label, "normalizer Sequence without a list");
        for (const json& sub : n["normalizers"]) ATELIER_TRY(parse_normalizer(sub, d));
        return ok_status();
    }
    if (type == "Replace" && n.contains("pattern") && n["pattern"].is_object() && n["pattern"].contains("String") &&
        n["pattern"]["String"].is_string() && n.contains("content") && n["content"].is_string()) {
        d.normalizers.push_back({NormalizerKind::Replace, n["pattern"]["String"].get<std::string>(),
                                 n["content"].get<std::string>()});
        return ok_status();
    }
    if (type == "Prepend" && n.contains("prepend") && n["prepend"].is_string()) {
        d.normalizers.push_back({NormalizerKind::Prepend, {}, n["prepend"].get<std::string>()});
        return ok_status();
    }
    return unsupported(d.label, "normalizer \"" + type + "\"",
                       "supported: Sequence, Replace with a String pattern, Prepend (no Unicode normal forms yet)");
}

Status parse_pre_tokenizer(const json& p, TokenizerDesc& d, bool& saw_byte_level) {
    if (p.is_null()) return ok_status();
    const std::string type = type_of(p);
    if (saw_byte_level) return unsupported(d.label, "a pre-tokenizer after ByteLevel", "ByteLevel must come last");
    if (type == "Sequence") {
        if (!p.contains("pretokenizers") || !p["pretokenizers"].is_array()) return format(d.label, "pre_tokenizer Sequence without a list");
        for (const json& sub : p["pretokenizers"]) ATELIER_TRY(parse_pre_tokenizer(sub, d, saw_byte_level));
        return ok_status();
    }
    if (type == "ByteLevel") {
        if (p.value("add_prefix_space", false))
            return unsupported(d.label, "ByteLevel add_prefix_space=true", "export the tokenizer with add_prefix_space false");
        if (p.value("use_regex", true)) d.splits.push_back({kGpt2Regex, SplitBehavior::Isolated});
        saw_byte_level = true;
        return ok_status();
    }
    if (type == "Split") {
        if (p.value("invert", false)) return unsupported(d.label, "Split with invert=true", "");
        const std::string behavior = p.value("behavior", std::string());
        SplitRule rule;
        rule.behavior = behavior == "Isolated" ? SplitBehavior::Isolated
                        : behavior == "Removed" ? SplitBehavior::Removed : SplitBehavior::Invalid;
        if (rule.behavior == SplitBehavior::Invalid)
            return unsupported(d.label, "Split behavior \"" + behavior + "\"", "supported: Isolated, Removed");
        const json pat = p.value("pattern", json());
        if (pat.contains("Regex") && pat["Regex"].is_string()) {
            rule.regex = pat["Regex"].get<std::string>();
        } else if (pat.contains("String") && pat["String"].is_string()) {
            for (char c : pat["String"].get<std::string>()) {  // a literal: quote every character
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || (c & 0x80)))
                    rule.regex += '\\';
                rule.regex += c;
            }
            if (rule.regex.empty()) return format(d.label, "Split with an empty String pattern");
        } else {
            return format(d.label, "Split without a Regex or String pattern");
        }
        d.splits.push_back(std::move(rule));
        return ok_status();
    }
    return unsupported(d.label, "pre_tokenizer \"" + type + "\"", "supported: Sequence, Split, ByteLevel");
}

TokenId lookup_id(const TokenizerDesc& d, const std::string& content) {
    for (const AddedToken& a : d.added)
        if (a.content == content) return a.id;
    for (const auto& [piece, id] : d.bpe.vocab)
        if (piece == content) return id;
    return -1;
}

Status parse_post_processor(const json& p, TokenizerDesc& d) {
    if (p.is_null()) return ok_status();
    const std::string type = type_of(p);
    if (type == "ByteLevel") return ok_status();  // offsets only; ids unchanged
    if (type == "Sequence") {
        if (!p.contains("processors") || !p["processors"].is_array()) return format(d.label, "post_processor Sequence without a list");
        for (const json& sub : p["processors"]) ATELIER_TRY(parse_post_processor(sub, d));
        return ok_status();
    }
    if (type != "TemplateProcessing")
        return unsupported(d.label, "post_processor \"" + type + "\"", "supported: TemplateProcessing, ByteLevel, Sequence");
    if (!p.contains("single") || !p["single"].is_array()) return format(d.label, "TemplateProcessing without \"single\"");
    bool seen_sequence = false;
    for (const json& item : p["single"]) {
        if (item.contains("Sequence")) {
            seen_sequence = true;
            continue;
        }
        if (!item.contains("SpecialToken") || !item["SpecialToken"].is_object()) return format(d.label, "a template item is neither Sequence nor SpecialToken");
        const std::string name = item["SpecialToken"].value("id", std::string());
        std::vector<TokenId> ids;
        const json& specials = p.value("special_tokens", json::object());
        if (specials.is_object() && specials.contains(name) && specials[name].contains("ids") && specials[name]["ids"].is_array()) {
            for (const json& v : specials[name]["ids"])
                if (v.is_number_integer()) ids.push_back(static_cast<TokenId>(v.get<int64_t>()));
        } else if (TokenId id = lookup_id(d, name); id >= 0) {
            ids.push_back(id);
        } else {
            return format(d.label, "template token \"" + name + "\" is not in the vocabulary");
        }
        auto& target = seen_sequence ? d.template_suffix : d.template_prefix;
        target.insert(target.end(), ids.begin(), ids.end());
    }
    return ok_status();
}

Status parse_added(const json& root, TokenizerDesc& d) {
    if (!root.contains("added_tokens") || root["added_tokens"].is_null()) return ok_status();
    if (!root["added_tokens"].is_array()) return format(d.label, "\"added_tokens\" is not an array");
    for (const json& a : root["added_tokens"]) {
        if (!a.is_object() || !a.contains("id") || !a["id"].is_number_integer() || !a.contains("content") || !a["content"].is_string())
            return format(d.label, "an added token lacks an integer id or a content string");
        if (a.value("single_word", false))
            return unsupported(d.label, "added token \"" + a["content"].get<std::string>() + "\" with single_word",
                               "single_word matching is not implemented");
        const int64_t id = a["id"].get<int64_t>();
        if (id < 0 || id > kMaxTokenId) return format(d.label, "added token id " + std::to_string(id) + " out of range");
        d.added.push_back(AddedToken{static_cast<TokenId>(id), a["content"].get<std::string>(), a.value("special", false),
                                     a.value("normalized", !a.value("special", false)), a.value("lstrip", false),
                                     a.value("rstrip", false)});
    }
    return ok_status();
}

Status parse_decoder(const json& dec, const TokenizerDesc& d) {
    const std::string type = type_of(dec);
    if (type == "ByteLevel") return ok_status();
    if (type == "Sequence" && dec.contains("decoders") && dec["decoders"].is_array() && dec["decoders"].size() == 1)
        return parse_decoder(dec["decoders"][0], d);
    return unsupported(d.label, "decoder \"" + (type.empty() ? std::string("null") : type) + "\"",
                       "only the ByteLevel decoder of byte-level BPE is implemented");
}

Status parse_root(const json& root, TokenizerDesc& d) {
    if (!root.is_object()) return format(d.label, "the top level is not a JSON object");
    ATELIER_TRY(parse_model(root, d));
    ATELIER_TRY(parse_added(root, d));
    ATELIER_TRY(parse_normalizer(root.value("normalizer", json()), d));
    bool saw_byte_level = false;
    ATELIER_TRY(parse_pre_tokenizer(root.value("pre_tokenizer", json()), d, saw_byte_level));
    if (!saw_byte_level)
        return unsupported(d.label, "a pre_tokenizer without ByteLevel", "only byte-level BPE tokenizers load today");
    ATELIER_TRY(parse_decoder(root.value("decoder", json()), d));
    ATELIER_TRY(parse_post_processor(root.value("post_processor", json()), d));
    if (!d.template_prefix.empty()) d.bos_id = d.template_prefix.front();
    return ok_status();
}

}  // namespace

Result<TokenizerDesc> tokenizer_desc_from_json(std::string_view json_text, const std::string& label) {
    TokenizerDesc d;
    d.label = label;
    try {
        const json root = json::parse(json_text.begin(), json_text.end());
        ATELIER_TRY(parse_root(root, d));
    } catch (const std::exception& e) {
        return format(label, std::string("not valid JSON for a tokenizer: ") + e.what());
    }
    return d;
}

Status apply_tokenizer_config(std::string_view config_json, TokenizerDesc& d) {
    const std::string label = d.label + " (tokenizer_config.json)";
    try {
        const json c = json::parse(config_json.begin(), config_json.end());
        if (!c.is_object()) return format(label, "the top level is not a JSON object");
        for (auto [key, target] : {std::pair{"bos_token", &d.bos_id}, {"eos_token", &d.eos_id}, {"pad_token", &d.pad_id}}) {
            if (!c.contains(key) || c[key].is_null()) continue;
            const json& v = c[key];
            const std::string name = v.is_string() ? v.get<std::string>() : v.value("content", std::string());
            const TokenId id = lookup_id(d, name);
            if (id < 0) return format(label, std::string(key) + " \"" + name + "\" is not in the vocabulary");
            *target = id;
        }
        if (c.contains("add_bos_token") && c["add_bos_token"].is_boolean()) {
            d.template_prefix.clear();
            if (c["add_bos_token"].get<bool>() && d.bos_id >= 0) d.template_prefix.push_back(d.bos_id);
        }
        if (c.contains("add_eos_token") && c["add_eos_token"].is_boolean()) {
            d.template_suffix.clear();
            if (c["add_eos_token"].get<bool>() && d.eos_id >= 0) d.template_suffix.push_back(d.eos_id);
        }
    } catch (const std::exception& e) {
        return format(label, std::string("not valid JSON: ") + e.what());
    }
    return ok_status();
}

Result<std::shared_ptr<const Tokenizer>> from_tokenizer_json(std::string_view json_text, const std::string& label) {
    ATELIER_TRY_ASSIGN(TokenizerDesc d, tokenizer_desc_from_json(json_text, label));
    return Tokenizer::create(std::move(d));
}

}  // namespace atelier::infer
