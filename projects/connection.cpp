// The opening sequence and file creation for .atelier projects (STYLE §7, ARCHITECTURE §5).
// Invariants: identity is decided before anything is written; a refused file is never touched;
// a new project appears at its path only complete (built under a temporary name, then moved).
// Thread-safety: Connection objects are used under their Project's mutex.
#include "projects/connection.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>

#include "core/log.h"
#include "core/uuid.h"
#include "projects/file-identity.h"
#include "projects/migrations.h"
#include "projects/sqlite-util.h"

namespace atelier::projects::detail {

namespace {

std::filesystem::path folder_of(const std::filesystem::path& path) {
    std::filesystem::path dir = path.parent_path();
    return dir.empty() ? std::filesystem::path(".") : dir;
}

void remove_with_sidecars(const std::filesystem::path& file) {
    std::error_code ec;
    for (const char* suffix : {"", "-journal", "-wal", "-shm"}) std::filesystem::remove(file.string() + suffix, ec);
}

Error read_only_error(const std::filesystem::path& path, const std::string& why) {
    return make_error(ErrorCode::ProjectReadOnly, path.string() + ": " + why, hint_read_only());
}

// access(2) catches permissions for ordinary users and read-only mounts. It says yes to root
// everywhere, so the SQLite-level checks after it (sqlite3_db_readonly, READONLY/CANTOPEN
// errors) remain the real guard.
Status check_writable(const std::filesystem::path& path) {
    if (::access(path.c_str(), W_OK) != 0) return read_only_error(path, "the file is read-only");
    std::filesystem::path dir = folder_of(path);
    if (::access(dir.c_str(), W_OK) != 0)
        return read_only_error(path, "its folder " + dir.string() + " is read-only (SQLite needs to create "
                                     "the -wal and -shm files beside the project)");
    return ok_status();
}

// The writer lock: flock on "<path>-lock". Deleted on release; a holder verifies that the file
// it locked is still the one at that path (a releasing writer may have just unlinked it).
Result<int> acquire_writer_lock(const std::filesystem::path& path) {
    const std::string lock_path = path.string() + "-lock";
    for (int attempt = 0; attempt < 8; ++attempt) {
        int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) {
            if (errno == EACCES || errno == EROFS || errno == EPERM)
                return read_only_error(path, "cannot create " + lock_path);
            return make_error(ErrorCode::IoError, path.string() + ": cannot create " + lock_path + ": " +
                                                      std::strerror(errno), "check the folder's permissions");
        }
        if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
            ::close(fd);
            return make_error(ErrorCode::ProjectBusy, path.string() + ": already open for writing elsewhere",
                              "another Atelier window or process has this project open; close it there, or "
                              "open this one read-only");
        }
        struct stat held {}, named {};
        if (::fstat(fd, &held) == 0 && ::stat(lock_path.c_str(), &named) == 0 && held.st_ino == named.st_ino &&
            held.st_dev == named.st_dev)
            return fd;
        ::close(fd);  // raced with a releasing writer; take the new file
    }
    return make_error(ErrorCode::ProjectBusy, path.string() + ": could not take the writer lock",
                      "try again in a moment");
}

void release_writer_lock(const std::filesystem::path& db_path, int fd) {
    if (fd < 0) return;
    ::unlink((db_path.string() + "-lock").c_str());
    ::close(fd);
}

// Jobs, generations and streaming messages left by a dead writer become interrupted. A message
// keeps the text committed while it streamed. Each UPDATE is idempotent, so a crash between them
// is finished by the next open.
Status mark_interrupted(const Db& db, int& count, int& messages) {
    ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, "UPDATE jobs SET state = 'interrupted', finished_at_ms = ? "
                                                 "WHERE state IN ('queued', 'running', 'cancelling')"));
    s.bind(1, now_ms());
    ATELIER_TRY(s.run());
    count = static_cast<int>(changes(db));
    if (count > 0) ATELIER_LOG_INFO("%s: %d job(s) marked interrupted", db.path.string().c_str(), count);
    ATELIER_TRY(exec(db, "UPDATE generations SET status = 'interrupted' WHERE status IN ('queued', 'running', 'cancelling')"));
    ATELIER_TRY(exec(db, "UPDATE messages SET state = 'interrupted' WHERE state = 'streaming'"));
    messages = static_cast<int>(changes(db));
    if (messages > 0) ATELIER_LOG_INFO("%s: %d streaming message(s) marked interrupted", db.path.string().c_str(), messages);
    return ok_status();
}

