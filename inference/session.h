// Session: the mutable state one caller uses to run ops on a backend: a thread pool for the
// kernels, a scratch arena reused between calls, and a seeded RNG (ARCHITECTURE §3: Model is
// immutable and shared; Session is per caller). One thread at a time uses a Session; the pool's
// workers are internal. Model-specific caches will join it when the model code lands.
#pragma once

#include <cstdint>
#include <memory>
#include <random>

#include "core/result.h"
#include "inference/backend.h"

namespace atelier {
class ThreadPool;
}

namespace atelier::infer {

struct SessionOptions {
    int n_threads = 0;          // 0: all logical cores
    uint64_t seed = 0x5eed;     // RNG seed (sampling); a fixed seed makes runs repeatable
    std::shared_ptr<Backend> backend;  // nullptr: the CPU backend with automatic variant choice
};

class Session {
public:
    // Fails only when the backend cannot be created.
    static Result<std::unique_ptr<Session>> create(SessionOptions options = {});
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // Validates and runs one op; scratch is reset first. Not thread-safe (one caller at a time).
    Status run(const OpCall& call);

    Backend& backend() { return *backend_; }
    std::mt19937_64& rng() { return rng_; }
    ScratchArena& scratch() { return scratch_; }
    int n_threads() const { return ctx_.n_threads; }
    ExecContext& context() { return ctx_; }

private:
    Session() = default;
    std::shared_ptr<Backend> backend_;
    std::unique_ptr<ThreadPool> pool_;
    ScratchArena scratch_;
    ExecContext ctx_;
    std::mt19937_64 rng_;
};

}  // namespace atelier::infer
