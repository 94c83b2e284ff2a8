// `atelier-cli transcribe` with the real Whisper base model (model cache) on the flite speech
// fixtures (ctest fixture whisper_speech): into a project and into SRT/WebVTT/JSON files, checked
// with ffprobe, sqlite3 and a JSON parser; without --json the segments stream to stdout as
// "[start --> end] text" lines. Without the model: a failure under CI, a skip elsewhere.
#include <gtest/gtest.h>

#include <cstdlib>

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

}  // namespace
}  // namespace atelier::test
