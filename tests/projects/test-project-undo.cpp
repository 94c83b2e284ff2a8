// Unit tests of UndoStack and the asset commands: undo/redo, exact restoration on removal,
// merging of repeated renames, gestures (interactions), the cap, and failure atomicity (a
// failing apply or revert leaves the database and the stack as they were).
#include <gtest/gtest.h>

#include "core/uuid.h"
#include "projects/undo.h"
#include "tests/projects/test-util.h"

namespace ap = atelier::projects;
using atelier::ErrorCode;
using atelier::test::make_asset;
using atelier::test::raw_int;
using atelier::test::raw_text;
using atelier::test::TempDir;

namespace {

struct Fixture {
    TempDir dir;
    std::filesystem::path path = dir / "u.atelier";
    std::unique_ptr<ap::Project> project;
    Fixture() {
        auto p = ap::Project::create(path);
        EXPECT_TRUE(p.ok());
        if (p.ok()) project = std::move(*p);
    }
};

ap::AddAssetsCommand::Item item(const std::string& name) {
    ap::AddAssetsCommand::Item it{make_asset(name), {}};
    it.derived.thumbnail_png = {1, 2, 3, 4};
    it.derived.thumbnail_width = 2;
    it.derived.thumbnail_height = 2;
    it.derived.waveform = {-0.5f, 0.5f};
    it.derived.waveform_samples_per_bucket = 64;
    return it;
}

// Every column of every row that belongs to assets, as text (raw SQLite, not our API).
std::string dump_assets(const std::filesystem::path& path) {
    auto rows = [&](const std::string& expr, const std::string& from) {
        return raw_text(path, "SELECT group_concat(r, '|') FROM (SELECT " + expr + " AS r FROM " + from + " ORDER BY r)");
    };
    return rows("uuid || kind || name || content_hash || size_bytes || storage || rel_path || source_path || mime || "
                "container || width || height || duration_ms || sample_rate_hz || channels || metadata_json || created_at_ms",
                "assets") +
           "#" + rows("asset_uuid || derived_version || width || height || hex(png)", "thumbnails") +
           "#" + rows("asset_uuid || derived_version || samples_per_bucket || hex(data)", "waveforms") +
           "#" + rows("generation_uuid || position || asset_uuid", "generation_outputs") +
           "#" + rows("uuid || ifnull(asset_uuid, 'null')", "transcripts");
}

}  // namespace

TEST(ProjectUndo, AddAssetsUndoRedo) {
    Fixture f;
    ap::UndoStack stack(*f.project);
    int changes = 0;
    stack.set_on_changed([&] { ++changes; });
    EXPECT_FALSE(stack.can_undo());
    ASSERT_TRUE(stack.push(std::make_unique<ap::AddAssetsCommand>(std::vector{item("a.png"), item("b.png")})).ok());
    EXPECT_EQ(raw_int(f.path, "SELECT count(*) FROM assets"), 2);
    std::string after_add = dump_assets(f.path);
    EXPECT_TRUE(stack.can_undo());
    EXPECT_EQ(stack.undo_label(), "Import 2 files");
    ASSERT_TRUE(stack.undo().ok());
    EXPECT_EQ(raw_int(f.path, "SELECT count(*) FROM assets"), 0);
    EXPECT_EQ(raw_int(f.path, "SELECT count(*) FROM thumbnails"), 0);
    EXPECT_TRUE(stack.can_redo());
    EXPECT_EQ(stack.redo_label(), "Import 2 files");
    ASSERT_TRUE(stack.redo().ok());
    EXPECT_EQ(dump_assets(f.path), after_add) << "redo is exact";
    EXPECT_EQ(changes, 3);
    EXPECT_EQ(stack.undo().ok(), true);
    EXPECT_FALSE(stack.undo().ok()) << "nothing left to undo";
}

