// A fixed-size pool of worker threads with a FIFO task queue and a blocking parallel_for.
// Thread-safety: submit/parallel_for may be called from any thread, including a pool worker
// (parallel_for then runs inline to avoid self-deadlock). The destructor drains queued tasks.
#pragma once

#include <condition_variable>
#include <cstddef>
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
    void parallel_for(size_t n, const std::function<void(size_t)>& fn);

    static bool on_worker_thread();

private:
    void worker_loop();

    std::vector<std::thread> workers_;
    std::deque<std::function<void()>> queue_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool stopping_ = false;
};

}  // namespace atelier
