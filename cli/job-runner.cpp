// Job running for the CLI. The signal handler is async-signal-safe: it stores to a lock-free
// atomic and restores the default action, so a second Ctrl+C ends the process at once.
#include "cli/job-runner.h"

#include <atomic>
#include <csignal>
#include <optional>

namespace atelier::cli {

namespace {
std::atomic<bool> g_interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void on_signal(int sig) {
    g_interrupted.store(true);
    std::signal(sig, SIG_DFL);
}
}  // namespace

void install_interrupt_handler() {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

bool interrupt_requested() { return g_interrupted.load(); }

void reset_interrupt() {
    g_interrupted.store(false);
    install_interrupt_handler();
}

JobInfo run_job(pipelines::Studio& studio, JobId id, const Cli& cli, pipelines::StudioEvents events) {
    ProgressLine line(!cli.quiet);
    const std::string title = studio.scheduler().info(id) ? studio.scheduler().info(id)->spec.title : "job";
    std::optional<JobInfo> final_info;
    events.on_job_progress = [&line, &title, id](JobId jid, const JobProgress& p) {
        if (jid == id) line.update(title, p);
    };
    events.on_job_state = [&final_info, id](const JobInfo& info) {
        if (info.id == id && job_state_is_final(info.state)) final_info = info;
    };
    studio.set_events(events);
    bool cancel_sent = false;
    while (!studio.wait(id, std::chrono::milliseconds(50))) {
        if (interrupt_requested() && !cancel_sent) {
            studio.cancel(id);
            cancel_sent = true;
        }
    }
    studio.drain();
    line.finish();
    studio.set_events({});
    if (final_info) return *final_info;
    return studio.scheduler().info(id).value_or(JobInfo{});
}

int job_exit_code(const JobInfo& info) {
    switch (info.state) {
        case JobState::Done: return kExitOk;
        case JobState::Cancelled: return kExitCancelled;
        default: break;
    }
    const int code = exit_code_for(info.error);
    return code == kExitInput || code == kExitProject || code == kExitDiskFull ? code : kExitJobFailed;
}

}  // namespace atelier::cli
