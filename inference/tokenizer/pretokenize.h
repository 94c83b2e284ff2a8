// Pre-tokenizer: the regular-expression splits that cut text into words before BPE, through
// PCRE2 (UTF + UCP: Unicode classes such as \p{L}, compiled once, JIT when available). Semantics
// follow the reference `tokenizers` Split(pattern, behavior): each split applies to every piece
// left by the previous one, independently (so a lookahead never sees past its piece).
// Thread-safety: a compiled PreTokenizer is immutable; split() is safe from many threads (match
// data and the JIT stack are per thread).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace atelier::infer {

enum class SplitBehavior : uint8_t { Invalid = 0, Isolated, Removed };

struct SplitRule {
    std::string regex;  // the pattern as written in tokenizer.json (Oniguruma syntax subset)
    SplitBehavior behavior = SplitBehavior::Isolated;
};

// The GPT-2 ByteLevel(use_regex=true) pattern, for tokenizers that rely on it.
extern const char* const kGpt2Regex;
// The regexes of a llama.cpp "tokenizer.ggml.pre" name ("deepseek-v3", "gpt2", ...); empty
// when unknown.
std::vector<std::string> regexes_for_gguf_pre(std::string_view pre);

class CompiledRegex;

class PreTokenizer {
public:
    // Compiles every rule. Errors (ModelFormat) name the rule and PCRE2's message and offset.
    static Result<PreTokenizer> create(std::vector<SplitRule> rules);

    // Cuts `text` (valid UTF-8) into pieces (views into `text`), in order, none empty.
    void split(std::string_view text, std::vector<std::string_view>& pieces) const;

    const std::vector<SplitRule>& rules() const { return rules_; }

private:
    std::vector<SplitRule> rules_;
    std::vector<std::shared_ptr<const CompiledRegex>> compiled_;
};

}  // namespace atelier::infer
