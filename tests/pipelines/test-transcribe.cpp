// The transcribe job (issue 6 §4, §5) with a stand-in recogniser that reads tone bursts
// (fake-recogniser.h): the stored segments must sit where the test audio (a WAV written here, an
// MP4 with a video track made by the ffmpeg program) has its bursts, at their frequencies, so the
// decode/resample path and the storage are checked against facts known from how the audio was
// made. Segments stream as partials before the job ends; cancel stores nothing; bad inputs fail
// with clear errors; undo/redo of the result; the transcript on the timeline's subtitle track;
// exports parsed back by ffmpeg (SRT, WebVTT) and nlohmann (JSON).
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>

#include <nlohmann/json.hpp>

#include "fake-recogniser.h"
#include "pipelines/timeline.h"
#include "pipelines/transcribe-edit.h"
#include "pipelines/transcribe.h"
#include "pipelines/transcript-export.h"
#include "projects/transcript-store.h"
#include "studio-fixture.h"
#include "transcribe-fixture.h"

namespace atelier::test {
namespace {
namespace pl = pipelines;
using nlohmann::json;

class TranscribeTest : public StudioTest {
protected:
    struct Run {
        JobInfo info;
        std::vector<json> segments;       // "segment" partials, in arrival order
        bool partial_before_final = false;
        std::shared_ptr<pl::TranscribeReport> report = std::make_shared<pl::TranscribeReport>();
    };

    Run transcribe(const fs::path& file, pl::TranscribeSettings s, pl::RecogniserLoader loader,
                   bool cancel_on_first_segment = false) {
        Run run;
        std::mutex m;
        std::atomic<bool> cancel{false}, final_seen{false};
        pl::StudioEvents ev;
        ev.on_job_state = [&](const JobInfo& i) {
            if (job_state_is_final(i.state)) run.info = i, final_seen = true;
        };
        ev.on_job_partial = [&](JobId, const JobPartial& p) {
            if (p.kind != "segment") return;
            std::lock_guard lock(m);
            run.segments.push_back(json::parse(p.payload));
            if (!final_seen) run.partial_before_final = true;
            if (cancel_on_first_segment) cancel = true;
        };
        studio().set_events(ev);
        const JobId id = pl::submit_transcribe(studio(), file, std::move(s), std::move(loader), run.report);
        while (!studio().wait(id, std::chrono::milliseconds(5)))
            if (cancel.exchange(false)) studio().cancel(id);
        studio().drain();
        studio().set_events({});
        return run;
    }

    pl::TranscribeSettings settings(bool words = true) {
        pl::TranscribeSettings s;
        s.model = "fake";
        s.word_timestamps = words;
        return s;
    }

