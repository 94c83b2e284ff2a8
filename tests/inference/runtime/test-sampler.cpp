// Sampler tests: greedy and its tie rule, seeds, the exact support of top-k / top-p / min-p
// (against an independent computation here), temperature sampling against softmax(logits/T) by a
// chi-square test on a fixed seed (deterministic), and the penalty formulas.
#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <random>

#include <gtest/gtest.h>

#include "inference/generate.h"

namespace atelier::infer {
namespace {

std::vector<float> random_logits(size_t n, uint32_t seed, float scale = 3.0f) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> d(0.0f, scale);
    std::vector<float> v(n);
    for (float& x : v) x = d(rng);
    return v;
}

// Independent reference: ids sorted by logit (desc), ties by id (asc).
std::vector<int32_t> ranked(const std::vector<float>& l) {
    std::vector<int32_t> ids(l.size());
    std::iota(ids.begin(), ids.end(), 0);
    std::stable_sort(ids.begin(), ids.end(), [&](int32_t a, int32_t b) { return l[size_t(a)] > l[size_t(b)]; });
    return ids;
}

std::map<int32_t, double> softmax_over(const std::vector<float>& l, const std::vector<int32_t>& ids, double t) {
    double mx = -1e300, z = 0;
    for (int32_t i : ids) mx = std::max(mx, double(l[size_t(i)]));
    std::map<int32_t, double> p;
    for (int32_t i : ids) z += p[i] = std::exp((double(l[size_t(i)]) - mx) / t);
    for (auto& [i, v] : p) v /= z;
    return p;
}

void expect_distribution(Sampler& s, std::vector<float> logits, const std::map<int32_t, double>& want) {
    const auto got = s.distribution(logits);
    ASSERT_EQ(got.size(), want.size());
    size_t k = 0;
    for (const auto& [id, p] : want) {
        EXPECT_EQ(got[k].id, id);
        EXPECT_NEAR(got[k].p, p, 1e-6) << "id " << id;
        ++k;
    }
}

TEST(Sampler, GreedyPicksArgmaxLowerIdOnTies) {
    Sampler s({.temperature = 0.0f});
    std::vector<float> l{1, 3, 3, 2};
    EXPECT_EQ(s.sample(l), 1);
    std::vector<float> l2{-1, 5, 0, 5, 5};
    EXPECT_EQ(s.sample(l2), 1);
    const float nan = std::nanf(""), inf = INFINITY;
    std::vector<float> l3{nan, 2, nan, 2};
    EXPECT_EQ(s.sample(l3), 1);
    std::vector<float> l4{-inf, -inf, nan};
    EXPECT_EQ(s.sample(l4), 0);
    // Negative temperature is greedy too; with top-k etc. set, greedy still takes the argmax.
    Sampler s2({.temperature = -1.0f, .top_k = 2, .top_p = 0.1f});
    auto l5 = random_logits(1000, 7);
    const int32_t want = ranked(l5)[0];
    EXPECT_EQ(s2.sample(l5), want);
}

// Vocabulary-sized vectors (the greedy path scans in lanes of 16, then a tail): ties across
// lanes and in the tail, NaN anywhere, +inf, all -inf/NaN.
TEST(Sampler, GreedyOnLongVectorsMatchesScalarScan) {
    Sampler s({.temperature = 0.0f});
    const float nan = std::nanf(""), inf = INFINITY;
    for (const size_t n : {size_t{16}, size_t{17}, size_t{1037}, size_t{129280}}) {
        auto l = random_logits(n, static_cast<uint64_t>(n));
        const int32_t want = ranked(l)[0];
        auto a = l;
        EXPECT_EQ(s.sample(a), want) << n;
        // the same maximum again at other ids (the last, in the tail; one in another lane, below
        // or above the first): the lowest id holding it wins
        auto b = l;
        const float top = b[static_cast<size_t>(want)];
        b[n - 1] = top;
        b[std::min(n - 2, static_cast<size_t>(want) / 2 + 5)] = top;
        const int32_t want_b = ranked(b)[0];
        EXPECT_EQ(s.sample(b), want_b) << n;
        // NaN in every lane position does not win; +inf does, the first one
        auto c = l;
        for (size_t i = 0; i < n; i += 7) c[i] = nan;
        auto c_ref = c;  // NaN counts as -inf
        for (float& v : c_ref) v = std::isnan(v) ? -inf : v;
        auto c1 = c;
        EXPECT_EQ(s.sample(c1), ranked(c_ref)[0]) << n;
        c[n / 3] = inf;
        c[n - 1] = inf;
        EXPECT_EQ(s.sample(c), static_cast<int32_t>(n / 3)) << n;
        std::vector<float> d(n, -inf);
        for (size_t i = 1; i < n; i += 3) d[i] = nan;
        EXPECT_EQ(s.sample(d), 0) << n;
    }
}

TEST(Sampler, AllMinusInfAtPositiveTemperature) {
    Sampler s({.temperature = 1.0f});
    std::vector<float> l{-INFINITY, -INFINITY, std::nanf("")};
    EXPECT_EQ(s.sample(l), 0);
    std::vector<float> one{-INFINITY, 1.0f, -INFINITY};
    EXPECT_EQ(s.sample(one), 1);
}

std::vector<int32_t> draws(uint64_t seed, int n, const std::vector<float>& logits) {
    Sampler s({.temperature = 1.0f, .seed = seed});
    std::vector<int32_t> out;
    for (int i = 0; i < n; ++i) {
        auto l = logits;
        out.push_back(s.sample(l));
    }
    return out;
}

TEST(Sampler, SameSeedSameDrawsDifferentSeedDifferent) {
    const auto logits = random_logits(50, 3, 0.5f);
    const auto a = draws(1234, 200, logits), b = draws(1234, 200, logits), c = draws(1235, 200, logits);
    EXPECT_EQ(a, b);
    EXPECT_NE(a, c);
}

TEST(Sampler, TopKSupportIsExactlyTheKLargest) {
    auto logits = random_logits(300, 11);
    logits[17] = logits[ranked(logits)[4]];  // a tie at the boundary region: lower id ranks first
    const auto r = ranked(logits);
    for (int k : {1, 5, 40}) {
        Sampler s({.temperature = 0.8f, .top_k = k, .seed = 5});
        std::vector<int32_t> keep(r.begin(), r.begin() + k);
        expect_distribution(s, logits, softmax_over(logits, keep, 0.8));
        for (int i = 0; i < 500; ++i) {
            auto l = logits;
            const int32_t t = s.sample(l);
            ASSERT_NE(std::find(keep.begin(), keep.end(), t), keep.end()) << "k=" << k << " drew " << t;
        }
    }
}

// Smallest prefix of the ranking whose probability (over `pool`, T = 1) reaches p.
std::vector<int32_t> nucleus(const std::vector<float>& l, const std::vector<int32_t>& pool, double p) {
    const auto probs = softmax_over(l, pool, 1.0);
    std::vector<int32_t> out;
    double cum = 0;
    for (int32_t id : ranked(l)) {
        if (!probs.count(id)) continue;
        out.push_back(id);
        cum += probs.at(id);
        if (cum >= p) break;
    }
    return out;
}

TEST(Sampler, TopPSupportIsTheSmallestNucleus) {
    const auto logits = random_logits(1000, 21, 2.0f);
    std::vector<int32_t> all(logits.size());
    std::iota(all.begin(), all.end(), 0);
    for (float p : {0.05f, 0.5f, 0.9f, 0.99f}) {
        Sampler s({.temperature = 1.3f, .top_p = p, .seed = 9});
        const auto keep = nucleus(logits, all, p);
        expect_distribution(s, logits, softmax_over(logits, keep, 1.3));
    }
    // top-k first, then top-p over the renormalised survivors.
    Sampler s({.temperature = 1.0f, .top_k = 20, .top_p = 0.7f});
    const auto r = ranked(logits);
    const auto keep = nucleus(logits, std::vector<int32_t>(r.begin(), r.begin() + 20), 0.7);
    expect_distribution(s, logits, softmax_over(logits, keep, 1.0));
}

TEST(Sampler, MinPKeepsTokensWithinTheRatioOfTheBest) {
    const auto logits = random_logits(500, 31, 2.0f);
    std::vector<int32_t> all(logits.size());
    std::iota(all.begin(), all.end(), 0);
    const auto probs = softmax_over(logits, all, 1.0);
    double pmax = 0;
    for (const auto& [id, p] : probs) pmax = std::max(pmax, p);
    for (float mp : {0.01f, 0.2f, 0.9f}) {
        std::vector<int32_t> keep;
        for (const auto& [id, p] : probs)
            if (p >= mp * pmax) keep.push_back(id);
        Sampler s({.temperature = 0.5f, .min_p = mp});
        expect_distribution(s, logits, softmax_over(logits, keep, 0.5));
    }
}

TEST(Sampler, TemperatureDrawsFollowSoftmaxChiSquare) {
    const std::vector<float> logits{2.0f, 1.5f, 1.0f, 0.2f, -0.5f, 0.0f, 1.2f, -1.0f};
    const double temp = 0.7;
    std::vector<int32_t> all(logits.size());
    std::iota(all.begin(), all.end(), 0);
    const auto probs = softmax_over(logits, all, temp);
    Sampler s({.temperature = float(temp), .seed = 42});
    const int n = 40000;
    std::vector<int> count(logits.size());
    for (int i = 0; i < n; ++i) {
        auto l = logits;
        ++count[size_t(s.sample(l))];
    }
    double chi2 = 0;
    for (size_t i = 0; i < logits.size(); ++i) {
        const double e = n * probs.at(int32_t(i));
        chi2 += (count[i] - e) * (count[i] - e) / e;
    }
    // 7 degrees of freedom: P(chi2 > 24.32) = 0.001. The seed is fixed, so this is deterministic.
    EXPECT_LT(chi2, 24.32) << "counts deviate from softmax(logits/T)";
    // And it is not trivially passing: at T = 1 the same counts are far off.
    const auto probs1 = softmax_over(logits, all, 1.0);
    double chi2_wrong = 0;
    for (size_t i = 0; i < logits.size(); ++i) {
        const double e = n * probs1.at(int32_t(i));
        chi2_wrong += (count[i] - e) * (count[i] - e) / e;
    }
    EXPECT_GT(chi2_wrong, 100.0);
}

TEST(Sampler, PenaltiesMatchTheirFormulas) {
    const std::vector<float> base{2.0f, -1.0f, 0.5f, 3.0f, -2.0f, 1.0f};
    const float rp = 1.5f, pres = 0.5f, freq = 0.25f;
    Sampler s({.temperature = 1.0f, .repeat_penalty = rp, .presence_penalty = pres, .frequency_penalty = freq,
               .penalty_last_n = 4});
    for (int32_t t : {0, 3, 3, 1, 4, 4}) s.accept(t);  // window of 4: 3, 1, 4, 4
    std::vector<float> want = base;
    auto penalise = [&](size_t id, int count) {
        float& l = want[id];
        l = l > 0 ? l / rp : l * rp;
        l -= count * freq + pres;
    };
    penalise(3, 1);
    penalise(1, 1);
    penalise(4, 2);
    std::vector<float> got = base;
    std::vector<int32_t> all(base.size());
    std::iota(all.begin(), all.end(), 0);
    expect_distribution(s, got, softmax_over(want, all, 1.0));
    (void)s.distribution(got);  // penalises in place, as sample() does
    for (size_t i = 0; i < base.size(); ++i) EXPECT_FLOAT_EQ(got[i], want[i]) << "logit " << i;
    // Window 0: no penalties.
    Sampler off({.temperature = 1.0f, .repeat_penalty = rp, .presence_penalty = pres, .penalty_last_n = 0});
    off.accept(0);
    std::vector<float> same = base;
    (void)off.distribution(same);
    EXPECT_EQ(same, base);
}

TEST(Sampler, DistributionDoesNotAdvanceTheRng) {
    const auto logits = random_logits(64, 5, 1.0f);
    Sampler a({.temperature = 1.0f, .seed = 77}), b({.temperature = 1.0f, .seed = 77});
    auto l = logits;
    (void)a.distribution(l);
    for (int i = 0; i < 50; ++i) {
        auto la = logits, lb = logits;
        ASSERT_EQ(a.sample(la), b.sample(lb));
    }
}

TEST(StopPrefixHoldback, LongestSuffixThatStartsAStop) {
    const std::vector<std::string> stops{"STOP", "</end>"};
    EXPECT_EQ(stop_prefix_holdback("hello", stops), 0u);
    EXPECT_EQ(stop_prefix_holdback("hello S", stops), 1u);
    EXPECT_EQ(stop_prefix_holdback("hello STO", stops), 3u);
    EXPECT_EQ(stop_prefix_holdback("hello </en", stops), 4u);
    EXPECT_EQ(stop_prefix_holdback("STOP", stops), 0u);  // a whole match is not a proper prefix
    EXPECT_EQ(stop_prefix_holdback("", stops), 0u);
    const std::vector<std::string> utf8{"\xC3\xA9t\xC3\xA9"};  // "été"
    EXPECT_EQ(stop_prefix_holdback("x\xC3\xA9t", utf8), 3u);
}

}  // namespace
}  // namespace atelier::infer
