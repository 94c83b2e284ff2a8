// Schema versions: every committed fixture tests/projects/fixtures/vN.atelier opens (and is
// migrated when older), with the rows tools/make-project-fixtures.py wrote; the migration
// runner applies steps in one transaction and leaves the file untouched when a step fails.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>

#include "projects/migrations.h"
#include "projects/project.h"
#include "tests/projects/test-util.h"

namespace ap = atelier::projects;
using atelier::ErrorCode;
using atelier::test::raw_int;
using atelier::test::raw_text;
using atelier::test::TempDir;

namespace {

// "01900000-0000-7000-8000-<n>" as written by tools/make-project-fixtures.py.
std::string fx(int n) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "01900000-0000-7000-8000-%012x", n);
    return buf;
}

constexpr int64_t kT0 = 1'700'000'000'000;

std::vector<std::pair<int, std::filesystem::path>> fixtures() {
    std::vector<std::pair<int, std::filesystem::path>> out;
    std::regex name(R"(v(\d+)\.atelier)");
    for (const auto& e : std::filesystem::directory_iterator(atelier::test::fixture_path(""))) {
        const std::string file = e.path().filename().string();
        if (std::smatch m; std::regex_match(file, m, name)) out.emplace_back(std::stoi(m[1]), e.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

// Column names and types of every table, as SQLite reports them.
std::string describe_schema(const std::filesystem::path& db) {
    return raw_text(db, "SELECT group_concat(x, ' ') FROM (SELECT t.name || '.' || c.name || ':' || c.type || ':' || "
                        "c.\"notnull\" || ':' || ifnull(c.dflt_value, '') || ':' || c.pk AS x "
                        "FROM sqlite_schema t, pragma_table_info(t.name) c WHERE t.type = 'table' ORDER BY t.name, c.cid)");
}

sqlite3* open_raw(const std::filesystem::path& path) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
    return db;
}

atelier::Status fail_step(sqlite3*) { return atelier::make_error(ErrorCode::Internal, "synthetic failure"); }

atelier::Status add_speed(sqlite3* db) {
    return ap::exec_sql(db, "ALTER TABLE clips ADD COLUMN speed REAL NOT NULL DEFAULT 1.0");
}

// The registered steps followed by `extra` (synthetic steps past the newest version).
std::vector<ap::MigrationStep> real_steps_then(std::initializer_list<ap::MigrationStep> extra) {
    std::vector<ap::MigrationStep> steps(ap::migration_steps().begin(), ap::migration_steps().end());
    steps.insert(steps.end(), extra);
    return steps;
}

// Foreign keys and indexes of every table, as SQLite reports them.
std::string describe_links(const std::filesystem::path& db) {
    return raw_text(db, "SELECT group_concat(x, ' ') FROM (SELECT t.name || '.' || f.\"from\" || '->' || f.\"table\" || '.' || "
                        "f.\"to\" || ':' || f.on_delete AS x FROM sqlite_schema t, pragma_foreign_key_list(t.name) f "
                        "WHERE t.type = 'table' ORDER BY t.name, f.\"from\")") +
           " | " +
           raw_text(db, "SELECT group_concat(x, ' ') FROM (SELECT tbl_name || '.' || name AS x FROM sqlite_schema "
                        "WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name)");
}

}  // namespace

TEST(ProjectFixtures, EveryFixtureOpensAndMigrates) {
    auto all = fixtures();
    ASSERT_FALSE(all.empty());
    EXPECT_EQ(all.back().first, ap::kSchemaVersion) << "the newest schema needs a fixture: run tools/make-project-fixtures.py";
    for (const auto& [version, fixture] : all) {
        SCOPED_TRACE(fixture.string());
        EXPECT_LE(version, ap::kSchemaVersion);
        EXPECT_EQ(raw_int(fixture, "PRAGMA user_version"), version) << "file name and user_version agree";
        TempDir dir;
        auto path = dir / "p.atelier";
        atelier::test::copy_file(fixture, path);
        auto p = ap::Project::open(path);
        ASSERT_TRUE(p.ok()) << p.error().message();
        EXPECT_EQ((*p)->info()->schema_version, ap::kSchemaVersion);
        EXPECT_EQ(*(*p)->integrity_check(), "ok");
        p->reset();
        EXPECT_EQ(raw_int(path, "PRAGMA user_version"), ap::kSchemaVersion);
        EXPECT_EQ(raw_text(path, "PRAGMA foreign_key_check"), "");
    }
}

TEST(ProjectFixtures, V1RowsReadBackThroughTheApi) {
    TempDir dir;
    auto path = dir / "v1.atelier";
    atelier::test::copy_file(atelier::test::fixture_path("v1.atelier"), path);
    auto opened = ap::Project::open(path);
    ASSERT_TRUE(opened.ok()) << opened.error().message();
    ap::Project& p = **opened;
    EXPECT_EQ(p.interrupted_on_open(), 2) << "the fixture's running and queued jobs";
    auto info = p.info();
    EXPECT_EQ(info->uuid, fx(1));
    EXPECT_EQ(info->name, "Fixture v1");
    EXPECT_EQ(info->created_at_ms, kT0);
    EXPECT_EQ(info->asset_count, 3);
    EXPECT_EQ(info->job_count, 4);

    auto beach = p.get_asset(fx(10));
    ASSERT_TRUE(beach.ok());
    EXPECT_EQ(beach->kind, ap::AssetKind::Image);
    EXPECT_EQ(beach->name, "beach.png");
    EXPECT_EQ(beach->size_bytes, 123456);
    EXPECT_EQ(beach->storage, ap::AssetStorage::MediaFile);
    EXPECT_EQ(p.asset_file_path(*beach), dir / "v1.atelier-media" / "aa/aaaaaaaa.png");
    EXPECT_EQ(beach->width, 640);
    EXPECT_EQ(beach->height, 480);
    EXPECT_EQ(beach->metadata_json, R"({"streams":[{"codec":"png"}]})");
    auto hello = p.get_asset(fx(11));
    EXPECT_EQ(hello->storage, ap::AssetStorage::Blob);
    EXPECT_EQ(hello->sample_rate_hz, 16000);
    auto blob = p.get_blob(hello->content_hash);
    ASSERT_TRUE(blob.ok());
    EXPECT_EQ(std::string(blob->begin(), blob->end()), "hello");
    auto clip = p.get_asset(fx(12));
    EXPECT_EQ(clip->kind, ap::AssetKind::Video);
    EXPECT_EQ(clip->duration_ms, 4000);
    EXPECT_EQ(clip->container, "mov,mp4,m4a,3gp,3g2,mj2");
    EXPECT_EQ(p.list_assets({.kind = ap::AssetKind::Image})->size(), 1u);

    auto derived = p.get_derived(fx(10));
    EXPECT_EQ(std::string(derived->thumbnail_png.begin(), derived->thumbnail_png.end()), "\x89PNG\r\n\x1a\nfixture");
    EXPECT_EQ(derived->thumbnail_width, 4);
    auto wave = p.get_derived(fx(11));
    EXPECT_EQ(wave->waveform, (std::vector<float>{-0.5f, 0.5f, -0.25f, 0.75f}));
    EXPECT_EQ(wave->waveform_samples_per_bucket, 256);

    EXPECT_EQ(p.get_job(fx(20))->state, atelier::JobState::Done);
    EXPECT_EQ(p.get_job(fx(21))->error_code, "media_decode_failed");
    EXPECT_EQ(p.get_job(fx(22))->state, atelier::JobState::Interrupted);
    EXPECT_EQ(p.get_job(fx(22))->rerun_of, fx(21));
    EXPECT_EQ(p.get_job(fx(23))->state, atelier::JobState::Interrupted);

    auto chats = p.list_chats();
    ASSERT_EQ(chats->size(), 1u);
    EXPECT_EQ((*chats)[0].model, "deepseek-v4-flash");
    auto msgs = p.list_messages(fx(30));
    ASSERT_EQ(msgs->size(), 3u);
    EXPECT_EQ((*msgs)[2].content, "Hi! How can I help?");
    EXPECT_EQ(p.add_message(fx(30), "user", "more")->seq, 4);

    auto gens = p.list_generations();
    ASSERT_EQ(gens->size(), 1u);
    EXPECT_EQ((*gens)[0].seed, 42);
    EXPECT_EQ((*gens)[0].job_uuid, fx(20));
    EXPECT_EQ((*gens)[0].output_asset_uuids, std::vector<std::string>{fx(11)});
    EXPECT_EQ(**p.get_setting("export.default_format"), "\"mp4\"");
    auto links = p.get_asset_links(fx(12));
    EXPECT_EQ(links->transcript_uuids, std::vector<std::string>{fx(50)});
    EXPECT_EQ(p.remove_asset(fx(12)).error().code, ErrorCode::InvalidArgument) << "clip.mp4 is on the timeline";
}

TEST(ProjectFixtures, NewestFixtureCoversEveryTableAndMatchesTheSchema) {
    auto newest = atelier::test::fixture_path("v" + std::to_string(ap::kSchemaVersion) + ".atelier");
    ASSERT_TRUE(std::filesystem::exists(newest));
    // Every table has rows, so a migration test exercises all of them.
    sqlite3* db = open_raw(newest);
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db, "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'", -1, &s, nullptr);
    int tables = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        std::string table = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
        ++tables;
        EXPECT_GT(raw_int(newest, "SELECT count(*) FROM \"" + table + "\""), 0) << table << " has no rows in the fixture";
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    EXPECT_EQ(tables, 17);
    // The fixture was made from the schema this build installs (else: new version + migration).
    TempDir dir;
    ASSERT_TRUE(ap::Project::create(dir / "fresh.atelier").ok());
    EXPECT_EQ(describe_schema(dir / "fresh.atelier"), describe_schema(newest));
    EXPECT_EQ(raw_text(dir / "fresh.atelier", "SELECT group_concat(name) FROM (SELECT name FROM sqlite_schema ORDER BY name)"),
              raw_text(newest, "SELECT group_concat(name) FROM (SELECT name FROM sqlite_schema ORDER BY name)"));
}

