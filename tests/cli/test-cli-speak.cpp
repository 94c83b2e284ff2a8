// `atelier-cli speak` and `voices` (issue 7 §6). Refusals need no voice: missing --out, both
// --text and --file, a speed out of range, an unknown voice name, a folder that is not a voice,
// empty text. With the real Piper voice from the model cache (scripts/fetch-models): WAV and Opus
// files checked with ffprobe (codec, rate, duration against the command's own report), an
// existing file refused without --force, and --project adding an audio asset plus a "speak"
// generation row (checked with sqlite3); --ssml (a break's length measured by ffprobe, malformed
// SSML's position) and --speaker. Without the voice: a failure under CI, a skip elsewhere.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "cli-run.h"
#include "tests/pipelines/narration-fixture.h"

namespace atelier::test {
namespace {

TEST(CliSpeak, RefusalsSayWhatToDo) {
    TempDir dir;
    const std::string out = (dir / "a.wav").string();
    CliRun r = run_cli({"speak", "--voice", "x", "--text", "hi"});
    EXPECT_EQ(r.code, 1);  // usage
    EXPECT_NE(r.err.find("--out"), std::string::npos) << r.err;
    r = run_cli({"speak", "--voice", "x", "--text", "hi", "--file", out, "--out", out});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("exactly one of --text or --file"), std::string::npos) << r.err;
    r = run_cli({"speak", "--voice", joe_dir().string(), "--text", "hi", "--out", out, "--speed", "9"});
    EXPECT_NE(r.code, 0);
    EXPECT_NE(r.err.find("outside 0.25..4"), std::string::npos) << r.err;
    r = run_cli({"speak", "--voice", "no-such-voice-xyz", "--text", "hi", "--out", out, "--json"});
    EXPECT_NE(r.code, 0);
    EXPECT_NE(r.out.find("no voice named 'no-such-voice-xyz'"), std::string::npos) << r.out;
    fs::create_directories(dir / "not-a-voice");
    std::ofstream(dir / "not-a-voice" / "config.json") << "{\"model_type\": \"whisper\"}";
    r = run_cli({"speak", "--voice", (dir / "not-a-voice").string(), "--text", "hi", "--out", out});
    EXPECT_NE(r.code, 0);
    EXPECT_FALSE(r.err.empty());
    EXPECT_FALSE(fs::exists(out)) << "a failed run must leave no file";
    r = run_cli({"speak", "--voice", "x", "--text", "hi", "--out", (dir / "a.mp4").string()});
    EXPECT_NE(r.code, 0);
    // Malformed SSML (forced, or recognised by <speak) names the line and column of the fault.
    r = run_cli({"speak", "--voice", "x", "--ssml", "--text", "Hi <break time=\"1s\"> there", "--out", out});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("line 1, column 4 (byte 3)"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(out));
}

TEST(CliSpeak, SsmlAndSpeakerWithTheRealVoice) {
    REQUIRE_JOE();
    TempDir dir;
    const std::string a = (dir / "a.wav").string(), b = (dir / "b.wav").string(), c = (dir / "c.wav").string();
    // --ssml on a fragment: the break is honoured, so the file is 2 s longer than without it.
    CliRun r = run_cli({"speak", "--voice", "piper-joe", "--ssml", "--text", "Hello.<break time=\"2s\"/>Goodbye.", "--out", a, "--json", "--quiet"});
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    const double with_break = std::stod(ffprobe_value(a, "stream=duration", "a:0"));
    EXPECT_EQ(r.j()["sentences"], 2);
    ASSERT_EQ(run_cli({"speak", "--voice", "piper-joe", "--text", "Hello. Goodbye.", "--out", b, "--quiet"}).code, 0);
    const double plain = std::stod(ffprobe_value(b, "stream=duration", "a:0"));
    EXPECT_NEAR(with_break - plain, 2.0 - 0.2, 0.25);  // the 2 s break replaces the 0.2 s pause (noise moves durations a little)
    // Without --ssml the tag is not parsed: the text is spoken (its characters), no error.
    ASSERT_EQ(run_cli({"speak", "--voice", "piper-joe", "--text", "Hello <b> there.", "--out", c, "--quiet"}).code, 0);
    // The voice has one speaker: 0 is fine, 1 is refused with the count.
    EXPECT_EQ(run_cli({"speak", "--voice", "piper-joe", "--text", "Hi.", "--out", (dir / "d.wav").string(), "--speaker", "0", "--quiet"}).code, 0);
    r = run_cli({"speak", "--voice", "piper-joe", "--text", "Hi.", "--out", (dir / "e.wav").string(), "--speaker", "1"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("has 1 speaker"), std::string::npos) << r.err;
    r = run_cli({"speak", "--voice", "piper-joe", "--text", "Hi.", "--out", (dir / "e.wav").string(), "--speaker", "x"});
    EXPECT_EQ(r.code, 1);
}

// A multi-speaker voice (the committed tiny random 3-speaker VITS, tools/tts/make-multispeaker-voice.py):
// --speaker reaches the network, so speakers 0 and 2 give different audio and speaker 2 twice the same.
TEST(CliSpeak, SpeakerReachesAMultiSpeakerVoice) {
    TempDir dir;
    const std::string voice = (std::filesystem::path(ATELIER_TEST_DATA_DIR) / "inference" / "tts" / "goldens" / "vits-multi").string();
    auto speak = [&](const std::string& speaker, const std::string& name) {
        const std::string out = (dir / name).string();
        const CliRun r = run_cli({"speak", "--voice", voice, "--text", "Hello there.", "--out", out, "--speaker", speaker, "--quiet"});
        EXPECT_EQ(r.code, 0) << r.out << r.err;
        std::ifstream f(out, std::ios::binary);
        return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    };
    const std::string s0 = speak("0", "s0.wav"), s2 = speak("2", "s2.wav"), s2b = speak("2", "s2b.wav");
    ASSERT_GT(s0.size(), 44u);
    EXPECT_NE(s0, s2) << "the speaker embedding changes the audio";
    EXPECT_EQ(s2, s2b) << "same speaker, same text: same audio";
    const CliRun r = run_cli({"speak", "--voice", voice, "--text", "Hi.", "--out", (dir / "x.wav").string(), "--speaker", "3"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("has 3 speaker"), std::string::npos) << r.err;
}

TEST(CliSpeak, WavOpusAndProjectWithTheRealVoice) {
    REQUIRE_JOE();
    TempDir dir;
    const std::string wav = (dir / "hello.wav").string(), opus = (dir / "hello.opus").string();
    const std::string text = "Hello from the studio. This is the second sentence, spoken a little faster.";
    CliRun r = run_cli({"speak", "--voice", "piper-joe", "--text", text, "--out", wav, "--speed", "1.2", "--json", "--quiet"});
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    const auto j = r.j();
    EXPECT_EQ(j["sentences"], 2);
    EXPECT_EQ(j["sample_rate_hz"], 22050);
    EXPECT_EQ(ffprobe_value(wav, "stream=codec_name", "a:0"), "pcm_s16le");
    EXPECT_EQ(ffprobe_value(wav, "stream=sample_rate", "a:0"), "22050");
    EXPECT_NEAR(std::stod(ffprobe_value(wav, "stream=duration", "a:0")), j["duration_ms"].get<double>() / 1000.0, 0.01);
    EXPECT_GT(j["duration_ms"].get<int64_t>(), 2000);
    // The same again is refused without --force; Opus is resampled to 48 kHz.
    EXPECT_NE(run_cli({"speak", "--voice", "piper-joe", "--text", text, "--out", wav}).code, 0);
    ASSERT_EQ(run_cli({"speak", "--voice", joe_dir().string(), "--text", text, "--out", opus, "--quiet"}).code, 0);
    EXPECT_EQ(ffprobe_value(opus, "stream=codec_name", "a:0"), "opus");
    EXPECT_EQ(ffprobe_value(opus, "stream=sample_rate", "a:0"), "48000");
    // Into a project: an audio asset and its provenance.
    const std::string project = (dir / "p.atelier").string();
    ASSERT_EQ(run_cli({"project", "new", project}).code, 0);
    r = run_cli({"speak", "--voice", "piper-joe", "--text", text, "--out", (dir / "n.flac").string(), "--project", project, "--json", "--quiet"});
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    const std::string asset = r.j()["asset_uuid"];
    EXPECT_EQ(sqlite_value(project, "SELECT kind FROM assets WHERE uuid='" + asset + "'"), "audio");
    EXPECT_EQ(sqlite_value(project, "SELECT kind || ',' || model FROM generations"), "speak,piper-joe");
    EXPECT_EQ(sqlite_value(project, "SELECT count(*) FROM generation_outputs WHERE asset_uuid='" + asset + "'"), "1");
    // `voices` lists it.
    r = run_cli({"voices", "--json"});
    ASSERT_EQ(r.code, 0) << r.err;
    bool found = false;
    const auto listed = r.j();
    for (const auto& v : listed["voices"]) found |= v["name"] == "piper-joe";
    EXPECT_TRUE(found) << r.out;
}

}  // namespace
}  // namespace atelier::test
