// Streaming decode: token-by-token output equals the one-shot decode (itself checked against the
// reference), every chunk is complete UTF-8, and a cut tail is flushed as U+FFFD at the end.
#include <gtest/gtest.h>

#include "inference/tokenizer/unicode-util.h"
#include "tokenizer-test-util.h"

namespace atelier::infer::test {
namespace {

TEST(TokenizerStream, EqualsOneShotDecodeAndNeverEmitsBrokenUtf8) {
    auto tok = json_tokenizer();
    ASSERT_TRUE(tok);
    size_t held = 0;
    for (const Golden& g : goldens()) {
        for (bool skip : {false, true}) {
            StreamDecoder dec(tok, skip);
            std::string all;
            for (TokenId id : g.ids) {
                const std::string chunk = dec.push(id);
                ASSERT_TRUE(utf8_valid(chunk)) << "line " << g.line << " id " << id;
                held += chunk.empty() && !tok->token_to_piece(id).empty();
                all += chunk;
            }
            const std::string tail = dec.finish();
            ASSERT_TRUE(utf8_valid(tail));
            all += tail;
            ASSERT_EQ(all, tok->decode(g.ids, skip)) << "line " << g.line;
        }
    }
    EXPECT_GT(held, 100u);  // the goldens really cut characters across tokens
}

TEST(TokenizerStream, EmojiAndCjkFedTokenByToken) {
    auto tok = json_tokenizer();
    ASSERT_TRUE(tok);
    const std::string text = "👨‍👩‍👧‍👦 我们今天 🇯🇵 नमस्ते 👍🏽 漢字カタカナ";
    const auto ids = tok->encode(text);
    size_t partial_tokens = 0;
    for (TokenId id : ids) partial_tokens += !utf8_valid(tok->token_to_piece(id));
    EXPECT_GT(partial_tokens, 3u);  // otherwise this test would prove nothing
    StreamDecoder dec(tok);
    std::string out;
    for (TokenId id : ids) {
        const std::string chunk = dec.push(id);
        EXPECT_TRUE(utf8_valid(chunk));
        out += chunk;
    }
    out += dec.finish();
    EXPECT_EQ(out, text);
}

TEST(TokenizerStream, IncompleteTailFlushesAsReplacementChar) {
    auto tok = json_tokenizer();
    ASSERT_TRUE(tok);
    // "🦀" is not in the fixture's training corpus: it is split into byte tokens, the first of
    // which is a lead byte, never a whole character.
    const auto ids = tok->encode("🦀");
    ASSERT_GT(ids.size(), 1u);
    StreamDecoder dec(tok);
    EXPECT_EQ(dec.push(ids[0]), "");
    EXPECT_EQ(dec.finish(), std::string(kReplacementChar));
    EXPECT_EQ(tok->decode(std::vector<TokenId>{ids[0]}), std::string(kReplacementChar));
    // An ASCII token after a cut character: the cut part becomes U+FFFD, then the letter.
    const TokenId a = tok->token_id("a");
    ASSERT_GE(a, 0);
    StreamDecoder dec2(tok);
    std::string out = dec2.push(ids[0]);
    out += dec2.push(a);
    out += dec2.finish();
    EXPECT_EQ(out, std::string(kReplacementChar) + "a");
}

}  // namespace
}  // namespace atelier::infer::test
