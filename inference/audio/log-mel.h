// Whisper's log-mel spectrogram of 16 kHz mono float audio, 80 or 128 bins, computed as the
// reference WhisperFeatureExtractor does (periodic Hann, reflect padding as torch.stft(center=True),
// power spectrum, Slaney mel filterbank, log10, global max - 8 clamp, (x + 4) / 4).
// Invariants: output is [n_mels][n_frames] row-major; n_frames = padded samples / 160.
// Thread-safety: pure functions; any thread. With MelOptions::pool set, frames are split across it.
//
// Why av_tx (FFmpeg's libavutil) rather than FFTW: libavutil is already linked by the product, is
// LGPL (FFTW is GPL), and its power-of-two FFTs are hand-tuned (AVX2/FMA). The 400-point size
// Whisper needs (16 * 25) has no fast codelet in libavutil 57 (av_tx falls back to an O(n^2)
// loop, ~0.5 ms per frame), so the 400-point DFT runs as Bluestein's chirp-z transform over one
// 1024-point av_tx FFT pair, with two real frames packed into each complex transform. It runs in
// double: the reference's own float32 rounding is ~4e-5 (vs a float64 numpy computation), so our
// error must stay well below that to keep the sum under the 1e-4 bound.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/result.h"

namespace atelier {
class ThreadPool;
}

namespace atelier::infer::audio {

constexpr int kSampleRate = 16000, kNFft = 400, kHop = 160, kChunkSamples = 480000;
constexpr int kNFreqBins = kNFft / 2 + 1;                 // 201
constexpr int64_t kChunkFrames = kChunkSamples / kHop;    // 3000

struct LogMel {
    int n_mels = 0;
    int64_t n_frames = 0;
    std::vector<float> data;  // [n_mels][n_frames]
};

// How the frames are laid out.
enum class MelFrames {
    Invalid = 0,
    // One 30 s window, exactly as WhisperFeatureExtractor(padding="max_length", truncation=True):
    // the audio is cut or zero-padded to 480000 samples; n_frames = 3000.
    OneWindow,
    // The whole audio followed by tail_padding_samples zeros, normalised with one global max
    // (as openai-whisper's transcribe and the extractor with truncation=False, padding="longest"
    // on the padded signal). n_frames = (samples + tail) / 160.
    LongForm,
};

struct MelOptions {
    MelFrames frames = MelFrames::OneWindow;
    int64_t tail_padding_samples = kChunkSamples;  // LongForm only
    ThreadPool* pool = nullptr;                     // nullptr: the calling thread alone
};

// Errors: InvalidArgument for empty audio, a non-finite sample (named by index), n_mels other than
// 80 or 128, or a LongForm signal of 200 samples or fewer (reflect padding needs more).
Result<LogMel> whisper_log_mel(std::span<const float> pcm, int n_mels, const MelOptions& options = {});

// The Slaney-normalised mel filterbank (librosa / transformers mel_filter_bank with
// norm="slaney", mel_scale="slaney", 0..8000 Hz), [n_mels][201], computed in double and rounded
// to float. Exposed for tests. n_mels must be positive.
std::vector<float> slaney_mel_filters(int n_mels);

}  // namespace atelier::infer::audio
