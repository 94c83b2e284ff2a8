// Piper's VITS network on the engine's ops: text encoder (relative-position attention), duration
// predictor (stochastic spline flows or deterministic), prior expansion, residual-coupling flow
// reversed, HiFi-GAN decoder. Loads a voice folder written by tools/tts/onnx-to-safetensors.py
// (voice.json + model.safetensors). Noise comes from the Session's RNG; noise 0 is deterministic.
// Thread-safety: a loaded VitsVoice is immutable and may be shared; one Session per caller.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <stop_token>
#include <vector>

#include "core/result.h"
#include "inference/model.h"
#include "inference/session.h"
#include "inference/tts/voice-config.h"

namespace atelier::infer::tts {

struct VitsOptions {
    float noise_scale = 0.667f;  // prior noise
    float length_scale = 1.0f;   // > 1 speaks slower
    float noise_w = 0.8f;        // duration predictor noise
    int speaker_id = 0;          // multi-speaker voices only
    bool keep_intermediates = false;
    // > 0: the flow and decoder first run on this many frames alone (plus kChunkContextFrames of
    // look-ahead), handed to on_audio at once, then on the rest; for a short time to first audio.
    int first_chunk_frames = 0;
};

// Frames of context each side of a chunk boundary: the flow's receptive field (4 couplings x 4
// WaveNet layers x 2 frames) plus the decoder's (about 11 frames), rounded up.
inline constexpr int64_t kChunkContextFrames = 48;

// Channel-major intermediates ([C][T], as the ONNX graph's [1, C, T]) when asked for.
struct VitsIntermediates {
    std::vector<float> enc_x, m_p, logs_p;  // [hidden or inter][T]
    std::vector<float> logw;                // [T]
    std::vector<float> z_p, z;              // [inter][frames]
};

struct VitsOutput {
    std::vector<float> audio;          // mono, the voice's sample rate
    std::vector<int64_t> durations;    // frames per phoneme id (ceil'd)
    VitsIntermediates intermediates;   // filled when keep_intermediates
};

class VitsVoice {
public:
    // dir holds voice.json and model.safetensors. Errors name the file and the missing tensor.
    static Result<std::unique_ptr<VitsVoice>> load(const std::filesystem::path& dir);
    ~VitsVoice();

    const VoiceConfig& config() const { return cfg_; }
    const std::filesystem::path& dir() const { return dir_; }  // the folder it was loaded from
    int hop_samples() const;  // audio samples per frame (product of the upsample rates)
    // Floating-point operations (2 per multiply-add) of one synthesize() on n_ids phoneme ids
    // giving n_frames latent frames: every convolution, the attention products; element-wise
    // work left out. For benchmarks' hardware-limit ratio.
    double flops(int64_t n_ids, int64_t n_frames) const;

    // One sentence's ids -> audio. Errors: InvalidArgument for empty/out-of-range ids or a bad
    // speaker; Cancelled when stop is requested (checked between stages and decoder layers).
    // on_audio (optional) gets the audio piece by piece as it is ready (one piece, or two with
    // first_chunk_frames), on the calling thread.
    Result<VitsOutput> synthesize(std::span<const int64_t> ids, const VitsOptions& options, Session& session,
                                  std::stop_token stop = {},
                                  const std::function<void(std::span<const float>)>& on_audio = {}) const;

    struct Weights;

private:
    VitsVoice() = default;
    VoiceConfig cfg_;
    std::filesystem::path dir_;
    std::shared_ptr<const Model> model_;
    std::unique_ptr<Weights> w_;
};

}  // namespace atelier::infer::tts
