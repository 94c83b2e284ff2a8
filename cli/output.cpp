// Exit codes, error reporting and progress output for atelier-cli. Every error names what failed
// and says what to do: the library's hint when it has one, else a hint chosen by exit code.
#include "cli/output.h"

#include "pipelines/json-views.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>

namespace atelier::cli {
using nlohmann::json;

int exit_code_for(const Error& e) {
    switch (e.code) {
        case ErrorCode::Cancelled: return kExitCancelled;
        case ErrorCode::DiskFull: return kExitDiskFull;
        case ErrorCode::ProjectNotAtelier:
        case ErrorCode::ProjectTooNew:
        case ErrorCode::ProjectCorrupt:
        case ErrorCode::ProjectReadOnly:
        case ErrorCode::ProjectBusy:
        case ErrorCode::ProjectSql:
        case ErrorCode::ProjectMigrationFailed: return kExitProject;
        case ErrorCode::InvalidArgument:
        case ErrorCode::NotFound:
        case ErrorCode::ProjectNotFound:
        case ErrorCode::ProjectObjectNotFound:
        case ErrorCode::IoError:
        case ErrorCode::PermissionDenied:
        case ErrorCode::AlreadyExists:
        case ErrorCode::Unsupported:
        case ErrorCode::MediaOpenFailed:
        case ErrorCode::MediaNoStream:
        case ErrorCode::MediaDecodeFailed:
        case ErrorCode::MediaUnsupported:
        case ErrorCode::ModelFormat:
        case ErrorCode::ModelTruncated:
        case ErrorCode::ModelUnsupported: return kExitInput;
        default: return kExitJobFailed;
    }
}

namespace {
std::string fallback_hint(int code) {
    switch (code) {
        case kExitUsage: return "run 'atelier-cli --help' for the usage";
        case kExitInput: return "check the path and that the file is readable";
        case kExitProject: return "check that the path is an Atelier project (.atelier) you may write to";
        case kExitDiskFull: return "free some disk space, then try again";
        case kExitCancelled: return "run the command again to restart; 'project list --jobs' shows what was recorded";
        default: return "see the detail above; 'project list PATH --jobs' shows the job, 'project rerun' retries it";
    }
}
}  // namespace

json error_json(const Error& e) {
    return json{{"code", static_cast<int>(e.code)}, {"name", error_code_name(e.code)}, {"detail", e.detail},
                {"hint", e.hint}};
}

int report_error(const Cli& cli, const Error& e, int code) {
    const std::string hint = e.hint.empty() ? fallback_hint(code) : e.hint;
    if (cli.json) {
        json j = error_json(e);
        j["hint"] = hint;
        j["exit_code"] = code;
        print_json(json{{"error", j}});
    } else if (code == kExitCancelled) {
        std::fprintf(stderr, "atelier-cli: cancelled\n");
    } else {
        std::fprintf(stderr, "atelier-cli: error: %s\n  what to do: %s\n", e.detail.c_str(), hint.c_str());
    }
    return code;
}

void print_json(const json& j) {
    const std::string s = j.dump(-1, ' ', false, json::error_handler_t::replace);
    std::fwrite(s.data(), 1, s.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

json project_json(const projects::ProjectInfo& info) {
    return json{{"uuid", info.uuid},
                {"name", info.name},
                {"path", info.path.string()},
                {"media_dir", info.media_dir.string()},
                {"schema_version", info.schema_version},
                {"created_by_version", info.created_by_version},
                {"created_at_ms", info.created_at_ms},
                {"asset_count", info.asset_count},
                {"job_count", info.job_count}};
}

std::string human_size(int64_t bytes) {
    char buf[32];
    if (bytes < 1024) std::snprintf(buf, sizeof buf, "%lld B", static_cast<long long>(bytes));
    else if (bytes < (1 << 20)) std::snprintf(buf, sizeof buf, "%.1f KiB", bytes / 1024.0);
    else if (bytes < (1ll << 30)) std::snprintf(buf, sizeof buf, "%.1f MiB", bytes / 1048576.0);
    else std::snprintf(buf, sizeof buf, "%.2f GiB", bytes / 1073741824.0);
    return buf;
}

std::string asset_summary(const projects::Asset& a) {
    char buf[96];
    switch (a.kind) {
        case projects::AssetKind::Image: std::snprintf(buf, sizeof buf, "image %dx%d", a.width, a.height); break;
        case projects::AssetKind::Audio:
            std::snprintf(buf, sizeof buf, "audio %.1f s %d Hz", a.duration_ms / 1000.0, a.sample_rate_hz);
            break;
        case projects::AssetKind::Video:
            std::snprintf(buf, sizeof buf, "video %dx%d %.1f s", a.width, a.height, a.duration_ms / 1000.0);
            break;
        default: std::snprintf(buf, sizeof buf, "%s", projects::asset_kind_name(a.kind)); break;
    }
    return buf;
}

// ---- progress ---------------------------------------------------------------------------------

ProgressLine::ProgressLine(bool enabled) : enabled_(enabled), tty_(::isatty(STDERR_FILENO) == 1) {}

void ProgressLine::update(const std::string& title, const JobProgress& p) {
    if (!enabled_) return;
    std::lock_guard lock(mutex_);
    const int pct = p.fraction < 0 ? -1 : static_cast<int>(std::lround(p.fraction * 100));
    char eta[48] = "";
    if (pct >= 100) std::snprintf(eta, sizeof eta, " in %.1f s", p.elapsed_s);
    else if (p.eta_s >= 0) std::snprintf(eta, sizeof eta, " ETA %ld s", static_cast<long>(std::ceil(p.eta_s)));
    if (tty_) {
        constexpr int kWidth = 24;
        std::string bar(kWidth, '.');
        for (int i = 0; i < kWidth * std::max(pct, 0) / 100; ++i) bar[static_cast<size_t>(i)] = '#';
        std::fprintf(stderr, "\r\x1b[2K%s [%s] %3d%% %s%s", title.c_str(), bar.c_str(), std::max(pct, 0),
                     p.stage.c_str(), eta);
        std::fflush(stderr);
        open_line_ = true;
        return;
    }
    // Plain lines: one per stage change, else at most one per second.
    const auto now = std::chrono::steady_clock::now();
    if (p.stage == last_stage_ && now - last_plain_ < std::chrono::seconds(1) && pct < 100) return;
    last_stage_ = p.stage;
    last_plain_ = now;
    if (pct < 0) std::fprintf(stderr, "%s: %s\n", title.c_str(), p.stage.c_str());
    else std::fprintf(stderr, "%s: %d%% %s%s\n", title.c_str(), pct, p.stage.c_str(), eta);
}

void ProgressLine::finish() {
    std::lock_guard lock(mutex_);
    if (open_line_) std::fputc('\n', stderr);
    open_line_ = false;
}

}  // namespace atelier::cli
