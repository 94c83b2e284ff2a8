// Helpers for the projects tests (see test-util.h): temporary folders, snapshots, fixtures and
// raw SQLite access that bypasses atelier_projects. Thread-safety: test-thread only.
#include "tests/projects/test-util.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "core/uuid.h"

namespace atelier::test {

TempDir::TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string templ = std::string(base != nullptr && *base != 0 ? base : "/tmp") + "/atelier-projects-XXXXXX";
    char* made = ::mkdtemp(templ.data());
    if (made == nullptr) ADD_FAILURE() << "mkdtemp failed for " << templ;
    path_ = templ;
}

TempDir::~TempDir() {
    std::error_code ec;
    // Tests may leave folders read-only; give write permission back before removing.
    for (auto it = std::filesystem::recursive_directory_iterator(path_, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
        if (it->is_directory(ec)) std::filesystem::permissions(it->path(), std::filesystem::perms::owner_all,
                                                               std::filesystem::perm_options::add, ec);
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all, std::filesystem::perm_options::add, ec);
    std::filesystem::remove_all(path_, ec);
}

std::string read_bytes(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    ASSERT_TRUE(out.good()) << path;
}

FolderSnapshot snapshot_folder(const std::filesystem::path& dir) {
    FolderSnapshot snap;
    for (const auto& entry : std::filesystem::directory_iterator(dir))
        snap[entry.path().filename().string()] = entry.is_regular_file() ? read_bytes(entry.path()) : "<not a file>";
    return snap;
}

std::filesystem::path fixture_path(const std::string& name) {
    return std::filesystem::path(ATELIER_TEST_DATA_DIR) / "projects" / "fixtures" / name;
}

void copy_file(const std::filesystem::path& from, const std::filesystem::path& to) {
    std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing);
}

std::filesystem::path fixture_copy(const TempDir& dir, const std::string& name, int version) {
    auto path = dir / name;
    atelier::test::copy_file(fixture_path("v" + std::to_string(version) + ".atelier"), path);
    return path;
}

namespace {

sqlite3* raw_open(const std::filesystem::path& db, int extra_flags = 0) {
    sqlite3* h = nullptr;
    int rc = sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READWRITE | extra_flags, nullptr);
    if (rc != SQLITE_OK) ADD_FAILURE() << "raw open " << db << ": " << sqlite3_errstr(rc);
    return h;
}

template <class F>
void raw_query(const std::filesystem::path& db, const std::string& sql, F&& on_row) {
    sqlite3* h = raw_open(db);
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(h, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) {
        ADD_FAILURE() << "raw prepare " << sql << ": " << sqlite3_errmsg(h);
    } else if (int rc = sqlite3_step(s); rc == SQLITE_ROW) {
        on_row(s);
    } else if (rc != SQLITE_DONE) {
        ADD_FAILURE() << "raw step " << sql << ": " << sqlite3_errmsg(h);
    }
    sqlite3_finalize(s);
    sqlite3_close(h);
}

}  // namespace

int64_t raw_int(const std::filesystem::path& db, const std::string& sql) {
    int64_t v = -1;
    raw_query(db, sql, [&](sqlite3_stmt* s) { v = sqlite3_column_int64(s, 0); });
    return v;
}

std::string raw_text(const std::filesystem::path& db, const std::string& sql) {
    std::string v;
    raw_query(db, sql, [&](sqlite3_stmt* s) {
        const unsigned char* t = sqlite3_column_text(s, 0);
        v = t != nullptr ? reinterpret_cast<const char*>(t) : "";
    });
    return v;
}

void raw_create(const std::filesystem::path& db, const std::string& sql) {
    sqlite3_close(raw_open(db, SQLITE_OPEN_CREATE));
    raw_exec(db, sql);
}

void raw_exec(const std::filesystem::path& db, const std::string& sql) {
    sqlite3* h = raw_open(db);
    char* msg = nullptr;
    if (sqlite3_exec(h, sql.c_str(), nullptr, nullptr, &msg) != SQLITE_OK)
        ADD_FAILURE() << "raw exec " << sql << ": " << (msg != nullptr ? msg : "?");
    sqlite3_free(msg);
    sqlite3_close(h);
}

projects::Asset make_asset(const std::string& name, projects::AssetKind kind) {
    projects::Asset a;
    a.uuid = uuid_v7();
    a.kind = kind;
    a.name = name;
    a.content_hash = std::string(32, 'a');
    a.size_bytes = 1234;
    a.storage = projects::AssetStorage::MediaFile;
    a.rel_path = "aa/" + name;
    a.source_path = "/import/" + name;
    a.mime = "image/png";
    a.container = "png_pipe";
    a.width = 64;
    a.height = 48;
    a.metadata_json = "{\"streams\":1}";
    return a;
}

bool running_as_root() { return ::geteuid() == 0; }

}  // namespace atelier::test
