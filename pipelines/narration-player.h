// NarrationPlayer: plays mono PCM that is still being synthesised. Producers append() each
// sentence as it is ready; a feeder thread moves it into a FloatRing; the PortAudio callback
// (render) copies from the ring. While the ring is empty and more input may come it outputs
// silence (counted as a wait, not a frame played); once end_input() was called and every frame
// is played the stream finishes by itself.
//  - render never locks, allocates, logs or does I/O (ARCHITECTURE §5).
//  - position_ms() counts frames actually handed to the device, so a view can follow the take.
// Thread-safety: open/start/stop/destroy on one control thread; append/end_input from any one
// thread at a time (a job worker); getters anywhere; render only from the audio callback (or a test).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "core/result.h"
#include "media/audio-device.h"
#include "media/ring-buffer.h"

namespace atelier::pipelines {

struct NarrationPlayerOptions {
    std::string device;         // output device name (or unique substring); empty: the default
    size_t ring_frames = 8192;  // rounded up to a power of two
    bool open_device = true;    // false: no PortAudio stream (tests drive render directly)
};

class NarrationPlayer {
public:
    // Errors: InvalidArgument for a rate <= 0; the device's (AudioDeviceFailed with a hint).
    static Result<std::unique_ptr<NarrationPlayer>> open(int sample_rate_hz, const NarrationPlayerOptions& options);
    ~NarrationPlayer();

    void append(std::span<const float> pcm);  // copies; any thread
    void end_input();                         // nothing more will be appended
    Status start();                           // the stream runs; silence until input arrives
    void stop();                              // idempotent; what was not played is dropped

    int sample_rate_hz() const { return rate_; }
    int64_t played_frames() const { return played_.load(std::memory_order_acquire); }
    int64_t position_ms() const { return played_frames() * 1000 / rate_; }
    bool finished() const { return drained_.load(std::memory_order_acquire); }
    Status error() const;                     // the lost device, when it was lost

    static bool render(void* user, const float* in, float* out, size_t frames);

private:
    NarrationPlayer(int rate, size_t ring_frames) : rate_(rate), ring_(ring_frames) {}
    void feeder_loop();

    int rate_;
    media::FloatRing ring_;
    std::unique_ptr<media::AudioStream> stream_;
    mutable std::mutex mutex_;          // pending_, fed_, ended_, quit_
    std::condition_variable cv_;
    std::vector<float> pending_;        // everything appended so far
    size_t fed_ = 0;                    // how much of pending_ went into the ring
    bool ended_ = false, quit_ = false;
    std::thread feeder_;
    std::atomic<bool> eof_{false};      // the feeder wrote the last frame
    std::atomic<bool> drained_{false};  // render played it
    std::atomic<int64_t> played_{0};
};

}  // namespace atelier::pipelines
