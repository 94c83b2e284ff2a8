// Whisper log-mel spectrogram: framing with reflect padding, 400-point DFT (Bluestein over av_tx
// 1024-point FFTs, two real frames per complex transform), power, Slaney mel, log10, normalise.
// Invariants: every frame's DFT is independent, so frames split freely across threads; each
// worker owns its own av_tx contexts and buffers (contexts are not shared between threads).
// Thread-safety: whisper_log_mel may be called from any thread.
#include "inference/audio/log-mel.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <complex>
#include <memory>
#include <numbers>
#include <string>

#include "core/thread-pool.h"

extern "C" {
#include <libavutil/mem.h>
#include <libavutil/tx.h>
}

namespace atelier::infer::audio {
namespace {

constexpr int kFftSize = 1024;  // >= 2 * kNFft - 1, a power of two (av_tx's fast path)

struct AvFree {
    void operator()(void* p) const { av_free(p); }
};
using ComplexBuf = std::unique_ptr<AVComplexDouble[], AvFree>;  // av_malloc'd: aligned for av_tx

ComplexBuf alloc_complex(size_t n) {
    return ComplexBuf(static_cast<AVComplexDouble*>(av_mallocz(n * sizeof(AVComplexDouble))));
}

// Chirp c_n = exp(-i*pi*n^2/N), n^2 reduced mod 2N so the angle stays small.
std::complex<double> chirp(int n) {
    const int64_t n2 = (int64_t{n} * n) % (2 * kNFft);
    const double angle = -std::numbers::pi * static_cast<double>(n2) / kNFft;
    return {std::cos(angle), std::sin(angle)};
}

// A 400-point DFT of two windowed real frames at once (z = w * (x1 + i*x2)) as Bluestein's
// chirp-z: Z_k = c_k * sum_n (z_n c_n) conj(c_{k-n}), the convolution done by one forward and one
// inverse 1024-point av_tx FFT. The window is folded into the input chirp (wc_n = w_n c_n).
class Dft400 {
public:
    Dft400() = default;
    Dft400(const Dft400&) = delete;
    Dft400& operator=(const Dft400&) = delete;
    ~Dft400() {
        av_tx_uninit(&fwd_);
        av_tx_uninit(&inv_);
    }

    bool init(const double* window) {
        double scale = 1.0;
        if (av_tx_init(&fwd_, &fwd_fn_, AV_TX_DOUBLE_FFT, 0, kFftSize, &scale, 0) < 0) return false;
        // av_tx's FFTs ignore the scale argument (libavutil 57); the 1/1024 of the inverse
        // transform is folded into H below instead.
        if (av_tx_init(&inv_, &inv_fn_, AV_TX_DOUBLE_FFT, 1, kFftSize, &scale, 0) < 0) return false;
        a_ = alloc_complex(kFftSize);
        b_ = alloc_complex(kFftSize);
        h_ = alloc_complex(kFftSize);
        if (!a_ || !b_ || !h_) return false;
        for (int n = 0; n < kNFft; ++n) {
            const std::complex<double> c = chirp(n);
            c_[n] = {c.real(), c.imag()};
            wc_re_[n] = window[n] * c.real();
            wc_im_[n] = window[n] * c.imag();
            const AVComplexDouble conj_c{c_[n].re, -c_[n].im};
            a_[n] = conj_c;
            if (n > 0) a_[kFftSize - n] = conj_c;
        }
        fwd_fn_(fwd_, h_.get(), a_.get(), sizeof(AVComplexDouble));  // H = FFT(conj chirp) / 1024
        for (int k = 0; k < kFftSize; ++k) {
            h_[k].re /= kFftSize;
            h_[k].im /= kFftSize;
        }
        return true;
    }

