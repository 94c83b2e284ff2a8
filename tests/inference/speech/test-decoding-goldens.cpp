// Decoding helpers against goldens computed by the reference implementations
// (tools/whisper/make-decoding-goldens.py: transformers' whisper median filter, DTW and
// timestamp logits processor; Python's zlib; openai-whisper's alignment steps in torch).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "inference/speech/text-metrics.h"
#include "inference/speech/token-rules.h"
#include "inference/speech/word-timing.h"

namespace sp = atelier::infer::speech;
using nlohmann::json;

namespace {

const json& goldens() {
    static const json j = [] {
        std::ifstream in(std::string(ATELIER_SPEECH_FIXTURES) + "/decoding-goldens.json");
        std::stringstream ss;
        ss << in.rdbuf();
        return json::parse(ss.str());
    }();
    return j;
}

std::vector<float> floats(const json& a) {
    std::vector<float> v;
    for (const auto& x : a) v.push_back(x.is_null() ? -std::numeric_limits<float>::infinity() : x.get<float>());
    return v;
}

}  // namespace

TEST(SpeechGoldens, MedianFilterMatchesReference) {
    ASSERT_FALSE(goldens()["median_filter"].empty());
    for (const auto& c : goldens()["median_filter"]) {
        std::vector<float> x = floats(c["input"]);
        const std::vector<float> want = floats(c["expected"]);
        sp::median_filter_rows(x, c["rows"], c["cols"], c["width"]);
        ASSERT_EQ(x.size(), want.size());
        for (size_t i = 0; i < x.size(); ++i) EXPECT_EQ(x[i], want[i]) << "cols " << c["cols"] << " at " << i;
    }
}

TEST(SpeechGoldens, DtwPathMatchesReference) {
    for (const auto& c : goldens()["dtw"]) {
        const std::vector<float> x = floats(c["input"]);
        const sp::DtwPath p = sp::dtw(x, c["n"], c["m"]);
        EXPECT_EQ(p.rows, c["rows"].get<std::vector<int>>()) << c["n"] << "x" << c["m"];
        EXPECT_EQ(p.cols, c["cols"].get<std::vector<int>>()) << c["n"] << "x" << c["m"];
    }
}

TEST(SpeechGoldens, CompressionRatioEqualsPythonZlib) {
    for (const auto& c : goldens()["compression"]) {
        const std::string text = c["text"];
        const double want = c["expected"].get<double>();  // float result: relative 1e-6
        EXPECT_NEAR(sp::compression_ratio(text), want, 1e-6 * std::max(1.0, want)) << text;
    }
}

TEST(SpeechGoldens, TimestampRulesMatchTransformersProcessor) {
    const json& g = goldens()["timestamp_rules"];
    sp::WhisperTokens t;
    t.n_vocab = g["n_vocab"];
    t.eot = g["eot"];
    t.no_timestamps = g["no_timestamps"];
    t.timestamp_begin = g["timestamp_begin"];
    int n_masking_text = 0;
    for (const auto& c : g["cases"]) {
        std::vector<float> logits = floats(c["logits"]);
        const std::vector<float> want = floats(c["expected"]);
        const auto sampled = c["sampled"].get<std::vector<int32_t>>();
        sp::apply_timestamp_rules(logits, sampled, t, g["max_initial_index"]);
        ASSERT_EQ(logits.size(), want.size());
        for (size_t i = 0; i < logits.size(); ++i) EXPECT_EQ(logits[i], want[i]) << "token " << i;
        if (!sampled.empty() && std::isinf(want[0]) && std::isinf(want[5])) ++n_masking_text;
    }
    EXPECT_GT(n_masking_text, 0);  // the logprob rule was exercised
}

TEST(SpeechGoldens, AlignmentMatrixMatchesOpenAiSteps) {
    for (const auto& c : goldens()["alignment"]) {
        const std::vector<float> w = floats(c["weights"]);
        const std::vector<float> want = floats(c["expected"]);
        const std::vector<float> got = sp::alignment_matrix(w, c["heads"], c["tokens"], c["ctx"], c["frames"], 7);
        ASSERT_EQ(got.size(), want.size());
        for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 2e-4) << "at " << i;
    }
}

TEST(SpeechTokenRules, SotSequenceAndPrompt) {
    sp::WhisperTokens t;
    t.sot = 50258, t.transcribe = 50359, t.translate = 50358, t.no_timestamps = 50363, t.sot_prev = 50361;
    t.multilingual = true;
    t.languages = {{"en", 50259}, {"de", 50261}};
    EXPECT_EQ(sp::sot_sequence(t, sp::language_token(t, "de"), sp::Task::Translate, true),
              (std::vector<int32_t>{50258, 50261, 50358, 50363}));
    t.multilingual = false;  // English-only models: [sot] alone
    EXPECT_EQ(sp::sot_sequence(t, -1, sp::Task::Transcribe, false), (std::vector<int32_t>{50258}));
    // The prompt keeps its last n_text_ctx/2 - 1 tokens: 448 -> 223.
    std::vector<int32_t> prompt(300);
    for (int i = 0; i < 300; ++i) prompt[static_cast<size_t>(i)] = i;
    const std::vector<int32_t> sot{50258};
    int sot_index = -1;
    const auto init = sp::initial_tokens(t, sot, prompt, 448, &sot_index);
    ASSERT_EQ(init.size(), 1u + 223u + 1u);
    EXPECT_EQ(init.front(), 50361);
    EXPECT_EQ(init[1], 300 - 223);
    EXPECT_EQ(sot_index, 224);
    EXPECT_EQ(init.back(), 50258);
}