TEST(ProjectFixtures, EmbeddedSchemaIsSchemaSql) {
    std::ifstream in(std::filesystem::path(ATELIER_TEST_DATA_DIR) / ".." / "projects" / "schema.sql", std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    ASSERT_FALSE(ss.str().empty());
    EXPECT_EQ(std::string(ap::schema_sql()), ss.str());
}

TEST(ProjectMigrations, RegistryHasOneStepPerVersion) {
    auto steps = ap::migration_steps();
    ASSERT_EQ(steps.size(), static_cast<size_t>(ap::kSchemaVersion - 1));
    for (int v = 1; v < ap::kSchemaVersion; ++v) {
        EXPECT_EQ(steps[v - 1].from_version, v);
        EXPECT_TRUE(static_cast<bool>(steps[v - 1].apply));
    }
}

TEST(ProjectMigrations, SyntheticStepUpgradesACopyOfV1) {
    TempDir dir;
    auto path = atelier::test::fixture_copy(dir, "p.atelier", 1);
    const int next = ap::kSchemaVersion + 1;
    const auto steps = real_steps_then({{ap::kSchemaVersion, "add clips.speed", add_speed}});
    sqlite3* db = open_raw(path);
    ASSERT_TRUE(ap::run_migrations(db, path, 1, next, steps).ok());
    sqlite3_close(db);
    EXPECT_EQ(raw_int(path, "PRAGMA user_version"), next);
    EXPECT_EQ(raw_int(path, "SELECT count(*) FROM pragma_table_info('clips') WHERE name = 'speed'"), 1);
    EXPECT_EQ(raw_int(path, "SELECT sum(speed) FROM clips"), 2) << "existing rows kept, with the default";
    EXPECT_EQ(raw_text(path, "PRAGMA integrity_check"), "ok");
    // A file past kSchemaVersion is newer than this build: the opening sequence refuses it untouched.
    auto before = atelier::test::read_bytes(path);
    auto p = ap::Project::open(path);
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.error().code, ErrorCode::ProjectTooNew);
    EXPECT_EQ(atelier::test::read_bytes(path), before);
}

