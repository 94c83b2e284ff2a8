// Unit tests of Project: creation, identity, connection settings, assets and derived data,
// blobs, read-only connections, Save-As, integrity_check and concurrent use. Facts are checked
// through raw SQLite or the file bytes where our own API would only be checking itself.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <thread>

#include "core/hash.h"
#include "core/uuid.h"
#include "core/version.h"
#include "projects/project.h"
#include "tests/projects/test-util.h"

namespace ap = atelier::projects;
using atelier::ErrorCode;
using atelier::test::make_asset;
using atelier::test::raw_int;
using atelier::test::raw_text;
using atelier::test::TempDir;

namespace {

std::unique_ptr<ap::Project> must_create(const std::filesystem::path& path, std::string_view name = {}) {
    auto p = ap::Project::create(path, name);
    EXPECT_TRUE(p.ok()) << p.error().message();
    return p.ok() ? std::move(*p) : nullptr;
}

int pragma_int(sqlite3* db, const char* sql) {
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db, sql, -1, &s, nullptr);
    int v = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : -1;
    sqlite3_finalize(s);
    return v;
}

}  // namespace

TEST(ProjectApi, CreateWritesIdentityAndSchema) {
    TempDir dir;
    auto path = dir / "film.atelier";
    {
        auto p = must_create(path);
        ASSERT_TRUE(p);
        auto info = p->info();
        ASSERT_TRUE(info.ok());
        EXPECT_EQ(info->name, "film");  // defaults to the file stem
        EXPECT_TRUE(atelier::uuid_is_valid(info->uuid));
        EXPECT_EQ(info->schema_version, ap::kSchemaVersion);
        EXPECT_EQ(info->created_by_version, ATELIER_VERSION);
        EXPECT_GT(info->created_at_ms, 1'600'000'000'000);
        EXPECT_EQ(info->path, path);
        EXPECT_EQ(info->media_dir, dir / "film.atelier-media");
        EXPECT_EQ(info->asset_count, 0);
        EXPECT_FALSE(p->read_only());
    }
    // Independent facts: the header bytes and SQLite's own pragmas.
    std::string bytes = atelier::test::read_bytes(path);
    ASSERT_GE(bytes.size(), 100u);
    EXPECT_EQ(bytes.substr(0, 16), std::string("SQLite format 3\0", 16));
    EXPECT_EQ(bytes.substr(68, 4), "ATLR");  // application_id, big-endian
    EXPECT_EQ(static_cast<int>(bytes[18]), 2) << "WAL mode is recorded in the header";
    EXPECT_EQ(raw_int(path, "PRAGMA application_id"), 0x41544C52);
    EXPECT_EQ(raw_int(path, "PRAGMA user_version"), ap::kSchemaVersion);
    EXPECT_EQ(raw_text(path, "PRAGMA journal_mode"), "wal");
    EXPECT_EQ(raw_text(path, "PRAGMA integrity_check"), "ok");
    EXPECT_EQ(raw_int(path, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN "
                            "('project','assets','blobs','jobs','chats','messages','generations','generation_outputs',"
                            "'transcripts','transcript_segments','transcript_words','timelines','tracks','clips',"
                            "'settings','thumbnails','waveforms')"),
              17);
    // Nothing else is left in the folder: no temporary file, no lock, no -wal/-shm after close.
    auto listing = atelier::test::snapshot_folder(dir.path());
    EXPECT_EQ(listing.size(), 1u);
    EXPECT_EQ(listing.count("film.atelier"), 1u);
}

TEST(ProjectApi, CreateNamesAndRefusals) {
    TempDir dir;
    auto p = must_create(dir / "a.atelier", "My film");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->info()->name, "My film");
    ASSERT_TRUE(p->set_name("Renamed").ok());
    EXPECT_EQ(raw_text(dir / "a.atelier", "SELECT name FROM project"), "Renamed");

    auto again = ap::Project::create(dir / "a.atelier");
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().code, ErrorCode::AlreadyExists);
    EXPECT_NE(again.error().detail.find((dir / "a.atelier").string()), std::string::npos);

    auto nowhere = ap::Project::create(dir / "missing" / "b.atelier");
    ASSERT_FALSE(nowhere.ok());
    EXPECT_EQ(nowhere.error().code, ErrorCode::NotFound);
    EXPECT_FALSE(nowhere.error().hint.empty());

    // A zero-byte file (as a save dialog may leave) is replaced by create().
    atelier::test::write_bytes(dir / "empty.atelier", "");
    auto from_empty = ap::Project::create(dir / "empty.atelier");
    ASSERT_TRUE(from_empty.ok()) << from_empty.error().message();
    EXPECT_EQ(raw_int(dir / "empty.atelier", "PRAGMA user_version"), ap::kSchemaVersion);
}

