// Identity and health checks before a project is opened (STYLE §7 opening sequence, steps 2-3).
// Format facts used (https://www.sqlite.org/fileformat.html, "The Database Header"):
//   0..15 "SQLite format 3\0"; 16..17 page size (1 = 65536); 18..19 write/read version (2 = WAL);
//   24..27 file change counter; 28..31 size in pages (valid when 24..27 == 92..95);
//   60..63 user_version; 68..71 application_id; all big-endian.
// Invariant: nothing here writes (immutable=1 unless a -wal/-shm exists). Any thread.
#include "projects/file-identity.h"

#include <sqlite3.h>

#include <array>
#include <system_error>
#include <vector>

#include "core/log.h"
#include "projects/project.h"
#include "projects/sqlite-util.h"

namespace atelier::projects::detail {

namespace {

// Files up to this size get a full PRAGMA quick_check on open (about 6 ms per 20 MB when the
// file is in the page cache, measured on the CI machine). Larger files check only the
// canonical tables (a few ms for 10,000 assets); damage in the bulk tables (blobs, thumbnails,
// waveforms) then surfaces as ProjectCorrupt when that data is read, and integrity_check()
// finds it on demand.
constexpr int64_t kFullCheckMaxBytes = int64_t{64} << 20;
constexpr const char* kBulkTables[] = {"blobs", "thumbnails", "waveforms"};

uint32_t be32(const uint8_t* p) {
    return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

const std::string kNotAtelierHint =
    "Atelier opens only .atelier project files; choose another file, or create a new project. "
    "The file was not modified";

Error not_atelier(const std::filesystem::path& path, const std::string& why) {
    return make_error(ErrorCode::ProjectNotAtelier, path.string() + ": not an Atelier project (" + why + ")",
                      kNotAtelierHint);
}

Error corrupt(const std::filesystem::path& path, const std::string& why) {
    return make_error(ErrorCode::ProjectCorrupt, path.string() + ": " + why, hint_corrupt());
}

// Reads the first 100 bytes through the SQLite VFS rather than with open()/close(): closing a
// descriptor of a file drops every POSIX lock this process holds on it, including those of a
// connection already open on the same project (SQLite's VFS defers such closes).
// Returns false (and no error) when the file is shorter than a header.
Result<bool> read_header(const std::filesystem::path& path, const std::string& vfs_name, std::array<uint8_t, 100>& h) {
    sqlite3_vfs* vfs = sqlite3_vfs_find(vfs_name.empty() ? nullptr : vfs_name.c_str());
    if (vfs == nullptr)
        return make_error(ErrorCode::InvalidArgument, path.string() + ": no SQLite VFS named '" + vfs_name + "'");
    std::vector<char> full(static_cast<size_t>(vfs->mxPathname) + 1, '\0');
    int rc = vfs->xFullPathname(vfs, path.c_str(), vfs->mxPathname + 1, full.data());
    if (rc != SQLITE_OK) return sqlite_error(rc, nullptr, path, "resolving the path");
    sqlite3_filename name = sqlite3_create_filename(full.data(), "", "", 0, nullptr);
    std::vector<uint8_t> mem(static_cast<size_t>(vfs->szOsFile), 0);
    auto* file = reinterpret_cast<sqlite3_file*>(mem.data());
    int out_flags = 0;
    rc = name == nullptr ? SQLITE_NOMEM
                         : vfs->xOpen(vfs, name, file, SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_READONLY, &out_flags);
    sqlite3_int64 size = 0;
    if (rc == SQLITE_OK) rc = file->pMethods->xFileSize(file, &size);
    bool complete = rc == SQLITE_OK && size >= static_cast<sqlite3_int64>(h.size());
    if (complete) rc = file->pMethods->xRead(file, h.data(), static_cast<int>(h.size()), 0);
    if (file->pMethods != nullptr) file->pMethods->xClose(file);
    sqlite3_free_filename(name);
    if (rc != SQLITE_OK) return sqlite_error(rc, nullptr, path, "reading the header");
    return complete;
}

// Step A: identity and size from the header.
Status check_header(const std::filesystem::path& path, const std::string& vfs_name, int64_t size, bool has_wal) {
    std::array<uint8_t, 100> h{};
    ATELIER_TRY_ASSIGN(bool complete, read_header(path, vfs_name, h));
    if (!complete || std::string_view(reinterpret_cast<const char*>(h.data()), 16) != std::string_view("SQLite format 3\0", 16))
        return not_atelier(path, "not a SQLite database");
    uint32_t app_id = be32(&h[68]);
    if (app_id == 0) return not_atelier(path, "a SQLite database of another application, without an application id");
    if (app_id != static_cast<uint32_t>(kApplicationId))
        return not_atelier(path, strprintf("a SQLite database of another application (application_id 0x%08x)", app_id));
    uint32_t page_size = (uint32_t{h[16]} << 8) | h[17];
    if (page_size == 1) page_size = 65536;
    if (page_size < 512 || (page_size & (page_size - 1)) != 0)
        return corrupt(path, strprintf("invalid page size %u in the header", page_size));
    // With a -wal file present the main file may legitimately lag behind the header until the
    // WAL is checkpointed, so the size check is only exact without one.
    if (!has_wal) {
        uint32_t n_pages = be32(&h[28]);
        bool header_size_valid = n_pages != 0 && be32(&h[24]) == be32(&h[92]);
        int64_t expected = header_size_valid ? int64_t{n_pages} * page_size : 0;
        if (size % page_size != 0 || size < expected)
            return corrupt(path, strprintf("truncated: the header declares %lld bytes but the file has %lld",
                                           static_cast<long long>(expected), static_cast<long long>(size)));
    }
    return ok_status();
}

// Step B helpers: run on the inspection connection.
Status quick_check(const Db& db, int64_t size) {
    std::vector<std::string> targets;
    if (size <= kFullCheckMaxBytes) {
        targets.push_back("PRAGMA quick_check");
    } else {
        ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, "SELECT name FROM sqlite_schema WHERE type = 'table' "
                                                     "AND name NOT LIKE 'sqlite_%'"));
        for (;;) {
            ATELIER_TRY_ASSIGN(bool row, s.step());
            if (!row) break;
            std::string name = s.col_text(0);
            bool bulk = false;
            for (const char* b : kBulkTables) bulk = bulk || name == b;
            if (!bulk) targets.push_back("PRAGMA quick_check(\"" + name + "\")");
        }
    }
    for (const std::string& sql : targets) {
        Result<std::string> verdict = query_text(db, sql);
        if (!verdict.ok()) return verdict.error();
        if (std::string_view(*verdict) != "ok")
            return corrupt(db.path, "damaged (quick_check: " + verdict->substr(0, 200) + ")");
    }
    return ok_status();
}

Status check_inside(const Db& db, int64_t size, FileFacts& facts) {
    ATELIER_TRY_ASSIGN(int64_t app_id, query_int(db, "PRAGMA application_id"));
    if (app_id != kApplicationId) return not_atelier(db.path, "another application id");
    ATELIER_TRY_ASSIGN(int64_t version, query_int(db, "PRAGMA user_version"));
    if (version > kSchemaVersion)
        return make_error(ErrorCode::ProjectTooNew,
                          strprintf("%s: made by a newer Atelier (schema v%lld; this Atelier reads up to v%d)",
                                    db.path.string().c_str(), static_cast<long long>(version), kSchemaVersion),
                          "update Atelier to open it. The file was not modified");
    if (version < 1) return corrupt(db.path, "it has the Atelier id but no schema version");
    ATELIER_TRY_ASSIGN(int64_t has_project,
                       query_int(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'project'"));
    if (has_project != 1) return corrupt(db.path, "the project table is missing");
    ATELIER_TRY_ASSIGN(int64_t rows, query_int(db, "SELECT count(*) FROM project"));
    if (rows != 1) return corrupt(db.path, strprintf("the project table has %lld rows instead of 1", static_cast<long long>(rows)));
    ATELIER_TRY(quick_check(db, size));
    facts.schema_version = static_cast<int>(version);
    return ok_status();
}

// Errors from the inspection connection: anything SQLite-specific means the file is not sound.
Error inspection_error(Error e) {
    if (e.code == ErrorCode::ProjectSql) {
        e.code = ErrorCode::ProjectCorrupt;
        e.hint = hint_corrupt();
    }
    return e;
}

}  // namespace

bool sidecars_present(const std::filesystem::path& path) {
    std::error_code ec;
    return std::filesystem::exists(path.string() + "-wal", ec) || std::filesystem::exists(path.string() + "-shm", ec);
}

bool wal_file_present(const std::filesystem::path& path) {
    std::error_code ec;
    auto wal = std::filesystem::path(path.string() + "-wal");
    auto n = std::filesystem::file_size(wal, ec);
    return !ec && n > 0;
}

Result<FileFacts> inspect_project_file(const std::filesystem::path& path, const std::string& vfs_name) {
    std::error_code ec;
    auto st = std::filesystem::status(path, ec);
    if (ec || !std::filesystem::exists(st))
        return make_error(ErrorCode::ProjectNotFound, path.string() + ": no such file",
                          "check the path, or create a new project");
    if (std::filesystem::is_directory(st)) return not_atelier(path, "it is a folder");
    FileFacts facts;
    facts.size_bytes = static_cast<int64_t>(std::filesystem::file_size(path, ec));
    if (ec) return make_error(ErrorCode::IoError, path.string() + ": " + ec.message(), "check its permissions");
    // A zero-byte file is not a project: only Project::create() installs into one.
    if (facts.size_bytes == 0) return not_atelier(path, "the file is empty");
    facts.has_wal = wal_file_present(path);
    ATELIER_TRY(check_header(path, vfs_name, facts.size_bytes, facts.has_wal));

    // Without -wal/-shm files, immutable=1 reads the main file only and creates nothing beside
    // it. With them, the file is in use or was not closed cleanly: SQLite must read the WAL too
    // (it may hold the newest user_version), which needs the ordinary read-only mode.
    std::string uri = file_uri(path, sidecars_present(path) ? "mode=ro" : "mode=ro&immutable=1");
    sqlite3* handle = nullptr;
    int rc = sqlite3_open_v2(uri.c_str(), &handle, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI,
                             vfs_name.empty() ? nullptr : vfs_name.c_str());
    Db db{handle, path};
    Status inside = rc == SQLITE_OK ? check_inside(db, facts.size_bytes, facts)
                                    : Status(sqlite_error(rc, handle, path, "opening to inspect"));
    sqlite3_close_v2(handle);
    if (!inside.ok()) {
        ATELIER_LOG_INFO("refused %s", inside.error().message().c_str());
        return inspection_error(std::move(inside).error());
    }
    return facts;
}

}  // namespace atelier::projects::detail
