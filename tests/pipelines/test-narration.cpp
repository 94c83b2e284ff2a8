// Narration takes for the Speak workspace (issue 7 §4-§5): the sentence splitter; with the real
// Piper voice (scripts/fetch-models): a take's layout (sentences + pauses), a regenerated sentence
// spliced in while every other sample stays identical, the same seed reproducing a sentence, a
// slower speed making it longer; the stored take checked by ffprobe (duration) and sqlite3
// (asset + generation row with per-sentence seeds); narration clips placed on the timeline and
// read back with sqlite3 (start, duration, track), undo removing them; the streaming player
// handing out exactly the appended samples, in order, while input still arrives.
// Without the voice: a failure under CI, a skip elsewhere.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <thread>

#include "pipelines/narration-player.h"
#include "narration-fixture.h"
#include "pipelines/narration.h"
#include "projects/timeline-store.h"
#include "timeline-fixture.h"

namespace atelier::test {
namespace {

namespace pl = pipelines;

TEST(SplitSentences, SplitsAtSentenceEndsOnly) {
    using V = std::vector<std::string>;
    EXPECT_EQ(pl::split_sentences("Hello there. How are you? Fine!"), (V{"Hello there.", "How are you?", "Fine!"}));
    EXPECT_EQ(pl::split_sentences("Pi is 3.14 exactly. Dr. Smith agreed."), (V{"Pi is 3.14 exactly.", "Dr. Smith agreed."}));
    EXPECT_EQ(pl::split_sentences("He said \"stop.\" Then left...  Really?!"), (V{"He said \"stop.\"", "Then left...", "Really?!"}));
    EXPECT_EQ(pl::split_sentences("A title\n\nThe body text"), (V{"A title", "The body text"}));
    EXPECT_EQ(pl::split_sentences("Wait <break time=\"1s. x\"/> here. Go"), (V{"Wait <break time=\"1s. x\"/> here.", "Go"}));
    EXPECT_EQ(pl::split_sentences("One. ... Two."), (V{"One. ...", "Two."}));
    EXPECT_TRUE(pl::split_sentences("   \n ").empty());
}

class NarrationTest : public TimelineFixture {
protected:
    // Runs body as a Studio job to its end on the test thread; returns its final state.
    JobState run(std::function<Status(JobContext&)> body, std::string* error = nullptr) {
        const JobId id = studio().submit_job({.uuid = {}, .kind = "speak", .title = "test", .params_json = "{}"},
                                             [body, error](JobContext& ctx) {
                                                 Status st = body(ctx);
                                                 if (!st.ok() && error) *error = st.error().message();
                                                 return st;
                                             });
        EXPECT_TRUE(studio().wait(id, std::chrono::minutes(5)));
        studio().drain();
        auto rec = studio().project().list_jobs();
        for (const auto& j : rec.ok() ? *rec : std::vector<projects::JobRecord>{})
            if (studio().job_id_for_uuid(j.uuid) == id) return j.state;
        return JobState::Invalid;
    }

    std::shared_ptr<const pl::NarrationVoice> voice() {
        auto v = pl::NarrationVoice::load(joe_dir().string());
        EXPECT_TRUE(v.ok()) << v.error().message();
        return v.ok() ? *v : nullptr;
    }

