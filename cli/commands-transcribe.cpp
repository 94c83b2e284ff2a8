// `transcribe FILE... --model M ...`: speech to text with a Whisper model. Each file is one
// transcribe job (pipelines/transcribe): progress on stderr, segments printed as they become final,
// Ctrl+C cancels cleanly (nothing stored, no file written). The transcript goes to files
// (--srt/--vtt/--txt/--json, in --out DIR) and, with --project, into the project with its
// provenance. The model is checked first, so a model that is not Whisper fails before any work.
// --microphone: one live take (pipelines/transcribe-live) instead of files: final segments on
// stdout, the changing partial text on stderr, Ctrl+C or --seconds ends the take, which is kept
// and written/stored like a file's transcript (named microphone-<date>-<time>.<ext>).
// Thread-safety: main thread; jobs run on a worker (the Studio's, or a private scheduler).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <optional>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/job-runner.h"
#include "media/subtitle-format.h"
#include "pipelines/transcribe-live.h"
#include "pipelines/transcribe.h"
#include "pipelines/transcript-export.h"

namespace atelier::cli {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kTranscribeUsage =
    "usage: atelier-cli transcribe FILE... --model M [--language xx|auto] [--task transcribe|translate]\n"
    "                              [--beam N] [--word-timestamps] [--no-vad] [--prompt TEXT] [--threads N]\n"
    "                              [--srt] [--vtt] [--txt] [--json] [--out DIR] [--project P] [--force] [--quiet]\n"
    "       atelier-cli transcribe --microphone [--device NAME] [--seconds N] --model M [same options]\n"
    "  FILE...            audio or video files (any format FFmpeg reads; the sound is used)\n"
    "  --microphone       live captions from the microphone instead of files: final segments on\n"
    "                     stdout, the partial text on stderr; Ctrl+C or --seconds ends the take,\n"
    "                     which is kept (files named microphone-<date>-<time>.<ext>)\n"
    "  --device NAME      the input device (exact name or unique part; default: the system's)\n"
    "  --seconds N        stop listening after N seconds\n"
    "  --model M          a Whisper model: a folder with config.json + model.safetensors, or a\n"
    "                     whisper.cpp ggml .bin file\n"
    "  --language xx      the spoken language (en, fr, ...); auto (default) detects it\n"
    "  --task translate   translate into English instead of transcribing\n"
    "  --beam N           beam size (default 5; 1 = greedy)\n"
    "  --word-timestamps  times and confidence for every word (in the JSON file)\n"
    "  --srt --vtt --txt  write FILE's transcript as SubRip, WebVTT or plain text into --out\n"
    "  --json             write the transcript as JSON with every word, and print one JSON object\n"
    "                     (the jobs, transcripts and files) on stdout instead of the segments\n"
    "  --out DIR          where the files go (default: the current folder); named <stem>.<ext>\n"
    "  --project P        also store each transcript in project P, with its provenance\n"
    "  --force            replace existing output files\n"
    "Segments are printed on stdout as they are recognised ([start --> end] text).\n";

struct Formats {
    std::vector<std::string> exts;  // "srt", "vtt", "txt", "json"
};

Result<pipelines::TranscribeSettings> settings_from(const Args& args) {
    pipelines::TranscribeSettings s;
    s.model = args.option("--model");
    s.language = args.option("--language", "auto");
    const std::string task = args.option("--task", "transcribe");
    s.task = task == "translate" ? pipelines::TranscribeTask::Translate
             : task == "transcribe" ? pipelines::TranscribeTask::Transcribe
                                    : pipelines::TranscribeTask::Invalid;
    s.word_timestamps = args.has("--word-timestamps");
    s.vad = !args.has("--no-vad");
    s.initial_prompt = args.option("--prompt");
    for (auto [name, field] : {std::pair{"--beam", &s.beam_size}, std::pair{"--threads", &s.threads}}) {
        const std::string v = args.option(name);
        if (v.empty()) continue;
        char* end = nullptr;
        const long n = std::strtol(v.c_str(), &end, 10);
        if (*end != '\0' || n < 0 || n > 1024)
            return make_error(ErrorCode::InvalidArgument, std::string(name) + " needs a whole number, got '" + v + "'",
                              "for example --beam 5");
        *field = static_cast<int>(n);
    }
    ATELIER_TRY(pipelines::validate_transcribe_settings(s));
    if (s.model.empty())
        return make_error(ErrorCode::InvalidArgument, "--model is required", "pass a Whisper folder or ggml .bin file");
    return s;
}

std::string stamp(int64_t ms) { return media::format_timestamp(ms, '.'); }

// What output files of a report are named after: the file's stem, or microphone-<date>-<time>.
std::string output_stem(const pipelines::TranscribeReport& r) {
    if (!r.source.empty()) return r.source.stem().string();
    return pipelines::local_time_text("microphone-%Y%m%d-%H%M%S");
}

// Writes the requested files for one transcript; returns their paths.
Result<std::vector<std::string>> write_outputs(const pipelines::TranscribeReport& r, const Formats& f, const fs::path& dir,
                                               bool force, projects::Project* project) {
    const std::string stem = output_stem(r);
    std::vector<std::string> written;
    std::optional<projects::Generation> gen;
    if (project && !r.generation_uuid.empty()) {
        if (auto g = project->get_generation(r.generation_uuid); g.ok()) gen = std::move(*g);
    }
    for (const auto& ext : f.exts) {
        const fs::path dest = dir / (stem + "." + ext);
        ATELIER_TRY(pipelines::write_transcript_file(r.doc, dest, force, gen ? &*gen : nullptr));
        written.push_back(dest.string());
    }
    return written;
}

json report_json(const pipelines::TranscribeReport& r, const JobInfo& info, const std::vector<std::string>& files) {
    json segs = json::array();
    for (const auto& s : r.doc.segments) segs.push_back({{"start_ms", s.start_ms}, {"end_ms", s.end_ms}, {"text", s.text}});
    return json{{"file", r.source.empty() ? std::string("microphone") : r.source.string()}, {"job", {{"uuid", info.spec.uuid}, {"state", job_state_name(info.state)}}},
                {"transcript_uuid", r.transcript_uuid}, {"generation_uuid", r.generation_uuid},
                {"language", r.doc.transcript.language}, {"audio_ms", r.audio_ms}, {"model", r.model},
                {"segments", segs}, {"files", files}};
}

// "[start --> end] text" on stdout, for a segment as the "segment" partial carries it.
void print_segment(const json& j) {
    std::string text = j.value("text", std::string());
    text.erase(0, text.find_first_not_of(' '));
    std::printf("[%s --> %s] %s\n", stamp(j.value("start_ms", int64_t{0})).c_str(), stamp(j.value("end_ms", int64_t{0})).c_str(),
                text.c_str());
    std::fflush(stdout);
}

// Runs a job through the Studio (stored) or a private scheduler (files only); Ctrl+C cancels it.
JobInfo run_job_with(pipelines::Studio* studio, const std::function<JobId(pipelines::Studio&)>& submit_to_studio,
                     const std::string& title, std::function<Status(JobContext&)> fn, const Cli& cli,
                     const std::function<void(JobId, const JobPartial&)>& on_partial) {
    if (studio) {
        pipelines::StudioEvents ev;
        ev.on_job_partial = on_partial;
        return run_job(*studio, submit_to_studio(*studio), cli, ev);
    }
    ProgressLine progress(!cli.quiet);
    JobEvents ev;
    ev.on_progress = [&](JobId, const JobProgress& p) { progress.update(title, p); };
    ev.on_partial = on_partial;
    JobScheduler scheduler(1, ev);
    const JobId id = scheduler.submit({.uuid = {}, .kind = "transcribe", .title = title, .params_json = {}}, std::move(fn));
    bool cancel_sent = false;
    while (!scheduler.wait(id, std::chrono::milliseconds(50))) {
        if (interrupt_requested() && !cancel_sent) cancel_sent = scheduler.cancel(id);
    }
    progress.finish();
    return scheduler.info(id).value_or(JobInfo{});
}

// One live take: final segments on stdout as they come, the partial text on stderr when it
// changes (unless --quiet/--json); no progress line (it would fight the captions).
JobInfo run_microphone(const pipelines::MicrophoneOptions& mic, const pipelines::TranscribeSettings& s,
                       pipelines::Studio* studio, const Cli& cli, const std::shared_ptr<pipelines::TranscribeReport>& report) {
    std::mutex print_mutex;
    std::string last_partial;
    auto on_partial = [&](JobId, const JobPartial& p) {
        if (cli.json || p.kind != "caption") return;
        const json j = json::parse(p.payload, nullptr, false);
        if (j.is_discarded()) return;
        std::lock_guard lock(print_mutex);
        for (const auto& seg : j.value("final", json::array())) print_segment(seg);
        const std::string partial = j.value("partial", std::string());
        if (!cli.quiet && partial != last_partial && partial.find_first_not_of(' ') != std::string::npos)
            std::fprintf(stderr, "... %s\n", partial.c_str() + partial.find_first_not_of(' '));
        last_partial = partial;
    };
    Cli quiet = cli;
    quiet.quiet = true;
    if (!cli.quiet && !cli.json)
        std::fprintf(stderr, "Listening%s; Ctrl+C ends the take.\n", mic.device.empty() ? "" : (" on " + mic.device).c_str());
    return run_job_with(
        studio, [&](pipelines::Studio& st) { return pipelines::submit_transcribe_microphone(st, mic, s, {}, report); },
        "Live transcription",
        [&](JobContext& ctx) -> Status {
            auto r = pipelines::transcribe_microphone(ctx, nullptr, mic, s, pipelines::whisper_loader());
            if (!r.ok()) return r.error();
            *report = std::move(*r);
            return ok_status();
        },
        quiet, on_partial);
}

// Runs one file: through the Studio (stored) or a private scheduler (files only).
JobInfo run_one(const fs::path& file, const pipelines::TranscribeSettings& s, pipelines::Studio* studio, const Cli& cli,
                const std::shared_ptr<pipelines::TranscribeReport>& report) {
    std::mutex print_mutex;
    auto on_partial = [&](JobId, const JobPartial& p) {
        if (cli.json || p.kind != "segment") return;
        const json j = json::parse(p.payload, nullptr, false);
        if (j.is_discarded()) return;
        std::lock_guard lock(print_mutex);
        print_segment(j);
    };
    return run_job_with(
        studio, [&](pipelines::Studio& st) { return pipelines::submit_transcribe(st, file, s, {}, report); },
        "Transcribe " + file.filename().string(),
        [&](JobContext& ctx) -> Status {
            auto r = pipelines::transcribe_file(ctx, file, s, pipelines::whisper_loader());
            if (!r.ok()) return r.error();
            *report = std::move(*r);
            return ok_status();
        },
        cli, on_partial);
}

}  // namespace