    // x1, x2: kNFft raw samples each; out: kNFft complex bins of w * (x1 + i*x2).
    void run(const float* x1, const float* x2, AVComplexDouble* out) {
        for (int n = 0; n < kNFft; ++n) {
            a_[n] = {x1[n] * wc_re_[n] - x2[n] * wc_im_[n], x1[n] * wc_im_[n] + x2[n] * wc_re_[n]};
        }
        std::fill(a_.get() + kNFft, a_.get() + kFftSize, AVComplexDouble{0.0, 0.0});
        fwd_fn_(fwd_, b_.get(), a_.get(), sizeof(AVComplexDouble));
        for (int k = 0; k < kFftSize; ++k) {
            const AVComplexDouble x = b_[k], y = h_[k];
            b_[k] = {x.re * y.re - x.im * y.im, x.re * y.im + x.im * y.re};
        }
        inv_fn_(inv_, a_.get(), b_.get(), sizeof(AVComplexDouble));
        for (int k = 0; k < kNFft; ++k) {
            out[k] = {a_[k].re * c_[k].re - a_[k].im * c_[k].im, a_[k].re * c_[k].im + a_[k].im * c_[k].re};
        }
    }

private:
    AVTXContext* fwd_ = nullptr;
    AVTXContext* inv_ = nullptr;
    av_tx_fn fwd_fn_ = nullptr;
    av_tx_fn inv_fn_ = nullptr;
    ComplexBuf a_, b_, h_;
    AVComplexDouble c_[kNFft] = {};
    double wc_re_[kNFft] = {}, wc_im_[kNFft] = {};
};

double hz_to_mel(double hz) {
    constexpr double kMinLogHz = 1000.0, kMinLogMel = 15.0;
    const double logstep = 27.0 / std::log(6.4);
    return hz >= kMinLogHz ? kMinLogMel + std::log(hz / kMinLogHz) * logstep : 3.0 * hz / 200.0;
}

double mel_to_hz(double mel) {
    constexpr double kMinLogHz = 1000.0, kMinLogMel = 15.0;
    const double logstep = std::log(6.4) / 27.0;
    return mel >= kMinLogMel ? kMinLogHz * std::exp(logstep * (mel - kMinLogMel)) : 200.0 * mel / 3.0;
}

// The nonzero span of one filter row, so the mel product skips the zeros.
struct FilterSpan {
    int lo = 0, hi = 0;  // bins [lo, hi)
};

struct Geometry {
    std::span<const float> pcm;  // the audio actually used (OneWindow: at most 30 s)
    int64_t total_samples = 0;   // pcm plus zero padding: the signal that is framed
    int64_t n_frames = 0;
};

// Sample j of the reflect-padded signal (j in [0, total + kNFft)), as torch.stft(center=True).
float padded_sample(const Geometry& g, int64_t j) {
    int64_t i = j - kNFft / 2;
    if (i < 0) i = -i;
    if (i >= g.total_samples) i = 2 * (g.total_samples - 1) - i;
    return i < static_cast<int64_t>(g.pcm.size()) ? g.pcm[static_cast<size_t>(i)] : 0.0f;
}

void load_frame(const Geometry& g, int64_t t, float* dst) {
    const int64_t start = t * kHop;  // in padded coordinates
    const int64_t first = start - kNFft / 2;
    if (first >= 0 && first + kNFft <= static_cast<int64_t>(g.pcm.size())) {
        const float* src = g.pcm.data() + first;
        std::copy(src, src + kNFft, dst);
        return;
    }
    for (int n = 0; n < kNFft; ++n) dst[n] = padded_sample(g, start + n);
}

struct MelJob {
    const Geometry* geom = nullptr;
    const double* window = nullptr;  // periodic Hann
    const std::vector<float>* filters = nullptr;  // [n_mels][201]
    const std::vector<FilterSpan>* spans = nullptr;
    int n_mels = 0;
    float* out = nullptr;  // [n_mels][n_frames], log10 values before normalising
};

void mel_of_power(const MelJob& job, const double* power, int64_t t) {
    const float* f = job.filters->data();
    for (int m = 0; m < job.n_mels; ++m) {
        const FilterSpan s = (*job.spans)[static_cast<size_t>(m)];
        const float* row = f + static_cast<size_t>(m) * kNFreqBins;
        double acc = 0.0;
        for (int k = s.lo; k < s.hi; ++k) acc += row[k] * power[k];
        job.out[static_cast<size_t>(m) * static_cast<size_t>(job.geom->n_frames) + static_cast<size_t>(t)] =
            static_cast<float>(std::log10(std::max(acc, 1e-10)));
    }
}

// Frames [t0, t1): two real frames per complex DFT (z = x1 + i*x2, split by conjugate symmetry).
bool run_frames(const MelJob& job, int64_t t0, int64_t t1) {
    Dft400 dft;
    if (!dft.init(job.window)) return false;
    float x1[kNFft], x2[kNFft];
    double p1[kNFreqBins], p2[kNFreqBins];
    AVComplexDouble zf[kNFft];
    for (int64_t t = t0; t < t1; t += 2) {
        const bool pair = t + 1 < t1;
        load_frame(*job.geom, t, x1);
        if (pair) {
            load_frame(*job.geom, t + 1, x2);
        } else {
            std::fill(x2, x2 + kNFft, 0.0f);
        }
        dft.run(x1, x2, zf);
        for (int k = 0; k < kNFreqBins; ++k) {
            const AVComplexDouble a = zf[k], b = zf[(kNFft - k) % kNFft];
            // X1 = (Z_k + conj Z_{N-k}) / 2, X2 = (Z_k - conj Z_{N-k}) / 2i
            const double r1 = 0.5 * (a.re + b.re), i1 = 0.5 * (a.im - b.im);
            const double r2 = 0.5 * (a.im + b.im), i2 = -0.5 * (a.re - b.re);
            p1[k] = r1 * r1 + i1 * i1;
            p2[k] = r2 * r2 + i2 * i2;
        }
        mel_of_power(job, p1, t);
        if (pair) mel_of_power(job, p2, t + 1);
    }
    return true;
}

Result<Geometry> frame_geometry(std::span<const float> pcm, const MelOptions& options) {
    Geometry g;
    if (options.frames == MelFrames::OneWindow) {
        g.pcm = pcm.subspan(0, std::min<size_t>(pcm.size(), kChunkSamples));
        g.total_samples = kChunkSamples;
    } else if (options.frames == MelFrames::LongForm) {
        if (options.tail_padding_samples < 0) {
            return make_error(ErrorCode::InvalidArgument, "log-mel: negative tail padding",
                              "pass tail_padding_samples >= 0 (Whisper uses 480000)");
        }
        g.pcm = pcm;
        g.total_samples = static_cast<int64_t>(pcm.size()) + options.tail_padding_samples;
        if (g.total_samples <= kNFft / 2) {
            return make_error(ErrorCode::InvalidArgument,
                              "log-mel: " + std::to_string(g.total_samples) +
                                  " samples are too few for reflect padding (need more than 200)",
                              "pad the audio (tail_padding_samples) or use MelFrames::OneWindow");
        }
    } else {
        return make_error(ErrorCode::InvalidArgument, "log-mel: MelOptions::frames is not set",
                          "choose MelFrames::OneWindow or MelFrames::LongForm");
    }
    g.n_frames = g.total_samples / kHop;
    return g;
}

Status validate_input(std::span<const float> pcm, int n_mels) {
    if (n_mels != 80 && n_mels != 128) {
        return make_error(ErrorCode::InvalidArgument, "log-mel: " + std::to_string(n_mels) + " mel bins requested",
                          "Whisper models use 80 bins (128 for large-v3 and turbo)");
    }
    if (pcm.empty()) {
        return make_error(ErrorCode::InvalidArgument, "log-mel: the audio is empty",
                          "decode at least one sample of 16 kHz mono audio before computing features");
    }
    for (size_t i = 0; i < pcm.size(); ++i) {
        if (!std::isfinite(pcm[i])) {
            return make_error(ErrorCode::InvalidArgument,
                              "log-mel: sample " + std::to_string(i) + " is not finite (NaN or infinity)",
                              "the decoded audio is damaged; re-decode the file or replace those samples");
        }
    }
    return {};
}

}  // namespace

std::vector<float> slaney_mel_filters(int n_mels) {
    std::vector<float> out(static_cast<size_t>(std::max(n_mels, 0)) * kNFreqBins, 0.0f);
    if (n_mels <= 0) return out;
    const double mel_max = hz_to_mel(kSampleRate / 2.0);
    std::vector<double> f(static_cast<size_t>(n_mels) + 2);
    const double step = mel_max / (n_mels + 1);
    for (size_t i = 0; i < f.size(); ++i) f[i] = mel_to_hz(static_cast<double>(i) * step);
    f.back() = mel_to_hz(mel_max);
    for (int m = 0; m < n_mels; ++m) {
        const double lo = f[static_cast<size_t>(m)], mid = f[static_cast<size_t>(m) + 1],
                     hi = f[static_cast<size_t>(m) + 2];
        const double enorm = 2.0 / (hi - lo);
        for (int k = 0; k < kNFreqBins; ++k) {
            const double hz = 40.0 * k;  // linspace(0, 8000, 201)
            const double down = (hz - lo) / (mid - lo), up = (hi - hz) / (hi - mid);
            const double w = std::max(0.0, std::min(down, up));
            out[static_cast<size_t>(m) * kNFreqBins + static_cast<size_t>(k)] = static_cast<float>(w * enorm);
        }
    }
    return out;
}

Result<LogMel> whisper_log_mel(std::span<const float> pcm, int n_mels, const MelOptions& options) {
    if (Status st = validate_input(pcm, n_mels); !st) return std::move(st).error();
    auto geom = frame_geometry(pcm, options);
    if (!geom) return std::move(geom).error();

    double window[kNFft];  // periodic Hann, as torch.hann_window(400)
    for (int n = 0; n < kNFft; ++n) window[n] = 0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * n / kNFft);
    const std::vector<float> filters = slaney_mel_filters(n_mels);
    std::vector<FilterSpan> spans(static_cast<size_t>(n_mels));
    for (int m = 0; m < n_mels; ++m) {
        const float* row = filters.data() + static_cast<size_t>(m) * kNFreqBins;
        FilterSpan& s = spans[static_cast<size_t>(m)];
        s.lo = kNFreqBins;
        for (int k = 0; k < kNFreqBins; ++k) {
            if (row[k] != 0.0f) {
                s.lo = std::min(s.lo, k);
                s.hi = k + 1;
            }
        }
        if (s.hi == 0) s.lo = 0;
    }

