// `project import` and `project bundle`: run through the Studio's job system exactly as the GUI
// does (persisted job row, progress, Ctrl+C cancel, result applied as one undoable command).
#include <cstdio>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/job-runner.h"
#include "pipelines/studio.h"

namespace atelier::cli {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kImportUsage =
    "usage: atelier-cli project import PATH FILE|DIR... [--no-copy] [--json] [--quiet]\n"
    "  Imports images, audio and video (any format FFmpeg reads). Folders are searched recursively;\n"
    "  hidden files are skipped. Content already in the project is skipped as a duplicate.\n"
    "  --no-copy  reference files where they are instead of copying them into the media folder\n"
    "  Exit code 2 when some files could not be imported (the others were).\n";
constexpr const char* kBundleUsage =
    "usage: atelier-cli project bundle PATH DEST [--zip] [--json] [--quiet]\n"
    "  Writes DEST (a new folder, or a .zip with --zip or a DEST ending in .zip) holding\n"
    "  manifest.json, assets/, chats/ (Markdown), transcripts/ and generations.json.\n";

json import_json(const JobInfo& info, const pipelines::ImportReport& r) {
    json added = json::array(), dups = json::array(), fails = json::array();
    for (const auto& item : r.added) added.push_back(asset_json(item.asset));
    for (const auto& d : r.duplicate_files) dups.push_back({{"path", d.path.string()}, {"asset_uuid", d.asset_uuid}});
    for (const auto& f : r.failures) fails.push_back({{"path", f.path.string()}, {"error", error_json(f.error)}});
    return json{{"job", {{"uuid", info.spec.uuid}, {"state", job_state_name(info.state)}}},
                {"files_seen", r.files_seen},
                {"bytes_copied", r.bytes_copied},
                {"added", added},
                {"duplicates", dups},
                {"failures", fails}};
}

void print_import(const pipelines::ImportReport& r) {
    std::printf("Imported %zu new asset%s (%zu duplicate%s skipped, %zu failed)\n", r.added.size(),
                r.added.size() == 1 ? "" : "s", r.duplicate_files.size(), r.duplicate_files.size() == 1 ? "" : "s",
                r.failures.size());
    for (const auto& item : r.added)
        std::printf("  + %-32s %s\n", item.asset.name.c_str(), asset_summary(item.asset).c_str());
    for (const auto& d : r.duplicate_files)
        std::printf("  = %-32s same content as asset %s\n", d.path.filename().c_str(), d.asset_uuid.c_str());
    for (const auto& f : r.failures)
        std::printf("  ! %-32s %s\n      what to do: %s\n", f.path.filename().c_str(), f.error.detail.c_str(),
                    f.error.hint.empty() ? "check the file" : f.error.hint.c_str());
}

// Shared tail of both commands: report a job that did not finish.
int report_unfinished(const Cli& cli, const JobInfo& info) {
    const int code = job_exit_code(info);
    if (info.state == JobState::Cancelled) {
        if (cli.json) print_json(json{{"job", {{"uuid", info.spec.uuid}, {"state", "cancelled"}}}});
        else std::fprintf(stderr, "atelier-cli: cancelled; nothing was added. Run the command again to restart.\n");
        return code;
    }
    return report_error(cli, info.error, code);
}

}  // namespace

int cmd_project_import(const Argv& argv) {
    Args args;
    Cli cli;
    int rc = 0;
    if (!parse_command(argv, {.flags = {"--no-copy"}, .min_positional = 2, .max_positional = SIZE_MAX},
                       "project import", kImportUsage, args, cli, &rc))
        return rc;
    auto studio = pipelines::Studio::open(args.positional[0]);
    if (!studio.ok()) return report_error(cli, studio.error());
    std::vector<fs::path> inputs(args.positional.begin() + 1, args.positional.end());
    pipelines::ImportOptions opts;
    opts.copy_into_project = !args.has("--no-copy");
    pipelines::ImportReport report;
    pipelines::StudioEvents ev;
    ev.on_import_finished = [&report](const JobInfo&, const pipelines::ImportReport& r) { report = r; };
    const JobId id = (*studio)->import_files(std::move(inputs), opts);
    const JobInfo info = run_job(**studio, id, cli, std::move(ev));
    if (info.state != JobState::Done) return report_unfinished(cli, info);
    if (cli.json) print_json(import_json(info, report));
    else print_import(report);
    return report.failures.empty() ? kExitOk : kExitInput;
}

int cmd_project_bundle(const Argv& argv) {
    Args args;
    Cli cli;
    int rc = 0;
    if (!parse_command(argv, {.flags = {"--zip"}, .min_positional = 2, .max_positional = 2}, "project bundle",
                       kBundleUsage, args, cli, &rc))
        return rc;
    auto studio = pipelines::Studio::open(args.positional[0]);
    if (!studio.ok()) return report_error(cli, studio.error());
    const fs::path dest = args.positional[1];
    pipelines::BundleOptions opts;
    opts.zip = args.has("--zip") || dest.extension() == ".zip";
    pipelines::BundleReport report;
    pipelines::StudioEvents ev;
    ev.on_bundle_finished = [&report](const JobInfo&, const pipelines::BundleReport& r) { report = r; };
    const JobId id = (*studio)->export_bundle(dest, opts);
    const JobInfo info = run_job(**studio, id, cli, std::move(ev));
    if (info.state != JobState::Done) return report_unfinished(cli, info);
    if (cli.json) {
        print_json(json{{"job", {{"uuid", info.spec.uuid}, {"state", "done"}}},
                        {"bundle", {{"dest", report.dest.string()}, {"zip", opts.zip},
                                    {"asset_count", report.asset_count}, {"chat_count", report.chat_count},
                                    {"generation_count", report.generation_count},
                                    {"missing_count", report.missing_count},
                                    {"bytes_written", report.bytes_written}}}});
    } else {
        std::printf("Wrote %s %s: %lld assets, %lld chats, %s%s\n", opts.zip ? "zip" : "folder", report.dest.c_str(),
                    static_cast<long long>(report.asset_count), static_cast<long long>(report.chat_count),
                    human_size(report.bytes_written).c_str(),
                    report.missing_count ? " (some asset files were missing; see manifest.json)" : "");
    }
    return kExitOk;
}

}  // namespace atelier::cli
