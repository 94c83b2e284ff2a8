// The transcript store (issue 6 §5): a transcript with segments and words stored with its
// provenance, read back by the API and checked row by row through raw SQLite (not our code);
// word edits rebuild the segment text; removal cascades to segments and words; a failing create
// leaves nothing behind.
#include <gtest/gtest.h>

#include "core/uuid.h"
#include "projects/project.h"
#include "projects/transcript-store.h"
#include "tests/projects/test-util.h"

namespace ap = atelier::projects;
using atelier::ErrorCode;
using atelier::test::raw_int;
using atelier::test::raw_text;
using atelier::test::TempDir;

namespace {

ap::TranscriptDoc sample_doc(const std::string& asset, const std::string& generation) {
    ap::TranscriptDoc doc;
    doc.transcript.asset_uuid = asset;
    doc.transcript.generation_uuid = generation;
    doc.transcript.language = "en";
    doc.transcript.title = "talk.wav";
    ap::TranscriptSegmentRow a;
    a.start_ms = 0, a.end_ms = 1800, a.text = " Hello there world.";
    a.words = {{0, 400, " Hello", 0.98}, {420, 900, " there", 0.35}, {950, 1800, " world.", 0.91}};
    ap::TranscriptSegmentRow b;
    b.start_ms = 2500, b.end_ms = 4000, b.text = " Second line.", b.speaker = "S1";
    doc.segments = {a, b};
    return doc;
}

struct Fixture {
    TempDir dir;
    std::filesystem::path path = dir / "t.atelier";
    std::unique_ptr<ap::Project> p;
    std::string asset, generation;
    Fixture() {
        auto created = ap::Project::create(path);
        EXPECT_TRUE(created.ok());
        p = std::move(*created);
        ap::Asset a = atelier::test::make_asset("talk.wav", ap::AssetKind::Audio);
        EXPECT_TRUE(p->insert_asset(a).ok());
        asset = a.uuid;
        ap::Generation g;
        g.uuid = atelier::uuid_v7();
        g.kind = "transcribe";
        g.model = "whisper-base";
        g.params_json = R"({"language":"auto","beam_size":5})";
        g.status = "done";
        EXPECT_TRUE(p->insert_generation(g).ok());
        generation = g.uuid;
    }
};

}  // namespace

TEST(TranscriptStore, RoundTripKeepsSegmentsWordsAndProvenance) {
    Fixture f;
    auto made = ap::create_transcript(*f.p, sample_doc(f.asset, f.generation));
    ASSERT_TRUE(made.ok()) << made.error().message();
    const std::string t = made->transcript.uuid;
    EXPECT_TRUE(atelier::uuid_is_valid(t));
    // Raw rows, independent of the store's reader.
    EXPECT_EQ(raw_text(f.path, "SELECT asset_uuid FROM transcripts WHERE uuid='" + t + "'"), f.asset);
    EXPECT_EQ(raw_text(f.path, "SELECT g.model FROM transcripts t JOIN generations g ON g.uuid = t.generation_uuid"), "whisper-base");
    EXPECT_EQ(raw_int(f.path, "SELECT count(*) FROM transcript_segments WHERE transcript_uuid='" + t + "'"), 2);
    EXPECT_EQ(raw_text(f.path, "SELECT group_concat(text, '|') FROM (SELECT w.text FROM transcript_words w JOIN "
                               "transcript_segments s ON s.uuid = w.segment_uuid ORDER BY s.seq, w.seq)"),
              " Hello| there| world.");
    EXPECT_EQ(raw_int(f.path, "SELECT start_ms FROM transcript_segments WHERE seq = 1"), 2500);
    EXPECT_EQ(raw_text(f.path, "SELECT printf('%.2f', probability) FROM transcript_words WHERE seq = 1"), "0.35");

    auto loaded = ap::load_transcript(*f.p, t);
    ASSERT_TRUE(loaded.ok()) << loaded.error().message();
    ASSERT_EQ(loaded->segments.size(), 2u);
    EXPECT_EQ(loaded->transcript.language, "en");
    EXPECT_EQ(loaded->transcript.generation_uuid, f.generation);
    EXPECT_EQ(loaded->segments[0].uuid, made->segments[0].uuid);
    ASSERT_EQ(loaded->segments[0].words.size(), 3u);
    EXPECT_EQ(loaded->segments[0].words[2].end_ms, 1800);
    EXPECT_DOUBLE_EQ(loaded->segments[0].words[1].probability, 0.35);
    EXPECT_EQ(loaded->segments[1].speaker, "S1");
    EXPECT_TRUE(loaded->segments[1].words.empty());

    auto all = ap::list_transcripts(*f.p);
    ASSERT_TRUE(all.ok());
    ASSERT_EQ(all->size(), 1u);
    EXPECT_EQ(ap::list_transcripts(*f.p, f.asset)->size(), 1u);
    EXPECT_EQ(ap::list_transcripts(*f.p, atelier::uuid_v7())->size(), 0u);
}

