// `speak --voice V (--text T | --file F) --out FILE` and `voices`: text to speech with a Piper
// voice (pipelines/speak), as one job with per-sentence progress on stderr; Ctrl+C cancels and
// leaves no file. With --project the audio also becomes an asset with its provenance. Text that
// starts with <speak is SSML-lite (inference/tts/ssml.h); --ssml forces it for a fragment.
// Thread-safety: main thread; the job runs on a worker (the Studio's or a private scheduler).
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/job-runner.h"
#include "inference/tts/ssml.h"
#include "inference/tts/voice-config.h"
#include "inference/tts/voices.h"
#include "pipelines/import.h"
#include "pipelines/speak.h"

namespace atelier::cli {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kSpeakUsage =
    "usage: atelier-cli speak --voice V (--text T | --file F) --out FILE [--speed S] [--pause SECONDS]\n"
    "                         [--ssml] [--speaker N] [--threads N] [--project P] [--force] [--json] [--quiet]\n"
    "  --voice V      a voice name (see `atelier-cli voices`) or a voice folder\n"
    "  --text T       the text to speak; --file F reads it from a UTF-8 file\n"
    "  --out FILE     .wav, .flac, .opus, .mp3 or .m4a (the format follows the extension)\n"
    "  --speed S      1 = the voice's own pace, 1.5 = faster, 0.8 = slower (0.25..4)\n"
    "  --pause S      silence between sentences in seconds (default 0.2)\n"
    "  --ssml         read the text as SSML-lite even without <speak> around it (text starting\n"
    "                 with <speak is SSML anyway): <break time=\"500ms\"/>, <prosody rate=\"slow|80%|1.2\">,\n"
    "                 <say-as interpret-as=\"cardinal|ordinal|digits|date|time|telephone|characters\">\n"
    "  --speaker N    the speaker of a multi-speaker voice (default 0; checked against the voice)\n"
    "  --project P    also add the audio to project P as an asset, with its provenance\n"
    "  --force        replace FILE if it exists\n";

constexpr const char* kVoicesUsage =
    "usage: atelier-cli voices [--dir DIR]... [--json]\n"
    "  Lists the speech voices found in the model cache (where scripts/fetch-models puts them;\n"
    "  $ATELIER_MODEL_CACHE overrides it) and in each --dir.\n";

Result<float> parse_float(const std::string& name, const std::string& v, float fallback) {
    if (v.empty()) return fallback;
    char* end = nullptr;
    const float f = std::strtof(v.c_str(), &end);
    if (*end != '\0') return make_error(ErrorCode::InvalidArgument, name + " needs a number, got '" + v + "'", "for example " + name + " 1.2");
    return f;
}

Result<std::string> read_text(const Args& args) {
    const bool has_text = !args.option("--text").empty(), has_file = !args.option("--file").empty();
    if (has_text == has_file)
        return make_error(ErrorCode::InvalidArgument, "give the text with exactly one of --text or --file", "atelier-cli speak --help");
    if (has_text) return args.option("--text");
    std::ifstream in(args.option("--file"), std::ios::binary);
    if (!in) return make_error(ErrorCode::NotFound, args.option("--file") + ": cannot be read", "check the path");
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// --ssml: checks the fragment here (so errors give its own line and column) and wraps it in
// <speak> for the pipeline, which recognises SSML by that root.
Result<std::string> force_ssml(const std::string& text) {
    if (infer::tts::looks_like_ssml(text)) return text;
    std::vector<std::string> warnings;
    ATELIER_TRY(infer::tts::parse_ssml(text, warnings, /*implicit_root=*/true));
    return "<speak>" + text + "</speak>";
}

// --speaker N against the voice's speaker count (voice.json); the speaker number on success.
Result<int> check_speaker(const std::string& voice, const std::string& value) {
    if (value.empty()) return 0;
    char* end = nullptr;
    const long n = std::strtol(value.c_str(), &end, 10);
    if (*end != '\0' || n < 0) return make_error(ErrorCode::InvalidArgument, "--speaker needs a speaker number, got '" + value + "'", "for example --speaker 0");
    auto dir = pipelines::find_voice(voice, pipelines::voice_roots());
    if (!dir.ok()) return dir.error();
    auto cfg = infer::tts::load_voice_config(*dir / "voice.json");
    if (!cfg.ok()) return cfg.error();
    if (n >= cfg->num_speakers)
        return make_error(ErrorCode::InvalidArgument,
                          "speaker " + value + " is out of range: " + dir->filename().string() + " has " + std::to_string(cfg->num_speakers) + " speaker(s)",
                          "pick --speaker 0.." + std::to_string(cfg->num_speakers - 1));
    return static_cast<int>(n);
}

}  // namespace

int cmd_speak(const Argv& argv) {
    Args args;
    Cli cli;
    int rc = 0;
    if (!parse_command(argv, {.flags = {"--force", "--ssml"}, .options = {"--voice", "--text", "--file", "--out", "--speed", "--pause", "--threads", "--project", "--speaker"}},
                       "speak", kSpeakUsage, args, cli, &rc))
        return rc;
    pipelines::SpeakSettings s;
    s.voice = args.option("--voice");
    auto speed = parse_float("--speed", args.option("--speed"), 1.0f);
    auto pause = parse_float("--pause", args.option("--pause"), 0.2f);
    auto threads = parse_float("--threads", args.option("--threads"), 0.0f);
    if (!speed.ok()) return report_error(cli, speed.error(), kExitUsage);
    if (!pause.ok()) return report_error(cli, pause.error(), kExitUsage);
    if (!threads.ok()) return report_error(cli, threads.error(), kExitUsage);
    s.speed = *speed;
    s.sentence_silence_s = std::max(0.0f, *pause);
    s.threads = static_cast<int>(*threads);
    auto text = read_text(args);
    if (!text.ok()) return report_error(cli, text.error(), kExitUsage);
    if (args.has("--ssml")) text = force_ssml(*text);
    if (!text.ok()) return report_error(cli, text.error(), kExitUsage);
    auto speaker = check_speaker(s.voice, args.option("--speaker"));
    if (!speaker.ok()) return report_error(cli, speaker.error(), kExitUsage);
    s.speaker_id = *speaker;
    if (args.option("--out").empty()) return report_error(cli, make_error(ErrorCode::InvalidArgument, "--out FILE is required", "for example --out hello.wav"), kExitUsage);
    const fs::path out = fs::absolute(args.option("--out"));
    std::unique_ptr<pipelines::Studio> studio;
    if (!args.option("--project").empty()) {
        auto st = pipelines::Studio::open(args.option("--project"));
        if (!st.ok()) return report_error(cli, st.error());
        studio = std::move(*st);
    }
    auto report = std::make_shared<pipelines::SpeakReport>();
    const bool force = args.has("--force");
    const std::string body_text = *text;
    auto body = [report, s, out, force, body_text, studio_ptr = studio.get()](JobContext& ctx) -> Status {
        ATELIER_TRY_ASSIGN(*report, pipelines::speak_to_file(ctx, body_text, s, out, force));
        if (studio_ptr) ATELIER_TRY(pipelines::store_speech(ctx, studio_ptr->project(), body_text, s, *report, ctx.spec().uuid));
        return ok_status();
    };
    JobSpec spec{.uuid = {}, .kind = "speak", .title = "Speak into " + out.filename().string(),
                 .params_json = json{{"voice", s.voice}, {"out", out.string()}, {"speed", s.speed}}.dump()};
    JobInfo info;
    if (studio) {
        info = run_job(*studio, studio->submit_job(std::move(spec), body), cli);
    } else {
        ProgressLine progress(!cli.quiet);
        JobEvents ev;
        ev.on_progress = [&](JobId, const JobProgress& p) { progress.update(spec.title, p); };
        JobScheduler scheduler(1, ev);
        const JobId id = scheduler.submit(spec, body);
        bool cancel_sent = false;
        while (!scheduler.wait(id, std::chrono::milliseconds(50)))
            if (interrupt_requested() && !cancel_sent) cancel_sent = scheduler.cancel(id);
        progress.finish();
        info = scheduler.info(id).value_or(JobInfo{});
    }
    if (info.state != JobState::Done) return report_error(cli, info.error, job_exit_code(info));
    const pipelines::SpeakReport& r = *report;
    if (cli.json) {
        print_json(json{{"out", r.out.string()}, {"voice", r.voice_dir.filename().string()}, {"sample_rate_hz", r.sample_rate_hz},
                        {"duration_ms", r.duration_ms}, {"sentences", r.sentences}, {"synth_ms", r.synth_ms},
                        {"first_audio_ms", r.first_audio_ms}, {"warnings", r.warnings}, {"asset_uuid", r.asset_uuid},
                        {"generation_uuid", r.generation_uuid}});
    } else if (!cli.quiet) {
        for (const auto& w : r.warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
        std::printf("%s: %.1f s of speech, %zu sentence(s), synthesised in %.2f s (real-time factor %.3f)%s\n", r.out.string().c_str(),
                    r.duration_ms / 1000.0, r.sentences, r.synth_ms / 1000.0, r.duration_ms > 0 ? r.synth_ms / r.duration_ms : 0.0,
                    r.asset_uuid.empty() ? "" : (", asset " + r.asset_uuid).c_str());
    }
    return kExitOk;
}

int cmd_voices(const Argv& argv) {
    Args args;
    Cli cli;
    int rc = 0;
    if (!parse_command(argv, {.flags = {}, .options = {"--dir"}}, "voices", kVoicesUsage, args, cli, &rc)) return rc;
    std::vector<fs::path> extra;
    for (const auto& d : args.option_values("--dir")) extra.emplace_back(d);
    json list = json::array();
    std::vector<std::string> problems;
    for (const fs::path& root : pipelines::voice_roots(extra)) {
        auto voices = infer::tts::list_voices(root, problems);
        if (!voices.ok()) continue;
        for (const auto& v : *voices)
            list.push_back({{"name", v.name}, {"dir", v.dir.string()}, {"sample_rate_hz", v.sample_rate}, {"language", v.language},
                            {"espeak_voice", v.espeak_voice}, {"own_espeak_data", v.own_espeak_data}});
    }
    if (cli.json) {
        print_json(json{{"voices", list}, {"problems", problems}});
        return kExitOk;
    }
    if (list.empty()) std::printf("No voices found. Run scripts/fetch-models to install the Piper voice en_US-joe-medium.\n");
    for (const auto& v : list)
        std::printf("%-20s %-6s %6d Hz  %s\n", v["name"].get<std::string>().c_str(), v["language"].get<std::string>().c_str(),
                    v["sample_rate_hz"].get<int>(), v["dir"].get<std::string>().c_str());
    for (const auto& p : problems) std::fprintf(stderr, "skipped: %s\n", p.c_str());
    return kExitOk;
}

}  // namespace atelier::cli
