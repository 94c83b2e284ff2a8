// Text -> Piper phoneme ids, as Piper does it: light text normalisation, espeak-ng (the library
// Piper voices were trained with) to IPA clause by clause, the clause's punctuation kept (with a
// space after , : ;), split into NFD code points, grouped into sentences, optional vowel-cluster
// merging, then ids with BOS, PAD after every phoneme, EOS. Characters espeak-ng cannot speak
// (controls, private use, noncharacters, broken UTF-8) and phonemes the voice has no id for are
// skipped with a warning. Thread-safety: any thread; espeak-ng itself is global, so calls into it
// are serialised by an internal mutex.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "inference/tts/voice-config.h"

namespace atelier::infer::tts {

struct PhonemizeOptions {
    std::string espeak_voice = "en-us";
    // Directory that holds espeak-ng-data/ (espeak-ng's own convention); empty: the system's.
    std::filesystem::path espeak_data_parent;
};

// One sentence: its phonemes (each one or more UTF-8 code points) and Piper ids.
struct PhonemeSentence {
    std::vector<std::string> phonemes;
    std::vector<int64_t> ids;
    std::string phoneme_text() const;  // the phonemes joined, for logs and tests
};

// Normalises text for espeak-ng: broken UTF-8, controls (other than newline/tab; they become a
// space), zero-width marks, private-use code points and noncharacters are dropped with one
// warning each (naming the code point); typographic quotes and apostrophes become ASCII, U+2026
// becomes "...", no-break and other Unicode spaces become ' '. Everything else (emoji, symbols,
// other scripts) passes through: espeak-ng names or reads it.
std::string normalize_text(std::string_view text, std::vector<std::string>& warnings);

// espeak-ng phonemes of already-normalised text, one list of phonemes per sentence.
// Errors: InvalidArgument for text with nothing to speak; NotFound when espeak-ng's data or the
// voice cannot be loaded (hint: install espeak-ng-data).
Result<std::vector<std::vector<std::string>>> phonemize_espeak(std::string_view text, const PhonemizeOptions& options);

// Piper's vowel-cluster merge (longest match first) over one sentence's phonemes.
std::vector<std::string> merge_vowel_clusters(std::span<const std::string> phonemes,
                                              std::span<const std::vector<std::string>> clusters);

// Piper's phonemes_to_ids: BOS, PAD, then each phoneme's ids followed by PAD, then EOS. A phoneme
// missing from the map is skipped with a warning. The map must hold "_", "^" and "$".
std::vector<int64_t> phonemes_to_ids(std::span<const std::string> phonemes, const PhonemeIdMap& map,
                                     std::vector<std::string>& warnings);

// The whole chain for a voice: normalise, phonemize with the voice's espeak voice, merge clusters,
// map to ids. Errors: InvalidArgument for empty text (or text with nothing speakable left),
// ModelUnsupported for a voice whose phoneme_type is not "espeak", and phonemize_espeak's.
Result<std::vector<PhonemeSentence>> text_to_phoneme_ids(std::string_view text, const VoiceConfig& voice,
                                                         std::vector<std::string>& warnings,
                                                         const std::filesystem::path& espeak_data_parent = {});

}  // namespace atelier::infer::tts
