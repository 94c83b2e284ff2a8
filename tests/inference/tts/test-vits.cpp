// The VITS network on the real Piper voice (en_US-joe-medium from scripts/fetch-models) against
// onnxruntime running the distributed ONNX graph with noise off (goldens/vits-joe, made by
// tools/tts/make-vits-goldens.py): every stage's tensor within a stated tolerance, durations
// exact, waveform SNR >= 30 dB; plus bad input and wrong voice folders.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <stop_token>
#include <fstream>

#include <sstream>

#include <nlohmann/json.hpp>

#include "core/npy.h"
#include "tts-test-util.h"
#include "inference/tts/phonemize.h"
#include "inference/tts/voices.h"
#include "inference/tts/vits-internal.h"
#include "inference/tts/vits.h"

namespace tts = atelier::infer::tts;
namespace fs = std::filesystem;

namespace {

atelier::NpyArray golden(const std::string& name) {
    auto a = atelier::read_npy(fs::path(ATELIER_TTS_GOLDENS) / "vits-joe" / (name + ".npy"));
    EXPECT_TRUE(a.ok()) << name;
    return a.ok() ? std::move(*a) : atelier::NpyArray{};
}

std::vector<float> golden_f32(const std::string& name) {
    const auto a = golden(name);
    return {a.f32().begin(), a.f32().end()};
}

std::vector<int64_t> golden_ids(const std::string& name) {
    const auto a = golden(name);
    return {a.i64().begin(), a.i64().end()};
}

struct Diff { double max_abs = 0, max_ref = 0, snr_db = 0; };

Diff compare(const std::vector<float>& ours, const std::vector<float>& ref) {
    Diff d;
    double sig = 0, err = 0;
    for (size_t i = 0; i < std::min(ours.size(), ref.size()); ++i) {
        const double e = static_cast<double>(ours[i]) - ref[i];
        d.max_abs = std::max(d.max_abs, std::abs(e));
        d.max_ref = std::max(d.max_ref, std::abs(static_cast<double>(ref[i])));
        sig += static_cast<double>(ref[i]) * ref[i];
        err += e * e;
    }
    d.snr_db = 10.0 * std::log10(sig / std::max(err, 1e-30));
    return d;
}

class VitsJoe : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        auto v = tts::VitsVoice::load(tts_test::voice_dir());
        ASSERT_TRUE(v.ok()) << v.error().message() << " (run scripts/fetch-models)";
        voice_ = std::move(*v).release();
        auto s = atelier::infer::Session::create({});
        ASSERT_TRUE(s.ok());
        session_ = std::move(*s).release();
    }
    static void TearDownTestSuite() {
        delete voice_;
        delete session_;
    }
    static tts::VitsVoice* voice_;
    static atelier::infer::Session* session_;
};
tts::VitsVoice* VitsJoe::voice_ = nullptr;
atelier::infer::Session* VitsJoe::session_ = nullptr;

void check_case(tts::VitsVoice& voice, atelier::infer::Session& s, const std::string& c, float length_scale) {
    const auto ids = golden_ids(c + "-ids");
    tts::VitsOptions o;
    o.noise_scale = 0.0f, o.noise_w = 0.0f, o.length_scale = length_scale, o.keep_intermediates = true;
    auto r = voice.synthesize(ids, o, s);
    ASSERT_TRUE(r.ok()) << r.error().message();
    const auto& im = r->intermediates;
    // Tolerances: float32 on both sides with different summation orders; the stages before
    // the decoder are compared by max abs error relative to the tensor's range.
    struct Stage { const char* name; const std::vector<float>* ours; double rel_tol; };
    const Stage stages[] = {{"enc_x", &im.enc_x, 1e-4}, {"m_p", &im.m_p, 1e-4}, {"logs_p", &im.logs_p, 1e-4},
                            {"logw", &im.logw, 1e-4},   {"z_p", &im.z_p, 1e-4}, {"z", &im.z, 1e-3}};
    for (const auto& st : stages) {
        const auto ref = golden_f32(c + "-" + st.name);
        ASSERT_EQ(st.ours->size(), ref.size()) << c << " " << st.name;
        const Diff d = compare(*st.ours, ref);
        printf("%s %-6s max abs %.3g (values up to %.3g), SNR %.1f dB\n", c.c_str(), st.name, d.max_abs, d.max_ref, d.snr_db);
        EXPECT_LE(d.max_abs, st.rel_tol * std::max(1.0, d.max_ref)) << c << " " << st.name;
    }
    const auto w_ceil = golden_f32(c + "-w_ceil");
    ASSERT_EQ(r->durations.size(), w_ceil.size());
    for (size_t i = 0; i < w_ceil.size(); ++i) EXPECT_EQ(r->durations[i], static_cast<int64_t>(w_ceil[i])) << c << " phoneme " << i;
    const auto audio = golden_f32(c + "-audio");
    ASSERT_EQ(r->audio.size(), audio.size());
    const Diff d = compare(r->audio, audio);
    printf("%s audio  %zu samples, max abs %.3g, SNR %.1f dB\n", c.c_str(), audio.size(), d.max_abs, d.snr_db);
    EXPECT_GE(d.snr_db, 30.0) << c;
}

}  // namespace