// Writer set-up after the file was opened read-write: migrate, then the connection settings.
Status prepare_writer(const Db& db, int schema_version, int& interrupted, int& interrupted_messages) {
    if (sqlite3_db_readonly(db.handle, "main") == 1) return read_only_error(db.path, "the file cannot be written");
    if (schema_version < kSchemaVersion)
        ATELIER_TRY(run_migrations(db.handle, db.path, schema_version, kSchemaVersion));
    ATELIER_TRY_ASSIGN(std::string mode, query_text(db, "PRAGMA journal_mode = WAL"));
    if (mode != "wal")
        return make_error(ErrorCode::ProjectSql, db.path.string() + ": could not switch to WAL (journal_mode " + mode + ")",
                          "the file system may not support shared memory; move the project to a local disk");
    ATELIER_TRY(exec(db, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON"));
    return mark_interrupted(db, interrupted, interrupted_messages);
}

Result<sqlite3*> try_open_reader(const std::filesystem::path& path, const char* query, const std::string& vfs) {
    sqlite3* h = nullptr;
    int rc = sqlite3_open_v2(file_uri(path, query).c_str(), &h, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI,
                             vfs.empty() ? nullptr : vfs.c_str());
    if (rc == SQLITE_OK) {
        configure_common(h);
        auto probe = query_int(Db{h, path}, "SELECT count(*) FROM project");  // first read: opens the WAL
        if (probe.ok()) return h;
        Error e = probe.error();
        sqlite3_close_v2(h);
        return e;
    }
    Error e = sqlite_error(rc, h, path, "opening read-only");
    sqlite3_close_v2(h);
    return e;
}

// Read-only connections (jobs, or a user's "open read-only") never write. When the folder is
// not writable and no -wal/-shm exist, SQLite cannot create its shared-memory file; then the
// file is read as immutable (nothing can be writing it without creating those files).
Result<sqlite3*> open_reader_handle(const std::filesystem::path& path, const std::string& vfs) {
    auto r = try_open_reader(path, "mode=ro", vfs);
    if (r.ok() || r.error().code != ErrorCode::ProjectReadOnly || sidecars_present(path)) return r;
    return try_open_reader(path, "mode=ro&immutable=1", vfs);
}

}  // namespace

void configure_common(sqlite3* handle) {
    sqlite3_extended_result_codes(handle, 1);
    sqlite3_busy_timeout(handle, 5000);
}

Connection::Connection(Connection&& other) noexcept
    : path_(std::move(other.path_)),
      handle_(std::exchange(other.handle_, nullptr)),
      lock_fd_(std::exchange(other.lock_fd_, -1)),
      read_only_(other.read_only_),
      interrupted_(other.interrupted_),
      interrupted_messages_(other.interrupted_messages_) {}

Connection& Connection::operator=(Connection&& other) noexcept {
    if (this != &other) {
        close();
        path_ = std::move(other.path_);
        handle_ = std::exchange(other.handle_, nullptr);
        lock_fd_ = std::exchange(other.lock_fd_, -1);
        read_only_ = other.read_only_;
        interrupted_ = other.interrupted_;
        interrupted_messages_ = other.interrupted_messages_;
    }
    return *this;
}

Connection::~Connection() { close(); }

void Connection::close() {
    if (handle_ != nullptr) {
        int rc = sqlite3_close_v2(handle_);
        if (rc != SQLITE_OK) ATELIER_LOG_WARN("%s: close failed: %s", path_.string().c_str(), sqlite3_errstr(rc));
        handle_ = nullptr;
    }
    release_writer_lock(path_, lock_fd_);  // after the close: SQLite no longer uses the file
    lock_fd_ = -1;
}

Result<Connection> Connection::open(const std::filesystem::path& path, const OpenOptions& opts) {
    ATELIER_TRY_ASSIGN(FileFacts facts, inspect_project_file(path, opts.vfs_name));
    Connection c;
    c.path_ = path;
    c.read_only_ = opts.read_only;
    if (opts.read_only) {
        if (facts.schema_version < kSchemaVersion)
            return read_only_error(path, "schema v" + std::to_string(facts.schema_version) +
                                             " must be upgraded before it can be read; open it for writing once");
        ATELIER_TRY_ASSIGN(c.handle_, open_reader_handle(path, opts.vfs_name));
        ATELIER_TRY(exec(Db{c.handle_, path}, "PRAGMA query_only = 1"));
        return c;
    }
    ATELIER_TRY(check_writable(path));
    ATELIER_TRY_ASSIGN(c.lock_fd_, acquire_writer_lock(path));  // from here on, c's destructor cleans up
    int rc = sqlite3_open_v2(path.c_str(), &c.handle_, SQLITE_OPEN_READWRITE,
                             opts.vfs_name.empty() ? nullptr : opts.vfs_name.c_str());
    if (rc != SQLITE_OK) return sqlite_error(rc, c.handle_, path, "opening for writing");
    configure_common(c.handle_);
    Status st = prepare_writer(Db{c.handle_, path}, facts.schema_version, c.interrupted_, c.interrupted_messages_);
    if (!st.ok()) return std::move(st).error();
    return c;
}

Status Connection::create_file(const std::filesystem::path& path, std::string_view name, const std::string& vfs_name) {
    std::error_code ec;
    auto st = std::filesystem::status(path, ec);
    bool replace_empty = false;
    if (!ec && std::filesystem::exists(st)) {
        if (!std::filesystem::is_regular_file(st) || std::filesystem::file_size(path, ec) != 0 || ec)
            return make_error(ErrorCode::AlreadyExists, path.string() + ": already exists",
                              "choose another name, or open the existing project");
        replace_empty = true;  // e.g. a file a save dialog created for us
    }
    std::filesystem::path dir = folder_of(path);
    if (!std::filesystem::is_directory(dir, ec))
        return make_error(ErrorCode::NotFound, path.string() + ": the folder " + dir.string() + " does not exist",
                          "create the folder first, or choose another location");
    const std::filesystem::path tmp = dir / ("." + path.filename().string() + ".creating-" + uuid_v7());
    sqlite3* h = nullptr;
    int rc = sqlite3_open_v2(tmp.c_str(), &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                             vfs_name.empty() ? nullptr : vfs_name.c_str());
    Status result = rc == SQLITE_OK ? ok_status() : Status(sqlite_error(rc, h, path, "creating"));
    if (result.ok()) {
        configure_common(h);
        // Installed in rollback-journal mode, so the identity is in the main file itself before
        // it ever gets its final name; WAL is switched on afterwards.
        std::string display = name.empty() ? path.stem().string() : std::string(name);
        result = install_schema(h, path, display);
        if (result.ok()) result = exec(Db{h, path}, "PRAGMA journal_mode = WAL");
    }
    if (h != nullptr && sqlite3_close_v2(h) != SQLITE_OK && result.ok())
        result = make_error(ErrorCode::IoError, path.string() + ": could not finish writing the new file");
    if (!result.ok()) {
        remove_with_sidecars(tmp);
        return result;
    }
    return place_new_file(tmp, path, replace_empty);
}

Status place_new_file(const std::filesystem::path& tmp, const std::filesystem::path& path, bool replace_empty) {
    // link() refuses to replace, so a file that appeared meanwhile is never overwritten.
    Status result;
    if (replace_empty ? ::rename(tmp.c_str(), path.c_str()) != 0 : ::link(tmp.c_str(), path.c_str()) != 0) {
        int err = errno;
        result = make_error(err == EEXIST ? ErrorCode::AlreadyExists : ErrorCode::IoError,
                            path.string() + ": cannot move the new file into place: " + std::strerror(err),
                            err == EEXIST ? "choose another name" : "check the folder");
    }
    remove_with_sidecars(tmp);
    if (result.ok()) {
        int dfd = ::open(folder_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            ::fsync(dfd);  // make the new directory entry durable
            ::close(dfd);
        }
    }
    return result;
}

Result<std::filesystem::path> backup_to_temp(const Db& src, const std::filesystem::path& dest) {
    std::filesystem::path dir = folder_of(dest);
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec))
        return make_error(ErrorCode::NotFound, dest.string() + ": the folder " + dir.string() + " does not exist",
                          "create the folder first, or choose another location");
    const std::filesystem::path tmp = dir / ("." + dest.filename().string() + ".saving-" + uuid_v7());
    sqlite3* h = nullptr;
    int rc = sqlite3_open_v2(tmp.c_str(), &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    Status result = rc == SQLITE_OK ? ok_status() : Status(sqlite_error(rc, h, dest, "creating the copy"));
    if (result.ok()) {
        configure_common(h);
        sqlite3_backup* b = sqlite3_backup_init(h, "main", src.handle, "main");
        if (b == nullptr) {
            result = sqlite_error(sqlite3_errcode(h), h, dest, "starting the copy");
        } else {
            rc = sqlite3_backup_step(b, -1);
            int finish_rc = sqlite3_backup_finish(b);
            if (rc != SQLITE_DONE) result = sqlite_error(rc, nullptr, dest, "copying the project");
            else if (finish_rc != SQLITE_OK) result = sqlite_error(finish_rc, h, dest, "finishing the copy");
        }
    }
    if (result.ok()) result = exec(Db{h, dest}, "PRAGMA journal_mode = WAL");
    if (h != nullptr && sqlite3_close_v2(h) != SQLITE_OK && result.ok())
        result = make_error(ErrorCode::IoError, dest.string() + ": could not finish writing the copy");
    if (!result.ok()) {
        remove_with_sidecars(tmp);
        return std::move(result).error();
    }
    return tmp;
}

}  // namespace atelier::projects::detail
