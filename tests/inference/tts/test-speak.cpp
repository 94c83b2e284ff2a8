// speak() on the real Piper voice (scripts/fetch-models) with noise off: SSML breaks are exact runs
// of silence, a prosody rate equals the same text at the matching length scale, say-as and the
// plain-text number expansion give the phoneme ids of the words written out by hand, malformed
// SSML names its position, and streaming inside a sentence delivers a first piece early whose
// joined pieces equal the unstreamed audio.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>

#include "tts-test-util.h"
#include "inference/tts/speak.h"

namespace tts = atelier::infer::tts;
namespace fs = std::filesystem;

namespace {

class Speak : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        auto v = tts::VitsVoice::load(tts_test::voice_dir());
        ASSERT_TRUE(v.ok()) << v.error().message() << " (run scripts/fetch-models)";
        voice_ = std::move(*v).release();
        atelier::infer::SessionOptions so;
        so.n_threads = 2;
        auto s = atelier::infer::Session::create(so);
        ASSERT_TRUE(s.ok());
        session_ = std::move(*s).release();
    }
    static void TearDownTestSuite() {
        delete voice_;
        delete session_;
    }
    static tts::SpeakOptions quiet() {
        tts::SpeakOptions o;
        o.noise_scale = 0.0f, o.noise_w = 0.0f;
        return o;
    }
    static tts::Speech say(const std::string& text, const tts::SpeakOptions& o) {
        auto r = tts::speak(*voice_, text, o, *session_);
        EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().message());
        return r.ok() ? std::move(*r) : tts::Speech{};
    }
    static tts::VitsVoice* voice_;
    static atelier::infer::Session* session_;
};
tts::VitsVoice* Speak::voice_ = nullptr;
atelier::infer::Session* Speak::session_ = nullptr;

double snr_db(const std::vector<float>& ours, const std::vector<float>& ref) {
    double sig = 0, err = 0;
    for (size_t i = 0; i < std::min(ours.size(), ref.size()); ++i) {
        sig += static_cast<double>(ref[i]) * ref[i];
        err += (static_cast<double>(ours[i]) - ref[i]) * (static_cast<double>(ours[i]) - ref[i]);
    }
    return 10.0 * std::log10(sig / std::max(err, 1e-30));
}

bool silent(const std::vector<float>& a, int64_t from, int64_t to) {
    for (int64_t k = from; k < to; ++k)
        if (a[static_cast<size_t>(k)] != 0.0f) return false;
    return true;
}

}  // namespace

TEST_F(Speak, SsmlBreaksReplaceTheSentenceSilence) {
    const auto r = say("<speak><break time=\"300ms\"/>Hello there.<break time=\"700ms\"/>How are you? Fine."
                       "<break strength=\"weak\"/></speak>", quiet());
    ASSERT_EQ(r.sentences.size(), 3u);
    const int64_t rate = r.sample_rate;
    EXPECT_EQ(r.sentences[0].first_sample, rate * 300 / 1000);
    EXPECT_TRUE(silent(r.audio, 0, r.sentences[0].first_sample));
    const auto end0 = r.sentences[0].first_sample + r.sentences[0].n_samples;
    EXPECT_EQ(r.sentences[1].first_sample, end0 + rate * 700 / 1000);  // the break, not the 0.2 s
    EXPECT_TRUE(silent(r.audio, end0, r.sentences[1].first_sample));
    const auto end1 = r.sentences[1].first_sample + r.sentences[1].n_samples;
    EXPECT_EQ(r.sentences[2].first_sample, end1 + static_cast<int64_t>(0.2f * static_cast<float>(rate)));
    const auto end2 = r.sentences[2].first_sample + r.sentences[2].n_samples;
    EXPECT_EQ(static_cast<int64_t>(r.audio.size()), end2 + rate * 250 / 1000);  // trailing weak break
    EXPECT_TRUE(silent(r.audio, end2, static_cast<int64_t>(r.audio.size())));
    EXPECT_FALSE(silent(r.audio, r.sentences[1].first_sample, end1));
}

