// Text -> speech with a Piper voice, as Piper's synthesize() does it: phonemize (sentences), one
// VITS run per sentence, each sentence peak-normalised to full scale and clipped, then joined
// with a configurable silence. Text starting with <speak is SSML-lite (ssml.h: breaks, rate per
// span, say-as); English voices get dates, times and phone numbers as words (english-numbers.h).
// Each sentence's audio is handed to a callback as soon as it is ready, and with streaming on
// the first sentence's first frames even before that sentence is finished.
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

    // SSML: Auto treats text whose first non-space is "<speak" as SSML; On parses any text as
    // SSML (a fragment without <speak> is accepted); Off speaks tags as text.
    enum class Ssml { Invalid = 0, Auto, On, Off };
    Ssml ssml = Ssml::Auto;
    // English voices (espeak voice en*): ISO/US dates, clock times and US phone numbers in the
    // text are read as words before phonemizing ("2024-03-15" -> "March fifteenth, ...").
    bool expand_numbers = true;
    int speaker_id = 0;  // multi-speaker voices: which speaker (0 for single-speaker voices)

    // Streaming inside a sentence. > 0: the first sentence's first this many latent frames
    // (hop_samples() audio samples each, 11.6 ms for Piper's 22.05 kHz voices) are decoded on
    // their own and reach on_audio before the rest of that sentence (VitsOptions::
    // first_chunk_frames; the joined pieces equal the unchunked audio to float rounding).
    int first_chunk_frames = 0;
    // With first_chunk_frames > 0 a sentence's peak is not known when its first piece is played,
    // so peak normalisation is replaced by this fixed gain for every sentence (then clipped to
    // [-1, 1]); the network's tanh output is already in [-1, 1], so 1 leaves it as produced.
    float stream_gain = 1.0f;
    // Every piece of output as soon as it exists, in order: silences, sentence audio (one piece,
    // or two for the streamed first sentence). The pieces joined equal Speech::audio.
    std::function<void(std::span<const float>)> on_audio;
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

// Called after each sentence with its audio followed by the silence after it: the sentence
// silence, or the SSML breaks that replace it (after the last sentence: trailing breaks only).
// SSML breaks before the first sentence come at the start of the first call.
using SentenceAudioFn = std::function<void(size_t sentence_index, std::span<const float> audio)>;

// Errors: phonemizer errors (empty text, espeak-ng missing), InvalidArgument for malformed SSML
// (naming line and column), a bad speed/speaker/stream gain, the network's, Cancelled. SSML
// breaks are capped at 10 s each and 10 minutes in all (with a warning).
Result<Speech> speak(const VitsVoice& voice, std::string_view text, const SpeakOptions& options, Session& session,
                     std::stop_token stop = {}, const SentenceAudioFn& on_sentence = {});

}  // namespace atelier::infer::tts
