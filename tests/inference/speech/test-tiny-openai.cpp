// decode_window and detect_language on part A's tiny random checkpoints against openai-whisper's
// own decode() / detect_language() on the same weights and mel (goldens written by
// tools/whisper/make-openai-decoding-goldens.py): beam search (beam 3/5, patience, length
// penalty), greedy with a prompt (sot_prev), translate, timestamps on and off, no-speech
// probability and average log-probability.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "inference/speech/window-decoder.h"
#include "npy.h"

namespace sp = atelier::infer::speech;
namespace wh = atelier::infer::whisper;
using nlohmann::json;

namespace {

struct Loaded {
    std::unique_ptr<wh::WhisperModel> model;
    sp::WhisperTokens tokens;
    std::shared_ptr<const wh::EncoderOutput> enc;
};

class OpenAiGoldens : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        std::ifstream in(std::string(ATELIER_SPEECH_FIXTURES) + "/openai-decoding-goldens.json");
        std::stringstream ss;
        ss << in.rdbuf();
        goldens_ = json::parse(ss.str());
        auto s = atelier::infer::Session::create({2, 1, nullptr});
        session_ = std::move(*s);
    }
    static void TearDownTestSuite() { models_.clear(); session_.reset(); }

    static Loaded& get(const std::string& name) {
        auto it = models_.find(name);
        if (it != models_.end()) return it->second;
        Loaded l;
        const std::string dir = ATELIER_TINY_WHISPER_DIR;
        auto m = wh::WhisperModel::load(dir + "/" + name);
        EXPECT_TRUE(m.ok()) << m.error().message();
        l.model = std::move(*m);
        l.tokens = *sp::whisper_tokens(*l.model);
        speech_test::Npy mel;
        EXPECT_TRUE(speech_test::read_npy(dir + "/" + name + "-mel.npy", mel));
        auto enc = l.model->encode(mel.as<float>(), *session_, {});
        EXPECT_TRUE(enc.ok());
        l.enc = std::make_shared<const wh::EncoderOutput>(std::move(*enc));
        return models_.emplace(name, std::move(l)).first->second;
    }

    static json goldens_;
    static std::unique_ptr<atelier::infer::Session> session_;
    static std::map<std::string, Loaded> models_;
};

json OpenAiGoldens::goldens_;
std::unique_ptr<atelier::infer::Session> OpenAiGoldens::session_;
std::map<std::string, Loaded> OpenAiGoldens::models_;

}  // namespace

TEST_F(OpenAiGoldens, DecodeMatchesOpenAiWhisper) {
    ASSERT_GE(goldens_["cases"].size(), 6u);
    for (const auto& c : goldens_["cases"]) {
        SCOPED_TRACE(c["model"].get<std::string>() + " " + c["case"].get<std::string>());
        Loaded& l = get(c["model"]);
        const json& o = c["options"];
        sp::WindowOptions w;
        w.language_id = l.tokens.multilingual ? sp::language_token(l.tokens, o.value("language", "en")) : -1;
        w.task = o.value("task", "transcribe") == "translate" ? sp::Task::Translate : sp::Task::Transcribe;
        w.beam_size = o.value("beam_size", 1);
        w.patience = o.value("patience", 1.0f);
        w.length_penalty = o.value("length_penalty", -1.0f);
        w.without_timestamps = o.value("without_timestamps", false);
        if (o.contains("prompt")) w.prompt = o["prompt"].get<std::vector<int32_t>>();
        std::mt19937_64 rng(1);
        sp::WindowContext ctx{l.model.get(), &l.tokens, session_.get(), {}, &rng};
        auto r = sp::decode_window(ctx, l.enc, w);
        ASSERT_TRUE(r.ok()) << r.error().message();
        EXPECT_EQ(r->tokens, c["tokens"].get<std::vector<int32_t>>());
        EXPECT_NEAR(r->avg_logprob, c["avg_logprob"].get<double>(), 2e-3);
        EXPECT_NEAR(r->no_speech_prob, c["no_speech_prob"].get<double>(), 1e-4);
    }
}

TEST_F(OpenAiGoldens, LanguageDetectionMatchesOpenAiWhisper) {
    ASSERT_FALSE(goldens_["languages"].empty());
    for (const auto& g : goldens_["languages"]) {
        Loaded& l = get(g["model"]);
        std::mt19937_64 rng(1);
        sp::WindowContext ctx{l.model.get(), &l.tokens, session_.get(), {}, &rng};
        auto r = sp::detect_language(ctx, l.enc);
        ASSERT_TRUE(r.ok()) << r.error().message();
        EXPECT_EQ(r->code, g["language"].get<std::string>());
        EXPECT_NEAR(r->probability, g["probability"].get<double>(), 1e-4);
    }
    Loaded& en = get("tiny-en");  // English-only: a clear error
    std::mt19937_64 rng(1);
    sp::WindowContext ctx{en.model.get(), &en.tokens, session_.get(), {}, &rng};
    EXPECT_FALSE(sp::detect_language(ctx, en.enc).ok());
}

TEST_F(OpenAiGoldens, TemperatureFallbackFollowsTheThresholds) {
    // The rule (openai-whisper's decode_with_fallback): fall back when avg_logprob < threshold,
    // unless no_speech_prob > its threshold too (silence). tiny-80's greedy avg_logprob is about
    // -0.19 and its no-speech probability about 2e-8 (the goldens above).
    Loaded& l = get("tiny-80");
    std::mt19937_64 rng(7);
    sp::WindowContext ctx{l.model.get(), &l.tokens, session_.get(), {}, &rng};
    sp::WindowOptions w;
    w.language_id = sp::language_token(l.tokens, "en");
    w.best_of = 2;
    w.sample_len = 8;
    sp::FallbackOptions fb;
    fb.temperatures = {0.0f, 0.5f, 1.0f};
    fb.logprob_threshold = -10.0f;  // met at once: temperature 0
    auto a = sp::decode_with_fallback(ctx, l.enc, w, fb);
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(a->temperature, 0.0f);
    fb.logprob_threshold = 0.0f;  // never met: every temperature is tried, the last one is kept
    auto b = sp::decode_with_fallback(ctx, l.enc, w, fb);
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(b->temperature, 1.0f);
    EXPECT_EQ(b->tokens.size(), 8u);
    fb.no_speech_threshold = 1e-9f;  // "silence": no fallback despite the low log-probability
    auto c = sp::decode_with_fallback(ctx, l.enc, w, fb);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->temperature, 0.0f);
}