// --microphone [--device NAME] [--seconds N]: the capture options (nullopt: files), or a usage
// error (files and --microphone together, neither, a bad --seconds).
Result<std::optional<pipelines::MicrophoneOptions>> microphone_from(const Args& args) {
    const bool on = args.has("--microphone");
    if (on && !args.positional.empty())
        return make_error(ErrorCode::InvalidArgument, "--microphone takes no files", "transcribe files or the microphone, not both");
    if (!on && args.positional.empty())
        return make_error(ErrorCode::InvalidArgument, "no file to transcribe", "give one or more files, or --microphone");
    if (!on && (!args.option("--device").empty() || !args.option("--seconds").empty()))
        return make_error(ErrorCode::InvalidArgument, "--device and --seconds go with --microphone");
    if (!on) return std::optional<pipelines::MicrophoneOptions>{};
    pipelines::MicrophoneOptions mic;
    mic.device = args.option("--device");
    if (const std::string v = args.option("--seconds"); !v.empty()) {
        char* end = nullptr;
        const long n = std::strtol(v.c_str(), &end, 10);
        if (*end != '\0' || n < 1 || n > 4 * 3600)
            return make_error(ErrorCode::InvalidArgument, "--seconds needs a whole number of seconds from 1 to 14400, got '" + v + "'",
                              "for example --seconds 60");
        mic.max_duration_ms = int64_t{n} * 1000;
    }
    // Room for a whole take of up to a minute: a device that delivers faster than real time (a
    // file device) or a slow first step then loses nothing.
    mic.ring_frames = static_cast<size_t>(std::clamp<int64_t>(mic.max_duration_ms * mic.sample_rate_hz / 1000,
                                                              int64_t{1} << 18, int64_t{60} * mic.sample_rate_hz));
    return std::optional<pipelines::MicrophoneOptions>(std::move(mic));
}

