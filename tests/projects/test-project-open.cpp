// The opening sequence against bad input (issue 2, Tests): each case must give the right
// ErrorCode, a hint and the file's path, and leave the folder byte-for-byte as it was (no
// -wal/-shm/-lock left behind). Also: zero-byte files, a second writer, stale lock files.
// Decision (documented in project.h): a zero-byte file is "not a project"; only create() uses it.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <random>

#include "projects/project.h"
#include "tests/projects/test-util.h"

namespace ap = atelier::projects;
using atelier::ErrorCode;
using atelier::test::fixture_copy;
using atelier::test::raw_exec;
using atelier::test::raw_int;
using atelier::test::TempDir;

namespace {

// Opens `file` (writer, then reader) and expects a refusal with `code` whose hint contains
// `hint_word`; the folder must be exactly as before.
void expect_refused(const std::filesystem::path& file, ErrorCode code, const std::string& hint_word,
                    bool also_read_only = true) {
    auto before = atelier::test::snapshot_folder(file.parent_path());
    for (bool read_only : {false, true}) {
        if (read_only && !also_read_only) continue;
        auto r = ap::Project::open(file, {.read_only = read_only});
        ASSERT_FALSE(r.ok()) << file << " opened (read_only=" << read_only << ")";
        EXPECT_EQ(r.error().code, code) << r.error().message();
        EXPECT_NE(r.error().detail.find(file.string()), std::string::npos) << r.error().detail;
        EXPECT_NE(r.error().hint.find(hint_word), std::string::npos) << "hint: " << r.error().hint;
        auto after = atelier::test::snapshot_folder(file.parent_path());
        EXPECT_EQ(after.size(), before.size()) << "files appeared or vanished (read_only=" << read_only << ")";
        EXPECT_TRUE(after == before) << file << " or its folder changed (read_only=" << read_only << ")";
    }
}

std::string random_bytes(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::string s(n, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    return s;
}

}  // namespace

TEST(ProjectOpen, MissingFileIsNotFound) {
    TempDir dir;
    auto r = ap::Project::open(dir / "nothing.atelier");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::ProjectNotFound);
    EXPECT_FALSE(r.error().hint.empty());
    EXPECT_TRUE(atelier::test::snapshot_folder(dir.path()).empty());
}

TEST(ProjectOpen, RandomBytesAreNotAProject) {
    TempDir dir;
    atelier::test::write_bytes(dir / "noise.atelier", random_bytes(8192, 7));
    expect_refused(dir / "noise.atelier", ErrorCode::ProjectNotAtelier, "not modified");
}

TEST(ProjectOpen, PngIsNotAProject) {
    TempDir dir;
    std::string png("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89", 33);
    png += random_bytes(200, 3);
    atelier::test::write_bytes(dir / "picture.png", png);
    expect_refused(dir / "picture.png", ErrorCode::ProjectNotAtelier, "not modified");
}

TEST(ProjectOpen, ZeroByteFileIsNotAProject) {
    TempDir dir;
    atelier::test::write_bytes(dir / "empty.atelier", "");
    expect_refused(dir / "empty.atelier", ErrorCode::ProjectNotAtelier, "create a new project");
}

TEST(ProjectOpen, FolderIsNotAProject) {
    TempDir dir;
    std::filesystem::create_directory(dir / "folder.atelier");
    auto r = ap::Project::open(dir / "folder.atelier");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::ProjectNotAtelier);
}

TEST(ProjectOpen, OtherApplicationsSqliteIsNotAProject) {
    TempDir dir;
    // No application_id at all (0), its own tables, rollback journal.
    auto notes = dir / "notes.db";
    atelier::test::raw_create(notes, "CREATE TABLE notes(id INTEGER PRIMARY KEY, text TEXT);"
                                     "INSERT INTO notes(text) VALUES ('remember the milk');");
    expect_refused(notes, ErrorCode::ProjectNotAtelier, "not modified");
}

