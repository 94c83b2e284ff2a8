// Tokenizer: byte-level BPE with added/special tokens, normalisers and regex pre-tokenizers,
// built from a neutral TokenizerDesc that two front ends fill: HF tokenizer.json
// (from_tokenizer_json) and GGUF tokenizer.ggml.* metadata (from_gguf_metadata). Behaviour
// matches the reference `tokenizers` package (goldens in tests/inference/tokenizer/fixtures).
// Invalid UTF-8 in text to encode is first repaired: each maximal invalid subpart becomes U+FFFD
// (Python's errors="replace"); decode output is always valid UTF-8 by the same rule.
// Thread-safety: a Tokenizer is immutable; every const method is safe from many threads.
// A StreamDecoder is used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "inference/tokenizer/bpe.h"
#include "inference/tokenizer/pretokenize.h"

namespace atelier::infer {

struct GgufHeader;

struct AddedToken {
    TokenId id = -1;
    std::string content;      // matched in text as is (UTF-8)
    bool special = false;     // skipped by decode(skip_special); not parsed when parse_special is off
    bool normalized = false;  // matched after normalisation (else on the raw text, first)
    bool lstrip = false;      // the match swallows whitespace on its left / right
    bool rstrip = false;
};

enum class NormalizerKind : uint8_t { Invalid = 0, Replace, Prepend };

struct NormalizerStep {
    NormalizerKind kind = NormalizerKind::Invalid;
    std::string pattern;  // Replace: the literal text to replace
    std::string content;  // Replace: the replacement; Prepend: the prefix
};

// Everything a tokenizer is, independent of the file it came from.
struct TokenizerDesc {
    std::string label = "tokenizer";  // names the source in error messages
    BpeDesc bpe;
    std::vector<AddedToken> added;
    std::vector<NormalizerStep> normalizers;
    std::vector<SplitRule> splits;        // applied in order, then byte-level mapping
    std::vector<TokenId> template_prefix;  // ids added before the text when add_bos (DeepSeek: BOS)
    std::vector<TokenId> template_suffix;  // ids added after it
    TokenId bos_id = -1;
    TokenId eos_id = -1;
    TokenId pad_id = -1;
};

struct EncodeOptions {
    bool parse_special = true;  // false: special-token text is encoded as plain text
    bool add_bos = false;       // add the template's tokens (BOS for DeepSeek, as add_special_tokens=True)
};

inline constexpr TokenId kMaxTokenId = (1 << 24) - 1;  // ids above this are refused (lying files)

class Tokenizer {
public:
    // Validates and builds. Errors: ModelFormat (bad ids, merges, regexes), ModelUnsupported.
    static Result<std::shared_ptr<const Tokenizer>> create(TokenizerDesc desc);

    std::vector<TokenId> encode(std::string_view text, EncodeOptions options = {}) const;
    // Unknown ids are skipped (as the reference does); the result is valid UTF-8.
    std::string decode(std::span<const TokenId> ids, bool skip_special = false) const;

    // The raw bytes token `id` stands for (may be a partial UTF-8 sequence); empty if unknown.
    std::string token_to_piece(TokenId id) const;
    // The token's vocabulary string (byte-level form, or an added token's content); nullptr if unknown.
    const std::string* token_text(TokenId id) const;
    // Exact lookup of a vocabulary string or added token; -1 when absent.
    TokenId token_id(std::string_view text) const;

    size_t vocab_size() const { return entries_.size(); }  // highest id + 1
    bool is_special(TokenId id) const;
    TokenId bos_id() const { return desc_.bos_id; }
    TokenId eos_id() const { return desc_.eos_id; }
    TokenId pad_id() const { return desc_.pad_id; }
    std::vector<TokenId> special_ids() const;
    const TokenizerDesc& desc() const { return desc_; }

private:
    friend class StreamDecoder;
    struct Entry {
        bool present = false;
        bool special = false;
        std::string text;   // vocabulary string
        std::string bytes;  // what decoding emits for it
    };
    class AddedMatcher;
    struct Segment {
        size_t begin, end;
        int added;  // index into desc_.added, or -1 for plain text
    };

    Tokenizer() = default;
    void split_added(std::string_view text, const AddedMatcher& m, bool parse_special,
                     std::vector<Segment>& out) const;
    std::string normalize(std::string_view text) const;
    void encode_plain(std::string_view text, std::vector<TokenId>& out) const;

    TokenizerDesc desc_;
    std::unique_ptr<BpeModel> bpe_;
    std::shared_ptr<const PreTokenizer> pre_;
    std::shared_ptr<const AddedMatcher> raw_matcher_;   // added tokens with normalized=false
    std::shared_ptr<const AddedMatcher> norm_matcher_;  // normalized=true
    std::vector<Entry> entries_;
};

// Streaming decode: feed ids one at a time; each call returns only complete UTF-8 (bytes of a
// character cut across tokens are held back). finish() flushes a held incomplete tail as U+FFFD.
// The concatenation of all returns equals Tokenizer::decode of the same ids.
class StreamDecoder {
public:
    explicit StreamDecoder(std::shared_ptr<const Tokenizer> tokenizer, bool skip_special = false);
    std::string push(TokenId id);
    std::string finish();

private:
    std::shared_ptr<const Tokenizer> tok_;
    bool skip_special_;
    std::string pending_;
};

// HF tokenizer.json (text of the file). `label` names it in errors. Supported: model BPE (byte-
// level), normalizer null/Sequence/Replace(String)/Prepend, pre_tokenizer Split(Regex|String,
// Isolated|Removed)/ByteLevel/Sequence, decoder ByteLevel, post_processor TemplateProcessing/
// ByteLevel/Sequence. Anything else: ModelUnsupported naming the component.
Result<TokenizerDesc> tokenizer_desc_from_json(std::string_view json_text, const std::string& label);
Result<std::shared_ptr<const Tokenizer>> from_tokenizer_json(std::string_view json_text,
                                                             const std::string& label = "tokenizer.json");
// tokenizer_config.json beside it: bos_token / eos_token / pad_token (a string or {"content"})
// set the ids; add_bos_token / add_eos_token, when present, set the BOS/EOS template. Errors:
// ModelFormat for bad JSON or a named token missing from the vocabulary.
Status apply_tokenizer_config(std::string_view config_json, TokenizerDesc& desc);

// GGUF metadata: tokenizer.ggml.model "gpt2", .pre (regex set by name, e.g. "deepseek-v3"),
// .tokens, .merges, .token_type (3 control = special, 4 user-defined = added), bos/eos/pad ids,
// add_bos_token / add_eos_token.
Result<TokenizerDesc> tokenizer_desc_from_gguf(const GgufHeader& header, const std::string& label);
Result<std::shared_ptr<const Tokenizer>> from_gguf_metadata(const GgufHeader& header, const std::string& label);

}  // namespace atelier::infer