TEST(ProjectMigrations, FailingStepRollsBackLeavingTheFileUnchanged) {
    TempDir dir;
    auto path = atelier::test::fixture_copy(dir, "p.atelier", 1);
    auto before = atelier::test::snapshot_folder(dir.path());
    const auto steps = real_steps_then({{ap::kSchemaVersion, "add clips.speed", add_speed},
                                        {ap::kSchemaVersion + 1, "explodes", fail_step}});
    sqlite3* db = open_raw(path);
    auto st = ap::run_migrations(db, path, 1, ap::kSchemaVersion + 2, steps);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, ErrorCode::ProjectMigrationFailed);
    EXPECT_NE(st.error().detail.find("explodes"), std::string::npos) << st.error().detail;
    EXPECT_NE(st.error().detail.find(path.string()), std::string::npos);
    EXPECT_NE(st.error().hint.find("not changed"), std::string::npos);
    EXPECT_EQ(sqlite3_get_autocommit(db), 1) << "no transaction left open";
    sqlite3_close(db);
    EXPECT_TRUE(atelier::test::snapshot_folder(dir.path()) == before) << "byte-for-byte, no -wal/-shm left";
    EXPECT_EQ(raw_int(path, "SELECT count(*) FROM pragma_table_info('clips') WHERE name = 'speed'"), 0);
    EXPECT_EQ(raw_int(path, "SELECT count(*) FROM pragma_table_info('messages') WHERE name = 'parent_uuid'"), 0)
        << "the real v1->v2 step that ran first was rolled back too";
}

