// Shared helpers for the projects tests: temporary folders, byte-exact file snapshots, fixture
// copies and raw SQLite queries (straight through the C API, independent of atelier_projects).
// Thread-safety: test-thread only.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "projects/project.h"

namespace atelier::test {

// A fresh folder under $TMPDIR (or /tmp), removed with everything in it on destruction.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

std::string read_bytes(const std::filesystem::path& path);
void write_bytes(const std::filesystem::path& path, const std::string& bytes);

// Every file in a folder (not recursive) with its exact contents.
using FolderSnapshot = std::map<std::string, std::string>;
FolderSnapshot snapshot_folder(const std::filesystem::path& dir);

std::filesystem::path fixture_path(const std::string& name);  // tests/projects/fixtures/<name>
void copy_file(const std::filesystem::path& from, const std::filesystem::path& to);
// A copy of fixtures/v<version>.atelier (default: the newest schema) named `name` in `dir`;
// returns its path.
std::filesystem::path fixture_copy(const TempDir& dir, const std::string& name = "p.atelier",
                                   int version = projects::kSchemaVersion);

// Raw SQLite (not our code). Opened read-write without creating; closed after each call.
int64_t raw_int(const std::filesystem::path& db, const std::string& sql);
std::string raw_text(const std::filesystem::path& db, const std::string& sql);
void raw_exec(const std::filesystem::path& db, const std::string& sql);  // fails the test on error
void raw_create(const std::filesystem::path& db, const std::string& sql);  // creates the file first

// A plausible asset with a fresh UUID.
projects::Asset make_asset(const std::string& name, projects::AssetKind kind = projects::AssetKind::Image);

bool running_as_root();

}  // namespace atelier::test
