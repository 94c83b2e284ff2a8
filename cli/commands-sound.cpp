// Sound from the command line: `media devices`, `media play FILE`, `media record OUT.wav` and
// `project record PROJECT` (the Studio's record job). Ctrl+C stops playback (exit 130) and ends a
// recording early, keeping what was recorded (exit 0).
// Thread-safety: main thread; PortAudio calls back on its own thread inside media/, recordings run
// on a JobScheduler worker.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/job-runner.h"
#include "media/audio-device.h"
#include "media/audio-player.h"
#include "pipelines/record.h"

namespace atelier::cli {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kDevicesUsage =
    "usage: atelier-cli media devices [--json]\n"
    "  Lists the sound devices (name, host API, input/output channels, default rate) and marks the\n"
    "  default input and output. Use a name (or a unique part of it) with --device.\n";
constexpr const char* kPlayUsage =
    "usage: atelier-cli media play FILE [--device NAME] [--json] [--quiet]\n"
    "  Plays the sound of FILE on the default output (or NAME), showing the position on stderr.\n"
    "  Ctrl+C stops (exit code 130).\n";
constexpr const char* kRecordUsage =
    "usage: atelier-cli media record OUT.wav --seconds N [--device NAME] [--json] [--quiet]\n"
    "  Records N seconds (48 kHz, 16-bit, up to 2 channels) from the default input (or NAME) into\n"
    "  OUT.wav, written as it goes. Ctrl+C ends the take early and keeps what was recorded.\n";
constexpr const char* kProjectRecordUsage =
    "usage: atelier-cli project record PROJECT --seconds N [--device NAME] [--name NAME] [--json] [--quiet]\n"
    "  Records up to N seconds into the project and imports the take as an audio asset (a job; its\n"
    "  uuid and the asset's are printed). Ctrl+C ends the take early and keeps it.\n";

// --seconds N as milliseconds; a usage error for anything but a positive number.
Result<int64_t> seconds_option(const Args& args) {
    const std::string v = args.option("--seconds");
    char* end = nullptr;
    const double s = std::strtod(v.c_str(), &end);
    if (v.empty() || *end != '\0' || !(s > 0) || s > 86400)
        return make_error(ErrorCode::InvalidArgument, "--seconds needs a number of seconds between 0 and 86400, got '" + v + "'",
                          "for example --seconds 5");
    return static_cast<int64_t>(s * 1000.0 + 0.5);
}

json record_json(const pipelines::RecordReport& r) {
    return json{{"frames", r.frames}, {"duration_ms", r.duration_ms}, {"sample_rate_hz", r.sample_rate_hz},
                {"channels", r.channels}, {"overruns", r.overruns}, {"stopped_early", r.stopped_by_cancel}};
}

std::string clock_text(int64_t ms) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%lld:%02lld.%01lld", static_cast<long long>(ms / 60000),
                  static_cast<long long>(ms / 1000 % 60), static_cast<long long>(ms / 100 % 10));
    return buf;
}

}  // namespace

int cmd_media_devices(const Argv& argv) {
    Args args;
    Cli cli;
    int rc = 0;
    if (!parse_command(argv, {}, "media devices", kDevicesUsage, args, cli, &rc)) return rc;
    auto devs = media::list_audio_devices();
    if (!devs.ok()) return report_error(cli, devs.error());
    if (cli.json) return print_json(json{{"devices", json::parse(media::audio_devices_json(*devs))}}), kExitOk;
    if (devs->empty()) std::printf("No sound devices found.\n");
    for (const auto& d : *devs) {
        std::printf("%-32s %-10s in %2d  out %2d  %6.0f Hz%s%s\n", d.name.c_str(), d.host_api.c_str(),
                    d.max_input_channels, d.max_output_channels, d.default_sample_rate_hz,
                    d.is_default_input ? "  [default input]" : "", d.is_default_output ? "  [default output]" : "");
    }
    return kExitOk;
}