TEST(ProjectApi, WriterConnectionSettings) {
    TempDir dir;
    auto p = must_create(dir / "s.atelier");
    ASSERT_TRUE(p);
    sqlite3* db = p->raw_handle();
    EXPECT_EQ(pragma_int(db, "PRAGMA foreign_keys"), 1);
    EXPECT_EQ(pragma_int(db, "PRAGMA synchronous"), 1);  // NORMAL
    EXPECT_EQ(pragma_int(db, "PRAGMA busy_timeout"), 5000);
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, nullptr);
    ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
    EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)), "wal");
    sqlite3_finalize(s);
}

TEST(ProjectApi, AssetRoundTripAndLookups) {
    TempDir dir;
    auto p = must_create(dir / "a.atelier");
    ASSERT_TRUE(p);
    ap::Asset a = make_asset("Beach.PNG");
    a.duration_ms = 5;
    a.sample_rate_hz = 44100;
    a.channels = 2;
    a.created_at_ms = 1234;
    ASSERT_TRUE(p->insert_asset(a).ok());
    auto got = p->get_asset(a.uuid);
    ASSERT_TRUE(got.ok()) << got.error().message();
    EXPECT_EQ(got->uuid, a.uuid);
    EXPECT_EQ(got->kind, a.kind);
    EXPECT_EQ(got->name, a.name);
    EXPECT_EQ(got->content_hash, a.content_hash);
    EXPECT_EQ(got->size_bytes, a.size_bytes);
    EXPECT_EQ(got->storage, a.storage);
    EXPECT_EQ(got->rel_path, a.rel_path);
    EXPECT_EQ(got->source_path, a.source_path);
    EXPECT_EQ(got->mime, a.mime);
    EXPECT_EQ(got->container, a.container);
    EXPECT_EQ(got->width, a.width);
    EXPECT_EQ(got->height, a.height);
    EXPECT_EQ(got->duration_ms, 5);
    EXPECT_EQ(got->sample_rate_hz, 44100);
    EXPECT_EQ(got->channels, 2);
    EXPECT_EQ(got->metadata_json, a.metadata_json);
    EXPECT_EQ(got->created_at_ms, 1234);
    EXPECT_EQ(raw_text(dir / "a.atelier", "SELECT kind || '/' || storage FROM assets"), "image/media_file");

    ap::Asset b = make_asset("song.wav", ap::AssetKind::Audio);
    b.content_hash = std::string(32, 'b');
    b.created_at_ms = 0;  // filled in by insert_asset
    ASSERT_TRUE(p->insert_asset(b).ok());
    EXPECT_GT(p->get_asset(b.uuid)->created_at_ms, 1'600'000'000'000);

    auto by_hash = p->find_asset_by_hash(std::string(32, 'b'));
    ASSERT_TRUE(by_hash.ok());
    ASSERT_TRUE(by_hash->has_value());
    EXPECT_EQ((*by_hash)->uuid, b.uuid);
    EXPECT_FALSE(p->find_asset_by_hash(std::string(32, 'c'))->has_value());

    auto missing = p->get_asset(atelier::uuid_v7());
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, ErrorCode::ProjectObjectNotFound);
    EXPECT_NE(missing.error().detail.find((dir / "a.atelier").string()), std::string::npos);
}

TEST(ProjectApi, AssetInsertRefusesBadInput) {
    TempDir dir;
    auto p = must_create(dir / "a.atelier");
    ASSERT_TRUE(p);
    ap::Asset a = make_asset("x.png");
    a.uuid = "not-a-uuid";
    EXPECT_EQ(p->insert_asset(a).error().code, ErrorCode::InvalidArgument);
    a = make_asset("x.png");
    a.kind = ap::AssetKind::Invalid;
    EXPECT_EQ(p->insert_asset(a).error().code, ErrorCode::InvalidArgument);
    a = make_asset("x.png");
    a.metadata_json = "{not json";
    EXPECT_EQ(p->insert_asset(a).error().code, ErrorCode::InvalidArgument);  // CHECK json_valid
    a = make_asset("x.png");
    ap::AssetDerived odd;
    odd.waveform = {0.1f, 0.2f, 0.3f};  // not min,max pairs
    odd.waveform_samples_per_bucket = 10;
    EXPECT_EQ(p->insert_asset(a, odd).error().code, ErrorCode::InvalidArgument);
    ASSERT_TRUE(p->insert_asset(a).ok());
    EXPECT_EQ(p->insert_asset(a).error().code, ErrorCode::AlreadyExists);
    EXPECT_EQ(*p->count_assets(), 1);
}

