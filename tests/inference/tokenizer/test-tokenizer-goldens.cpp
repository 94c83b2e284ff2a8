// Exact agreement with the reference `tokenizers` package (goldens.jsonl, written by
// tools/make-tokenizer-goldens.py from the committed fixture tokenizer.json), for both front ends
// (tokenizer.json and GGUF metadata), with and without special-token parsing, with the BOS
// template, for decoding, and for invalid UTF-8 input. Failures list the first mismatches.
#include <thread>

#include <gtest/gtest.h>

#include "inference/tokenizer/unicode-util.h"
#include "tokenizer-test-util.h"

namespace atelier::infer::test {
namespace {

// Collects up to 8 mismatch reports; the test fails with all of them and the total count.
class Mismatches {
public:
    void add(const Golden& g, const char* what, const std::string& expected, const std::string& got) {
        if (++count_ <= 8)
            report_ += "\n  line " + std::to_string(g.line) + " (" + what + ") text " + escape(g.text) +
                       "\n    expected " + expected + "\n    got      " + got;
    }
    void check(size_t total) const {
        EXPECT_EQ(count_, 0u) << count_ << " of " << total << " goldens disagree:" << report_;
    }
    static std::string escape(const std::string& s) {
        std::string out = "\"";
        for (unsigned char c : s) {
            if (c == '\n') out += "\\n";
            else if (c == '\r') out += "\\r";
            else if (c == '\t') out += "\\t";
            else if (c < 0x20 || c == 0x7F) out += "\\x" + std::string(1, "0123456789abcdef"[c >> 4]) + "0123456789abcdef"[c & 15];
            else out += static_cast<char>(c);
        }
        return out + "\"";
    }

private:
    size_t count_ = 0;
    std::string report_;
};

void check_encode(const Tokenizer& tok) {
    Mismatches bad;
    size_t n = 0;
    for (const Golden& g : goldens()) {
        if (g.decode_only) continue;
        ++n;
        const auto got = tok.encode(g.text, {.parse_special = true, .add_bos = false});
        if (got != g.ids) bad.add(g, "specials parsed", ids_to_string(g.ids), ids_to_string(got));
        if (g.invalid_utf8) continue;
        const auto plain = tok.encode(g.text, {.parse_special = false, .add_bos = false});
        const auto& want_plain = g.ids_plain ? *g.ids_plain : g.ids;
        if (plain != want_plain) bad.add(g, "specials as text", ids_to_string(want_plain), ids_to_string(plain));
        if (g.ids_bos) {
            const auto bos = tok.encode(g.text, {.parse_special = true, .add_bos = true});
            if (bos != *g.ids_bos) bad.add(g, "add_bos", ids_to_string(*g.ids_bos), ids_to_string(bos));
        }
    }
    bad.check(n);
}

TEST(TokenizerGoldens, AtLeast2000VariedStrings) {
    size_t strings = 0, with_specials = 0, invalid = 0;
    for (const Golden& g : goldens()) {
        strings += !g.decode_only && !g.invalid_utf8;
        with_specials += g.ids_plain.has_value();
        invalid += g.invalid_utf8;
    }
    EXPECT_GE(strings, 2000u);
    EXPECT_GE(with_specials, 100u);  // special-token text is well represented
    EXPECT_GE(invalid, 50u);
}

TEST(TokenizerGoldens, JsonEncodeMatchesReference) {
    ASSERT_TRUE(json_tokenizer());
    check_encode(*json_tokenizer());
}

TEST(TokenizerGoldens, GgufEncodeMatchesReference) {
    ASSERT_TRUE(gguf_tokenizer());
    check_encode(*gguf_tokenizer());
}

TEST(TokenizerGoldens, DecodeMatchesReference) {
    ASSERT_TRUE(json_tokenizer() && gguf_tokenizer());
    for (const auto& tok : {json_tokenizer(), gguf_tokenizer()}) {
        Mismatches bad;
        for (const Golden& g : goldens()) {
            if (g.invalid_utf8) continue;
            const std::string want = g.decoded ? *g.decoded : g.text;
            const std::string want_skip = g.decoded_skip ? *g.decoded_skip : g.text;
            const std::string got = tok->decode(g.ids, false), got_skip = tok->decode(g.ids, true);
            if (got != want) bad.add(g, "decode", Mismatches::escape(want), Mismatches::escape(got));
            if (got_skip != want_skip) bad.add(g, "decode skip_special", Mismatches::escape(want_skip), Mismatches::escape(got_skip));
        }
        bad.check(goldens().size());
    }
}

// Byte-level BPE is lossless: decode(encode(s)) == s for every valid string (independent of the
// reference: a property of the format).
TEST(TokenizerGoldens, RoundTripIsLossless) {
    ASSERT_TRUE(json_tokenizer());
    Mismatches bad;
    for (const Golden& g : goldens()) {
        if (g.decode_only || g.invalid_utf8) continue;
        for (bool parse : {true, false}) {
            const std::string back = json_tokenizer()->decode(json_tokenizer()->encode(g.text, {.parse_special = parse}));
            if (back != g.text) bad.add(g, parse ? "round trip" : "round trip, specials as text", Mismatches::escape(g.text), Mismatches::escape(back));
        }
    }
    bad.check(goldens().size());
}

TEST(TokenizerGoldens, InvalidUtf8IsRepairedLikePython) {
    ASSERT_TRUE(json_tokenizer());
    size_t invalid = 0;
    for (const Golden& g : goldens()) {
        if (!g.invalid_utf8) continue;
        invalid += !utf8_valid(g.text);  // a few random insertions happen to form valid UTF-8
        EXPECT_TRUE(utf8_valid(utf8_lossy(g.text))) << "line " << g.line;
        // The ids themselves are checked in *EncodeMatchesReference.
    }
    EXPECT_GT(invalid, 50u);
}

// Maximal-subpart repair, from the Unicode standard's own examples (§3.9, U+FFFD substitution).
TEST(TokenizerUnicode, LossyRepairFollowsMaximalSubparts) {
    const std::string r(kReplacementChar);
    EXPECT_EQ(utf8_lossy("a\xFF" "b"), "a" + r + "b");
    EXPECT_EQ(utf8_lossy("\xE2\x82"), r);                 // truncated 3-byte sequence: one U+FFFD
    EXPECT_EQ(utf8_lossy("\xF0\x9F\x98x"), r + "x");      // truncated 4-byte sequence, then ASCII
    EXPECT_EQ(utf8_lossy("\xED\xA0\x80"), r + r + r);     // a surrogate: three maximal subparts
    EXPECT_EQ(utf8_lossy("\xC0\xAF"), r + r);             // overlong
    EXPECT_EQ(utf8_lossy("\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64"),
              "a" + r + r + r + "b" + r + "c" + r + r + "d");  // the standard's table 3-8 example
    EXPECT_EQ(utf8_incomplete_tail("ab\xE2\x82"), 2u);
    EXPECT_EQ(utf8_incomplete_tail("ab\xF0"), 1u);
    EXPECT_EQ(utf8_incomplete_tail("ab\xED\xA0"), 0u);   // can never complete: not held back
    EXPECT_EQ(utf8_incomplete_tail("\xE2\x82\xAC"), 0u);
}

TEST(TokenizerFrontEnds, JsonAndGgufDescribeTheSameTokens) {
    ASSERT_TRUE(json_tokenizer() && gguf_tokenizer());
    const Tokenizer& a = *json_tokenizer();
    const Tokenizer& b = *gguf_tokenizer();
    EXPECT_EQ(a.vocab_size(), b.vocab_size());
    EXPECT_EQ(a.bos_id(), b.bos_id());
    EXPECT_EQ(a.special_ids(), b.special_ids());
    for (TokenId id = 0; id < static_cast<TokenId>(a.vocab_size()); ++id) {
        ASSERT_EQ(a.token_to_piece(id), b.token_to_piece(id)) << "id " << id;
        ASSERT_EQ(a.is_special(id), b.is_special(id)) << "id " << id;
    }
    // Facts from the fixture tool (DeepSeek layout): BOS id 0, EOS id 1.
    EXPECT_EQ(a.bos_id(), 0);
    EXPECT_EQ(b.eos_id(), 1);
    EXPECT_EQ(a.token_id("<｜begin▁of▁sentence｜>"), 0);
    EXPECT_EQ(a.token_id("<｜end▁of▁sentence｜>"), 1);
    EXPECT_TRUE(a.is_special(a.token_id("<｜User｜>")));
    EXPECT_FALSE(a.is_special(a.token_id("<think>")));
}

// tokenizer_config.json supplies the ids tokenizer.json alone does not name (EOS, pad); with it
// the JSON front end knows what the GGUF's metadata says, and encodes the same with add_bos.
TEST(TokenizerFrontEnds, TokenizerConfigSetsSpecialIds) {
    ASSERT_TRUE(gguf_tokenizer());
    auto desc = tokenizer_desc_from_json(read_file(fixture_path("tokenizer.json")), "tokenizer.json");
    ASSERT_TRUE(desc.ok()) << desc.error().message();
    ASSERT_TRUE(apply_tokenizer_config(read_file(fixture_path("tokenizer_config.json")), *desc).ok());
    auto tok = Tokenizer::create(std::move(*desc));
    ASSERT_TRUE(tok.ok()) << tok.error().message();
    EXPECT_EQ((*tok)->bos_id(), gguf_tokenizer()->bos_id());
    EXPECT_EQ((*tok)->eos_id(), gguf_tokenizer()->eos_id());
    EXPECT_EQ((*tok)->pad_id(), gguf_tokenizer()->pad_id());
    EXPECT_EQ((*tok)->eos_id(), (*tok)->token_id("<｜end▁of▁sentence｜>"));
    for (const Golden& g : goldens()) {
        if (g.ids_bos) {
            ASSERT_EQ((*tok)->encode(g.text, {.add_bos = true}), *g.ids_bos) << "line " << g.line;
        }
    }
    TokenizerDesc empty;
    EXPECT_EQ(apply_tokenizer_config("{\"eos_token\": \"<nope>\"}", empty).error().code, ErrorCode::ModelFormat);
}

TEST(TokenizerThreads, ConcurrentEncodeAgreesWithGoldens) {
    ASSERT_TRUE(json_tokenizer());
    std::vector<std::thread> threads;
    std::vector<size_t> failures(4, 0);
    for (size_t t = 0; t < failures.size(); ++t)
        threads.emplace_back([t, &failures] {
            for (size_t i = t; i < goldens().size(); i += 2)  // overlapping halves: shared cache entries
                if (!goldens()[i].decode_only && json_tokenizer()->encode(goldens()[i].text) != goldens()[i].ids)
                    ++failures[t];
        });
    for (auto& th : threads) th.join();
    for (size_t f : failures) EXPECT_EQ(f, 0u);
}

}  // namespace
}  // namespace atelier::infer::test
