// The op registry: every case with its odd sizes, its views and its NMSE budget + reason.
// Budget vocabulary (NMSE = Σ(got-ref)² / Σref², ref accumulated in double):
//   kF32     1e-9  f32 arithmetic in another order than the double reference: expected ~1e-13
//                  for these sizes; 1e-9 leaves room for exp/erf approximations (~2 ulp).
//   kInt8Act 3e-4  activations rounded to int8 per 32 values (d = amax/127): per-value
//                  relative error variance ≈ (amax/127)²/12/σ² ≈ 3e-5 for Gaussian data, and a
//                  dot product inherits it; 10x margin for blocks with outliers. The AVX-512
//                  Q4_K matvec quantises per 256 values with sub-blocks of 32 refined by a power
//                  of two (≤ 8x finer): between per-32 and per-256, measured 3-5e-5.
//   kBf16Gemm 2e-5 the AVX-512 GEMM path (M >= 16) rounds activations and non-f32/f16 weights to
//                  bf16 (relative error uniform in ±2^-9: variance 1.3e-6 each), ~3e-6 expected.
//                  Q8_0 and Q4_K take its int8 form instead (activations int8 per 32, as the
//                  matvec path): kInt8Act, measured ~3e-5 at M = 19.
//                  The F8 matvec on AVX-512 with VBMI (M < 16) rounds only the activations to
//                  bf16 (E4M3 weights are exact in bf16): E[(δ/x)²] = ulp²/12·E[1/x²] ≈ 2.5e-6 per
//                  value, same budget.
//   kUlps    1e-12 f32 SIMD activations/transforms (misc-ops.inc): per-value relative error of a
//                  few ulp (Cephes exp/log1p ~2 ulp, A&S 7.1.26 erf |Δ| <= 1.5e-7 absolute, log2(n)
//                  Hadamard roundings) gives NMSE ~ (4·6e-8)² ≈ 6e-14; measured <= 1.2e-14.
#include <cmath>
#include <limits>
#include <string>

#include "op-harness.h"

