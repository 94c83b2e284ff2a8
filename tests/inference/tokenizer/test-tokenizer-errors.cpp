// Bad tokenizer files give clear errors (ModelFormat / ModelUnsupported naming the problem), and
// bad text never crashes. Inputs are small edits of the fixture's own JSON.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tokenizer-test-util.h"

namespace atelier::infer::test {
namespace {

nlohmann::json fixture_json() { return nlohmann::json::parse(read_file(fixture_path("tokenizer.json"))); }

Error load_error(const std::string& text) {
    auto r = from_tokenizer_json(text, "bad/tokenizer.json");
    EXPECT_FALSE(r.ok());
    return r.ok() ? Error{} : r.error();
}

TEST(TokenizerErrors, NotJsonOrNotAnObject) {
    for (const char* text : {"", "{", "[1,2]", "null", "{\"model\": 3}"}) {
        const Error e = load_error(text);
        EXPECT_EQ(e.code, ErrorCode::ModelFormat) << text;
        EXPECT_NE(e.detail.find("bad/tokenizer.json"), std::string::npos) << e.message();
    }
}

TEST(TokenizerErrors, MissingModel) {
    auto j = fixture_json();
    j.erase("model");
    const Error e = load_error(j.dump());
    EXPECT_EQ(e.code, ErrorCode::ModelFormat);
    EXPECT_NE(e.detail.find("\"model\""), std::string::npos) << e.message();
}

TEST(TokenizerErrors, MergeReferencingUnknownToken) {
    auto j = fixture_json();
    j["model"]["merges"].push_back(nlohmann::json::array({"Ġ", "no-such-token"}));
    const Error e = load_error(j.dump());
    EXPECT_EQ(e.code, ErrorCode::ModelFormat);
    EXPECT_NE(e.detail.find("unknown token \"no-such-token\""), std::string::npos) << e.message();
}

TEST(TokenizerErrors, UnsupportedModelType) {
    auto j = fixture_json();
    j["model"]["type"] = "Unigram";
    const Error e = load_error(j.dump());
    EXPECT_EQ(e.code, ErrorCode::ModelUnsupported);
    EXPECT_NE(e.detail.find("Unigram"), std::string::npos) << e.message();
    EXPECT_FALSE(e.hint.empty());
}

TEST(TokenizerErrors, UnsupportedComponentsAreNamed) {
    auto j = fixture_json();
    j["normalizer"] = {{"type", "NFC"}};
    Error e = load_error(j.dump());
    EXPECT_EQ(e.code, ErrorCode::ModelUnsupported);
    EXPECT_NE(e.detail.find("NFC"), std::string::npos) << e.message();
    j = fixture_json();
    j["decoder"] = {{"type", "WordPiece"}};
    e = load_error(j.dump());
    EXPECT_EQ(e.code, ErrorCode::ModelUnsupported);
    EXPECT_NE(e.detail.find("WordPiece"), std::string::npos) << e.message();
}

TEST(TokenizerErrors, BadRegexAndLyingIds) {
    auto j = fixture_json();
    j["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = "(unclosed";
    Error e = load_error(j.dump());
    EXPECT_EQ(e.code, ErrorCode::ModelFormat);
    EXPECT_NE(e.detail.find("regex"), std::string::npos) << e.message();
    j = fixture_json();
    j["added_tokens"][0]["id"] = 2000000000;  // would size a 2-billion-entry table
    e = load_error(j.dump());
    EXPECT_EQ(e.code, ErrorCode::ModelFormat);
    j = fixture_json();
    j["model"]["vocab"]["Ġthe"] = -5;
    e = load_error(j.dump());
    EXPECT_EQ(e.code, ErrorCode::ModelFormat);
}

// Documented behaviour: invalid UTF-8 is repaired (U+FFFD per maximal invalid subpart) and encoded.
TEST(TokenizerErrors, InvalidUtf8TextIsEncodedAsRepaired) {
    auto tok = json_tokenizer();
    ASSERT_TRUE(tok);
    const std::string bad = "ok \xFF\xFE end \xE2\x82";
    const std::string r = "\xEF\xBF\xBD";
    EXPECT_EQ(tok->encode(bad), tok->encode("ok " + r + r + " end " + r));
    EXPECT_EQ(tok->decode(tok->encode(bad)), "ok " + r + r + " end " + r);
    EXPECT_EQ(tok->decode(std::vector<TokenId>{-1, 1 << 30}), "");  // unknown ids are skipped
}

}  // namespace
}  // namespace atelier::infer::test