TEST(ProjectUndo, RemoveAssetsRestoresEverythingExactly) {
    Fixture f;
    ap::UndoStack stack(*f.project);
    auto a = item("a.png");
    auto b = item("b.wav");
    ASSERT_TRUE(stack.push(std::make_unique<ap::AddAssetsCommand>(std::vector{a, b})).ok());
    // Links that removal deletes (generation output) or clears (transcript source).
    ap::Generation g;
    g.uuid = atelier::uuid_v7();
    g.kind = "speak";
    g.status = "done";
    g.output_asset_uuids = {b.asset.uuid, a.asset.uuid};
    ASSERT_TRUE(f.project->insert_generation(g).ok());
    atelier::test::raw_exec(f.path, "INSERT INTO transcripts VALUES ('t1', '" + b.asset.uuid + "', NULL, 'en', '', 1)");
    std::string before = dump_assets(f.path);

    ASSERT_TRUE(stack.push(std::make_unique<ap::RemoveAssetsCommand>(std::vector{a.asset.uuid, b.asset.uuid})).ok());
    EXPECT_EQ(raw_int(f.path, "SELECT count(*) FROM assets"), 0);
    EXPECT_EQ(raw_int(f.path, "SELECT count(*) FROM generation_outputs"), 0);
    EXPECT_EQ(stack.undo_label(), "Remove 2 assets");
    ASSERT_TRUE(stack.undo().ok());
    EXPECT_EQ(dump_assets(f.path), before);
    ASSERT_TRUE(stack.redo().ok());
    EXPECT_EQ(raw_int(f.path, "SELECT count(*) FROM assets"), 0);
    ASSERT_TRUE(stack.undo().ok());
    EXPECT_EQ(dump_assets(f.path), before);
}

TEST(ProjectUndo, RepeatedRenamesMergeIntoOneStep) {
    Fixture f;
    ap::UndoStack stack(*f.project);
    auto a = item("first.png");
    auto b = item("other.png");
    ASSERT_TRUE(stack.push(std::make_unique<ap::AddAssetsCommand>(std::vector{a, b})).ok());
    for (const char* name : {"second.png", "third.png", "fourth.png"})
        ASSERT_TRUE(stack.push(std::make_unique<ap::RenameAssetCommand>(a.asset.uuid, name)).ok());
    EXPECT_EQ(stack.size(), 2u) << "add + one merged rename";
    EXPECT_EQ(stack.undo_label(), "Rename to fourth.png");
    ASSERT_TRUE(stack.push(std::make_unique<ap::RenameAssetCommand>(b.asset.uuid, "b2.png")).ok());
    EXPECT_EQ(stack.size(), 3u) << "another asset does not merge";
    ASSERT_TRUE(stack.undo().ok());
    ASSERT_TRUE(stack.undo().ok());
    EXPECT_EQ(f.project->get_asset(a.asset.uuid)->name, "first.png") << "one undo returns to the first name";
    ASSERT_TRUE(stack.redo().ok());
    EXPECT_EQ(f.project->get_asset(a.asset.uuid)->name, "fourth.png");
}

TEST(ProjectUndo, NoMergeAcrossAnUndo) {
    Fixture f;
    ap::UndoStack stack(*f.project);
    auto a = item("a.png");
    ASSERT_TRUE(stack.push(std::make_unique<ap::AddAssetsCommand>(std::vector{a})).ok());
    ASSERT_TRUE(stack.push(std::make_unique<ap::RenameAssetCommand>(a.asset.uuid, "b.png")).ok());
    ASSERT_TRUE(stack.push(std::make_unique<ap::RenameAssetCommand>(a.asset.uuid, "c.png")).ok());
    ASSERT_TRUE(stack.undo().ok());  // back to a.png
    ASSERT_TRUE(stack.push(std::make_unique<ap::RenameAssetCommand>(a.asset.uuid, "d.png")).ok());
    EXPECT_FALSE(stack.can_redo()) << "a new command drops the redo side";
    ASSERT_TRUE(stack.push(std::make_unique<ap::RenameAssetCommand>(a.asset.uuid, "e.png")).ok());
    EXPECT_EQ(stack.size(), 2u);
    ASSERT_TRUE(stack.undo().ok());
    EXPECT_EQ(f.project->get_asset(a.asset.uuid)->name, "a.png");
}

