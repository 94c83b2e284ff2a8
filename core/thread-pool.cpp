// Thread pool implementation. Invariant: workers exit only after the queue is empty and
// stopping_ is set, so every submitted task runs exactly once.
#include "core/thread-pool.h"

#include <atomic>
#include <exception>

#include "core/log.h"

namespace atelier {
namespace {
thread_local bool t_on_pool_worker = false;
}

ThreadPool::ThreadPool(size_t n_threads) {
    if (n_threads == 0) n_threads = std::max(1u, std::thread::hardware_concurrency());
    workers_.reserve(n_threads);
    for (size_t i = 0; i < n_threads; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
}

bool ThreadPool::on_worker_thread() { return t_on_pool_worker; }

void ThreadPool::submit(std::function<void()> task) {
    {
        std::lock_guard lock(mutex_);
        queue_.push_back(std::move(task));
    }
    cv_.notify_one();
}

void ThreadPool::worker_loop() {
    t_on_pool_worker = true;
    for (;;) {
        std::function<void()> task;
        {
            std::unique_lock lock(mutex_);
            cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) return;
            task = std::move(queue_.front());
            queue_.pop_front();
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
    if (n == 1 || workers_.empty() || on_worker_thread()) {
        for (size_t i = 0; i < n; ++i) fn(i);
        return;
    }
    struct Shared {
        std::atomic<size_t> next{0};
        std::atomic<size_t> done{0};
        std::mutex m;
        std::condition_variable cv;
    };
    auto shared = std::make_shared<Shared>();
    auto run = [shared, n, &fn] {
        size_t finished = 0;
        for (size_t i; (i = shared->next.fetch_add(1)) < n;) {
            fn(i);
            ++finished;
        }
        if (finished && shared->done.fetch_add(finished) + finished == n) {
            std::lock_guard lock(shared->m);
            shared->cv.notify_all();
        }
    };
    const size_t helpers = std::min(workers_.size(), n - 1);
    for (size_t i = 0; i < helpers; ++i) submit(run);
    run();
    std::unique_lock lock(shared->m);
    shared->cv.wait(lock, [&] { return shared->done.load() == n; });
}

}  // namespace atelier
