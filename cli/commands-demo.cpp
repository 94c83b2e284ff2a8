// `demo`: the README's first command. Makes its own inputs (gradient PNGs, a sine WAV, a test clip
// when ffmpeg is installed), creates a project, imports through the job system, shows content-hash
// de-duplication, undo/redo, and writes a bundle as a folder and as a zip; runs the engine core
// on a tiny model it writes itself (quantise, GGUF, mmap load, memory plan, SIMD matvec); chats with a
// tiny random DeepSeek V4 through the project's chat service (cli/demo-chat.cpp); then says
// where everything is. Re-running it replaces only what an earlier demo wrote (marked by .atelier-demo).
#include <cstdio>
#include <cstdlib>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/demo-chat.h"
#include "cli/job-runner.h"
#include "pipelines/demo-media.h"
#include "pipelines/engine-demo.h"
#include "pipelines/studio.h"

namespace atelier::cli {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kDemoUsage =
    "usage: atelier-cli demo [--out DIR] [--no-video] [--json] [--quiet]\n"
    "  Creates DIR (default ./atelier-demo) with generated inputs, a project, and its bundles, and\n"
    "  exercises import, de-duplication, undo/redo and bundle export. DIR must be new, empty, or an\n"
    "  earlier demo's folder. --no-video skips the test clip (made with the ffmpeg program).\n";
constexpr const char* kMarker = ".atelier-demo";

Status prepare_out_dir(const fs::path& out) {
    std::error_code ec;
    if (fs::exists(out / kMarker, ec)) {
        for (const char* name : {"demo.atelier", "demo.atelier-wal", "demo.atelier-shm", "demo.atelier-journal",
                                 "demo.atelier-media", "inputs", "bundle", "bundle.zip"})
            fs::remove_all(out / name, ec);
    } else if (fs::exists(out, ec) && !fs::is_empty(out, ec)) {
        return make_error(ErrorCode::AlreadyExists, "'" + out.string() + "' exists and was not made by the demo",
                          "choose another folder with --out DIR, or empty that one");
    }
    fs::create_directories(out / "inputs", ec);
    if (ec) return make_error(ErrorCode::PermissionDenied, "cannot create '" + out.string() + "': " + ec.message(),
                              "choose a folder you may write to with --out DIR");
    const std::string note = "This folder was made by 'atelier-cli demo'; running the demo again replaces it.\n";
    FILE* f = std::fopen((out / kMarker).c_str(), "w");
    if (f) {
        std::fputs(note.c_str(), f);
        std::fclose(f);
    }
    return ok_status();
}

struct Inputs {
    std::vector<fs::path> files;
    fs::path again;         // imported a second time to show de-duplication
    std::string video_note; // why there is no clip, if there is none
};

Result<Inputs> make_inputs(const fs::path& dir, bool want_video) {
    Inputs in;
    const struct {
        const char* name;
        uint32_t seed;
    } pngs[] = {{"gradient-sunrise.png", 1}, {"gradient-sea.png", 2}, {"gradient-forest.png", 3}};
    for (const auto& p : pngs) {
        ATELIER_TRY(pipelines::demo::write_gradient_png(dir / p.name, 640, 400, p.seed));
        in.files.push_back(dir / p.name);
    }
    std::error_code ec;
    fs::copy_file(dir / "gradient-sea.png", dir / "same-sea-other-name.png", ec);  // same bytes, new name
    if (!ec) in.files.push_back(dir / "same-sea-other-name.png");
    ATELIER_TRY(pipelines::demo::write_sine_wav(dir / "tone-440hz.wav", 440.0, 2000, 48000, 2));
    in.files.push_back(dir / "tone-440hz.wav");
    if (!want_video) {
        in.video_note = "skipped (--no-video)";
    } else if (Status st = pipelines::demo::make_test_video(dir / "clip.mp4", 3000); st.ok()) {
        in.files.push_back(dir / "clip.mp4");
    } else {
        in.video_note = "skipped: " + st.error().detail;
    }
    in.again = dir / "gradient-sea.png";
    return in;
}

class Demo {
public:
    Demo(const Cli& cli, fs::path out) : cli_(cli), out_(std::move(out)) {}

