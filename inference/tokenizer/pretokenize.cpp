// PCRE2-backed pre-tokenizer splits (see pretokenize.h). Patterns come from model files, so they
// are untrusted: compile errors become ModelFormat; a match that hits PCRE2's JIT stack or match
// limit is retried without JIT, and failing that the rest of the piece stays whole (never a crash).
// Thread-safety: per-thread match data and JIT stack (thread_local), immutable compiled code.
#include "inference/tokenizer/pretokenize.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

namespace atelier::infer {

const char* const kGpt2Regex =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

std::vector<std::string> regexes_for_gguf_pre(std::string_view pre) {
    if (pre == "deepseek-v3") {
        // DeepSeek V3/V4 (llama.cpp's "deepseek-v3"): digit groups of at most three, CJK/kana runs,
        // then the word / punctuation / space split. Same strings as tools/make-tokenizer-fixtures.py.
        return {
            "\\p{N}{1,3}",
            "[\u4e00-\u9fa5\u3040-\u309f\u30a0-\u30ff]+",
            "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+|"
            " ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+",
        };
    }
    if (pre == "gpt2" || pre == "default") return {kGpt2Regex};
    return {};
}

class CompiledRegex {
public:
    explicit CompiledRegex(pcre2_code* code) : code_(code) {}
    ~CompiledRegex() { pcre2_code_free(code_); }
    CompiledRegex(const CompiledRegex&) = delete;
    CompiledRegex& operator=(const CompiledRegex&) = delete;

    // Next match in subject at or after `start`: true and [begin, end); false when none.
    bool find(std::string_view subject, size_t start, size_t& begin, size_t& end) const;

private:
    pcre2_code* code_;
};

namespace {

// One per thread: match data (only the whole-match pair is read) and a JIT stack up to 1 MiB.
struct ThreadMatchState {
    pcre2_match_data* data = pcre2_match_data_create(1, nullptr);
    pcre2_jit_stack* jit_stack = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, nullptr);
    pcre2_match_context* context = pcre2_match_context_create(nullptr);
    ThreadMatchState() {
        if (context && jit_stack) pcre2_jit_stack_assign(context, nullptr, jit_stack);
    }
    ~ThreadMatchState() {
        pcre2_match_context_free(context);
        pcre2_jit_stack_free(jit_stack);
        pcre2_match_data_free(data);
    }
    ThreadMatchState(const ThreadMatchState&) = delete;
    ThreadMatchState& operator=(const ThreadMatchState&) = delete;
};

ThreadMatchState& thread_state() {
    thread_local ThreadMatchState state;
    return state;
}

std::string pcre2_message(int code) {
    PCRE2_UCHAR buf[256];
    const int n = pcre2_get_error_message(code, buf, sizeof buf);
    return n < 0 ? "PCRE2 error " + std::to_string(code) : std::string(reinterpret_cast<char*>(buf));
}

}  // namespace

bool CompiledRegex::find(std::string_view subject, size_t start, size_t& begin, size_t& end) const {
    ThreadMatchState& st = thread_state();
    if (!st.data) return false;
    const auto* s = reinterpret_cast<PCRE2_SPTR>(subject.data());
    // The subject was validated (or repaired) as UTF-8 by the tokenizer, so skip PCRE2's check.
    int rc = pcre2_match(code_, s, subject.size(), start, PCRE2_NO_UTF_CHECK, st.data, st.context);
    if (rc < 0 && rc != PCRE2_ERROR_NOMATCH)  // JIT stack/match limit: retry interpreted
        rc = pcre2_match(code_, s, subject.size(), start, PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT, st.data,
                         st.context);
    if (rc < 0) return false;  // no match, or still over a limit: the rest stays one piece
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(st.data);
    begin = ov[0];
    end = ov[1];
    return begin >= start && end >= begin && end <= subject.size();
}

Result<PreTokenizer> PreTokenizer::create(std::vector<SplitRule> rules) {
    PreTokenizer p;
    for (size_t i = 0; i < rules.size(); ++i) {
        int err = 0;
        PCRE2_SIZE err_offset = 0;
        pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(rules[i].regex.data()),
                                         rules[i].regex.size(), PCRE2_UTF | PCRE2_UCP, &err, &err_offset,
                                         nullptr);
        if (!code)
            return make_error(ErrorCode::ModelFormat,
                              "pre-tokenizer split " + std::to_string(i) + ": regex does not compile: " +
                                  pcre2_message(err) + " at offset " + std::to_string(err_offset),
                              "the tokenizer's pattern uses syntax PCRE2 lacks; check pre_tokenizer in tokenizer.json");
        pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // optional: falls back to the interpreter
        p.compiled_.push_back(std::make_shared<const CompiledRegex>(code));
    }
    p.rules_ = std::move(rules);
    return p;
}

void PreTokenizer::split(std::string_view text, std::vector<std::string_view>& pieces) const {
    pieces.clear();
    if (text.empty()) return;
    pieces.push_back(text);
    std::vector<std::string_view> next;
    for (size_t r = 0; r < compiled_.size(); ++r) {
        next.clear();
        const bool keep_matches = rules_[r].behavior == SplitBehavior::Isolated;
        for (std::string_view piece : pieces) {
            size_t last = 0, pos = 0, b = 0, e = 0;
            while (pos <= piece.size() && compiled_[r]->find(piece, pos, b, e)) {
                if (e == b) {  // an empty match splits nothing; step one code point on
                    pos = b + 1;
                    while (pos < piece.size() && (static_cast<uint8_t>(piece[pos]) & 0xC0) == 0x80) ++pos;
                    continue;
                }
                if (b > last) next.push_back(piece.substr(last, b - last));
                if (keep_matches) next.push_back(piece.substr(b, e - b));
                last = pos = e;
            }
            if (last < piece.size()) next.push_back(piece.substr(last));
        }
        pieces.swap(next);
    }
}

}  // namespace atelier::infer
