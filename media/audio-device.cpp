// PortAudio devices and streams (see audio-device.h). Pa_Initialize/Pa_Terminate are reference
// counted by PortAudio; every AudioStream and listing holds one reference while it works.
// Thread-safety: control functions on one thread; the trampoline runs on PortAudio's thread and
// only calls the user's function and stores atomics.
#include "media/audio-device.h"

#include <portaudio.h>

#include <cstdlib>

#include <nlohmann/json.hpp>

namespace atelier::media {

struct AudioStreamAccess {
    static int callback(const void* in, void* out, unsigned long frames, const PaStreamCallbackTimeInfo*,
                        PaStreamCallbackFlags, void* self_v) {
        auto* self = static_cast<AudioStream*>(self_v);
        const bool more = self->fn_(self->user_, static_cast<const float*>(in), static_cast<float*>(out), frames);
        if (more) return paContinue;
        self->callback_done_.store(true, std::memory_order_release);
        return paComplete;
    }
};

namespace {

constexpr const char* kDevicesHint =
    "run 'atelier-cli media devices' to see the sound devices; on a machine without a sound card "
    "see docs (ALSA file device)";

Error pa_error(const std::string& what, PaError e, std::string hint = kDevicesHint) {
    return make_error(ErrorCode::AudioDeviceFailed, what + ": " + Pa_GetErrorText(e), std::move(hint));
}

Status pa_init() {
    // JACK is probed by PortAudio; never let it try to start a server behind the user's back.
    setenv("JACK_NO_START_SERVER", "1", 0);
    const PaError e = Pa_Initialize();
    if (e != paNoError) return pa_error("PortAudio could not start", e);
    return ok_status();
}

AudioDeviceInfo describe(int i) {
    const PaDeviceInfo* d = Pa_GetDeviceInfo(i);
    AudioDeviceInfo info;
    info.index = i;
    if (!d) return info;
    info.name = d->name ? d->name : "";
    const PaHostApiInfo* api = Pa_GetHostApiInfo(d->hostApi);
    info.host_api = api && api->name ? api->name : "";
    info.max_input_channels = d->maxInputChannels;
    info.max_output_channels = d->maxOutputChannels;
    info.default_sample_rate_hz = d->defaultSampleRate;
    info.default_low_output_latency_s = d->defaultLowOutputLatency;
    info.default_low_input_latency_s = d->defaultLowInputLatency;
    info.is_default_input = i == Pa_GetDefaultInputDevice();
    info.is_default_output = i == Pa_GetDefaultOutputDevice();
    return info;
}

// The device for `name` (exact match first, then a unique substring) or the default one.
Result<int> find_device(const std::string& name, StreamDirection dir) {
    const bool capture = dir == StreamDirection::Capture;
    const char* what = capture ? "capture" : "playback";
    if (name.empty()) {
        const PaDeviceIndex i = capture ? Pa_GetDefaultInputDevice() : Pa_GetDefaultOutputDevice();
        if (i == paNoDevice)
            return make_error(ErrorCode::AudioDeviceFailed, std::string("no default ") + what + " device",
                              "connect a sound device, or choose one by name; " + std::string(kDevicesHint));
        return static_cast<int>(i);
    }
    int exact = -1, partial = -1, n_partial = 0;
    for (int i = 0; i < Pa_GetDeviceCount(); ++i) {
        const AudioDeviceInfo d = describe(i);
        if ((capture ? d.max_input_channels : d.max_output_channels) <= 0) continue;
        if (d.name == name && exact < 0) exact = i;
        if (d.name.find(name) != std::string::npos) { partial = i; ++n_partial; }
    }
    if (exact >= 0) return exact;
    if (n_partial == 1) return partial;
    if (n_partial > 1)
        return make_error(ErrorCode::AudioDeviceFailed, "sound device name '" + name + "' matches several " + what + " devices",
                          "give the full name; " + std::string(kDevicesHint));
    return make_error(ErrorCode::AudioDeviceFailed, "no " + std::string(what) + " device named '" + name + "'",
                      "the device may have been unplugged; " + std::string(kDevicesHint));
}

}  // namespace

const char* stream_state_name(StreamState s) {
    switch (s) {
        case StreamState::Stopped: return "stopped";
        case StreamState::Running: return "running";
        case StreamState::Finished: return "finished";
        case StreamState::DeviceLost: return "device_lost";
        case StreamState::Invalid: break;
    }
    return "invalid";
}

Result<std::vector<AudioDeviceInfo>> list_audio_devices() {
    ATELIER_TRY(pa_init());
    std::vector<AudioDeviceInfo> out;
    const int n = Pa_GetDeviceCount();
    if (n < 0) {
        Error err = pa_error("PortAudio could not list the sound devices", n);
        Pa_Terminate();
        return err;
    }
    for (int i = 0; i < n; ++i) out.push_back(describe(i));
    Pa_Terminate();
    return out;
}

std::string audio_devices_json(const std::vector<AudioDeviceInfo>& devices) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& d : devices)
        arr.push_back({{"index", d.index}, {"name", d.name}, {"host_api", d.host_api},
                       {"max_input_channels", d.max_input_channels}, {"max_output_channels", d.max_output_channels},
                       {"default_sample_rate_hz", d.default_sample_rate_hz},
                       {"default_low_output_latency_s", d.default_low_output_latency_s},
                       {"default_low_input_latency_s", d.default_low_input_latency_s},
                       {"is_default_input", d.is_default_input}, {"is_default_output", d.is_default_output}});
    return arr.dump();
}