TEST(ProjectUndo, InteractionGroupsIntoOneStep) {
    Fixture f;
    ap::UndoStack stack(*f.project);
    auto a = item("a.png");
    stack.begin_interaction("Drop 2 files");
    ASSERT_TRUE(stack.push(std::make_unique<ap::AddAssetsCommand>(std::vector{a})).ok());
    stack.begin_interaction("nested");  // nested calls join the outer gesture
    ASSERT_TRUE(stack.push(std::make_unique<ap::AddAssetsCommand>(std::vector{item("b.png")})).ok());
    stack.end_interaction();
    ASSERT_TRUE(stack.push(std::make_unique<ap::RenameAssetCommand>(a.asset.uuid, "renamed.png")).ok());
    EXPECT_TRUE(stack.in_interaction());
    EXPECT_FALSE(stack.can_undo());
    EXPECT_EQ(stack.undo().error().code, ErrorCode::InvalidArgument) << "no undo in the middle of a gesture";
    EXPECT_EQ(raw_int(f.path, "SELECT count(*) FROM assets"), 2) << "each command commits as it is pushed";
    stack.end_interaction();
    EXPECT_EQ(stack.size(), 1u);
    EXPECT_EQ(stack.undo_label(), "Drop 2 files");
    ASSERT_TRUE(stack.undo().ok());
    EXPECT_EQ(raw_int(f.path, "SELECT count(*) FROM assets"), 0);
    ASSERT_TRUE(stack.redo().ok());
    EXPECT_EQ(raw_int(f.path, "SELECT count(*) FROM assets"), 2);
    EXPECT_EQ(f.project->get_asset(a.asset.uuid)->name, "renamed.png");

    stack.begin_interaction("empty gesture");
    stack.end_interaction();
    EXPECT_EQ(stack.size(), 1u) << "an empty gesture adds no step";
}

TEST(ProjectUndo, HistoryIsCapped) {
    Fixture f;
    ap::UndoStack stack(*f.project, 3);
    for (int i = 0; i < 5; ++i)
        ASSERT_TRUE(stack.push(std::make_unique<ap::AddAssetsCommand>(std::vector{item(std::to_string(i) + ".png")})).ok());
    EXPECT_EQ(stack.size(), 3u);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(stack.undo().ok());
    EXPECT_FALSE(stack.can_undo());
    EXPECT_EQ(raw_int(f.path, "SELECT count(*) FROM assets"), 2) << "the two oldest imports stay";
    stack.clear();
    EXPECT_FALSE(stack.can_redo());
}

TEST(ProjectUndo, FailingApplyLeavesDatabaseAndStackUnchanged) {
    Fixture f;
    ap::UndoStack stack(*f.project);
    ASSERT_TRUE(stack.push(std::make_unique<ap::AddAssetsCommand>(std::vector{item("keep.png")})).ok());
    std::string before = dump_assets(f.path);
    auto bad = item("bad.png");
    bad.asset.uuid = "not-a-uuid";
    auto st = stack.push(std::make_unique<ap::AddAssetsCommand>(std::vector{item("first-ok.png"), bad}));
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(dump_assets(f.path), before) << "the first item of the failed command was rolled back";
    EXPECT_EQ(stack.size(), 1u);
    EXPECT_EQ(stack.undo_label(), "Import keep.png");
    auto rename_missing = stack.push(std::make_unique<ap::RenameAssetCommand>(atelier::uuid_v7(), "x"));
    EXPECT_EQ(rename_missing.error().code, ErrorCode::ProjectObjectNotFound);
    EXPECT_EQ(stack.size(), 1u);
}

TEST(ProjectUndo, FailingRevertLeavesDatabaseAndStackUnchanged) {
    Fixture f;
    ap::UndoStack stack(*f.project);
    auto a = item("a.png");
    auto b = item("b.png");
    ASSERT_TRUE(stack.push(std::make_unique<ap::AddAssetsCommand>(std::vector{a, b})).ok());
    // Put a on a timeline behind the stack's back. Undoing the import removes b first (items
    // revert in reverse), then fails on a: b's removal must not stick.
    atelier::test::raw_exec(f.path, "INSERT INTO timelines VALUES ('t', 'T', 640, 480, 25, 1, 48000, 0);"
                                    "INSERT INTO tracks VALUES ('k', 't', 0, 'video', 'V', 0);"
                                    "INSERT INTO clips VALUES ('c', 'k', '" + a.asset.uuid + "', 0, 1000, 0, '', '{}');");
    std::string before = dump_assets(f.path);
    auto st = stack.undo();
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(dump_assets(f.path), before) << "b's removal was rolled back with the failed undo";
    EXPECT_TRUE(stack.can_undo());
    EXPECT_FALSE(stack.can_redo());
}
