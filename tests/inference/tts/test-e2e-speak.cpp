// End to end: the real Piper voice (scripts/fetch-models) speaks a set of sentences through our
// phonemizer and VITS; ffmpeg resamples to 16 kHz; our Whisper base and Debian's pocketsphinx (an
// independent recogniser) transcribe it back. Whisper's WER must be <= 15 % (issue 7).
// Also prints the real-time factor and the time to the first sentence's audio (not asserted).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "../speech/e2e-util.h"
#include "inference/arch/whisper/whisper.h"
#include "inference/speech/transcribe.h"
#include "inference/tts/speak.h"

namespace tts = atelier::infer::tts;
namespace fs = std::filesystem;

namespace {

fs::path cache_dir(const char* name) { return speech_test::whisper_base_dir().parent_path() / name; }

void write_wav16(const fs::path& path, const std::vector<float>& pcm, int rate) {
    std::ofstream f(path, std::ios::binary);
    auto u32 = [&](uint32_t v) { f.write(reinterpret_cast<const char*>(&v), 4); };
    auto u16 = [&](uint16_t v) { f.write(reinterpret_cast<const char*>(&v), 2); };
    const auto bytes = static_cast<uint32_t>(pcm.size() * 2);
    f.write("RIFF", 4), u32(36 + bytes), f.write("WAVEfmt ", 8), u32(16), u16(1), u16(1);
    u32(static_cast<uint32_t>(rate)), u32(static_cast<uint32_t>(rate * 2)), u16(2), u16(16);
    f.write("data", 4), u32(bytes);
    for (float v : pcm) u16(static_cast<uint16_t>(static_cast<int16_t>(std::lround(std::clamp(v, -1.0f, 1.0f) * 32767.0f))));
}

std::string run_command(const std::string& cmd) {
    std::string out;
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return out;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    pclose(p);
    return out;
}

double wer(const std::string& ref, const std::string& hyp) {
    const auto r = speech_test::normalise_words(ref), h = speech_test::normalise_words(hyp);
    size_t errors = 0;
    speech_test::align_words(r, h, &errors);
    return r.empty() ? 1.0 : static_cast<double>(errors) / static_cast<double>(r.size());
}

// Speech -> 16 kHz (ffmpeg) -> Whisper base text; the 16 kHz WAV is left in dir for others.
std::string whisper_text(const atelier::infer::whisper::WhisperModel& whisper, const tts::Speech& speech, const fs::path& dir) {
    write_wav16(dir / "speech.wav", speech.audio, speech.sample_rate);
    const std::string ff = "ffmpeg -nostdin -loglevel error -y -i " + (dir / "speech.wav").string() +
                           " -ar 16000 -ac 1 -c:a pcm_s16le " + (dir / "speech16k.wav").string();
    EXPECT_EQ(std::system(ff.c_str()), 0) << ff;
    const auto pcm = speech_test::read_wav16((dir / "speech16k.wav").string());
    atelier::infer::speech::TranscribeOptions o;
    o.language = "en";
    o.n_threads = 2;
    auto tr = atelier::infer::speech::transcribe(whisper, pcm, o, {}, {});
    EXPECT_TRUE(tr.ok()) << tr.error().message();
    std::string hyp;
    if (tr.ok())
        for (const auto& seg : tr->segments) hyp += seg.text + " ";
    return hyp;
}

}  // namespace

