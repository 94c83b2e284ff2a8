// Session: owns the compute pool (n_threads - 1 workers; the caller is the n-th thread), the
// scratch arena and the RNG. Used by one thread at a time.
#include "inference/session.h"

#include <thread>

#include "core/thread-pool.h"
#include "inference/cpu/cpu-backend.h"

namespace atelier::infer {

Result<std::unique_ptr<Session>> Session::create(SessionOptions options) {
    std::unique_ptr<Session> s(new Session());
    int n = options.n_threads;
    if (n <= 0) n = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    if (options.backend) {
        s->backend_ = std::move(options.backend);
    } else {
        ATELIER_TRY_ASSIGN(auto b, make_cpu_backend({}));
        s->backend_ = std::move(b);
    }
    if (n > 1) s->pool_ = std::make_unique<ThreadPool>(static_cast<size_t>(n - 1));
    s->ctx_.pool = s->pool_.get();
    s->ctx_.scratch = &s->scratch_;
    s->ctx_.n_threads = n;
    s->rng_.seed(options.seed);
    return s;
}

Session::~Session() = default;

Status Session::run(const OpCall& call) {
    scratch_.reset();
    return backend_->run(call, ctx_);
}

}  // namespace atelier::infer
