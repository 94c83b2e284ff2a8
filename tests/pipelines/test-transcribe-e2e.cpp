// The transcribe job with the real Whisper base model (model cache; scripts/fetch-models) on the
// flite speech fixtures (tools/whisper/make-speech-fixtures.py, ctest fixture whisper_speech):
// the MP4 with a video track is transcribed into the project; the stored text is checked against
// the sentences the fixture was made from (WER <= 10 % after normalising), the stored segment
// edges against the known sentence edges (0.3 s), the words against the known word starts, the
// SRT export as FFmpeg parses it, and the provenance; silence stores a transcript with no text;
// the fixture's audio-less video and corrupt files fail clearly. Without the model the tests fail
// under CI and are skipped elsewhere, saying why.
#include <gtest/gtest.h>

#include <cstdlib>
#include <sstream>

#include <nlohmann/json.hpp>

#include "pipelines/transcribe-live.h"
#include "pipelines/transcribe.h"
#include "pipelines/transcript-export.h"
#include "studio-fixture.h"
#include "transcribe-fixture.h"

namespace atelier::test {
namespace {
namespace pl = pipelines;
using nlohmann::json;

const fs::path kFixtures = fs::path(ATELIER_BINARY_DIR) / "e2e" / "whisper";


class TranscribeE2e : public StudioTest {
protected:
    struct Run {
        JobInfo info;
        int segment_partials = 0;
        std::shared_ptr<pl::TranscribeReport> report = std::make_shared<pl::TranscribeReport>();
    };
    Run transcribe(const fs::path& file, bool words) {
        pl::TranscribeSettings s;
        s.model = speech_test::whisper_base_dir();
        s.language = "en";
        s.word_timestamps = words;
        s.threads = 2;
        Run run;
        pl::StudioEvents ev;
        ev.on_job_state = [&](const JobInfo& i) {
            if (job_state_is_final(i.state)) run.info = i;
        };
        ev.on_job_partial = [&](JobId, const JobPartial& p) { run.segment_partials += p.kind == "segment"; };
        studio().set_events(ev);
        const JobId id = pl::submit_transcribe(studio(), file, s, {}, run.report);
        EXPECT_TRUE(studio().wait(id, std::chrono::minutes(10)));
        studio().drain();
        studio().set_events({});
        return run;
    }
    json truth() {
        std::ifstream in(kFixtures / "speech-long.json");
        std::stringstream ss;
        ss << in.rdbuf();
        return json::parse(ss.str());
    }
};

TEST_F(TranscribeE2e, VideoWithSpeechIsTranscribedStoredAndExported) {
    ATELIER_REQUIRE_WHISPER_BASE();
    Run run = transcribe(kFixtures / "speech-long.mp4", true);
    ASSERT_EQ(run.info.state, JobState::Done) << run.info.error.message();
    const std::string t = run.report->transcript_uuid;
    const json truth_doc = truth();
    // Text: WER against the sentences the clip was made of, from the rows in the file.
    const std::string stored = sql("SELECT group_concat(text, ' ') FROM (SELECT text FROM transcript_segments "
                                   "WHERE transcript_uuid='" + t + "' ORDER BY seq)");
    std::string ref;
    for (const auto& s : truth_doc["sentences"]) ref += s["text"].get<std::string>() + " ";
    size_t errors = 0;
    const auto rw = speech_test::normalise_words(ref), hw = speech_test::normalise_words(stored);
    (void)speech_test::align_words(rw, hw, &errors);
    EXPECT_LE(double(errors) / double(rw.size()), 0.10) << stored;
    const int n_segments = std::stoi(sql("SELECT count(*) FROM transcript_segments"));
    EXPECT_EQ(run.segment_partials, n_segments) << "every segment streamed as a partial";
    // Each sentence's start lies within 0.3 s of a stored segment's start.
    for (const auto& s : truth_doc["sentences"]) {
        const int64_t start = s["start_ms"].get<int64_t>();
        EXPECT_EQ(sql("SELECT count(*) FROM transcript_segments WHERE abs(start_ms - " + std::to_string(start) + ") <= 300"), "1")
            << s["text"];
    }
    // Words: stored with times; >= 90 % of matched words start within 0.3 s of the truth.
    std::vector<int64_t> ref_starts, hyp_starts;
    for (const auto& s : truth_doc["sentences"])
        for (const auto& w : s["words"]) ref_starts.push_back(w["start_ms"].get<int64_t>());
    std::vector<std::string> stored_words;  // each stored word normalised (a word may give 0..n)
    const std::string rows = sql("SELECT group_concat(w.start_ms || char(9) || w.text, char(10)) FROM (SELECT w.start_ms, "
                                 "w.text FROM transcript_words w JOIN transcript_segments s ON s.uuid = w.segment_uuid "
                                 "ORDER BY s.seq, w.seq) w");
    std::istringstream is(rows);
    for (std::string line; std::getline(is, line);) {
        const size_t tab = line.find('\t');
        if (tab == std::string::npos) continue;
        for (auto& n : speech_test::normalise_words(line.substr(tab + 1))) {
            stored_words.push_back(n);
            hyp_starts.push_back(std::stoll(line.substr(0, tab)));
        }
    }
    const auto word_pairs = speech_test::align_words(rw, stored_words, nullptr);
    ASSERT_GE(word_pairs.size(), size_t(0.9 * double(rw.size()))) << "the stored words spell the text";
    size_t close = 0;
    for (const auto& [r, h] : word_pairs) close += std::llabs(ref_starts[r] - hyp_starts[h]) <= 300;
    EXPECT_GE(double(close), 0.9 * double(word_pairs.size()));
    // Provenance.
    EXPECT_EQ(sql("SELECT model FROM generations"), "whisper-base");
    EXPECT_EQ(sql("SELECT json_extract(params_json, '$.word_timestamps') FROM generations"), "1");
    EXPECT_GT(std::stod(sql("SELECT json_extract(timings_json, '$.realtime_factor') FROM generations")), 0.0);
    // SRT as FFmpeg reads it.
    ASSERT_TRUE(pl::export_transcript(studio().project(), t, dir_ / "talk.srt").ok());
    const std::string srt = run_capture("ffmpeg -v error -nostdin -i " + shell_quote((dir_ / "talk.srt").string()) + " -f srt -");
    EXPECT_NE(srt.find("blue folder"), std::string::npos) << srt;
    EXPECT_EQ(ffprobe_value(dir_ / "talk.srt", "stream=codec_name", "s:0"), "subrip");
}

TEST_F(TranscribeE2e, SilenceGivesNoTextAndBadFilesFailClearly) {
    ATELIER_REQUIRE_WHISPER_BASE();
    Run quiet = transcribe(kFixtures / "silence-zeros-10s.wav", false);
    ASSERT_EQ(quiet.info.state, JobState::Done) << quiet.info.error.message();
    EXPECT_EQ(sql("SELECT count(*) FROM transcript_segments WHERE trim(text) != ''"), "0");
    Run mute = transcribe(kFixtures / "video-no-audio.mp4", false);
    EXPECT_EQ(mute.info.error.code, ErrorCode::MediaNoStream);
    EXPECT_NE(mute.info.error.detail.find("video-no-audio.mp4"), std::string::npos);
    for (const char* bad : {"corrupt-garbage.wav", "corrupt-truncated.mp4"}) {
        Run r = transcribe(kFixtures / bad, false);
        if (r.info.state == JobState::Done) continue;  // a truncated MP4 may still hold readable sound
        EXPECT_EQ(r.info.state, JobState::Failed);
        EXPECT_NE(r.info.error.detail.find(bad), std::string::npos) << r.info.error.message();
    }
}

// The microphone path with the real LiveTranscriber: the clip's first four sentences are fed
// through the ALSA file device (ENVIRONMENT.md) at 16 kHz; captions stream, and the take stored at
// the end reads as those sentences (WER <= 10 %).
TEST_F(TranscribeE2e, MicrophoneCaptionsFromTheRealModel) {
    ATELIER_REQUIRE_WHISPER_BASE();
    const json truth_doc = truth();
    const auto& sentences = truth_doc["sentences"];
    ASSERT_GE(sentences.size(), 5u);
    const int64_t kTakeMs = (sentences[3]["end_ms"].get<int64_t>() + sentences[4]["start_ms"].get<int64_t>()) / 2;
    std::vector<float> pcm = speech_test::read_wav16((kFixtures / "speech-long.wav").string());
    ASSERT_GT(pcm.size(), 16000u * 30);
    pcm.resize(size_t(kTakeMs * 16));
    const fs::path raw = dir_ / "mic.raw";
    write_file(raw, std::string(reinterpret_cast<const char*>(pcm.data()), pcm.size() * sizeof(float)));
    write_file(dir_ / "asoundrc", "pcm.atelier_test {\n  type file\n  slave { pcm \"null\" }\n  file \"" +
                                      (dir_ / "out.raw").string() + "\"\n  infile \"" + raw.string() +
                                      "\"\n  format \"raw\"\n}\n");
    setenv("ALSA_CONFIG_PATH", ("/usr/share/alsa/alsa.conf:" + (dir_ / "asoundrc").string()).c_str(), 1);
    pl::MicrophoneOptions mic;
    mic.device = "atelier_test";
    mic.sample_rate_hz = 16000;
    mic.max_duration_ms = int64_t(pcm.size()) * 1000 / 16000;
    mic.ring_frames = 1 << 20;  // the file device is not paced: the ring holds the whole take
    mic.step_ms = 2000;
    pl::TranscribeSettings s;
    s.model = speech_test::whisper_base_dir();
    s.language = "en";
    s.threads = 2;
    int captions = 0;
    JobInfo final_info;
    pl::StudioEvents ev;
    ev.on_job_partial = [&](JobId, const JobPartial& p) { captions += p.kind == "caption"; };
    ev.on_job_state = [&](const JobInfo& i) {
        if (job_state_is_final(i.state)) final_info = i;
    };
    studio().set_events(ev);
    auto report = std::make_shared<pl::TranscribeReport>();
    const JobId id = pl::submit_transcribe_microphone(studio(), mic, s, {}, report);
    ASSERT_TRUE(studio().wait(id, std::chrono::minutes(10)));
    studio().drain();
    studio().set_events({});
    ASSERT_EQ(final_info.state, JobState::Done) << final_info.error.message();
    EXPECT_GE(captions, 1);
    const std::string stored = sql("SELECT group_concat(text, ' ') FROM (SELECT text FROM transcript_segments ORDER BY seq)");
    std::string ref;
    for (const auto& t : sentences)
        if (t["end_ms"].get<int64_t>() < kTakeMs) ref += t["text"].get<std::string>() + " ";
    ASSERT_FALSE(ref.empty());
    EXPECT_NEAR(double(report->audio_ms), double(kTakeMs), 100.0);
    size_t errors = 0;
    const auto rw = speech_test::normalise_words(ref);
    (void)speech_test::align_words(rw, speech_test::normalise_words(stored), &errors);
    EXPECT_LE(double(errors) / double(rw.size()), 0.10) << stored;
    EXPECT_EQ(sql("SELECT json_extract(params_json, '$.source') FROM generations"), "microphone");
}

}  // namespace
}  // namespace atelier::test
