// `project new|info|list|rerun`: create a project, describe it, list its assets or jobs, and rerun
// an interrupted, failed or cancelled job. info and list open the file read-only.
#include <cstdio>
#include <map>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/job-runner.h"
#include "pipelines/studio.h"
#include "pipelines/transcribe.h"

namespace atelier::cli {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kNewUsage =
    "usage: atelier-cli project new PATH [--name NAME] [--json]\n"
    "  Creates an empty project file (\".atelier\" is appended when PATH has no extension) and its\n"
    "  media folder beside it. Fails if PATH exists.\n";
constexpr const char* kInfoUsage =
    "usage: atelier-cli project info PATH [--json]\n"
    "  Shows the project's name, schema, media folder, and counts of assets and jobs.\n";
constexpr const char* kListUsage =
    "usage: atelier-cli project list PATH [--kind image|audio|video] [--jobs] [--json]\n"
    "  Lists the assets (optionally of one kind), or with --jobs the recorded jobs and their states.\n";
constexpr const char* kRerunUsage =
    "usage: atelier-cli project rerun PATH JOB_UUID [--json] [--quiet]\n"
    "  Runs an interrupted, failed or cancelled job again from its recorded parameters.\n"
    "  Job uuids are shown by 'atelier-cli project list PATH --jobs'.\n";

Result<std::unique_ptr<projects::Project>> open_read_only(const std::string& path) {
    return projects::Project::open(path, projects::OpenOptions{.read_only = true});
}

void print_jobs_table(const std::vector<projects::JobRecord>& jobs) {
    if (jobs.empty()) {
        std::printf("No jobs recorded yet.\n");
        return;
    }
    std::printf("%-36s  %-7s  %-11s  %5s  %s\n", "JOB", "KIND", "STATE", "DONE", "TITLE");
    for (const auto& j : jobs) {
        std::printf("%-36s  %-7s  %-11s  %4.0f%%  %s%s\n", j.uuid.c_str(), j.kind.c_str(), job_state_name(j.state),
                    j.progress * 100.0, j.title.c_str(), j.rerun_of.empty() ? "" : " (rerun)");
        if (!j.error_detail.empty()) std::printf("%40s%s\n", "", j.error_detail.c_str());
    }
    bool any_rerunnable = false;
    for (const auto& j : jobs)
        any_rerunnable |= j.state == JobState::Interrupted || j.state == JobState::Failed || j.state == JobState::Cancelled;
    if (any_rerunnable) std::printf("Rerun a job with: atelier-cli project rerun PROJECT JOB\n");
}

void print_assets_table(const std::vector<projects::Asset>& assets) {
    if (assets.empty()) {
        std::printf("No assets. Add some with: atelier-cli project import PROJECT FILE...\n");
        return;
    }
    std::printf("%-36s  %-24s  %10s  %s\n", "ASSET", "DETAILS", "SIZE", "NAME");
    for (const auto& a : assets)
        std::printf("%-36s  %-24s  %10s  %s\n", a.uuid.c_str(), asset_summary(a).c_str(), human_size(a.size_bytes).c_str(),
                    a.name.c_str());
}

}  // namespace

int cmd_project_new(const Argv& argv) {
    Args args;
    Cli cli;
    int rc = 0;
    if (!parse_command(argv, {.options = {"--name"}, .min_positional = 1, .max_positional = 1}, "project new", kNewUsage,
                       args, cli, &rc))
        return rc;
    fs::path path = args.positional[0];
    if (!path.has_extension()) path += projects::kFileExtension;
    auto project = projects::Project::create(path, args.option("--name", path.stem().string()));
    if (!project.ok()) return report_error(cli, project.error());
    auto info = (*project)->info();
    if (!info.ok()) return report_error(cli, info.error());
    if (cli.json) {
        print_json(json{{"project", project_json(*info)}});
    } else {
        std::printf("Created project '%s' at %s\n  media folder: %s\n  next: atelier-cli project import %s FILE...\n",
                    info->name.c_str(), info->path.c_str(), info->media_dir.c_str(), path.c_str());
    }
    return kExitOk;
}

