// File-system faults injected through test VFS shims (test-vfs.h): a full disk, a read-only
// file and a read-only folder. The VFS route is what makes the read-only cases testable as
// root (where chmod stops nothing); ProjectOpen.ReadOnly*AsOrdinaryUser use real permissions.
#include <gtest/gtest.h>

#include "core/uuid.h"
#include "projects/project.h"
#include "tests/projects/test-util.h"
#include "tests/projects/test-vfs.h"

namespace ap = atelier::projects;
using atelier::ErrorCode;
using atelier::test::fixture_copy;
using atelier::test::raw_int;
using atelier::test::raw_text;
using atelier::test::TempDir;

namespace {

ap::AssetDerived some_thumbnail(size_t n) {
    ap::AssetDerived d;
    d.thumbnail_png.assign(n, 0x5a);
    d.thumbnail_width = 32;
    d.thumbnail_height = 32;
    return d;
}

}  // namespace

TEST(ProjectFaults, DiskFullKeepsEverythingCommitted) {
    atelier::test::register_fault_vfs();
    TempDir dir;
    auto path = dir / "full.atelier";
    ASSERT_TRUE(ap::Project::create(path).ok());
    std::vector<std::string> committed;
    {
        atelier::test::set_write_budget(-1);
        auto p = ap::Project::open(path, {.vfs_name = atelier::test::kFullDiskVfs});
        ASSERT_TRUE(p.ok()) << p.error().message();
        atelier::test::set_write_budget(256 * 1024);  // the disk fills after 256 KiB more
        atelier::Status failure;
        for (int i = 0; i < 10000 && failure.ok(); ++i) {
            ap::Asset a = atelier::test::make_asset("fill-" + std::to_string(i) + ".png");
            failure = (*p)->insert_asset(a, some_thumbnail(3000));
            if (failure.ok()) committed.push_back(a.uuid);
        }
        ASSERT_FALSE(failure.ok()) << "the disk never filled";
        EXPECT_EQ(failure.error().code, ErrorCode::DiskFull) << failure.error().message();
        EXPECT_NE(failure.error().hint.find("space"), std::string::npos) << failure.error().hint;
        EXPECT_NE(failure.error().detail.find(path.string()), std::string::npos);
        EXPECT_GT(committed.size(), 5u);
        // Still readable, and the failed insert left nothing half-done.
        EXPECT_EQ(*(*p)->count_assets(), static_cast<int64_t>(committed.size()));
        EXPECT_EQ((*p)->set_setting("after.full", "1").error().code, ErrorCode::DiskFull);
    }  // closing cannot checkpoint (no space): the WAL stays, as SQLite intends
    atelier::test::set_write_budget(-1);

    // Reopen with the ordinary VFS: WAL recovery brings back every committed insert.
    auto p = ap::Project::open(path);
    ASSERT_TRUE(p.ok()) << p.error().message();
    EXPECT_EQ(*(*p)->integrity_check(), "ok");
    EXPECT_EQ(*(*p)->count_assets(), static_cast<int64_t>(committed.size()));
    for (const std::string& uuid : committed) ASSERT_TRUE((*p)->get_asset(uuid).ok()) << uuid;
    EXPECT_FALSE((*p)->get_setting("after.full")->has_value());
    p->reset();
    EXPECT_EQ(raw_text(path, "PRAGMA integrity_check"), "ok");
    EXPECT_EQ(raw_int(path, "SELECT count(*) FROM assets"), static_cast<int64_t>(committed.size()));
}

TEST(ProjectFaults, DiskFullWhileCreatingLeavesNothing) {
    atelier::test::register_fault_vfs();
    TempDir dir;
    atelier::test::set_write_budget(8 * 1024);  // not even the schema fits
    auto p = ap::Project::create(dir / "new.atelier", {}, {.vfs_name = atelier::test::kFullDiskVfs});
    atelier::test::set_write_budget(-1);
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.error().code, ErrorCode::DiskFull) << p.error().message();
    EXPECT_TRUE(atelier::test::snapshot_folder(dir.path()).empty()) << "no half-made project, no temporary file";
}

TEST(ProjectFaults, ReadOnlyFileThroughVfs) {
    atelier::test::register_fault_vfs();
    TempDir dir;
    auto path = fixture_copy(dir);
    auto before = atelier::test::snapshot_folder(dir.path());
    auto p = ap::Project::open(path, {.vfs_name = atelier::test::kReadOnlyVfs});
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.error().code, ErrorCode::ProjectReadOnly) << p.error().message();
    EXPECT_NE(p.error().hint.find("Save As"), std::string::npos);
    EXPECT_NE(p.error().detail.find(path.string()), std::string::npos);
    EXPECT_TRUE(atelier::test::snapshot_folder(dir.path()) == before) << "file or folder changed";
    // Opening it read-only works.
    auto reader = ap::Project::open(path, {.read_only = true, .vfs_name = atelier::test::kReadOnlyVfs});
    ASSERT_TRUE(reader.ok()) << reader.error().message();
    EXPECT_EQ(*(*reader)->count_assets(), 3);
    reader->reset();
    EXPECT_EQ(atelier::test::read_bytes(path), before["p.atelier"]);
}

TEST(ProjectFaults, ReadOnlyFolderThroughVfs) {
    atelier::test::register_fault_vfs();
    TempDir dir;
    auto path = fixture_copy(dir);
    auto before = atelier::test::snapshot_folder(dir.path());
    auto p = ap::Project::open(path, {.vfs_name = atelier::test::kReadOnlyFolderVfs});
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.error().code, ErrorCode::ProjectReadOnly) << p.error().message();
    EXPECT_NE(p.error().hint.find("Save As"), std::string::npos);
    EXPECT_TRUE(atelier::test::snapshot_folder(dir.path()) == before) << "no -wal/-shm may appear";
    // Read-only opening falls back to reading the file as immutable.
    auto reader = ap::Project::open(path, {.read_only = true, .vfs_name = atelier::test::kReadOnlyFolderVfs});
    ASSERT_TRUE(reader.ok()) << reader.error().message();
    EXPECT_EQ(*(*reader)->count_assets(), 3);
    reader->reset();
    EXPECT_TRUE(atelier::test::snapshot_folder(dir.path()) == before);
    // And a new project cannot be created there.
    auto created = ap::Project::create(dir / "new.atelier", {}, {.vfs_name = atelier::test::kReadOnlyFolderVfs});
    ASSERT_FALSE(created.ok());
    EXPECT_EQ(created.error().code, ErrorCode::ProjectReadOnly) << created.error().message();
    EXPECT_TRUE(atelier::test::snapshot_folder(dir.path()) == before);
}