Result<std::unique_ptr<PortAudioSession>> PortAudioSession::start() {
    ATELIER_TRY(pa_init());
    return std::unique_ptr<PortAudioSession>(new PortAudioSession());
}

PortAudioSession::~PortAudioSession() { Pa_Terminate(); }

Result<std::unique_ptr<AudioStream>> AudioStream::open(StreamDirection dir, const StreamSettings& s, AudioCallbackFn fn,
                                                       void* user) {
    if (dir == StreamDirection::Invalid || !fn || s.channels <= 0 || s.sample_rate_hz <= 0 || s.frames_per_buffer < 0)
        return make_error(ErrorCode::InvalidArgument, "audio stream: bad settings (direction, callback, rate or channels)");
    ATELIER_TRY(pa_init());
    auto self = std::unique_ptr<AudioStream>(new AudioStream());  // from here its destructor terminates PortAudio
    self->dir_ = dir;
    self->fn_ = fn;
    self->user_ = user;
    ATELIER_TRY_ASSIGN(const int dev, find_device(s.device, dir));
    const AudioDeviceInfo info = describe(dev);
    self->device_name_ = info.name;
    const bool capture = dir == StreamDirection::Capture;
    PaStreamParameters p{};
    p.device = dev;
    p.channelCount = s.channels;
    p.sampleFormat = paFloat32;
    p.suggestedLatency = s.latency_s > 0 ? s.latency_s
                                         : (capture ? info.default_low_input_latency_s : info.default_low_output_latency_s);
    const std::string label = std::string(capture ? "capture" : "playback") + " on '" + info.name + "' (" +
                              std::to_string(s.sample_rate_hz) + " Hz, " + std::to_string(s.channels) + " channels)";
    PaError e = Pa_IsFormatSupported(capture ? &p : nullptr, capture ? nullptr : &p, s.sample_rate_hz);
    if (e != paFormatIsSupported)
        return pa_error("sound device refused " + label, e,
                        "try the device's default rate (" + std::to_string(static_cast<int>(info.default_sample_rate_hz)) +
                            " Hz) or fewer channels; " + kDevicesHint);
    PaStream* stream = nullptr;
    e = Pa_OpenStream(&stream, capture ? &p : nullptr, capture ? nullptr : &p, s.sample_rate_hz,
                      static_cast<unsigned long>(s.frames_per_buffer), paDitherOff, &AudioStreamAccess::callback,
                      self.get());
    if (e != paNoError) return pa_error("could not open " + label, e);
    self->stream_ = stream;
    Pa_SetStreamFinishedCallback(stream, &AudioStream::on_finished);
    return self;
}

AudioStream::~AudioStream() {
    if (stream_) {
        (void)stop();
        Pa_CloseStream(static_cast<PaStream*>(stream_));
    }
    Pa_Terminate();
}

void AudioStream::on_finished(void* self_v) {
    static_cast<AudioStream*>(self_v)->finished_.store(true, std::memory_order_release);
}

Status AudioStream::start() {
    if (running_.load()) return ok_status();
    stop_requested_.store(false);
    finished_.store(false);
    callback_done_.store(false);
    const PaError e = Pa_StartStream(static_cast<PaStream*>(stream_));
    if (e != paNoError) return pa_error("could not start the sound stream on '" + device_name_ + "'", e);
    running_.store(true);
    return ok_status();
}

Status AudioStream::stop() {
    if (!running_.load()) return ok_status();
    stop_requested_.store(true);
    auto* s = static_cast<PaStream*>(stream_);
    const PaError active = Pa_IsStreamStopped(s);
    running_.store(false);
    if (active == 1) return ok_status();  // already stopped (finished by the callback)
    const PaError e = Pa_AbortStream(s);
    if (e != paNoError && e != paStreamIsStopped) return pa_error("could not stop the sound stream on '" + device_name_ + "'", e);
    return ok_status();
}

StreamState AudioStream::state() const {
    if (!running_.load()) return StreamState::Stopped;
    const PaError active = Pa_IsStreamActive(static_cast<PaStream*>(stream_));
    if (active == 1) return StreamState::Running;
    // Not active while we never asked it to stop: either our callback finished it, or the
    // device went away (PortAudio ends the stream or reports an error).
    if (active == 0 && callback_done_.load(std::memory_order_acquire)) return StreamState::Finished;
    if (stop_requested_.load()) return StreamState::Stopped;
    return StreamState::DeviceLost;
}

Error AudioStream::lost_error() const {
    return make_error(ErrorCode::AudioDeviceFailed, "the sound device '" + device_name_ + "' stopped working",
                      "it may have been unplugged or taken by another program; reconnect it or choose another "
                      "device, then start again");
}

double AudioStream::latency_s() const {
    const PaStreamInfo* i = Pa_GetStreamInfo(static_cast<PaStream*>(stream_));
    if (!i) return 0;
    return dir_ == StreamDirection::Capture ? i->inputLatency : i->outputLatency;
}

}  // namespace atelier::media
