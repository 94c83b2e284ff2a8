// Fuzz target: the tokenizer. Input starting with '{' is a tokenizer.json: whatever loads must
// encode and decode sample text (and the input itself) without crashing, with valid UTF-8 out and
// streaming decode equal to one-shot decode. Any other input is text for a built-in byte-level
// tokenizer with DeepSeek V3's regexes and added tokens: decode(encode(text)) must equal the
// text after UTF-8 repair (byte-level BPE is lossless), with and without special parsing.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz-util.h"
#include "inference/tokenizer/tokenizer.h"
#include "inference/tokenizer/unicode-util.h"

using namespace atelier;
using namespace atelier::infer;

namespace {

std::shared_ptr<const Tokenizer> builtin_tokenizer() {
    static const std::shared_ptr<const Tokenizer> tok = [] {
        TokenizerDesc d;
        d.label = "fuzz builtin";
        for (int b = 0; b < 256; ++b) {
            std::string s;
            utf8_append(s, byte_to_codepoint(static_cast<uint8_t>(b)));
            d.bpe.vocab.emplace_back(s, b);
        }
        const std::pair<const char*, const char*> merges[] = {{"Ġ", "t"}, {"h", "e"}, {"Ġt", "he"}, {"1", "2"}};
        TokenId next = 256;
        for (const auto& [a, b] : merges) {
            d.bpe.merges.emplace_back(a, b);
            d.bpe.vocab.emplace_back(std::string(a) + b, next++);
        }
        d.added = {{next, "<｜User｜>", true, false, false, false}, {next + 1, "<think>", false, true, false, false}};
        for (std::string& r : regexes_for_gguf_pre("deepseek-v3")) d.splits.push_back({std::move(r), SplitBehavior::Isolated});
        auto r = Tokenizer::create(std::move(d));
        return r.ok() ? *r : nullptr;
    }();
    return tok;
}

void check_decode(const std::shared_ptr<const Tokenizer>& tok, const std::vector<TokenId>& ids) {
    const std::string once = tok->decode(ids);
    FUZZ_CHECK(utf8_valid(once));
    StreamDecoder stream(tok);
    std::string streamed;
    for (TokenId id : ids) {
        const std::string chunk = stream.push(id);
        FUZZ_CHECK(utf8_valid(chunk));
        streamed += chunk;
    }
    streamed += stream.finish();
    FUZZ_CHECK(streamed == once);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) { return 0; }

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    if (!input.empty() && input.front() == '{') {
        auto tok = from_tokenizer_json(input, "fuzz/tokenizer.json");
        if (!tok.ok()) {
            const ErrorCode c = tok.error().code;
            FUZZ_CHECK(c == ErrorCode::ModelFormat || c == ErrorCode::ModelUnsupported);
            return 0;
        }
        for (std::string_view text : {std::string_view("Hello, world! 123456 我们 👩‍💻 <｜User｜>"), input.substr(0, 4096)}) {
            for (bool parse : {true, false}) check_decode(*tok, (*tok)->encode(text, {.parse_special = parse, .add_bos = true}));
        }
        return 0;
    }
    auto tok = builtin_tokenizer();
    FUZZ_CHECK(tok != nullptr);
    for (bool parse : {true, false}) {
        const auto ids = tok->encode(input, {.parse_special = parse});
        check_decode(tok, ids);
        FUZZ_CHECK(tok->decode(ids) == utf8_lossy(input));
    }
    return 0;
}
