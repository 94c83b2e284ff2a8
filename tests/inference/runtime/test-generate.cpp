// generate() tests on the fake CausalLm (fake-lm.h) and the real tokenizer fixture: greedy chain,
// logits rows, seeds, stop tokens, stop strings across tokens (cut, no prefix leaked), UTF-8 split
// across tokens, chunked prefill equal to one shot, context full, and cancel latency (<= 200 ms,
// the one timed assert the issue asks for).
#include <algorithm>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "fake-lm.h"
#include "inference/generate.h"
#include "runtime-test-util.h"

namespace atelier::infer::test {
namespace {

int64_t vocab() { return static_cast<int64_t>(fixture_tokenizer()->vocab_size()); }

std::unique_ptr<LmState> make_state(const CausalLm& lm, int64_t n_ctx = 4096) {
    auto s = lm.new_state({.n_ctx = n_ctx});
    EXPECT_TRUE(s.ok());
    return std::move(*s);
}

std::vector<int32_t> prompt_of(size_t n) {
    std::vector<int32_t> p{0};
    for (size_t i = 1; i < n; ++i) p.push_back(static_cast<int32_t>(5 + (i * 37) % 2900));
    return p;
}

// Independent greedy chain: argmax (lower id on ties) of hashed_logits over the growing history.
std::vector<int32_t> greedy_chain(std::vector<int32_t> history, int n, int32_t eos) {
    std::vector<int32_t> out;
    std::vector<float> l(static_cast<size_t>(vocab()));
    for (int i = 0; i < n; ++i) {
        hashed_logits(history, l);
        const auto t = static_cast<int32_t>(std::max_element(l.begin(), l.end()) - l.begin());
        if (t == eos) break;
        out.push_back(t);
        history.push_back(t);
    }
    return out;
}

TEST(Generate, GreedyFollowsTheArgmaxChainAndLogitsRows) {
    FakeLm lm(vocab(), hashed_logits, /*eos=*/1);
    auto state = make_state(lm);
    GenerateRequest req;
    req.prompt = prompt_of(12);
    req.max_tokens = 16;
    req.sampling.temperature = 0.0f;
    std::vector<std::vector<float>> rows;
    req.on_logits = [&](int64_t row, std::span<const float> l) {
        EXPECT_EQ(row, static_cast<int64_t>(rows.size()));
        rows.emplace_back(l.begin(), l.end());
    };
    auto r = generate(lm, *state, *fixture_tokenizer(), req);
    ASSERT_TRUE(r.ok()) << r.error().message();
    const auto want = greedy_chain(req.prompt, 16, 1);
    EXPECT_EQ(r->tokens, want);
    EXPECT_EQ(r->reason, want.size() == 16 ? StopReason::MaxTokens : StopReason::Eos);
    ASSERT_EQ(rows.size(), 1 + r->tokens.size());  // the final token was fed for its row
    std::vector<int32_t> history = req.prompt;
    std::vector<float> expect(static_cast<size_t>(vocab()));
    for (size_t i = 0; i < rows.size(); ++i) {
        hashed_logits(history, expect);
        EXPECT_EQ(rows[i], expect) << "row " << i;
        if (i < r->tokens.size()) history.push_back(r->tokens[i]);
    }
    EXPECT_EQ(r->text, fixture_tokenizer()->decode(r->tokens));
    EXPECT_EQ(r->timings.prefill_tokens, 12);
    EXPECT_EQ(r->timings.decode_tokens, static_cast<int64_t>(r->tokens.size()));
    EXPECT_EQ(state->n_past(), 12 + static_cast<int64_t>(r->tokens.size()));
}

TEST(Generate, WithoutLogitsRowsTheLastTokenIsNotFed) {
    FakeLm lm(vocab(), hashed_logits);
    auto state = make_state(lm);
    GenerateRequest req{.prompt = prompt_of(5), .max_tokens = 6};
    req.sampling.temperature = 0.0f;
    auto r = generate(lm, *state, *fixture_tokenizer(), req);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->reason, StopReason::MaxTokens);
    EXPECT_EQ(r->tokens.size(), 6u);
    EXPECT_EQ(r->timings.decode_tokens, 5);
    EXPECT_EQ(state->n_past(), 5 + 5);
}

std::vector<int32_t> sampled(uint64_t seed) {
    FakeLm lm(vocab(), hashed_logits);
    auto state = make_state(lm);
    GenerateRequest req{.prompt = prompt_of(8), .max_tokens = 40};
    req.sampling.temperature = 1.0f;
    req.sampling.top_k = 50;
    req.sampling.seed = seed;
    auto r = generate(lm, *state, *fixture_tokenizer(), req);
    EXPECT_TRUE(r.ok());
    return r.ok() ? r->tokens : std::vector<int32_t>{};
}

TEST(Generate, SameSeedSameTokensDifferentSeedDifferent) {
    EXPECT_EQ(sampled(7), sampled(7));
    EXPECT_NE(sampled(7), sampled(8));
}

TEST(Generate, StopsOnEosAndStopTokensWithoutIncludingThem) {
    const auto prompt = prompt_of(4);
    const std::vector<int32_t> script{300, 301, 302, 1, 303};
    {
        FakeLm lm(vocab(), scripted(prompt.size(), script, 5), /*eos=*/1);
        auto state = make_state(lm);
        auto r = generate(lm, *state, *fixture_tokenizer(), {.prompt = prompt, .max_tokens = 10});
        ASSERT_TRUE(r.ok());
        EXPECT_EQ(r->reason, StopReason::Eos);
        EXPECT_EQ(r->tokens, (std::vector<int32_t>{300, 301, 302}));
    }
    {
        FakeLm lm(vocab(), scripted(prompt.size(), script, 5), /*eos=*/-1);
        auto state = make_state(lm);
        GenerateRequest req{.prompt = prompt, .max_tokens = 10};
        req.stop_tokens = {301};
        req.sampling.temperature = 0.0f;
        auto r = generate(lm, *state, *fixture_tokenizer(), req);
        ASSERT_TRUE(r.ok());
        EXPECT_EQ(r->reason, StopReason::Eos);
        EXPECT_EQ(r->tokens, (std::vector<int32_t>{300}));
    }
    {
        FakeLm lm(vocab(), scripted(prompt.size(), script, 5), /*eos=*/1);
        auto state = make_state(lm);
        GenerateRequest req{.prompt = prompt, .max_tokens = 6};
        req.ignore_eos = true;
        auto r = generate(lm, *state, *fixture_tokenizer(), req);
        ASSERT_TRUE(r.ok());
        EXPECT_EQ(r->reason, StopReason::MaxTokens);
        EXPECT_EQ(r->tokens, (std::vector<int32_t>{300, 301, 302, 1, 303, 5}));
    }
}

struct Streamed {
    GenerateResult result;
    std::vector<std::pair<int32_t, std::string>> pieces;
    std::string joined() const {
        std::string s;
        for (const auto& p : pieces) s += p.second;
        return s;
    }
};

Streamed stream_text(const std::vector<int32_t>& script, std::vector<std::string> stops, int max_tokens = 100) {
    const auto prompt = prompt_of(3);
    FakeLm lm(vocab(), scripted(prompt.size(), script, 1), /*eos=*/1);
    auto state = make_state(lm);
    Streamed s;
    GenerateRequest req{.prompt = prompt, .max_tokens = max_tokens};
    req.sampling.temperature = 0.0f;
    req.stop_strings = std::move(stops);
    req.on_token = [&](int32_t t, std::string_view text) { s.pieces.emplace_back(t, std::string(text)); };
    auto r = generate(lm, *state, *fixture_tokenizer(), req);
    EXPECT_TRUE(r.ok());
    if (r.ok()) s.result = *r;
    return s;
}

TEST(Generate, StopStringAcrossTokensIsCutAndNeverLeaks) {
    const auto s = stream_text(byte_tokens("Hello STO world STOP tail"), {"STOP"});
    EXPECT_EQ(s.result.reason, StopReason::StopString);
    EXPECT_EQ(s.result.text, "Hello STO world ");
    EXPECT_EQ(s.joined(), s.result.text);
    // Streaming held "STO" back until " " proved it was not the stop string; nothing after.
    for (const auto& [t, text] : s.pieces) EXPECT_EQ(text.find("STOP"), std::string::npos);
    std::string so_far;
    for (const auto& [t, text] : s.pieces) {
        so_far += text;
        EXPECT_EQ(so_far, s.result.text.substr(0, so_far.size())) << "streamed text not a prefix of the result";
    }
    // The tokens include the ones that spelled the stop string.
    EXPECT_EQ(s.result.tokens.size(), std::string("Hello STO world STOP").size());
}

TEST(Generate, EarliestOfSeveralStopStringsWins) {
    const auto tok = fixture_tokenizer();
    std::vector<int32_t> script = byte_tokens("ab");
    const auto word = tok->encode("hello world");  // multi-byte tokens
    script.insert(script.end(), word.begin(), word.end());
    // "o w" starts before "world" ends: the earliest match wins, wherever the tokens split.
    const auto s = stream_text(script, {"world", "o w"});
    EXPECT_EQ(s.result.reason, StopReason::StopString);
    EXPECT_EQ(s.result.text, "abhell");
    EXPECT_EQ(s.joined(), "abhell");
}

TEST(Generate, HeldPrefixIsReleasedAtTheEnd) {
    // The text ends (EOS) while "ST" could still have begun "STOP": it is final then.
    const auto s = stream_text(byte_tokens("go ST"), {"STOP"});
    EXPECT_EQ(s.result.reason, StopReason::Eos);
    EXPECT_EQ(s.result.text, "go ST");
    EXPECT_EQ(s.joined(), "go ST");
    ASSERT_FALSE(s.pieces.empty());
    EXPECT_EQ(s.pieces.back().first, -1);  // the flush call
    EXPECT_EQ(s.pieces.back().second, "ST");
}

TEST(Generate, Utf8SplitAcrossTokensIsHeldUntilComplete) {
    const std::string text = "a\xC3\xA9\xE6\xBC\xA2\xF0\x9F\x99\x82z";  // a é 漢 🙂 z
    const auto s = stream_text(byte_tokens(text), {});
    EXPECT_EQ(s.result.text, text);
    EXPECT_EQ(s.joined(), text);
    ASSERT_EQ(s.pieces.size(), text.size());  // one call per token, no flush needed
    const std::vector<std::string> want{"a", "", "\xC3\xA9", "", "", "\xE6\xBC\xA2", "", "", "", "\xF0\x9F\x99\x82", "z"};
    for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(s.pieces[i].second, want[i]) << "token " << i;
    // A stop string that starts with a character whose bytes come in separate tokens.
    const auto t = stream_text(byte_tokens("x\xE6\xBC\xA2y"), {"\xE6\xBC\xA2y"});
    EXPECT_EQ(t.result.reason, StopReason::StopString);
    EXPECT_EQ(t.result.text, "x");
    EXPECT_EQ(t.joined(), "x");
}

TEST(Generate, MaxTokensCutsAPartialCharacterAsReplacement) {
    const auto s = stream_text(byte_tokens("a\xE6\xBC\xA2"), {}, /*max_tokens=*/2);
    EXPECT_EQ(s.result.reason, StopReason::MaxTokens);
    EXPECT_EQ(s.result.text, "a\xEF\xBF\xBD");  // U+FFFD, as Tokenizer::decode
    EXPECT_EQ(s.result.text, fixture_tokenizer()->decode(s.result.tokens));
}

TEST(Generate, ChunkedPrefillFeedsTheSameTokensAsOneShot) {
    const auto prompt = prompt_of(1000);
    auto run = [&](int32_t chunk, std::vector<std::vector<int32_t>>& calls, std::vector<std::pair<int64_t, int64_t>>& progress) {
        FakeLm lm(vocab(), hashed_logits);
        auto state = make_state(lm);
        GenerateRequest req{.prompt = prompt, .max_tokens = 8, .prefill_chunk = chunk};
        req.sampling.temperature = 0.0f;
        req.on_prefill = [&](int64_t done, int64_t total) { progress.emplace_back(done, total); };
        auto r = generate(lm, *state, *fixture_tokenizer(), req);
        EXPECT_TRUE(r.ok());
        calls = lm.calls();
        return r.ok() ? r->tokens : std::vector<int32_t>{};
    };
    std::vector<std::vector<int32_t>> chunked_calls, one_calls;
    std::vector<std::pair<int64_t, int64_t>> chunked_progress, one_progress;
    const auto chunked = run(64, chunked_calls, chunked_progress);
    const auto one = run(1000, one_calls, one_progress);
    EXPECT_EQ(chunked, one);
    ASSERT_EQ(chunked_calls.size(), 16u + 7u);  // ceil(1000 / 64) prefill calls, 7 decode calls
    std::vector<int32_t> fed;
    for (size_t i = 0; i < 16; ++i) {
        EXPECT_EQ(chunked_calls[i].size(), i < 15 ? 64u : 40u);
        fed.insert(fed.end(), chunked_calls[i].begin(), chunked_calls[i].end());
    }
    EXPECT_EQ(fed, prompt);
    EXPECT_EQ(one_calls[0], prompt);
    ASSERT_EQ(chunked_progress.size(), 16u);
    EXPECT_EQ(chunked_progress.back(), (std::pair<int64_t, int64_t>{1000, 1000}));
    for (size_t i = 1; i < chunked_progress.size(); ++i) EXPECT_GT(chunked_progress[i].first, chunked_progress[i - 1].first);
}

TEST(Generate, ContextFullStopsWithItsReason) {
    FakeLm lm(vocab(), hashed_logits);
    {
        auto state = make_state(lm, /*n_ctx=*/15);
        GenerateRequest req{.prompt = prompt_of(10), .max_tokens = 50};
        req.sampling.temperature = 0.0f;
        auto r = generate(lm, *state, *fixture_tokenizer(), req);
        ASSERT_TRUE(r.ok());
        EXPECT_EQ(r->reason, StopReason::ContextFull);
        // 5 tokens fit after the prompt; the 6th is sampled from the last logits but cannot be fed.
        EXPECT_EQ(r->tokens, greedy_chain(req.prompt, 6, -1));
        EXPECT_EQ(state->n_past(), 15);
    }
    {
        auto state = make_state(lm, /*n_ctx=*/8);
        auto r = generate(lm, *state, *fixture_tokenizer(), {.prompt = prompt_of(10)});
        ASSERT_TRUE(r.ok());
        EXPECT_EQ(r->reason, StopReason::ContextFull);
        EXPECT_TRUE(r->tokens.empty());
        EXPECT_EQ(state->n_past(), 0);
    }
}

TEST(Generate, ContinuesAStateThatHoldsAPrefix) {
    FakeLm lm(vocab(), hashed_logits);
    auto state = make_state(lm);
    GenerateRequest first{.prompt = prompt_of(6), .max_tokens = 4};
    first.sampling.temperature = 0.0f;
    first.on_logits = [](int64_t, std::span<const float>) {};  // feed the last token too
    auto a = generate(lm, *state, *fixture_tokenizer(), first);
    ASSERT_TRUE(a.ok());
    GenerateRequest second{.prompt = {42, 43}, .max_tokens = 5};
    second.sampling.temperature = 0.0f;
    auto b = generate(lm, *state, *fixture_tokenizer(), second);
    ASSERT_TRUE(b.ok());
    std::vector<int32_t> history = first.prompt;
    history.insert(history.end(), a->tokens.begin(), a->tokens.end());
    history.insert(history.end(), {42, 43});
    EXPECT_EQ(b->tokens, greedy_chain(history, 5, -1));
}

TEST(Generate, BadRequestsAreErrors) {
    FakeLm lm(vocab(), hashed_logits);
    auto state = make_state(lm);
    auto empty = generate(lm, *state, *fixture_tokenizer(), {});
    ASSERT_FALSE(empty.ok());
    EXPECT_EQ(empty.error().code, ErrorCode::InvalidArgument);
    auto bad_id = generate(lm, *state, *fixture_tokenizer(), {.prompt = {0, 999999}});
    ASSERT_FALSE(bad_id.ok());
    EXPECT_EQ(bad_id.error().code, ErrorCode::InvalidArgument);
}

// Starts generate() on a slow fake, requests a stop after `after`, and returns the time from the
// request to generate()'s return.
double cancel_latency_ms(int delay_us, int32_t prompt_len, std::chrono::milliseconds after, GenerateResult& out) {
    FakeLm lm(vocab(), hashed_logits);
    lm.delay_us_per_token = delay_us;
    auto state = make_state(lm, 1 << 16);
    std::stop_source source;
    GenerateRequest req{.prompt = prompt_of(static_cast<size_t>(prompt_len)), .max_tokens = 100000};
    req.prefill_chunk = 256;
    req.stop = source.get_token();
    std::chrono::steady_clock::time_point requested{}, returned{};
    std::thread canceller([&] {
        std::this_thread::sleep_for(after);
        requested = std::chrono::steady_clock::now();
        source.request_stop();
    });
    auto r = generate(lm, *state, *fixture_tokenizer(), req);
    returned = std::chrono::steady_clock::now();
    canceller.join();
    EXPECT_TRUE(r.ok());
    if (r.ok()) out = *r;
    return std::chrono::duration<double, std::milli>(returned - requested).count();
}

TEST(Generate, CancelDuringPrefillReturnsWithin200ms) {
    GenerateResult r;
    // 2 ms per token: one 256-token chunk takes ~0.5 s, so the stop lands inside eval().
    const double ms = cancel_latency_ms(2000, 4000, std::chrono::milliseconds(300), r);
    EXPECT_EQ(r.reason, StopReason::Cancelled);
    EXPECT_TRUE(r.tokens.empty());
    EXPECT_LE(ms, 200.0);
}

TEST(Generate, CancelDuringDecodeReturnsThePartialResultWithin200ms) {
    GenerateResult r;
    const double ms = cancel_latency_ms(30000, 4, std::chrono::milliseconds(400), r);
    EXPECT_EQ(r.reason, StopReason::Cancelled);
    EXPECT_FALSE(r.tokens.empty());
    EXPECT_EQ(r.text, fixture_tokenizer()->decode(r.tokens));
    EXPECT_LE(ms, 200.0);
}

}  // namespace
}  // namespace atelier::infer::test
