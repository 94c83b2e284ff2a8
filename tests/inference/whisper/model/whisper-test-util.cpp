// Helpers for the Whisper model tests (see whisper-test-util.h). Test code, main thread.
#include "whisper-test-util.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

namespace atelier::infer::whisper::test {

std::filesystem::path tiny_dir() { return std::filesystem::path(ATELIER_BINARY_DIR) / "tiny-whisper"; }

std::filesystem::path golden_dir(const std::string& model) {
    return std::filesystem::path(ATELIER_TEST_DATA_DIR) / "inference/whisper/model/goldens" / model;
}

std::unique_ptr<WhisperModel> load_or_fail(const std::filesystem::path& p) {
    auto m = WhisperModel::load(p);
    EXPECT_TRUE(m.ok()) << p << ": " << (m.ok() ? "" : m.error().message());
    return m.ok() ? std::move(m).value() : nullptr;
}

std::unique_ptr<Session> session(int n_threads) {
    SessionOptions o;
    o.n_threads = n_threads;
    auto s = Session::create(o);
    EXPECT_TRUE(s.ok());
    return s.ok() ? std::move(s).value() : nullptr;
}

std::vector<float> mel_of(const std::string& model) {
    auto a = read_npy(tiny_dir() / (model + "-mel.npy"));
    EXPECT_TRUE(a.ok());
    if (!a.ok()) return {};
    auto f = a->f32();
    return {f.begin(), f.end()};
}

NpyArray golden(const std::string& model, const std::string& file) {
    auto a = read_npy(golden_dir(model) / file);
    EXPECT_TRUE(a.ok()) << file << ": " << (a.ok() ? "" : a.error().message());
    return a.ok() ? std::move(a).value() : NpyArray{};
}

std::shared_ptr<const EncoderOutput> encode_or_fail(const WhisperModel& m, const std::vector<float>& mel, Session& s) {
    auto e = m.encode(mel, s, {});
    EXPECT_TRUE(e.ok()) << (e.ok() ? "" : e.error().message());
    if (!e.ok()) return nullptr;
    return std::make_shared<const EncoderOutput>(std::move(e).value());
}

std::vector<float> feed_all(const WhisperModel& m, DecoderState& st, std::span<const int32_t> tokens, Session& s) {
    std::vector<float> logits(tokens.size() * static_cast<size_t>(m.config().n_vocab));
    DecodeOptions o;
    o.session = &s;
    o.all_logits = true;
    auto r = m.decode(st, tokens, logits, o);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
    return logits;
}

double max_abs_diff(std::span<const float> a, std::span<const float> b) {
    if (a.size() != b.size()) return INFINITY;
    double m = 0;
    for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(static_cast<double>(a[i]) - b[i]));
    return m;
}

int32_t argmax(std::span<const float> v) {
    int32_t best = 0;
    for (size_t i = 1; i < v.size(); ++i)
        if (v[i] > v[static_cast<size_t>(best)]) best = static_cast<int32_t>(i);
    return best;
}

// Max abs difference between our logits [n][V] and the golden columns.
double logits_err(const std::string& name, const std::vector<float>& logits, int64_t V, const std::string& file) {
    NpyArray cols = golden(name, "cols.npy"), lg = golden(name, file);
    const int64_t nc = static_cast<int64_t>(cols.i32().size()), n = lg.shape.at(0);
    double err = 0;
    for (int64_t t = 0; t < n; ++t)
        for (int64_t j = 0; j < nc; ++j)
            err = std::max(err, std::fabs(static_cast<double>(logits[static_cast<size_t>(t * V + cols.i32()[static_cast<size_t>(j)])]) -
                                          lg.f32()[static_cast<size_t>(t * nc + j)]));
    return err;
}

std::vector<float> first_mel_frames(const std::vector<float>& mel, int n_mels, int frames) {
    std::vector<float> out;
    const size_t total = mel.size() / static_cast<size_t>(n_mels);
    for (int m = 0; m < n_mels; ++m)
        out.insert(out.end(), mel.begin() + static_cast<ptrdiff_t>(m * total),
                   mel.begin() + static_cast<ptrdiff_t>(m * total + static_cast<size_t>(frames)));
    return out;
}

std::string fmt_g(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3g", v);
    return buf;
}

}  // namespace atelier::infer::whisper::test
