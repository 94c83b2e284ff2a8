// Internal to atelier_projects: the opening sequence (STYLE §7) and project-file creation.
// A Connection owns one sqlite3 handle and, for the writer, an advisory lock (flock) on the file
// that keeps a second writer (another window or process) from marking our jobs interrupted.
// Thread-safety: a Connection is used under its Project's mutex.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "core/result.h"
#include "projects/project.h"
#include "projects/sqlite-util.h"

struct sqlite3;

namespace atelier::projects::detail {

class Connection {
public:
    Connection() = default;
    Connection(Connection&& other) noexcept;
    Connection& operator=(Connection&& other) noexcept;
    Connection(const Connection&) = delete;
    ~Connection();

    sqlite3* handle() const { return handle_; }
    bool read_only() const { return read_only_; }
    int interrupted_on_open() const { return interrupted_; }
    int interrupted_messages_on_open() const { return interrupted_messages_; }

    // The sequence: inspect (never writes) -> refuse foreign/newer/damaged files -> for writers:
    // check the file and folder are writable, take the writer lock, open read-write, migrate in
    // one transaction, set WAL/synchronous=NORMAL/foreign_keys/busy_timeout, and turn jobs left
    // queued/running/cancelling (and streaming messages) into interrupted. Readers open SQLITE_OPEN_READONLY.
    static Result<Connection> open(const std::filesystem::path& path, const OpenOptions& opts);
    // Builds the file under a temporary name in the same folder (schema installed, WAL set), then
    // moves it into place, so `path` is either absent or a complete project. An existing
    // zero-byte file at `path` is replaced; anything else there is AlreadyExists.
    static Status create_file(const std::filesystem::path& path, std::string_view name, const std::string& vfs_name);

private:
    void close();
    std::filesystem::path path_;
    sqlite3* handle_ = nullptr;
    int lock_fd_ = -1;
    bool read_only_ = false;
    int interrupted_ = 0;
    int interrupted_messages_ = 0;
};

// Save-As, step 1: a complete copy of `src` (backup API, WAL set) in a temporary file beside
// `dest`; returns its path. The caller places it with place_new_file (or removes it).
Result<std::filesystem::path> backup_to_temp(const Db& src, const std::filesystem::path& dest);
// Moves the finished file `tmp` to `path` (never replacing anything, unless `replace_empty`:
// then a zero-byte file there is replaced) and makes the entry durable. Removes `tmp`.
Status place_new_file(const std::filesystem::path& tmp, const std::filesystem::path& path, bool replace_empty);

// Settings every connection gets (busy_timeout, extended result codes).
void configure_common(sqlite3* handle);

}  // namespace atelier::projects::detail