TEST_F(VitsJoe, HelloMatchesOnnxRuntime) { check_case(*voice_, *session_, "hello", 1.0f); }
TEST_F(VitsJoe, SlowerSentenceMatchesOnnxRuntime) { check_case(*voice_, *session_, "slow", 1.3f); }
// The direct AVX-512 conv kernel's slow twin (the MatMul path) against onnxruntime too.
TEST_F(VitsJoe, MatMulConvPathMatchesOnnxRuntime) {
    tts::set_conv1d_direct_enabled(false);
    check_case(*voice_, *session_, "slow", 1.3f);
    tts::set_conv1d_direct_enabled(true);
}

TEST_F(VitsJoe, BadInputIsRefused) {
    tts::VitsOptions o;
    const std::vector<int64_t> none;
    auto r = voice_->synthesize(none, o, *session_);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, atelier::ErrorCode::InvalidArgument);
    const std::vector<int64_t> bad{1, 0, 999, 0, 2};
    r = voice_->synthesize(bad, o, *session_);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().detail.find("999"), std::string::npos);
}

TEST_F(VitsJoe, StopIsHonoured) {
    std::stop_source src;
    src.request_stop();
    const auto ids = golden_ids("hello-ids");
    auto r = voice_->synthesize(ids, tts::VitsOptions{}, *session_, src.get_token());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, atelier::ErrorCode::Cancelled);
}

TEST_F(VitsJoe, NoiseChangesTheAudioButNotItsLength) {
    // Noise only in the prior (noise_w = 0 keeps the durations): same length, different samples,
    // and the same seed gives the same samples again.
    const auto ids = golden_ids("hello-ids");
    tts::VitsOptions o;
    o.noise_w = 0.0f;
    o.noise_scale = 0.667f;
    auto a = voice_->synthesize(ids, o, *session_);
    auto b = voice_->synthesize(ids, o, *session_);
    ASSERT_TRUE(a.ok() && b.ok());
    const auto ref = golden_f32("hello-audio");
    ASSERT_EQ(a->audio.size(), ref.size());
    ASSERT_EQ(b->audio.size(), ref.size());
    EXPECT_LT(compare(a->audio, ref).snr_db, 30.0);
    EXPECT_NE(a->audio, b->audio);  // the RNG moved on
}

TEST_F(VitsJoe, PiperEspeakDataGivesPiperIdsExactly) {
    // With the espeak-ng data Piper bundles (scripts/fetch-models puts it in the voice folder),
    // every text of the phoneme set gives Piper's ids, except where Piper's newer library itself
    // differs from Debian's 1.51 ("thirty on" gets a palatal mark there).
    ASSERT_TRUE(fs::is_regular_file(tts_test::voice_dir() / "espeak-ng-data" / "phondata")) << "run scripts/fetch-models";
    std::ifstream in(fs::path(ATELIER_TTS_GOLDENS) / "phonemes-joe.json");
    std::stringstream ss;
    ss << in.rdbuf();
    const auto g = nlohmann::json::parse(ss.str());
    int exact = 0, total = 0;
    for (const auto& c : g.at("cases")) {
        const std::string text = c.at("text");
        std::vector<std::string> warnings;
        auto r = tts::text_to_phoneme_ids(text, voice_->config(), warnings, tts_test::voice_dir());
        ASSERT_TRUE(r.ok()) << r.error().message();
        bool same = r->size() == c.at("ids").size();
        for (size_t s = 0; same && s < r->size(); ++s) same = (*r)[s].ids == c.at("ids")[s].get<std::vector<int64_t>>();
        ++total;
        exact += same;
        if (text != "The meeting is at 10:30 on Monday.") {
            EXPECT_TRUE(same) << text;
        }
    }
    printf("phonemizer with Piper's espeak-ng data: %d/%d texts give Piper's ids exactly\n", exact, total);
}

