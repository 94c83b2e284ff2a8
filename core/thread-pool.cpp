// Thread pool implementation. Invariants: workers exit only after the queue is empty and
// stopping_ is set, so every submitted task runs exactly once; a parallel_for job lives on its
// caller's stack and is unpublished (job_gen_ made even) and waited free of helpers (job_users_
// == 0) before the caller returns. A helper joins a job by raising job_users_ and then re-reading
// job_gen_ (both sequentially consistent, so it and the closing caller cannot miss each other).
// A helper runs a job's items in the caller's float mode (denormal flushing, rounding), so where
// an item runs never changes its result.
#include "core/thread-pool.h"

#include <chrono>
#include <exception>

#include "core/float-env.h"
#include "core/log.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define ATELIER_PAUSE() _mm_pause()
#else
#define ATELIER_PAUSE() std::this_thread::yield()
#endif

namespace atelier {
namespace {
thread_local bool t_on_pool_worker = false;
thread_local const void* t_running_job_of = nullptr;  // the pool whose job this caller runs

// How long a worker that just finished something keeps polling for the next job or task before
// it sleeps on the condition variable, and how long parallel_for's caller polls before it waits.
constexpr auto kWorkerSpin = std::chrono::microseconds(200);
constexpr auto kCallerSpin = std::chrono::microseconds(50);

template <class Pred>
bool spin_until(Pred&& pred, std::chrono::microseconds budget) {
    const auto end = std::chrono::steady_clock::now() + budget;
    for (;;) {
        for (int i = 0; i < 64; ++i) {
            if (pred()) return true;
            ATELIER_PAUSE();
        }
        if (std::chrono::steady_clock::now() >= end) return pred();
    }
}
}  // namespace

ThreadPool::ThreadPool(size_t n_threads) {
    if (n_threads == 0) n_threads = std::max(1u, std::thread::hardware_concurrency());
    workers_.reserve(n_threads);
    for (size_t i = 0; i < n_threads; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        stop_flag_.store(true);
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
}

bool ThreadPool::on_worker_thread() { return t_on_pool_worker; }

void ThreadPool::submit(std::function<void()> task) {
    {
        std::lock_guard lock(mutex_);
        queue_.push_back(std::move(task));
        queued_.fetch_add(1);
    }
    cv_.notify_one();
}

bool ThreadPool::has_work(uint64_t seen_gen) const {
    const uint64_t g = job_gen_.load(std::memory_order_acquire);
    return (g != seen_gen && (g & 1)) || queued_.load(std::memory_order_relaxed) > 0 || stop_flag_.load(std::memory_order_relaxed);
}

void ThreadPool::run_items(Job& job) {
    size_t finished = 0;
    for (size_t i; (i = job.next.fetch_add(1)) < job.n;) {
        (*job.fn)(i);
        ++finished;
    }
    if (finished && job.done.fetch_add(finished) + finished == job.n) job.done.notify_all();
}

void ThreadPool::join_job(uint64_t gen) {
    job_users_.fetch_add(1);
    if (job_gen_.load() == gen) {
        Job& job = *job_.load(std::memory_order_relaxed);
        const FloatModeScope mode(job.float_mode);
        run_items(job);
    }
    job_users_.fetch_sub(1);
}

void ThreadPool::worker_loop() {
    t_on_pool_worker = true;
    uint64_t seen = 0;
    for (;;) {
        if (!spin_until([&] { return has_work(seen); }, kWorkerSpin)) {
            std::unique_lock lock(mutex_);
            ++sleepers_;
            cv_.wait(lock, [&] { return has_work(seen); });
            --sleepers_;
        }
        const uint64_t g = job_gen_.load();
        if (g != seen && (g & 1)) {
            seen = g;
            join_job(g);
            continue;
        }
        std::function<void()> task;
        {
            std::lock_guard lock(mutex_);
            if (queue_.empty()) {
                if (stopping_) return;
                continue;
            }
            task = std::move(queue_.front());
            queue_.pop_front();
            queued_.fetch_sub(1);
        }
        try {
            task();
        } catch (const std::exception& e) {
            ATELIER_LOG_ERROR("thread pool task threw: %s", e.what());
        } catch (...) {
            ATELIER_LOG_ERROR("thread pool task threw a non-standard exception");
        }
    }
}

void ThreadPool::parallel_for(size_t n, const std::function<void(size_t)>& fn) {
    if (n == 0) return;
    if (n == 1 || workers_.empty() || on_worker_thread() || t_running_job_of == this) {  // nested: inline
        for (size_t i = 0; i < n; ++i) fn(i);
        return;
    }
    std::lock_guard turn(job_mutex_);
    t_running_job_of = this;
    Job job;
    job.fn = &fn;
    job.n = n;
    job.float_mode = thread_float_mode();
    job_.store(&job, std::memory_order_relaxed);
    job_gen_.fetch_add(1);  // odd: open
    {
        std::lock_guard lock(mutex_);
        if (sleepers_ > 0) cv_.notify_all();
    }
    run_items(job);
    if (!spin_until([&] { return job.done.load() == n; }, kCallerSpin))
        for (size_t d; (d = job.done.load()) != n;) job.done.wait(d);
    job_gen_.fetch_add(1);  // even: closed to late helpers
    spin_until([&] { return job_users_.load() == 0; }, std::chrono::microseconds(1000000000));
    t_running_job_of = nullptr;
}

}  // namespace atelier
