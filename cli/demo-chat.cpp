// The demo's DeepSeek V4 step: writes the tiny random V4 checkpoint with the repository's own
// generator (tools/deepseek-v4/make-tiny-v4.py, run by the .venv that scripts/setup made), then
// asks it a question through the project's chat service, exactly as the Chat workspace does: the
// answer streams into the project, with its provenance. Random weights write nonsense; the point
// is the path (load, encode, prefill, decode, persist). Skipped, with the reason, where the source
// tree or its .venv is absent (an installed package).
// Thread-safety: the CLI's main thread.
#include "cli/demo-chat.h"

#include <cstdlib>
#include <mutex>

#include "cli/job-runner.h"
#include "pipelines/chat.h"

#ifndef ATELIER_SOURCE_DIR
#define ATELIER_SOURCE_DIR ""
#endif

namespace atelier::cli {
namespace fs = std::filesystem;

namespace {

std::string quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

}  // namespace

DemoChat run_demo_chat(pipelines::Studio& studio, const fs::path& dir, const Cli& cli) {
    DemoChat r;
    const fs::path src = ATELIER_SOURCE_DIR;
    const fs::path python = src / ".venv" / "bin" / "python";
    const fs::path tool = src / "tools" / "deepseek-v4" / "make-tiny-v4.py";
    std::error_code ec;
    if (src.empty() || !fs::exists(python, ec) || !fs::exists(tool, ec)) {
        r.note = "skipped: no source tree with a .venv here (run scripts/demo from the repository)";
        return r;
    }
    const std::string cmd = quote(python.string()) + " " + quote(tool.string()) + " --out " + quote(dir.string()) +
                            " > /dev/null";
    if (std::system(cmd.c_str()) != 0) {
        r.note = "skipped: the tiny V4 generator failed (" + cmd + ")";
        return r;
    }
    r.model = (dir / "tiny-v4-fp8").string();

    pipelines::ChatService chat(studio, std::make_shared<pipelines::ModelCache>(),
                                {.n_threads = 0, .ignore_eos = true});
    std::mutex mu;
    pipelines::ChatUpdate last;
    chat.set_on_update([&](const pipelines::ChatUpdate& u) {
        std::lock_guard lock(mu);
        last = u;
    });
    auto created = studio.project().create_chat("Demo chat", r.model);
    if (!created.ok()) return r.note = "failed: " + created.error().message(), r;
    pipelines::ChatSettings settings;
    settings.model = r.model;
    settings.sampling.temperature = 0.0f;  // greedy: the same answer on every run
    settings.max_tokens = 24;
    settings.seed = 1;
    projects::Chat c = *created;
    c.settings_json = settings.to_json();
    if (Status st = studio.project().update_chat(c); !st.ok()) return r.note = "failed: " + st.error().message(), r;
    auto answer = chat.send(c.uuid, "Write a haiku about running AI on your own desktop.");
    if (!answer.ok()) return r.note = "failed: " + answer.error().message(), r;
    const JobInfo info = run_job(studio, answer->job, cli);
    if (info.state != JobState::Done) return r.note = "failed: " + info.error.message(), r;

    std::lock_guard lock(mu);
    r.ran = true;
    r.chat_uuid = c.uuid;
    r.answer = last.content;
    r.tokens = last.decode_tokens;
    r.tokens_per_s = last.decode_tokens_per_s;
    r.generation_uuid = last.generation_uuid;
    return r;
}

}  // namespace atelier::cli
