// Running one Studio job from the CLI's main thread: progress on stderr, Ctrl+C (SIGINT) or
// SIGTERM cancels the job cleanly (the handler only sets a flag; this thread calls cancel), and
// the job's owner-thread step (apply) runs here before the final state is returned.
// Thread-safety: main thread only; install_interrupt_handler once at start-up.
#pragma once

#include "cli/output.h"
#include "pipelines/studio.h"

namespace atelier::cli {

void install_interrupt_handler();
bool interrupt_requested();
// Forgets a handled Ctrl+C and re-arms the handler (chat: the next Ctrl+C cancels the next answer).
void reset_interrupt();

// Blocks until job `id` is final and applied. `events` may carry the command's own observers
// (on_import_finished, ...); progress and state observers are added here.
JobInfo run_job(pipelines::Studio& studio, JobId id, const Cli& cli, pipelines::StudioEvents events = {});

// Exit code for a finished job: 0 done, 130 cancelled, else from its error (4 by default).
int job_exit_code(const JobInfo& info);

}  // namespace atelier::cli