    // The stored segments match the bursts: times within 60 ms (20 ms analysis frames, AAC
    // priming), text from the frequency.
    void expect_bursts(const std::string& transcript_uuid) {
        const std::string q = "SELECT count(*) FROM transcript_segments WHERE transcript_uuid='" + transcript_uuid + "'";
        ASSERT_EQ(sql(q), std::to_string(kBursts.size()));
        for (size_t i = 0; i < kBursts.size(); ++i) {
            const std::string where = " FROM transcript_segments WHERE transcript_uuid='" + transcript_uuid + "' AND seq=" + std::to_string(i);
            EXPECT_NEAR(std::stoll(sql("SELECT start_ms" + where)), kBursts[i].start_ms, 60) << "segment " << i;
            EXPECT_NEAR(std::stoll(sql("SELECT end_ms" + where)), kBursts[i].end_ms, 60) << "segment " << i;
            EXPECT_EQ(sql("SELECT text" + where), " tone " + std::to_string(int(kBursts[i].hz)));
        }
    }
};

TEST_F(TranscribeTest, WavSegmentsStreamAndAreStoredWithProvenance) {
    const fs::path wav = inputs() / "bursts.wav";
    write_burst_wav(wav, 44100, 2);  // resampled and mixed down by the job
    Run run = transcribe(wav, settings(), fake_loader());
    ASSERT_EQ(run.info.state, JobState::Done) << run.info.error.message();
    ASSERT_EQ(run.segments.size(), kBursts.size());
    EXPECT_TRUE(run.partial_before_final);
    EXPECT_EQ(run.segments[1]["text"], " tone 880");
    ASSERT_EQ(run.segments[0]["words"].size(), 2u);
    const std::string t = run.report->transcript_uuid;
    ASSERT_FALSE(t.empty());
    expect_bursts(t);
    EXPECT_EQ(sql("SELECT count(*) FROM transcript_words w JOIN transcript_segments s ON s.uuid = w.segment_uuid "
                  "WHERE s.transcript_uuid='" + t + "'"), "6");
    EXPECT_EQ(sql("SELECT language || ',' || title FROM transcripts"), "en,bursts.wav");
    // Provenance: the generations row names the model, the parameters, the job and the timings.
    EXPECT_EQ(sql("SELECT g.kind || ',' || g.model || ',' || g.status FROM transcripts t JOIN generations g ON "
                  "g.uuid = t.generation_uuid"), "transcribe,fake-tones,done");
    EXPECT_EQ(sql("SELECT json_extract(params_json, '$.beam_size') || json_extract(params_json, '$.task') FROM generations"),
              "5transcribe");
    EXPECT_EQ(sql("SELECT job_uuid FROM generations"), run.info.spec.uuid);
    EXPECT_EQ(sql("SELECT json_extract(timings_json, '$.audio_ms') FROM generations"), "6000");
    EXPECT_EQ(sql("SELECT state FROM jobs WHERE uuid='" + run.info.spec.uuid + "'"), "done");
}

TEST_F(TranscribeTest, VideoWithCompressedSoundIsLinkedToItsAsset) {
    const fs::path wav = inputs() / "bursts.wav", mp4 = inputs() / "clip.mp4";
    write_burst_wav(wav, 48000, 1);
    int code = -1;
    run_capture("ffmpeg -v error -nostdin -y -f lavfi -i testsrc2=size=160x120:rate=15 -i " + shell_quote(wav.string()) +
                    " -shortest -c:v libx264 -preset ultrafast -c:a aac -b:a 96k " + shell_quote(mp4.string()),
                &code);
    ASSERT_EQ(code, 0) << "the tests need the ffmpeg program";
    auto imported = import({mp4});
    ASSERT_EQ(imported.report.added.size(), 1u);
    Run run = transcribe(mp4, settings(false), fake_loader());
    ASSERT_EQ(run.info.state, JobState::Done) << run.info.error.message();
    expect_bursts(run.report->transcript_uuid);
    EXPECT_EQ(sql("SELECT asset_uuid FROM transcripts"), imported.report.added[0].asset.uuid);
    EXPECT_EQ(sql("SELECT count(*) FROM transcript_words"), "0") << "no word timestamps were asked for";
}

TEST_F(TranscribeTest, BadInputsFailClearlyAndStoreNothing) {
    const fs::path novideo = inputs() / "noaudio.mp4";
    ASSERT_TRUE(pl::demo::make_test_video(novideo, 1000, 160, 120, false).ok());
    Run a = transcribe(novideo, settings(), fake_loader());
    ASSERT_EQ(a.info.state, JobState::Failed);
    EXPECT_EQ(a.info.error.code, ErrorCode::MediaNoStream);
    EXPECT_NE(a.info.error.detail.find("noaudio.mp4"), std::string::npos) << a.info.error.message();
    EXPECT_NE(a.info.error.hint.find("no sound"), std::string::npos) << a.info.error.message();

    const fs::path corrupt = inputs() / "broken.mp3";
    write_file(corrupt, std::string(4096, '\x5a'));
    Run b = transcribe(corrupt, settings(), fake_loader());
    ASSERT_EQ(b.info.state, JobState::Failed);
    EXPECT_NE(b.info.error.detail.find("broken.mp3"), std::string::npos) << b.info.error.message();
    EXPECT_FALSE(b.info.error.hint.empty());

    // A model that is not Whisper, through the real loader: a config.json of another family,
    // and a GGUF file.
    const fs::path wav = inputs() / "bursts.wav";
    write_burst_wav(wav, 16000, 1);
    fs::create_directories(dir_ / "llama");
    write_file(dir_ / "llama" / "config.json", R"({"model_type": "llama", "hidden_size": 64})");
    pl::TranscribeSettings s = settings();
    s.model = dir_ / "llama";
    Run c = transcribe(wav, s, {});
    ASSERT_EQ(c.info.state, JobState::Failed);
    EXPECT_EQ(c.info.error.code, ErrorCode::ModelUnsupported);
    EXPECT_NE(c.info.error.detail.find("not a Whisper model (a llama model)"), std::string::npos) << c.info.error.message();
    write_file(dir_ / "m.gguf", std::string("GGUF\x03\0\0\0", 8) + std::string(64, '\0'));
    EXPECT_EQ(pl::check_whisper_model(dir_ / "m.gguf").error().code, ErrorCode::ModelUnsupported);
    EXPECT_EQ(pl::check_whisper_model(dir_ / "none").error().code, ErrorCode::NotFound);
    // whisper.cpp's header: magic, n_vocab 51865, n_audio_ctx 1500.
    std::string ggml("lmgg", 4);
    for (int32_t v : {51865, 1500}) ggml += std::string(reinterpret_cast<const char*>(&v), 4);
    write_file(dir_ / "ggml-base.bin", ggml);
    EXPECT_TRUE(pl::check_whisper_model(dir_ / "ggml-base.bin").ok());
    fs::create_directories(dir_ / "whisper");
    write_file(dir_ / "whisper" / "config.json", R"({"model_type": "whisper"})");
    EXPECT_TRUE(pl::check_whisper_model(dir_ / "whisper").ok());

    EXPECT_EQ(sql("SELECT count(*) FROM transcripts"), "0");
    EXPECT_EQ(sql("SELECT count(*) FROM generations"), "0");
    EXPECT_EQ(sql("SELECT count(*) FROM jobs WHERE state='failed'"), "3");
}

TEST_F(TranscribeTest, CancelStoresNothing) {
    const fs::path wav = inputs() / "bursts.wav";
    write_burst_wav(wav, 16000, 1);
    Run run = transcribe(wav, settings(), fake_loader({.segment_delay_ms = 300}), true);
    EXPECT_EQ(run.info.state, JobState::Cancelled);
    EXPECT_GE(run.segments.size(), 1u);
    EXPECT_LT(run.segments.size(), kBursts.size());
    EXPECT_EQ(sql("SELECT count(*) FROM transcripts"), "0");
    EXPECT_EQ(sql("SELECT count(*) FROM generations"), "0");
}

TEST_F(TranscribeTest, CancelledJobIsRerunFromItsStoredParameters) {
    const fs::path wav = inputs() / "bursts.wav";
    write_burst_wav(wav, 16000, 1);
    pl::TranscribeSettings s = settings();
    s.language = "de";
    Run first = transcribe(wav, s, fake_loader({.segment_delay_ms = 300}), true);
    ASSERT_EQ(first.info.state, JobState::Cancelled);
    pl::set_transcribe_rerun(studio(), fake_loader());
    auto id = studio().rerun_job(first.info.spec.uuid);
    ASSERT_TRUE(id.ok()) << id.error().message();
    ASSERT_TRUE(studio().wait(*id, std::chrono::seconds(60)));
    studio().drain();
    EXPECT_EQ(sql("SELECT count(*) FROM jobs WHERE kind='transcribe' AND state='done'"), "1");
    EXPECT_EQ(sql("SELECT language FROM transcripts"), "de") << "the settings came from the stored parameters";
    EXPECT_EQ(sql("SELECT count(*) FROM transcript_segments"), std::to_string(kBursts.size()));
}

TEST_F(TranscribeTest, SettingsRoundTripAndAreChecked) {
    pl::TranscribeSettings s;
    s.model = "/m/whisper-base";
    s.language = "fr";
    s.task = pl::TranscribeTask::Translate;
    s.beam_size = 1;
    s.word_timestamps = true;
    s.initial_prompt = "Glossary: Atelier.";
    auto back = pl::transcribe_settings_from_json(pl::transcribe_settings_json(s));
    ASSERT_TRUE(back.ok()) << back.error().message();
    EXPECT_EQ(back->model, s.model);
    EXPECT_EQ(back->language, "fr");
    EXPECT_EQ(back->task, pl::TranscribeTask::Translate);
    EXPECT_EQ(back->beam_size, 1);
    EXPECT_TRUE(back->word_timestamps);
    EXPECT_EQ(back->initial_prompt, s.initial_prompt);
    EXPECT_FALSE(pl::transcribe_settings_from_json(R"({"task":"summarise"})").ok());
    EXPECT_FALSE(pl::transcribe_settings_from_json(R"({"beam_size":0})").ok());
    EXPECT_FALSE(pl::transcribe_settings_from_json(R"({"language":"English"})").ok());
    EXPECT_FALSE(pl::transcribe_settings_from_json("[").ok());
}

TEST_F(TranscribeTest, UndoRedoOfTheResultAndOfEdits) {
    const fs::path wav = inputs() / "bursts.wav";
    write_burst_wav(wav, 16000, 1);
    Run run = transcribe(wav, settings(), fake_loader());
    ASSERT_EQ(run.info.state, JobState::Done);
    ASSERT_TRUE(pl::register_transcript(studio(), *run.report).ok());
    auto& undo = studio().undo();
    EXPECT_EQ(undo.undo_label(), "Transcribe bursts.wav");
    const std::string t = run.report->transcript_uuid;
    const std::string seg = run.report->doc.segments[0].uuid;
    // A word edit (segment text follows), then a segment edit; undo each exactly.
    ASSERT_TRUE(undo.push(std::make_unique<pl::EditWordTextCommand>(seg, 1, " 440", " four-forty", " tone 440")).ok());
    EXPECT_EQ(sql("SELECT text FROM transcript_segments WHERE uuid='" + seg + "'"), "tone four-forty");
    ASSERT_TRUE(undo.push(std::make_unique<pl::EditSegmentTextCommand>(seg, "tone four-forty", "A tone.")).ok());
    EXPECT_EQ(sql("SELECT text FROM transcript_segments WHERE uuid='" + seg + "'"), "A tone.");
    ASSERT_TRUE(undo.undo().ok());
    EXPECT_EQ(sql("SELECT text FROM transcript_segments WHERE uuid='" + seg + "'"), "tone four-forty");
    ASSERT_TRUE(undo.undo().ok());
    EXPECT_EQ(sql("SELECT text FROM transcript_segments WHERE uuid='" + seg + "'"), " tone 440");
    EXPECT_EQ(sql("SELECT text FROM transcript_words WHERE segment_uuid='" + seg + "' AND seq=1"), " 440");
    ASSERT_TRUE(undo.redo().ok());
    EXPECT_EQ(sql("SELECT text FROM transcript_words WHERE segment_uuid='" + seg + "' AND seq=1"), " four-forty");
    ASSERT_TRUE(undo.undo().ok());
    // Undo of the transcription removes it; redo brings back the same rows.
    ASSERT_TRUE(undo.undo().ok());
    EXPECT_EQ(sql("SELECT count(*) FROM transcripts"), "0");
    EXPECT_EQ(sql("SELECT count(*) FROM transcript_words"), "0");
    ASSERT_TRUE(undo.redo().ok());
    EXPECT_EQ(sql("SELECT uuid FROM transcripts"), t);
    EXPECT_EQ(sql("SELECT uuid FROM transcript_segments WHERE seq=0"), seg);
    EXPECT_EQ(sql("SELECT count(*) FROM transcript_words"), "6");
    // Removal is undoable too.
    ASSERT_TRUE(undo.push(std::make_unique<pl::RemoveTranscriptCommand>(t)).ok());
    EXPECT_EQ(sql("SELECT count(*) FROM transcripts"), "0");
    ASSERT_TRUE(undo.undo().ok());
    EXPECT_EQ(sql("SELECT count(*) FROM transcript_segments WHERE transcript_uuid='" + t + "'"), "3");
}

TEST_F(TranscribeTest, TranscriptBecomesTheTimelineSubtitleTrack) {
    const fs::path wav = inputs() / "bursts.wav";
    write_burst_wav(wav, 16000, 1);
    Run run = transcribe(wav, settings(), fake_loader());
    ASSERT_EQ(run.info.state, JobState::Done);
    auto cmd = pl::transcript_to_subtitles_command(studio().project(), run.report->transcript_uuid);
    ASSERT_TRUE(cmd.ok()) << cmd.error().message();
    ASSERT_TRUE(studio().undo().push(std::move(*cmd)).ok());
    auto tl = pl::snapshot_timeline(studio().project(), "");
    ASSERT_TRUE(tl.ok()) << tl.error().message();
    ASSERT_EQ(tl->subtitles.size(), kBursts.size());
    for (size_t i = 0; i < kBursts.size(); ++i) {
        EXPECT_NEAR(tl->subtitles[i].start_ms, kBursts[i].start_ms, 60);
        EXPECT_NEAR(tl->subtitles[i].end_ms, kBursts[i].end_ms, 60);
        EXPECT_EQ(tl->subtitles[i].text, "tone " + std::to_string(int(kBursts[i].hz)));
    }
    EXPECT_EQ(sql("SELECT count(*) FROM clips c JOIN tracks t ON t.uuid = c.track_uuid WHERE t.kind='subtitle'"), "3");
    ASSERT_TRUE(studio().undo().undo().ok());
    EXPECT_EQ(sql("SELECT count(*) FROM clips"), "0");
}

TEST_F(TranscribeTest, ExportsParseBack) {
    const fs::path wav = inputs() / "bursts.wav";
    write_burst_wav(wav, 16000, 1);
    Run run = transcribe(wav, settings(), fake_loader());
    ASSERT_EQ(run.info.state, JobState::Done);
    const std::string t = run.report->transcript_uuid;
    auto& p = studio().project();
    for (const char* ext : {"srt", "vtt", "txt", "json"})
        ASSERT_TRUE(pl::export_transcript(p, t, dir_ / (std::string("out.") + ext)).ok()) << ext;
    // SRT and WebVTT: read by FFmpeg's demuxers; cue times and texts as stored.
    EXPECT_EQ(ffprobe_value(dir_ / "out.srt", "stream=codec_name", "s:0"), "subrip");
    EXPECT_EQ(ffprobe_value(dir_ / "out.vtt", "stream=codec_name", "s:0"), "webvtt");
    for (const char* f : {"out.srt", "out.vtt"}) {
        const std::string times = run_capture("ffprobe -v error -select_streams s:0 -show_entries packet=pts_time,duration_time "
                                              "-of csv=p=0 " + shell_quote((dir_ / f).string()));
        std::vector<std::pair<double, double>> cues;
        for (size_t pos = 0; pos < times.size();) {
            const size_t nl = times.find('\n', pos);
            const std::string line = times.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
            if (!line.empty()) cues.push_back({std::stod(line), std::stod(line.substr(line.find(',') + 1))});
            pos = nl == std::string::npos ? times.size() : nl + 1;
        }
        ASSERT_EQ(cues.size(), kBursts.size()) << f << "\n" << times;
        for (size_t i = 0; i < cues.size(); ++i) {
            const auto& s = run.report->doc.segments[i];
            EXPECT_NEAR(cues[i].first * 1000, double(s.start_ms), 1.0) << f;
            EXPECT_NEAR((cues[i].first + cues[i].second) * 1000, double(s.end_ms), 1.0) << f;
        }
        const std::string text = run_capture("ffmpeg -v error -nostdin -i " + shell_quote((dir_ / f).string()) + " -f srt -");
        EXPECT_NE(text.find("tone 880"), std::string::npos) << text;
    }
    const std::string txt = read_file(dir_ / "out.txt");
    EXPECT_EQ(txt, "tone 440\n\ntone 880\n\ntone 660\n\n");
    // JSON: every word with times and probability, and the provenance.
    json j = json::parse(read_file(dir_ / "out.json"));
    EXPECT_EQ(j["format"], "atelier.transcript");
    EXPECT_EQ(j["generation"]["model"], "fake-tones");
    EXPECT_EQ(j["generation"]["params"]["word_timestamps"], true);
    ASSERT_EQ(j["segments"].size(), kBursts.size());
    const auto& w = j["segments"][2]["words"];
    ASSERT_EQ(w.size(), 2u);
    EXPECT_EQ(w[1]["text"], " 660");
    EXPECT_NEAR(w[1]["probability"].get<double>(), 0.4, 1e-6);
    EXPECT_EQ(w[0]["start_ms"], run.report->doc.segments[2].start_ms);
    // Refusals: unknown extension, existing file without overwrite.
    EXPECT_EQ(pl::export_transcript(p, t, dir_ / "out.doc").error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(pl::export_transcript(p, t, dir_ / "out.srt", false).error().code, ErrorCode::AlreadyExists);
}

}  // namespace
}  // namespace atelier::test
