// SQLite helpers for atelier_projects: statements, exec and the result-code -> Error mapping.
// Invariant: every Error made here names the project file and carries a hint when the user can
// do something about it. Thread-safety: see sqlite-util.h (one thread per Db at a time).
#include "projects/sqlite-util.h"

#include <sqlite3.h>

#include <chrono>
#include <cstring>

namespace atelier::projects::detail {

std::string hint_corrupt() {
    return "the project file is damaged; Atelier did not modify it. Restore it from a backup, or "
           "open an older copy";
}

std::string hint_read_only() {
    return "the file or its folder cannot be written. Use Save As to keep a copy somewhere "
           "writable, or open the project read-only";
}

namespace {

ErrorCode constraint_code(int extended) {
    switch (extended) {
        case SQLITE_CONSTRAINT_PRIMARYKEY:
        case SQLITE_CONSTRAINT_UNIQUE: return ErrorCode::AlreadyExists;
        case SQLITE_CONSTRAINT_FOREIGNKEY: return ErrorCode::ProjectObjectNotFound;
        default: return ErrorCode::InvalidArgument;
    }
}

struct Mapped {
    ErrorCode code;
    std::string hint;
};

Mapped map_code(int rc) {
    switch (rc & 0xff) {
        case SQLITE_NOTADB:
        case SQLITE_CORRUPT: return {ErrorCode::ProjectCorrupt, hint_corrupt()};
        case SQLITE_FULL:
            return {ErrorCode::DiskFull,
                    "the disk is full. Free some space and try again; everything saved before is kept"};
        case SQLITE_READONLY:
        case SQLITE_CANTOPEN:
        case SQLITE_PERM: return {ErrorCode::ProjectReadOnly, hint_read_only()};
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
            return {ErrorCode::ProjectBusy,
                    "another program or Atelier window is using this project; close it and try again"};
        case SQLITE_CONSTRAINT:
            if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
                return {constraint_code(rc), "an object it refers to does not exist or is still in use"};
            return {constraint_code(rc), {}};
        case SQLITE_NOMEM: return {ErrorCode::OutOfMemory, "close other programs and try again"};
        case SQLITE_IOERR:
            return {ErrorCode::IoError, "the disk reported an error; check the drive, then try again"};
        default:
            return {ErrorCode::ProjectSql, "this is probably a bug in Atelier; please report it"};
    }
}

}  // namespace

Error sqlite_error(int rc, sqlite3* handle, const std::filesystem::path& path, std::string_view what) {
    Mapped m = map_code(rc);
    std::string detail = path.string();
    detail += ": ";
    detail += what;
    detail += ": ";
    if (handle != nullptr && sqlite3_errcode(handle) != SQLITE_OK)
        detail += sqlite3_errmsg(handle);
    else
        detail += sqlite3_errstr(rc);
    return make_error(m.code, std::move(detail), std::move(m.hint));
}

Status exec(const Db& db, std::string_view sql) {
    std::string text(sql);
    char* msg = nullptr;
    int rc = sqlite3_exec(db.handle, text.c_str(), nullptr, nullptr, &msg);
    if (msg != nullptr) sqlite3_free(msg);
    if (rc != SQLITE_OK) return sqlite_error(rc, db, "running " + text.substr(0, 60));
    return ok_status();
}

// ---- Stmt ------------------------------------------------------------------------------------

Result<Stmt> Stmt::prepare(const Db& db, std::string_view sql) {
    sqlite3_stmt* s = nullptr;
    int rc = sqlite3_prepare_v2(db.handle, sql.data(), static_cast<int>(sql.size()), &s, nullptr);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(s);
        return sqlite_error(rc, db, "preparing " + std::string(sql.substr(0, 60)));
    }
    return Stmt(db, s);
}

Stmt::Stmt(Stmt&& other) noexcept : db_(other.db_), s_(other.s_), bind_rc_(other.bind_rc_) {
    other.s_ = nullptr;
}

