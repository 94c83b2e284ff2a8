// DeepSeek V4 attention (inference/arch/deepseek-v4/{attention,compressor,indexer}.cpp) on random
// f32 weights in the tiny checkpoint's shape: an independent dense recomputation in double written
// from the spec's formulas (deepseek-v4.md §3.3-3.5), chunked prefill and decode against one call,
// where the released model's FP8/FP4 steps sit, reset (§3.12 item 5), and decode without allocation.
// Runs on the test's main thread with its own Session.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <numeric>
#include <random>
#include <vector>

#include "inference/arch/deepseek-v4/attention-simd.h"
#include "inference/arch/deepseek-v4/v4.h"
#include "inference/cpu-features.h"
#include "inference/quant.h"

// Counts allocations while armed (the decode test); the rest of the binary is unaffected.
namespace {
std::atomic<bool> g_count_allocs{false};
std::atomic<long> g_allocs{0};
}  // namespace
// noinline: GCC must not see free() meet a new-expression (-Wmismatched-new-delete).
__attribute__((noinline)) void* operator new(size_t n) {
    if (g_count_allocs.load(std::memory_order_relaxed)) g_allocs.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
__attribute__((noinline)) void operator delete(void* p) noexcept { std::free(p); }
__attribute__((noinline)) void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace {

namespace v4 = atelier::infer::v4;
using atelier::infer::DType;
using atelier::infer::Numerics;
using atelier::infer::Session;
using atelier::infer::SessionOptions;
using atelier::infer::Tensor;

// The tiny checkpoint's attention shape (docs/dev/deepseek-v4.md).
v4::Config tiny_config() {
    v4::Config c;
    c.dim = 128;
    c.n_heads = 4;
    c.head_dim = 512;
    c.rope_dim = 64;
    c.q_lora_rank = 128;
    c.o_lora_rank = 128;
    c.o_groups = 2;
    c.window = 128;
    c.index_n_heads = 4;
    c.index_head_dim = 128;
    c.index_topk = 16;
    c.norm_eps = 1e-6f;
    c.rope_theta = 10000.0f;
    c.compress_rope_theta = 160000.0f;
    c.yarn_factor = 16.0f;
    c.yarn_original_ctx = 65536;
    c.yarn_beta_fast = 32.0f;
    c.yarn_beta_slow = 1.0f;
    return c;
}

// Random f32 weights, owned here; matrices are [in, out] in engine order (row n = output n).
class RandomWeights {
public:
    explicit RandomWeights(uint64_t seed) : rng_(seed) {}

    const Tensor* tensor(int64_t ne0, int64_t ne1, double mean, double sd) {
        auto t = Tensor::make(DType::F32, {ne0, ne1});
        EXPECT_TRUE(t.ok());
        auto* p = static_cast<float*>(t.value().data);
        std::normal_distribution<double> nd(mean, sd);
        for (int64_t i = 0; i < ne0 * ne1; ++i) p[i] = static_cast<float>(nd(rng_));
        owned_.push_back(std::make_unique<Tensor>(std::move(t.value())));
        return owned_.back().get();
    }
    v4::Linear linear(int64_t in, int64_t out) {
        v4::Linear l;
        l.w = tensor(in, out, 0.0, 1.0 / std::sqrt(static_cast<double>(in)));
        return l;
    }
    v4::Compressor compressor(const v4::Config& c, int64_t ratio, int64_t width) {
        const int64_t cw = (ratio == 4 ? 2 : 1) * width;
        v4::Compressor k;
        k.wkv = linear(c.dim, cw);
        k.wgate = linear(c.dim, cw);
        k.ape = tensor(cw, ratio, 0.0, 0.5);
        k.norm = tensor(width, 1, 1.0, 0.1);
        return k;
    }
    v4::Attention attention(const v4::Config& c, int64_t ratio) {
        v4::Attention a;
        a.ratio = ratio;
        a.wq_a = linear(c.dim, c.q_lora_rank);
        a.wq_b = linear(c.q_lora_rank, c.n_heads * c.head_dim);
        a.wkv = linear(c.dim, c.head_dim);
        a.wo_a = linear(c.n_heads / c.o_groups * c.head_dim, c.o_groups * c.o_lora_rank);
        a.wo_b = linear(c.o_groups * c.o_lora_rank, c.dim);
        a.q_norm = tensor(c.q_lora_rank, 1, 1.0, 0.1);
        a.kv_norm = tensor(c.head_dim, 1, 1.0, 0.1);
        a.sink = tensor(c.n_heads, 1, 0.0, 1.0);
        if (ratio > 0) a.compressor = compressor(c, ratio, c.head_dim);
        if (ratio == 4) {
            a.indexer.wq_b = linear(c.q_lora_rank, c.index_n_heads * c.index_head_dim);
            a.indexer.weights_proj = linear(c.dim, c.index_n_heads);
            a.indexer.compressor = compressor(c, 4, c.index_head_dim);
        }
        return a;
    }
    std::vector<float> inputs(int64_t n) {
        std::normal_distribution<double> nd(0.0, 1.0);
        std::vector<float> x(static_cast<size_t>(n));
        for (float& v : x) v = static_cast<float>(nd(rng_));
        return x;
    }

private:
    std::mt19937_64 rng_;
    std::vector<std::unique_ptr<Tensor>> owned_;
};

// ---- independent dense recomputation, double precision, straight from the spec ----------------
using Vec = std::vector<double>;

Vec matvec(const Tensor& w, const double* x) {  // y[n] = Σ_k W[n][k]·x[k]
    const int64_t in = w.ne[0], out = w.ne[1];
    const auto* p = static_cast<const float*>(w.data);
    Vec y(static_cast<size_t>(out), 0.0);
    for (int64_t n = 0; n < out; ++n)
        for (int64_t k = 0; k < in; ++k) y[n] += static_cast<double>(p[n * in + k]) * x[k];
    return y;
}
Vec matvec(const Tensor& w, const Vec& x) { return matvec(w, x.data()); }

void rms_norm(double* x, int64_t n, const Tensor* w, double eps) {
    double ss = 0;
    for (int64_t i = 0; i < n; ++i) ss += x[i] * x[i];
    const double r = 1.0 / std::sqrt(ss / static_cast<double>(n) + eps);
    for (int64_t i = 0; i < n; ++i) x[i] *= r * (w ? static_cast<const float*>(w->data)[i] : 1.0);
}

// §3.3 item 3: YaRN correction range (low, high) for rotary width r, base theta, original L0.
std::pair<double, double> yarn_range(const v4::Config& c, double theta) {
    const double r = static_cast<double>(c.rope_dim), L0 = static_cast<double>(c.yarn_original_ctx);
    const double two_pi = 2.0 * 3.14159265358979323846;
    const double low = std::floor(r * std::log(L0 / (c.yarn_beta_fast * two_pi)) / (2 * std::log(theta)));
    const double high = std::ceil(r * std::log(L0 / (c.yarn_beta_slow * two_pi)) / (2 * std::log(theta)));
    return {std::max(low, 0.0), std::min(high, r - 1)};
}

double rope_freq(const v4::Config& c, bool compressed_layer, int64_t i) {
    const double theta = compressed_layer ? c.compress_rope_theta : c.rope_theta;
    const double f = std::pow(theta, -2.0 * static_cast<double>(i) / static_cast<double>(c.rope_dim));
    if (!compressed_layer) return f;
    const auto [low, high] = yarn_range(c, theta);
    const double ramp = std::clamp((static_cast<double>(i) - low) / (high - low), 0.0, 1.0);
    return f * (1 - ramp) + f / c.yarn_factor * ramp;
}

// Interleaved RoPE on the last rope_dim values of v (width n) at position p.
void rope(const v4::Config& c, bool compressed_layer, double* v, int64_t n, int64_t p, bool inverse) {
    double* tail = v + n - c.rope_dim;
    for (int64_t i = 0; i < c.rope_dim / 2; ++i) {
        const double th = (inverse ? -1.0 : 1.0) * static_cast<double>(p) * rope_freq(c, compressed_layer, i);
        const double a = tail[2 * i], b = tail[2 * i + 1];
        tail[2 * i] = a * std::cos(th) - b * std::sin(th);
        tail[2 * i + 1] = a * std::sin(th) + b * std::cos(th);
    }
}

void hadamard(double* v, int64_t n) {  // Sylvester order, scale n^-1/2
    Vec out(static_cast<size_t>(n), 0.0);
    for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < n; ++j) out[i] += (__builtin_popcountll(static_cast<uint64_t>(i & j)) & 1 ? -v[j] : v[j]);
    for (int64_t i = 0; i < n; ++i) v[i] = out[i] / std::sqrt(static_cast<double>(n));
}

// §3.4: every complete group's entry, from the token rows directly (no state).
std::vector<Vec> ref_entries(const v4::Config& c, const v4::Compressor& k, int64_t ratio, int64_t width, bool index,
                             const std::vector<Vec>& x) {
    const int64_t L = static_cast<int64_t>(x.size()), cw = (ratio == 4 ? 2 : 1) * width;
    std::vector<Vec> a, s;
    for (int64_t t = 0; t < L; ++t) {
        a.push_back(matvec(*k.wkv.w, x[t]));
        s.push_back(matvec(*k.wgate.w, x[t]));
        for (int64_t ch = 0; ch < cw; ++ch) s[t][ch] += static_cast<const float*>(k.ape->data)[(t % ratio) * cw + ch];
    }
    std::vector<Vec> out;
    for (int64_t j = 0; j < L / ratio; ++j) {
        Vec e(static_cast<size_t>(width), 0.0);
        for (int64_t ch = 0; ch < width; ++ch) {
            std::vector<std::pair<double, double>> rows;  // (score, kv)
            if (ratio == 4) {
                if (j > 0)
                    for (int64_t t = 4 * (j - 1); t < 4 * j; ++t) rows.push_back({s[t][ch], a[t][ch]});
                for (int64_t t = 4 * j; t < 4 * j + 4; ++t) rows.push_back({s[t][width + ch], a[t][width + ch]});
            } else {
                for (int64_t t = ratio * j; t < ratio * (j + 1); ++t) rows.push_back({s[t][ch], a[t][ch]});
            }
            double mx = -INFINITY, z = 0;
            for (auto& r : rows) mx = std::max(mx, r.first);
            for (auto& r : rows) z += std::exp(r.first - mx);
            for (auto& r : rows) e[ch] += std::exp(r.first - mx) / z * r.second;
        }
        rms_norm(e.data(), width, k.norm, c.norm_eps);
        rope(c, true, e.data(), width, ratio * j, false);
        if (index) hadamard(e.data(), width);
        out.push_back(e);
    }
    return out;
}

struct RefResult {
    std::vector<Vec> out, entries, keys;
    std::vector<std::vector<int>> sel;
    double min_topk_margin = INFINITY;  // smallest gap between the k-th and (k+1)-th index score
    int zero_ties = 0;                  // queries whose k-th and (k+1)-th scores are both exactly 0
};

// The indexer's choice for query t (§3.5): top-k of Σ_h w_h·ReLU(q_h·k_e), ties to the lower index.
std::vector<int> ref_select(const v4::Config& c, const v4::Indexer& ix, const Vec& xt, const Vec& ql, int64_t t,
                            const std::vector<Vec>& keys, double* margin, int* zero_ties) {
    const int64_t nh = c.index_n_heads, hd = c.index_head_dim, vis = (t + 1) / 4;
    Vec q = matvec(*ix.wq_b.w, ql);
    const Vec w = matvec(*ix.weights_proj.w, xt);
    for (int64_t h = 0; h < nh; ++h) {
        rope(c, true, q.data() + h * hd, hd, t, false);
        hadamard(q.data() + h * hd, hd);
    }
    std::vector<std::pair<double, int>> sc;
    for (int64_t e = 0; e < vis; ++e) {
        double s = 0;
        for (int64_t h = 0; h < nh; ++h) {
            double d = 0;
            for (int64_t i = 0; i < hd; ++i) d += q[h * hd + i] * keys[e][i];
            s += w[h] / std::sqrt(static_cast<double>(hd)) / std::sqrt(static_cast<double>(nh)) * std::max(d, 0.0);
        }
        sc.push_back({-s, static_cast<int>(e)});
    }
    std::sort(sc.begin(), sc.end());
    const int64_t k = std::min<int64_t>(c.index_topk, vis);
    // Exact zeros (every head's ReLU at 0) tie for real and are settled by the index rule; any
    // other near-tie would make the comparison depend on rounding.
    if (k < vis && sc[k].first == 0.0 && sc[k - 1].first == 0.0) ++*zero_ties;
    else if (k < vis) *margin = std::min(*margin, sc[k].first - sc[k - 1].first);
    std::vector<int> sel;
    for (int64_t i = 0; i < k; ++i) sel.push_back(sc[i].second);
    return sel;
}

RefResult reference(const v4::Config& c, const v4::Attention& a, const std::vector<float>& xf, int64_t L) {
    const int64_t H = c.n_heads, D = c.head_dim, G = c.o_groups, R = c.o_lora_rank;
    const bool comp = a.ratio > 0;
    std::vector<Vec> x, ql, q, kv;
    for (int64_t t = 0; t < L; ++t) {
        x.emplace_back(xf.begin() + t * c.dim, xf.begin() + (t + 1) * c.dim);
        ql.push_back(matvec(*a.wq_a.w, x[t]));
        rms_norm(ql[t].data(), c.q_lora_rank, a.q_norm, c.norm_eps);
        q.push_back(matvec(*a.wq_b.w, ql[t]));
        for (int64_t h = 0; h < H; ++h) {
            rms_norm(q[t].data() + h * D, D, nullptr, c.norm_eps);
            rope(c, comp, q[t].data() + h * D, D, t, false);
        }
        kv.push_back(matvec(*a.wkv.w, x[t]));
        rms_norm(kv[t].data(), D, a.kv_norm, c.norm_eps);
        rope(c, comp, kv[t].data(), D, t, false);
    }
    RefResult r;
    if (comp) r.entries = ref_entries(c, a.compressor, a.ratio, D, false, x);
    if (a.ratio == 4) r.keys = ref_entries(c, a.indexer.compressor, 4, c.index_head_dim, true, x);
    for (int64_t t = 0; t < L; ++t) {
        std::vector<const double*> keys;
        for (int64_t p = std::max<int64_t>(0, t - c.window + 1); p <= t; ++p) keys.push_back(kv[p].data());
        if (a.ratio == 4) {
            r.sel.push_back(ref_select(c, a.indexer, x[t], ql[t], t, r.keys, &r.min_topk_margin, &r.zero_ties));
            for (int e : r.sel.back()) keys.push_back(r.entries[e].data());
        } else if (a.ratio > 0) {
            for (int64_t e = 0; e < (t + 1) / a.ratio; ++e) keys.push_back(r.entries[e].data());
        }
        Vec o(static_cast<size_t>(H * D), 0.0);
        for (int64_t h = 0; h < H; ++h) {
            const double* qh = q[t].data() + h * D;
            Vec logit;
            for (const double* k : keys) logit.push_back(std::inner_product(qh, qh + D, k, 0.0) / std::sqrt(static_cast<double>(D)));
            const double sink = static_cast<const float*>(a.sink->data)[h];
            const double mx = std::max(sink, *std::max_element(logit.begin(), logit.end()));
            double z = std::exp(sink - mx);
            for (double l : logit) z += std::exp(l - mx);
            for (size_t i = 0; i < keys.size(); ++i)
                for (int64_t d = 0; d < D; ++d) o[h * D + d] += std::exp(logit[i] - mx) / z * keys[i][d];
            rope(c, comp, o.data() + h * D, D, t, true);
        }
        Vec zc;
        const int64_t in_g = H / G * D;
        const auto* woa = static_cast<const float*>(a.wo_a.w->data);
        for (int64_t g = 0; g < G; ++g)
            for (int64_t i = 0; i < R; ++i) {
                double s = 0;
                for (int64_t k = 0; k < in_g; ++k) s += static_cast<double>(woa[(g * R + i) * in_g + k]) * o[g * in_g + k];
                zc.push_back(s);
            }
        r.out.push_back(matvec(*a.wo_b.w, zc));
    }
    return r;
}

// ---- running the implementation ----------------------------------------------------------------
struct Fed {
    std::vector<float> out;
    v4::LayerCache cache;
};

std::unique_ptr<Session> make_session(int threads) {
    SessionOptions o;
    o.n_threads = threads;
    auto s = Session::create(o);
    EXPECT_TRUE(s.ok());
    return std::move(s.value());
}

// Feeds L tokens in pieces of `chunk` (0: one call) on a fresh cache.
Fed run(Session& session, const v4::Config& c, const v4::Attention& a, Numerics num, const std::vector<float>& x,
        int64_t L, int64_t chunk, int64_t n_ctx = 1024, bool pack_decode_keys = true, bool amx = true) {
    Fed r;
    EXPECT_TRUE(r.cache.init(c, a.ratio, n_ctx).ok());
    r.out.assign(static_cast<size_t>(L * c.dim), NAN);
    v4::Ctx ctx{c, num, session};
    ctx.pack_decode_keys = pack_decode_keys;
    ctx.amx_attention = amx;
    for (int64_t p = 0; p < L;) {
        const int64_t n = chunk ? std::min(chunk, L - p) : L;
        auto st = v4::attention_forward(ctx, a, r.cache, {x.data() + p * c.dim, static_cast<size_t>(n * c.dim)}, p, n,
                                        {r.out.data() + p * c.dim, static_cast<size_t>(n * c.dim)});
        EXPECT_TRUE(st.ok()) << (st.ok() ? "" : st.error().detail);
        p += n;
    }
    return r;
}

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
    double m = 0;
    for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(static_cast<double>(a[i]) - b[i]));
    return std::isnan(m) ? INFINITY : m;
}

