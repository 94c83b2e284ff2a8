// Word timestamps from alignment-head cross-attention (see word-timing.h). Semantics follow
// OpenAI's timing.py (median_filter, dtw_cpu, find_alignment, merge_punctuations) and
// tokenizer.py (split_tokens_on_unicode/_on_spaces); written from their description.
// Thread-safety: pure functions.
#include "inference/speech/word-timing.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string_view>

namespace atelier::infer::speech {
namespace {

// Python's `string.punctuation`.
constexpr std::string_view kAsciiPunctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

std::string_view strip(std::string_view s) {
    const auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; };
    while (!s.empty() && ws(s.front())) s.remove_prefix(1);
    while (!s.empty() && ws(s.back())) s.remove_suffix(1);
    return s;
}

// Python's `a in b` for strings: substring test (the empty string is in every string).
bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

// True when `s` is complete, valid UTF-8 (no cut character at the end, no stray byte).
bool complete_utf8(std::string_view s) {
    size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        const size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
        if (len == 0 || i + len > s.size()) return false;
        for (size_t k = 1; k < len; ++k)
            if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
        i += len;
    }
    return true;
}

}  // namespace

void median_filter_rows(std::span<float> data, int rows, int cols, int width) {
    const int pad = width / 2;
    if (width <= 0 || width % 2 == 0 || cols <= pad) return;
    std::vector<float> padded(static_cast<size_t>(cols + 2 * pad));
    std::vector<float> window(static_cast<size_t>(width));
    for (int r = 0; r < rows; ++r) {
        float* row = data.data() + static_cast<size_t>(r) * static_cast<size_t>(cols);
        for (int i = 0; i < cols + 2 * pad; ++i) {
            int src = i - pad;  // reflect without repeating the edge sample
            if (src < 0) src = -src;
            if (src >= cols) src = 2 * (cols - 1) - src;
            padded[static_cast<size_t>(i)] = row[src];
        }
        for (int c = 0; c < cols; ++c) {
            std::copy_n(padded.begin() + c, width, window.begin());
            std::nth_element(window.begin(), window.begin() + pad, window.end());
            row[c] = window[static_cast<size_t>(pad)];
        }
    }
}

DtwPath dtw(std::span<const float> x, int n, int m) {
    DtwPath path;
    if (n <= 0 || m <= 0) return path;
    const size_t w = static_cast<size_t>(m) + 1;
    // cost in float32 as the reference stores it (ties resolve the same way).
    std::vector<float> cost((static_cast<size_t>(n) + 1) * w, std::numeric_limits<float>::infinity());
    std::vector<int8_t> trace((static_cast<size_t>(n) + 1) * w, -1);
    cost[0] = 0.0f;
    for (int j = 1; j <= m; ++j) {
        for (int i = 1; i <= n; ++i) {
            const float c0 = cost[(i - 1) * w + (j - 1)], c1 = cost[(i - 1) * w + j], c2 = cost[i * w + (j - 1)];
            float c;
            int8_t t;
            if (c0 < c1 && c0 < c2) c = c0, t = 0;
            else if (c1 < c0 && c1 < c2) c = c1, t = 1;
            else c = c2, t = 2;
            cost[i * w + j] = static_cast<float>(double{x[static_cast<size_t>(i - 1) * static_cast<size_t>(m) + (j - 1)]} + double{c});
            trace[i * w + j] = t;
        }
    }
    for (int j = 0; j <= m; ++j) trace[j] = 2;
    for (int i = 0; i <= n; ++i) trace[i * w] = 1;
    int i = n, j = m;
    while (i > 0 || j > 0) {
        path.rows.push_back(i - 1);
        path.cols.push_back(j - 1);
        const int8_t t = trace[i * w + j];
        if (t == 0) --i, --j;
        else if (t == 1) --i;
        else --j;
    }
    std::reverse(path.rows.begin(), path.rows.end());
    std::reverse(path.cols.begin(), path.cols.end());
    return path;
}

