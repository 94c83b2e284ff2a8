// Helpers for the pipelines tests: scratch folders, running tools (sqlite3, ffprobe, unzip) to
// get independent facts, and a Studio that runs jobs to their end. Header-only, test code only.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <gtest/gtest.h>

namespace atelier::test {
namespace fs = std::filesystem;

class TempDir {
public:
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "atelier-pipes-XXXXXX").string();
        if (!::mkdtemp(tmpl.data())) ADD_FAILURE() << "mkdtemp failed";
        path_ = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const fs::path& path() const { return path_; }
    fs::path operator/(const std::string& name) const { return path_ / name; }

private:
    fs::path path_;
};

inline std::string shell_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\'') out += "'\\''";
        else out += c;
    }
    return out + "'";
}

// Runs a shell command; returns stdout. *exit_code receives the exit status (or -1).
inline std::string run_capture(const std::string& cmd, int* exit_code = nullptr) {
    std::string out;
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) {
        if (exit_code) *exit_code = -1;
        return out;
    }
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    const int status = ::pclose(p);
    if (exit_code) *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return out;
}

inline std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
    return s;
}

// One value from the sqlite3 command-line shell (an independent reader of the project file).
inline std::string sqlite_value(const fs::path& db, const std::string& sql) {
    return trim(run_capture("sqlite3 -readonly " + shell_quote(db.string()) + " " + shell_quote(sql) + " 2>&1"));
}

// One field from ffprobe, e.g. ffprobe_value(f, "stream=width") -> "64".
inline std::string ffprobe_value(const fs::path& file, const std::string& entry, const std::string& select = "v:0") {
    return trim(run_capture("ffprobe -v error -select_streams " + select + " -show_entries " + entry +
                            " -of default=noprint_wrappers=1:nokey=1 " + shell_quote(file.string()) + " 2>/dev/null"));
}

inline std::string read_file(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

inline void write_file(const fs::path& p, const std::string& bytes) {
    std::ofstream f(p, std::ios::binary);
    f << bytes;
}

}  // namespace atelier::test