// Random weights of one layer of compress ratio `ratio`, its inputs, and a session.
v4::Config config_with_heads(int64_t heads) {
    v4::Config c = tiny_config();
    c.n_heads = heads;
    return c;
}

struct Layer {
    Layer(int64_t ratio, uint64_t seed, int64_t n_tokens, int threads = 2, int64_t heads = 4)
        : c(config_with_heads(heads)), w(seed), a(w.attention(c, ratio)), x(w.inputs(n_tokens * c.dim)),
          session(make_session(threads)) {}
    v4::Config c;
    RandomWeights w;
    v4::Attention a;
    std::vector<float> x;
    std::unique_ptr<Session> session;
};

// max |got[j][i] - want[j][i]| over rows of `width`.
double max_row_err(const std::vector<float>& got, const std::vector<Vec>& want, int64_t width) {
    double e = 0;
    for (size_t j = 0; j < want.size(); ++j)
        for (int64_t i = 0; i < width; ++i) e = std::max(e, std::fabs(got[j * width + i] - want[j][i]));
    return e;
}

class V4Attention : public ::testing::TestWithParam<int64_t> {};

// The spec's YaRN numbers for theta 160000 (§3.3): pairs 0-15 keep their frequency, 25-31 are /16.
TEST(V4AttentionFacts, YarnRangeForCompressTheta) {
    const v4::Config c = tiny_config();
    const auto [low, high] = yarn_range(c, c.compress_rope_theta);
    EXPECT_EQ(low, 15.0);
    EXPECT_EQ(high, 25.0);
}