TEST(TtsE2e, WhisperAndPocketsphinxUnderstandTheVoice) {
    auto voice = tts::VitsVoice::load(cache_dir("piper-joe"));
    ASSERT_TRUE(voice.ok()) << voice.error().message() << " (run scripts/fetch-models)";
    auto whisper = atelier::infer::whisper::WhisperModel::load(speech_test::whisper_base_dir());
    ASSERT_TRUE(whisper.ok()) << whisper.error().message() << " (run scripts/fetch-models)";
    atelier::infer::SessionOptions so;
    so.n_threads = 2;
    auto session = atelier::infer::Session::create(so);
    ASSERT_TRUE(session.ok());

    std::ifstream in(std::string(ATELIER_TTS_DIR) + "/speak-sentences.json");
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text;
    const auto doc = nlohmann::json::parse(ss.str());
    for (const auto& s : doc.at("sentences")) text += s.get<std::string>() + " ";

    ASSERT_GT(text.size(), 100u);
    const auto t0 = std::chrono::steady_clock::now();
    double first_ms = -1;
    auto r = tts::speak(**voice, text, tts::SpeakOptions{}, **session, {}, [&](size_t i, std::span<const float>) {
        if (i == 0) first_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    });
    const double synth_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ASSERT_TRUE(r.ok()) << r.error().message();
    ASSERT_EQ(r->sentences.size(), 8u);
    EXPECT_TRUE(r->warnings.empty());
    // Sentences sit back to back with 0.2 s of silence between them (SpeakOptions default).
    const int64_t gap = static_cast<int64_t>(0.2f * static_cast<float>(r->sample_rate));
    for (size_t i = 1; i < r->sentences.size(); ++i) {
        const auto& p = r->sentences[i - 1];
        EXPECT_EQ(r->sentences[i].first_sample, p.first_sample + p.n_samples + gap);
        for (int64_t k = p.first_sample + p.n_samples; k < r->sentences[i].first_sample; ++k)
            ASSERT_EQ(r->audio[static_cast<size_t>(k)], 0.0f);
    }
    EXPECT_EQ(static_cast<int64_t>(r->audio.size()), r->sentences.back().first_sample + r->sentences.back().n_samples);
    const double audio_s = static_cast<double>(r->audio.size()) / r->sample_rate;
    printf("tts: %.2f s of audio in %.2f s (RTF %.3f, 2 threads), first sentence after %.0f ms\n", audio_s, synth_s,
           synth_s / audio_s, first_ms);

    const fs::path dir = fs::temp_directory_path() / ("atelier-tts-e2e-" + std::to_string(getpid()));
    fs::create_directories(dir);
    const std::string hyp = whisper_text(**whisper, *r, dir);
    const double whisper_wer = wer(text, hyp);
    printf("whisper base: WER %.1f %%\n  %s\n", 100 * whisper_wer, hyp.c_str());
    EXPECT_LE(whisper_wer, 0.15);

    const std::string ps = run_command("pocketsphinx_continuous -infile " + (dir / "speech16k.wav").string() +
                                       " -logfn /dev/null 2>/dev/null");
    const double ps_wer = wer(text, ps);
    printf("pocketsphinx: WER %.1f %%\n  %s\n", 100 * ps_wer, ps.c_str());
    EXPECT_FALSE(ps.empty()) << "pocketsphinx_continuous gave no text (is pocketsphinx installed? scripts/setup)";
    EXPECT_LE(ps_wer, 0.5);  // a classic recogniser; a loose bound that still fails on noise or silence
    fs::remove_all(dir);
}

// SSML say-as and the plain-text expansion, heard by an independent reader: Whisper writes what
// it hears, and "March" can only be there if the ISO date was spoken as words (espeak-ng alone
// reads "2024-03-15" as "two thousand twenty four dash zero three dash fifteen").
TEST(TtsE2e, WhisperHearsDatesTimesAndPhoneNumbersAsWords) {
    auto voice = tts::VitsVoice::load(cache_dir("piper-joe"));
    ASSERT_TRUE(voice.ok()) << voice.error().message() << " (run scripts/fetch-models)";
    auto whisper = atelier::infer::whisper::WhisperModel::load(speech_test::whisper_base_dir());
    ASSERT_TRUE(whisper.ok()) << whisper.error().message() << " (run scripts/fetch-models)";
    auto session = atelier::infer::Session::create({});
    ASSERT_TRUE(session.ok());
    const fs::path dir = fs::temp_directory_path() / ("atelier-tts-e2e-ssml-" + std::to_string(getpid()));
    fs::create_directories(dir);
    auto lower = [](std::string t) {
        for (char& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return t;
    };
    auto ssml = tts::speak(**voice,
                           "<speak>The meeting is on <say-as interpret-as=\"date\">2024-03-15</say-as>."
                           "<break time=\"500ms\"/>Please call <say-as interpret-as=\"telephone\">555-123-4567</say-as>.</speak>",
                           tts::SpeakOptions{}, **session);
    ASSERT_TRUE(ssml.ok()) << ssml.error().message();
    const std::string a = lower(whisper_text(**whisper, *ssml, dir));
    printf("whisper on the SSML text: %s\n", a.c_str());
    EXPECT_NE(a.find("march"), std::string::npos) << a;
    EXPECT_NE(a.find("2024"), std::string::npos) << a;
    EXPECT_NE(a.find("555"), std::string::npos) << a;
    auto plain = tts::speak(**voice, "The train leaves on 2025-07-04 at 9:05 pm.", tts::SpeakOptions{}, **session);
    ASSERT_TRUE(plain.ok()) << plain.error().message();
    const std::string b = lower(whisper_text(**whisper, *plain, dir));
    printf("whisper on the plain text: %s\n", b.c_str());
    EXPECT_NE(b.find("july"), std::string::npos) << b;
    EXPECT_TRUE(b.find("9:05") != std::string::npos || b.find("9.05") != std::string::npos || b.find("nine") != std::string::npos) << b;
    fs::remove_all(dir);
}
