// The job system: every long task (import, transcription, generation, export) is a function
// Status(JobContext&) run by a JobScheduler on a worker thread.
//  - JobContext gives the job a stop token, throttled progress with stage and ETA, partial
//    results and a log. Progress reaches observers at most every 50 ms (<= 20 Hz), coalesced.
//  - JobScheduler owns N worker threads and a FIFO queue. cancel() removes a queued job at once,
//    or requests stop of a running one (state Cancelling until the function returns).
// Thread-safety: JobScheduler methods may be called from any thread. on_state fires in the order
// the states changed, on whichever thread is delivering (a worker, or the caller of submit() or
// cancel()); on_progress/on_partial/on_log on the job's worker. Callbacks may call back into the
// scheduler, but not while holding a lock that a thread inside the scheduler waits for, and must
// be quick. A JobContext belongs to the job's worker thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/log.h"
#include "core/result.h"

namespace atelier {

enum class JobState { Invalid = 0, Queued, Running, Cancelling, Done, Failed, Cancelled, Interrupted };

const char* job_state_name(JobState state);                       // "queued", "running", ...
std::optional<JobState> job_state_from_name(std::string_view name);
bool job_state_is_final(JobState state);                          // done/failed/cancelled/interrupted

using JobId = uint64_t;

struct JobProgress {
    double fraction = 0.0;  // [0,1]; negative while indeterminate
    std::string stage;      // stable key, e.g. "probe", "thumbnail"
    double elapsed_s = 0.0;
    double eta_s = -1.0;    // negative while unknown
};

struct JobPartial {
    std::string kind;     // "asset", "token", "segment", "frame", ...
    std::string payload;  // JSON or plain text, defined by the job kind
};

struct JobSpec {
    std::string uuid;         // empty: the scheduler assigns a UUIDv7
    std::string kind;         // "import", "transcribe", ...
    std::string title;        // short human-readable description
    std::string params_json;  // everything needed to rerun the job
};

struct JobInfo {
    JobId id = 0;
    JobSpec spec;
    JobState state = JobState::Invalid;
    JobProgress progress;
    Error error;  // set when state is Failed
    std::chrono::system_clock::time_point queued_at{}, started_at{}, finished_at{};
};

// Callbacks; each may be empty. They fire on worker threads (see the file comment).
struct JobEvents {
    std::function<void(const JobInfo&)> on_state;
    std::function<void(JobId, const JobProgress&)> on_progress;
    std::function<void(JobId, const JobPartial&)> on_partial;
    std::function<void(JobId, LogLevel, const std::string&)> on_log;
};

class JobScheduler;

class JobContext {
public:
    JobId id() const { return id_; }
    const JobSpec& spec() const { return spec_; }
    std::stop_token stop_token() const { return stop_; }
    bool cancelled() const { return stop_.stop_requested(); }
    // Ok while running; a Cancelled error once stop was requested. Use: ATELIER_TRY(ctx.check_cancel());
    Status check_cancel() const;

    // fraction in [0,1] (clamped), or negative for indeterminate. Throttled and coalesced.
    void progress(double fraction, std::string_view stage);
    void partial(std::string kind, std::string payload);
    void log(LogLevel level, std::string message);

    JobProgress last_progress() const { return latest_; }

private:
    friend class JobScheduler;
    JobContext(JobScheduler& owner, JobId id, JobSpec spec, std::stop_token stop);
    void flush_progress();  // deliver a coalesced update that the throttle held back

    JobScheduler& owner_;
    JobId id_;
    JobSpec spec_;
    std::stop_token stop_;
    std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point last_emit_{};
    JobProgress latest_;
    bool pending_ = false;
    double smoothed_eta_s_ = -1.0;
};

using JobFn = std::function<Status(JobContext&)>;

class JobScheduler {
public:
    explicit JobScheduler(size_t n_workers = 2, JobEvents events = {});
    ~JobScheduler();  // requests stop on every job, drops the queue, joins the workers
    JobScheduler(const JobScheduler&) = delete;
    JobScheduler& operator=(const JobScheduler&) = delete;

    void set_events(JobEvents events);
    // Minimum interval between progress deliveries for one job (default 50 ms = 20 Hz).
    void set_progress_interval(std::chrono::milliseconds interval);

    JobId submit(JobSpec spec, JobFn fn);
    bool cancel(JobId id);  // false if unknown or already final
    void cancel_all();

    std::optional<JobInfo> info(JobId id) const;
    std::vector<JobInfo> jobs() const;  // in submission order
    size_t active_count() const;        // queued + running

    // Block until the job is final and its final state event delivered, or the timeout passes;
    // true when final. Not for the GUI thread.
    bool wait(JobId id, std::chrono::milliseconds timeout = std::chrono::hours(24));
    void wait_idle();

private:
    friend class JobContext;
    struct Entry {
        JobInfo info;
        JobFn fn;
        std::stop_source stop;
        int undelivered = 0;  // state events posted but not yet handed to on_state
    };

    void worker_loop(std::stop_token worker_stop);
    void finish(JobId id, Status status);
    // State events go through one FIFO, filled under mutex_ in the order the states changed, so
    // on_state sees each job's states in order even when cancel() and the worker race. Whichever
    // thread posts while nobody delivers becomes the deliverer and drains the FIFO; the mutex is
    // released around each callback (a callback may call back into the scheduler).
    void post_state_locked(Entry& e);
    void deliver_states();
    JobEvents events_copy() const;

    mutable std::mutex mutex_;
    std::condition_variable_any cv_;
    std::condition_variable done_cv_;
    std::map<JobId, Entry> entries_;
    std::deque<JobId> queue_;
    JobId next_id_ = 1;
    size_t running_ = 0;
    JobEvents events_;
    std::chrono::milliseconds progress_interval_{50};
    std::deque<JobInfo> state_events_;
    bool delivering_ = false;
    std::thread::id deliverer_;
    std::vector<std::jthread> workers_;
};

}  // namespace atelier