// The vector kernels of the attention loops: the variant picked for this CPU and every variant
// it can run agree with the portable one (lengths with and without a tail).
TEST(V4AttentionFacts, VectorKernelVariantsAgree) {
    namespace at = atelier::infer::v4::attn;
    const auto& f = atelier::infer::cpu_features();
    std::vector<at::VecKernels> variants{at::vec_kernels()};  // the one picked for this CPU
    if (f.avx2 && f.fma)
        variants.push_back({at::dot_avx2, at::axpy_avx2, at::scale_avx2, at::qk_loop<at::dot_avx2>,
                            at::pv_loop<at::axpy_avx2>, at::relu_acc_avx2, at::relu_acc_bf16_avx2});
    if (f.avx512f && f.fma)
        variants.push_back({at::dot_avx512, at::axpy_avx512, at::scale_avx512, at::qk_avx512, at::pv_avx512,
                            at::relu_acc_avx512, at::relu_acc_bf16_avx512});
    std::mt19937 rng(7);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    auto fill = [&](int64_t n) {
        std::vector<float> v(static_cast<size_t>(n));
        for (float& x : v) x = nd(rng);
        return v;
    };
    for (int64_t n : {512, 131}) {  // whole vectors, and a tail (the blocked kernels fall back)
        const std::vector<float> a = fill(n), b = fill(n), y = fill(4 * n), q = fill(4 * n), keys = fill(7 * n);
        const std::vector<float> p = fill(4 * 8);
        const float* kp[7];
        for (int j = 0; j < 7; ++j) kp[j] = keys.data() + j * n;
        for (const at::VecKernels& v : variants) {
            EXPECT_NEAR(v.dot(a.data(), b.data(), n), at::dot_generic(a.data(), b.data(), n), 1e-4);
            std::vector<float> g = y, h = y;
            v.axpy(g.data(), 0.7f, a.data(), n);
            at::axpy_generic(h.data(), 0.7f, a.data(), n);
            v.scale(g.data(), 1.3f, n);
            at::scale_generic(h.data(), 1.3f, n);
            v.relu_acc(g.data(), b.data(), 0.5f, n);
            at::relu_acc_generic(h.data(), b.data(), 0.5f, n);
            v.relu_acc_bf16(g.data(), a.data(), -0.25f, n);
            at::relu_acc_bf16_generic(h.data(), a.data(), -0.25f, n);
            for (int nh : {4, 1}) {
                float s1[4 * 8], s2[4 * 8];
                v.qk(q.data(), nh, kp, 7, n, s1, 8);
                at::qk_loop<at::dot_generic>(q.data(), nh, kp, 7, n, s2, 8);
                for (int hh = 0; hh < nh; ++hh)
                    for (int j = 0; j < 7; ++j) EXPECT_NEAR(s1[hh * 8 + j], s2[hh * 8 + j], 1e-4) << "qk nh " << nh;
                v.pv(g.data(), nh, p.data(), 8, kp, 7, n);
                at::pv_loop<at::axpy_generic>(h.data(), nh, p.data(), 8, kp, 7, n);
            }
            for (int64_t i = 0; i < 4 * n; ++i) EXPECT_NEAR(g[i], h[i], 1e-4) << "n " << n << " i " << i;
            // released numerics' form is bf16 roundings and one add an element: the same bits
            std::vector<float> gb = y, hb = y;
            v.relu_acc_bf16(gb.data(), a.data(), 0.37f, n);
            at::relu_acc_bf16_generic(hb.data(), a.data(), 0.37f, n);
            EXPECT_EQ(0, std::memcmp(gb.data(), hb.data(), gb.size() * sizeof(float))) << "relu_acc_bf16 n " << n;
        }
    }
}

