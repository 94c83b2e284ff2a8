// Word grouping and timing on hand-worked cases (OpenAI's merge_punctuations rules and the
// jump-time rule of find_alignment, reasoned in the comments).
#include <gtest/gtest.h>

#include "inference/speech/word-timing.h"

namespace sp = atelier::infer::speech;

namespace {
sp::WordTiming w(const char* text, std::vector<int32_t> tokens) { return sp::WordTiming{text, std::move(tokens), 0, 0, 0}; }
}  // namespace

TEST(SpeechWords, PunctuationJoinsItsNeighbours) {
    // " (" is space-led and its stripped text is a prepend mark: it is put before " hello" as is
    // -> " ( hello". ")" follows a word not ending in a space and is an append mark -> " ( hello)"; "." joins
    // " world"; the quote `"` after "." joins too. The emptied entries stay, empty.
    std::vector<sp::WordTiming> words{w(" (", {1}), w(" hello", {2}), w(")", {3}), w(" world", {4}), w(".", {5}),
                                      w("\"", {6})};
    sp::merge_punctuations(words);
    ASSERT_EQ(words.size(), 6u);
    EXPECT_EQ(words[0].word, "");
    EXPECT_EQ(words[1].word, " ( hello)");
    EXPECT_EQ(words[1].tokens, (std::vector<int32_t>{1, 2, 3}));
    EXPECT_EQ(words[2].word, "");
    EXPECT_EQ(words[3].word, " world.\"");
    EXPECT_EQ(words[3].tokens, (std::vector<int32_t>{4, 5, 6}));
}

TEST(SpeechWords, TimesAreTheFirstFrameOfEachTokenRow) {
    // Words " Hi" (1 token), " there" (2 tokens), eot: rows 0..3. The path enters row 0 at frame
    // 0, row 1 at 2, row 2 at 5, row 3 (eot) at 6; frames are 20 ms.
    std::vector<sp::WordTiming> words{w(" Hi", {10}), w(" there", {11, 12}), w("<|endoftext|>", {99})};
    sp::DtwPath path{{0, 0, 1, 1, 1, 2, 3, 3}, {0, 1, 2, 3, 4, 5, 6, 7}};
    const std::vector<float> probs{0.5f, 0.2f, 0.4f};
    sp::time_words(words, path, probs);
    ASSERT_EQ(words.size(), 2u);
    EXPECT_DOUBLE_EQ(words[0].start_s, 0.0);
    EXPECT_DOUBLE_EQ(words[0].end_s, 0.04);
    EXPECT_DOUBLE_EQ(words[1].start_s, 0.04);
    EXPECT_DOUBLE_EQ(words[1].end_s, 0.12);
    EXPECT_NEAR(words[0].probability, 0.5, 1e-7);
    EXPECT_NEAR(words[1].probability, 0.3, 1e-7);
}
