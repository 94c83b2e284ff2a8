// The energy VAD and silence cut on synthetic audio whose speech/silence layout is known by
// construction; expected samples are worked out in the comments from the rule in vad.h.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "inference/speech/vad.h"

namespace sp = atelier::infer::speech;

namespace {
constexpr int kRate = 16000;

void append_zeros(std::vector<float>& v, double seconds) { v.resize(v.size() + static_cast<size_t>(seconds * kRate), 0.0f); }

void append_tone(std::vector<float>& v, double seconds) {
    const size_t n = static_cast<size_t>(seconds * kRate);
    for (size_t i = 0; i < n; ++i) v.push_back(0.3f * static_cast<float>(std::sin(2 * M_PI * 440.0 * static_cast<double>(i) / kRate)));
}

void append_noise(std::vector<float>& v, double seconds, float amplitude) {
    uint32_t s = 12345;
    const size_t n = static_cast<size_t>(seconds * kRate);
    for (size_t i = 0; i < n; ++i) {
        s = s * 1664525u + 1013904223u;
        v.push_back(amplitude * (static_cast<float>(s >> 8) / 8388608.0f - 1.0f));
    }
}

// 2 s zeros | 1 s tone | 5 s zeros | 1 s tone | 0.5 s zeros | 1 s tone | 3 s noise at ~-65 dBFS
std::vector<float> layout() {
    std::vector<float> v;
    append_zeros(v, 2.0);
    append_tone(v, 1.0);
    append_zeros(v, 5.0);
    append_tone(v, 1.0);
    append_zeros(v, 0.5);
    append_tone(v, 1.0);
    append_noise(v, 3.0, 0.001f);
    return v;
}
}  // namespace

TEST(SpeechVad, RegionsFollowTheTones) {
    // Floor = 10th percentile = the zero frames (-100 dB), so on = max(-90, -50) = -50 dBFS and
    // off = -55: the tones (-13.5 dBFS) are speech, the -65 dBFS noise is not. Tones start and
    // end on 10 ms frame edges; the 0.5 s pause is longer than the 300 ms hang, so it splits.
    const auto r = sp::detect_speech(layout());
    ASSERT_EQ(r.size(), 3u);
    EXPECT_EQ(r[0].start, 32000);
    EXPECT_EQ(r[0].end, 48000);
    EXPECT_EQ(r[1].start, 128000);
    EXPECT_EQ(r[1].end, 144000);
    EXPECT_EQ(r[2].start, 152000);
    EXPECT_EQ(r[2].end, 168000);
}

TEST(SpeechVad, CutKeepsShortPausesAndMapsTimesBack) {
    // Gaps of >= 2 s lose all but 0.3 s (4800 samples) on each side: removed [0, 27200),
    // [52800, 123200) and [172800, 216000); the 0.5 s pause stays. Kept: [27200, 52800) at
    // compact 0 and [123200, 172800) at compact 25600.
    const auto cut = sp::cut_silences(layout());
    ASSERT_TRUE(cut.any_speech);
    ASSERT_EQ(cut.chunks.size(), 2u);
    EXPECT_EQ(cut.chunks[0].original, 27200);
    EXPECT_EQ(cut.chunks[0].length, 25600);
    EXPECT_EQ(cut.chunks[1].original, 123200);
    EXPECT_EQ(cut.chunks[1].compact, 25600);
    EXPECT_EQ(cut.chunks[1].length, 49600);
    EXPECT_EQ(cut.audio.size(), 75200u);
    EXPECT_EQ(cut.to_original_ms(300, false), 2000);   // the first tone's start
    EXPECT_EQ(cut.to_original_ms(1600, false), 7700);  // a start on the seam: the second chunk
    EXPECT_EQ(cut.to_original_ms(1600, true), 3300);   // an end on the seam: the first chunk
    EXPECT_EQ(cut.to_original_ms(2000, false), 8100);  // 0.1 s after the second tone begins
}

TEST(SpeechVad, SilenceAndRoomToneHaveNoSpeech) {
    std::vector<float> zeros;
    append_zeros(zeros, 10.0);
    EXPECT_FALSE(sp::cut_silences(zeros).any_speech);
    std::vector<float> tone_room;  // steady noise: every frame within ~1 dB of the floor
    append_noise(tone_room, 10.0, 0.02f);
    EXPECT_TRUE(sp::detect_speech(tone_room).empty());
}

TEST(SpeechVad, PeakFrameLevel) {
    // A 0.3-amplitude sine has mean square 0.045: 10 log10(0.045) = -13.47 dBFS; a 10 ms frame
    // holds 4.4 periods of 440 Hz, so its mean of sin^2 is 0.5 +- 1/(2 * 160 * sin(2 pi 440/16000))
    // = 0.5 +- 0.018, i.e. +-0.16 dB. Zeros give the floor of 10 log10(1e-10) = -100.
    std::vector<float> v;
    append_zeros(v, 1.0);
    EXPECT_NEAR(sp::peak_frame_dbfs(v), -100.0f, 1e-3);
    append_tone(v, 0.5);
    EXPECT_NEAR(sp::peak_frame_dbfs(v), -13.47f, 0.17);
}