// n normal draws rounded to bf16 (held in f32), the operands of the bf16 kernels.
std::vector<float> bf16_normals(std::mt19937& rng, std::normal_distribution<float>& nd, int64_t n) {
    std::vector<float> x(static_cast<size_t>(n));
    for (float& e : x) e = atelier::infer::v4::attn::bf16_scalar(nd(rng));
    return x;
}

// The released-numerics kernels (vdpbf16ps) on bf16 values held in f32: products are exact, so
// they must match the fp32 loops up to summation order, with 1..70 keys (odd counts, a short
// 4-key tile, more than one 64-key piece in pv) and D 64 / 512.
TEST(V4AttentionFacts, Bf16KernelsMatchFp32OnBf16Values) {
    namespace at = atelier::infer::v4::attn;
    const at::VecKernels& v = at::vec_kernels();
    if (!v.qk_bf16 || !v.pv_bf16) GTEST_SKIP() << "no AVX-512 BF16 on this CPU: released attention uses the fp32 loops";
    std::mt19937 rng(11);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    auto fill = [&](int64_t n) { return bf16_normals(rng, nd, n); };
    for (int64_t D : {64, 512})
        for (int64_t nk : {1, 2, 3, 5, 64, 70}) {
            const std::vector<float> q = fill(4 * D), keys = fill(nk * D), acc0 = fill(4 * D);
            std::vector<float> p = fill(4 * nk);
            for (float& e : p) e = std::fabs(e);
            std::vector<const float*> kp(static_cast<size_t>(nk));
            for (int64_t j = 0; j < nk; ++j) kp[static_cast<size_t>(j)] = keys.data() + j * D;
            std::vector<float> s1(static_cast<size_t>(4 * nk)), s2(s1.size());
            v.qk_bf16(q.data(), kp.data(), nk, D, s1.data(), nk);
            at::qk_loop<at::dot_generic>(q.data(), 4, kp.data(), nk, D, s2.data(), nk);
            for (size_t i = 0; i < s1.size(); ++i)
                EXPECT_NEAR(s1[i], s2[i], 1e-5 * (1 + std::fabs(s2[i])) * std::sqrt(static_cast<double>(D))) << "qk D " << D << " nk " << nk;
            std::vector<float> g = acc0, h = acc0;
            v.pv_bf16(g.data(), p.data(), nk, kp.data(), nk, D);
            at::pv_loop<at::axpy_generic>(h.data(), 4, p.data(), nk, kp.data(), nk, D);
            for (size_t i = 0; i < g.size(); ++i)
                EXPECT_NEAR(g[i], h[i], 1e-5 * (1 + std::fabs(h[i])) * std::sqrt(static_cast<double>(nk))) << "pv D " << D << " nk " << nk;
        }
}

