// AudioReader / decode_audio / compute_waveform against the fixture script's sine (440 Hz,
// amplitude 0.5, 48 kHz stereo, 1 s) and ffprobe's sample count for the same file.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <thread>

#include "media-test-util.h"
#include "media/audio-reader.h"

namespace atelier::media {
namespace {

using test::facts;
using test::fixture;

// Frequency from sign changes of one channel, over the middle of the signal (edges skipped).
double zero_crossing_hz(const std::vector<float>& samples, int channels, int channel, int rate_hz) {
    const size_t frames = samples.size() / static_cast<size_t>(channels);
    const size_t begin = frames / 10, end = frames - frames / 10;
    int crossings = 0;
    size_t first = 0, last = 0;
    for (size_t i = begin + 1; i < end; ++i) {
        float a = samples[(i - 1) * channels + channel], b = samples[i * channels + channel];
        if ((a < 0) != (b < 0)) {
            if (crossings == 0) first = i;
            last = i;
            ++crossings;
        }
    }
    if (crossings < 3) return 0;
    return (crossings - 1) / 2.0 / (static_cast<double>(last - first) / rate_hz);
}

float peak(const std::vector<float>& v) {
    float p = 0;
    for (float x : v) p = std::max(p, std::fabs(x));
    return p;
}

int64_t ffprobe_samples(const std::string& name) {
    auto ref = test::ffprobe_json(fixture(name));
    if (!ref) return -1;
    return (*ref)["streams"][0]["duration_ts"].get<int64_t>();
}

TEST(Audio, ReaderKeepsSourceFormat) {
    auto r = AudioReader::open(fixture("sine-440-48k-stereo.wav"));
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ((*r)->format().sample_rate_hz, facts()["sine"]["sample_rate_hz"].get<int>());
    EXPECT_EQ((*r)->format().channels, facts()["sine"]["channels"].get<int>());
    EXPECT_NEAR((*r)->duration_ms(), facts()["sine"]["duration_ms"].get<int>(), 21);
}

TEST(Audio, WavDecodesEverySampleAtFullScale) {
    int channels = 0;
    auto pcm = decode_audio(fixture("sine-440-48k-stereo.wav"), {}, &channels);
    ASSERT_TRUE(pcm.ok()) << pcm.error().message();
    ASSERT_EQ(channels, 2);
    if (test::have_ffprobe()) { EXPECT_EQ(static_cast<int64_t>(pcm->size() / 2), ffprobe_samples("sine-440-48k-stereo.wav")); }
    EXPECT_NEAR(peak(*pcm), facts()["sine"]["amplitude"].get<double>(), 1e-3);
    EXPECT_NEAR(zero_crossing_hz(*pcm, 2, 0, 48000), 440.0, 1.0);
    EXPECT_NEAR(zero_crossing_hz(*pcm, 2, 1, 48000), 440.0, 1.0);
}

TEST(Audio, Resample48kStereoTo16kMono) {
    int channels = 0;
    auto pcm = decode_audio(fixture("sine-440-48k-stereo.wav"), {.sample_rate_hz = 16000, .channels = 1}, &channels);
    ASSERT_TRUE(pcm.ok()) << pcm.error().message();
    EXPECT_EQ(channels, 1);
    int64_t source = test::have_ffprobe() ? ffprobe_samples("sine-440-48k-stereo.wav") : 48000;
    EXPECT_NEAR(static_cast<double>(pcm->size()), source / 3.0, 2.0);  // the flushed tail is included
    EXPECT_NEAR(zero_crossing_hz(*pcm, 1, 0, 16000), 440.0, 1.0);
    EXPECT_GT(peak(*pcm), 0.3f);
}

TEST(Audio, StreamingInSmallBlocksEqualsWholeDecode) {
    const AudioFormat want{.sample_rate_hz = 22050, .channels = 2};
    auto whole = decode_audio(fixture("sine-440.opus"), want);
    ASSERT_TRUE(whole.ok()) << whole.error().message();
    auto reader = AudioReader::open(fixture("sine-440.opus"), want);
    ASSERT_TRUE(reader.ok());
    std::vector<float> all, block;
    size_t largest = 0;
    for (;;) {
        auto n = (*reader)->read(block, 333);
        ASSERT_TRUE(n.ok());
        if (*n == 0) break;
        EXPECT_LE(*n, 333u);
        largest = std::max(largest, *n);
        all.insert(all.end(), block.begin(), block.end());
    }
    EXPECT_EQ(largest, 333u);
    EXPECT_EQ(all, *whole);
}

TEST(Audio, CompressedAndVideoSoundtracksDecode) {
    for (const char* name : {"sine-440.mp3", "sine-440.opus", "cover-art.mp3", "clip-64x48.mp4", "sine-440-no-duration.mka"}) {
        auto pcm = decode_audio(fixture(name), {.sample_rate_hz = 16000, .channels = 1});
        ASSERT_TRUE(pcm.ok()) << name << ": " << pcm.error().message();
        EXPECT_NEAR(static_cast<double>(pcm->size()), 16000.0, 1200.0) << name;  // codec padding
        EXPECT_NEAR(zero_crossing_hz(*pcm, 1, 0, 16000), 440.0, 2.0) << name;
    }
}

TEST(Audio, WaveformPeakIsTheAmplitude) {
    const double amp = facts()["sine"]["amplitude"];
    auto wf = compute_waveform(fixture("sine-440-48k-stereo.wav"), 100);
    ASSERT_TRUE(wf.ok()) << wf.error().message();
    const size_t buckets = wf->min_max.size() / 2;
    EXPECT_LE(buckets, 100u);
    EXPECT_GE(buckets, 95u);
    EXPECT_EQ(wf->sample_rate_hz, 48000);
    EXPECT_GE(int64_t{wf->samples_per_bucket} * static_cast<int64_t>(buckets), 48000);
    float lo = 0, hi = 0;
    for (size_t i = 0; i < buckets; ++i) {
        lo = std::min(lo, wf->min_max[2 * i]);
        hi = std::max(hi, wf->min_max[2 * i + 1]);
        ASSERT_LE(wf->min_max[2 * i], wf->min_max[2 * i + 1]);
        // Each bucket (480 samples) spans more than one 109-sample period, so it sees both peaks.
        if (i + 1 < buckets) { EXPECT_NEAR(wf->min_max[2 * i + 1], amp, 0.01) << "bucket " << i; }
    }
    EXPECT_NEAR(hi, amp, 1e-3);
    EXPECT_NEAR(lo, -amp, 1e-3);
}

TEST(Audio, WaveformWithoutDurationStaysWithinBuckets) {
    for (int n : {1, 7, 64, 1000}) {
        auto wf = compute_waveform(fixture("sine-440-no-duration.mka"), n);
        ASSERT_TRUE(wf.ok()) << wf.error().message();
        const size_t buckets = wf->min_max.size() / 2;
        EXPECT_LE(buckets, static_cast<size_t>(n));
        EXPECT_GE(buckets, static_cast<size_t>(n) / 2) << n;  // merging halves at most once too often
        EXPECT_GE(int64_t{wf->samples_per_bucket} * static_cast<int64_t>(buckets), 47000);
        float hi = 0;
        for (size_t i = 0; i < buckets; ++i) hi = std::max(hi, wf->min_max[2 * i + 1]);
        EXPECT_NEAR(hi, facts()["sine"]["amplitude"].get<double>(), 0.05) << n;  // lossy codec
    }
}

TEST(Audio, WaveformHonoursStop) {
    std::stop_source stop;
    stop.request_stop();
    auto wf = compute_waveform(fixture("sine-440-48k-stereo.wav"), 100, stop.get_token());
    ASSERT_FALSE(wf.ok());
    EXPECT_EQ(wf.error().code, ErrorCode::Cancelled);
}

TEST(Audio, BadInputs) {
    EXPECT_EQ(AudioReader::open(fixture("missing.wav")).error().code, ErrorCode::NotFound);
    EXPECT_EQ(AudioReader::open(fixture("not-media.mp4")).error().code, ErrorCode::MediaOpenFailed);
    EXPECT_EQ(AudioReader::open(fixture("truncated.mp4")).error().code, ErrorCode::MediaOpenFailed);
    EXPECT_EQ(AudioReader::open(fixture("pattern-37x23.png")).error().code, ErrorCode::MediaNoStream);
    EXPECT_EQ(AudioReader::open(fixture("sine-440.mp3"), {.sample_rate_hz = 5}).error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(compute_waveform(fixture("sine-440.mp3"), 0).error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(compute_waveform(fixture("pattern-37x23.png"), 10).error().code, ErrorCode::MediaNoStream);
}

}  // namespace
}  // namespace atelier::media
