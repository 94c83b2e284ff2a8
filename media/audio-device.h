// Sound devices through PortAudio: listing (name, host API, channels, default rate, which is the
// default input/output) and opening float32 interleaved playback or capture streams.
//  - The stream calls a plain function pointer (AudioCallbackFn) on PortAudio's real-time thread:
//    it must not lock, allocate, log or do I/O (ARCHITECTURE §4).
//  - A device that disappears (hot-unplug, driver failure) is reported as StreamState::DeviceLost,
//    which the owner polls with state(); nothing crashes and nothing throws.
// Thread-safety: list/open/start/stop/close on one control thread; state() from any thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"

namespace atelier::media {

struct AudioDeviceInfo {
    int index = -1;                  // PortAudio device index (valid for this process only)
    std::string name;
    std::string host_api;            // "ALSA", "JACK Audio Connection Kit", ...
    int max_input_channels = 0;
    int max_output_channels = 0;
    double default_sample_rate_hz = 0;
    double default_low_output_latency_s = 0;
    double default_low_input_latency_s = 0;
    bool is_default_input = false;
    bool is_default_output = false;
};

// Every device PortAudio sees. Ok and empty when there are none (the caller decides whether that
// is an error); AudioDeviceFailed when PortAudio itself cannot start.
Result<std::vector<AudioDeviceInfo>> list_audio_devices();
std::string audio_devices_json(const std::vector<AudioDeviceInfo>& devices);

enum class StreamDirection { Invalid = 0, Playback, Capture };
enum class StreamState { Invalid = 0, Stopped, Running, Finished, DeviceLost };
const char* stream_state_name(StreamState s);  // "stopped", "running", "finished", "device_lost"

struct StreamSettings {
    std::string device;         // device name (exact, or a unique substring); empty: the default device
    int sample_rate_hz = 48000;
    int channels = 2;
    int frames_per_buffer = 256;
    double latency_s = 0;       // 0: the device's default low latency
};

// Real-time callback: `in` (capture) or `out` (playback) holds frames * channels interleaved
// floats. Returns false to finish the stream after this buffer (e.g. playback reached the end).
using AudioCallbackFn = bool (*)(void* user, const float* in, float* out, size_t frames);

class AudioStream {
public:
    // Errors: AudioDeviceFailed with a hint (no device, name not found or ambiguous, the device
    // refused the rate/channels/buffer size).
    static Result<std::unique_ptr<AudioStream>> open(StreamDirection dir, const StreamSettings& settings,
                                                     AudioCallbackFn fn, void* user);
    ~AudioStream();  // stops and closes

    Status start();
    Status stop();   // waits for the callback to return; idempotent
    StreamState state() const;  // polls PortAudio: DeviceLost when the stream died without stop()
    Error lost_error() const;   // what to tell the user when state() == DeviceLost
    std::string device_name() const { return device_name_; }
    double latency_s() const;   // the stream's reported input or output latency

private:
    AudioStream() = default;
    static void on_finished(void* self);
    void* stream_ = nullptr;  // PaStream*
    StreamDirection dir_ = StreamDirection::Invalid;
    std::string device_name_;
    std::atomic<bool> running_{false};
    std::atomic<bool> stop_requested_{false};
    std::atomic<bool> finished_{false};       // PortAudio's finished callback fired
    std::atomic<bool> callback_done_{false};  // the callback itself asked to finish
    AudioCallbackFn fn_ = nullptr;
    void* user_ = nullptr;
    friend struct AudioStreamAccess;
};

// Keeps PortAudio initialised while alive (reference counted by PortAudio itself).
class PortAudioSession {
public:
    static Result<std::unique_ptr<PortAudioSession>> start();
    ~PortAudioSession();
private:
    PortAudioSession() = default;
};

}  // namespace atelier::media