Stmt::~Stmt() {
    if (s_ != nullptr) sqlite3_finalize(s_);
}

void Stmt::note_bind(int rc) {
    if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
}

Stmt& Stmt::bind(int i, int64_t v) {
    note_bind(sqlite3_bind_int64(s_, i, v));
    return *this;
}

Stmt& Stmt::bind(int i, double v) {
    note_bind(sqlite3_bind_double(s_, i, v));
    return *this;
}

Stmt& Stmt::bind(int i, std::string_view v) {
    note_bind(sqlite3_bind_text64(s_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
    return *this;
}

Stmt& Stmt::bind_blob(int i, const void* data, size_t size) {
    // A zero-length blob must still be a blob, not NULL: give SQLite a valid pointer.
    static const char kEmpty = 0;
    note_bind(sqlite3_bind_blob64(s_, i, size == 0 ? &kEmpty : data, size, SQLITE_TRANSIENT));
    return *this;
}

Stmt& Stmt::bind_null(int i) {
    note_bind(sqlite3_bind_null(s_, i));
    return *this;
}

Stmt& Stmt::bind_text_or_null(int i, std::string_view v) {
    return v.empty() ? bind_null(i) : bind(i, v);
}

Result<bool> Stmt::step() {
    if (bind_rc_ != SQLITE_OK) return sqlite_error(bind_rc_, *db_, "binding a parameter");
    int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    const char* sql = sqlite3_sql(s_);
    return sqlite_error(rc, *db_, "running " + std::string(sql != nullptr ? sql : "").substr(0, 60));
}

Status Stmt::run() {
    for (;;) {
        ATELIER_TRY_ASSIGN(bool row, step());
        if (!row) return ok_status();
    }
}

Stmt& Stmt::reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
    bind_rc_ = SQLITE_OK;
    return *this;
}

int64_t Stmt::col_int(int i) const { return sqlite3_column_int64(s_, i); }
double Stmt::col_double(int i) const { return sqlite3_column_double(s_, i); }
bool Stmt::col_is_null(int i) const { return sqlite3_column_type(s_, i) == SQLITE_NULL; }

std::string Stmt::col_text(int i) const {
    const unsigned char* p = sqlite3_column_text(s_, i);
    if (p == nullptr) return {};
    return std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(s_, i)));
}

std::vector<uint8_t> Stmt::col_blob(int i) const {
    const auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(s_, i));
    int n = sqlite3_column_bytes(s_, i);
    if (p == nullptr || n <= 0) return {};
    return std::vector<uint8_t>(p, p + n);
}

// ---- small helpers -----------------------------------------------------------------------------

Result<int64_t> query_int(const Db& db, std::string_view sql) {
    ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, sql));
    ATELIER_TRY_ASSIGN(bool row, s.step());
    return row ? s.col_int(0) : int64_t{0};
}

Result<std::string> query_text(const Db& db, std::string_view sql) {
    ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, sql));
    ATELIER_TRY_ASSIGN(bool row, s.step());
    return row ? s.col_text(0) : std::string();
}

int64_t changes(const Db& db) { return sqlite3_changes64(db.handle); }

int64_t now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string file_uri(const std::filesystem::path& path, std::string_view query) {
    static const char* kHex = "0123456789ABCDEF";
    std::error_code ec;
    std::filesystem::path full = std::filesystem::absolute(path, ec);
    std::string abs = (ec ? path : full).lexically_normal().string();
    std::string uri = "file:";
    for (unsigned char c : abs) {
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     std::strchr("/-._~", c) != nullptr;
        if (plain) {
            uri += static_cast<char>(c);
        } else {
            uri += '%';
            uri += kHex[c >> 4];
            uri += kHex[c & 15];
        }
    }
    if (!query.empty()) {
        uri += '?';
        uri += query;
    }
    return uri;
}

}  // namespace atelier::projects::detail