TEST(ProjectApi, ListAndCountWithFilters) {
    TempDir dir;
    auto p = must_create(dir / "a.atelier");
    ASSERT_TRUE(p);
    std::vector<std::string> order;
    const char* names[] = {"Sunset.png", "sunrise.jpg", "talk.wav", "100%_done.png", "clip.mp4"};
    ap::AssetKind kinds[] = {ap::AssetKind::Image, ap::AssetKind::Image, ap::AssetKind::Audio, ap::AssetKind::Image,
                             ap::AssetKind::Video};
    for (int i = 0; i < 5; ++i) {
        ap::Asset a = make_asset(names[i], kinds[i]);
        a.created_at_ms = 1000 + i;
        order.push_back(a.uuid);
        ASSERT_TRUE(p->insert_asset(a).ok());
    }
    auto all = p->list_assets();
    ASSERT_TRUE(all.ok());
    ASSERT_EQ(all->size(), 5u);
    for (int i = 0; i < 5; ++i) EXPECT_EQ((*all)[i].uuid, order[i]) << "import order";
    EXPECT_EQ(p->list_assets({.kind = ap::AssetKind::Image})->size(), 3u);
    EXPECT_EQ(*p->count_assets({.kind = ap::AssetKind::Image}), 3);
    EXPECT_EQ(*p->count_assets({.kind = ap::AssetKind::Text}), 0);
    EXPECT_EQ(p->list_assets({.name_contains = "SUN"})->size(), 2u) << "case-insensitive";
    EXPECT_EQ(p->list_assets({.name_contains = "%"})->size(), 1u) << "% is literal";
    EXPECT_EQ(p->list_assets({.name_contains = "_"})->size(), 1u) << "_ is literal";
    EXPECT_EQ(p->list_assets({.kind = ap::AssetKind::Image, .name_contains = "sun"})->size(), 2u);
    auto page = p->list_assets({.limit = 2, .offset = 1});
    ASSERT_EQ(page->size(), 2u);
    EXPECT_EQ((*page)[0].uuid, order[1]);
    EXPECT_EQ((*page)[1].uuid, order[2]);
    EXPECT_EQ(*p->count_assets({.limit = 2, .offset = 4}), 1);
}

TEST(ProjectApi, RenameAndRemoveAsset) {
    TempDir dir;
    auto path = dir / "a.atelier";
    auto p = must_create(path);
    ASSERT_TRUE(p);
    ap::Asset a = make_asset("old.png");
    ap::AssetDerived d;
    d.thumbnail_png = {1, 2, 3};
    d.thumbnail_width = 2;
    d.thumbnail_height = 1;
    ASSERT_TRUE(p->insert_asset(a, d).ok());
    ASSERT_TRUE(p->rename_asset(a.uuid, "new.png").ok());
    EXPECT_EQ(raw_text(path, "SELECT name FROM assets"), "new.png");
    EXPECT_EQ(p->rename_asset(atelier::uuid_v7(), "x").error().code, ErrorCode::ProjectObjectNotFound);

    ASSERT_TRUE(p->remove_asset(a.uuid).ok());
    EXPECT_EQ(raw_int(path, "SELECT count(*) FROM assets"), 0);
    EXPECT_EQ(raw_int(path, "SELECT count(*) FROM thumbnails"), 0) << "derived rows go with the asset";
    EXPECT_EQ(p->remove_asset(a.uuid).error().code, ErrorCode::ProjectObjectNotFound);
}

TEST(ProjectApi, AssetOnATimelineCannotBeRemoved) {
    TempDir dir;
    auto path = dir / "a.atelier";
    auto p = must_create(path);
    ASSERT_TRUE(p);
    ap::Asset a = make_asset("shot.png");
    ASSERT_TRUE(p->insert_asset(a).ok());
    atelier::test::raw_exec(path, "INSERT INTO timelines VALUES ('t', 'T', 640, 480, 25, 1, 48000, 0);"
                                  "INSERT INTO tracks VALUES ('k', 't', 0, 'video', 'V', 0);"
                                  "INSERT INTO clips VALUES ('c', 'k', '" + a.uuid + "', 0, 1000, 0, '', '{}');");
    auto st = p->remove_asset(a.uuid);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, ErrorCode::InvalidArgument);
    EXPECT_FALSE(st.error().hint.empty());
    EXPECT_EQ(raw_int(path, "SELECT count(*) FROM assets"), 1);
}

