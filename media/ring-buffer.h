// FloatRing: a lock-free single-producer/single-consumer ring of floats for the audio paths
// (decoder -> PortAudio callback, callback -> file writer).
//  - Capacity is a power of two; indices run freely and are masked, so full != empty.
//  - The producer publishes with a release store of head_, the consumer with tail_; each side
//    reads the other's index with acquire. No locks, no allocation after construction.
// Thread-safety: exactly one producer thread calls write(); exactly one consumer thread calls
// read()/discard(); reset() only while neither side is running. Sizes may be read anywhere.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstring>
#include <memory>

namespace atelier::media {

class FloatRing {
public:
    // Rounds min_capacity up to a power of two (at least 2). Allocates once, here.
    explicit FloatRing(size_t min_capacity) {
        size_t cap = 2;
        while (cap < min_capacity) cap <<= 1;
        buf_ = std::make_unique<float[]>(cap);
        mask_ = cap - 1;
    }
    FloatRing(const FloatRing&) = delete;
    FloatRing& operator=(const FloatRing&) = delete;

    size_t capacity() const { return mask_ + 1; }
    size_t available_read() const {
        return head_.load(std::memory_order_acquire) - tail_.load(std::memory_order_acquire);
    }
    size_t available_write() const { return capacity() - available_read(); }

    // Producer: copies up to n floats; returns how many fit.
    size_t write(const float* src, size_t n) {
        const size_t head = head_.load(std::memory_order_relaxed);
        const size_t tail = tail_.load(std::memory_order_acquire);
        n = std::min(n, capacity() - (head - tail));
        const size_t at = head & mask_;
        const size_t first = std::min(n, capacity() - at);
        std::memcpy(buf_.get() + at, src, first * sizeof(float));
        std::memcpy(buf_.get(), src + first, (n - first) * sizeof(float));
        head_.store(head + n, std::memory_order_release);
        return n;
    }

    // Consumer: copies up to n floats out; returns how many were there.
    size_t read(float* dst, size_t n) {
        const size_t tail = tail_.load(std::memory_order_relaxed);
        const size_t head = head_.load(std::memory_order_acquire);
        n = std::min(n, head - tail);
        const size_t at = tail & mask_;
        const size_t first = std::min(n, capacity() - at);
        std::memcpy(dst, buf_.get() + at, first * sizeof(float));
        std::memcpy(dst + first, buf_.get(), (n - first) * sizeof(float));
        tail_.store(tail + n, std::memory_order_release);
        return n;
    }

    // Consumer: drops up to n floats; returns how many were dropped.
    size_t discard(size_t n) {
        const size_t tail = tail_.load(std::memory_order_relaxed);
        n = std::min(n, head_.load(std::memory_order_acquire) - tail);
        tail_.store(tail + n, std::memory_order_release);
        return n;
    }

    // Empties the ring. Only while no producer and no consumer is running.
    void reset() {
        head_.store(0, std::memory_order_release);
        tail_.store(0, std::memory_order_release);
    }

private:
    std::unique_ptr<float[]> buf_;
    size_t mask_ = 0;
    alignas(64) std::atomic<size_t> head_{0};  // written by the producer
    alignas(64) std::atomic<size_t> tail_{0};  // written by the consumer
};

}  // namespace atelier::media
