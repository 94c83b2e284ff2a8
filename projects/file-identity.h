// Internal to atelier_projects: decides what a file on disk is, without ever writing to it.
// Reads the 100-byte SQLite header with plain file I/O, then (only if the header says it is an
// Atelier project) looks inside through an immutable read-only SQLite connection, which creates
// no -wal/-shm files and takes no locks. Refused files stay byte-for-byte unchanged.
// Thread-safety: pure function of the file; callable from any thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "core/result.h"

namespace atelier::projects::detail {

struct FileFacts {
    int schema_version = 0;  // PRAGMA user_version as SQLite sees it (WAL included)
    bool has_wal = false;    // a non-empty <file>-wal exists beside it (unclean close or in use)
    int64_t size_bytes = 0;
};

// Errors (all name the path, all carry a hint):
//   ProjectNotFound   - no such file;
//   ProjectNotAtelier - a folder, a zero-byte file, not SQLite, or SQLite with another
//                       application_id (including 0: somebody else's database);
//   ProjectTooNew     - user_version > kSchemaVersion ("made by a newer Atelier");
//   ProjectCorrupt    - truncated (the header declares more pages than the file has), SQLite
//                       reports corruption, or PRAGMA quick_check finds damage.
// `vfs_name` selects a SQLite VFS (tests); empty: the default.
Result<FileFacts> inspect_project_file(const std::filesystem::path& path, const std::string& vfs_name);

// True if a non-empty "<path>-wal" exists.
bool wal_file_present(const std::filesystem::path& path);
// True if "<path>-wal" or "<path>-shm" exists (any size).
bool sidecars_present(const std::filesystem::path& path);

}  // namespace atelier::projects::detail
