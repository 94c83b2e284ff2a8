// Studio tests: every job is persisted as it moves, a crash (SIGKILL of a child process that runs
// a job) leaves the job interrupted on the next open, rerun_job completes it, and results reach
// the owner thread only through `post`. Rows are read back with the sqlite3 shell.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "studio-fixture.h"

namespace atelier::test {
namespace {

std::string job_uuid(pipelines::Studio& s, JobId id) { return s.scheduler().info(id)->spec.uuid; }

TEST_F(StudioTest, DoneFailedAndCancelledJobsArePersisted) {
    const JobId done = studio().submit_sleep(30, "short");
    const fs::path dest = dir_ / "exists";
    fs::create_directory(dest);
    const JobId failed = studio().export_bundle(dest);
    const JobId long_wait = studio().submit_sleep(60000, "long");
    while (studio().scheduler().info(long_wait)->state != JobState::Running)
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    studio().cancel(long_wait);
    studio().wait_and_drain();

    const std::string q = "SELECT state || '|' || kind || '|' || error_code FROM jobs WHERE uuid = ";
    EXPECT_EQ(sql(q + "'" + job_uuid(studio(), done) + "'"), "done|sleep|");
    EXPECT_EQ(sql(q + "'" + job_uuid(studio(), failed) + "'"), "failed|bundle|already_exists");
    EXPECT_EQ(sql(q + "'" + job_uuid(studio(), long_wait) + "'"), "cancelled|sleep|");
    EXPECT_EQ(sql("SELECT json_extract(params_json, '$.duration_ms') FROM jobs WHERE uuid = '" +
                  job_uuid(studio(), long_wait) + "'"),
              "60000");
    EXPECT_NE(sql("SELECT error_detail FROM jobs WHERE uuid = '" + job_uuid(studio(), failed) + "'").find("exists"),
              std::string::npos);
}

TEST_F(StudioTest, ImportJobRowHoldsItsInputsAndEndsDone) {
    const fs::path a = png("a.png", 8, 8, 1);
    auto run = import({a});
    ASSERT_EQ(run.info.state, JobState::Done);
    EXPECT_EQ(sql("SELECT state || '|' || kind || '|' || json_extract(params_json, '$.inputs[0]') FROM jobs"),
              "done|import|" + fs::absolute(a).string());
    EXPECT_EQ(sql("SELECT progress FROM jobs"), "1.0");
}

TEST_F(StudioTest, QueuedJobCancelledBeforeItRuns) {
    open_studio(false, 1);  // one worker: the second job waits in the queue
    const JobId first = studio().submit_sleep(60000, "first");
    const JobId second = studio().submit_sleep(10, "second");
    EXPECT_TRUE(studio().cancel(second));
    EXPECT_TRUE(studio().cancel(first));
    studio().wait_and_drain();
    EXPECT_EQ(sql("SELECT state FROM jobs WHERE uuid = '" + job_uuid(studio(), second) + "'"), "cancelled");
    EXPECT_EQ(sql("SELECT started_at_ms FROM jobs WHERE uuid = '" + job_uuid(studio(), second) + "'"), "0");
}

TEST_F(StudioTest, DestroyingTheStudioCancelsRunningJobs) {
    const JobId id = studio().submit_sleep(60000, "long");
    const std::string uuid = job_uuid(studio(), id);
    while (studio().scheduler().info(id)->state != JobState::Running)
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    const auto t0 = std::chrono::steady_clock::now();
    studio_.reset();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
    EXPECT_EQ(sql("SELECT state FROM jobs WHERE uuid = '" + uuid + "'"), "cancelled");
}

TEST_F(StudioTest, DestroyingTheStudioDuringAnImportIsSafeAndConsistent) {
    for (int i = 0; i < 120; ++i) png("img-" + std::to_string(i) + ".png", 96, 96, 300 + i);
    for (int round = 0; round < 3; ++round) {
        std::atomic<int> progress_events{0};
        pipelines::StudioEvents ev;
        ev.on_job_progress = [&](JobId, const JobProgress&) { ++progress_events; };
        studio().set_events(ev);
        const JobId id = studio().import_files({inputs()});
        const std::string uuid = job_uuid(studio(), id);
        while (progress_events.load() < 2 && !studio().wait(id, std::chrono::milliseconds(1))) {
        }
        studio_.reset();  // workers still report progress while the scheduler shuts down
        const std::string state = sql("SELECT state FROM jobs WHERE uuid = '" + uuid + "'");
        if (state == "cancelled") {
            EXPECT_EQ(sql("SELECT count(*) FROM assets"), "0");
        } else {  // it finished first: then it was applied before the Studio closed
            EXPECT_EQ(state, "done");
            EXPECT_EQ(sql("SELECT count(*) FROM assets"), "120");
        }
        EXPECT_EQ(sql("PRAGMA integrity_check"), "ok");
        open_studio(false);
        EXPECT_EQ(studio().interrupted_on_open(), 0);
        if (state == "done") break;
    }
}

// The child opens the project, starts `submit`, waits until the row says running, writes the job
// uuid to the pipe, and waits to be killed.
template <class Submit>
std::string run_child_until_killed(const fs::path& project, Submit submit) {
    int fds[2];
    if (::pipe(fds) != 0) return {};
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::close(fds[0]);
        auto s = pipelines::Studio::open(project);
        if (!s.ok()) ::_exit(2);
        const std::string uuid = job_uuid(**s, submit(**s));
        for (int i = 0; i < 2000; ++i) {
            auto rec = (*s)->project().get_job(uuid);
            if (rec.ok() && rec->state == JobState::Running) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        if (::write(fds[1], uuid.data(), uuid.size()) < 0) ::_exit(3);
        for (;;) ::pause();
    }
    ::close(fds[1]);
    std::string uuid(36, '\0');
    size_t got = 0;
    while (got < uuid.size()) {
        const ssize_t n = ::read(fds[0], uuid.data() + got, uuid.size() - got);
        if (n <= 0) break;
        got += static_cast<size_t>(n);
    }
    ::close(fds[0]);
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    uuid.resize(got);
    return uuid;
}

TEST_F(StudioTest, KilledSleepJobIsInterruptedAndRerunCompletesIt) {
    studio_.reset();  // the child is the only writer
    const std::string uuid =
        run_child_until_killed(project_path(), [](pipelines::Studio& s) { return s.submit_sleep(1500, "long wait"); });
    ASSERT_EQ(uuid.size(), 36u) << "the child did not acknowledge";
    EXPECT_EQ(sql("SELECT state FROM jobs WHERE uuid = '" + uuid + "'"), "running");  // as the kill left it

    open_studio(false);
    EXPECT_EQ(studio().interrupted_on_open(), 1);
    EXPECT_EQ(sql("SELECT state FROM jobs WHERE uuid = '" + uuid + "'"), "interrupted");
    EXPECT_EQ(sql("PRAGMA integrity_check"), "ok");
    auto rerun = studio().rerun_job(uuid);
    ASSERT_TRUE(rerun.ok()) << rerun.error().message();
    studio().wait_and_drain();
    EXPECT_EQ(sql("SELECT state || '|' || kind || '|' || title || '|' || json_extract(params_json, '$.duration_ms') "
                  "FROM jobs WHERE rerun_of = '" + uuid + "'"),
              "done|sleep|long wait|1500");
}

TEST_F(StudioTest, KilledImportIsInterruptedAndRerunImportsEverything) {
    for (int i = 0; i < 150; ++i) png("img-" + std::to_string(i) + ".png", 128, 128, 500 + i);
    const fs::path folder = inputs();
    studio_.reset();
    const std::string uuid = run_child_until_killed(project_path(), [&](pipelines::Studio& s) {
        return s.import_files({folder});
    });
    ASSERT_EQ(uuid.size(), 36u);
    open_studio(false);
    EXPECT_EQ(studio().interrupted_on_open(), 1);
    EXPECT_EQ(sql("PRAGMA integrity_check"), "ok");
    // The kill may land before or during the commit of the rows (in 64-asset transactions): some
    // whole chunks may be there, never a torn row.
    const int before = std::stoi(sql("SELECT count(*) FROM assets"));
    EXPECT_EQ(before % 64 == 0 || before == 150, true) << before;
    EXPECT_EQ(sql("SELECT count(*) FROM assets a LEFT JOIN thumbnails t ON t.asset_uuid = a.uuid WHERE t.png IS NULL"), "0");
    auto rerun = studio().rerun_job(uuid);
    ASSERT_TRUE(rerun.ok()) << rerun.error().message();
    studio().wait_and_drain();
    EXPECT_EQ(sql("SELECT state FROM jobs WHERE rerun_of = '" + uuid + "'"), "done");
    EXPECT_EQ(sql("SELECT count(*) FROM assets"), "150");
    EXPECT_EQ(sql("SELECT count(DISTINCT content_hash) FROM assets"), "150");
}

TEST_F(StudioTest, RerunRefusesJobsThatAreNotUnfinished) {
    const JobId id = studio().submit_sleep(5);
    studio().wait_and_drain();
    auto r = studio().rerun_job(job_uuid(studio(), id));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
    EXPECT_FALSE(r.error().hint.empty());
    EXPECT_FALSE(studio().rerun_job("01900000-0000-7000-8000-000000000000").ok());
}

TEST_F(StudioTest, ResultsReachTheOwnerThreadOnlyThroughPost) {
    studio_.reset();
    std::mutex m;
    std::vector<std::function<void()>> posted;
    auto post = [&](std::function<void()> fn) {
        std::lock_guard lock(m);
        posted.push_back(std::move(fn));
    };
    auto s = pipelines::Studio::open(project_path(), post);
    ASSERT_TRUE(s.ok());
    const auto owner = std::this_thread::get_id();
    bool off_thread = false;
    int finished = 0, states = 0;
    pipelines::StudioEvents ev;
    ev.on_job_state = [&](const JobInfo&) {
        ++states;
        off_thread |= std::this_thread::get_id() != owner;
    };
    ev.on_import_finished = [&](const JobInfo&, const pipelines::ImportReport& r) {
        finished += static_cast<int>(r.added.size());
        off_thread |= std::this_thread::get_id() != owner;
    };
    (*s)->set_events(ev);
    const JobId id = (*s)->import_files({png("a.png", 8, 8, 1)});
    ASSERT_TRUE((*s)->wait(id, std::chrono::seconds(30)));
    EXPECT_EQ(finished, 0) << "reported before the owner thread ran the posted closures";
    EXPECT_EQ((*s)->undo().size(), 0u);
    // The worker already committed the rows (the owner thread does no database work)...
    EXPECT_EQ(sql("SELECT count(*) FROM assets"), "1");
    EXPECT_EQ(sql("SELECT state FROM jobs"), "running");  // ...but the job is done only once recorded
    std::vector<std::function<void()>> batch;
    {
        std::lock_guard lock(m);
        batch.swap(posted);
    }
    for (auto& fn : batch) fn();
    EXPECT_EQ(finished, 1);
    EXPECT_GE(states, 3);  // queued, running, done
    EXPECT_FALSE(off_thread);
    EXPECT_EQ((*s)->undo().size(), 1u);
    EXPECT_EQ(sql("SELECT state FROM jobs"), "done");
    ASSERT_TRUE((*s)->undo().undo().ok());
    EXPECT_EQ(sql("SELECT count(*) FROM assets"), "0");
    ASSERT_TRUE((*s)->undo().redo().ok());
    EXPECT_EQ(sql("SELECT count(*) FROM assets"), "1");
    (*s)->set_events({});
}

}  // namespace
}  // namespace atelier::test
