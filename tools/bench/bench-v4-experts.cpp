// DeepSeek V4 routed-expert products at decode (issue 4 "Speed"): the FP4 expert weights of
// V4-Flash's shape (W1/W3 4096 -> 2048, W2 2048 -> 4096; FP4 E2M1 with per-32 UE8M0 scales, as
// released) times one token's FP8-valued activations, in released numerics, as moe_decode runs
// them: per step, the 6 chosen experts' 12 W1/W3 products in one pass of fp4_matmul_group_f32, then
// their 6 W2 products in another. More experts than the last-level cache holds (default 96, about
// 1.2 GB) are drawn at random with a fixed seed, so the weights come from memory as in a real model.
//  - ours: fp4_matmul_group_f32 (exact products: what the released model computes);
//  - anchor (same run, same weights): the engine's MatMul op on the same products, one
//    MatMulGroup per pass (it rounds the activations to int8 per 32, so it is not what released
//    numerics may use, but it is the engine's matvec for this format);
//  - hardware limit: weight bytes per step x steps/s / STREAM read (and copy), measured before and
//    after each measurement.
// Prints markdown; never asserts.
// Usage: atelier-bench-v4-experts [--threads 2] [--experts 96] [--steps 200] [--repeat 3]
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench-stream.h"
#include "bench-util.h"
#include "core/thread-pool.h"
#include "inference/arch/deepseek-v4/v4.h"
#include "inference/ops.h"
#include "inference/quant.h"
#include "inference/session.h"

using namespace atelier;
using namespace atelier::infer;
using atelier::bench::now_s;

namespace {

constexpr int64_t kDim = 4096, kInter = 2048, kActive = 6;

struct FpWeight {
    Tensor w, s;
    v4::Linear l;
};

FpWeight make_weight(int64_t in, int64_t out, std::mt19937& rng) {
    FpWeight f;
    f.w = *Tensor::make(DType::FP4_E2M1, {in, out});
    f.s = *Tensor::make(DType::F8_E8M0, {in / 32, out});
    auto* w = static_cast<uint8_t*>(f.w.data);
    for (int64_t i = 0; i < f.w.n_bytes(); i += 4) {
        const uint32_t r = static_cast<uint32_t>(rng());
        std::memcpy(w + i, &r, static_cast<size_t>(std::min<int64_t>(4, f.w.n_bytes() - i)));
    }
    auto* s = static_cast<uint8_t*>(f.s.data);
    for (int64_t i = 0; i < f.s.n_bytes(); ++i) s[i] = static_cast<uint8_t>(118 + rng() % 8);
    return f;
}

}  // namespace