namespace atelier::infer::optest {
namespace {

constexpr double kF32 = 1e-9;
constexpr const char* kF32Why = "f32 vs double reference; exact up to summation order and ~2-ulp exp";
constexpr double kInt8Act = 3e-4;
constexpr const char* kInt8Why = "activations quantised to int8 per 32 (matvec int8 path; avx512 GEMM for q8_0/q4_K): ~3e-5 expected";
constexpr double kBf16Gemm = 2e-5;
constexpr const char* kBf16Why = "avx512 GEMM path (M >= 16) rounds activations and weights to bf16: ~3e-6 expected";
constexpr const char* kBf16F8Why =
    "avx512 F8 matvec (VBMI) rounds activations to bf16 (E4M3 weights are exact in bf16): ~2.5e-6 expected";

// Per-op reasons for kUlps (the derivation is in the vocabulary above).
constexpr double kUlps = 1e-12;
constexpr const char* kActWhy = "f32 Cephes exp/log1p (~2 ulp) + divide/sqrt: NMSE ~1e-15 measured";
constexpr const char* kErfWhy = "A&S 7.1.26 erf, |d erf| <= 1.5e-7: NMSE <= (0.75e-7)^2·E[x²]/E[gelu²] ~ 1e-14";
constexpr const char* kFwhtWhy = "f32 fast Walsh-Hadamard: log2(n) roundings per output, NMSE ~ log2(n)·eps²/4 <= 1e-14";

const Layout kStrided{.row_pad_bytes = 64};
const Layout kPermuted{.row_pad_bytes = 12, .permute_batch = true};

std::function<float(std::mt19937_64&)> uniform(float lo, float hi) {
    return [lo, hi](std::mt19937_64& r) { return std::uniform_real_distribution<float>(lo, hi)(r); };
}

bool is_int8_path(DType t) {
    return t == DType::Q8_0 || t == DType::Q4_K || t == DType::Q4_K_R16 || t == DType::MXFP4 || t == DType::FP4_E2M1;
}

struct Budget {
    double nmse;
    const char* why;
};
// M < 16 takes the int8 matvec path for the int8 types; M >= 16 the GEMM path, whose AVX-512
// form keeps int8 activations for Q8_0/Q4_K and rounds to bf16 otherwise. F8 at M < 16 on
// AVX-512 with VBMI (block size 32 or a multiple of 64) rounds the activations to bf16.
Budget matmul_budget(DType wt, int64_t M, int64_t scale_block) {
    const bool int8 = (is_int8_path(wt) && M < 16) || (M >= 16 && (wt == DType::Q8_0 || wt == DType::Q4_K || wt == DType::Q4_K_R16));
    const bool bf16_gemm = M >= 16 && wt != DType::F32 && wt != DType::F16;
    const bool bf16_f8 = M < 16 && wt == DType::F8_E4M3 && (scale_block == 32 || scale_block % 64 == 0);
    return {int8 ? kInt8Act : (bf16_gemm || bf16_f8) ? kBf16Gemm : kF32,
            int8 ? kInt8Why : bf16_gemm ? kBf16Why : bf16_f8 ? kBf16F8Why : kF32Why};
}

// One product's operands: W [K, N] (+ block scales), x [K, M] (or the given shared x), y [N, M].
MatMulArgs matmul_args(CaseEnv& e, DType wt, int64_t K, int64_t N, int64_t M, Layout l, DType xt, int64_t scale_block,
                       const Tensor* x = nullptr) {
    MatMulArgs a;
    a.w = e.input(wt, {K, N}, l);
    a.x = x ? x : e.input(xt, {K, M}, l);
    a.y = e.output(DType::F32, {N, M}, l);
    if (wt == DType::F8_E4M3) {
        a.w_scale = e.e8m0({(K + scale_block - 1) / scale_block, (N + scale_block - 1) / scale_block}, 120, 132);
        a.scale_block_k = a.scale_block_n = scale_block;
    } else if (wt == DType::FP4_E2M1) {
        a.w_scale = e.e8m0({K / 32, N}, 120, 132);
        a.scale_block_k = 32, a.scale_block_n = 1;
    }
    return a;
}

void add_matmul(std::vector<OpCase>& v, DType wt, int64_t K, int64_t N, int64_t M, bool strided, DType xt = DType::F32,
                int64_t scale_block = 0) {
    OpCase c;
    c.name = std::string("matmul_") + dtype_name(wt) + "_x" + dtype_name(xt) + "_K" + std::to_string(K) + "_N" +
             std::to_string(N) + "_M" + std::to_string(M) + (scale_block ? "_blk" + std::to_string(scale_block) : "") +
             (strided ? "_strided" : "");
    c.types = std::string(dtype_name(wt)) + " x " + dtype_name(xt);
    const Budget b = matmul_budget(wt, M, scale_block);
    c.max_nmse = b.nmse, c.why = b.why;
    c.build = [=](CaseEnv& e) {
        e.call = {Op::MatMul, matmul_args(e, wt, K, N, M, strided ? kStrided : Layout{}, xt, scale_block)};
    };
    v.push_back(std::move(c));
}

// MatMulGroup, shaped like MoE at decode: W1/W3 pairs of several experts reading one shared x,
// then products with their own x, odd N (units of 16 rows split across items and threads), one
// item with another K, and one with a single row.
void add_matmul_group(std::vector<OpCase>& v, DType wt, int64_t K, int64_t M, bool strided, int64_t scale_block = 0) {
    OpCase c;
    c.name = std::string("matmul_group_") + dtype_name(wt) + "_K" + std::to_string(K) + "_M" + std::to_string(M) +
             (scale_block ? "_blk" + std::to_string(scale_block) : "") + (strided ? "_strided" : "");
    c.types = std::string(dtype_name(wt)) + " x f32";
    const Budget b = matmul_budget(wt, M, scale_block);
    c.max_nmse = b.nmse, c.why = b.why;
    c.build = [=](CaseEnv& e) {
        const Layout l = strided ? kStrided : Layout{};
        const Tensor* shared = e.input(DType::F32, {K, M}, l);
        e.group.clear();
        for (int64_t n : {67, 33, 100, 1}) e.group.push_back(matmul_args(e, wt, K, n, M, l, DType::F32, scale_block, shared));
        for (int64_t n : {45, 18}) e.group.push_back(matmul_args(e, wt, K, n, M, l, DType::F32, scale_block));
        e.group.push_back(matmul_args(e, wt, 2 * K, 29, M, l, DType::F32, scale_block));
        e.call = {Op::MatMulGroup, MatMulGroupArgs{.items = e.group}};
    };
    v.push_back(std::move(c));
}

void add_matmul_cases(std::vector<OpCase>& v) {
    for (int64_t M : {1, 3, 19}) {
        add_matmul(v, DType::F32, 1001, 67, M, M == 3);
        add_matmul(v, DType::F16, 1001, 67, M, M == 3);
        add_matmul(v, DType::BF16, 1001, 67, M, M == 3);
        add_matmul(v, DType::Q8_0, 32 * 37, 67, M, M == 3);
        add_matmul(v, DType::Q4_K, 256 * 3, 67, M, M == 3);
        add_matmul(v, DType::MXFP4, 32 * 37, 67, M, M == 3);
        add_matmul(v, DType::FP4_E2M1, 32 * 37, 67, M, M == 3);
        add_matmul(v, DType::F8_E4M3, 1000, 67, M, M == 3, DType::F32, 128);
        add_matmul(v, DType::F8_E4M3, 1000, 67, M, false, DType::F32, 32);
        // A block size neither 32 nor a multiple of 64: the fp16-decode path on every variant.
        add_matmul(v, DType::F8_E4M3, 1000, 67, M, M == 1, DType::F32, 48);
    }
    // The packed AVX-512 GEMM's fast decoders (K % 32 == 0), several K chunks (512 bf16 / 1024
    // int8 values), an odd Q8_0 block count, ragged panels (N % 32) and column groups (12/6, 4, 1).
    for (int64_t M : {19, 40}) {
        add_matmul(v, DType::BF16, 1024, 50, M, M == 40);
        add_matmul(v, DType::F8_E4M3, 1024, 50, M, false, DType::F32, 128);
        add_matmul(v, DType::Q4_K, 256 * 5, 50, M, M == 40);
        add_matmul(v, DType::Q8_0, 32 * 65, 50, M, false);
        add_matmul(v, DType::MXFP4, 32 * 33, 50, M, false);
        add_matmul(v, DType::FP4_E2M1, 32 * 33, 50, M, M == 40);
    }
    for (int64_t M : {1, 3}) {
        add_matmul_group(v, DType::Q4_K, 256 * 3, M, M == 3);
        add_matmul_group(v, DType::Q8_0, 32 * 37, M, M == 1);
        add_matmul_group(v, DType::MXFP4, 32 * 37, M, false);
        add_matmul_group(v, DType::FP4_E2M1, 32 * 37, M, M == 3);
        add_matmul_group(v, DType::F8_E4M3, 1024, M, M == 1, 128);
        add_matmul_group(v, DType::BF16, 1001, M, false);
    }
    add_matmul_group(v, DType::Q4_K, 256 * 2, 19, false);  // GEMM-sized items: one after another
    add_matmul_group(v, DType::F32, 320, 17, true);
    // One 32-row panel (V4's mHC projection, 24 rows): the packed GEMM splits the columns.
    add_matmul(v, DType::F32, 2048, 24, 40, false);
    add_matmul(v, DType::Q8_0, 2048, 24, 40, true);
    // Matvec rows split in guided levels (several parts of decreasing size per thread).
    add_matmul(v, DType::Q4_K, 256, 1000, 1, false);
    add_matmul(v, DType::BF16, 96, 1000, 2, true);
    add_matmul(v, DType::Q4_K_R16, 256, 8320, 1, false);  // a large product: 5 levels at 2 threads
    for (DType t : {DType::Q2_K, DType::Q3_K, DType::Q5_K, DType::Q6_K, DType::IQ2_XXS, DType::IQ3_XXS})
        for (int64_t M : {1, 19}) add_matmul(v, t, 512, 37, M, true);
    add_matmul(v, DType::Q4_K, 512, 41, 2, true, DType::BF16);
    // Q4_K_R16 (16 rows interleaved): the matvec by groups (an odd number of them, guided splits),
    // the GEMM's direct packing (a 32-row panel with only its first group: N = 80), K chunks.
    for (int64_t M : {1, 3, 19, 40}) add_matmul(v, DType::Q4_K_R16, 256 * 5, 80, M, false);
    add_matmul(v, DType::Q4_K_R16, 256, 1008, 1, false);
    add_matmul(v, DType::Q4_K_R16, 512, 48, 2, false, DType::BF16);
    {  // a MoE-shaped group: items on one shared x, one with its own x and another K
        OpCase c;
        c.name = "matmul_group_q4_K_r16_K768_M1", c.types = "q4_K_r16 x f32";
        const Budget b = matmul_budget(DType::Q4_K_R16, 1, 0);
        c.max_nmse = b.nmse, c.why = b.why;
        c.build = [](CaseEnv& e) {
            const Tensor* shared = e.input(DType::F32, {768, 1});
            e.group.clear();
            for (int64_t n : {64, 32, 112}) e.group.push_back(matmul_args(e, DType::Q4_K_R16, 768, n, 1, {}, DType::F32, 0, shared));
            e.group.push_back(matmul_args(e, DType::Q4_K_R16, 1024, 16, 1, {}, DType::F32, 0));
            e.call = {Op::MatMulGroup, MatMulGroupArgs{.items = e.group}};
        };
        v.push_back(std::move(c));
    }
    {  // Activations whose blocks of 32 span 2^0..2^-5 in size, one zero block and one zero
       // super-block: every power-of-two step of the AVX-512 Q4_K matvec's quantiser (e = 0..3,
       // clamped at 3) and its zero cases.
        OpCase c;
        c.name = "matmul_q4_K_xf32_K1024_N67_M2_spread", c.types = "q4_K x f32";
        const Budget b = matmul_budget(DType::Q4_K, 2, 0);
        c.max_nmse = b.nmse, c.why = b.why;
        c.build = [](CaseEnv& e) {
            int64_t i = 0;
            auto gen = [i](std::mt19937_64& r) mutable {
                const int64_t k = i++ % 1024, blk = k / 32;
                const float g = std::normal_distribution<float>(0.0f, 1.0f)(r);
                if (blk == 13 || k >= 768) return 0.0f;
                return std::ldexp(g, -static_cast<int>(blk % 6));
            };
            MatMulArgs a;
            a.w = e.input(DType::Q4_K, {1024, 67});
            a.x = e.input(DType::F32, {1024, 2}, {}, gen);
            a.y = e.output(DType::F32, {67, 2});
            e.call = {Op::MatMul, a};
        };
        v.push_back(std::move(c));
    }
    add_matmul(v, DType::BF16, 999, 41, 17, true, DType::BF16);
    // Batched, permuted activations [K, M, 2, 3] (nb[2] > nb[3]).
    for (DType t : {DType::F32, DType::Q8_0}) {
        OpCase c;
        c.name = std::string("matmul_") + dtype_name(t) + "_batched_permuted";
        c.types = std::string(dtype_name(t)) + " x f32";
        c.max_nmse = t == DType::Q8_0 ? kInt8Act : kF32;
        c.why = t == DType::Q8_0 ? kInt8Why : kF32Why;
        c.build = [t](CaseEnv& e) {
            MatMulArgs a;
            a.w = e.input(t, {320, 45});
            a.x = e.input(DType::F32, {320, 3, 2, 3}, kPermuted);
            a.y = e.output(DType::F32, {45, 3, 2, 3}, kPermuted);
            e.call = {Op::MatMul, a};
        };
        v.push_back(std::move(c));
    }
}

OpCase simple(std::string name, std::string types, double budget, const char* why, std::function<void(CaseEnv&)> build) {
    OpCase c;
    c.name = std::move(name);
    c.types = std::move(types);
    c.max_nmse = budget;
    c.why = why;
    c.build = std::move(build);
    return c;
}

void add_norm_softmax_rope(std::vector<OpCase>& v) {
    for (int w = 0; w < 3; ++w) {  // weight f32 / bf16 / none (unweighted)
        const char* wn[] = {"f32w", "bf16w", "unweighted"};
        v.push_back(simple(std::string("rms_norm_") + wn[w], "f32", kF32, kF32Why, [w](CaseEnv& e) {
            RmsNormArgs a;
            a.x = e.input(DType::F32, {4097, 3, 2}, kStrided);
            a.y = e.output(DType::F32, {4097, 3, 2}, kStrided);
            if (w == 0) a.weight = e.input(DType::F32, {4097});
            if (w == 1) a.weight = e.input(DType::BF16, {4097});
            a.eps = 1e-6f;
            e.call = {Op::RmsNorm, a};
        }));
    }
    for (int variant = 0; variant < 4; ++variant) {  // plain, mask+scale, sink over dim1, sink over dim2 + permuted
        const char* names[] = {"plain", "mask_scale", "sink_dim1", "sink_dim2_permuted"};
        v.push_back(simple(std::string("softmax_") + names[variant], "f32", kF32, kF32Why, [variant](CaseEnv& e) {
            SoftmaxArgs a;
            const Layout l = variant == 3 ? kPermuted : kStrided;
            a.x = e.input(DType::F32, {131, 7, 3, 2}, l, uniform(-6, 6));
            a.y = e.output(DType::F32, {131, 7, 3, 2}, l);
            if (variant >= 1) {
                a.scale = 0.0883883f;
                // causal-like mask with -inf, and row 6 fully masked (with no sink: all zeros)
                a.mask = e.input(DType::F32, {131, 7}, {}, uniform(-1, 1));
                auto* m = static_cast<float*>(a.mask->data);
                for (int64_t r = 0; r < 7; ++r)
                    for (int64_t i = 0; i < 131; ++i)
                        if (i > 100 + 5 * r || r == 6) m[r * 131 + i] = -INFINITY;
            }
            if (variant == 2) a.sink = e.input(DType::F32, {7}, {}, uniform(-2, 4)), a.sink_dim = 1;
            if (variant == 3) a.sink = e.input(DType::F32, {3}, {}, uniform(-2, 4)), a.sink_dim = 2;
            e.call = {Op::Softmax, a};
        }));
    }
    struct RopeV {
        const char* name;
        RopeMode mode;
        int64_t hd, n_dims, first;
        bool yarn, inverse;
    };
    for (const RopeV& rv : {RopeV{"interleaved_v4_yarn_tail", RopeMode::Interleaved, 72, 64, 8, true, false},
                            RopeV{"interleaved_v4_inverse", RopeMode::Interleaved, 72, 64, 8, true, true},
                            RopeV{"interleaved_partial_odd", RopeMode::Interleaved, 46, 22, 0, false, false},
                            RopeV{"halfsplit_neox", RopeMode::HalfSplit, 80, 80, 0, false, false},
                            RopeV{"halfsplit_partial_yarn", RopeMode::HalfSplit, 70, 36, 2, true, false}}) {
        v.push_back(simple(std::string("rope_") + rv.name, "f32", kF32, kF32Why, [rv](CaseEnv& e) {
            RopeArgs a;
            a.x = e.input(DType::F32, {rv.hd, 5, 7}, kStrided);
            a.y = e.output(DType::F32, {rv.hd, 5, 7}, kStrided);
            a.pos = e.ids({7}, 0, 70000);
            a.mode = rv.mode, a.n_dims = rv.n_dims, a.first_dim = rv.first, a.inverse = rv.inverse;
            if (rv.yarn) {  // V4 compressed layers: θ 160000, factor 16, original 65536, β 32/1
                a.freq_base = 160000.0f, a.freq_scale = 1.0f / 16, a.ext_factor = 1.0f, a.n_ctx_orig = 65536;
            }
            e.call = {Op::Rope, a};
        }));
    }
}

void add_elementwise(std::vector<OpCase>& v) {
    for (Op op : {Op::Silu, Op::Sigmoid, Op::Softplus, Op::SqrtSoftplus}) {
        v.push_back(simple(std::string(op_name(op)), "f32", op == Op::Silu ? kF32 : kUlps, op == Op::Silu ? kF32Why : kActWhy, [op](CaseEnv& e) {
            UnaryArgs a;
            a.x = e.input(DType::F32, {1003, 3}, kStrided, uniform(-30, 30));
            a.y = e.output(DType::F32, {1003, 3}, kStrided);
            e.call = {op, a};
        }));
    }
    for (GeluApprox g : {GeluApprox::Tanh, GeluApprox::Erf}) {
        v.push_back(simple(g == GeluApprox::Tanh ? "gelu_tanh" : "gelu_erf", "f32", kUlps, g == GeluApprox::Tanh ? kActWhy : kErfWhy, [g](CaseEnv& e) {
            GeluArgs a;
            a.x = e.input(DType::F32, {1003, 3}, {}, uniform(-8, 8));
            a.y = e.output(DType::F32, {1003, 3});
            a.approx = g;
            e.call = {Op::Gelu, a};
        }));
    }
    for (float limit : {0.0f, 10.0f}) {
        v.push_back(simple(limit > 0 ? "swiglu_clamp10" : "swiglu_noclamp", "f32", kF32, kF32Why, [limit](CaseEnv& e) {
            SwiGluArgs a;
            a.gate = e.input(DType::F32, {1003, 3}, kStrided, uniform(-15, 15));
            a.up = e.input(DType::F32, {1003, 3}, {}, uniform(-15, 15));
            a.y = e.output(DType::F32, {1003, 3}, kStrided);
            a.limit = limit;
            e.call = {Op::SwiGlu, a};
        }));
    }
    for (Op op : {Op::Add, Op::Mul}) {
        for (int b = 0; b < 3; ++b) {  // b full, b broadcast over dim 1, b scalar
            const char* bn[] = {"full", "bcast_rows", "scalar"};
            v.push_back(simple(std::string(op_name(op)) + "_" + bn[b], "f32", kF32, kF32Why, [op, b](CaseEnv& e) {
                BinaryArgs a;
                a.a = e.input(DType::F32, {1001, 3, 2}, kStrided);
                if (b == 0) a.b = e.input(DType::F32, {1001, 3, 2});
                if (b == 1) a.b = e.input(DType::F32, {1001, 1, 2}, kStrided);
                if (b == 2) a.b = e.input(DType::F32, {1, 1, 1});
                a.y = e.output(DType::F32, {1001, 3, 2}, kStrided);
                e.call = {op, a};
            }));
        }
    }
}

// GetRows of n_ids random ids from a strided [n, rows] table of type t.
OpCase get_rows_case(std::string name, DType t, int64_t n, int64_t rows, int64_t n_ids) {
    return simple(std::move(name), dtype_name(t), 0.0, "a copy after exact dequantisation", [=](CaseEnv& e) {
        GetRowsArgs a;
        a.table = e.input(t, {n, rows}, kStrided);
        a.ids = e.ids({n_ids}, 0, static_cast<int32_t>(rows - 1));
        a.y = e.output(DType::F32, {n, n_ids}, kStrided);
        e.call = {Op::GetRows, a};
    });
}

// Odd sizes and edge values for the SIMD variants (tails shorter than a vector, ±inf/large
// inputs, k = n, NaN in TopK, repeated ids, no scale, permuted Hadamard rows).
void add_misc_edges(std::vector<OpCase>& v) {
    const float inf = std::numeric_limits<float>::infinity();
    auto wide = [inf](std::mt19937_64& r) {  // ±120 with 2% +inf and 2% -inf
        const float u = std::uniform_real_distribution<float>(0, 1)(r);
        return u < 0.02f ? inf : u < 0.04f ? -inf : std::uniform_real_distribution<float>(-120, 120)(r);
    };
    for (Op op : {Op::Sigmoid, Op::Softplus, Op::SqrtSoftplus}) {
        v.push_back(simple(std::string(op_name(op)) + "_wide_inf_tail5", "f32", kUlps, kActWhy, [op, wide](CaseEnv& e) {
            UnaryArgs a;
            a.x = e.input(DType::F32, {5, 7, 3}, kPermuted, wide);
            a.y = e.output(DType::F32, {5, 7, 3}, kPermuted);
            e.call = {op, a};
        }));
    }
    for (GeluApprox g : {GeluApprox::Tanh, GeluApprox::Erf}) {
        v.push_back(simple(g == GeluApprox::Tanh ? "gelu_tanh_wide_strided" : "gelu_erf_wide_strided", "f32", kUlps,
                           g == GeluApprox::Tanh ? kActWhy : kErfWhy, [g](CaseEnv& e) {
                               GeluArgs a;
                               a.x = e.input(DType::F32, {37, 9}, kStrided, uniform(-60, 60));
                               a.y = e.output(DType::F32, {37, 9}, kStrided);
                               a.approx = g;
                               e.call = {Op::Gelu, a};
                           }));
    }
    v.push_back(simple("hadamard_n256_permuted_scale", "f32", kUlps, kFwhtWhy, [](CaseEnv& e) {
        HadamardArgs a;
        a.x = e.input(DType::F32, {256, 3, 2, 3}, kPermuted);
        a.y = e.output(DType::F32, {256, 3, 2, 3}, kPermuted);
        a.scale = 0.37f;
        e.call = {Op::Hadamard, a};
    }));
    for (int64_t k : {1, 37}) {  // k = n: a full sort; NaN and ±inf ranks
        v.push_back(simple("top_k_nan_inf_k" + std::to_string(k), "f32", 0.0, "indices must match exactly; values are copies",
                           [k, inf](CaseEnv& e) {
                               TopKArgs a;
                               a.x = e.input(DType::F32, {37, 4}, {}, [inf](std::mt19937_64& r) {
                                   const float u = std::uniform_real_distribution<float>(0, 1)(r);
                                   if (u < 0.1f) return std::numeric_limits<float>::quiet_NaN();
                                   if (u < 0.15f) return u < 0.125f ? inf : -inf;
                                   return std::round(std::uniform_real_distribution<float>(-2, 2)(r) * 2) / 2;
                               });
                               a.k = k;
                               a.indices = e.output(DType::I32, {k, 4});
                               e.call = {Op::TopK, a};
                           }));
    }
    for (DType t : {DType::F32, DType::BF16, DType::F16})  // a row length with a scalar tail; 9 ids into 5 rows
        v.push_back(get_rows_case(std::string("get_rows_odd_") + dtype_name(t), t, 1001, 5, 9));
    v.push_back(simple("add_rows_unscaled_odd", "f32", kF32, kF32Why, [](CaseEnv& e) {
        AddRowsArgs a;
        a.dst = e.inout({7, 3});
        a.src = e.input(DType::F32, {7, 6}, kStrided);
        a.ids = e.ids({6}, 0, 2);
        e.call = {Op::AddRows, a};
    }));
}

void add_misc(std::vector<OpCase>& v) {
    v.push_back(simple("top_k_ties", "f32", 0.0, "indices must match exactly; values are copies", [](CaseEnv& e) {
        TopKArgs a;
        // values on a 0.25 grid: many exact ties, so the lower-index rule is exercised
        a.x = e.input(DType::F32, {301, 5}, kStrided, [](std::mt19937_64& r) {
            return std::round(std::uniform_real_distribution<float>(-3, 3)(r) * 4) / 4;
        });
        a.k = 17;
        a.values = e.output(DType::F32, {17, 5});
        a.indices = e.output(DType::I32, {17, 5}, kStrided);
        e.call = {Op::TopK, a};
    }));
    for (DType t : {DType::F32, DType::BF16, DType::F16, DType::Q8_0, DType::Q4_K, DType::Q6_K, DType::MXFP4})
        v.push_back(get_rows_case(std::string("get_rows_") + dtype_name(t), t, 512, 37, 11));
    v.push_back(simple("add_rows_scaled_repeats", "f32", kF32, kF32Why, [](CaseEnv& e) {
        AddRowsArgs a;
        a.dst = e.inout({131, 9}, kStrided);
        a.src = e.input(DType::F32, {131, 13});
        a.ids = e.ids({13}, 0, 8);  // 13 ids into 9 rows: repeats accumulate
        a.scale = e.input(DType::F32, {13});
        e.call = {Op::AddRows, a};
    }));
    for (int64_t n : {1, 2, 4, 8, 16, 64, 128, 512, 4096}) {  // 4/8/16: below/at one vector
        v.push_back(simple("hadamard_n" + std::to_string(n), "f32", kUlps, kFwhtWhy, [n](CaseEnv& e) {
            HadamardArgs a;
            a.x = e.input(DType::F32, {n, 5, 3}, kStrided);
            a.y = e.output(DType::F32, {n, 5, 3}, kStrided);
            e.call = {Op::Hadamard, a};
        }));
    }
}

}  // namespace

const std::vector<OpCase>& all_cases() {
    static const std::vector<OpCase> cases = [] {
        std::vector<OpCase> v;
        add_matmul_cases(v);
        add_norm_softmax_rope(v);
        add_elementwise(v);
        add_misc(v);
        add_misc_edges(v);
        return v;
    }();
    return cases;
}

}  // namespace atelier::infer::optest
