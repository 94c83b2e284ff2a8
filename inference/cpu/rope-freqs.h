// Internal: the per-pair rotary frequencies of RopeArgs (base, linear scale, YaRN ramp), computed
// once per call in double and shared by every Rope variant, so variants differ only in how they
// rotate. Internal linkage (anonymous namespace): safe to include from ISA-specific files.
#pragma once

#include <algorithm>
#include <cmath>

#include "inference/ops.h"

namespace atelier::infer::cpu {
namespace {

// freq[i] for pair i in [0, n_dims/2): angle at position p is p·freq[i].
inline void rope_freqs(const RopeArgs& a, double* freq) {
    const int64_t half = a.n_dims / 2;
    const double ln_base = std::log(static_cast<double>(a.freq_base));
    double low = 0, high = 0;
    if (a.ext_factor != 0.0f) {
        const double two_pi = 2.0 * 3.14159265358979323846;
        const double nd = static_cast<double>(a.n_dims), ctx = static_cast<double>(a.n_ctx_orig);
        low = std::max(0.0, std::floor(nd * std::log(ctx / (a.beta_fast * two_pi)) / (2 * ln_base)));
        high = std::min(nd - 1, std::ceil(nd * std::log(ctx / (a.beta_slow * two_pi)) / (2 * ln_base)));
    }
    for (int64_t i = 0; i < half; ++i) {
        const double f = std::exp(-2.0 * static_cast<double>(i) / static_cast<double>(a.n_dims) * ln_base);
        double mix = 0;
        if (a.ext_factor != 0.0f) {
            const double c = std::clamp((static_cast<double>(i) - low) / std::max(0.001, high - low), 0.0, 1.0);
            mix = (1 - c) * a.ext_factor;
        }
        freq[i] = f * a.freq_scale * (1 - mix) + f * mix;
    }
}

// Index of the two members of pair i within the rotated span.
inline int64_t rope_first(RopeMode mode, int64_t i) { return mode == RopeMode::Interleaved ? 2 * i : i; }
inline int64_t rope_second(RopeMode mode, int64_t i, int64_t n_dims) {
    return mode == RopeMode::Interleaved ? 2 * i + 1 : i + n_dims / 2;
}

}  // namespace
}  // namespace atelier::infer::cpu
