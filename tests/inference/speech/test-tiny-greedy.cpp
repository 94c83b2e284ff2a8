// Greedy decoding of the tiny random Whisper checkpoints (tools/whisper/make-tiny-whisper.py,
// built into the build folder by the speech_tiny_whisper fixture) must reproduce the tokens
// transformers' generate() chose on the same weights and mel (goldens of part A:
// tests/inference/whisper/model/goldens/<model>/generate-{nots,ts}.npy), with and without the
// timestamp rules.
#include <gtest/gtest.h>

#include <filesystem>

#include "inference/speech/window-decoder.h"
#include "npy.h"

namespace sp = atelier::infer::speech;
namespace wh = atelier::infer::whisper;

namespace {

const std::string kTiny = ATELIER_TINY_WHISPER_DIR;
const std::string kGoldens = ATELIER_WHISPER_GOLDENS_DIR;

void check_generate(const std::string& name, bool timestamps) {
    SCOPED_TRACE(name + (timestamps ? " timestamps" : " no timestamps"));
    auto model = wh::WhisperModel::load(kTiny + "/" + name);
    ASSERT_TRUE(model.ok()) << model.error().message();
    speech_test::Npy mel, gen;
    ASSERT_TRUE(speech_test::read_npy(kTiny + "/" + name + "-mel.npy", mel));
    ASSERT_TRUE(speech_test::read_npy(kGoldens + "/" + name + "/generate-" + (timestamps ? "ts" : "nots") + ".npy", gen));
    auto session = atelier::infer::Session::create({2, 1, nullptr});
    ASSERT_TRUE(session.ok());
    auto enc = (*model)->encode(mel.as<float>(), **session, {});
    ASSERT_TRUE(enc.ok()) << enc.error().message();
    auto tokens = sp::whisper_tokens(**model);
    ASSERT_TRUE(tokens.ok()) << tokens.error().message();
    std::mt19937_64 rng(1);
    sp::WindowContext ctx{model->get(), &*tokens, session->get(), {}, &rng};
    sp::WindowOptions o;
    o.language_id = tokens->multilingual ? sp::language_token(*tokens, "en") : -1;
    o.without_timestamps = !timestamps;
    o.sample_len = 12;  // the goldens' max_new_tokens
    auto r = sp::decode_window(ctx, std::make_shared<const wh::EncoderOutput>(std::move(*enc)), o);
    ASSERT_TRUE(r.ok()) << r.error().message();
    // generate() returns the new tokens (ending with eot when it ended); greedy choices do not
    // depend on the length limit, so our 12 must be its first 12 (tiny-80 without timestamps
    // ran on past its max_new_tokens there).
    std::vector<int32_t> want = gen.as<int32_t>();
    if (!want.empty() && want.back() == tokens->eot) want.pop_back();
    if (want.size() > 12) want.resize(12);
    EXPECT_EQ(r->tokens, want);
    if (timestamps) {
        EXPECT_GE(r->tokens.at(0), tokens->timestamp_begin);  // the rules were applied
    }
}

}  // namespace

TEST(SpeechTinyGreedy, Tiny80MatchesTransformersGenerate) {
    check_generate("tiny-80", false);
    check_generate("tiny-80", true);
}

TEST(SpeechTinyGreedy, Tiny128MatchesTransformersGenerate) {
    check_generate("tiny-128", false);
    check_generate("tiny-128", true);
}

TEST(SpeechTinyGreedy, TinyEnMatchesTransformersGenerate) {
    check_generate("tiny-en", false);
    check_generate("tiny-en", true);
}