int cmd_project_info(const Argv& argv) {
    Args args;
    Cli cli;
    int rc = 0;
    if (!parse_command(argv, {.min_positional = 1, .max_positional = 1}, "project info", kInfoUsage, args, cli, &rc))
        return rc;
    auto project = open_read_only(args.positional[0]);
    if (!project.ok()) return report_error(cli, project.error());
    auto info = (*project)->info();
    if (!info.ok()) return report_error(cli, info.error());
    std::map<std::string, int64_t> by_kind;
    for (auto kind : {projects::AssetKind::Image, projects::AssetKind::Audio, projects::AssetKind::Video,
                      projects::AssetKind::Text, projects::AssetKind::Other}) {
        auto n = (*project)->count_assets({.kind = kind});
        if (!n.ok()) return report_error(cli, n.error());
        by_kind[projects::asset_kind_name(kind)] = *n;
    }
    auto jobs = (*project)->list_jobs();
    if (!jobs.ok()) return report_error(cli, jobs.error());
    std::map<std::string, int64_t> by_state;
    for (const auto& j : *jobs) ++by_state[job_state_name(j.state)];
    if (cli.json) {
        json j = project_json(*info);
        j["assets_by_kind"] = by_kind;
        j["jobs_by_state"] = by_state;
        print_json(json{{"project", j}});
        return kExitOk;
    }
    std::printf("Project '%s'\n  file:    %s\n  uuid:    %s\n  schema:  v%d (created by Atelier %s, %s)\n"
                "  media:   %s\n  assets:  %lld",
                info->name.c_str(), info->path.c_str(), info->uuid.c_str(), info->schema_version,
                info->created_by_version.c_str(), pipelines::format_utc(info->created_at_ms, "%Y-%m-%d %H:%M UTC").c_str(), info->media_dir.c_str(),
                static_cast<long long>(info->asset_count));
    const char* sep = " (";
    for (const auto& [kind, n] : by_kind)
        if (n > 0) std::printf("%s%lld %s", std::exchange(sep, ", "), static_cast<long long>(n), kind.c_str());
    std::printf("%s\n  jobs:    %lld", sep[0] == ',' ? ")" : "", static_cast<long long>(jobs->size()));
    sep = " (";
    for (const auto& [state, n] : by_state) std::printf("%s%lld %s", std::exchange(sep, ", "), static_cast<long long>(n), state.c_str());
    std::printf("%s\n", sep[0] == ',' ? ")" : "");
    return kExitOk;
}

int cmd_project_list(const Argv& argv) {
    Args args;
    Cli cli;
    int rc = 0;
    if (!parse_command(argv, {.flags = {"--jobs"}, .options = {"--kind"}, .min_positional = 1, .max_positional = 1},
                       "project list", kListUsage, args, cli, &rc))
        return rc;
    projects::AssetFilter filter;
    if (args.options.count("--kind")) {
        auto kind = projects::asset_kind_from_name(args.option("--kind"));
        if (!kind)
            return report_error(cli, make_error(ErrorCode::InvalidArgument, "unknown kind '" + args.option("--kind") + "'",
                                                "use --kind image, --kind audio or --kind video"),
                                kExitUsage);
        filter.kind = *kind;
    }
    auto project = open_read_only(args.positional[0]);
    if (!project.ok()) return report_error(cli, project.error());
    if (args.has("--jobs")) {
        auto jobs = (*project)->list_jobs();
        if (!jobs.ok()) return report_error(cli, jobs.error());
        if (!cli.json) {
            print_jobs_table(*jobs);
            return kExitOk;
        }
        json arr = json::array();
        for (const auto& j : *jobs) arr.push_back(job_json(j));
        print_json(json{{"jobs", arr}});
        return kExitOk;
    }
    auto assets = (*project)->list_assets(filter);
    if (!assets.ok()) return report_error(cli, assets.error());
    if (!cli.json) {
        print_assets_table(*assets);
        return kExitOk;
    }
    json arr = json::array();
    for (const auto& a : *assets) arr.push_back(asset_json(a));
    print_json(json{{"assets", arr}});
    return kExitOk;
}

int cmd_project_rerun(const Argv& argv) {
    Args args;
    Cli cli;
    int rc = 0;
    if (!parse_command(argv, {.min_positional = 2, .max_positional = 2}, "project rerun", kRerunUsage, args, cli, &rc))
        return rc;
    auto studio = pipelines::Studio::open(args.positional[0]);
    if (!studio.ok()) return report_error(cli, studio.error());
    pipelines::set_transcribe_rerun(**studio);  // kinds defined outside the Studio register how they rerun
    auto id = (*studio)->rerun_job(args.positional[1]);
    if (!id.ok()) return report_error(cli, id.error());
    const JobInfo info = run_job(**studio, *id, cli);
    auto rec = (*studio)->project().get_job(info.spec.uuid);
    if (cli.json) {
        json j = rec.ok() ? job_json(*rec) : json{{"uuid", info.spec.uuid}, {"state", job_state_name(info.state)}};
        if (info.state == JobState::Failed) j["error"] = error_json(info.error);
        print_json(json{{"job", j}});
    } else if (info.state == JobState::Done) {
        std::printf("Reran job %s as %s: done\n", args.positional[1].c_str(), info.spec.uuid.c_str());
    }
    const int code = job_exit_code(info);
    if (code != kExitOk && !cli.json) return report_error(cli, info.error, code);
    return code;
}

}  // namespace atelier::cli
