// `export PROJECT ...`: the project's timeline rendered to a video or audio file (--timeline,
// --out, --preset), its subtitle items or a transcript as a text file (--subtitles), or the
// whole project as a bundle (--bundle). Runs through the Studio's job system like the GUI:
// progress on stderr, Ctrl+C cancels and leaves no finished-looking file.
// Thread-safety: main thread.
#include <cstdio>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/job-runner.h"
#include "pipelines/export.h"

namespace atelier::cli {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kExportUsage =
    "usage: atelier-cli export PROJECT --timeline [ID] --out FILE [--preset P] [--burn-subtitles]\n"
    "                          [--no-subtitles] [--force] [--json] [--quiet]\n"
    "       atelier-cli export PROJECT --subtitles FILE [--timeline ID | --transcript ID]\n"
    "       atelier-cli export PROJECT --bundle DEST [--zip]\n"
    "  --timeline [ID]   the timeline to render (default: the project's first)\n"
    "  --out FILE        .mp4 (H.264/AAC, mov_text subtitles), .webm (VP9/Opus, WebVTT), .mkv, or\n"
    "                    audio only: .opus .mp3 .wav .flac .m4a\n"
    "  --preset P        1080p30 (default: H.264 CRF 20), 720p30, vertical (1080x1920), source\n"
    "                    (the timeline's size), opus, mp3, wav (audio only)\n"
    "  --burn-subtitles  draw the subtitle items into the picture\n"
    "  --no-subtitles    no soft subtitle stream\n"
    "  --force           replace FILE if it exists (only once the new one is complete)\n"
    "  --subtitles FILE  the timeline's subtitle items (or a transcript) as .srt .vtt .txt or .json\n"
    "  --bundle DEST     a folder (or .zip with --zip) with every asset, chats, transcripts, manifest\n";

// "--timeline" with no value (end of arguments, or another option next) means "the first one".
Argv normalise_optional_timeline(const Argv& argv) {
    Argv out;
    for (size_t i = 0; i < argv.size(); ++i) {
        if (argv[i] == "--timeline" && (i + 1 == argv.size() || argv[i + 1].rfind("--", 0) == 0)) out.push_back("--timeline=");
        else out.push_back(argv[i]);
    }
    return out;
}

int finish_job(const Cli& cli, const JobInfo& info) {
    if (info.state == JobState::Done) return kExitOk;
    if (info.state == JobState::Cancelled) {
        if (cli.json) print_json(json{{"job", {{"uuid", info.spec.uuid}, {"state", "cancelled"}}}});
        else std::fprintf(stderr, "atelier-cli: cancelled; no output was left behind.\n");
        return job_exit_code(info);
    }
    return report_error(cli, info.error, job_exit_code(info));
}

int export_subtitles(const Cli& cli, const Args& args) {
    auto r = pipelines::export_subtitles(args.positional[0], args.option("--timeline"), args.option("--transcript"),
                                         args.option("--subtitles"));
    if (!r.ok()) return report_error(cli, r.error());
    if (cli.json) print_json(json{{"subtitles", {{"dest", r->dest.string()}, {"size_bytes", r->size_bytes}}}});
    else std::printf("Wrote %s\n", r->dest.c_str());
    return kExitOk;
}

}  // namespace

int cmd_export(const Argv& raw) {
    Args args;
    Cli cli;
    int rc = 0;
    if (!parse_command(normalise_optional_timeline(raw),
                       {.flags = {"--burn-subtitles", "--no-subtitles", "--force", "--zip"},
                        .options = {"--timeline", "--out", "--preset", "--bundle", "--subtitles", "--transcript"},
                        .min_positional = 1, .max_positional = 1},
                       "export", kExportUsage, args, cli, &rc))
        return rc;
    const bool timeline = args.options.count("--out") != 0, bundle = args.options.count("--bundle") != 0,
               subtitles = args.options.count("--subtitles") != 0;
    if (int(timeline) + int(bundle) + int(subtitles) != 1) {
        return report_error(cli, make_error(ErrorCode::InvalidArgument, "export needs exactly one of --out, --subtitles or --bundle",
                                            "run 'atelier-cli export --help'"),
                            kExitUsage);
    }
    if (bundle) {
        Argv bundle_args = {args.positional[0], args.option("--bundle")};
        if (args.has("--zip")) bundle_args.push_back("--zip");
        if (cli.json) bundle_args.push_back("--json");
        if (cli.quiet) bundle_args.push_back("--quiet");
        return cmd_project_bundle(bundle_args);
    }
    if (subtitles) return export_subtitles(cli, args);
    pipelines::ExportOptions opts{.preset = args.option("--preset"), .burn_subtitles = args.has("--burn-subtitles"),
                                  .soft_subtitles = !args.has("--no-subtitles"), .overwrite = args.has("--force")};
    if (!opts.preset.empty()) {
        if (auto p = pipelines::export_preset(opts.preset); !p.ok()) return report_error(cli, p.error(), kExitUsage);
    }
    auto studio = pipelines::Studio::open(args.positional[0]);
    if (!studio.ok()) return report_error(cli, studio.error());
    auto report = std::make_shared<pipelines::ExportReport>();
    const fs::path out = args.option("--out");
    const JobId id = pipelines::submit_export_timeline(**studio, args.option("--timeline"), out, opts, report);
    const JobInfo info = run_job(**studio, id, cli);
    if (info.state != JobState::Done) return finish_job(cli, info);
    if (cli.json) {
        print_json(json{{"job", {{"uuid", info.spec.uuid}, {"state", "done"}}},
                        {"export", {{"dest", report->dest.string()}, {"preset", report->preset}, {"frames", report->frames},
                                    {"duration_ms", report->duration_ms}, {"size_bytes", report->size_bytes}}}});
    } else {
        std::printf("Wrote %s: %.2f s, %lld frames, %s (preset %s)\n", report->dest.c_str(), report->duration_ms / 1000.0,
                    static_cast<long long>(report->frames), human_size(report->size_bytes).c_str(), report->preset.c_str());
    }
    return kExitOk;
}

}  // namespace atelier::cli
