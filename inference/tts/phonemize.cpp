// Piper-compatible phonemization on espeak-ng (see phonemize.h). espeak_TextToPhonemes returns one
// clause's IPA and advances the text pointer one code point into the next clause (its reader
// looks ahead), so a clause's punctuation is read from the source text just before that point.
// Thread-safety: espeak-ng is process-global; every call into it holds g_espeak_mutex.
#include "inference/tts/phonemize.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <mutex>

#include <espeak-ng/speak_lib.h>

#include "core/log.h"
#include "inference/tokenizer/unicode-util.h"

namespace atelier::infer::tts {
namespace {

struct Decomposition {
    uint32_t cp;
    std::array<uint32_t, 4> parts;
};
constexpr Decomposition kNfd[] = {
#include "inference/tts/nfd-table.inc"
};

std::mutex g_espeak_mutex;
bool g_espeak_ready = false;
std::string g_espeak_path;   // the data parent espeak-ng was initialised with ("" = system)
std::string g_espeak_voice;  // the voice currently selected

std::string cp_name(uint32_t cp) { return strprintf("U+%04X", cp); }

void append_nfd(std::string& out, uint32_t cp) {
    auto it = std::lower_bound(std::begin(kNfd), std::end(kNfd), cp,
                               [](const Decomposition& d, uint32_t c) { return d.cp < c; });
    if (it == std::end(kNfd) || it->cp != cp) {
        utf8_append(out, cp);
        return;
    }
    for (uint32_t part : it->parts)
        if (part != 0) utf8_append(out, part);
}

// Code points espeak-ng cannot speak: controls, private use, noncharacters, U+FFFD.
bool unspeakable(uint32_t cp) {
    if (cp < 0x20) return cp != '\n' && cp != '\t';
    if (cp >= 0x7F && cp < 0xA0) return true;
    if ((cp >= 0xE000 && cp <= 0xF8FF) || cp >= 0xF0000) return true;         // private use
    if ((cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE) return true;  // noncharacters
    if (cp == 0xFFFD || (cp >= 0xFFF0 && cp <= 0xFFFC)) return true;              // specials
    if (cp >= 0x200B && cp <= 0x200F) return true;  // zero-width and direction marks
    return cp == 0xFEFF;
}

Status init_espeak_locked(const std::filesystem::path& data_parent, const std::string& voice) {
    const std::string path = data_parent.string();
    if (g_espeak_ready && path != g_espeak_path) {
        espeak_Terminate();
        g_espeak_ready = false;
    }
    if (!g_espeak_ready) {
        if (!path.empty() && !std::filesystem::is_directory(data_parent / "espeak-ng-data"))
            return make_error(ErrorCode::NotFound, path + " holds no espeak-ng-data folder",
                              "point the voice at a folder containing espeak-ng-data, or leave it empty for the system's");
        const int rate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, path.empty() ? nullptr : path.c_str(),
                                           espeakINITIALIZE_DONT_EXIT);
        if (rate <= 0)
            return make_error(ErrorCode::NotFound, "espeak-ng could not load its data" + (path.empty() ? "" : " from " + path),
                              "install espeak-ng-data (scripts/setup)");
        g_espeak_ready = true;
        g_espeak_path = path;
        g_espeak_voice.clear();
    }
    if (voice != g_espeak_voice) {
        if (espeak_SetVoiceByName(voice.c_str()) != EE_OK)
            return make_error(ErrorCode::NotFound, "espeak-ng has no voice '" + voice + "'",
                              "install espeak-ng-data, or check the voice's espeak voice name");
        g_espeak_voice = voice;
    }
    return ok_status();
}

// The punctuation that ended a clause, read from the source text the clause consumed (the end of
// `seg`, whose last code point already belongs to the next clause unless `at_end`). Returns the
// terminator ("" for none or an ellipsis) and whether it ends a sentence.
std::pair<std::string, bool> clause_terminator(std::string_view seg, bool at_end) {
    size_t end = seg.size();
    if (!at_end && end > 0) {  // drop the look-ahead code point
        --end;
        while (end > 0 && (static_cast<uint8_t>(seg[end]) & 0xC0) == 0x80) --end;
    }
    auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    while (end > 0 && is_space(seg[end - 1])) --end;
    // Closing quotes and brackets may follow the punctuation ('"stop."', "(yes!)").
    for (;;) {
        if (end > 0 && std::strchr("\"')]}", seg[end - 1]) != nullptr) { --end; continue; }
        if (end >= 3 && (seg.substr(end - 3, 3) == "\xE2\x80\x9D" || seg.substr(end - 3, 3) == "\xE2\x80\x99")) { end -= 3; continue; }
        break;
    }
    if (end == 0) return {"", false};
    const char c = seg[end - 1];
    if (c == '.' && end >= 2 && seg[end - 2] == '.') return {"", false};  // an ellipsis ends no sentence
    if (c == '.' || c == '?' || c == '!') return {std::string(1, c), true};
    if (c == ',' || c == ':' || c == ';') return {std::string(1, c), false};
    return {"", false};
}

// "(en)" style language-switch flags removed, as Piper does.
std::string strip_language_flags(std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '(') {
            const size_t close = s.find(')', i + 1);
            if (close != std::string_view::npos && close > i + 1) { i = close; continue; }
        }
        out.push_back(s[i]);
    }
    return out;
}