// Decode's packed forms (keys converted to bf16 once per token) give qk_bf16's and pv_bf16's
// bits exactly: the same operations on the same values, odd counts (the last key paired with
// itself), a short 4-key tile, and more than one 64-key piece in pv.
TEST(V4AttentionFacts, PackedBf16KernelsEqualTheUnpackedOnes) {
    namespace at = atelier::infer::v4::attn;
    const at::VecKernels& v = at::vec_kernels();
    if (!v.qk_bf16_rows || !v.pv_bf16_pairs || !v.pack_keys_bf16) GTEST_SKIP() << "no AVX-512 BF16 on this CPU";
    std::mt19937 rng(29);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    auto fill = [&](int64_t n) { return bf16_normals(rng, nd, n); };
    for (int64_t D : {64, 512})
        for (int64_t nk : {1, 2, 3, 5, 63, 64, 70, 129}) {
            const std::vector<float> q = fill(4 * D), keys = fill(nk * D), acc0 = fill(4 * D);
            std::vector<float> p = fill(4 * nk);
            for (float& e : p) e = std::fabs(e);
            // keys scattered, as the gathered entries are
            std::vector<const float*> kp(static_cast<size_t>(nk));
            for (int64_t j = 0; j < nk; ++j) kp[static_cast<size_t>(j)] = keys.data() + ((j * 7) % nk) * D;
            std::vector<uint16_t> rows(static_cast<size_t>(nk * D));
            std::vector<uint32_t> pairs(static_cast<size_t>((nk + 1) / 2 * D));
            v.pack_keys_bf16(kp.data(), nk, D, rows.data(), pairs.data());
            std::vector<float> s1(static_cast<size_t>(4 * nk)), s2(s1.size());
            v.qk_bf16(q.data(), kp.data(), nk, D, s1.data(), nk);
            v.qk_bf16_rows(q.data(), rows.data(), nk, D, s2.data(), nk);
            EXPECT_EQ(0, std::memcmp(s1.data(), s2.data(), s1.size() * 4)) << "qk D " << D << " nk " << nk;
            std::vector<float> g = acc0, h = acc0;
            v.pv_bf16(g.data(), p.data(), nk, kp.data(), nk, D);
            v.pv_bf16_pairs(h.data(), p.data(), nk, pairs.data(), nk, D);
            EXPECT_EQ(0, std::memcmp(g.data(), h.data(), g.size() * 4)) << "pv D " << D << " nk " << nk;
        }
}

// The AMX decode kernels against double-precision sums of the same bf16 values: qk_amx16's
// 64 x 16 scores (keys past nk are garbage the caller drops), and pv_amx16 for key counts that end
// inside a 32-key chunk (p = 0 past nk, the pairs there finite) and a whole block of 64.
TEST(V4AttentionFacts, AmxDecodeKernelsMatchDoubleSums) {
    namespace at = atelier::infer::v4::attn;
    const at::VecKernels& v = at::vec_kernels();
    if (!v.qk_amx16 || !v.pack_keys_bf16) GTEST_SKIP() << "no usable AMX on this CPU";
    std::mt19937 rng(31);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    auto fill = [&](int64_t n) { return bf16_normals(rng, nd, n); };
    int checked = 0;
    for (int64_t D : {64, 512})
        for (int64_t nk : {1, 5, 32, 33, 63, 64}) {
            const int64_t H = 16, slack = 64;
            const std::vector<float> q = fill(H * D), keys = fill((nk + slack) * D), acc0 = fill(H * D);
            std::vector<const float*> kp(static_cast<size_t>(nk + slack));
            for (int64_t j = 0; j < nk + slack; ++j) kp[static_cast<size_t>(j)] = keys.data() + j * D;
            std::vector<uint16_t> rows(static_cast<size_t>((nk + slack) * D));
            std::vector<uint32_t> pairs(static_cast<size_t>((nk + slack + 1) / 2 * D));
            v.pack_keys_bf16(kp.data(), nk + slack, D, rows.data(), pairs.data());
            std::vector<uint32_t> qT(static_cast<size_t>(D / 2 * H));
            for (int64_t dp = 0; dp < D / 2; ++dp)
                for (int64_t h = 0; h < H; ++h)
                    qT[static_cast<size_t>(dp * H + h)] =
                        atelier::infer::f32_to_bf16(q[static_cast<size_t>(h * D + 2 * dp)]) |
                        uint32_t{atelier::infer::f32_to_bf16(q[static_cast<size_t>(h * D + 2 * dp + 1)])} << 16;
            alignas(64) float sT[64 * 16];
            v.qk_amx16(qT.data(), rows.data(), D, sT);
            for (int64_t j = 0; j < nk; ++j)
                for (int64_t h = 0; h < H; ++h) {
                    double want = 0, mag = 0;
                    for (int64_t d = 0; d < D; ++d) {
                        const double pr = static_cast<double>(q[static_cast<size_t>(h * D + d)]) * keys[static_cast<size_t>(j * D + d)];
                        want += pr;
                        mag += std::fabs(pr);
                    }
                    EXPECT_NEAR(sT[j * 16 + h], want, 1e-5 * mag + 1e-30) << "qk D " << D << " key " << j << " head " << h;
                    ++checked;
                }
            // P: non-negative bf16 values, zero past nk.
            std::vector<uint16_t> pb(static_cast<size_t>(H * 64), 0);
            std::vector<float> p(static_cast<size_t>(H * 64), 0.0f);
            for (int64_t h = 0; h < H; ++h)
                for (int64_t j = 0; j < nk; ++j) {
                    const float x = std::fabs(fill(1)[0]);
                    p[static_cast<size_t>(h * 64 + j)] = x;
                    pb[static_cast<size_t>(h * 64 + j)] = atelier::infer::f32_to_bf16(x);
                }
            std::vector<float> acc = acc0;
            v.pv_amx16(acc.data(), pb.data(), pairs.data(), nk, D);
            for (int64_t h = 0; h < H; ++h)
                for (int64_t d = 0; d < D; ++d) {
                    double want = acc0[static_cast<size_t>(h * D + d)], mag = std::fabs(want);
                    for (int64_t j = 0; j < nk; ++j) {
                        const double pr = static_cast<double>(p[static_cast<size_t>(h * 64 + j)]) * keys[static_cast<size_t>(j * D + d)];
                        want += pr;
                        mag += std::fabs(pr);
                    }
                    EXPECT_NEAR(acc[static_cast<size_t>(h * D + d)], want, 1e-5 * mag + 1e-30)
                        << "pv D " << D << " nk " << nk << " head " << h << " dim " << d;
                    ++checked;
                }
        }
    EXPECT_GT(checked, 0);
}

