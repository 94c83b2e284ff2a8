// Studio: the project, its undo history and the persisted job queue.
// Persistence: the row is written (queued) before the scheduler sees the job; every later state is
// written from the scheduler's callbacks under the job's own mutex, so rows never move backwards
// (a late "cancelling" cannot overwrite "cancelled"). A job with an owner-thread step (import,
// bundle) is written "done" only after that step ran: a crash in between leaves it "running",
// which the next open marks interrupted, so no finished-but-unapplied import is ever shown as done.
// Imports insert their rows on the worker (commit_import) and only register the undo command on
// the owner thread, which keeps the GUI thread free of database work (ARCHITECTURE §6 allows the
// writer on a non-GUI thread; the Project serialises access).
// Thread-safety: see studio.h. on_state/on_progress run on worker threads; everything posted
// runs on the owner thread (drain()).
#include "pipelines/studio.h"

#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/log.h"
#include "core/uuid.h"
#include "pipelines/export.h"
#include "pipelines/record.h"

namespace atelier::pipelines {
namespace fs = std::filesystem;
using nlohmann::json;

struct Studio::Tracked {
    std::string uuid;
    ApplyFn apply;                  // owner thread, after Done; may be empty
    std::shared_ptr<void> result;   // set by the job body on its worker; read on the owner after final
    std::mutex mutex;               // orders this job's row writes
    JobState persisted = JobState::Queued;
    bool final_seen = false;        // a final state arrived from the scheduler
    bool final_queued = false;      // its owner-thread completion is queued (guarded by jobs_mutex_)
    std::chrono::steady_clock::time_point last_progress_write{};
};

namespace {

int64_t now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string absolute_string(const fs::path& p) {
    std::error_code ec;
    const fs::path abs = fs::absolute(p, ec);
    return (ec ? p : abs).lexically_normal().string();
}

// Sleeps in 20 ms waits that wake at once on cancel.
Status sleep_body(JobContext& ctx, int duration_ms) {
    const auto start = std::chrono::steady_clock::now();
    std::mutex m;
    std::condition_variable_any cv;
    for (;;) {
        ATELIER_TRY(ctx.check_cancel());
        const double elapsed_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
        if (elapsed_ms >= duration_ms) break;
        ctx.progress(elapsed_ms / std::max(duration_ms, 1), "sleep");
        std::unique_lock lock(m);
        cv.wait_for(lock, ctx.stop_token(), std::chrono::milliseconds(20), [] { return false; });
    }
    ctx.progress(1.0, "sleep");
    return ok_status();
}

}  // namespace

// ---- lifetime ---------------------------------------------------------------------------------

Result<std::unique_ptr<Studio>> Studio::open(const fs::path& path, PostFn post, size_t n_workers) {
    ATELIER_TRY_ASSIGN(auto project, projects::Project::open(path));
    std::unique_ptr<Studio> s(new Studio());
    s->init(std::move(project), std::move(post), n_workers);
    return s;
}

Result<std::unique_ptr<Studio>> Studio::create(const fs::path& path, std::string_view name, PostFn post,
                                               size_t n_workers) {
    ATELIER_TRY_ASSIGN(auto project, projects::Project::create(path, name));
    std::unique_ptr<Studio> s(new Studio());
    s->init(std::move(project), std::move(post), n_workers);
    return s;
}

void Studio::init(std::unique_ptr<projects::Project> p, PostFn post, size_t n_workers) {
    project_ = std::move(p);
    undo_ = std::make_unique<projects::UndoStack>(*project_);
    post_ = std::move(post);
    alive_ = std::make_shared<int>(0);
    alive_weak_ = alive_;
    JobEvents ev;
    ev.on_state = [this](const JobInfo& info) { on_state(info); };
    ev.on_progress = [this](JobId id, const JobProgress& pr) { on_progress(id, pr); };
    ev.on_partial = [this](JobId id, const JobPartial& part) {
        std::function<void(JobId, const JobPartial&)> fn;
        {
            std::lock_guard lock(events_mutex_);
            fn = events_.on_job_partial;
        }
        if (fn) fn(id, part);
    };
    scheduler_ = std::make_unique<JobScheduler>(n_workers, std::move(ev));
}

Studio::~Studio() {
    {
        std::lock_guard lock(events_mutex_);
        events_ = {};  // observers may already be half destroyed: tell them nothing more
    }
    alive_.reset();
    if (scheduler_) {
        scheduler_->cancel_all();
        scheduler_.reset();  // joins the workers; their final states are written and queued
    }
    drain();  // apply what finished (we are on the owner thread)
}

void Studio::set_events(StudioEvents ev) {
    std::lock_guard lock(events_mutex_);
    events_ = std::move(ev);
}

StudioEvents Studio::events_snapshot() {
    std::lock_guard lock(events_mutex_);
    return events_;
}

// ---- owner-thread queue -----------------------------------------------------------------------

void Studio::post(std::function<void()> fn) {
    {
        std::lock_guard lock(pending_mutex_);
        pending_.push_back(std::move(fn));
    }
    if (post_) {
        std::weak_ptr<int> weak = alive_weak_;
        post_([this, weak] {
            if (weak.lock()) drain();
        });
    }
}

size_t Studio::drain() {
    size_t n = 0;
    for (;;) {
        std::vector<std::function<void()>> batch;
        {
            std::lock_guard lock(pending_mutex_);
            batch.swap(pending_);
        }
        if (batch.empty()) return n;
        for (auto& fn : batch) {
            fn();
            ++n;
        }
    }
}

void Studio::wait_and_drain() {
    for (;;) {
        {
            std::unique_lock lock(jobs_mutex_);
            jobs_cv_.wait(lock, [&] { return outstanding_ == 0; });
        }
        drain();
        std::lock_guard lock(jobs_mutex_);
        if (outstanding_ == 0) {
            std::lock_guard plock(pending_mutex_);
            if (pending_.empty()) return;
        }
    }
}

bool Studio::wait(JobId id, std::chrono::milliseconds timeout) {
    auto info = scheduler_->info(id);
    if (!info) return false;
    auto t = tracked(info->spec.uuid);
    if (!t) return scheduler_->wait(id, timeout);
    std::unique_lock lock(jobs_mutex_);
    return jobs_cv_.wait_for(lock, timeout, [&] { return t->final_queued; });
}

JobId Studio::job_id_for_uuid(const std::string& uuid) const {
    std::lock_guard lock(jobs_mutex_);
    auto it = uuid_to_id_.find(uuid);
    return it == uuid_to_id_.end() ? 0 : it->second;
}

std::shared_ptr<Studio::Tracked> Studio::tracked(const std::string& uuid) {
    std::lock_guard lock(jobs_mutex_);
    auto it = tracked_.find(uuid);
    return it == tracked_.end() ? nullptr : it->second;
}

// ---- submission -------------------------------------------------------------------------------

JobId Studio::submit(JobSpec spec, std::string rerun_of, JobBody body, ApplyFn apply) {
    spec.uuid = uuid_v7();
    projects::JobRecord rec;
    rec.uuid = spec.uuid;
    rec.kind = spec.kind;
    rec.title = spec.title;
    rec.params_json = spec.params_json;
    rec.state = JobState::Queued;
    rec.created_at_ms = now_ms();
    rec.rerun_of = std::move(rerun_of);
    if (Status st = project_->upsert_job(rec); !st.ok())
        ATELIER_LOG_WARN("job %s (%s) not persisted: %s", rec.uuid.c_str(), rec.kind.c_str(), st.error().message().c_str());
    auto t = std::make_shared<Tracked>();
    t->uuid = spec.uuid;
    t->apply = std::move(apply);
    {
        std::lock_guard lock(jobs_mutex_);
        tracked_[spec.uuid] = t;
        ++outstanding_;
    }
    const std::string uuid = spec.uuid;
    const JobId id = scheduler_->submit(std::move(spec), [t, body = std::move(body)](JobContext& ctx) {
        return body(ctx, t->result);
    });
    std::lock_guard lock(jobs_mutex_);
    uuid_to_id_[uuid] = id;
    return id;
}

JobId Studio::import_files(std::vector<fs::path> inputs, ImportOptions opts, std::string rerun_of) {
    return submit_import(std::move(inputs), opts, std::move(rerun_of));
}

JobId Studio::submit_sleep(int duration_ms, std::string title) {
    return submit_sleep_impl(duration_ms, std::move(title), {});
}

JobId Studio::export_bundle(fs::path dest, BundleOptions opts) { return submit_bundle(std::move(dest), opts, {}); }

JobId Studio::submit_import(std::vector<fs::path> inputs, ImportOptions opts, std::string rerun_of) {
    json params{{"inputs", json::array()},
                {"copy_into_project", opts.copy_into_project},
                {"thumbnail_max_side", opts.thumbnail_max_side},
                {"waveform_buckets", opts.waveform_buckets}};
    for (auto& in : inputs) {
        in = absolute_string(in);  // a rerun may come from another working directory
        params["inputs"].push_back(in.string());
    }
    JobSpec spec;
    spec.kind = "import";
    spec.title = inputs.size() == 1 ? "Import " + inputs.front().filename().string()
                                    : "Import " + std::to_string(inputs.size()) + " items";
    spec.params_json = params.dump();
    const fs::path project_path = project_->path();
    // The rows are written on the worker (commit_import, short transactions) and only recorded in
    // the undo history on the owner thread: a 1,000-file import would otherwise block the GUI
    // thread for ~100 ms of inserts.
    projects::Project* project = project_.get();
    auto body = [project, project_path, inputs = std::move(inputs), opts](JobContext& ctx,
                                                                           std::shared_ptr<void>& out) -> Status {
        ATELIER_TRY_ASSIGN(ImportReport report, run_import(ctx, project_path, inputs, opts));
        ATELIER_TRY(commit_import(*project, report));
        out = std::make_shared<ImportReport>(std::move(report));
        return ok_status();
    };
    auto apply = [this](const JobInfo& info, std::shared_ptr<void>& out) -> Status {
        auto report = std::static_pointer_cast<ImportReport>(out);
        if (!report) return make_error(ErrorCode::Internal, "import job finished without a report");
        ATELIER_TRY(register_import(*undo_, *report));
        const StudioEvents ev = events_snapshot();
        if (ev.on_import_finished) ev.on_import_finished(info, *report);
        if (!report->added.empty() && ev.on_assets_changed) ev.on_assets_changed();
        return ok_status();
    };
    return submit(std::move(spec), std::move(rerun_of), std::move(body), std::move(apply));
}

JobId Studio::submit_sleep_impl(int duration_ms, std::string title, std::string rerun_of) {
    JobSpec spec;
    spec.kind = "sleep";
    spec.title = std::move(title);
    spec.params_json = json{{"duration_ms", duration_ms}}.dump();
    auto body = [duration_ms](JobContext& ctx, std::shared_ptr<void>&) { return sleep_body(ctx, duration_ms); };
    return submit(std::move(spec), std::move(rerun_of), std::move(body), nullptr);
}

JobId Studio::submit_bundle(fs::path dest, BundleOptions opts, std::string rerun_of) {
    dest = absolute_string(dest);
    JobSpec spec;
    spec.kind = "bundle";
    spec.title = "Bundle to " + dest.filename().string();
    spec.params_json = json{{"dest", dest.string()}, {"zip", opts.zip}}.dump();
    const fs::path project_path = project_->path();
    auto body = [project_path, dest, opts](JobContext& ctx, std::shared_ptr<void>& out) -> Status {
        ATELIER_TRY_ASSIGN(BundleReport report, pipelines::export_bundle(&ctx, project_path, dest, opts));
        out = std::make_shared<BundleReport>(std::move(report));
        return ok_status();
    };
    auto apply = [this](const JobInfo& info, std::shared_ptr<void>& out) -> Status {
        auto report = std::static_pointer_cast<BundleReport>(out);
        if (!report) return make_error(ErrorCode::Internal, "bundle job finished without a report");
        const StudioEvents ev = events_snapshot();
        if (ev.on_bundle_finished) ev.on_bundle_finished(info, *report);
        return ok_status();
    };
    return submit(std::move(spec), std::move(rerun_of), std::move(body), std::move(apply));
}

JobId Studio::submit_job(JobSpec spec, std::function<Status(JobContext&)> body) {
    auto wrapped = [body = std::move(body)](JobContext& ctx, std::shared_ptr<void>&) { return body(ctx); };
    return submit(std::move(spec), {}, std::move(wrapped), nullptr);
}

void Studio::set_rerun_handler(const std::string& kind, RerunFn fn) { rerun_handlers_[kind] = std::move(fn); }

Result<JobId> Studio::rerun_job(const std::string& job_uuid) {
    ATELIER_TRY_ASSIGN(projects::JobRecord rec, project_->get_job(job_uuid));
    if (rec.state != JobState::Interrupted && rec.state != JobState::Failed && rec.state != JobState::Cancelled)
        return make_error(ErrorCode::InvalidArgument,
                          "job " + job_uuid + " is " + job_state_name(rec.state) +
                              "; only interrupted, failed or cancelled jobs can be rerun",
                          "wait until it ends, or pick a job that did not complete");
    if (auto it = rerun_handlers_.find(rec.kind); it != rerun_handlers_.end() && it->second) return it->second(rec);
    const json p = json::parse(rec.params_json, nullptr, false);
    const Error unreadable = make_error(ErrorCode::PipelineFailed, "job " + job_uuid + " has unreadable parameters",
                                        "start the job again by hand");
    if (p.is_discarded() || !p.is_object()) return unreadable;
    try {
        if (rec.kind == "import") {
            std::vector<fs::path> inputs;
            for (const auto& in : p.at("inputs")) inputs.emplace_back(in.get<std::string>());
            ImportOptions opts;
            opts.copy_into_project = p.value("copy_into_project", opts.copy_into_project);
            opts.thumbnail_max_side = p.value("thumbnail_max_side", opts.thumbnail_max_side);
            opts.waveform_buckets = p.value("waveform_buckets", opts.waveform_buckets);
            return submit_import(std::move(inputs), opts, job_uuid);
        }
        if (rec.kind == "sleep") return submit_sleep_impl(p.at("duration_ms").get<int>(), rec.title, job_uuid);
        if (rec.kind == "bundle") {
            BundleOptions opts;
            opts.zip = p.value("zip", false);
            return submit_bundle(p.at("dest").get<std::string>(), opts, job_uuid);
        }
        if (rec.kind == "export") {  // a timeline export: the same timeline, destination and preset
            ExportOptions opts;
            opts.preset = p.value("preset", std::string());
            opts.burn_subtitles = p.value("burn_subtitles", opts.burn_subtitles);
            opts.soft_subtitles = p.value("soft_subtitles", opts.soft_subtitles);
            return submit_export_timeline(*this, p.at("timeline").get<std::string>(), p.at("dest").get<std::string>(), opts);
        }
    } catch (const json::exception&) {
        return unreadable;
    }
    if (rec.kind == "record") return recover_recording(*this, rec);  // a crash-left take is imported
    return make_error(ErrorCode::Unsupported, "job kind '" + rec.kind + "' cannot be rerun by this version",
                      "update Atelier, or start the job again by hand");
}

// ---- scheduler callbacks (worker threads) ----------------------------------------------------

void Studio::on_state(const JobInfo& info) {
    auto t = tracked(info.spec.uuid);
    if (!t) return;
    {
        // The first event of a job (queued, or running if a worker raced submit()) maps its id.
        std::lock_guard lock(jobs_mutex_);
        tracked_by_id_.emplace(info.id, t);
    }
    const bool is_final = job_state_is_final(info.state);
    {
        std::lock_guard lock(t->mutex);
        if (t->final_seen) return;  // a stale "cancelling" after the end: drop it
        if (info.state == JobState::Running && t->persisted == JobState::Cancelling) return;
        if (info.state == JobState::Done && t->apply) {
            t->final_seen = true;  // "done" is written on the owner thread, after the apply step
        } else if (info.state != JobState::Queued) {  // queued was written by submit()
            const Error* err = info.state == JobState::Failed ? &info.error : nullptr;
            const double fraction = info.state == JobState::Done ? 1.0 : std::max(info.progress.fraction, 0.0);
            if (Status st = project_->update_job_state(t->uuid, info.state, fraction, info.progress.stage, err); !st.ok())
                ATELIER_LOG_WARN("job %s: state not saved: %s", t->uuid.c_str(), st.error().message().c_str());
            t->persisted = info.state;
            t->final_seen = is_final;
        }
    }
    post([this, info, t] { finish_on_owner(info, t); });
    if (is_final) {
        std::lock_guard lock(jobs_mutex_);
        t->final_queued = true;
        --outstanding_;
        jobs_cv_.notify_all();
    }
}

void Studio::on_progress(JobId id, const JobProgress& progress) {
    std::function<void(JobId, const JobProgress&)> fn;
    {
        std::lock_guard lock(events_mutex_);
        fn = events_.on_job_progress;
    }
    if (fn) fn(id, progress);
    // Keep the row roughly current (<= 1 write/s/job) so a crash shows how far the job got.
    // Never touches scheduler_: during ~Studio the pointer is already null while workers finish.
    std::shared_ptr<Tracked> t;
    {
        std::lock_guard lock(jobs_mutex_);
        auto it = tracked_by_id_.find(id);
        if (it == tracked_by_id_.end()) return;
        t = it->second;
    }
    std::lock_guard lock(t->mutex);
    const auto now = std::chrono::steady_clock::now();
    if (t->final_seen || now - t->last_progress_write < std::chrono::seconds(1)) return;
    if (t->persisted != JobState::Running && t->persisted != JobState::Cancelling) return;
    t->last_progress_write = now;
    (void)project_->update_job_state(t->uuid, t->persisted, std::max(progress.fraction, 0.0), progress.stage);
}

// ---- owner thread -----------------------------------------------------------------------------

void Studio::finish_on_owner(JobInfo info, const std::shared_ptr<Tracked>& t) {
    if (info.state == JobState::Done && t->apply) {
        Status st = t->apply(info, t->result);
        std::lock_guard lock(t->mutex);
        if (st.ok()) {
            (void)project_->update_job_state(t->uuid, JobState::Done, 1.0, "done");
            t->persisted = JobState::Done;
        } else {
            info.state = JobState::Failed;
            info.error = std::move(st).error();
            (void)project_->update_job_state(t->uuid, JobState::Failed, 1.0, "apply", &info.error);
            t->persisted = JobState::Failed;
        }
        t->result.reset();
        t->apply = nullptr;
    }
    const StudioEvents ev = events_snapshot();
    if (ev.on_job_state) ev.on_job_state(info);
}

}  // namespace atelier::pipelines
