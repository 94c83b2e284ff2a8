// `media probe FILE` and `media convert IN OUT`: describe any media file, or convert one (images
// to PNG/JPEG, audio and video through the export render path) as a job with progress on stderr
// and Ctrl+C cancelling cleanly (the half-written output is removed).
// Thread-safety: main thread; the conversion runs on a JobScheduler worker.
#include <cstdio>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/job-runner.h"
#include "media/probe.h"
#include "pipelines/export.h"

namespace atelier::cli {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kProbeUsage =
    "usage: atelier-cli media probe FILE [--json]\n"
    "  Shows the container, duration, size and streams (codec, size, frame rate, rotation, sample\n"
    "  rate, channels) of an image, audio or video file.\n";
constexpr const char* kConvertUsage =
    "usage: atelier-cli media convert IN OUT [--preset P] [--force] [--json] [--quiet]\n"
    "  Converts IN to the format OUT's extension names: .png .jpg (a picture or a video's first\n"
    "  frame), .wav .flac .opus .mp3 .m4a (sound), .mp4 (H.264/AAC) .webm (VP9/Opus) .mkv.\n"
    "  --preset P   source (keep size and frame rate; the default for video), 1080p30, 720p30, vertical\n"
    "  --force      replace OUT if it exists (only once the new file is complete)\n";

void print_info(const media::MediaInfo& m) {
    std::printf("%s: %s (%s), %.3f s, %s\n", m.path.c_str(), media::media_kind_name(m.kind), m.container.c_str(),
                m.duration_ms / 1000.0, human_size(m.size_bytes).c_str());
    for (const auto& s : m.streams) {
        std::printf("  #%d %-8s %-10s", s.index, media::stream_type_name(s.type), s.codec.c_str());
        if (s.type == media::StreamType::Video) {
            std::printf(" %dx%d", s.width, s.height);
            if (s.fps > 0) std::printf(" %.3f fps", s.fps);
            if (s.rotation_deg) std::printf(" rotated %d", s.rotation_deg);
        }
        if (s.type == media::StreamType::Audio) std::printf(" %d Hz %d ch %s", s.sample_rate_hz, s.channels, s.channel_layout.c_str());
        if (!s.language.empty()) std::printf(" [%s]", s.language.c_str());
        std::printf("\n");
    }
}

}  // namespace

int cmd_media_probe(const Argv& argv) {
    Args args;
    Cli cli;
    int rc = 0;
    if (!parse_command(argv, {.min_positional = 1, .max_positional = 1}, "media probe", kProbeUsage, args, cli, &rc)) return rc;
    auto info = media::probe_file(args.positional[0]);
    if (!info.ok()) return report_error(cli, info.error());
    if (cli.json) print_json(json{{"media", json::parse(info->to_json())}});
    else print_info(*info);
    return kExitOk;
}

int cmd_media_convert(const Argv& argv) {
    Args args;
    Cli cli;
    int rc = 0;
    if (!parse_command(argv, {.flags = {"--force"}, .options = {"--preset"}, .min_positional = 2, .max_positional = 2},
                       "media convert", kConvertUsage, args, cli, &rc))
        return rc;
    const fs::path in = args.positional[0], out = args.positional[1];
    pipelines::ExportOptions opts{.preset = args.option("--preset"), .overwrite = args.has("--force")};
    if (!opts.preset.empty()) {
        if (auto p = pipelines::export_preset(opts.preset); !p.ok()) return report_error(cli, p.error(), kExitUsage);
    }
    ProgressLine progress(!cli.quiet && !cli.json);
    const std::string title = "Convert " + out.filename().string();
    JobEvents ev;
    ev.on_progress = [&](JobId, const JobProgress& p) { progress.update(title, p); };
    JobScheduler scheduler(1, ev);
    Result<pipelines::ExportReport> result = make_error(ErrorCode::Cancelled, "conversion cancelled");
    const JobId id = scheduler.submit({.kind = "convert", .title = title}, [&](JobContext& ctx) -> Status {
        result = pipelines::convert_media(&ctx, in, out, opts);
        return result.ok() ? ok_status() : Status(result.error());
    });
    while (!scheduler.wait(id, std::chrono::milliseconds(100)))
        if (interrupt_requested()) scheduler.cancel(id);
    progress.finish();
    if (!result.ok()) return report_error(cli, result.error());
    if (cli.json) {
        print_json(json{{"convert", {{"in", in.string()}, {"out", out.string()}, {"frames", result->frames},
                                     {"duration_ms", result->duration_ms}, {"size_bytes", result->size_bytes},
                                     {"preset", result->preset}}}});
    } else {
        std::printf("Wrote %s (%s)\n", out.c_str(), human_size(result->size_bytes).c_str());
    }
    return kExitOk;
}

}  // namespace atelier::cli