TEST(ProjectOpen, ForeignApplicationIdIsNotAProject) {
    TempDir dir;
    // Another application's id, WAL mode, even tables named like ours and our extension.
    auto other = dir / "other.atelier";
    atelier::test::raw_create(other, "PRAGMA journal_mode = WAL; PRAGMA application_id = 0x4D504B47;"
                                     "PRAGMA user_version = 1; CREATE TABLE project(x); CREATE TABLE assets(y);");
    ASSERT_EQ(raw_int(other, "PRAGMA application_id"), 0x4D504B47);
    expect_refused(other, ErrorCode::ProjectNotAtelier, "not modified");
    auto r = ap::Project::open(other);
    EXPECT_NE(r.error().detail.find("0x4d504b47"), std::string::npos) << r.error().detail;
}

TEST(ProjectOpen, NewerSchemaIsRefused) {
    TempDir dir;
    auto path = fixture_copy(dir);
    raw_exec(path, "PRAGMA user_version = 99");
    ASSERT_EQ(raw_int(path, "PRAGMA user_version"), 99);
    expect_refused(path, ErrorCode::ProjectTooNew, "update Atelier");
    auto r = ap::Project::open(path);
    EXPECT_NE(r.error().detail.find("newer Atelier"), std::string::npos);
}

TEST(ProjectOpen, TruncatedProjectIsCorrupt) {
    TempDir dir;
    auto path = fixture_copy(dir);
    std::filesystem::resize_file(path, std::filesystem::file_size(path) / 2);
    expect_refused(path, ErrorCode::ProjectCorrupt, "backup");
}

TEST(ProjectOpen, TruncatedMidPageIsCorrupt) {
    TempDir dir;
    auto path = fixture_copy(dir);
    std::filesystem::resize_file(path, std::filesystem::file_size(path) - 1000);
    expect_refused(path, ErrorCode::ProjectCorrupt, "backup");
}

TEST(ProjectOpen, OverwrittenMiddlePagesAreCorrupt) {
    TempDir dir;
    auto path = fixture_copy(dir);
    std::string bytes = atelier::test::read_bytes(path);
    const size_t page = static_cast<size_t>(raw_int(path, "PRAGMA page_size"));
    const size_t n_pages = bytes.size() / page;
    ASSERT_GE(n_pages, 6u);
    std::string noise = random_bytes(3 * page, 11);
    bytes.replace((n_pages / 2 - 1) * page, noise.size(), noise);
    atelier::test::write_bytes(path, bytes);
    expect_refused(path, ErrorCode::ProjectCorrupt, "backup");
}

TEST(ProjectOpen, DamagedAssetsTableIsCorrupt) {
    TempDir dir;
    auto path = fixture_copy(dir);
    // Where the assets table lives, asked from SQLite itself.
    const int64_t root = raw_int(path, "SELECT rootpage FROM sqlite_schema WHERE name = 'assets'");
    const size_t page = static_cast<size_t>(raw_int(path, "PRAGMA page_size"));
    ASSERT_GT(root, 1);
    std::string bytes = atelier::test::read_bytes(path);
    std::string zeros(page, '\0');
    bytes.replace(static_cast<size_t>(root - 1) * page, page, zeros);
    atelier::test::write_bytes(path, bytes);
    expect_refused(path, ErrorCode::ProjectCorrupt, "backup");
}

TEST(ProjectOpen, DamagedHeaderIsCorrupt) {
    TempDir dir;
    auto path = fixture_copy(dir);
    std::string bytes = atelier::test::read_bytes(path);
    bytes[16] = 0x03;  // page size 768: not a power of two
    bytes[17] = 0x00;
    atelier::test::write_bytes(path, bytes);
    expect_refused(path, ErrorCode::ProjectCorrupt, "backup");
}

