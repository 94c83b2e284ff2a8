// atelier-cli: the headless front end. Dispatches to cli/commands-*.cpp; prints --help/--version.
// Every subcommand drives the same pipelines (and job system) as the GUI.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/job-runner.h"
#include "core/version.h"

namespace {

constexpr const char* kHelp =
    "atelier-cli " ATELIER_VERSION ": Atelier projects from the command line\n"
    "\n"
    "usage: atelier-cli COMMAND [ARGS] [--json] [--quiet]\n"
    "\n"
    "commands:\n"
    "  project new PATH [--name NAME]             create a project (.atelier file + media folder)\n"
    "  project info PATH                          name, schema, media folder, counts\n"
    "  project import PATH FILE|DIR... [--no-copy] import images, audio and video (de-duplicated)\n"
    "  project list PATH [--kind K] [--jobs]      list assets (K: image, audio, video) or jobs\n"
    "  project bundle PATH DEST [--zip]           write a folder or .zip with every asset and a manifest\n"
    "  project rerun PATH JOB_UUID                rerun an interrupted, failed or cancelled job\n"
    "  project record PATH --seconds N [--device D] record from an input into an audio asset\n"
    "  demo [--out DIR] [--no-video]             make inputs and a project, and show what works\n"
    "  model info FILE|DIR [--ctx N] [--tensors] architecture, parameters, types, memory plan of a model\n"
    "  generate --model PATH --prompt TEXT [...]  generate text with a DeepSeek V4 model (streams; --json)\n"
    "  chat --model PATH [--think] [...]          chat with a DeepSeek V4 model on the terminal\n"
    "  media probe FILE                           container, duration and streams of a media file\n"
    "  media convert IN OUT [--preset P]          convert a picture, sound or video (format from OUT)\n"
    "  media devices                              list sound devices (default input/output marked)\n"
    "  media play FILE [--device D]               play a file's sound (Ctrl+C stops)\n"
    "  media record OUT.wav --seconds N [--device D] record from an input into a WAV\n"
    "  export PROJECT --timeline [ID] --out FILE [--preset P]  render the timeline to MP4/WebM/audio\n"
    "  export PROJECT --subtitles FILE            subtitle items as .srt/.vtt/.txt/.json\n"
    "  export PROJECT --bundle DIR [--zip]        same as 'project bundle'\n"
    "  transcribe FILE... --model M [...]         speech to text with Whisper (--srt/--vtt/--txt/--json, --project P)\n"
    "  speak --voice V --text T --out FILE [...]  text to speech with a Piper voice (--project P adds it)\n"
    "  voices [--json]                            the speech voices found\n"
    "  COMMAND --help                             usage of one command\n"
    "\n"
    "options for every command:\n"
    "  --json    print one JSON object on stdout; errors as {\"error\":{\"code\",\"name\",\"detail\",\"hint\"}}\n"
    "  --quiet   no progress on stderr (progress is one updating line on a terminal, plain lines otherwise)\n"
    "  --version print the version;  --help  print this help\n"
    "\n"
    "Ctrl+C cancels the running job cleanly (nothing half-added); press it twice to quit at once.\n"
    "\n"
    "exit codes:\n"
    "  0    success\n"
    "  1    usage error: unknown command or option, missing argument\n"
    "  2    input problem: a file or folder is missing, unreadable, not media or not a valid model\n"
    "       (import: some files could not be imported, the others were)\n"
    "  3    project refused: not an Atelier project, made by a newer Atelier, damaged, read-only or busy\n"
    "  4    a job failed\n"
    "  5    disk full\n"
    "  130  cancelled (Ctrl+C)\n";

int print_version(bool json) {
    if (json) std::printf("{\"name\":\"atelier-cli\",\"version\":\"%s\"}\n", ATELIER_VERSION);
    else std::printf("atelier-cli %s\n", ATELIER_VERSION);
    return 0;
}

int usage_error(const std::string& what, bool json) {
    atelier::cli::Cli cli;
    cli.json = json;
    return atelier::cli::report_error(
        cli, atelier::make_error(atelier::ErrorCode::InvalidArgument, what, "run 'atelier-cli --help' for the commands"),
        atelier::cli::kExitUsage);
}

}  // namespace

int main(int argc, char** argv) {
    using namespace atelier::cli;
    std::vector<std::string> args(argv + 1, argv + argc);
    bool json = false;
    for (const auto& a : args) json |= a == "--json";
    if (args.empty()) {
        std::fputs(kHelp, stderr);
        return kExitUsage;
    }
    const std::string& cmd = args[0];
    if (cmd == "--help" || cmd == "-h" || cmd == "help") return std::fputs(kHelp, stdout), kExitOk;
    if (cmd == "--version" || cmd == "-V") return print_version(json);
    install_interrupt_handler();
    if (cmd == "demo") return cmd_demo(Argv(args.begin() + 1, args.end()));
    if (cmd == "generate") return cmd_generate(Argv(args.begin() + 1, args.end()));
    if (cmd == "chat") return cmd_chat(Argv(args.begin() + 1, args.end()));
    if (cmd == "export") return cmd_export(Argv(args.begin() + 1, args.end()));
    if (cmd == "transcribe") return cmd_transcribe(Argv(args.begin() + 1, args.end()));
    if (cmd == "speak") return cmd_speak(Argv(args.begin() + 1, args.end()));
    if (cmd == "voices") return cmd_voices(Argv(args.begin() + 1, args.end()));
    if (cmd == "media") {
        if (args.size() >= 2 && args[1] == "probe") return cmd_media_probe(Argv(args.begin() + 2, args.end()));
        if (args.size() >= 2 && args[1] == "convert") return cmd_media_convert(Argv(args.begin() + 2, args.end()));
        if (args.size() >= 2 && args[1] == "devices") return cmd_media_devices(Argv(args.begin() + 2, args.end()));
        if (args.size() >= 2 && args[1] == "play") return cmd_media_play(Argv(args.begin() + 2, args.end()));
        if (args.size() >= 2 && args[1] == "record") return cmd_media_record(Argv(args.begin() + 2, args.end()));
        return usage_error(args.size() < 2 ? "missing command after 'media' (try 'media probe')"
                                           : "unknown command 'media " + args[1] + "'", json);
    }
    if (cmd == "model") {
        if (args.size() >= 2 && args[1] == "info") return cmd_model_info(Argv(args.begin() + 2, args.end()));
        return usage_error(args.size() < 2 ? "missing command after 'model' (try 'model info')"
                                           : "unknown command 'model " + args[1] + "'", json);
    }
    if (cmd != "project") return usage_error("unknown command '" + cmd + "'", json);
    if (args.size() < 2 || args[1] == "--help" || args[1] == "-h") {
        std::fputs(kHelp, args.size() < 2 ? stderr : stdout);
        return args.size() < 2 ? kExitUsage : kExitOk;
    }
    const std::string& sub = args[1];
    const Argv rest(args.begin() + 2, args.end());
    if (sub == "new") return cmd_project_new(rest);
    if (sub == "info") return cmd_project_info(rest);
    if (sub == "list") return cmd_project_list(rest);
    if (sub == "import") return cmd_project_import(rest);
    if (sub == "bundle") return cmd_project_bundle(rest);
    if (sub == "rerun") return cmd_project_rerun(rest);
    if (sub == "record") return cmd_project_record(rest);
    return usage_error("unknown command 'project " + sub + "'", json);
}