    void say(const char* fmt, const std::string& a = {}, const std::string& b = {}) {
        if (!cli_.json) std::printf(fmt, a.c_str(), b.c_str());
        std::fflush(stdout);
    }

    // Runs an import job; returns an exit code (0 on success).
    int import(pipelines::Studio& studio, std::vector<fs::path> files, pipelines::ImportReport& report) {
        pipelines::StudioEvents ev;
        ev.on_import_finished = [&report](const JobInfo&, const pipelines::ImportReport& r) { report = r; };
        const JobInfo info = run_job(studio, studio.import_files(std::move(files)), cli_, std::move(ev));
        if (info.state != JobState::Done) return report_error(cli_, info.error, job_exit_code(info));
        return kExitOk;
    }

    int bundle(pipelines::Studio& studio, const fs::path& dest, bool zip, pipelines::BundleReport& report) {
        pipelines::StudioEvents ev;
        ev.on_bundle_finished = [&report](const JobInfo&, const pipelines::BundleReport& r) { report = r; };
        const JobInfo info = run_job(studio, studio.export_bundle(dest, {.zip = zip}), cli_, std::move(ev));
        if (info.state != JobState::Done) return report_error(cli_, info.error, job_exit_code(info));
        return kExitOk;
    }

    int64_t count(pipelines::Studio& studio) { return studio.project().count_assets().value_or(-1); }

