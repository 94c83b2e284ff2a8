// AudioRecorder: records from a capture device into a 16-bit PCM WAV file as it goes.
//  - The PortAudio callback (capture) only copies whole frames into a FloatRing (a full ring
//    drops the buffer and counts an overrun); a writer thread drains the ring in blocks of
//    flush_frames, appends them to the file and then patches the RIFF/data sizes in the header.
//    So at any instant the file is a valid WAV holding every flushed block: a crash (even
//    SIGKILL) loses at most the block in flight.
//  - Float to 16-bit: lrintf(x * 32768) clamped, the same rule as FFmpeg's swresample, so k/32768
//    values survive exactly.
// Thread-safety: open/start/stop on one control thread; getters from any thread; capture only from
// the audio callback (or a test driving it directly).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/result.h"
#include "media/audio-device.h"
#include "media/ring-buffer.h"

namespace atelier::media {

struct RecorderSettings {
    StreamSettings stream;          // device, rate, channels, buffer size
    size_t ring_frames = 65536;     // rounded up to a power of two (about 1.4 s at 48 kHz)
    size_t flush_frames = 4096;     // frames per file write + header patch: the most a crash loses
    int64_t max_frames = 0;         // stop capturing after this many frames; 0: until stop()
    bool open_device = true;        // false: no PortAudio stream (tests drive capture directly)
};

class AudioRecorder {
public:
    // Creates `path` (truncating it) with an empty WAV header and opens the capture stream.
    // Errors: IoError/PermissionDenied naming the file, AudioDeviceFailed with a hint.
    static Result<std::unique_ptr<AudioRecorder>> open(const std::filesystem::path& path, const RecorderSettings& settings);
    ~AudioRecorder();  // stop() if still recording

    Status start();
    // Stops the stream, writes what is still in the ring, patches the header, syncs and closes.
    // Returns the first write error the writer hit, if any. Idempotent.
    Status stop();

    int sample_rate_hz() const { return settings_.stream.sample_rate_hz; }
    int channels() const { return settings_.stream.channels; }
    int64_t frames_captured() const { return captured_frames_.load(std::memory_order_acquire); }
    int64_t frames_written() const { return written_frames_.load(std::memory_order_acquire); }
    uint64_t overruns() const { return overruns_.load(std::memory_order_relaxed); }
    float peak_level() const { return peak_.load(std::memory_order_relaxed); }  // 0..1 of the last block
    bool reached_max() const;                 // max_frames captured
    StreamState stream_state() const;
    Status error() const;                     // a write error, or the lost device

    // The real-time function PortAudio calls (user = this). Public so tests can drive it.
    static bool capture(void* user, const float* in, float* out, size_t frames);

private:
    explicit AudioRecorder(size_t ring_floats) : ring_(ring_floats) {}
    void writer_loop();
    Status flush_block(size_t max_floats);    // writer thread
    Status patch_header();

    std::filesystem::path path_;
    RecorderSettings settings_;
    int fd_ = -1;
    FloatRing ring_;
    std::unique_ptr<AudioStream> stream_;
    std::vector<float> block_;                // writer thread
    std::vector<int16_t> pcm_;                // writer thread
    int64_t data_bytes_ = 0;                  // writer thread (or control after join)

    mutable std::mutex mutex_;
    Error write_error_;
    std::thread writer_;
    std::atomic<bool> recording_{false};
    std::atomic<bool> stopping_{false};
    bool stopped_ = false;
    std::atomic<int64_t> captured_frames_{0};
    std::atomic<int64_t> written_frames_{0};
    std::atomic<uint64_t> overruns_{0};
    std::atomic<float> peak_{0.0f};
};

// Writes a 44-byte canonical PCM16 WAV header for `data_bytes` bytes of samples.
std::vector<uint8_t> wav_header_pcm16(int sample_rate_hz, int channels, uint32_t data_bytes);

}  // namespace atelier::media
