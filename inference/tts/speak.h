// Text -> speech with a Piper voice, as Piper's synthesize() does it: phonemize (sentences), one
// VITS run per sentence, each sentence peak-normalised to full scale and clipped, then joined
// with a configurable silence. Each sentence's audio is handed to a callback as soon as it is
// ready, so a player can start on the first sentence while the rest is synthesised.
// Thread-safety: one Session per caller; the voice is shared read-only; callbacks run on the
// calling thread and must not throw.
#pragma once

#include <filesystem>
#include <functional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "inference/tts/vits.h"

namespace atelier::infer::tts {

struct SpeakOptions {
    // Negative: the voice's own default (voice.json "inference").
    float length_scale = -1.0f, noise_scale = -1.0f, noise_w = -1.0f;
    float sentence_silence_s = 0.2f;  // between sentences (not after the last)
    bool normalize = true;            // Piper's default: each sentence to peak 1
    // Folder holding espeak-ng-data/. Empty: the voice folder's own espeak-ng-data/ when it has
    // one (scripts/fetch-models puts Piper's there), else the system's.
    std::filesystem::path espeak_data_parent;
};

struct SpokenSentence {
    std::string phonemes;
    std::vector<int64_t> ids;
    int64_t first_sample = 0, n_samples = 0;  // where it sits in Speech::audio
};

struct Speech {
    int sample_rate = 0;
    std::vector<float> audio;  // mono, [-1, 1]
    std::vector<SpokenSentence> sentences;
    std::vector<std::string> warnings;  // skipped characters / phonemes
};

// Called after each sentence with its audio (followed by the silence, except after the last).
using SentenceAudioFn = std::function<void(size_t sentence_index, std::span<const float> audio)>;

// Errors: phonemizer errors (empty text, espeak-ng missing), the network's, Cancelled.
Result<Speech> speak(const VitsVoice& voice, std::string_view text, const SpeakOptions& options, Session& session,
                     std::stop_token stop = {}, const SentenceAudioFn& on_sentence = {});

}  // namespace atelier::infer::tts
