// Whisper model tests, part 3: the reduced audio context (whisper.cpp's audio_ctx, used by live
// captions). Encoder output, prefix logits and alignment heads against transformers running the
// same checkpoint cut to 200 audio frames (max_source_positions 200, first positional rows) on
// the mel's first 400 frames (tools/whisper/make-whisper-goldens.py). Not compared with the full
// context's rows: encoder self-attention sees the whole context, so they differ. Main thread.
#include <gtest/gtest.h>

#include "whisper-test-util.h"

namespace atelier::infer::whisper::test {
namespace {

const char* kModels[] = {"tiny-80", "tiny-128", "tiny-en"};
constexpr int kCtx = 200;

TEST(WhisperReducedContext, EncoderDecoderAndAlignmentMatchTransformers) {
    auto s = session();
    for (const char* name : kModels) {
        auto m = load_or_fail(tiny_dir() / name);
        ASSERT_TRUE(m);
        const int n_mels = m->config().n_mels;
        const std::vector<float> mel = first_mel_frames(mel_of(name), n_mels, 2 * kCtx);
        auto e = m->encode(mel, *s, {}, kCtx);
        ASSERT_TRUE(e.ok()) << e.error().message();
        auto enc = std::make_shared<const EncoderOutput>(std::move(e).value());
        EXPECT_EQ(enc->n_ctx, kCtx);
        NpyArray g = golden(name, "encoder-ctr.npy");
        const int64_t d = enc->n_state;
        ASSERT_EQ(g.shape, (std::vector<int64_t>{kCtx / 10, d}));
        std::vector<float> rows;
        for (int64_t r = 0; r < kCtx; r += 10)
            rows.insert(rows.end(), enc->hidden.begin() + r * d, enc->hidden.begin() + (r + 1) * d);
        const double enc_err = max_abs_diff(rows, g.f32());
        RecordProperty(std::string("encoder_ctr_max_abs_") + name, fmt_g(enc_err));
        EXPECT_LT(enc_err, 5e-5) << name;

        NpyArray prefix = golden(name, "prefix.npy"), al = golden(name, "align-ctr.npy");
        auto st = m->new_decoder(enc);
        ASSERT_TRUE(st.ok()) << st.error().message();
        std::vector<float> logits(prefix.i32().size() * static_cast<size_t>(m->config().n_vocab));
        DecodeOptions o;
        o.session = s.get();
        o.all_logits = true;
        o.want_alignment = true;
        ASSERT_TRUE(m->decode(**st, prefix.i32(), logits, o).ok());
        const double lg_err = logits_err(name, logits, m->config().n_vocab, "logits-ctr.npy");
        RecordProperty(std::string("logits_ctr_max_abs_") + name, fmt_g(lg_err));
        EXPECT_LT(lg_err, 1e-4) << name;
        const AlignmentWeights& a = (*st)->alignment();
        EXPECT_EQ(a.n_audio_ctx, kCtx);
        ASSERT_EQ(al.shape, (std::vector<int64_t>{2, static_cast<int64_t>(prefix.i32().size()), kCtx}));
        EXPECT_LT(max_abs_diff(a.data, al.f32()), 1e-6) << name;
    }
}

// A batch may mix states bound to full and reduced contexts: each gets what it gets alone.
TEST(WhisperReducedContext, BatchMixesContextsAndBadSizesAreRefused) {
    auto s = session();
    auto m = load_or_fail(tiny_dir() / "tiny-80");
    ASSERT_TRUE(m);
    const std::vector<float> full_mel = mel_of("tiny-80");
    auto full = encode_or_fail(*m, full_mel, *s);
    auto e = m->encode(first_mel_frames(full_mel, 80, 2 * kCtx), *s, {}, kCtx);
    ASSERT_TRUE(full && e.ok());
    auto small = std::make_shared<const EncoderOutput>(std::move(e).value());
    const int64_t V = m->config().n_vocab;
    NpyArray prefix = golden("tiny-80", "prefix.npy");
    std::vector<std::unique_ptr<DecoderState>> st;
    std::vector<std::vector<float>> alone;
    for (const auto& enc : {full, small}) {
        auto d = m->new_decoder(enc);
        ASSERT_TRUE(d.ok());
        st.push_back(std::move(d).value());
        auto lg = feed_all(*m, *st.back(), prefix.i32(), *s);
        alone.emplace_back(lg.end() - V, lg.end());
    }
    // One more token for both, batched, vs one by one on clones.
    const int32_t next[2] = {1000, 1000};
    std::vector<DecoderState*> both;
    std::vector<std::unique_ptr<DecoderState>> clones;
    for (auto& x : st) both.push_back(x.get()), clones.push_back(std::move(x->clone()).value());
    std::vector<float> batch(static_cast<size_t>(2 * V)), one(static_cast<size_t>(V));
    DecodeOptions o;
    o.session = s.get();
    ASSERT_TRUE(m->decode_batch(both, next, batch, o).ok());
    for (size_t i = 0; i < 2; ++i) {
        ASSERT_TRUE(m->decode(*clones[i], std::span(&next[i], 1), one, o).ok());
        EXPECT_LT(max_abs_diff(std::span(batch).subspan(i * static_cast<size_t>(V), static_cast<size_t>(V)), one), 1e-4) << i;
    }
    EXPECT_GT(max_abs_diff(std::span(batch).first(static_cast<size_t>(V)), std::span(batch).last(static_cast<size_t>(V))), 1e-2);

    for (int bad : {0, 1501}) {
        auto r = m->encode(std::vector<float>(static_cast<size_t>(80 * 2 * std::max(bad, 1))), *s, {}, bad);
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
    }
    auto wrong = m->encode(full_mel, *s, {}, kCtx);  // 3000 frames for a context of 200
    ASSERT_FALSE(wrong.ok());
    EXPECT_EQ(wrong.error().code, ErrorCode::InvalidArgument);
}

}  // namespace
}  // namespace atelier::infer::whisper::test
