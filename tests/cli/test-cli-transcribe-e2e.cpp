// `atelier-cli transcribe` with the real Whisper base model (model cache) on the flite speech
// fixtures (ctest fixture whisper_speech): into a project and into SRT/WebVTT/JSON files, checked
// with ffprobe, sqlite3 and a JSON parser; without --json the segments stream to stdout as
// "[start --> end] text" lines. --microphone on the ALSA file device (ENVIRONMENT.md) fed the
// clip's first 18 s (4 sentences) at 48 kHz: finals on stdout, partials on stderr, the take's
// text (WER <= 10 % against the known sentences), SRT checked by ffprobe, rows by sqlite3; and
// Ctrl+C ending a take, which is kept. Without the model: a failure under CI, a skip elsewhere.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "cli-run.h"
#include "../pipelines/transcribe-fixture.h"

namespace atelier::test {
namespace {

const fs::path kFixtures = fs::path(ATELIER_BINARY_DIR) / "e2e" / "whisper";


TEST(CliTranscribeE2e, FilesAndProjectFromTheRealModel) {
    ATELIER_REQUIRE_WHISPER_BASE();
    TempDir dir;
    const std::string project = (dir / "talk.atelier").string(), model = speech_test::whisper_base_dir().string();
    ASSERT_EQ(run_cli({"project", "new", project}).code, 0);
    fs::create_directories(dir / "out");
    CliRun r = run_cli({"transcribe", (kFixtures / "speech-long.mp4").string(), "--model", model, "--language", "en",
                        "--word-timestamps", "--srt", "--vtt", "--json", "--out", (dir / "out").string(), "--project",
                        project, "--threads", "2", "--quiet"});
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    const auto j = r.j();
    ASSERT_EQ(j["transcripts"].size(), 1u);
    const std::string t = j["transcripts"][0]["transcript_uuid"];
    EXPECT_EQ(j["transcripts"][0]["language"], "en");
    EXPECT_EQ(sqlite_value(project, "SELECT count(*) FROM transcripts WHERE uuid='" + t + "'"), "1");
    EXPECT_EQ(sqlite_value(project, "SELECT count(*) FROM transcript_segments"),
              std::to_string(j["transcripts"][0]["segments"].size()));
    EXPECT_NE(sqlite_value(project, "SELECT count(*) FROM transcript_words"), "0");
    EXPECT_EQ(sqlite_value(project, "SELECT kind || ',' || model FROM generations"), "transcribe,whisper-base");
    EXPECT_EQ(ffprobe_value(dir / "out" / "speech-long.srt", "stream=codec_name", "s:0"), "subrip");
    EXPECT_EQ(ffprobe_value(dir / "out" / "speech-long.vtt", "stream=codec_name", "s:0"), "webvtt");
    const std::string vtt = run_capture("ffmpeg -v error -nostdin -i " + shell_quote((dir / "out" / "speech-long.vtt").string()) + " -f srt -");
    EXPECT_NE(vtt.find("quiet lake"), std::string::npos) << vtt;
    const auto doc = nlohmann::json::parse(read_file(dir / "out" / "speech-long.json"), nullptr, false);
    ASSERT_FALSE(doc.is_discarded());
    EXPECT_EQ(doc["uuid"], t);
    EXPECT_EQ(doc["generation"]["model"], "whisper-base");
    ASSERT_FALSE(doc["segments"].empty());
    EXPECT_FALSE(doc["segments"][0]["words"].empty());
    // Again without --json and without a project: segments on stdout as they come; existing
    // files are refused without --force.
    CliRun plain = run_cli({"transcribe", (kFixtures / "speech-long.wav").string(), "--model", model, "--language", "en",
                            "--srt", "--out", (dir / "out").string(), "--threads", "2", "--quiet"});
    EXPECT_EQ(plain.code, 2) << plain.err;
    EXPECT_NE(plain.out.find("] The morning train was late again"), std::string::npos) << plain.out;
    EXPECT_NE(plain.err.find("already exists"), std::string::npos) << plain.err;
}

// The ALSA file device "atelier_test" whose capture side reads mic.raw: the clip's first 18 s
// (sentences 1-4, the 5th starts at 18.6 s) as 48 kHz float, made by ffmpeg.
class CliMicrophoneE2e : public ::testing::Test {
protected:
    void SetUp() override {
        write_file(dir_ / "asoundrc", "pcm.atelier_test {\n  type file\n  slave { pcm \"null\" }\n  file \"" +
                                          (dir_ / "played.raw").string() + "\"\n  infile \"" + (dir_ / "mic.raw").string() +
                                          "\"\n  format \"raw\"\n}\n");
        setenv("ALSA_CONFIG_PATH", ("/usr/share/alsa/alsa.conf:" + (dir_ / "asoundrc").string()).c_str(), 1);
        int rc = -1;
        run_capture("ffmpeg -v error -nostdin -y -i " + shell_quote((kFixtures / "speech-long.wav").string()) +
                        " -t 18 -ar 48000 -ac 1 -f f32le " + shell_quote((dir_ / "mic.raw").string()),
                    &rc);
        ASSERT_EQ(rc, 0);
        fs::create_directories(dir_ / "out");
    }
    void TearDown() override { unsetenv("ALSA_CONFIG_PATH"); }
    // The words of the sentences the feed holds.
    static std::vector<std::string> truth_words() {
        std::ifstream in(kFixtures / "speech-long.json");
        const auto truth = nlohmann::json::parse(in);
        std::vector<std::string> ref;
        for (size_t i = 0; i < 4; ++i)
            for (const auto& w : truth["sentences"][i]["words"])
                ref.push_back(speech_test::normalise_words(w["text"].get<std::string>()).at(0));
        return ref;
    }
    // The one file of `ext` the take wrote into out/ (microphone-<date>-<time>.<ext>).
    fs::path written(const std::string& ext) const {
        fs::path found;
        for (const auto& e : fs::directory_iterator(dir_ / "out"))
            if (e.path().extension() == "." + ext) {
                EXPECT_TRUE(found.empty()) << "two ." << ext << " files";
                found = e.path();
            }
        EXPECT_EQ(found.filename().string().rfind("microphone-", 0), 0u) << found;
        return found;
    }
    TempDir dir_;
};

TEST_F(CliMicrophoneE2e, TakeIsCaptionedWrittenAndStored) {
    ATELIER_REQUIRE_WHISPER_BASE();
    const std::string project = (dir_ / "talk.atelier").string();
    ASSERT_EQ(run_cli({"project", "new", project}).code, 0);
    CliRun r = run_cli({"transcribe", "--microphone", "--device", "atelier_test", "--seconds", "18", "--model",
                        speech_test::whisper_base_dir().string(), "--language", "en", "--srt", "--txt", "--out",
                        (dir_ / "out").string(), "--project", project, "--threads", "2"});
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("] The morning train was late again"), std::string::npos) << r.out;  // a final, as it came
    EXPECT_NE(r.err.find("\n... "), std::string::npos) << r.err;                                // partial captions
    const std::string txt = read_file(written("txt"));
    size_t errors = 0;
    const auto ref = truth_words();
    speech_test::align_words(ref, speech_test::normalise_words(txt), &errors);
    EXPECT_LE(static_cast<double>(errors) / static_cast<double>(ref.size()), 0.10) << txt;
    EXPECT_EQ(ffprobe_value(written("srt"), "stream=codec_name", "s:0"), "subrip");
    const std::string n_segments = sqlite_value(project, "SELECT count(*) FROM transcript_segments");
    EXPECT_NE(n_segments, "0");
    EXPECT_EQ(sqlite_value(project, "SELECT count(*) FROM transcripts"), "1");
    EXPECT_EQ(sqlite_value(project, "SELECT kind || ',' || model FROM generations"), "transcribe,whisper-base");
    size_t srt_cues = 0;
    const std::string srt = read_file(written("srt"));
    for (size_t at = srt.find(" --> "); at != std::string::npos; at = srt.find(" --> ", at + 1)) ++srt_cues;
    EXPECT_EQ(std::to_string(srt_cues), n_segments);
}

// Ctrl+C once a final segment is out ends the take; it is kept and written (exit 0).
TEST_F(CliMicrophoneE2e, CtrlCEndsTheTakeAndKeepsIt) {
    ATELIER_REQUIRE_WHISPER_BASE();
    const fs::path out = dir_ / "stdout.txt", err = dir_ / "stderr.txt";
    const std::string cmd = "( " + shell_quote(ATELIER_CLI_PATH) + " transcribe --microphone --device atelier_test --seconds 600"
                            " --model " + shell_quote(speech_test::whisper_base_dir().string()) +
                            " --language en --txt --threads 2 --out " + shell_quote((dir_ / "out").string()) +
                            " </dev/null >" + shell_quote(out.string()) + " 2>" + shell_quote(err.string()) +
                            " & pid=$!; i=0; while [ ! -s " + shell_quote(out.string()) +
                            " ] && [ $i -lt 2400 ]; do sleep 0.05; i=$((i+1)); done; kill -INT $pid; wait $pid; echo $? )";
    const int code = std::atoi(trim(run_capture(cmd)).c_str());
    EXPECT_EQ(code, 0) << read_file(err);
    EXPECT_NE(read_file(out).find("] The morning train was late again"), std::string::npos) << read_file(out);
    EXPECT_NE(read_file(written("txt")).find("morning train"), std::string::npos);
}

}  // namespace
}  // namespace atelier::test