TEST(ProjectMigrations, MissingStepOrForeignKeyDamageRollsBack) {
    TempDir dir;
    auto path = atelier::test::fixture_copy(dir, "p.atelier", 1);
    auto before = atelier::test::snapshot_folder(dir.path());
    sqlite3* db = open_raw(path);
    const ap::MigrationStep only_first[] = {{1, "add clips.speed", add_speed}};
    auto missing = ap::run_migrations(db, path, 1, 3, only_first);
    EXPECT_EQ(missing.error().code, ErrorCode::ProjectMigrationFailed);
    EXPECT_NE(missing.error().detail.find("v2"), std::string::npos) << missing.error().detail;
    // A step that orphans rows (foreign keys are off during migrations) is caught by
    // PRAGMA foreign_key_check before commit.
    const ap::MigrationStep orphaning[] = {
        {1, "drop chats", [](sqlite3* h) { return ap::exec_sql(h, "DELETE FROM chats"); }}};
    auto orphaned = ap::run_migrations(db, path, 1, 2, orphaning);
    EXPECT_EQ(orphaned.error().code, ErrorCode::ProjectMigrationFailed);
    EXPECT_NE(orphaned.error().detail.find("messages"), std::string::npos) << orphaned.error().detail;
    auto backwards = ap::run_migrations(db, path, 2, 1, only_first);
    EXPECT_EQ(backwards.error().code, ErrorCode::ProjectMigrationFailed);
    sqlite3_close(db);
    EXPECT_TRUE(atelier::test::snapshot_folder(dir.path()) == before);
    EXPECT_EQ(raw_int(path, "SELECT count(*) FROM chats"), 1);
}