TEST_F(Speak, ProsodyRateIsTheLengthScaleOfItsSpan) {
    auto o = quiet();
    const auto slow = say("<speak><prosody rate=\"50%\">Hello world.</prosody></speak>", o);
    const auto normal = say("Hello world.", o);
    o.length_scale = 2.0f;  // the voice's own length scale is 1
    const auto scaled = say("Hello world.", o);
    ASSERT_EQ(slow.audio.size(), scaled.audio.size());
    EXPECT_GE(snr_db(slow.audio, scaled.audio), 100.0);
    // Not exactly 2: each phoneme's frames are ceil(w x length scale), and many are under a frame.
    const double ratio = static_cast<double>(slow.audio.size()) / static_cast<double>(normal.audio.size());
    EXPECT_GT(ratio, 1.5);
    EXPECT_LT(ratio, 2.2);
}

TEST_F(Speak, SayAsAndPlainNumbersSpeakTheWords) {
    const auto o = quiet();
    auto ids = [&](const std::string& text) {
        const auto r = say(text, o);
        return r.sentences.empty() ? std::vector<int64_t>{} : r.sentences[0].ids;
    };
    EXPECT_EQ(ids("<speak>It is <say-as interpret-as=\"date\">2024-03-15</say-as>.</speak>"),
              ids("It is March fifteenth, twenty twenty-four."));
    EXPECT_EQ(ids("<speak>Call <say-as interpret-as=\"telephone\">555-123-4567</say-as>.</speak>"),
              ids("Call five five five, one two three, four five six seven."));
    EXPECT_EQ(ids("<speak>The <say-as interpret-as=\"ordinal\">3</say-as> time.</speak>"), ids("The third time."));
    EXPECT_EQ(ids("Meet me at 9:05 pm on 3/15/2024."), ids("Meet me at nine oh five PM on March fifteenth, twenty twenty-four."));
    auto off = o;
    off.expand_numbers = false;
    const auto raw = tts::speak(*voice_, "Meet me at 9:05 pm.", off, *session_);
    ASSERT_TRUE(raw.ok());
    EXPECT_NE(raw->sentences[0].ids, ids("Meet me at nine oh five PM."));
}

TEST_F(Speak, SsmlModesAndErrors) {
    auto o = quiet();
    auto bad = tts::speak(*voice_, "<speak>Hello <prosody rate=\"slow\">there</speak>", o, *session_);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code, atelier::ErrorCode::InvalidArgument);
    EXPECT_NE(bad.error().detail.find("line 1, column 40 (byte 39)"), std::string::npos) << bad.error().detail;
    // Forced on: a fragment without <speak> is SSML; forced off: tags are just characters.
    o.ssml = tts::SpeakOptions::Ssml::On;
    const auto forced = say("Hello.<break time=\"1s\"/>There.", o);
    ASSERT_EQ(forced.sentences.size(), 2u);
    EXPECT_EQ(forced.sentences[1].first_sample - (forced.sentences[0].first_sample + forced.sentences[0].n_samples),
              forced.sample_rate);
    o.ssml = tts::SpeakOptions::Ssml::Off;
    EXPECT_TRUE(tts::speak(*voice_, "<speak>Hello <prosody>there</speak>", o, *session_).ok());
    // Unknown tags: spoken, with a warning.
    o.ssml = tts::SpeakOptions::Ssml::Auto;
    const auto warned = say("<speak><emphasis>Hello</emphasis> there.</speak>", o);
    ASSERT_EQ(warned.warnings.size(), 1u);
    EXPECT_NE(warned.warnings[0].find("emphasis"), std::string::npos);
    EXPECT_FALSE(tts::speak(*voice_, "<speak> </speak>", o, *session_).ok());
    // Breaks are bounded in all (10 minutes), so a short document cannot ask for hours of silence.
    std::string many = "<speak>";
    for (int i = 0; i < 100; ++i) many += "<break time=\"10s\"/>";
    const auto capped = say(many + "Hi.</speak>", o);
    EXPECT_EQ(capped.sentences.at(0).first_sample, int64_t{600} * capped.sample_rate);
    ASSERT_FALSE(capped.warnings.empty());
    EXPECT_NE(capped.warnings.back().find("10 minutes"), std::string::npos);
    auto bad_gain = o;
    bad_gain.stream_gain = -1.0f;
    EXPECT_FALSE(tts::speak(*voice_, "Hi.", bad_gain, *session_).ok());
    o.speaker_id = 1;
    auto sp = tts::speak(*voice_, "Hello.", o, *session_);
    ASSERT_FALSE(sp.ok());
    EXPECT_NE(sp.error().detail.find("1 speaker"), std::string::npos);
}