std::vector<float> alignment_matrix(std::span<const float> weights, int heads, int n_tokens, int n_ctx,
                                    int n_frames, int medfilt_width) {
    n_frames = std::clamp(n_frames, 1, n_ctx);
    const size_t plane = static_cast<size_t>(n_tokens) * static_cast<size_t>(n_frames);
    std::vector<float> w(static_cast<size_t>(heads) * plane);
    for (int h = 0; h < heads; ++h) {
        float* dst = w.data() + static_cast<size_t>(h) * plane;
        for (int t = 0; t < n_tokens; ++t) {
            const float* src = weights.data() + (static_cast<size_t>(h) * n_tokens + t) * static_cast<size_t>(n_ctx);
            double sum = 0.0;
            for (int f = 0; f < n_frames; ++f) sum += src[f];
            for (int f = 0; f < n_frames; ++f)
                dst[static_cast<size_t>(t) * n_frames + f] = sum > 0 ? static_cast<float>(src[f] / sum) : 0.0f;
        }
        for (int f = 0; f < n_frames; ++f) {  // standardise over tokens (population std)
            double mean = 0.0, var = 0.0;
            for (int t = 0; t < n_tokens; ++t) mean += dst[static_cast<size_t>(t) * n_frames + f];
            mean /= n_tokens;
            for (int t = 0; t < n_tokens; ++t) {
                const double d = dst[static_cast<size_t>(t) * n_frames + f] - mean;
                var += d * d;
            }
            const double sd = std::sqrt(var / n_tokens);
            for (int t = 0; t < n_tokens; ++t) {
                float& v = dst[static_cast<size_t>(t) * n_frames + f];
                v = sd > 0 ? static_cast<float>((v - mean) / sd) : 0.0f;
            }
        }
        median_filter_rows(std::span<float>(dst, plane), n_tokens, n_frames, medfilt_width);
    }
    std::vector<float> out(plane, 0.0f);
    for (int h = 0; h < heads; ++h)
        for (size_t k = 0; k < plane; ++k) out[k] += w[static_cast<size_t>(h) * plane + k];
    for (float& v : out) v /= static_cast<float>(std::max(heads, 1));
    return out;
}

std::vector<WordTiming> split_words(const Tokenizer& tok, std::span<const int32_t> tokens, int32_t eot,
                                    const std::string& language) {
    // Pieces that decode to whole characters.
    std::vector<WordTiming> pieces;
    std::string bytes;
    std::vector<int32_t> current;
    for (size_t k = 0; k < tokens.size(); ++k) {
        const int32_t id = tokens[k];
        current.push_back(id);
        if (id >= eot) {
            const std::string* text = tok.token_text(id);
            bytes += text ? *text : std::string();
        } else {
            bytes += tok.token_to_piece(id);
        }
        if (complete_utf8(bytes) || k + 1 == tokens.size()) {
            pieces.push_back(WordTiming{tok.decode(current), current, 0, 0, 0});
            bytes.clear();
            current.clear();
        }
    }
    static const char* kNoSpaceLanguages[] = {"zh", "ja", "th", "lo", "my", "yue"};
    for (const char* code : kNoSpaceLanguages)
        if (language == code) return pieces;
    std::vector<WordTiming> words;
    for (auto& p : pieces) {
        const bool special = p.tokens.front() >= eot;
        const bool with_space = !p.word.empty() && p.word.front() == ' ';
        const bool punctuation = contains(kAsciiPunctuation, strip(p.word));
        if (special || with_space || punctuation || words.empty()) {
            words.push_back(std::move(p));
        } else {
            words.back().word += p.word;
            words.back().tokens.insert(words.back().tokens.end(), p.tokens.begin(), p.tokens.end());
        }
    }
    return words;
}

void merge_punctuations(std::vector<WordTiming>& words, const std::string& prepended, const std::string& appended) {
    if (words.size() >= 2) {
        size_t j = words.size() - 1;
        for (size_t i = words.size() - 1; i-- > 0;) {
            WordTiming& prev = words[i];
            WordTiming& next = words[j];
            if (!prev.word.empty() && prev.word.front() == ' ' && contains(prepended, strip(prev.word))) {
                next.word = prev.word + next.word;
                next.tokens.insert(next.tokens.begin(), prev.tokens.begin(), prev.tokens.end());
                prev.word.clear();
                prev.tokens.clear();
            } else {
                j = i;
            }
        }
    }
    size_t i = 0;
    for (size_t j = 1; j < words.size(); ++j) {
        WordTiming& prev = words[i];
        WordTiming& next = words[j];
        if ((prev.word.empty() || prev.word.back() != ' ') && contains(appended, next.word)) {
            prev.word += next.word;
            prev.tokens.insert(prev.tokens.end(), next.tokens.begin(), next.tokens.end());
            next.word.clear();
            next.tokens.clear();
        } else {
            i = j;
        }
    }
}

void time_words(std::vector<WordTiming>& words, const DtwPath& path, std::span<const float> token_probs) {
    if (words.size() <= 1) {
        words.clear();
        return;
    }
    std::vector<double> jump_times;  // the first frame of each token row, in seconds
    for (size_t k = 0; k < path.rows.size(); ++k)
        if (k == 0 || path.rows[k] != path.rows[k - 1]) jump_times.push_back(path.cols[k] / 50.0);
    words.pop_back();  // the eot entry closes the last word
    size_t boundary = 0;
    for (auto& w : words) {
        const size_t end = boundary + w.tokens.size();
        w.start_s = boundary < jump_times.size() ? jump_times[boundary] : (jump_times.empty() ? 0 : jump_times.back());
        w.end_s = end < jump_times.size() ? jump_times[end] : (jump_times.empty() ? 0 : jump_times.back());
        double sum = 0.0;
        size_t count = 0;
        for (size_t k = boundary; k < end && k < token_probs.size(); ++k, ++count) sum += token_probs[k];
        w.probability = count ? sum / static_cast<double>(count) : 0.0;
        boundary = end;
    }
}

}  // namespace atelier::infer::speech