// Runs `body` as an ordinary user. As root (CI, containers), where permissions stop nothing, the
// folder is handed to `nobody` and the body runs in a forked child that dropped to that user,
// so real file permissions are exercised rather than skipped.
void as_ordinary_user(const std::filesystem::path& dir, const std::function<void()>& body) {
    if (!atelier::test::running_as_root()) {
        body();
        return;
    }
    const uid_t nobody = 65534;
    for (auto& e : std::filesystem::recursive_directory_iterator(dir)) ASSERT_EQ(::chown(e.path().c_str(), nobody, nobody), 0);
    ASSERT_EQ(::chown(dir.c_str(), nobody, nobody), 0);
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        if (::setgid(nobody) != 0 || ::setuid(nobody) != 0) ::_exit(3);
        body();
        std::fflush(nullptr);
        ::_exit(::testing::Test::HasFailure() ? 1 : 0);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "the checks run as user nobody failed (see output above)";
    ASSERT_EQ(::chown(dir.c_str(), 0, 0), 0);  // let the TempDir clean up
}

TEST(ProjectOpen, ReadOnlyFileAsOrdinaryUser) {
    TempDir dir;
    auto path = fixture_copy(dir);
    std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::group_read |
                                           std::filesystem::perms::others_read);
    as_ordinary_user(dir.path(), [&] {
        expect_refused(path, ErrorCode::ProjectReadOnly, "Save As", false);
        auto reader = ap::Project::open(path, {.read_only = true});
        ASSERT_TRUE(reader.ok()) << reader.error().message();
        EXPECT_EQ(*(*reader)->count_assets(), 3);
    });
}

TEST(ProjectOpen, ReadOnlyFolderAsOrdinaryUser) {
    TempDir dir;
    auto path = fixture_copy(dir);
    as_ordinary_user(dir.path(), [&] {
        std::filesystem::permissions(dir.path(), std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
        expect_refused(path, ErrorCode::ProjectReadOnly, "Save As", false);
        auto reader = ap::Project::open(path, {.read_only = true});
        ASSERT_TRUE(reader.ok()) << reader.error().message();
        EXPECT_EQ(*(*reader)->count_assets(), 3);
        reader->reset();
        EXPECT_EQ(atelier::test::snapshot_folder(dir.path()).size(), 1u);
        std::filesystem::permissions(dir.path(), std::filesystem::perms::owner_all);
    });
}

TEST(ProjectOpen, SecondWriterIsBusyButReadersAreWelcome) {
    TempDir dir;
    auto path = fixture_copy(dir);
    auto first = ap::Project::open(path);
    ASSERT_TRUE(first.ok()) << first.error().message();
    EXPECT_TRUE(std::filesystem::exists(path.string() + "-lock"));
    auto second = ap::Project::open(path);
    ASSERT_FALSE(second.ok());
    EXPECT_EQ(second.error().code, ErrorCode::ProjectBusy);
    EXPECT_NE(second.error().hint.find("read-only"), std::string::npos);
    auto reader = ap::Project::open(path, {.read_only = true});
    ASSERT_TRUE(reader.ok()) << reader.error().message();
    EXPECT_EQ(*(*reader)->count_assets(), 3);
    ASSERT_TRUE((*first)->insert_asset(atelier::test::make_asset("new.png")).ok());
    EXPECT_EQ(*(*reader)->count_assets(), 4);
    first->reset();
    EXPECT_FALSE(std::filesystem::exists(path.string() + "-lock")) << "the lock file goes with the writer";
    auto again = ap::Project::open(path);
    EXPECT_TRUE(again.ok()) << again.error().message();
}

TEST(ProjectOpen, StaleLockFileFromACrashIsIgnored) {
    TempDir dir;
    auto path = fixture_copy(dir);
    atelier::test::write_bytes(path.string() + "-lock", "");  // nobody holds a lock on it
    auto p = ap::Project::open(path);
    ASSERT_TRUE(p.ok()) << p.error().message();
    p->reset();
    EXPECT_FALSE(std::filesystem::exists(path.string() + "-lock"));
}
