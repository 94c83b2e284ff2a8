// `atelier-cli transcribe` (issue 6 §7): the binary's refusals, each checked for its exit code,
// its JSON error and that nothing was written or stored: a model that is not Whisper (another
// family's config.json, a GGUF file), a video without sound, a corrupt file, bad options
// (--microphone's included).
// (Transcribing real speech needs the Whisper engine; tests/pipelines cover the job itself.)
#include <gtest/gtest.h>

#include "cli-run.h"
#include "pipelines/demo-media.h"

namespace atelier::test {
namespace {

class CliTranscribe : public ::testing::Test {
protected:
    void SetUp() override {
        fs::create_directories(dir_ / "llama");
        write_file(dir_ / "llama" / "config.json", R"({"model_type": "llama"})");
        fs::create_directories(dir_ / "whisper");
        write_file(dir_ / "whisper" / "config.json", R"({"model_type": "whisper"})");
        fs::create_directories(dir_ / "out");
        ASSERT_TRUE(pipelines::demo::write_sine_wav(dir_ / "tone.wav", 440.0, 1000, 16000).ok());
    }
    std::string p(const std::string& name) const { return (dir_ / name).string(); }
    bool out_empty() const { return fs::is_empty(dir_ / "out"); }
    TempDir dir_;
};

TEST_F(CliTranscribe, ModelThatIsNotWhisperIsRefusedBeforeAnyWork) {
    CliRun r = run_cli({"transcribe", p("tone.wav"), "--model", p("llama"), "--srt", "--out", p("out"), "--json"});
    EXPECT_EQ(r.code, 2) << r.out << r.err;
    EXPECT_EQ(r.j()["error"]["name"], "model_unsupported");
    EXPECT_NE(r.j()["error"]["detail"].get<std::string>().find("not a Whisper model"), std::string::npos);
    write_file(dir_ / "m.gguf", std::string("GGUF\x03\0\0\0", 8) + std::string(32, '\0'));
    r = run_cli({"transcribe", p("tone.wav"), "--model", p("m.gguf")});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("GGUF"), std::string::npos) << r.err;
    EXPECT_TRUE(out_empty());
}

TEST_F(CliTranscribe, InputsWithoutSoundOrDamagedFailWithTheirName) {
    ASSERT_TRUE(pipelines::demo::make_test_video(dir_ / "silent.mp4", 1000, 160, 120, false).ok());
    CliRun r = run_cli({"transcribe", p("silent.mp4"), "--model", p("whisper"), "--txt", "--out", p("out"), "--json", "--quiet"});
    EXPECT_EQ(r.code, 2) << r.out << r.err;
    EXPECT_EQ(r.j()["error"]["name"], "media_no_stream");
    EXPECT_NE(r.j()["error"]["detail"].get<std::string>().find("silent.mp4"), std::string::npos);
    write_file(dir_ / "bad.mp3", std::string(3000, '\x11'));
    r = run_cli({"transcribe", p("bad.mp3"), "--model", p("whisper"), "--quiet"});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("bad.mp3"), std::string::npos) << r.err;
    r = run_cli({"transcribe", p("missing.wav"), "--model", p("whisper"), "--quiet"});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("no such file"), std::string::npos) << r.err;
    EXPECT_TRUE(out_empty());
}

TEST_F(CliTranscribe, BadOptionsAreUsageErrors) {
    for (const auto& extra : std::vector<std::vector<std::string>>{
             {"--beam", "0"}, {"--beam", "x"}, {"--task", "summarise"}, {"--language", "English"}, {}}) {
        std::vector<std::string> args = {"transcribe", p("tone.wav"), "--json"};
        if (!extra.empty()) args.push_back("--model"), args.push_back(p("whisper"));
        args.insert(args.end(), extra.begin(), extra.end());
        CliRun r = run_cli(args);
        EXPECT_EQ(r.code, 1) << r.out;
        EXPECT_EQ(r.j()["error"]["name"], "invalid_argument");
    }
    CliRun h = run_cli({"transcribe", "--help"});
    EXPECT_EQ(h.code, 0);
    EXPECT_NE(h.out.find("--word-timestamps"), std::string::npos);
    EXPECT_NE(h.out.find("--microphone"), std::string::npos);
    // --microphone: no files with it, none without; --seconds a positive whole number; --device
    // and --seconds only with it.
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"--microphone", p("tone.wav")},
             {},
             {"--microphone", "--seconds", "0"},
             {"--microphone", "--seconds", "ten"},
             {"--microphone", "--seconds", "99999"},
             {p("tone.wav"), "--seconds", "5"},
             {p("tone.wav"), "--device", "hw:0"}}) {
        std::vector<std::string> a = {"transcribe", "--model", p("whisper"), "--out", p("out"), "--txt", "--json"};
        a.insert(a.end(), args.begin(), args.end());
        CliRun r = run_cli(a);
        EXPECT_EQ(r.code, 1) << testing::PrintToString(args) << r.out << r.err;
        EXPECT_EQ(r.j()["error"]["name"], "invalid_argument") << testing::PrintToString(args);
    }
    EXPECT_TRUE(out_empty());
    // A missing project is refused as such.
    CliRun pr = run_cli({"transcribe", p("tone.wav"), "--model", p("whisper"), "--project", p("none.atelier"), "--json"});
    EXPECT_NE(pr.code, 0);
    EXPECT_TRUE(pr.j().contains("error"));
}

}  // namespace
}  // namespace atelier::test