int cmd_transcribe(const Argv& argv) {
    Args args;
    Cli cli;
    int rc = 0;
    if (!parse_command(argv,
                       {.flags = {"--word-timestamps", "--no-vad", "--srt", "--vtt", "--txt", "--force", "--microphone"},
                        .options = {"--model", "--language", "--task", "--beam", "--threads", "--prompt", "--out", "--project",
                                    "--device", "--seconds"},
                        .min_positional = 0, .max_positional = SIZE_MAX},
                       "transcribe", kTranscribeUsage, args, cli, &rc))
        return rc;
    auto settings = settings_from(args);
    if (!settings.ok()) return report_error(cli, settings.error(), kExitUsage);
    auto mic = microphone_from(args);
    if (!mic.ok()) return report_error(cli, mic.error(), kExitUsage);
    if (Status st = pipelines::check_whisper_model(settings->model); !st.ok()) return report_error(cli, st.error());
    Formats formats;
    for (const char* ext : {"srt", "vtt", "txt", "json"})
        if (args.has(std::string("--") + ext)) formats.exts.push_back(ext);
    const fs::path out_dir = args.option("--out", ".");
    std::error_code ec;
    if (!formats.exts.empty() && !fs::is_directory(out_dir, ec))
        return report_error(cli, make_error(ErrorCode::NotFound, out_dir.string() + ": no such folder", "create it first"));
    std::unique_ptr<pipelines::Studio> studio;
    if (!args.option("--project").empty()) {
        auto s = pipelines::Studio::open(args.option("--project"));
        if (!s.ok()) return report_error(cli, s.error());
        studio = std::move(*s);
    }
    json results = json::array(), failures = json::array();
    int exit_code = kExitOk;
    std::optional<Error> first_error;
    const std::vector<std::string> inputs = *mic ? std::vector<std::string>{"microphone"} : args.positional;
    for (const auto& file : inputs) {
        auto report = std::make_shared<pipelines::TranscribeReport>();
        const JobInfo info = *mic ? run_microphone(**mic, *settings, studio.get(), cli, report)
                                  : run_one(file, *settings, studio.get(), cli, report);
        if (info.state == JobState::Cancelled) {
            if (cli.json) print_json(json{{"job", {{"uuid", info.spec.uuid}, {"state", "cancelled"}}}, {"transcripts", results}});
            else std::fprintf(stderr, "atelier-cli: cancelled; %s was not transcribed.\n", file.c_str());
            return kExitCancelled;
        }
        if (info.state != JobState::Done) {
            if (!cli.json) report_error(cli, info.error, job_exit_code(info));
            failures.push_back({{"file", file}, {"error", error_json(info.error)}});
            if (exit_code == kExitOk) exit_code = job_exit_code(info), first_error = info.error;
            continue;
        }
        auto written = write_outputs(*report, formats, out_dir, args.has("--force"), studio ? &studio->project() : nullptr);
        if (!written.ok()) {
            if (!cli.json) report_error(cli, written.error());
            failures.push_back({{"file", file}, {"error", error_json(written.error())}});
            if (exit_code == kExitOk) exit_code = exit_code_for(written.error()), first_error = written.error();
            continue;
        }
        results.push_back(report_json(*report, info, *written));
        if (!cli.json) {
            for (const auto& w : *written) std::fprintf(stderr, "Wrote %s\n", w.c_str());
            if (!report->transcript_uuid.empty())
                std::fprintf(stderr, "Stored transcript %s in %s\n", report->transcript_uuid.c_str(), args.option("--project").c_str());
        }
    }
    if (cli.json && results.empty() && first_error) return report_error(cli, *first_error, exit_code);
    if (cli.json) {
        json out{{"transcripts", results}};
        if (!failures.empty()) out["failures"] = failures;
        print_json(out);
    }
    return exit_code;
}

}  // namespace atelier::cli