int cmd_media_play(const Argv& argv) {
    Args args;
    Cli cli;
    int rc = 0;
    if (!parse_command(argv, {.options = {"--device"}, .min_positional = 1, .max_positional = 1}, "media play", kPlayUsage,
                       args, cli, &rc))
        return rc;
    media::PlayerSettings s;
    s.stream.device = args.option("--device");
    auto player = media::AudioPlayer::open(args.positional[0], s);
    if (!player.ok()) return report_error(cli, player.error());
    media::AudioPlayer& p = **player;
    if (Status st = p.play(); !st.ok()) return report_error(cli, st.error());
    const bool show = !cli.quiet && !cli.json, tty = ::isatty(STDERR_FILENO) != 0;
    auto last = std::chrono::steady_clock::now();
    bool stopped = false;
    while (!p.finished() && p.error().ok()) {
        if (interrupt_requested()) {
            stopped = true;
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        const auto now = std::chrono::steady_clock::now();
        if (show && now - last >= std::chrono::milliseconds(tty ? 100 : 1000)) {
            last = now;
            std::fprintf(stderr, "%s%s / %s%s", tty ? "\r" : "", clock_text(p.position_ms()).c_str(),
                         clock_text(p.duration_ms()).c_str(), tty ? "" : "\n");
        }
    }
    p.pause();
    if (show && tty) std::fprintf(stderr, "\n");
    if (Status st = p.error(); !st.ok()) return report_error(cli, st.error());
    if (cli.json) {
        print_json(json{{"play", {{"file", args.positional[0]}, {"position_ms", p.position_ms()},
                                  {"duration_ms", p.duration_ms()}, {"underruns", p.underruns()}, {"stopped", stopped}}}});
    } else {
        std::printf("%s %s at %s of %s\n", stopped ? "Stopped" : "Played", args.positional[0].c_str(),
                    clock_text(p.position_ms()).c_str(), clock_text(p.duration_ms()).c_str());
    }
    return stopped ? kExitCancelled : kExitOk;
}

int cmd_media_record(const Argv& argv) {
    Args args;
    Cli cli;
    int rc = 0;
    if (!parse_command(argv, {.options = {"--device", "--seconds"}, .min_positional = 1, .max_positional = 1},
                       "media record", kRecordUsage, args, cli, &rc))
        return rc;
    auto ms = seconds_option(args);
    if (!ms.ok()) return report_error(cli, ms.error(), kExitUsage);
    const fs::path out = args.positional[0];
    const pipelines::RecordOptions opts{.device = args.option("--device"), .max_duration_ms = *ms};
    ProgressLine progress(!cli.quiet && !cli.json);
    const std::string title = "Record " + out.filename().string();
    JobEvents ev;
    ev.on_progress = [&](JobId, const JobProgress& p) { progress.update(title, p); };
    JobScheduler scheduler(1, ev);
    Result<pipelines::RecordReport> result = make_error(ErrorCode::Internal, "the recording did not run");
    const JobId id = scheduler.submit({.uuid = {}, .kind = "record", .title = title, .params_json = {}}, [&](JobContext& ctx) -> Status {
        result = pipelines::record_to_file(ctx, out, opts);
        return result.ok() ? ok_status() : Status(result.error());
    });
    while (!scheduler.wait(id, std::chrono::milliseconds(100)))
        if (interrupt_requested()) scheduler.cancel(id);  // stop and keep
    progress.finish();
    if (!result.ok()) return report_error(cli, result.error());
    if (cli.json) {
        json j = record_json(*result);
        j["out"] = out.string();
        print_json(json{{"record", j}});
    } else {
        std::printf("Wrote %s: %.2f s, %d Hz, %d ch%s\n", out.c_str(), result->duration_ms / 1000.0, result->sample_rate_hz,
                    result->channels, result->stopped_by_cancel ? " (stopped early)" : "");
    }
    return kExitOk;
}

int cmd_project_record(const Argv& argv) {
    Args args;
    Cli cli;
    int rc = 0;
    if (!parse_command(argv, {.options = {"--device", "--seconds", "--name"}, .min_positional = 1, .max_positional = 1},
                       "project record", kProjectRecordUsage, args, cli, &rc))
        return rc;
    auto ms = seconds_option(args);
    if (!ms.ok()) return report_error(cli, ms.error(), kExitUsage);
    auto studio = pipelines::Studio::open(args.positional[0]);
    if (!studio.ok()) return report_error(cli, studio.error());
    auto report = std::make_shared<pipelines::RecordReport>();
    pipelines::RecordOptions opts{.device = args.option("--device"), .max_duration_ms = *ms, .name = args.option("--name")};
    const JobId id = pipelines::submit_record(**studio, opts, report);
    const JobInfo info = run_job(**studio, id, cli);
    if (info.state != JobState::Done) return report_error(cli, info.error, job_exit_code(info));
    if (Status st = pipelines::register_recording(**studio, *report); !st.ok()) return report_error(cli, st.error());
    if (cli.json) {
        json j = record_json(*report);
        j["asset_uuid"] = report->asset_uuid;
        print_json(json{{"job", {{"uuid", info.spec.uuid}, {"state", "done"}}}, {"record", j}});
    } else {
        std::printf("Recorded %.2f s into asset %s%s\n", report->duration_ms / 1000.0, report->asset_uuid.c_str(),
                    report->stopped_by_cancel ? " (stopped early)" : "");
    }
    return kExitOk;
}

}  // namespace atelier::cli