TEST(TranscriptStore, WordEditRebuildsTheSegmentText) {
    Fixture f;
    auto made = ap::create_transcript(*f.p, sample_doc(f.asset, f.generation));
    ASSERT_TRUE(made.ok());
    const std::string seg = made->segments[0].uuid;
    ASSERT_TRUE(ap::set_word_text(*f.p, seg, 1, " their").ok());
    EXPECT_EQ(raw_text(f.path, "SELECT text FROM transcript_segments WHERE uuid='" + seg + "'"), "Hello their world.");
    EXPECT_EQ(raw_text(f.path, "SELECT text FROM transcript_words WHERE segment_uuid='" + seg + "' AND seq=1"), " their");
    ASSERT_TRUE(ap::set_segment_text(*f.p, seg, "Hi.").ok());
    EXPECT_EQ(raw_text(f.path, "SELECT text FROM transcript_segments WHERE uuid='" + seg + "'"), "Hi.");
    EXPECT_EQ(ap::set_word_text(*f.p, seg, 7, "x").error().code, ErrorCode::ProjectObjectNotFound);
    EXPECT_EQ(ap::set_segment_text(*f.p, atelier::uuid_v7(), "x").error().code, ErrorCode::ProjectObjectNotFound);
}

TEST(TranscriptStore, RemoveCascadesAndBadCreatesLeaveNothing) {
    Fixture f;
    auto made = ap::create_transcript(*f.p, sample_doc(f.asset, f.generation));
    ASSERT_TRUE(made.ok());
    // The same UUIDs again: refused as a whole, nothing half-added.
    auto again = ap::create_transcript(*f.p, *made);
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().code, ErrorCode::AlreadyExists);
    EXPECT_EQ(raw_int(f.path, "SELECT count(*) FROM transcript_segments"), 2);
    // Unknown asset or generation.
    EXPECT_EQ(ap::create_transcript(*f.p, sample_doc(atelier::uuid_v7(), "")).error().code, ErrorCode::ProjectObjectNotFound);
    EXPECT_EQ(ap::create_transcript(*f.p, sample_doc("", atelier::uuid_v7())).error().code, ErrorCode::ProjectObjectNotFound);
    EXPECT_EQ(raw_int(f.path, "SELECT count(*) FROM transcripts"), 1);
    // Removal takes segments and words; the generation (provenance) stays.
    ASSERT_TRUE(ap::remove_transcript(*f.p, made->transcript.uuid).ok());
    EXPECT_EQ(raw_int(f.path, "SELECT count(*) FROM transcript_segments"), 0);
    EXPECT_EQ(raw_int(f.path, "SELECT count(*) FROM transcript_words"), 0);
    EXPECT_EQ(raw_int(f.path, "SELECT count(*) FROM generations"), 1);
    EXPECT_EQ(ap::remove_transcript(*f.p, made->transcript.uuid).error().code, ErrorCode::ProjectObjectNotFound);
    // Restoring the saved document puts the same rows back (what undo relies on).
    auto restored = ap::create_transcript(*f.p, *made);
    ASSERT_TRUE(restored.ok()) << restored.error().message();
    EXPECT_EQ(raw_text(f.path, "SELECT uuid FROM transcript_segments WHERE seq=0"), made->segments[0].uuid);
    EXPECT_EQ(raw_int(f.path, "SELECT count(*) FROM transcript_words"), 3);
    EXPECT_EQ(f.p->integrity_check().value_or(""), "ok");
}

TEST(TranscriptStore, TimesAndProbabilitiesAreClampedToWhatTheSchemaAllows) {
    Fixture f;
    ap::TranscriptDoc doc;
    ap::TranscriptSegmentRow s;
    s.start_ms = -40, s.end_ms = -50, s.text = "x";
    s.words = {{-5, -9, "x", 1.7}, {3, 2, "y", -0.2}};
    doc.segments = {s};
    auto made = ap::create_transcript(*f.p, doc);
    ASSERT_TRUE(made.ok()) << made.error().message();
    EXPECT_EQ(raw_int(f.path, "SELECT start_ms + end_ms FROM transcript_segments"), 0);
    EXPECT_EQ(raw_text(f.path, "SELECT group_concat(probability, ',') FROM transcript_words"), "1.0,0.0");
    EXPECT_EQ(raw_int(f.path, "SELECT count(*) FROM transcripts WHERE asset_uuid IS NULL AND generation_uuid IS NULL"), 1);
}