// The fused indexer kernel (released numerics, vdpbf16ps on the bf16 key blocks) against the
// unfused arithmetic: fp32 q·k rows, then relu_acc_bf16 head by head and one bf16 rounding. With
// FP4-simulated queries and keys, as the released indexer has them (block scales here within a
// few powers of two), every product and partial sum is exact in fp32, so the scores must agree
// bit for bit; 64, 48 and 8 heads, key counts that fill 1, 2 or 3 blocks of a tile and ones that
// leave a partial block. Where AMX is usable, the tile form (index_scores_amx) must give the same
// bits (48 heads: one odd group of 16; 8: padded to 16).
TEST(V4AttentionFacts, FusedIndexerScoresMatchTheUnfusedArithmetic) {
    namespace at = atelier::infer::v4::attn;
    const at::VecKernels& v = at::vec_kernels();
    if (!v.index_scores_bf16) GTEST_SKIP() << "no AVX-512 BF16 on this CPU: the indexer takes the fp32 MatMul path";
    constexpr int64_t hd = 128, np = hd / 2;
    std::mt19937 rng(23);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    auto fp4 = [&](int64_t n, float scale) {
        std::vector<float> x(static_cast<size_t>(n));
        for (float& e : x) e = nd(rng) * scale;
        EXPECT_TRUE(atelier::infer::fake_quant_fp4_act(x.data(), n, 32).ok());
        return x;
    };
    int checked = 0, nonzero = 0, amx_checked = 0;
    for (int64_t nh : {64, 8, 48})
        for (int64_t nk : {1, 16, 32, 47, 48, 300}) {
            const std::vector<float> q = fp4(nh * hd, 1.0f), keys = fp4(nk * hd, 0.3f);
            std::vector<float> w(static_cast<size_t>(nh));
            for (float& e : w) e = at::bf16_scalar(nd(rng) * 0.1f);
            // unfused: the rows, then the head sums as weigh_scores does them
            std::vector<float> ref(static_cast<size_t>(nk), 0.0f);
            std::vector<float> row(static_cast<size_t>(nk));
            for (int64_t h = 0; h < nh; ++h) {
                for (int64_t e = 0; e < nk; ++e) row[e] = at::dot_generic(q.data() + h * hd, keys.data() + e * hd, hd);
                at::relu_acc_bf16_generic(ref.data(), row.data(), w[h], nk);
            }
            for (float& e : ref) e = at::bf16_scalar(e);
            // fused
            const int64_t nb = (nk + at::kIndexKeyBlock - 1) / at::kIndexKeyBlock;
            std::vector<uint16_t> packed(static_cast<size_t>(nb * at::kIndexKeyBlock * hd), 0);
            for (int64_t e = 0; e < nk; ++e) at::index_pack_key(packed.data(), e, keys.data() + e * hd, hd);
            std::vector<uint32_t> qp(static_cast<size_t>(nh * np));
            for (int64_t i = 0; i < nh * np; ++i)
                qp[i] = atelier::infer::f32_to_bf16(q[2 * i]) | uint32_t{atelier::infer::f32_to_bf16(q[2 * i + 1])} << 16;
            std::vector<float> got(static_cast<size_t>(nb * at::kIndexKeyBlock));
            v.index_scores_bf16(qp.data(), w.data(), static_cast<int>(nh), np, packed.data(), nb, got.data());
            for (int64_t e = 0; e < nk; ++e) {
                EXPECT_EQ(0, std::memcmp(&got[e], &ref[e], 4)) << "nh " << nh << " nk " << nk << " key " << e << ": "
                                                               << got[e] << " vs " << ref[e];
                ++checked;
                nonzero += ref[e] != 0.0f;
            }
            if (!v.index_scores_amx) continue;
            // the AMX form, heads padded to 16 with zero queries and weights as the indexer pads them
            const int64_t nhp = (nh + 15) / 16 * 16;
            qp.resize(static_cast<size_t>(nhp * np), 0u);
            w.resize(static_cast<size_t>(nhp), 0.0f);
            std::fill(got.begin(), got.end(), -1.0f);
            v.index_scores_amx(qp.data(), w.data(), static_cast<int>(nhp), np, packed.data(), nb, got.data());
            for (int64_t e = 0; e < nk; ++e) {
                EXPECT_EQ(0, std::memcmp(&got[e], &ref[e], 4)) << "AMX: nh " << nh << " nk " << nk << " key " << e
                                                               << ": " << got[e] << " vs " << ref[e];
                ++amx_checked;
            }
        }
    EXPECT_GT(nonzero, checked / 2) << "the fixture should give mostly nonzero scores";
    if (v.index_scores_amx) {
        EXPECT_EQ(amx_checked, checked);
    }
    std::printf("fused indexer: %d scores checked, %d of them on AMX tiles too\n", checked, amx_checked);
}

// One call against the dense recomputation: outputs, compressed entries, index keys.
TEST_P(V4Attention, MatchesDenseRecomputation) {
    const int64_t ratio = GetParam(), L = 300;
    Layer l(ratio, 1000 + static_cast<uint64_t>(ratio), L);
    const v4::Config& c = l.c;
    const Fed got = run(*l.session, c, l.a, Numerics::Exact, l.x, L, 0);
    const RefResult ref = reference(c, l.a, l.x, L);
    if (ratio == 4) {
        EXPECT_GT(ref.min_topk_margin, 1e-5) << "the fixture has a near-tie at the k-th place";
        EXPECT_GT(ref.zero_ties, 0) << "the fixture no longer exercises the lower-index tie rule";
        std::printf("CSA: %d queries settle the k-th place by the tie rule; smallest other margin %.3g\n",
                    ref.zero_ties, ref.min_topk_margin);
    }
    double err = 0, scale = 0;
    for (int64_t t = 0; t < L; ++t)
        for (int64_t i = 0; i < c.dim; ++i) {
            err = std::max(err, std::fabs(got.out[t * c.dim + i] - ref.out[t][i]));
            scale = std::max(scale, std::fabs(ref.out[t][i]));
        }
    EXPECT_LT(err, 1e-5 * std::max(1.0, scale)) << "max |out| " << scale;
    ASSERT_EQ(got.cache.n_entries, static_cast<int64_t>(ref.entries.size()));
    const double e_err = max_row_err(got.cache.compressed, ref.entries, c.head_dim);
    EXPECT_LT(e_err, 1e-5);
    const double k_err = max_row_err(got.cache.index_keys, ref.keys, c.index_head_dim);
    EXPECT_LT(k_err, 1e-5);
    std::printf("ratio %lld: max |out - ref| %.3g (max |ref| %.3g), entries %.3g, index keys %.3g\n",
                static_cast<long long>(ratio), err, scale, e_err, k_err);
}

// Chunked prefill and token-by-token decode give the one-call result, outputs and caches.
TEST_P(V4Attention, ChunkedEqualsOneCall) {
    const int64_t ratio = GetParam();
    Layer l(ratio, 2000 + static_cast<uint64_t>(ratio), 600);
    const v4::Config& c = l.c;
    auto& session = l.session;
    const v4::Attention& a = l.a;
    const std::vector<float>& x = l.x;
    for (int64_t L : {1, 7, 130, 300, 600}) {
        const Fed one = run(*session, c, a, Numerics::Exact, x, L, 0);
        for (int64_t chunk : {1, 3, 64, 200}) {
            const Fed part = run(*session, c, a, Numerics::Exact, x, L, chunk);
            EXPECT_LT(max_abs_diff(one.out, part.out), 1e-5) << "L " << L << " chunk " << chunk;
            EXPECT_LT(max_abs_diff(one.cache.window, part.cache.window), 1e-5) << "L " << L << " chunk " << chunk;
            EXPECT_LT(max_abs_diff(one.cache.compressed, part.cache.compressed), 1e-5) << "L " << L << " chunk " << chunk;
            EXPECT_LT(max_abs_diff(one.cache.index_keys, part.cache.index_keys), 1e-5) << "L " << L << " chunk " << chunk;
            EXPECT_EQ(one.cache.n_entries, part.cache.n_entries);
        }
    }
}

