// Log-mel spectrogram vs HF transformers' WhisperFeatureExtractor (goldens written by
// tools/whisper/make-mel-goldens.py): max |error| <= 1e-4 on every case (the bound). The
// reference computes in float32 and is itself 4e-5 off a float64 numpy computation on the chirp
// (bins far below a frame's peak power); ours runs its DFT in double, so the difference is that
// reference rounding. Also the
// filterbank against transformers' mel_filter_bank, threaded == single-threaded, and clear errors for empty / non-finite input.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/npy.h"
#include "core/thread-pool.h"
#include "inference/audio/log-mel.h"

namespace atelier::infer::audio {
namespace {

const std::string kDir = std::string(ATELIER_TEST_DATA_DIR) + "/inference/audio/goldens/";

NpyArray load(const std::string& name) {
    auto a = read_npy(kDir + name);
    EXPECT_TRUE(a.ok()) << name << ": " << (a.ok() ? "" : a.error().message())
                        << " (run tools/whisper/make-mel-goldens.py)";
    return a.ok() ? std::move(a).value() : NpyArray{};
}

std::vector<float> load_input(const std::string& name, int tile) {
    const NpyArray a = load("input-" + name + ".npy");
    std::vector<float> x;
    for (int i = 0; i < tile; ++i) x.insert(x.end(), a.f32().begin(), a.f32().end());
    return x;
}

nlohmann::json cases() {
    std::ifstream f(kDir + "cases.json");
    return nlohmann::json::parse(f, nullptr, /*allow_exceptions=*/false);
}

TEST(LogMel, MatchesWhisperFeatureExtractor) {
    const nlohmann::json doc = cases();
    ASSERT_TRUE(doc.is_object() && doc.contains("cases")) << "cases.json missing or malformed";
    ASSERT_GE(doc["cases"].size(), 10u);
    for (const auto& c : doc["cases"]) {
        const std::string name = c["name"];
        SCOPED_TRACE(name);
        const int n_mels = c["n_mels"];
        const std::vector<float> x = load_input(c["input"], c["tile"]);
        MelOptions opt;
        opt.frames = c["frames"] == "long" ? MelFrames::LongForm : MelFrames::OneWindow;
        opt.tail_padding_samples = c["tail_padding"];
        auto mel = whisper_log_mel(x, n_mels, opt);
        ASSERT_TRUE(mel.ok()) << mel.error().message();
        ASSERT_EQ(mel->n_mels, n_mels);
        ASSERT_EQ(mel->n_frames, c["n_frames"].get<int64_t>());
        const NpyArray want = load(name + ".npy");
        ASSERT_EQ(want.shape.size(), 2u);
        ASSERT_EQ(want.shape[0], n_mels);
        const int64_t first = c.value("first_frame", int64_t{0});
        const int64_t n_head = want.shape[1];
        const float tail_value = c["tail_value"];
        double max_err = 0.0;
        for (int m = 0; m < n_mels; ++m) {
            for (int64_t t = 0; t < mel->n_frames; ++t) {
                const float got = mel->data[static_cast<size_t>(m * mel->n_frames + t)];
                float ref = tail_value;
                if (t < first) continue;  // that case stores only frames [first, n_frames)
                if (t - first < n_head) ref = want.f32()[static_cast<size_t>(m * n_head + (t - first))];
                max_err = std::max(max_err, std::fabs(static_cast<double>(got) - ref));
            }
        }
        EXPECT_LE(max_err, 1e-4);
        std::printf("%-28s max |err| %.2e\n", name.c_str(), max_err);
    }
}

TEST(LogMel, FilterbankMatchesTransformers) {
    for (int n_mels : {80, 128}) {
        const NpyArray want = load("filters-" + std::to_string(n_mels) + ".npy");
        const std::vector<float> got = slaney_mel_filters(n_mels);
        ASSERT_EQ(want.f32().size(), got.size());
        double max_err = 0.0;
        for (size_t i = 0; i < got.size(); ++i) max_err = std::max(max_err, std::fabs(double(got[i]) - want.f32()[i]));
        EXPECT_LE(max_err, 1e-7) << n_mels << " bins";  // float rounding of the same double formula
    }
}

TEST(LogMel, ThreadedEqualsSingleThreaded) {
    const std::vector<float> x = load_input("chirp", 13);  // 39 s: long form over several windows
    ThreadPool pool(3);
    MelOptions one;
    one.frames = MelFrames::LongForm;
    MelOptions many = one;
    many.pool = &pool;
    auto a = whisper_log_mel(x, 80, one);
    auto b = whisper_log_mel(x, 80, many);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(a->n_frames, static_cast<int64_t>((x.size() + kChunkSamples) / kHop));
    EXPECT_EQ(a->data, b->data);  // same arithmetic per frame, so bit-identical
}

TEST(LogMel, EdgeCasesGiveClearErrors) {
    auto empty = whisper_log_mel({}, 80, {});
    ASSERT_FALSE(empty.ok());
    EXPECT_EQ(empty.error().code, ErrorCode::InvalidArgument);
    EXPECT_NE(empty.error().detail.find("empty"), std::string::npos);

    std::vector<float> x(1000, 0.1f);
    x[517] = std::numeric_limits<float>::quiet_NaN();
    auto nan = whisper_log_mel(x, 80, {});
    ASSERT_FALSE(nan.ok());
    EXPECT_NE(nan.error().detail.find("sample 517"), std::string::npos) << nan.error().message();
    x[517] = std::numeric_limits<float>::infinity();
    EXPECT_FALSE(whisper_log_mel(x, 80, {}).ok());
    x[517] = 0.1f;

    auto bins = whisper_log_mel(x, 64, {});
    ASSERT_FALSE(bins.ok());
    EXPECT_FALSE(bins.error().hint.empty());

    MelOptions long_no_tail;
    long_no_tail.frames = MelFrames::LongForm;
    long_no_tail.tail_padding_samples = 0;
    EXPECT_FALSE(whisper_log_mel(std::vector<float>(200, 0.1f), 80, long_no_tail).ok());
    EXPECT_TRUE(whisper_log_mel(std::vector<float>(201, 0.1f), 80, long_no_tail).ok());
    MelOptions unset;
    unset.frames = MelFrames::Invalid;
    EXPECT_FALSE(whisper_log_mel(x, 80, unset).ok());

    // one sample is valid audio: padded to one window
    auto one = whisper_log_mel(std::vector<float>{0.5f}, 80, {});
    ASSERT_TRUE(one.ok());
    EXPECT_EQ(one->n_frames, kChunkFrames);
}

// Not a timed assert: prints how long one 30 s window takes, for the record.
TEST(LogMel, SpeedOfOneWindowIsReported) {
    const std::vector<float> x = load_input("chirp", 10);
    const auto t0 = std::chrono::steady_clock::now();
    auto mel = whisper_log_mel(x, 80, {});
    const auto t1 = std::chrono::steady_clock::now();
    ASSERT_TRUE(mel.ok());
    std::printf("log-mel: 30 s window, 80 bins, one thread: %.2f ms\n",
                std::chrono::duration<double, std::milli>(t1 - t0).count());
}

}  // namespace
}  // namespace atelier::infer::audio