TEST_F(VitsJoe, FirstChunkStreamsTheSameAudio) {
    // The longer golden sentence (178 frames) in two pieces, the first of 40 frames: the pieces
    // arrive in order through on_audio, and together they are the whole-sentence audio (the
    // context covers the receptive fields, so only float rounding differs).
    const auto ids = golden_ids("slow-ids");
    tts::VitsOptions o;
    o.noise_scale = 0.0f, o.noise_w = 0.0f, o.length_scale = 1.3f;
    auto whole = voice_->synthesize(ids, o, *session_);
    ASSERT_TRUE(whole.ok());
    o.first_chunk_frames = 40;
    std::vector<size_t> pieces;
    std::vector<float> streamed;
    auto chunked = voice_->synthesize(ids, o, *session_, {}, [&](std::span<const float> a) {
        pieces.push_back(a.size());
        streamed.insert(streamed.end(), a.begin(), a.end());
    });
    ASSERT_TRUE(chunked.ok());
    ASSERT_EQ(pieces.size(), 2u);
    EXPECT_EQ(pieces[0], 40u * static_cast<size_t>(voice_->hop_samples()));
    EXPECT_EQ(streamed, chunked->audio);
    ASSERT_EQ(chunked->audio.size(), whole->audio.size());
    const Diff d = compare(chunked->audio, whole->audio);
    printf("first chunk of 40 frames: streamed audio vs whole sentence SNR %.1f dB\n", d.snr_db);
    EXPECT_GE(d.snr_db, 60.0);
    EXPECT_GE(compare(chunked->audio, golden_f32("slow-audio")).snr_db, 30.0);
}

TEST(Vits, TheFetchedVoiceIsListed) {
    std::vector<std::string> problems;
    auto voices = tts::list_voices(tts_test::voice_dir().parent_path(), problems);
    ASSERT_TRUE(voices.ok()) << voices.error().message();
    auto it = std::find_if(voices->begin(), voices->end(), [](const tts::VoiceInfo& v) { return v.name == "piper-joe"; });
    ASSERT_NE(it, voices->end()) << "run scripts/fetch-models";
    EXPECT_EQ(it->sample_rate, 22050);
    EXPECT_EQ(it->espeak_voice, "en-us");
    EXPECT_EQ(it->language, "en_US");
    EXPECT_TRUE(it->own_espeak_data);
    // whisper-base (a model, not a voice) has no voice.json: not listed, not a problem.
    for (const auto& v : *voices) EXPECT_NE(v.name, "whisper-base");
}

TEST(Vits, ListVoicesReportsBrokenFolders) {
    const fs::path root = fs::temp_directory_path() / "atelier-test-voices";
    fs::remove_all(root);
    fs::create_directories(root / "broken");
    fs::create_directories(root / "not-a-voice");
    std::ofstream(root / "broken" / "voice.json") << "{\"format\": \"something-else\"}";
    std::vector<std::string> problems;
    auto voices = tts::list_voices(root, problems);
    ASSERT_TRUE(voices.ok());
    EXPECT_TRUE(voices->empty());
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_NE(problems[0].find("broken"), std::string::npos) << problems[0];
    fs::remove_all(root);
    auto missing = tts::list_voices(root, problems);
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, atelier::ErrorCode::NotFound);
}

