// A fixed-size pool of worker threads with a FIFO task queue and a blocking parallel_for.
// Thread-safety: submit/parallel_for may be called from any thread, including a pool worker
// (parallel_for then runs inline to avoid self-deadlock, as does one nested in a parallel_for of
// the same pool on the calling thread). The destructor drains queued tasks.
// parallel_for allocates nothing: one job at a time is published in the pool (concurrent callers
// take turns), and workers that just finished something spin briefly for the next job before they
// sleep, so the short back-to-back loops of model inference do not pay a wake-up each time.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace atelier {

class ThreadPool {
public:
    explicit ThreadPool(size_t n_threads);  // 0 means hardware_concurrency()
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    size_t size() const { return workers_.size(); }

    // Queue a task. Tasks must not throw (an escaping exception is caught and logged).
    void submit(std::function<void()> task);

    // Run fn(i) for i in [0, n) across the pool and the calling thread; returns when all are done.
    // fn must not throw.
    void parallel_for(size_t n, const std::function<void(size_t)>& fn);

    static bool on_worker_thread();

private:
    struct Job {
        const std::function<void(size_t)>* fn = nullptr;
        size_t n = 0;
        uint64_t float_mode = 0;  // the caller's (core/float-env.h): every item runs in it
        std::atomic<size_t> next{0};
        std::atomic<size_t> done{0};
    };

    void worker_loop();
    bool has_work(uint64_t seen_gen) const;
    void join_job(uint64_t gen);
    static void run_items(Job& job);

    std::vector<std::thread> workers_;
    std::deque<std::function<void()>> queue_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool stopping_ = false;
    std::atomic<bool> stop_flag_{false};
    std::atomic<size_t> queued_{0};  // queue_.size(), readable without the mutex
    int sleepers_ = 0;               // workers waiting on cv_ (guarded by mutex_)

    // The published parallel_for job: job_gen_ is odd while job_ is open to helpers.
    std::mutex job_mutex_;  // one parallel_for at a time
    std::atomic<Job*> job_{nullptr};
    std::atomic<uint64_t> job_gen_{0};
    std::atomic<int> job_users_{0};  // helpers inside job_
};

}  // namespace atelier
