// Front end: GGUF tokenizer.ggml.* metadata -> TokenizerDesc (llama.cpp's key layout). Token
// types: 1 normal, 2 unknown, 5 unused and 6 byte go to the BPE vocabulary; 3 control becomes a
// special added token (matched on the raw text), 4 user-defined a plain added token (matched
// after normalisation, the reference's default for non-special added tokens).
// Thread-safety: pure functions.
#include <unordered_set>

#include "inference/loaders/gguf.h"
#include "inference/tokenizer/tokenizer.h"

namespace atelier::infer {
namespace {

constexpr int64_t kTypeControl = 3;
constexpr int64_t kTypeUserDefined = 4;

Error gguf_error(const std::string& label, const std::string& what) {
    return make_error(ErrorCode::ModelFormat, label + ": " + what, "the GGUF's tokenizer metadata is damaged or incomplete");
}

std::optional<TokenId> id_key(const GgufHeader& h, const char* key) {
    const GgufValue* v = h.find(key);
    if (!v) return std::nullopt;
    const auto n = v->as_int();
    if (!n || *n < 0 || *n > kMaxTokenId) return std::nullopt;
    return static_cast<TokenId>(*n);
}

bool bool_key(const GgufHeader& h, const char* key, bool fallback) {
    const GgufValue* v = h.find(key);
    return v && v->as_bool() ? *v->as_bool() : fallback;
}

}  // namespace

Result<TokenizerDesc> tokenizer_desc_from_gguf(const GgufHeader& h, const std::string& label) {
    TokenizerDesc d;
    d.label = label;
    const GgufValue* model = h.find("tokenizer.ggml.model");
    if (!model || !model->as_string()) return gguf_error(label, "no tokenizer.ggml.model string");
    if (*model->as_string() != "gpt2")
        return make_error(ErrorCode::ModelUnsupported,
                          label + ": tokenizer.ggml.model \"" + *model->as_string() + "\" is not supported",
                          "only byte-level BPE (\"gpt2\") tokenizers load today");
    const GgufValue* pre_v = h.find("tokenizer.ggml.pre");
    const std::string pre = pre_v && pre_v->as_string() ? *pre_v->as_string() : "default";
    for (std::string& r : regexes_for_gguf_pre(pre)) d.splits.push_back({std::move(r), SplitBehavior::Isolated});
    if (d.splits.empty())
        return make_error(ErrorCode::ModelUnsupported, label + ": tokenizer.ggml.pre \"" + pre + "\" is not known",
                          "known pre-tokenizers: deepseek-v3, gpt2, default");
    const GgufValue* tokens_v = h.find("tokenizer.ggml.tokens");
    const std::vector<std::string>* tokens = tokens_v ? tokens_v->as_strings() : nullptr;
    if (!tokens) return gguf_error(label, "no tokenizer.ggml.tokens string array");
    if (tokens->size() > static_cast<size_t>(kMaxTokenId) + 1) return gguf_error(label, "too many tokens");
    std::vector<int64_t> types(tokens->size(), 1);
    if (const GgufValue* t = h.find("tokenizer.ggml.token_type")) {
        auto ints = t->as_ints();
        if (!ints || ints->size() != tokens->size())
            return gguf_error(label, "tokenizer.ggml.token_type is not an integer array as long as the token list");
        types = std::move(*ints);
    }
    std::unordered_set<std::string_view> seen;
    for (size_t i = 0; i < tokens->size(); ++i) {
        const std::string& s = (*tokens)[i];
        const auto id = static_cast<TokenId>(i);
        if (types[i] == kTypeControl || types[i] == kTypeUserDefined) {
            const bool special = types[i] == kTypeControl;
            if (!s.empty()) d.added.push_back(AddedToken{id, s, special, !special, false, false});
        } else if (seen.insert(s).second) {  // a repeated string keeps its first id
            d.bpe.vocab.emplace_back(s, id);
        }
    }
    const GgufValue* merges_v = h.find("tokenizer.ggml.merges");
    const std::vector<std::string>* merges = merges_v ? merges_v->as_strings() : nullptr;
    if (!merges) return gguf_error(label, "no tokenizer.ggml.merges string array");
    for (size_t i = 0; i < merges->size(); ++i) {
        const std::string& m = (*merges)[i];
        const size_t sp = m.find(' ', 1);  // a token may itself be " "? not in byte-level; split at the first
        if (sp == std::string::npos) return gguf_error(label, "merge " + std::to_string(i) + " \"" + m + "\" has no space");
        d.bpe.merges.emplace_back(m.substr(0, sp), m.substr(sp + 1));
    }
    d.bos_id = id_key(h, "tokenizer.ggml.bos_token_id").value_or(-1);
    d.eos_id = id_key(h, "tokenizer.ggml.eos_token_id").value_or(-1);
    d.pad_id = id_key(h, "tokenizer.ggml.padding_token_id").value_or(-1);
    if (bool_key(h, "tokenizer.ggml.add_bos_token", false) && d.bos_id >= 0) d.template_prefix.push_back(d.bos_id);
    if (bool_key(h, "tokenizer.ggml.add_eos_token", false) && d.eos_id >= 0) d.template_suffix.push_back(d.eos_id);
    return d;
}

Result<std::shared_ptr<const Tokenizer>> from_gguf_metadata(const GgufHeader& header, const std::string& label) {
    ATELIER_TRY_ASSIGN(TokenizerDesc d, tokenizer_desc_from_gguf(header, label));
    return Tokenizer::create(std::move(d));
}

}  // namespace atelier::infer