void split_nfd(std::string_view s, std::vector<std::string>& out) {
    for (size_t i = 0; i < s.size();) {
        const uint32_t cp = utf8_next(s, i);
        std::string decomposed;
        append_nfd(decomposed, cp);
        for (size_t j = 0; j < decomposed.size();) {
            const size_t start = j;
            utf8_next(decomposed, j);
            out.emplace_back(decomposed.substr(start, j - start));
        }
    }
}

}  // namespace

std::string PhonemeSentence::phoneme_text() const {
    std::string s;
    for (const auto& p : phonemes) s += p;
    return s;
}

std::string normalize_text(std::string_view text, std::vector<std::string>& warnings) {
    const std::string valid = utf8_valid(text) ? std::string(text) : utf8_lossy(text);
    if (valid.size() != text.size() || valid != text) warnings.emplace_back("the text is not valid UTF-8; broken bytes skipped");
    std::string out;
    out.reserve(valid.size());
    for (size_t i = 0; i < valid.size();) {
        const uint32_t cp = utf8_next(valid, i);
        if (cp == '\r') { out.push_back('\n'); if (i < valid.size() && valid[i] == '\n') ++i; continue; }
        if (unspeakable(cp)) {
            if (cp != 0xFFFD) warnings.push_back("skipped character " + cp_name(cp) + " (cannot be spoken)");
            if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0)) out.push_back(' ');  // a control still separates words
            continue;
        }
        switch (cp) {
            case 0x2018: case 0x2019: case 0x201B: case 0x2032: out.push_back('\''); continue;
            case 0x201C: case 0x201D: case 0x201F: case 0x2033: out.push_back('"'); continue;
            case 0x2026: out += "..."; continue;
            case 0x00A0: case 0x2007: case 0x202F: case 0x3000: out.push_back(' '); continue;
            default: break;
        }
        if (cp >= 0x2000 && cp <= 0x200A) { out.push_back(' '); continue; }
        utf8_append(out, cp);
    }
    return out;
}

Result<std::vector<std::vector<std::string>>> phonemize_espeak(std::string_view text, const PhonemizeOptions& options) {
    const bool blank = std::all_of(text.begin(), text.end(), [](char c) { return c == ' ' || c == '\n' || c == '\t'; });
    if (blank) return make_error(ErrorCode::InvalidArgument, "the text to speak is empty", "type some text");
    const std::string buffer(text);  // NUL-terminated for espeak-ng
    std::vector<std::vector<std::string>> sentences;
    std::vector<std::string> current;
    std::lock_guard lock(g_espeak_mutex);
    ATELIER_TRY(init_espeak_locked(options.espeak_data_parent, options.espeak_voice));
    const void* ptr = buffer.c_str();
    while (ptr != nullptr) {
        const char* before = static_cast<const char*>(ptr);
        const char* ph = espeak_TextToPhonemes(&ptr, espeakCHARS_UTF8, espeakPHONEMES_IPA);
        const char* after = ptr != nullptr ? static_cast<const char*>(ptr) : buffer.c_str() + buffer.size();
        if (after < before || after > buffer.c_str() + buffer.size()) break;  // defensive: never read outside
        auto [terminator, end_of_sentence] = clause_terminator(std::string_view(before, after - before), ptr == nullptr);
        std::string clause = strip_language_flags(ph != nullptr ? ph : "") + terminator;
        if (terminator == "," || terminator == ":" || terminator == ";") clause += ' ';
        split_nfd(clause, current);
        if (end_of_sentence) {
            sentences.push_back(std::move(current));
            current.clear();
        }
    }
    if (!current.empty()) sentences.push_back(std::move(current));
    std::erase_if(sentences, [](const auto& s) { return s.empty(); });
    return sentences;
}

