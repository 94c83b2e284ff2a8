// Internal to atelier_projects: a thin RAII layer over the SQLite C API (prepared statements,
// exec) and the one place that turns SQLite result codes into atelier::Error with the project
// path named and a hint. Not a public header: nothing outside projects/ includes it.
// Thread-safety: a Db/Stmt is used by one thread at a time (the Project's mutex guarantees it).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace atelier::projects::detail {

// A connection and the file it belongs to (for error messages).
struct Db {
    sqlite3* handle = nullptr;
    std::filesystem::path path;
};

// Maps a SQLite result code (extended or primary) to an Error naming `path`:
//   NOTADB/CORRUPT -> ProjectCorrupt, FULL -> DiskFull, READONLY/CANTOPEN/PERM -> ProjectReadOnly,
//   BUSY/LOCKED -> ProjectBusy, CONSTRAINT -> AlreadyExists / ProjectObjectNotFound /
//   InvalidArgument, NOMEM -> OutOfMemory, IOERR -> IoError, anything else -> ProjectSql.
// `what` says what was being done ("inserting asset 0190..."); the SQLite message is appended
// when `handle` is given.
Error sqlite_error(int rc, sqlite3* handle, const std::filesystem::path& path, std::string_view what);
inline Error sqlite_error(int rc, const Db& db, std::string_view what) {
    return sqlite_error(rc, db.handle, db.path, what);
}

// Hints shared by the open sequence and the error mapping.
std::string hint_corrupt();
std::string hint_read_only();

// Runs one or more statements that return no rows we need.
Status exec(const Db& db, std::string_view sql);

// A prepared statement. Bind indexes are 1-based, column indexes 0-based (as in SQLite).
class Stmt {
public:
    static Result<Stmt> prepare(const Db& db, std::string_view sql);
    Stmt(Stmt&& other) noexcept;
    Stmt& operator=(Stmt&&) = delete;
    Stmt(const Stmt&) = delete;
    ~Stmt();

    Stmt& bind(int i, int64_t v);
    Stmt& bind(int i, int v) { return bind(i, static_cast<int64_t>(v)); }
    Stmt& bind(int i, double v);
    Stmt& bind(int i, std::string_view v);
    Stmt& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
    Stmt& bind_blob(int i, const void* data, size_t size);
    Stmt& bind_null(int i);
    Stmt& bind_text_or_null(int i, std::string_view v);  // empty -> NULL

    // true: a row is ready; false: done. A failed step (or an earlier failed bind) is an Error.
    Result<bool> step();
    // Steps to completion, expecting no rows.
    Status run();
    Stmt& reset();  // for re-use with new bindings

    int64_t col_int(int i) const;
    double col_double(int i) const;
    std::string col_text(int i) const;  // NULL -> ""
    std::vector<uint8_t> col_blob(int i) const;
    bool col_is_null(int i) const;

private:
    Stmt(const Db& db, sqlite3_stmt* s) : db_(&db), s_(s) {}
    void note_bind(int rc);
    const Db* db_ = nullptr;
    sqlite3_stmt* s_ = nullptr;
    int bind_rc_ = 0;
};

// Single-value queries.
Result<int64_t> query_int(const Db& db, std::string_view sql);
Result<std::string> query_text(const Db& db, std::string_view sql);

// Number of rows changed by the last statement on `db`.
int64_t changes(const Db& db);

// Unix milliseconds now.
int64_t now_ms();

// "file:" URI for sqlite3_open_v2 with SQLITE_OPEN_URI, percent-encoding what needs it, plus
// the given query ("mode=ro&immutable=1"; may be empty).
std::string file_uri(const std::filesystem::path& path, std::string_view query);

}  // namespace atelier::projects::detail
