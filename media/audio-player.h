// AudioPlayer: plays a media file's sound. A feeder thread decodes (AudioReader) into a FloatRing;
// the PortAudio callback (render) only copies from the ring, applies the volume and counts.
//  - render never locks, allocates, logs or does I/O. An empty ring while playing outputs
//    silence and counts an underrun. At the end of the file the stream finishes by itself.
//  - position_ms() counts frames actually handed to the device (not decoded, not silence).
//  - seek() stops the stream, reopens the decoder at the target, refills and restarts.
// Thread-safety: open/play/pause/seek/set_volume/close on one control thread; the getters from any
// thread; render only from the audio callback (or a test driving it directly).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/result.h"
#include "media/audio-device.h"
#include "media/audio-reader.h"
#include "media/ring-buffer.h"

namespace atelier::media {

struct PlayerSettings {
    StreamSettings stream{.device = {}, .sample_rate_hz = 0, .channels = 0};  // rate/channels 0: the file's
    size_t ring_frames = 16384;        // rounded up to a power of two
    size_t decode_block_frames = 1024; // frames the feeder decodes at a time
    // play() starts the stream once this many frames are buffered (or the file ended);
    // 0: a quarter of the ring. Bounded by the ring.
    size_t start_buffered_frames = 2048;
    bool open_device = true;           // false: no PortAudio stream (tests drive render directly)
};

class AudioPlayer {
public:
    // Errors: the file's (MediaOpenFailed, ...) or the device's (AudioDeviceFailed, with a hint).
    static Result<std::unique_ptr<AudioPlayer>> open(const std::filesystem::path& path, const PlayerSettings& settings);
    ~AudioPlayer();

    Status play();
    void pause();                          // the callback outputs silence; position holds
    Status seek(int64_t position_ms);
    void set_volume(float gain);           // linear, 0..4
    float volume() const { return volume_.load(std::memory_order_relaxed); }

    int sample_rate_hz() const { return format_.sample_rate_hz; }
    int channels() const { return format_.channels; }
    int64_t duration_ms() const { return duration_ms_; }
    int64_t position_frames() const;       // base + frames actually played
    int64_t position_ms() const;
    uint64_t underruns() const { return underruns_.load(std::memory_order_relaxed); }
    bool playing() const { return playing_.load(std::memory_order_relaxed); }
    bool finished() const;                 // end of file reached and every frame played
    // Steady-clock nanoseconds of the first callback that delivered real frames since play();
    // 0 until then (for the start-latency benchmark).
    int64_t first_audio_ns() const { return first_audio_ns_.load(std::memory_order_acquire); }
    // Stopped/Running/Finished/DeviceLost of the stream (Stopped without a device).
    StreamState stream_state() const;
    Status error() const;                  // a decode error the feeder hit, or the lost device

    // The real-time function PortAudio calls (user = this). Public so tests can drive it.
    static bool render(void* user, const float* in, float* out, size_t frames);

private:
    AudioPlayer(size_t ring_floats) : ring_(ring_floats) {}
    void feeder_loop();
    Status reopen_at(int64_t frame);  // feeder mutex held, feeder idle

    std::filesystem::path path_;
    PlayerSettings settings_;
    AudioFormat format_;
    int64_t duration_ms_ = 0;
    FloatRing ring_;
    std::unique_ptr<AudioReader> reader_;   // feeder thread (or control thread under mutex_)
    std::unique_ptr<AudioStream> stream_;
    std::vector<float> decode_buf_;         // feeder thread

    mutable std::mutex mutex_;              // feeder vs control (never the callback)
    std::condition_variable cv_;
    bool quit_ = false;
    bool feeder_paused_ = false;            // control thread holds the feeder during seek
    Error feeder_error_;
    std::thread feeder_;

    std::atomic<bool> playing_{false};
    std::atomic<bool> eof_{false};          // the feeder wrote the last frame
    std::atomic<bool> drained_{false};      // render played the last frame
    std::atomic<float> volume_{1.0f};
    std::atomic<int64_t> base_frames_{0};
    std::atomic<int64_t> played_frames_{0};
    std::atomic<uint64_t> underruns_{0};
    std::atomic<int64_t> first_audio_ns_{0};
};

}  // namespace atelier::media