TEST(ProjectApi, DerivedDataRoundTripAndVersioning) {
    TempDir dir;
    auto path = dir / "a.atelier";
    auto p = must_create(path);
    ASSERT_TRUE(p);
    ap::Asset a = make_asset("song.wav", ap::AssetKind::Audio);
    ap::AssetDerived d;
    d.thumbnail_png = {0x89, 'P', 'N', 'G', 0, 255};
    d.thumbnail_width = 160;
    d.thumbnail_height = 90;
    d.waveform = {-1.0f, 1.0f, -0.125f, 0.5f, 0.0f, 3.0e-8f};
    d.waveform_samples_per_bucket = 512;
    ASSERT_TRUE(p->insert_asset(a, d).ok());
    auto got = p->get_derived(a.uuid);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(got->thumbnail_png, d.thumbnail_png);
    EXPECT_EQ(got->thumbnail_width, 160);
    EXPECT_EQ(got->thumbnail_height, 90);
    EXPECT_EQ(got->waveform, d.waveform);  // exact: stored as float32
    EXPECT_EQ(got->waveform_samples_per_bucket, 512);
    EXPECT_EQ(*p->get_thumbnail(a.uuid), d.thumbnail_png);
    // The stored form is documented as little-endian float32 pairs: check the bytes directly.
    EXPECT_EQ(raw_text(path, "SELECT hex(substr(data, 1, 8)) FROM waveforms"), "000080BF0000803F");
    EXPECT_EQ(raw_int(path, "SELECT length(data) FROM waveforms"), 24);

    // Rows made by another version of the derived-data code are ignored (to be rebuilt).
    atelier::test::raw_exec(path, "UPDATE thumbnails SET derived_version = derived_version + 1");
    EXPECT_TRUE(p->get_thumbnail(a.uuid)->empty());
    EXPECT_TRUE(p->get_derived(a.uuid)->thumbnail_png.empty());
    EXPECT_TRUE(p->get_thumbnail(atelier::uuid_v7())->empty());
}

TEST(ProjectApi, AssetFilePaths) {
    TempDir dir;
    auto p = must_create(dir / "movie.atelier");
    ASSERT_TRUE(p);
    ap::Asset a = make_asset("x.png");
    a.rel_path = "ab/abcdef.png";
    EXPECT_EQ(p->asset_file_path(a), dir / "movie.atelier-media" / "ab/abcdef.png");
    a.storage = ap::AssetStorage::External;
    a.rel_path = "/elsewhere/x.png";
    EXPECT_EQ(p->asset_file_path(a), std::filesystem::path("/elsewhere/x.png"));
    a.storage = ap::AssetStorage::Blob;
    EXPECT_TRUE(p->asset_file_path(a).empty());
    EXPECT_EQ(p->media_dir(), dir / "movie.atelier-media");
}

TEST(ProjectApi, AssetKindNames) {
    for (auto k : {ap::AssetKind::Image, ap::AssetKind::Audio, ap::AssetKind::Video, ap::AssetKind::Text,
                   ap::AssetKind::Other})
        EXPECT_EQ(ap::asset_kind_from_name(ap::asset_kind_name(k)), k);
    EXPECT_STREQ(ap::asset_kind_name(ap::AssetKind::Video), "video");
    EXPECT_FALSE(ap::asset_kind_from_name("invalid").has_value());
    EXPECT_FALSE(ap::asset_kind_from_name("Image").has_value());
}

TEST(ProjectApi, BlobsAreContentAddressedAndImmutable) {
    TempDir dir;
    auto path = dir / "b.atelier";
    auto p = must_create(path);
    ASSERT_TRUE(p);
    std::vector<uint8_t> bytes = {'h', 'e', 'l', 'l', 'o'};
    auto h1 = p->put_blob(bytes);
    ASSERT_TRUE(h1.ok());
    EXPECT_EQ(*h1, atelier::hash_bytes(bytes.data(), bytes.size()));
    EXPECT_EQ(*p->put_blob(bytes), *h1);
    EXPECT_EQ(raw_int(path, "SELECT count(*) FROM blobs"), 1) << "same bytes stored once";
    EXPECT_EQ(*p->get_blob(*h1), bytes);
    auto empty = p->put_blob({});
    ASSERT_TRUE(empty.ok());
    EXPECT_TRUE(p->get_blob(*empty)->empty());
    EXPECT_EQ(raw_int(path, "SELECT size_bytes FROM blobs WHERE hash = '" + *h1 + "'"), 5);
    EXPECT_EQ(p->get_blob(std::string(32, '0')).error().code, ErrorCode::ProjectObjectNotFound);
    // The trigger refuses updates, whoever tries.
    sqlite3* db = p->raw_handle();
    EXPECT_NE(sqlite3_exec(db, "UPDATE blobs SET data = x'00'", nullptr, nullptr, nullptr), SQLITE_OK);
    EXPECT_EQ(*p->get_blob(*h1), bytes);
}