TEST_F(Speak, StreamingDeliversTheFirstPieceEarlyAndJoinsExactly) {
    const std::string text = "The quick brown fox jumps over the lazy dog near the quiet river bank. It rests.";
    auto o = quiet();
    o.normalize = false;
    const auto whole = say(text, o);
    ASSERT_EQ(whole.sentences.size(), 2u);
    o.first_chunk_frames = 24;
    o.stream_gain = 1.0f;
    std::vector<std::vector<float>> pieces;
    double first_ms = -1;
    const auto t0 = std::chrono::steady_clock::now();
    o.on_audio = [&](std::span<const float> p) {
        if (pieces.empty()) first_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        pieces.emplace_back(p.begin(), p.end());
    };
    size_t sentences_seen = 0;
    auto r = tts::speak(*voice_, text, o, *session_, {}, [&](size_t, std::span<const float>) { ++sentences_seen; });
    const double total_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(sentences_seen, 2u);
    ASSERT_GE(pieces.size(), 4u);  // first sentence in two pieces, the gap, the second sentence
    EXPECT_EQ(pieces[0].size(), static_cast<size_t>(24 * voice_->hop_samples()));
    std::vector<float> joined;
    for (const auto& p : pieces) joined.insert(joined.end(), p.begin(), p.end());
    EXPECT_EQ(joined, r->audio);
    ASSERT_EQ(r->audio.size(), whole.audio.size());
    const double snr = snr_db(r->audio, whole.audio);
    printf("streamed vs whole: SNR %.1f dB; first piece after %.0f ms of %.0f ms\n", snr, first_ms, total_ms);
    EXPECT_GE(snr, 90.0);
    // A fixed gain of 2 doubles the samples (clipped at 1) in every sentence alike.
    o.stream_gain = 2.0f;
    o.on_audio = {};
    const auto loud = say(text, o);
    ASSERT_EQ(loud.audio.size(), whole.audio.size());
    for (size_t k = 0; k < loud.audio.size(); k += 97)
        EXPECT_NEAR(loud.audio[k], std::clamp(2.0f * whole.audio[k], -1.0f, 1.0f), 1e-4f) << k;
}

// speak() passes the speaker through: on the tiny 3-speaker voice (goldens/vits-multi) each
// speaker's sentence equals the network run for that speaker on the same ids.
TEST(SpeakMultiSpeaker, TheSpeakerReachesTheNetwork) {
    auto voice = tts::VitsVoice::load(fs::path(ATELIER_TTS_GOLDENS) / "vits-multi");
    ASSERT_TRUE(voice.ok()) << voice.error().message();
    auto session = atelier::infer::Session::create({});
    ASSERT_TRUE(session.ok());
    tts::SpeakOptions o;
    o.noise_scale = 0.0f, o.noise_w = 0.0f, o.normalize = false;
    std::vector<std::vector<float>> audio;
    for (int speaker = 0; speaker < 3; ++speaker) {
        o.speaker_id = speaker;
        auto r = tts::speak(**voice, "Hello there.", o, **session);
        ASSERT_TRUE(r.ok()) << r.error().message();
        ASSERT_EQ(r->sentences.size(), 1u);
        tts::VitsOptions vo;
        vo.noise_scale = 0.0f, vo.noise_w = 0.0f, vo.speaker_id = speaker;
        auto direct = (*voice)->synthesize(r->sentences[0].ids, vo, **session);
        ASSERT_TRUE(direct.ok());
        EXPECT_EQ(r->audio, direct->audio) << "speaker " << speaker;
        audio.push_back(r->audio);
    }
    EXPECT_NE(audio[0], audio[1]);
    o.speaker_id = 3;
    EXPECT_FALSE(tts::speak(**voice, "Hello there.", o, **session).ok());
}
