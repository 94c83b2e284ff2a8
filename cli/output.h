// Output for atelier-cli: exit codes, errors (human or {"error":{...}}), JSON views of project
// objects, and the progress line on stderr (one updating line on a TTY, plain lines otherwise).
// Thread-safety: ProgressLine may be updated from any thread; the rest runs on the main thread.
#pragma once

#include <chrono>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "core/job.h"
#include "core/result.h"
#include "pipelines/json-views.h"
#include "projects/project.h"

namespace atelier::cli {

// The documented exit codes (also in --help).
enum ExitCode : int {
    kExitOk = 0,
    kExitUsage = 1,
    kExitInput = 2,       // a file or path is missing, unreadable, or not media
    kExitProject = 3,     // the project was refused: not Atelier, too new, corrupt, read-only, busy
    kExitJobFailed = 4,
    kExitDiskFull = 5,
    kExitCancelled = 130,
};

struct Cli {
    bool json = false;   // one JSON object on stdout
    bool quiet = false;  // no progress on stderr
};

using pipelines::asset_json;
using pipelines::job_json;

int exit_code_for(const Error& e);
nlohmann::json error_json(const Error& e);
// Prints the error (stdout JSON with --json, else stderr prose with "what to do") and returns `code`.
int report_error(const Cli& cli, const Error& e, int code);
inline int report_error(const Cli& cli, const Error& e) { return report_error(cli, e, exit_code_for(e)); }

void print_json(const nlohmann::json& j);  // one line on stdout

nlohmann::json project_json(const projects::ProjectInfo& info);
std::string human_size(int64_t bytes);
std::string asset_summary(const projects::Asset& a);  // "image 320x200" / "audio 2.0 s 48000 Hz"

class ProgressLine {
public:
    explicit ProgressLine(bool enabled);
    ~ProgressLine() { finish(); }
    void update(const std::string& title, const JobProgress& p);
    void finish();  // ends the TTY line

private:
    bool enabled_, tty_;
    std::mutex mutex_;
    bool open_line_ = false;
    std::string last_stage_;
    std::chrono::steady_clock::time_point last_plain_{};
};

}  // namespace atelier::cli
