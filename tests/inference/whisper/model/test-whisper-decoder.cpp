// Whisper model tests, part 2: the decoder against transformers (logits of a token prefix,
// alignment-head cross attention, plain greedy continuations with and without timestamps), and
// the cache mechanics the decoding layer relies on: incremental feeding, truncate, clone,
// decode_batch, allocation-free steps, cancel, errors. Test code, main thread.
#include <gtest/gtest.h>

#include <cmath>

#include "whisper-test-util.h"

namespace atelier::infer::whisper::test {
namespace {

const char* kModels[] = {"tiny-80", "tiny-128", "tiny-en"};

struct Fixture {
    std::unique_ptr<WhisperModel> m;
    std::unique_ptr<Session> s;
    std::shared_ptr<const EncoderOutput> enc;
    int64_t V = 0;
};

Fixture open(const std::string& name) {
    Fixture f;
    f.m = load_or_fail(tiny_dir() / name);
    f.s = session();
    if (f.m && f.s) f.enc = encode_or_fail(*f.m, mel_of(name), *f.s);
    if (f.m) f.V = f.m->config().n_vocab;
    return f;
}

std::unique_ptr<DecoderState> state(Fixture& f) {
    auto st = f.m->new_decoder(f.enc);
    EXPECT_TRUE(st.ok());
    return st.ok() ? std::move(st).value() : nullptr;
}

TEST(WhisperDecoder, PrefixLogitsMatchTransformers) {
    for (const char* name : kModels) {
        Fixture f = open(name);
        ASSERT_TRUE(f.enc);
        NpyArray prefix = golden(name, "prefix.npy"), am = golden(name, "argmax.npy");
        auto st = state(f);
        const auto logits = feed_all(*f.m, *st, prefix.i32(), *f.s);
        EXPECT_EQ(st->n_past(), static_cast<int>(prefix.i32().size()));
        const double err = logits_err(name, logits, f.V);
        RecordProperty(std::string("logits_max_abs_") + name, fmt_g(err));
        EXPECT_LT(err, 1e-4) << name;
        for (size_t t = 0; t < prefix.i32().size(); ++t)
            EXPECT_EQ(argmax(std::span(logits).subspan(t * static_cast<size_t>(f.V), static_cast<size_t>(f.V))), am.i32()[t])
                << name << " position " << t;
        // One token at a time through the cache gives the same logits.
        auto st2 = state(f);
        std::vector<float> step(static_cast<size_t>(f.V)), inc;
        DecodeOptions o;
        o.session = f.s.get();
        for (int32_t tok : prefix.i32()) {
            ASSERT_TRUE(f.m->decode(*st2, std::span(&tok, 1), step, o).ok());
            inc.insert(inc.end(), step.begin(), step.end());
        }
        EXPECT_LT(max_abs_diff(inc, logits), 2e-4) << name;
    }
}

TEST(WhisperDecoder, AlignmentHeadsMatchTransformers) {
    for (const char* name : kModels) {
        Fixture f = open(name);
        ASSERT_TRUE(f.enc);
        NpyArray prefix = golden(name, "prefix.npy"), al = golden(name, "align.npy");
        auto st = state(f);
        std::vector<float> logits(static_cast<size_t>(f.V));
        DecodeOptions o;
        o.session = f.s.get();
        o.want_alignment = true;
        ASSERT_TRUE(f.m->decode(*st, prefix.i32(), logits, o).ok());
        const AlignmentWeights& a = st->alignment();
        EXPECT_EQ(a.n_heads, 2);
        EXPECT_EQ(a.n_tokens, static_cast<int>(prefix.i32().size()));
        EXPECT_EQ(a.n_audio_ctx, 1500);
        ASSERT_EQ(al.shape, (std::vector<int64_t>{2, a.n_tokens, 1500}));
        const double err = max_abs_diff(a.data, al.f32());
        RecordProperty(std::string("align_max_abs_") + name, fmt_g(err));
        EXPECT_LT(err, 1e-6) << name;
        o.want_alignment = false;
        int32_t tok = 220;
        ASSERT_TRUE(f.m->decode(*st, std::span(&tok, 1), logits, o).ok());
        EXPECT_EQ(st->alignment().n_heads, 0);
    }
}

std::vector<int32_t> greedy(Fixture& f, std::span<const int32_t> prompt, int n) {
    auto st = state(f);
    std::vector<float> logits(static_cast<size_t>(f.V));
    DecodeOptions o;
    o.session = f.s.get();
    EXPECT_TRUE(f.m->decode(*st, prompt, logits, o).ok());
    std::vector<int32_t> out;
    for (int i = 0; i < n; ++i) {
        int32_t t = argmax(logits);
        out.push_back(t);
        EXPECT_TRUE(f.m->decode(*st, std::span(&t, 1), logits, o).ok());
    }
    return out;
}

TEST(WhisperDecoder, GreedyMatchesTransformers) {
    for (const char* name : kModels) {
        Fixture f = open(name);
        ASSERT_TRUE(f.enc);
        const WhisperConfig& c = f.m->config();
        std::vector<int32_t> prompt = {c.sot};
        if (c.multilingual) prompt.insert(prompt.end(), {c.languages[0].second, c.transcribe});
        auto ts = greedy(f, prompt, 12);
        NpyArray g_ts = golden(name, "greedy-ts.npy");
        EXPECT_EQ(ts, std::vector<int32_t>(g_ts.i32().begin(), g_ts.i32().end())) << name;
        prompt.push_back(c.no_timestamps);
        auto nots = greedy(f, prompt, 12);
        NpyArray g_nots = golden(name, "greedy-nots.npy");
        EXPECT_EQ(nots, std::vector<int32_t>(g_nots.i32().begin(), g_nots.i32().end())) << name;
    }
}

TEST(WhisperDecoder, BatchCloneTruncate) {
    Fixture f = open("tiny-80");
    ASSERT_TRUE(f.enc);
    NpyArray prefix = golden("tiny-80", "prefix.npy");
    const auto p = prefix.i32();
    DecodeOptions o;
    o.session = f.s.get();
    // Three sequences at different lengths, one more token each, in one batch.
    std::vector<std::unique_ptr<DecoderState>> seqs;
    std::vector<float> scratch(p.size() * static_cast<size_t>(f.V));
    for (size_t n : {size_t{3}, size_t{5}, size_t{4}}) {
        seqs.push_back(state(f));
        ASSERT_TRUE(f.m->decode(*seqs.back(), p.first(n), scratch, o).ok());
    }
    auto forked = seqs[0]->clone();
    ASSERT_TRUE(forked.ok());
    const std::vector<int32_t> next = {p[3], 1234, p[4]};
    DecoderState* ptrs[3] = {seqs[0].get(), seqs[1].get(), seqs[2].get()};
    std::vector<float> batch(3 * static_cast<size_t>(f.V));
    ASSERT_TRUE(f.m->decode_batch(ptrs, next, batch, o).ok());
    const auto full = feed_all(*f.m, *state(f), p, *f.s);
    // Sequence 0 fed p[0..3] then p[3]: its logits are the prefix's at position 3.
    EXPECT_LT(max_abs_diff(std::span(batch).first(static_cast<size_t>(f.V)),
                           std::span(full).subspan(3 * static_cast<size_t>(f.V), static_cast<size_t>(f.V))), 2e-4);
    EXPECT_LT(max_abs_diff(std::span(batch).subspan(2 * static_cast<size_t>(f.V)),
                           std::span(full).subspan(4 * static_cast<size_t>(f.V), static_cast<size_t>(f.V))), 2e-4);
    // Sequence 1 alone, fed the same token, agrees with its batched row.
    auto alone = state(f);
    std::vector<int32_t> s1(p.begin(), p.begin() + 5);
    s1.push_back(1234);
    const auto l1 = feed_all(*f.m, *alone, s1, *f.s);
    EXPECT_LT(max_abs_diff(std::span(batch).subspan(static_cast<size_t>(f.V), static_cast<size_t>(f.V)),
                           std::span(l1).subspan(5 * static_cast<size_t>(f.V))), 2e-4);
    // The fork kept the state before the batch; truncate rewinds the original to the same point.
    EXPECT_EQ((*forked)->n_past(), 3);
    seqs[0]->truncate(3);
    std::vector<float> a(static_cast<size_t>(f.V)), b(static_cast<size_t>(f.V));
    int32_t t = 777;
    ASSERT_TRUE(f.m->decode(**forked, std::span(&t, 1), a, o).ok());
    ASSERT_TRUE(f.m->decode(*seqs[0], std::span(&t, 1), b, o).ok());
    EXPECT_EQ(a, b);
}

TEST(WhisperDecoder, StepsDoNotAllocate) {
    Fixture f = open("tiny-80");
    ASSERT_TRUE(f.enc);
    auto st = state(f);
    auto st2 = state(f);
    std::vector<float> logits(2 * static_cast<size_t>(f.V));
    DecodeOptions o;
    o.session = f.s.get();
    o.want_alignment = true;
    int32_t t = f.m->config().sot;
    int32_t two[2] = {t, t};
    DecoderState* both[2] = {st.get(), st2.get()};
    for (int i = 0; i < 3; ++i) {  // warm-up: buffers reach their size
        ASSERT_TRUE(f.m->decode(*st, std::span(&t, 1), logits, o).ok());
        ASSERT_TRUE(f.m->decode_batch(both, two, logits, o).ok());
    }
    atelier::infer::test::alloc_count_start();
    for (int i = 0; i < 5; ++i) {
        (void)f.m->decode(*st, std::span(&t, 1), logits, o);
        (void)f.m->decode_batch(both, two, logits, o);
    }
    EXPECT_EQ(atelier::infer::test::alloc_count_stop(), 0);
}

TEST(WhisperDecoder, ErrorsAndCancel) {
    Fixture f = open("tiny-80");
    ASSERT_TRUE(f.enc);
    auto st = state(f);
    std::vector<float> logits(static_cast<size_t>(f.V));
    DecodeOptions o;
    int32_t t = 5;
    EXPECT_EQ(f.m->decode(*st, std::span(&t, 1), logits, o).error().code, ErrorCode::InvalidArgument);  // no session
    o.session = f.s.get();
    int32_t bad = static_cast<int32_t>(f.V);
    EXPECT_EQ(f.m->decode(*st, std::span(&bad, 1), logits, o).error().code, ErrorCode::InvalidArgument);
    std::vector<float> small(10);
    EXPECT_EQ(f.m->decode(*st, std::span(&t, 1), small, o).error().code, ErrorCode::InvalidArgument);
    std::stop_source stop;
    stop.request_stop();
    o.stop = stop.get_token();
    EXPECT_EQ(f.m->decode(*st, std::span(&t, 1), logits, o).error().code, ErrorCode::Cancelled);
    EXPECT_EQ(st->n_past(), 0);
    o.stop = {};
    std::vector<int32_t> many(449, 5);
    std::vector<float> big(many.size() * static_cast<size_t>(f.V));
    EXPECT_EQ(f.m->decode(*st, many, big, o).error().code, ErrorCode::ContextFull);
    std::vector<int32_t> fill(448, 5);
    ASSERT_TRUE(f.m->decode(*st, fill, big, o).ok());
    EXPECT_EQ(f.m->decode(*st, std::span(&t, 1), logits, o).error().code, ErrorCode::ContextFull);
    EXPECT_FALSE(f.m->new_decoder(nullptr).ok());
}

}  // namespace
}  // namespace atelier::infer::whisper::test
