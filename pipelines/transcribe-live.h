// Live transcription from the microphone: capture (PortAudio, media/audio-device) at 16, 32 or
// 48 kHz, low-pass and decimate to 16 kHz on the job worker, feed a LiveRecogniser, and stream
// captions as job partials; when the job is cancelled (= stop and keep) or max_duration_ms is
// reached, the recogniser finishes and the transcript is stored like a file's (source: microphone).
//  - The audio callback only copies into a FloatRing (no lock, no allocation); a full ring drops
//    the buffer and counts an overrun.
//  - Partial "caption" every step: {"final":[segment...], "partial":TEXT, "partial_start_ms":N,
//    "elapsed_ms":N}; segments as in transcribe.h's "segment" partial.
// Thread-safety: transcribe_microphone on a job worker; submit_* on the Studio's owner thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/job.h"
#include "core/result.h"
#include "pipelines/transcribe.h"

namespace atelier::pipelines {

struct MicrophoneOptions {
    std::string device;                   // exact name or unique substring; empty: the default input
    int sample_rate_hz = 48000;           // 16000, 32000 or 48000
    int channels = 1;                     // mixed down to mono
    int64_t max_duration_ms = 4 * 3600000;
    int step_ms = 300;                    // how often new audio is decoded (as measured by bench-whisper --live)
    size_t ring_frames = 1 << 18;         // about 5 s at 48 kHz
};

// Streaming low-pass + decimation by 1, 2 or 3 (48/32/16 kHz -> 16 kHz): a windowed-sinc FIR,
// cut-off at 7.6 kHz, state kept across blocks so block boundaries leave no trace.
class Decimator {
public:
    explicit Decimator(int factor);
    int factor() const { return factor_; }
    void process(const float* in, size_t n, std::vector<float>& out);  // appends to out

private:
    int factor_;
    std::vector<float> taps_, history_;
    size_t phase_ = 0;  // input samples to skip before the next output
};

// The local time now through strftime (titles and names of takes); empty when too long.
std::string local_time_text(const char* strftime_format);

// Records and transcribes until cancel (kept) or max_duration_ms. `project` null: not stored.
// Errors: AudioDeviceFailed (no input, unknown device, lost device with nothing captured),
// InvalidArgument (rate not 16/32/48 kHz), the recogniser's errors.
Result<TranscribeReport> transcribe_microphone(JobContext& ctx, projects::Project* project, const MicrophoneOptions& mic,
                                               const TranscribeSettings& settings, const RecogniserLoader& loader);

// As a Studio job (kind "transcribe", params {"source":"microphone", ...}); cannot be rerun.
JobId submit_transcribe_microphone(Studio& studio, MicrophoneOptions mic, TranscribeSettings settings,
                                   RecogniserLoader loader = {}, std::shared_ptr<TranscribeReport> report = nullptr);

}  // namespace atelier::pipelines