// Released numerics, token by token and two at a time: decode's packed keys (each token's keys
// converted to bf16 once, Ctx::pack_decode_keys) against the per-head-group conversion, the
// same outputs and caches to the bit (same keys, same blocks, same pairs, same arithmetic).
TEST_P(V4Attention, ReleasedPackedDecodeEqualsUnpacked) {
    const int64_t ratio = GetParam(), L = 300;
    Layer l(ratio, 7000 + static_cast<uint64_t>(ratio), L);
    const v4::Config& c = l.c;
    for (int64_t chunk : {1, 2}) {
        const Fed packed = run(*l.session, c, l.a, Numerics::Released, l.x, L, chunk, 1024, true, false);
        const Fed plain = run(*l.session, c, l.a, Numerics::Released, l.x, L, chunk, 1024, false, false);
        EXPECT_EQ(max_abs_diff(packed.out, plain.out), 0.0) << "chunk " << chunk;
        EXPECT_EQ(max_abs_diff(packed.cache.compressed, plain.cache.compressed), 0.0) << "chunk " << chunk;
        EXPECT_EQ(max_abs_diff(packed.cache.index_keys, plain.cache.index_keys), 0.0) << "chunk " << chunk;
    }
}

// Released numerics, token by token and two at a time, 16 and 4 heads (one AMX group; 4 padded
// to 16): attention on AMX tiles (Ctx::amx_attention) against the vdpbf16ps kernels on the same
// packed keys. The tiles sum q·k in another order, so a probability can round to a neighbouring
// bf16; the outputs agree to a small fraction of their scale, the caches to the bit. And on AMX,
// decode's packed keys (heads split over the pool) give the bits of the per-token packing that
// longer steps use, so decode's attention arithmetic stays prefill's.
TEST_P(V4Attention, ReleasedAmxDecodeIsCloseToTheBf16Kernels) {
    namespace at = atelier::infer::v4::attn;
    if (!at::vec_kernels().qk_amx16) GTEST_SKIP() << "no usable AMX on this CPU: decode takes the vdpbf16ps kernels";
    const int64_t ratio = GetParam(), L = 300;
    for (int64_t heads : {16, 4}) {
        Layer l(ratio, 7100 + static_cast<uint64_t>(ratio), L, 2, heads);
        const v4::Config& c = l.c;
        for (int64_t chunk : {1, 2}) {
            const Fed amx = run(*l.session, c, l.a, Numerics::Released, l.x, L, chunk, 1024, true, true);
            const Fed plain = run(*l.session, c, l.a, Numerics::Released, l.x, L, chunk, 1024, true, false);
            double scale = 0, sum_sq = 0, diff_sq = 0;
            for (size_t i = 0; i < plain.out.size(); ++i) {
                scale = std::max(scale, std::fabs(static_cast<double>(plain.out[i])));
                sum_sq += static_cast<double>(plain.out[i]) * plain.out[i];
                const double d = static_cast<double>(amx.out[i]) - plain.out[i];
                diff_sq += d * d;
            }
            const double max_rel = max_abs_diff(amx.out, plain.out) / scale, rel = std::sqrt(diff_sq / sum_sq);
            EXPECT_GT(scale, 0.0);
            EXPECT_LE(max_rel, 2e-3) << heads << " heads, chunk " << chunk;
            EXPECT_LE(rel, 4e-4) << heads << " heads, chunk " << chunk;
            std::printf("ratio %lld, %lld heads, chunk %lld: max |amx - bf16| / max |bf16| %.3g, relative (Frobenius) %.3g\n",
                        static_cast<long long>(ratio), static_cast<long long>(heads), static_cast<long long>(chunk),
                        max_rel, rel);
            EXPECT_EQ(max_abs_diff(amx.cache.compressed, plain.cache.compressed), 0.0);
            EXPECT_EQ(max_abs_diff(amx.cache.index_keys, plain.cache.index_keys), 0.0);
            const Fed per_token = run(*l.session, c, l.a, Numerics::Released, l.x, L, chunk, 1024, false, true);
            EXPECT_EQ(max_abs_diff(amx.out, per_token.out), 0.0) << heads << " heads, chunk " << chunk;
        }
    }
}

// Released numerics store what the reference stores (§3.3, §3.4, §3.5, §3.12): window KV and
// compressed entries hold FP8 E4M3 values (block 64, power-of-two scales) in dims 0..447 and bf16
// in the rope dims; index keys hold FP4 E2M1 values (block 32). Checked as properties: every
// block is a fixed point of the reference quantiser (so it lies on its grid), bf16 values are
// bf16, and each value is within that format's rounding of the exact-mode value.
float bf16_of(float x) {
    uint32_t u;
    std::memcpy(&u, &x, 4);
    u = (u + 0x7FFFu + ((u >> 16) & 1u)) & 0xFFFF0000u;
    std::memcpy(&x, &u, 4);
    return x;
}

// Rows of `width`; blocks [0, quant_dims) in `block`s must be fixed points of `fq` and within
// rel·amax of exact; dims beyond must be bf16 and within 1e-2·amax of exact.
template <class Fq>
void expect_quantised(const std::vector<float>& exact, const std::vector<float>& rel, int64_t width, int64_t quant_dims,
                      int64_t block, double rel_err, Fq fq, const char* what) {
    ASSERT_EQ(exact.size(), rel.size()) << what;
    ASSERT_FALSE(rel.empty()) << what;
    int64_t bad_grid = 0, bad_err = 0, bad_bf16 = 0;
    for (size_t r = 0; r < rel.size() / width; ++r) {
        const float* e = exact.data() + r * width;
        const float* v = rel.data() + r * width;
        for (int64_t b = 0; b < quant_dims; b += block) {
            std::vector<float> again(v + b, v + b + block);
            EXPECT_TRUE(fq(again.data(), block));
            double amax = 0;
            for (int64_t i = 0; i < block; ++i) amax = std::max(amax, std::fabs(static_cast<double>(e[b + i])));
            for (int64_t i = 0; i < block; ++i) {
                bad_grid += again[i] != v[b + i];
                bad_err += std::fabs(v[b + i] - e[b + i]) > rel_err * amax;
            }
        }
        double amax = 0;
        for (int64_t i = quant_dims; i < width; ++i) amax = std::max(amax, std::fabs(static_cast<double>(e[i])));
        for (int64_t i = quant_dims; i < width; ++i) {
            bad_bf16 += bf16_of(v[i]) != v[i];
            bad_err += std::fabs(v[i] - e[i]) > 1e-2 * amax;
        }
    }
    EXPECT_EQ(bad_grid, 0) << what << ": values off the quantiser's grid";
    EXPECT_EQ(bad_bf16, 0) << what << ": rope dims not bf16";
    EXPECT_EQ(bad_err, 0) << what << ": values farther from exact than the format's rounding";
    EXPECT_GT(max_abs_diff(exact, rel), 0.0) << what << ": nothing was quantised";
}

