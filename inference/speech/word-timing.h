// Word timestamps from cross-attention, as OpenAI's timing.py computes them: the alignment heads'
// attention over the window's frames is normalised per frame over tokens, median-filtered along
// time, averaged over heads, and DTW finds the monotonic token-to-frame path; words are grouped
// from the tokenizer's pieces (space-led words, punctuation merged into its neighbour).
// Invariant: matrices are row-major [rows][cols] in caller-owned spans of rows*cols floats.
// Thread-safety: pure functions (the Tokenizer is immutable).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "inference/tokenizer/tokenizer.h"

namespace atelier::infer::speech {

// Median of each length-`width` window along every row, the row padded by reflection (width odd).
// Rows no longer than width/2 are left as they are (as the reference does).
void median_filter_rows(std::span<float> data, int rows, int cols, int width);

// Minimum-cost monotonic path through cost[n][m] from (0,0) to (n-1,m-1) with steps (1,1), (1,0),
// (0,1); ties prefer (0,1), then (1,0) as the reference's comparisons do. Returns the path's
// (row, column) pairs in order.
struct DtwPath {
    std::vector<int> rows, cols;
};
DtwPath dtw(std::span<const float> cost, int n, int m);

// The token x frame matrix DTW runs on: weights [heads][n_tokens][n_ctx] (softmax over all
// n_ctx frames) cut to the first n_frames frames and renormalised (= softmax over those frames),
// standardised over tokens per frame and head, median-filtered (width) along frames, averaged over
// heads. Returns [n_tokens][n_frames].
std::vector<float> alignment_matrix(std::span<const float> weights, int heads, int n_tokens, int n_ctx,
                                    int n_frames, int medfilt_width);

struct WordTiming {
    std::string word;
    std::vector<int32_t> tokens;
    double start_s = 0, end_s = 0;
    double probability = 0;
};

// OpenAI's split_tokens_on_spaces (split_tokens_on_unicode for zh/ja/th/lo/my/yue): pieces that
// decode to whole UTF-8 characters, joined into words that start with a space; specials (ids >=
// eot) and punctuation stand alone. `tokens` may end with eot.
std::vector<WordTiming> split_words(const Tokenizer& tok, std::span<const int32_t> tokens, int32_t eot,
                                    const std::string& language);

// OpenAI's merge_punctuations: leading marks join the next word, trailing marks the previous one
// (the emptied entries stay, with no text and no tokens).
void merge_punctuations(std::vector<WordTiming>& words, const std::string& prepended = "\"'“¿([{-",
                        const std::string& appended = "\"'.。,，!！?？:：”)]}、");

// Words with times from a DTW path over rows = text tokens + 1 (the last row predicts eot).
// `words` from split_words over text + [eot]; token_probs: per text token. Times in seconds from
// the window start (frame / 50).
void time_words(std::vector<WordTiming>& words, const DtwPath& path, std::span<const float> token_probs);

}  // namespace atelier::infer::speech