    const Cli& cli_;
    fs::path out_;
    json result = json::object();
};

int run_demo(Demo& d, const Inputs& in, bool show_gui_hint) {
    const fs::path project_path = d.out_ / "demo.atelier";
    auto studio_r = pipelines::Studio::create(project_path, "Atelier demo");
    if (!studio_r.ok()) return report_error(d.cli_, studio_r.error());
    pipelines::Studio& studio = **studio_r;
    d.say("1. Created project %s\n", project_path.string());

    pipelines::ImportReport first, again;
    d.say("2. Importing %s generated files through the job system...\n", std::to_string(in.files.size()));
    if (int rc = d.import(studio, in.files, first)) return rc;
    d.say("   added %s assets, %s duplicate skipped (same-sea-other-name.png has the same bytes as gradient-sea.png)\n",
          std::to_string(first.added.size()), std::to_string(first.duplicate_files.size()));
    if (int rc = d.import(studio, {in.again}, again)) return rc;
    d.say("3. Imported gradient-sea.png again: %s added, %s duplicate (matched by content hash)\n",
          std::to_string(again.added.size()), std::to_string(again.duplicate_files.size()));

    const std::string label = studio.undo().undo_label();
    const int64_t before = d.count(studio);
    if (Status st = studio.undo().undo(); !st.ok()) return report_error(d.cli_, st.error());
    const int64_t after_undo = d.count(studio);
    if (Status st = studio.undo().redo(); !st.ok()) return report_error(d.cli_, st.error());
    const int64_t after_redo = d.count(studio);
    d.say("4. Undo \"%s\": assets %s", label, std::to_string(before) + " -> " + std::to_string(after_undo));
    d.say("; redo: %s assets\n", std::to_string(after_redo));

    pipelines::BundleReport folder, zip;
    if (int rc = d.bundle(studio, d.out_ / "bundle", false, folder)) return rc;
    if (int rc = d.bundle(studio, d.out_ / "bundle.zip", true, zip)) return rc;
    d.say("5. Wrote the bundle as a folder and as a zip (%s assets each)\n", std::to_string(folder.asset_count));
    const auto jobs = studio.project().list_jobs().value_or({});
    d.say("6. %s jobs are recorded in the project (see: atelier-cli project list %s --jobs)\n",
          std::to_string(jobs.size()), project_path.string());

    auto engine = pipelines::run_engine_demo(d.out_ / "engine");
    if (!engine.ok()) return report_error(d.cli_, engine.error());
    d.say("7. Engine: wrote %s with our Q4_K/Q8_0 quantisers and GGUF writer, loaded it memory-mapped",
          engine->model_path.string());
    d.say(" (%s tensors); ", std::to_string(engine->n_tensors));
    d.say("memory plan: %s\n", engine->plan_sentence);
    d.say("   a Q4_K matrix-vector product ran on %s; its largest difference from the scalar reference is %s of the largest output\n",
          engine->kernel_variant, strprintf("%.2g", engine->max_rel_error));

    const DemoChat chat = run_demo_chat(studio, d.out_ / "engine" / "tiny-v4", d.cli_);
    if (chat.ran) {
        d.say("8. DeepSeek V4: wrote a tiny random V4 checkpoint (%s) and asked it a question in the project's chat;\n",
              chat.model);
        d.say("   %s tokens streamed into the project at %s tok/s with their provenance (random weights write nonsense:\n",
              std::to_string(chat.tokens), strprintf("%.1f", chat.tokens_per_s));
        d.say("   \"%s\")\n", chat.answer.substr(0, 120));
    } else {
        d.say("8. DeepSeek V4 chat %s\n", chat.note);
    }

    d.result = {{"out", d.out_.string()},
                {"project", project_path.string()},
                {"media_dir", studio.project().media_dir().string()},
                {"inputs", d.out_.string() + "/inputs"},
                {"bundle_folder", folder.dest.string()},
                {"bundle_zip", zip.dest.string()},
                {"assets", after_redo},
                {"first_import", {{"added", first.added.size()}, {"duplicates", first.duplicate_files.size()},
                                  {"failures", first.failures.size()}}},
                {"second_import", {{"added", again.added.size()}, {"duplicates", again.duplicate_files.size()}}},
                {"undo", {{"label", label}, {"before", before}, {"after_undo", after_undo}, {"after_redo", after_redo}}},
                {"jobs", jobs.size()},
                {"engine", {{"model", engine->model_path.string()}, {"tensors", engine->n_tensors},
                            {"params", engine->n_params}, {"plan", engine->plan_sentence},
                            {"kernel", engine->kernel_variant}, {"cpu", engine->cpu_features},
                            {"max_rel_error", engine->max_rel_error}}},
                {"chat", {{"ran", chat.ran}, {"note", chat.note}, {"model", chat.model}, {"chat", chat.chat_uuid},
                          {"generation", chat.generation_uuid}, {"tokens", chat.tokens},
                          {"tokens_per_s", chat.tokens_per_s}, {"answer", chat.answer}}},
                {"video", in.video_note.empty() ? "imported" : in.video_note}};
    if (d.cli_.json) {
        print_json(json{{"demo", d.result}});
        return kExitOk;
    }
    std::printf("\nOutputs:\n  project:       %s\n  media folder:  %s\n  inputs:        %s/inputs\n"
                "  bundle folder: %s\n  bundle zip:    %s\n",
                project_path.c_str(), studio.project().media_dir().c_str(), d.out_.c_str(), folder.dest.c_str(),
                zip.dest.c_str());
    if (!in.video_note.empty()) std::printf("  video:         %s\n", in.video_note.c_str());
    std::printf("  engine model:  %s\n", engine->model_path.c_str());
    std::printf("Try: atelier-cli project list %s\n", project_path.c_str());
    std::printf("     atelier-cli model info %s --tensors\n", engine->model_path.c_str());
    if (chat.ran) std::printf("     atelier-cli generate --model %s --prompt 'Hello' --temperature 0\n", chat.model.c_str());
    if (show_gui_hint) std::printf("Open the studio with: atelier %s\n", project_path.c_str());
    return kExitOk;
}

}  // namespace

int cmd_demo(const Argv& argv) {
    Args args;
    Cli cli;
    int rc = 0;
    if (!parse_command(argv, {.flags = {"--no-video"}, .options = {"--out"}, .max_positional = 0}, "demo", kDemoUsage,
                       args, cli, &rc))
        return rc;
    std::error_code ec;
    const fs::path out = fs::absolute(args.option("--out", "atelier-demo"), ec).lexically_normal();
    if (Status st = prepare_out_dir(out); !st.ok()) return report_error(cli, st.error());
    auto in = make_inputs(out / "inputs", !args.has("--no-video"));
    if (!in.ok()) return report_error(cli, in.error());
    Demo demo(cli, out);
    const bool display = std::getenv("DISPLAY") || std::getenv("WAYLAND_DISPLAY");
    return run_demo(demo, *in, display);
}

}  // namespace atelier::cli
