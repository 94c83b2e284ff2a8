// Job scheduler and context. Invariants: an entry's state moves Queued -> Running ->
// (Cancelling ->) Done|Failed|Cancelled, or Queued -> Cancelled; state events are delivered in
// the order the states changed (one FIFO, see post_state_locked); wait() returns once the job's
// final event has been delivered; the mutex is never held while a callback or a job function runs.
#include "core/job.h"

#include <algorithm>
#include <exception>

#include "core/uuid.h"

namespace atelier {

const char* job_state_name(JobState state) {
    switch (state) {
        case JobState::Queued: return "queued";
        case JobState::Running: return "running";
        case JobState::Cancelling: return "cancelling";
        case JobState::Done: return "done";
        case JobState::Failed: return "failed";
        case JobState::Cancelled: return "cancelled";
        case JobState::Interrupted: return "interrupted";
        case JobState::Invalid: break;
    }
    return "invalid";
}

std::optional<JobState> job_state_from_name(std::string_view name) {
    for (JobState s : {JobState::Queued, JobState::Running, JobState::Cancelling, JobState::Done, JobState::Failed,
                       JobState::Cancelled, JobState::Interrupted})
        if (name == job_state_name(s)) return s;
    return std::nullopt;
}

bool job_state_is_final(JobState state) {
    return state == JobState::Done || state == JobState::Failed || state == JobState::Cancelled ||
           state == JobState::Interrupted;
}

// ---- JobContext ---------------------------------------------------------------------------

JobContext::JobContext(JobScheduler& owner, JobId id, JobSpec spec, std::stop_token stop)
    : owner_(owner), id_(id), spec_(std::move(spec)), stop_(std::move(stop)), start_(std::chrono::steady_clock::now()) {}

Status JobContext::check_cancel() const {
    if (stop_.stop_requested()) return make_error(ErrorCode::Cancelled, "job cancelled");
    return ok_status();
}

void JobContext::progress(double fraction, std::string_view stage) {
    const auto now = std::chrono::steady_clock::now();
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    if (fraction > 1.0) fraction = 1.0;
    const bool stage_changed = stage != latest_.stage;
    latest_.fraction = fraction;
    latest_.stage = std::string(stage);
    latest_.elapsed_s = elapsed;
    // ETA from the mean rate so far, smoothed so it does not jump on uneven steps.
    if (fraction > 0.005 && elapsed > 0.05) {
        const double raw = elapsed * (1.0 - fraction) / fraction;
        smoothed_eta_s_ = smoothed_eta_s_ < 0 ? raw : 0.7 * smoothed_eta_s_ + 0.3 * raw;
        latest_.eta_s = smoothed_eta_s_;
    } else if (fraction < 0) {
        latest_.eta_s = -1.0;
    }
    pending_ = true;
    std::chrono::milliseconds interval;
    {
        std::lock_guard lock(owner_.mutex_);
        interval = owner_.progress_interval_;
        auto it = owner_.entries_.find(id_);
        if (it != owner_.entries_.end()) it->second.info.progress = latest_;
    }
    if (stage_changed || fraction >= 1.0 || now - last_emit_ >= interval) flush_progress();
}

void JobContext::flush_progress() {
    if (!pending_) return;
    pending_ = false;
    last_emit_ = std::chrono::steady_clock::now();
    auto ev = owner_.events_copy();
    if (ev.on_progress) ev.on_progress(id_, latest_);
}

void JobContext::partial(std::string kind, std::string payload) {
    auto ev = owner_.events_copy();
    if (ev.on_partial) ev.on_partial(id_, JobPartial{std::move(kind), std::move(payload)});
}

void JobContext::log(LogLevel level, std::string message) {
    auto ev = owner_.events_copy();
    if (ev.on_log) ev.on_log(id_, level, message);
    log_write(level, "job", static_cast<int>(id_), "%s: %s", spec_.kind.c_str(), message.c_str());
}

// ---- JobScheduler -------------------------------------------------------------------------

JobScheduler::JobScheduler(size_t n_workers, JobEvents events) : events_(std::move(events)) {
    if (n_workers == 0) n_workers = 1;
    workers_.reserve(n_workers);
    for (size_t i = 0; i < n_workers; ++i)
        workers_.emplace_back([this](std::stop_token st) { worker_loop(st); });
}

JobScheduler::~JobScheduler() {
    {
        std::lock_guard lock(mutex_);
        for (JobId id : queue_) {
            auto& e = entries_.at(id);
            e.info.state = JobState::Cancelled;
            post_state_locked(e);
        }
        queue_.clear();
        for (auto& [id, e] : entries_) e.stop.request_stop();
    }
    deliver_states();
    for (auto& w : workers_) w.request_stop();
    cv_.notify_all();
    workers_.clear();  // joins
}

void JobScheduler::set_events(JobEvents events) {
    std::lock_guard lock(mutex_);
    events_ = std::move(events);
}

void JobScheduler::set_progress_interval(std::chrono::milliseconds interval) {
    std::lock_guard lock(mutex_);
    progress_interval_ = interval;
}

JobEvents JobScheduler::events_copy() const {
    std::lock_guard lock(mutex_);
    return events_;
}

void JobScheduler::post_state_locked(Entry& e) {
    state_events_.push_back(e.info);
    ++e.undelivered;
}

void JobScheduler::deliver_states() {
    std::unique_lock lock(mutex_);
    if (delivering_) return;  // the current deliverer drains what was just posted
    delivering_ = true;
    deliverer_ = std::this_thread::get_id();
    while (!state_events_.empty()) {
        JobInfo info = std::move(state_events_.front());
        state_events_.pop_front();
        auto on_state = events_.on_state;
        lock.unlock();
        if (on_state) on_state(info);
        lock.lock();
        if (auto it = entries_.find(info.id); it != entries_.end()) --it->second.undelivered;
    }
    delivering_ = false;
    deliverer_ = {};
    lock.unlock();
    done_cv_.notify_all();
}

JobId JobScheduler::submit(JobSpec spec, JobFn fn) {
    if (spec.uuid.empty()) spec.uuid = uuid_v7();
    JobInfo snapshot;
    {
        std::lock_guard lock(mutex_);
        const JobId id = next_id_++;
        Entry e;
        e.info.id = id;
        e.info.spec = std::move(spec);
        e.info.state = JobState::Queued;
        e.info.queued_at = std::chrono::system_clock::now();
        e.fn = std::move(fn);
        snapshot = e.info;
        post_state_locked(entries_.emplace(id, std::move(e)).first->second);
        queue_.push_back(id);
    }
    deliver_states();
    cv_.notify_one();
    return snapshot.id;
}

bool JobScheduler::cancel(JobId id) {
    {
        std::lock_guard lock(mutex_);
        auto it = entries_.find(id);
        if (it == entries_.end()) return false;
        Entry& e = it->second;
        if (e.info.state == JobState::Queued) {
            queue_.erase(std::remove(queue_.begin(), queue_.end(), id), queue_.end());
            e.info.state = JobState::Cancelled;
            e.info.finished_at = std::chrono::system_clock::now();
            e.fn = nullptr;
        } else if (e.info.state == JobState::Running) {
            e.info.state = JobState::Cancelling;
            e.stop.request_stop();
        } else {
            return false;
        }
        post_state_locked(e);
    }
    deliver_states();
    done_cv_.notify_all();
    return true;
}

void JobScheduler::cancel_all() {
    std::vector<JobId> ids;
    {
        std::lock_guard lock(mutex_);
        for (auto& [id, e] : entries_)
            if (!job_state_is_final(e.info.state)) ids.push_back(id);
    }
    for (JobId id : ids) cancel(id);
}

std::optional<JobInfo> JobScheduler::info(JobId id) const {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(id);
    if (it == entries_.end()) return std::nullopt;
    return it->second.info;
}

std::vector<JobInfo> JobScheduler::jobs() const {
    std::lock_guard lock(mutex_);
    std::vector<JobInfo> out;
    out.reserve(entries_.size());
    for (auto& [id, e] : entries_) out.push_back(e.info);
    return out;
}

size_t JobScheduler::active_count() const {
    std::lock_guard lock(mutex_);
    return queue_.size() + running_;
}

bool JobScheduler::wait(JobId id, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    // From inside an on_state callback the caller is the deliverer: waiting for delivery there
    // would wait for itself, so it waits for the state only.
    const bool is_deliverer = delivering_ && deliverer_ == std::this_thread::get_id();
    return done_cv_.wait_for(lock, timeout, [&] {
        auto it = entries_.find(id);
        if (it == entries_.end()) return true;
        return job_state_is_final(it->second.info.state) && (is_deliverer || it->second.undelivered == 0);
    });
}

void JobScheduler::wait_idle() {
    std::unique_lock lock(mutex_);
    const bool is_deliverer = delivering_ && deliverer_ == std::this_thread::get_id();
    done_cv_.wait(lock, [&] { return queue_.empty() && running_ == 0 && (is_deliverer || (!delivering_ && state_events_.empty())); });
}

void JobScheduler::worker_loop(std::stop_token worker_stop) {
    for (;;) {
        JobId id = 0;
        JobFn fn;
        JobSpec spec;
        std::stop_token job_stop;
        {
            std::unique_lock lock(mutex_);
            if (!cv_.wait(lock, worker_stop, [&] { return !queue_.empty(); })) return;
            id = queue_.front();
            queue_.pop_front();
            Entry& e = entries_.at(id);
            e.info.state = JobState::Running;
            e.info.started_at = std::chrono::system_clock::now();
            fn = std::move(e.fn);
            e.fn = nullptr;
            spec = e.info.spec;
            job_stop = e.stop.get_token();
            post_state_locked(e);
            ++running_;
        }
        deliver_states();
        JobContext ctx(*this, id, std::move(spec), job_stop);
        Status status;
        try {
            status = fn ? fn(ctx) : Status(make_error(ErrorCode::Internal, "job has no function"));
        } catch (const std::exception& ex) {
            status = make_error(ErrorCode::Internal, std::string("job threw: ") + ex.what());
        } catch (...) {
            status = make_error(ErrorCode::Internal, "job threw a non-standard exception");
        }
        ctx.flush_progress();
        finish(id, std::move(status));
    }
}

void JobScheduler::finish(JobId id, Status status) {
    {
        std::lock_guard lock(mutex_);
        Entry& e = entries_.at(id);
        const bool stop_requested = e.stop.stop_requested();
        if (status.ok()) {
            e.info.state = JobState::Done;
        } else if (is_cancelled(status.error()) || stop_requested) {
            e.info.state = JobState::Cancelled;
        } else {
            e.info.state = JobState::Failed;
            e.info.error = status.error();
        }
        e.info.finished_at = std::chrono::system_clock::now();
        --running_;
        post_state_locked(e);
    }
    deliver_states();
    done_cv_.notify_all();
}

}  // namespace atelier