    LogMel mel;
    mel.n_mels = n_mels;
    mel.n_frames = geom->n_frames;
    mel.data.assign(static_cast<size_t>(n_mels) * static_cast<size_t>(mel.n_frames), 0.0f);
    const MelJob job{&geom.value(), window, &filters, &spans, n_mels, mel.data.data()};

    const size_t n_parts = options.pool ? options.pool->size() + 1 : 1;
    // Even-sized parts keep frame pairs together; at least 64 frames per part.
    const int64_t per_part = std::max<int64_t>(64, ((mel.n_frames + static_cast<int64_t>(n_parts) - 1) /
                                                    static_cast<int64_t>(n_parts) + 1) & ~int64_t{1});
    const size_t n_jobs = static_cast<size_t>((mel.n_frames + per_part - 1) / per_part);
    std::atomic<bool> failed{false};
    auto part = [&](size_t i) {
        const int64_t t0 = static_cast<int64_t>(i) * per_part;
        if (!run_frames(job, t0, std::min(mel.n_frames, t0 + per_part))) failed = true;
    };
    if (options.pool && n_jobs > 1) {
        options.pool->parallel_for(n_jobs, part);
    } else {
        for (size_t i = 0; i < n_jobs; ++i) part(i);
    }
    if (failed) {
        return make_error(ErrorCode::OutOfMemory, "log-mel: could not set up the FFT (av_tx_init failed)",
                          "free some memory and retry");
    }

    const float max_value = *std::max_element(mel.data.begin(), mel.data.end());
    const float floor_value = max_value - 8.0f;
    for (float& v : mel.data) v = (std::max(v, floor_value) + 4.0f) / 4.0f;
    return mel;
}

}  // namespace atelier::infer::audio