// v1 -> v2 (chat branches): the migrated v1 fixture has exactly the columns, foreign keys and
// indexes of a fresh v2 file, and its conversation became one path with every message done.
TEST(ProjectMigrations, V1ToV2ChatTreeFromTheCommittedFixture) {
    TempDir dir;
    auto path = atelier::test::fixture_copy(dir, "p.atelier", 1);
    ASSERT_EQ(raw_int(path, "PRAGMA user_version"), 1);
    {
        auto p = ap::Project::open(path);
        ASSERT_TRUE(p.ok()) << p.error().message();
        EXPECT_EQ((*p)->interrupted_messages_on_open(), 0);
    }
    ASSERT_TRUE(ap::Project::create(dir / "fresh.atelier").ok());
    EXPECT_EQ(describe_schema(path), describe_schema(dir / "fresh.atelier"));
    EXPECT_EQ(describe_links(path), describe_links(dir / "fresh.atelier"));
    // Independent facts through SQLite: parents chain by seq, states and defaults.
    EXPECT_EQ(raw_text(path, "SELECT group_concat(seq || ':' || ifnull(parent_uuid, '-') || ':' || state || ':' || "
                             "reasoning || ':' || ifnull(generation_uuid, '-'), ' ') FROM (SELECT * FROM messages ORDER BY seq)"),
              "1:-:done::- 2:" + fx(31) + ":done::- 3:" + fx(32) + ":done::-");
    EXPECT_EQ(raw_text(path, "SELECT system_prompt || '|' || settings_json || '|' || current_leaf_uuid FROM chats"),
              "|{}|" + fx(33));
    EXPECT_EQ(raw_text(path, "PRAGMA foreign_key_check"), "");
    auto p = ap::Project::open(path);
    ASSERT_TRUE(p.ok());
    auto path_msgs = (*p)->list_messages(fx(30));
    ASSERT_EQ(path_msgs->size(), 3u);
    EXPECT_EQ((*path_msgs)[2].parent_uuid, fx(32));
    EXPECT_EQ((*path_msgs)[2].state, ap::MessageState::Done);
    auto added = (*p)->add_message(fx(30), "user", "and now?");
    ASSERT_TRUE(added.ok());
    EXPECT_EQ(added->parent_uuid, fx(33)) << "appends to the branch shown";
    EXPECT_EQ((*p)->get_chat(fx(30))->current_leaf_uuid, added->uuid);
}

// The v2 fixture (written by tools/make-project-fixtures.py with Python's sqlite3): branches,
// states, reasoning and provenance read back; the message left streaming becomes interrupted
// with its text, and so does its running generation.
TEST(ProjectFixtures, V2ChatBranchesReadBackAndStreamingBecomesInterrupted) {
    TempDir dir;
    auto path = dir / "v2.atelier";
    atelier::test::copy_file(atelier::test::fixture_path("v2.atelier"), path);
    ASSERT_EQ(raw_text(path, "SELECT state FROM messages WHERE uuid = '" + fx(36) + "'"), "streaming");
    auto opened = ap::Project::open(path);
    ASSERT_TRUE(opened.ok()) << opened.error().message();
    ap::Project& p = **opened;
    EXPECT_EQ(p.interrupted_messages_on_open(), 1);
    auto chat = p.get_chat(fx(30));
    ASSERT_TRUE(chat.ok());
    EXPECT_EQ(chat->system_prompt, "You are helpful.");
    EXPECT_EQ(chat->current_leaf_uuid, fx(35));
    EXPECT_NE(chat->settings_json.find("\"thinking\":true"), std::string::npos) << chat->settings_json;
    auto msgs = p.list_messages(fx(30));
    ASSERT_EQ(msgs->size(), 6u);
    EXPECT_EQ((*msgs)[3].parent_uuid, fx(31)) << "the edited user message is a sibling of the first";
    EXPECT_EQ((*msgs)[4].state, ap::MessageState::Stopped);
    EXPECT_EQ((*msgs)[4].reasoning, "The user quotes a film.");
    EXPECT_EQ((*msgs)[4].generation_uuid, fx(42));
    EXPECT_EQ((*msgs)[5].state, ap::MessageState::Interrupted);
    EXPECT_EQ((*msgs)[5].content, "Hello! Wha");
    EXPECT_EQ(p.get_generation(fx(43))->status, "interrupted");
    EXPECT_EQ(p.get_generation(fx(41))->status, "done");
    EXPECT_EQ(p.get_generation(fx(41))->seed, 7);
    opened->reset();
    EXPECT_EQ(raw_text(path, "SELECT state || ':' || content FROM messages WHERE uuid = '" + fx(36) + "'"),
              "interrupted:Hello! Wha");
    EXPECT_EQ(raw_text(path, "PRAGMA integrity_check"), "ok");
}
