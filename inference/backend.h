// Backend: where ops run. supports(op, types) is answered from types alone, separately from
// run(), so placement can be planned before any data exists (STYLE §2: placement by capability).
// The CPU backend comes first (cpu/cpu-backend.h); a CUDA backend will implement the same
// interface with a stream in its ExecContext. Thread-safety: a Backend is immutable after
// construction; run() may be called from any one thread at a time per ExecContext.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <vector>

#include "core/result.h"
#include "inference/ops.h"

namespace atelier {
class ThreadPool;
}

namespace atelier::infer {

// Per-call bump allocator, reset by the Session before each run and reused between calls (its
// capacity only grows). Allocate only on the calling thread, before splitting work.
class ScratchArena {
public:
    ScratchArena() = default;
    ScratchArena(const ScratchArena&) = delete;
    ScratchArena& operator=(const ScratchArena&) = delete;
    ~ScratchArena();

    // 64-byte aligned, uninitialised; nullptr when memory is exhausted.
    void* alloc(size_t bytes);
    template <class T>
    T* alloc_array(size_t n) { return static_cast<T*>(alloc(n * sizeof(T))); }
    void reset();  // frees nothing; merges blocks so the next round needs one
    size_t capacity_bytes() const;

private:
    struct Block {
        char* data = nullptr;
        size_t size = 0;
        size_t used = 0;
    };
    std::vector<Block> blocks_;
};

// What a kernel may use besides its arguments. pool is null or empty for single-threaded runs.
struct ExecContext {
    ThreadPool* pool = nullptr;
    ScratchArena* scratch = nullptr;
    int n_threads = 1;
};

// Runs fn(i) for i in [0, n) across ctx.pool (or inline). fn must not throw.
template <class Fn>
void parallel_for(const ExecContext& ctx, int64_t n, Fn&& fn);

class Backend {
public:
    virtual ~Backend() = default;
    virtual const char* name() const = 0;
    // True when this backend can run op on these types (shapes are checked by run()).
    virtual bool supports(Op op, const OpTypes& types) const = 0;
    // Validates the call, then runs it. Unsupported types: ErrorCode::Unsupported.
    virtual Status run(const OpCall& call, ExecContext& ctx) = 0;
};

// Non-template core of parallel_for (backend.cpp is cpu/cpu-backend.cpp).
void parallel_for_impl(const ExecContext& ctx, int64_t n, void (*thunk)(void*, int64_t), void* fn);

template <class Fn>
void parallel_for(const ExecContext& ctx, int64_t n, Fn&& fn) {
    parallel_for_impl(
        ctx, n, [](void* f, int64_t i) { (*static_cast<std::remove_reference_t<Fn>*>(f))(i); },
        const_cast<void*>(static_cast<const void*>(&fn)));
}

}  // namespace atelier::infer