    pl::NarrationTake take(const pl::NarrationVoice& v, const std::string& text, float silence_s = 0.3f) {
        pl::NarrationTake t;
        pl::SpeakSettings s;
        s.sentence_silence_s = silence_s;
        s.threads = 2;
        std::string err;
        EXPECT_EQ(run([&](JobContext& ctx) -> Status {
                      ATELIER_TRY_ASSIGN(t, pl::narrate(ctx, v, text, s, 1000));
                      return ok_status();
                  }, &err),
                  JobState::Done)
            << err;
        return t;
    }
};

TEST_F(NarrationTest, RegeneratedSentenceIsSplicedAndTheOthersKeepEverySample) {
    REQUIRE_JOE();
    auto v = voice();
    ASSERT_TRUE(v);
    pl::NarrationTake t = take(*v, "The sun rose over the quiet harbour. Boats rocked gently at anchor. A gull cried once.");
    ASSERT_EQ(t.sentences.size(), 3u);
    EXPECT_EQ(t.sample_rate_hz, 22050);  // voice.json of en_US-joe-medium
    const std::vector<float> before = t.pcm();
    ASSERT_EQ(static_cast<int64_t>(before.size()), t.total_samples());
    EXPECT_EQ(t.pause_samples(), static_cast<int64_t>(0.3f * 22050.0f));
    int64_t sum = 0;
    for (const auto& s : t.sentences) {
        EXPECT_GT(s.audio.size(), 22050u / 2) << s.text;  // each sentence is real speech, > 0.5 s
        sum += static_cast<int64_t>(s.audio.size());
    }
    EXPECT_EQ(t.total_samples(), sum + 2 * t.pause_samples());
    // The pauses are silent.
    for (int64_t k = 0; k < t.pause_samples(); ++k) ASSERT_EQ(before[static_cast<size_t>(t.start_sample(1) - 1 - k)], 0.0f);

    const pl::NarrationSentence old1 = t.sentences[1];
    ASSERT_EQ(run([&](JobContext& ctx) { return pl::regenerate_sentence(ctx, *v, t, 1, 777, 1.0f, 2); }), JobState::Done);
    const std::vector<float> after = t.pcm();
    EXPECT_EQ(t.sentences[1].seed, 777u);
    EXPECT_NE(t.sentences[1].audio, old1.audio) << "a new noise seed gives a new rendition";
    // Sentence 0 and sentence 2 (moved by the new length of sentence 1) keep every sample.
    const size_t n0 = t.sentences[0].audio.size(), n2 = t.sentences[2].audio.size();
    EXPECT_TRUE(std::equal(before.begin(), before.begin() + static_cast<ptrdiff_t>(n0), after.begin()));
    EXPECT_TRUE(std::equal(before.end() - static_cast<ptrdiff_t>(n2), before.end(), after.end() - static_cast<ptrdiff_t>(n2)));
    EXPECT_EQ(after.size(), before.size() - old1.audio.size() + t.sentences[1].audio.size());

    // The original seed and speed give the original sentence back, sample for sample.
    ASSERT_EQ(run([&](JobContext& ctx) { return pl::regenerate_sentence(ctx, *v, t, 1, old1.seed, 1.0f, 2); }), JobState::Done);
    EXPECT_EQ(t.pcm(), before);

    // Half speed: the sentence is clearly longer (Piper's length scale 2).
    ASSERT_EQ(run([&](JobContext& ctx) { return pl::regenerate_sentence(ctx, *v, t, 2, 5, 0.5f, 2); }), JobState::Done);
    EXPECT_GT(t.sentences[2].audio.size(), n2 * 3 / 2);
    EXPECT_EQ(t.sentences[2].speed, 0.5f);

    std::string err;
    EXPECT_EQ(run([&](JobContext& ctx) { return pl::regenerate_sentence(ctx, *v, t, 3, 1, 1.0f); }, &err), JobState::Failed);
    EXPECT_NE(err.find("sentence 4 is not in the take"), std::string::npos) << err;
    EXPECT_EQ(run([&](JobContext& ctx) { return pl::regenerate_sentence(ctx, *v, t, 0, 1, 9.0f); }, &err), JobState::Failed);
    EXPECT_NE(err.find("outside 0.25..4"), std::string::npos) << err;
}

TEST_F(NarrationTest, StoredTakeIsAnAssetOfItsDurationWithSentenceProvenance) {
    REQUIRE_JOE();
    auto v = voice();
    ASSERT_TRUE(v);
    pl::NarrationTake t = take(*v, "First line of the story. Second line follows.");
    ASSERT_EQ(t.sentences.size(), 2u);
    pl::SpeakReport r;
    std::string err;
    pl::SpeakSettings s;
    s.voice = joe_dir().string();
    s.sentence_silence_s = 0.3f;
    ASSERT_EQ(run([&](JobContext& ctx) -> Status {
                  ATELIER_TRY_ASSIGN(r, pl::store_take(ctx, studio().project(), t, s, "Story", ctx.spec().uuid));
                  return ok_status();
              }, &err),
              JobState::Done)
        << err;
    ASSERT_FALSE(r.asset_uuid.empty());
    EXPECT_EQ(r.import.added.size(), 1u);
    EXPECT_EQ(sql("SELECT kind FROM assets WHERE uuid='" + r.asset_uuid + "'"), "audio");
    const fs::path file = project_path().parent_path() / (project_path().stem().string() + ".atelier-media") /
                          sql("SELECT rel_path FROM assets WHERE uuid='" + r.asset_uuid + "'");
    ASSERT_TRUE(fs::exists(file)) << file;
    const double probed_s = std::stod("0" + ffprobe_value(file, "stream=duration", "a:0"));
    EXPECT_NEAR(probed_s, static_cast<double>(t.total_samples()) / 22050.0, 0.001);
    EXPECT_EQ(ffprobe_value(file, "stream=sample_rate", "a:0"), "22050");
    EXPECT_FALSE(fs::exists(project_path().parent_path() / "p.atelier-media" / "speech" / "Story.wav")) << "the staged file is removed";
    EXPECT_EQ(sql("SELECT kind FROM generations WHERE uuid='" + r.generation_uuid + "'"), "speak");
    EXPECT_EQ(sql("SELECT json_array_length(params_json, '$.sentences') FROM generations WHERE uuid='" + r.generation_uuid + "'"), "2");
    EXPECT_EQ(sql("SELECT json_extract(params_json, '$.sentences[1].seed') FROM generations WHERE uuid='" + r.generation_uuid + "'"),
              std::to_string(t.sentences[1].seed));
    EXPECT_EQ(sql("SELECT json_extract(params_json, '$.sentences[1].text') FROM generations WHERE uuid='" + r.generation_uuid + "'"),
              "Second line follows.");
}

TEST_F(NarrationTest, ClipsGoToTheNarrationTrackAtThePlayheadOrTheEnd) {
    const std::string a = add_asset(wav("a.wav", 1500));
    const std::string b = add_asset(wav("b.wav", 800, 1, 660.0));
    ASSERT_FALSE(a.empty());
    ASSERT_FALSE(b.empty());
    auto place = [&](const std::string& asset, int64_t dur, int64_t at) -> std::string {
        auto cmd = pl::narration_clip_command(studio().project(), asset, dur, at);
        EXPECT_TRUE(cmd.ok()) << cmd.error().message();
        if (!cmd.ok()) return {};
        auto* raw = cmd->get();
        EXPECT_TRUE(studio().undo().push(std::move(*cmd)).ok());
        return raw->clip().uuid;
    };
    const std::string c1 = place(a, 1500, 2000);
    auto clip_sql = [&](const std::string& uuid, const std::string& col) { return sql("SELECT " + col + " FROM clips WHERE uuid='" + uuid + "'"); };
    EXPECT_EQ(clip_sql(c1, "start_ms"), "2000");
    EXPECT_EQ(clip_sql(c1, "duration_ms"), "1500");
    EXPECT_EQ(sql("SELECT t.kind || '/' || t.name FROM clips c JOIN tracks t ON t.uuid=c.track_uuid WHERE c.uuid='" + c1 + "'"), "audio/Narration");
    // At a playhead inside the first clip: moved to its end, on the same track.
    const std::string c2 = place(b, 800, 2500);
    EXPECT_EQ(clip_sql(c2, "start_ms"), "3500");
    EXPECT_EQ(clip_sql(c2, "track_uuid"), clip_sql(c1, "track_uuid"));
    EXPECT_EQ(sql("SELECT count(*) FROM tracks WHERE name='Narration'"), "1");
    // At the end of the timeline.
    const std::string c3 = place(b, 800, -1);
    EXPECT_EQ(clip_sql(c3, "start_ms"), "4300");
    EXPECT_TRUE(studio().undo().undo().ok());
    EXPECT_EQ(sql("SELECT count(*) FROM clips WHERE uuid='" + c3 + "'"), "0");
    EXPECT_FALSE(pl::narration_clip_command(studio().project(), b, 0, 0).ok());
}

// SSML whose markup spans sentences reaches the synthesiser whole: one piece, and the slow rate
// around both sentences makes the take longer than the plain text's.
TEST_F(NarrationTest, AnSsmlDocumentIsSpokenAsOnePiece) {
    REQUIRE_JOE();
    auto v = voice();
    ASSERT_TRUE(v);
    const std::string plain = "Boats rocked gently at anchor. A gull cried once.";
    const pl::NarrationTake p = take(*v, plain, 0.0f);
    const pl::NarrationTake x = take(*v, "<speak><prosody rate=\"50%\">" + plain + "</prosody></speak>", 0.0f);
    ASSERT_EQ(p.sentences.size(), 2u);
    ASSERT_EQ(x.sentences.size(), 1u);
    EXPECT_GT(static_cast<double>(x.total_samples()), 1.5 * static_cast<double>(p.total_samples()));
}

TEST(NarrationPlayer, RendersExactlyTheAppendedSamplesWhileInputArrives) {
    auto p = pl::NarrationPlayer::open(22050, {.device = {}, .ring_frames = 1024, .open_device = false});
    ASSERT_TRUE(p.ok()) << p.error().message();
    std::vector<float> input(30000);
    for (size_t i = 0; i < input.size(); ++i) input[i] = std::sin(static_cast<float>(i) * 0.01f) * 0.5f + 0.001f;
    std::thread producer([&] {
        for (size_t at = 0; at < input.size(); at += 7000) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            (*p)->append(std::span<const float>(input).subspan(at, std::min<size_t>(7000, input.size() - at)));
        }
        (*p)->end_input();
    });
    std::vector<float> played, block(256);
    int waits = 0;
    bool more = true;
    for (int guard = 0; more && guard < 100000; ++guard) {
        const int64_t before = (*p)->played_frames();
        more = pl::NarrationPlayer::render(p->get(), nullptr, block.data(), block.size());
        const int64_t got = (*p)->played_frames() - before;
        if (got < static_cast<int64_t>(block.size())) ++waits;
        for (int64_t k = got; k < static_cast<int64_t>(block.size()); ++k) ASSERT_EQ(block[static_cast<size_t>(k)], 0.0f);
        played.insert(played.end(), block.begin(), block.begin() + got);
        if (got == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    producer.join();
    EXPECT_FALSE(more) << "the stream finishes by itself";
    EXPECT_TRUE((*p)->finished());
    EXPECT_EQ(played, input);
    EXPECT_GT(waits, 0) << "rendering started before all the input was there";
    EXPECT_EQ((*p)->position_ms(), 30000 * 1000 / 22050);
}

}  // namespace
}  // namespace atelier::test