TEST_P(V4Attention, ReleasedQuantisesCacheWhereTheReferenceDoes) {
    const int64_t ratio = GetParam(), L = 300;
    Layer l(ratio, 3000 + static_cast<uint64_t>(ratio), L);
    const v4::Config& c = l.c;
    const Fed ex = run(*l.session, c, l.a, Numerics::Exact, l.x, L, 0);
    const Fed rel = run(*l.session, c, l.a, Numerics::Released, l.x, L, 0);
    const int64_t D = c.head_dim, nope = D - c.rope_dim;
    auto fp8 = [](float* v, int64_t n) { return atelier::infer::fake_quant_fp8_act(v, n, 64).ok(); };
    auto fp4 = [](float* v, int64_t n) { return atelier::infer::fake_quant_fp4_act(v, n, 32).ok(); };
    // E4M3 rounds within 2^-4 relative (plus the bf16 steps before it); E2M1 within one scale
    // step, at most amax/3 (the 4 -> 6 gap at scale amax/6 rounded up).
    expect_quantised(ex.cache.window, rel.cache.window, D, nope, 64, 0.07, fp8, "window");
    if (ratio > 0) expect_quantised(ex.cache.compressed, rel.cache.compressed, D, nope, 64, 0.07, fp8, "compressed");
    if (ratio == 4)
        expect_quantised(ex.cache.index_keys, rel.cache.index_keys, c.index_head_dim, c.index_head_dim, 32, 0.34, fp4,
                         "index keys");
    // The outputs stay close to exact (FP8/FP4/bf16 noise; a sanity bound, not a golden).
    double dot = 0, n1 = 0, n2 = 0;
    for (size_t i = 0; i < ex.out.size(); ++i) {
        dot += static_cast<double>(ex.out[i]) * rel.out[i];
        n1 += static_cast<double>(ex.out[i]) * ex.out[i];
        n2 += static_cast<double>(rel.out[i]) * rel.out[i];
    }
    EXPECT_GT(dot / std::sqrt(n1 * n2), 0.98);
}

// §3.12 item 5: after reset the state behaves like a new one (compressor kv 0, score -inf).
TEST_P(V4Attention, ResetRestartsTheSequence) {
    Layer l(GetParam(), 4000 + static_cast<uint64_t>(GetParam()), 300);
    const v4::Config& c = l.c;
    const v4::Attention& a = l.a;
    auto& session = l.session;
    const std::vector<float>& x1 = l.x;
    const std::vector<float> x2 = l.w.inputs(130 * c.dim);
    Fed used = run(*session, c, a, Numerics::Exact, x1, 299, 0);
    used.cache.reset();
    v4::Ctx ctx{c, Numerics::Exact, *session};
    std::vector<float> out(130 * c.dim);
    ASSERT_TRUE(v4::attention_forward(ctx, a, used.cache, x2, 0, 130, out).ok());
    const Fed fresh = run(*session, c, a, Numerics::Exact, x2, 130, 0);
    EXPECT_EQ(max_abs_diff(out, fresh.out), 0.0);
}

// Positions must continue the cache; a gap is an error, not silent garbage (window-only layers
// keep no count of positions, so only compressed layers can tell).
TEST(V4AttentionCache, RejectsOutOfOrderPositions) {
    for (int64_t ratio : {4, 128}) {
        Layer l(ratio, 5000, 130, 1);
        Fed r = run(*l.session, l.c, l.a, Numerics::Exact, l.x, 130, 0);
        v4::Ctx ctx{l.c, Numerics::Exact, *l.session};
        std::vector<float> out(l.c.dim);
        auto st = v4::attention_forward(ctx, l.a, r.cache, {l.x.data(), static_cast<size_t>(l.c.dim)}, 130 + ratio, 1, out);
        EXPECT_FALSE(st.ok()) << "ratio " << ratio;
    }
}

// The entries are reserved for n_ctx positions and never reallocated: past them, ContextFull.
TEST(V4AttentionCache, FullCacheIsContextFull) {
    Layer l(4, 7000, 40, 1);
    v4::LayerCache cache;
    ASSERT_TRUE(cache.init(l.c, 4, 32).ok());
    v4::Ctx ctx{l.c, Numerics::Exact, *l.session};
    std::vector<float> out(40 * l.c.dim);
    ASSERT_TRUE(v4::attention_forward(ctx, l.a, cache, {l.x.data(), 32 * static_cast<size_t>(l.c.dim)}, 0, 32, out).ok());
    EXPECT_EQ(cache.n_entries, 8);
    auto st = v4::attention_forward(ctx, l.a, cache, {l.x.data() + 32 * l.c.dim, 8 * static_cast<size_t>(l.c.dim)}, 32, 8, out);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, atelier::ErrorCode::ContextFull);
}

// Decode (T = 1) after a prefill allocates nothing (single-threaded session: the pool's own
// bookkeeping is not this code's).
TEST_P(V4Attention, DecodeDoesNotAllocate) {
    Layer l(GetParam(), 6000 + static_cast<uint64_t>(GetParam()), 400, 1);
    const v4::Config& c = l.c;
    const v4::Attention& a = l.a;
    auto& session = l.session;
    const std::vector<float>& x = l.x;
    for (Numerics num : {Numerics::Exact, Numerics::Released}) {
        Fed r = run(*session, c, a, num, x, 200, 0);
        v4::Ctx ctx{c, num, *session};
        std::vector<float> out(c.dim);
        ASSERT_TRUE(v4::attention_forward(ctx, a, r.cache, {x.data() + 200 * c.dim, static_cast<size_t>(c.dim)}, 200, 1, out).ok());
        g_allocs = 0;
        g_count_allocs = true;
        for (int64_t p = 201; p < 400; ++p)
            ASSERT_TRUE(v4::attention_forward(ctx, a, r.cache, {x.data() + p * c.dim, static_cast<size_t>(c.dim)}, p, 1, out).ok());
        g_count_allocs = false;
        EXPECT_EQ(g_allocs.load(), 0) << (num == Numerics::Exact ? "exact" : "released");
    }
}

INSTANTIATE_TEST_SUITE_P(Ratios, V4Attention, ::testing::Values(0, 4, 128),
                         [](const ::testing::TestParamInfo<int64_t>& i) {
                             return i.param == 0 ? std::string("Window") : i.param == 4 ? std::string("Csa") : std::string("Hca");
                         });

}  // namespace