TEST(Vits, WrongVoiceFoldersGiveClearErrors) {
    const fs::path tmp = fs::temp_directory_path() / "atelier-test-vits-bad";
    fs::remove_all(tmp);
    fs::create_directories(tmp);
    auto r = tts::VitsVoice::load(tmp);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, atelier::ErrorCode::NotFound);
    EXPECT_NE(r.error().message().find("voice.json"), std::string::npos);
    // A voice.json that is really a raw Piper config.
    std::ofstream(tmp / "voice.json") << R"({"audio": {"sample_rate": 22050}, "phoneme_id_map": {}})";
    r = tts::VitsVoice::load(tmp);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, atelier::ErrorCode::ModelFormat);
    fs::remove_all(tmp);
}

// A tiny random 3-speaker voice (goldens/vits-multi, tools/tts/make-multispeaker-voice.py: Piper's
// own SynthesizerTrn exported as Piper does, converted, and run by onnxruntime with noise off):
// the speaker embedding conditions the duration predictor, the flow and the decoder.
TEST(VitsMultiSpeaker, EverySpeakerMatchesOnnxRuntime) {
    const fs::path dir = fs::path(ATELIER_TTS_GOLDENS) / "vits-multi";
    auto voice = tts::VitsVoice::load(dir);
    ASSERT_TRUE(voice.ok()) << voice.error().message();
    EXPECT_EQ((*voice)->config().num_speakers, 3);
    auto session = atelier::infer::Session::create({});
    ASSERT_TRUE(session.ok());
    auto load = [&](const std::string& name) {
        auto a = atelier::read_npy(dir / (name + ".npy"));
        EXPECT_TRUE(a.ok()) << name;
        return a.ok() ? std::move(*a) : atelier::NpyArray{};
    };
    const auto ids_npy = load("ids");
    const std::vector<int64_t> ids(ids_npy.i64().begin(), ids_npy.i64().end());
    std::vector<std::vector<float>> by_speaker;
    for (const auto& [speaker, ls] : std::vector<std::pair<int, float>>{{0, 1.0f}, {1, 1.0f}, {2, 1.0f}, {1, 1.5f}}) {
        const std::string c = "s" + std::to_string(speaker) + "-l" + std::to_string(static_cast<int>(ls * 10));
        tts::VitsOptions o;
        o.noise_scale = 0.0f, o.noise_w = 0.0f, o.length_scale = ls, o.speaker_id = speaker;
        auto r = (*voice)->synthesize(ids, o, **session);
        ASSERT_TRUE(r.ok()) << c << ": " << r.error().message();
        const auto w_npy = load(c + "-w_ceil"), a_npy = load(c + "-audio");
        const std::vector<float> w_ceil(w_npy.f32().begin(), w_npy.f32().end()), audio(a_npy.f32().begin(), a_npy.f32().end());
        ASSERT_EQ(r->durations.size(), w_ceil.size()) << c;
        for (size_t i = 0; i < w_ceil.size(); ++i) EXPECT_EQ(r->durations[i], static_cast<int64_t>(w_ceil[i])) << c << " phoneme " << i;
        ASSERT_EQ(r->audio.size(), audio.size()) << c;
        const Diff d = compare(r->audio, audio);
        printf("multi-speaker %s: %zu samples, max abs %.3g, SNR %.1f dB\n", c.c_str(), audio.size(), d.max_abs, d.snr_db);
        EXPECT_GE(d.snr_db, 30.0) << c;
        // Streaming the first frames on their own gives the same audio for a conditioned voice.
        o.first_chunk_frames = 16;
        auto chunked = (*voice)->synthesize(ids, o, **session);
        ASSERT_TRUE(chunked.ok());
        EXPECT_GE(compare(chunked->audio, r->audio).snr_db, 90.0) << c;
        if (ls == 1.0f) by_speaker.push_back(r->audio);
    }
    ASSERT_EQ(by_speaker.size(), 3u);
    EXPECT_NE(by_speaker[0], by_speaker[2]);  // same length (75 frames), different voices
    tts::VitsOptions bad;
    bad.speaker_id = 3;
    auto r = (*voice)->synthesize(ids, bad, **session);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().detail.find("3 speaker(s)"), std::string::npos) << r.error().detail;
}
