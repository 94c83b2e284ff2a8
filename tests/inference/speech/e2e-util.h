// Helpers for the Whisper end-to-end tests: the cached real model, 16-bit PCM WAV reading, text
// normalisation and word alignment (Levenshtein) for WER and word-time checks.
#pragma once

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace speech_test {

// $ATELIER_MODEL_CACHE/whisper-base, default ~/.cache/atelier/models/whisper-base (scripts/fetch-models).
inline std::filesystem::path whisper_base_dir() {
    const char* cache = std::getenv("ATELIER_MODEL_CACHE");
    const char* home = std::getenv("HOME");
    std::filesystem::path root = cache && *cache ? cache : std::filesystem::path(home ? home : "/root") / ".cache/atelier/models";
    return root / "whisper-base";
}

// Mono 16-bit PCM WAV -> floats in [-1, 1). Empty on any other format.
inline std::vector<float> read_wav16(const std::string& path, int* rate = nullptr) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string b = ss.str();
    std::vector<float> out;
    if (b.size() < 12 || b.compare(0, 4, "RIFF") != 0 || b.compare(8, 4, "WAVE") != 0) return out;
    size_t p = 12;
    int channels = 0, bits = 0;
    while (p + 8 <= b.size()) {
        uint32_t len;
        std::memcpy(&len, b.data() + p + 4, 4);
        if (b.compare(p, 4, "fmt ") == 0 && len >= 16) {
            uint16_t ch, bps;
            uint32_t sr;
            std::memcpy(&ch, b.data() + p + 10, 2);
            std::memcpy(&sr, b.data() + p + 12, 4);
            std::memcpy(&bps, b.data() + p + 22, 2);
            channels = ch, bits = bps;
            if (rate) *rate = static_cast<int>(sr);
        } else if (b.compare(p, 4, "data") == 0 && channels == 1 && bits == 16) {
            const size_t n = std::min<size_t>(len, b.size() - p - 8) / 2;
            out.resize(n);
            for (size_t i = 0; i < n; ++i) {
                int16_t s;
                std::memcpy(&s, b.data() + p + 8 + 2 * i, 2);
                out[i] = static_cast<float>(s) / 32768.0f;
            }
            return out;
        }
        p += 8 + len + (len & 1);
    }
    return out;
}

// Lower case, letters/digits/apostrophes kept, everything else a word break.
inline std::vector<std::string> normalise_words(const std::string& text) {
    std::vector<std::string> words;
    std::string cur;
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '\'') cur += static_cast<char>(std::tolower(c));
        else if (!cur.empty()) words.push_back(cur), cur.clear();
    }
    if (!cur.empty()) words.push_back(cur);
    return words;
}

// Levenshtein alignment: pairs (ref index, hyp index) of matched equal words; `errors` gets the
// edit distance.
inline std::vector<std::pair<size_t, size_t>> align_words(const std::vector<std::string>& ref,
                                                          const std::vector<std::string>& hyp, size_t* errors) {
    const size_t n = ref.size(), m = hyp.size();
    std::vector<std::vector<size_t>> d(n + 1, std::vector<size_t>(m + 1));
    for (size_t i = 0; i <= n; ++i) d[i][0] = i;
    for (size_t j = 0; j <= m; ++j) d[0][j] = j;
    for (size_t i = 1; i <= n; ++i)
        for (size_t j = 1; j <= m; ++j)
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (ref[i - 1] == hyp[j - 1] ? 0 : 1)});
    if (errors) *errors = d[n][m];
    std::vector<std::pair<size_t, size_t>> pairs;
    size_t i = n, j = m;
    while (i > 0 && j > 0) {
        if (ref[i - 1] == hyp[j - 1] && d[i][j] == d[i - 1][j - 1]) pairs.emplace_back(i - 1, j - 1), --i, --j;
        else if (d[i][j] == d[i - 1][j - 1] + 1) --i, --j;
        else if (d[i][j] == d[i - 1][j] + 1) --i;
        else --j;
    }
    std::reverse(pairs.begin(), pairs.end());
    return pairs;
}

}  // namespace speech_test
