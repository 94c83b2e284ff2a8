// Job scheduler: state order, results, failure, cancel of queued and running jobs, progress
// throttling (<= 20 Hz, coalesced, final update delivered) and ETA.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "core/job.h"

using namespace atelier;
using namespace std::chrono_literals;

namespace {
struct Recorder {
    std::mutex m;
    std::vector<std::pair<JobId, JobState>> states;
    std::vector<std::pair<JobId, JobProgress>> progress;
    std::vector<std::string> partials;
    JobEvents events() {
        JobEvents ev;
        ev.on_state = [this](const JobInfo& i) { std::lock_guard l(m); states.emplace_back(i.id, i.state); };
        ev.on_progress = [this](JobId id, const JobProgress& p) { std::lock_guard l(m); progress.emplace_back(id, p); };
        ev.on_partial = [this](JobId, const JobPartial& p) { std::lock_guard l(m); partials.push_back(p.payload); };
        return ev;
    }
    std::vector<JobState> states_of(JobId id) {
        std::lock_guard l(m);
        std::vector<JobState> out;
        for (auto& [i, s] : states)
            if (i == id) out.push_back(s);
        return out;
    }
};
}  // namespace

TEST(Jobs, DoneFailedAndStateOrder) {
    Recorder rec;
    JobScheduler sched(2, rec.events());
    JobId ok = sched.submit({.kind = "t", .title = "ok"}, [](JobContext& ctx) {
        ctx.partial("text", "hello");
        return ok_status();
    });
    JobId bad = sched.submit({.kind = "t", .title = "bad"},
                             [](JobContext&) -> Status { return make_error(ErrorCode::IoError, "boom"); });
    JobId thrower = sched.submit({.kind = "t"}, [](JobContext&) -> Status { throw std::runtime_error("x"); });
    sched.wait_idle();
    EXPECT_EQ(rec.states_of(ok), (std::vector<JobState>{JobState::Queued, JobState::Running, JobState::Done}));
    EXPECT_EQ(rec.states_of(bad), (std::vector<JobState>{JobState::Queued, JobState::Running, JobState::Failed}));
    EXPECT_EQ(sched.info(bad)->error.code, ErrorCode::IoError);
    EXPECT_EQ(sched.info(thrower)->state, JobState::Failed);
    EXPECT_EQ(sched.info(thrower)->error.code, ErrorCode::Internal);
    EXPECT_EQ(rec.partials, std::vector<std::string>{"hello"});
    EXPECT_FALSE(sched.info(ok)->spec.uuid.empty());
}

TEST(Jobs, CancelQueuedJobNeverRuns) {
    JobScheduler sched(1);
    std::atomic<bool> release{false}, ran{false};
    JobId blocker = sched.submit({.kind = "block"}, [&](JobContext& ctx) {
        while (!release && !ctx.cancelled()) std::this_thread::sleep_for(1ms);
        return ok_status();
    });
    JobId queued = sched.submit({.kind = "q"}, [&](JobContext&) {
        ran = true;
        return ok_status();
    });
    EXPECT_TRUE(sched.cancel(queued));
    EXPECT_EQ(sched.info(queued)->state, JobState::Cancelled);
    release = true;
    sched.wait_idle();
    EXPECT_FALSE(ran.load());
    EXPECT_EQ(sched.info(blocker)->state, JobState::Done);
    EXPECT_FALSE(sched.cancel(blocker));  // already final
}

TEST(Jobs, CancelRunningJobStopsIt) {
    Recorder rec;
    JobScheduler sched(1, rec.events());
    std::atomic<bool> started{false};
    JobId id = sched.submit({.kind = "slow"}, [&](JobContext& ctx) -> Status {
        started = true;
        for (int i = 0; i < 100000; ++i) {
            ATELIER_TRY(ctx.check_cancel());
            std::this_thread::sleep_for(1ms);
        }
        return ok_status();
    });
    while (!started) std::this_thread::sleep_for(1ms);
    EXPECT_TRUE(sched.cancel(id));
    ASSERT_TRUE(sched.wait(id, 10s));
    EXPECT_EQ(sched.info(id)->state, JobState::Cancelled);
    EXPECT_EQ(rec.states_of(id), (std::vector<JobState>{JobState::Queued, JobState::Running, JobState::Cancelling,
                                                        JobState::Cancelled}));
}