TEST(ProjectApi, ReadOnlyConnectionReadsButNeverWrites) {
    TempDir dir;
    auto path = dir / "r.atelier";
    auto writer = must_create(path);
    ASSERT_TRUE(writer);
    ap::Asset a = make_asset("a.png");
    ASSERT_TRUE(writer->insert_asset(a).ok());
    auto reader = ap::Project::open(path, {.read_only = true});
    ASSERT_TRUE(reader.ok()) << reader.error().message();
    EXPECT_TRUE((*reader)->read_only());
    EXPECT_EQ((*reader)->get_asset(a.uuid)->name, "a.png");
    // A later commit by the writer is visible to the reader (WAL).
    ap::Asset b = make_asset("b.png");
    ASSERT_TRUE(writer->insert_asset(b).ok());
    EXPECT_EQ(*(*reader)->count_assets(), 2);
    auto st = (*reader)->insert_asset(make_asset("c.png"));
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, ErrorCode::ProjectReadOnly);
    EXPECT_EQ((*reader)->set_setting("k", "1").error().code, ErrorCode::ProjectReadOnly);
    EXPECT_EQ(sqlite3_db_readonly((*reader)->raw_handle(), "main"), 1);
    EXPECT_EQ(*writer->count_assets(), 2);
}

TEST(ProjectApi, SaveAsCopiesDatabaseAndMedia) {
    TempDir dir;
    auto path = dir / "src.atelier";
    auto p = must_create(path, "Source");
    ASSERT_TRUE(p);
    ap::Asset a = make_asset("pic.png");
    ASSERT_TRUE(p->insert_asset(a).ok());
    std::filesystem::create_directories(p->media_dir() / "aa");
    atelier::test::write_bytes(p->media_dir() / "aa" / "pic.png", "pixels");

    auto dest = dir / "copy.atelier";
    ASSERT_TRUE(p->save_as(dest).ok());
    EXPECT_EQ(atelier::test::read_bytes(dir / "copy.atelier-media" / "aa" / "pic.png"), "pixels");
    EXPECT_EQ(raw_text(dest, "PRAGMA integrity_check"), "ok");
    EXPECT_EQ(raw_text(dest, "PRAGMA journal_mode"), "wal");
    EXPECT_EQ(raw_int(dest, "PRAGMA application_id"), ap::kApplicationId);
    {
        auto copy = ap::Project::open(dest);
        ASSERT_TRUE(copy.ok()) << copy.error().message();
        EXPECT_EQ((*copy)->get_asset(a.uuid)->name, "pic.png");
        EXPECT_EQ((*copy)->info()->name, "Source");
    }
    // The original keeps working; the copy is independent of it.
    ASSERT_TRUE(p->insert_asset(make_asset("later.png")).ok());
    EXPECT_EQ(raw_int(dest, "SELECT count(*) FROM assets"), 1);
    // Never overwrites, and leaves no temporary files.
    EXPECT_EQ(p->save_as(dest).error().code, ErrorCode::AlreadyExists);
    for (const auto& [name, bytes] : atelier::test::snapshot_folder(dir.path()))
        EXPECT_EQ(name.find(".saving-"), std::string::npos) << name;
}

TEST(ProjectApi, IntegrityCheckReportsOk) {
    TempDir dir;
    auto p = must_create(dir / "i.atelier");
    ASSERT_TRUE(p);
    auto r = p->integrity_check();
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, "ok");
}

TEST(ProjectApi, ConcurrentWritersFromManyThreadsAreSerialised) {
    TempDir dir;
    auto path = dir / "t.atelier";
    auto p = must_create(path);
    ASSERT_TRUE(p);
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 50; ++i) {
                if (!p->insert_asset(make_asset("t" + std::to_string(t) + "-" + std::to_string(i))).ok()) ++failures;
                if (!p->list_assets({.limit = 5}).ok()) ++failures;
            }
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(raw_int(path, "SELECT count(*) FROM assets"), 200);
    EXPECT_EQ(*p->integrity_check(), "ok");
}