int main(int argc, char** argv) {
    const int threads = bench::arg_int(argc, argv, "--threads", 2);
    const int n_experts = std::max<int>(kActive, bench::arg_int(argc, argv, "--experts", 96));
    const int steps = std::max(1, bench::arg_int(argc, argv, "--steps", 200));
    const int repeat = std::max(1, bench::arg_int(argc, argv, "--repeat", 3));

    std::mt19937 rng(42);
    std::vector<FpWeight> w1, w3, w2;
    w1.reserve(static_cast<size_t>(n_experts)), w3.reserve(static_cast<size_t>(n_experts)), w2.reserve(static_cast<size_t>(n_experts));
    for (int e = 0; e < n_experts; ++e) {
        w1.push_back(make_weight(kDim, kInter, rng));
        w3.push_back(make_weight(kDim, kInter, rng));
        w2.push_back(make_weight(kInter, kDim, rng));
    }
    for (int e = 0; e < n_experts; ++e)
        for (FpWeight* f : {&w1[static_cast<size_t>(e)], &w3[static_cast<size_t>(e)], &w2[static_cast<size_t>(e)]})
            f->l = v4::Linear{.w = &f->w, .scale = &f->s, .scale_block_k = 32, .scale_block_n = 1};
    const double step_bytes = static_cast<double>(kActive) *
                              static_cast<double>(w1[0].w.n_bytes() + w1[0].s.n_bytes() + w3[0].w.n_bytes() +
                                                  w3[0].s.n_bytes() + w2[0].w.n_bytes() + w2[0].s.n_bytes());

    // The experts each step uses (distinct within a step), and FP8-valued activations.
    std::vector<int> pick(static_cast<size_t>(steps * kActive));
    for (int t = 0; t < steps; ++t) {
        std::vector<int> all(static_cast<size_t>(n_experts));
        for (int e = 0; e < n_experts; ++e) all[static_cast<size_t>(e)] = e;
        std::shuffle(all.begin(), all.end(), rng);
        std::copy(all.begin(), all.begin() + kActive, pick.begin() + t * kActive);
    }
    std::vector<float> x(kDim), h(static_cast<size_t>(kActive * kInter));
    std::vector<float> gate(static_cast<size_t>(kActive * kInter)), up(gate.size()), out(static_cast<size_t>(kActive * kDim));
    std::normal_distribution<float> nd(0.0f, 1.0f);
    for (auto& v : x) v = nd(rng);
    for (auto& v : h) v = nd(rng);
    if (!fake_quant_fp8_act(x.data(), kDim, 128).ok() || !fake_quant_fp8_act(h.data(), kActive * kInter, 128).ok()) return 1;

    auto session = Session::create({.n_threads = threads});
    if (!session) return std::fprintf(stderr, "%s\n", session.error().message().c_str()), 1;
    v4::Config cfg;
    v4::Ctx c{cfg, Numerics::Released, **session};
    ThreadPool pool(static_cast<size_t>(std::max(1, threads - 1)));

    auto ours = [&](int t) {
        std::vector<v4::Fp4Product> a, b;
        for (int k = 0; k < kActive; ++k) {
            const size_t e = static_cast<size_t>(pick[static_cast<size_t>(t * kActive + k)]);
            a.push_back({.l = &w1[e].l, .x = x.data(), .y = gate.data() + k * kInter});
            a.push_back({.l = &w3[e].l, .x = x.data(), .y = up.data() + k * kInter});
            b.push_back({.l = &w2[e].l, .x = h.data() + k * kInter, .y = out.data() + k * kDim});
        }
        return v4::fp4_matmul_group_f32(c, a).ok() && v4::fp4_matmul_group_f32(c, b).ok();
    };
    Tensor xt = *Tensor::wrap(DType::F32, {kDim, 1}, x.data());
    std::vector<Tensor> ht, gt, ut, ot;
    for (int k = 0; k < kActive; ++k) {
        ht.push_back(*Tensor::wrap(DType::F32, {kInter, 1}, h.data() + k * kInter));
        gt.push_back(*Tensor::wrap(DType::F32, {kInter, 1}, gate.data() + k * kInter));
        ut.push_back(*Tensor::wrap(DType::F32, {kInter, 1}, up.data() + k * kInter));
        ot.push_back(*Tensor::wrap(DType::F32, {kDim, 1}, out.data() + k * kDim));
    }
    auto anchor = [&](int t) {
        std::vector<MatMulArgs> a, b;
        for (int k = 0; k < kActive; ++k) {
            const size_t e = static_cast<size_t>(pick[static_cast<size_t>(t * kActive + k)]);
            a.push_back(w1[e].l.args(&xt, &gt[static_cast<size_t>(k)]));
            a.push_back(w3[e].l.args(&xt, &ut[static_cast<size_t>(k)]));
            b.push_back(w2[e].l.args(&ht[static_cast<size_t>(k)], &ot[static_cast<size_t>(k)]));
        }
        return (*session)->run(OpCall{Op::MatMulGroup, MatMulGroupArgs{.items = a}}).ok() &&
               (*session)->run(OpCall{Op::MatMulGroup, MatMulGroupArgs{.items = b}}).ok();
    };
    auto time_steps = [&](auto&& fn) {
        const double t0 = now_s();
        for (int t = 0; t < steps; ++t)
            if (!fn(t)) return -1.0;
        return steps * step_bytes / (now_s() - t0) / 1e9;
    };
    for (int t = 0; t < std::min(steps, 20); ++t) ours(t), anchor(t);  // warm-up: touch every page once

    std::vector<double> ours_gbs, anchor_gbs, read, copy;
    auto stream = [&] {
        const bench::Stream s = bench::measure_stream(&pool, threads);
        read.push_back(s.read_gbs), copy.push_back(s.copy_gbs);
    };
    stream();
    for (int r = 0; r < repeat; ++r) {
        ours_gbs.push_back(time_steps(ours));
        anchor_gbs.push_back(time_steps(anchor));
        stream();
    }
    const double rd = bench::median(read), cp = bench::median(copy), o = bench::median(ours_gbs), a = bench::median(anchor_gbs);
    std::printf("machine: %s; run on %d threads; %d experts (%.0f MB), %d steps x %d experts a step (%.1f MB of weights a step)\n"
                "STREAM read median %.1f GB/s, copy median %.1f GB/s\n\n",
                bench::machine_name().c_str(), threads, n_experts, step_bytes / kActive * n_experts / 1e6, steps,
                static_cast<int>(kActive), step_bytes / 1e6, rd, cp);
    std::printf("| products | ours GB/s (median; samples) | anchor: MatMul op GB/s | ours / anchor | %% of read | %% of copy |\n"
                "|---|---|---|---|---|---|\n");
    std::string s;
    for (double v : ours_gbs) s += (s.empty() ? "" : " ") + std::to_string(v).substr(0, 4);
    std::printf("| FP4 E2M1 experts, W1+W3 then W2, 1 token | %.1f (%s) | %.1f | %.2fx | %.0f %% | %.0f %% |\n", o, s.c_str(), a,
                a > 0 ? o / a : 0.0, 100 * o / rd, 100 * o / cp);
    return 0;
}
