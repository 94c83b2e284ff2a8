// Studio: one open project with its undo history and job queue: what the GUI and the CLI drive.
//  - Every job is persisted in the project's jobs table as it moves (queued, running, done,
//    failed, cancelled), so after a crash the queue is still there: open() marks what was
//    running as interrupted, and rerun_job() starts it again from its stored parameters.
//  - Results are applied on the owner thread: the Studio hands a closure to `post` (the GUI
//    passes a queued-invoke to its main thread; the CLI runs the closures in drain()). An import's
//    rows are committed by its worker in short transactions; the owner thread only records the
//    undo command and fires the observers, so it never waits on the database for long.
// Thread-safety: construct, call and destroy on the owner thread. Observers fire on the owner
// thread via `post`, except on_progress, which fires on worker threads (throttled <= 20 Hz).
#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/job.h"
#include "core/result.h"
#include "pipelines/bundle.h"
#include "pipelines/import.h"
#include "projects/project.h"
#include "projects/undo.h"

namespace atelier::pipelines {

using PostFn = std::function<void(std::function<void()>)>;

struct StudioEvents {
    std::function<void(const JobInfo&)> on_job_state;                 // owner thread
    std::function<void(JobId, const JobProgress&)> on_job_progress;    // worker thread
    std::function<void(JobId, const JobPartial&)> on_job_partial;      // worker thread
    std::function<void()> on_assets_changed;                          // owner thread
    std::function<void(const JobInfo&, const ImportReport&)> on_import_finished;  // owner thread
    std::function<void(const JobInfo&, const BundleReport&)> on_bundle_finished;  // owner thread
};

class Studio {
public:
    // post == nullptr: closures queue up and run in drain() (CLI and tests).
    static Result<std::unique_ptr<Studio>> open(const std::filesystem::path& path, PostFn post = nullptr,
                                                size_t n_workers = 2);
    static Result<std::unique_ptr<Studio>> create(const std::filesystem::path& path, std::string_view name = {},
                                                  PostFn post = nullptr, size_t n_workers = 2);
    ~Studio();  // cancels running jobs and waits for them (their rows end as cancelled)

    projects::Project& project() { return *project_; }
    projects::UndoStack& undo() { return *undo_; }
    JobScheduler& scheduler() { return *scheduler_; }
    void set_events(StudioEvents ev);  // owner thread; safe while jobs run
    // Jobs that Project::open found queued/running from a previous process (now Interrupted).
    int interrupted_on_open() const { return project_->interrupted_on_open(); }

    // rerun_of: the uuid of the job this import stands in for (a recovered recording), or empty.
    JobId import_files(std::vector<std::filesystem::path> inputs, ImportOptions opts = {}, std::string rerun_of = {});
    // A test job that runs for `duration_ms` in small steps and honours cancel; kind "sleep".
    JobId submit_sleep(int duration_ms, std::string title = "Wait");
    // Writes a bundle (folder, or .zip with opts.zip) of the project; kind "bundle".
    JobId export_bundle(std::filesystem::path dest, BundleOptions opts = {});
    Result<JobId> rerun_job(const std::string& job_uuid);  // interrupted/failed/cancelled jobs

    // A job of a kind defined outside the Studio (chat answers, model loading), persisted and
    // observed like the built-in kinds. `body` runs on a worker; its Status decides the final state
    // (Cancelled error -> cancelled).
    JobId submit_job(JobSpec spec, std::function<Status(JobContext&)> body);
    // How rerun_job() restarts a job of `kind` that submit_job() ran (owner thread).
    using RerunFn = std::function<Result<JobId>(const projects::JobRecord&)>;
    void set_rerun_handler(const std::string& kind, RerunFn fn);
    bool cancel(JobId id) { return scheduler_->cancel(id); }

    // CLI/tests: run queued owner-thread closures; wait_and_drain blocks until no job is active.
    size_t drain();
    void wait_and_drain();
    // Blocks until job `id` is final and its completion has been queued for the owner thread
    // (call drain() next). True when final; false on timeout or an unknown id. Not for the GUI.
    bool wait(JobId id, std::chrono::milliseconds timeout);

    // Job uuid -> scheduler id for jobs submitted in this session (0 if unknown).
    JobId job_id_for_uuid(const std::string& uuid) const;

private:
    struct Tracked;  // per-job bookkeeping (studio.cpp)
    using JobBody = std::function<Status(JobContext&, std::shared_ptr<void>&)>;
    using ApplyFn = std::function<Status(const JobInfo&, std::shared_ptr<void>&)>;

    Studio() = default;
    void init(std::unique_ptr<projects::Project> p, PostFn post, size_t n_workers);
    JobId submit(JobSpec spec, std::string rerun_of, JobBody body, ApplyFn apply);
    JobId submit_import(std::vector<std::filesystem::path> inputs, ImportOptions opts, std::string rerun_of);
    JobId submit_sleep_impl(int duration_ms, std::string title, std::string rerun_of);
    JobId submit_bundle(std::filesystem::path dest, BundleOptions opts, std::string rerun_of);
    void post(std::function<void()> fn);
    std::shared_ptr<Tracked> tracked(const std::string& uuid);
    void on_state(const JobInfo& info);                       // worker threads
    void on_progress(JobId id, const JobProgress& progress);  // worker threads
    void finish_on_owner(JobInfo info, const std::shared_ptr<Tracked>& t);
    StudioEvents events_snapshot();

    std::unique_ptr<projects::Project> project_;
    std::unique_ptr<projects::UndoStack> undo_;
    std::unique_ptr<JobScheduler> scheduler_;
    std::mutex events_mutex_;
    StudioEvents events_;
    PostFn post_;
    std::shared_ptr<int> alive_;      // reset first in the destructor
    std::weak_ptr<int> alive_weak_;   // copied by closures handed to post_: no call into a dead Studio
    std::mutex pending_mutex_;
    std::vector<std::function<void()>> pending_;
    mutable std::mutex jobs_mutex_;
    std::condition_variable jobs_cv_;
    std::map<std::string, std::shared_ptr<Tracked>> tracked_;  // by job uuid
    std::map<JobId, std::shared_ptr<Tracked>> tracked_by_id_;  // filled by on_state (scheduler_ may be gone)
    std::map<std::string, JobId> uuid_to_id_;
    std::map<std::string, RerunFn> rerun_handlers_;  // by kind; owner thread
    size_t outstanding_ = 0;  // submitted jobs whose final state is not yet queued for the owner
};

}  // namespace atelier::pipelines