std::vector<std::string> merge_vowel_clusters(std::span<const std::string> phonemes,
                                              std::span<const std::vector<std::string>> clusters) {
    size_t longest = 0;
    for (const auto& c : clusters) longest = std::max(longest, c.size());
    std::vector<std::string> out;
    for (size_t i = 0; i < phonemes.size();) {
        size_t matched = 0;
        for (size_t n = std::min(longest, phonemes.size() - i); n >= 2 && matched == 0; --n)
            for (const auto& c : clusters)
                if (c.size() == n && std::equal(c.begin(), c.end(), phonemes.begin() + static_cast<ptrdiff_t>(i))) {
                    matched = n;
                    break;
                }
        if (matched == 0) {
            out.push_back(phonemes[i++]);
            continue;
        }
        std::string joined;
        for (size_t k = 0; k < matched; ++k) joined += phonemes[i + k];
        out.push_back(std::move(joined));
        i += matched;
    }
    return out;
}

std::vector<int64_t> phonemes_to_ids(std::span<const std::string> phonemes, const PhonemeIdMap& map,
                                     std::vector<std::string>& warnings) {
    const auto& pad = map.find("_")->second;
    std::vector<int64_t> ids = map.find("^")->second;
    ids.insert(ids.end(), pad.begin(), pad.end());
    for (const auto& p : phonemes) {
        auto it = map.find(p);
        if (it == map.end()) {
            warnings.push_back("the voice has no id for phoneme '" + p + "'; skipped");
            continue;
        }
        ids.insert(ids.end(), it->second.begin(), it->second.end());
        ids.insert(ids.end(), pad.begin(), pad.end());
    }
    const auto& eos = map.find("$")->second;
    ids.insert(ids.end(), eos.begin(), eos.end());
    return ids;
}

Result<std::vector<PhonemeSentence>> text_to_phoneme_ids(std::string_view text, const VoiceConfig& voice,
                                                         std::vector<std::string>& warnings,
                                                         const std::filesystem::path& espeak_data_parent) {
    if (voice.phoneme_type != "espeak")
        return make_error(ErrorCode::ModelUnsupported, "the voice's phoneme type is '" + voice.phoneme_type + "'",
                          "only espeak-ng phoneme voices are supported");
    const size_t first_warning = warnings.size();
    const std::string normalized = normalize_text(text, warnings);
    PhonemizeOptions options;
    options.espeak_voice = voice.espeak_voice.empty() ? "en-us" : voice.espeak_voice;
    options.espeak_data_parent = espeak_data_parent;
    ATELIER_TRY_ASSIGN(auto sentences, phonemize_espeak(normalized, options));
    if (sentences.empty())
        return make_error(ErrorCode::InvalidArgument, "the text has nothing espeak-ng can speak (only punctuation?)",
                          "type some words");
    std::vector<PhonemeSentence> out;
    for (auto& phonemes : sentences) {
        PhonemeSentence s;
        s.phonemes = voice.vowel_clusters.empty() ? std::move(phonemes) : merge_vowel_clusters(phonemes, voice.vowel_clusters);
        s.ids = phonemes_to_ids(s.phonemes, voice.phoneme_ids, warnings);
        out.push_back(std::move(s));
    }
    for (size_t i = first_warning; i < warnings.size(); ++i) ATELIER_LOG_WARN("tts: %s", warnings[i].c_str());
    return out;
}

}  // namespace atelier::infer::tts