// cancel() and the worker race: the worker may see the stop and finish while cancel() is still
// about to report "cancelling". on_state must still see the states in the order they changed,
// and wait() must not return before the final state has been delivered.
TEST(Jobs, StateEventsStayInOrderWhenCancelRacesTheEnd) {
    Recorder rec;
    JobScheduler sched(2, rec.events());
    for (int round = 0; round < 300; ++round) {
        std::atomic<bool> started{false};
        JobId id = sched.submit({.kind = "race"}, [&](JobContext& ctx) -> Status {
            started = true;
            while (!ctx.cancelled()) std::this_thread::yield();
            return make_error(ErrorCode::Cancelled, "stopped");
        });
        while (!started) std::this_thread::yield();
        ASSERT_TRUE(sched.cancel(id));
        ASSERT_TRUE(sched.wait(id, 10s));
        ASSERT_EQ(rec.states_of(id), (std::vector<JobState>{JobState::Queued, JobState::Running,
                                                            JobState::Cancelling, JobState::Cancelled}))
            << "round " << round;
    }
}

// A callback may call back into the scheduler (submit, cancel, wait) without deadlocking.
TEST(Jobs, CallbacksMayCallTheScheduler) {
    JobScheduler* self = nullptr;
    std::atomic<JobId> follow_up{0};
    std::atomic<bool> waited{false};
    JobEvents ev;
    ev.on_state = [&](const JobInfo& info) {
        if (info.spec.kind == "first" && info.state == JobState::Done) {
            JobId f = self->submit({.kind = "second"}, [](JobContext&) { return ok_status(); });
            follow_up = f;
        }
        if (info.spec.kind == "second" && info.state == JobState::Done) {
            waited = self->wait(info.id, 10s);
            self->cancel(info.id);  // already final: false, no event
        }
    };
    JobScheduler sched(1, ev);
    self = &sched;
    JobId first = sched.submit({.kind = "first"}, [](JobContext&) { return ok_status(); });
    ASSERT_TRUE(sched.wait(first, 10s));
    while (follow_up == 0) std::this_thread::yield();
    ASSERT_TRUE(sched.wait(follow_up, 10s));
    sched.wait_idle();
    EXPECT_TRUE(waited.load());
    EXPECT_EQ(sched.info(follow_up)->state, JobState::Done);
}

TEST(Jobs, ProgressIsThrottledCoalescedAndFinal) {
    Recorder rec;
    JobScheduler sched(1, rec.events());
    auto t0 = std::chrono::steady_clock::now();
    JobId id = sched.submit({.kind = "p"}, [](JobContext& ctx) {
        const int n = 200000;
        for (int i = 0; i < n; ++i) ctx.progress(double(i) / n, "work");
        ctx.progress(0.999999, "work");  // held back by the throttle, then flushed at the end
        return ok_status();
    });
    sched.wait_idle();
    const double elapsed_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::lock_guard l(rec.m);
    ASSERT_FALSE(rec.progress.empty());
    // At most one delivery per 50 ms, plus the first (stage change) and the final flush.
    EXPECT_LE(rec.progress.size(), static_cast<size_t>(elapsed_ms / 50.0) + 2) << elapsed_ms;
    EXPECT_DOUBLE_EQ(rec.progress.back().second.fraction, 0.999999);
    EXPECT_EQ(rec.progress.back().first, id);
}

TEST(Jobs, EtaEstimatesRemainingTime) {
    JobScheduler sched(1);
    JobProgress last;
    JobId id = sched.submit({.kind = "eta"}, [&](JobContext& ctx) {
        for (int i = 1; i <= 40; ++i) {
            std::this_thread::sleep_for(5ms);
            ctx.progress(i / 80.0, "half");  // stops at 50%: remaining ≈ elapsed
        }
        last = ctx.last_progress();
        return ok_status();
    });
    sched.wait(id);
    ASSERT_GT(last.eta_s, 0.0);
    // Same rate for the rest, so ETA ≈ elapsed (smoothing lags; generous bounds).
    EXPECT_GT(last.eta_s, 0.3 * last.elapsed_s);
    EXPECT_LT(last.eta_s, 3.0 * last.elapsed_s);
}

TEST(Jobs, DestructorCancelsEverything) {
    std::atomic<int> finished{0};
    {
        JobScheduler sched(1);
        for (int k = 0; k < 3; ++k)
            sched.submit({.kind = "long"}, [&](JobContext& ctx) -> Status {
                while (!ctx.cancelled()) std::this_thread::sleep_for(1ms);
                finished++;
                return ctx.check_cancel();
            });
        std::this_thread::sleep_for(20ms);
    }
    EXPECT_LE(finished.load(), 1);  // only the running one ran; queued ones were dropped
}
