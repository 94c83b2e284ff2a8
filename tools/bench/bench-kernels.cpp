// Kernel benchmarks (issue 3 "Speed"): in one run, with one thread count,
//  (a) STREAM-like copy and triad bandwidth: the memory limit;
//  (b) matvec (decode) on 4096 x 14336 weights, rotating copies that together exceed twice the L3: GB/s of weight bytes
//      and the ratio to the measured copy bandwidth (target >= 80%) and to a read-only sum;
//  (c) matmul (prefill) M = 512: GFLOP/s and the ratio to the peak FMA rate of the cores used
//      (cores x measured GHz x 2 FMA pipes x lanes x 2; target >= 50%);
//  (d) OpenBLAS sgemm on the same shape as an anchor for f32.
//  (e) matmul on the V4-Flash expert shape (K 4096, N 2048, M 192: a routed expert's share of a
//      512-token prefill) for the types the V4 benchmark models use.
// Prints a markdown table; never asserts.
// Usage: atelier-bench-kernels [--threads N] [--variant V] [--only matvec|matmul] [--shapes KxN,KxN...] [--mapped 0|1] [--copies N]
//   --shapes: the matvec weight shapes (default 4096x14336; V4-Flash decode also has 1024x32768
//   for wq_b, 4096x8192 for wo_a, 8192x4096 for wo_b, 2048x4096 for an expert W2)
#include <cblas.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench-stream.h"
#include "core/thread-pool.h"
#include "inference/cpu-features.h"
#include "inference/cpu/cpu-backend.h"
#include "inference/quant.h"
#include "inference/session.h"

using namespace atelier;
using namespace atelier::infer;
using atelier::bench::measure_stream;
using atelier::bench::Stream;

namespace {

double now_s() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

// Default: weights live in anonymous memory, 2 MiB-aligned and advised for huge pages above 2 MiB,
// as a model read into RAM holds them (mapped-file.h, resident). --mapped: in a file mapping (page
// cache, 4 KiB pages, as a model loaded with --weights mapped); a shared writable mapping of an
// unlinked temporary file.
bool g_mapped = false;
struct Buf {
    std::shared_ptr<void> mem;
    void* data = nullptr;
    explicit Buf(size_t bytes) {
        if (!g_mapped) {
            data = bytes >= (size_t{2} << 20) ? atelier::bench::huge_page_alloc(bytes) : std::aligned_alloc(64, (bytes + 63) / 64 * 64);
            if (!data) std::abort();
            mem = std::shared_ptr<void>(data, [](void* p) { std::free(p); });
            std::memset(data, 0, bytes);  // touch every page
            return;
        }
        char path[] = "/tmp/atelier-bench-kernels-XXXXXX";
        const int fd = ::mkstemp(path);
        if (fd < 0 || ::ftruncate(fd, static_cast<off_t>(bytes)) != 0) std::abort();
        ::unlink(path);
        void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED) std::abort();
        data = p;
        mem = std::shared_ptr<void>(p, [bytes, fd](void* q) {
            ::munmap(q, bytes);
            ::close(fd);
        });
    }
};

// One core's clock: a chain of dependent 1-cycle adds (8 per iteration). Register + register:
// Intel's Golden Cove renamer folds chains of add-immediate (add $1 measured 16-20 "GHz" there).
double measure_ghz() {
    const int64_t iters = 200'000'000;
    double best = 0;
    for (int rep = 0; rep < 3; ++rep) {
        uint64_t x = 0, one = 1;
        const double t0 = now_s();
        for (int64_t i = 0; i < iters; ++i)
            __asm__ volatile("add %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\t"
                             "add %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\tadd %1, %0" : "+r"(x) : "r"(one));
        best = std::max(best, 8.0 * static_cast<double>(iters) / (now_s() - t0) / 1e9);
    }
    return best;
}

// A [K, N] weight of type t: 64 distinct quantised rows repeated (generation stays fast).
struct Weight {
    Buf buf;
    Tensor w, scale;
    Weight(DType t, int64_t K, int64_t N, std::mt19937& rng)
        : buf(static_cast<size_t>(dtype_row_bytes(t, K).value() * N)) {
        const int64_t rb = dtype_row_bytes(t, K).value();
        w = Tensor::wrap(t, {K, N}, buf.data, buf.mem).value();
        std::normal_distribution<float> nd;
        std::vector<float> row(static_cast<size_t>(K));
        auto* p = static_cast<uint8_t*>(buf.data);
        for (int64_t r = 0; r < std::min<int64_t>(64, N) && t != DType::Q4_K_R16; ++r) {
            for (float& v : row) v = nd(rng);
            (void)quantize_row(t, row.data(), p + r * rb, K);
        }
        if (t == DType::Q4_K_R16) {  // Q4_K rows as the other types get, regrouped 16 at a time
            const int64_t qb = dtype_row_bytes(DType::Q4_K, K).value();
            std::vector<uint8_t> q(static_cast<size_t>(16 * qb));
            for (int64_t r = 0; r < 16; ++r) {
                for (float& v : row) v = nd(rng);
                (void)quantize_row(DType::Q4_K, row.data(), q.data() + r * qb, K);
            }
            for (int64_t n = 0; n < N; n += 16) (void)repack_q4k_r16(q.data(), qb, K, p + n * rb);
        }
        for (int64_t r = 64; r < N && t != DType::Q4_K_R16; ++r) std::memcpy(p + r * rb, p + (r % 64) * rb, static_cast<size_t>(rb));
        if (t == DType::F8_E4M3) scale = Tensor::make(DType::F8_E8M0, {(K + 127) / 128, (N + 127) / 128}).value();
        if (t == DType::FP4_E2M1) scale = Tensor::make(DType::F8_E8M0, {K / 32, N}).value();
        if (scale.data) std::memset(scale.data, 126, static_cast<size_t>(scale.n_bytes()));
    }
    MatMulArgs args(const Tensor* x, Tensor* y) const {
        MatMulArgs a{.w = &w, .x = x, .y = y};
        if (w.type == DType::F8_E4M3) a.w_scale = &scale, a.scale_block_k = a.scale_block_n = 128;
        if (w.type == DType::FP4_E2M1) a.w_scale = &scale, a.scale_block_k = 32, a.scale_block_n = 1;
        return a;
    }
    int64_t bytes() const { return w.n_bytes(); }
};

// Copies of a matvec weight to rotate through so each call reads from memory, not the L3: at
// least 3, and together at least twice the L3 the OS reports (a 480 MiB L3 held three copies of
// every decode shape), at most 4 GB. The 30 timed calls use the first copies, written longest ago.
int g_copies = 0;  // --copies N: that many instead (3 small copies measure the kernels from L3)
int copies_beyond_l3(int64_t bytes) {
    if (g_copies > 0) return g_copies;
    const long l3 = ::sysconf(_SC_LEVEL3_CACHE_SIZE);
    const int64_t want = l3 > 0 ? (2 * int64_t{l3} + bytes - 1) / bytes : 3;
    return static_cast<int>(std::clamp<int64_t>(want, 3, std::max<int64_t>(3, (int64_t{4} << 30) / bytes)));
}

// Seconds per call (best of reps), cycling through the weights.
double time_matmul(Session& s, const std::vector<std::unique_ptr<Weight>>& ws, const Tensor& x, Tensor& y, int reps) {
    double best = 1e30;
    for (int r = 0; r < reps; ++r) {
        const Weight& w = *ws[static_cast<size_t>(r) % ws.size()];
        const double t0 = now_s();
        const Status st = s.run({Op::MatMul, w.args(&x, &y)});
        const double dt = now_s() - t0;
        if (!st) {
            std::fprintf(stderr, "matmul failed: %s\n", st.error().message().c_str());
            return 0;
        }
        best = std::min(best, dt);
    }
    return best;
}

}  // namespace

int main(int argc, char** argv) {
    int n_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    std::string variant, only, shapes = "4096x14336";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--threads")) n_threads = std::atoi(argv[i + 1]);
        if (!std::strcmp(argv[i], "--variant")) variant = argv[i + 1];
        if (!std::strcmp(argv[i], "--only")) only = argv[i + 1];
        if (!std::strcmp(argv[i], "--shapes")) shapes = argv[i + 1];
        if (!std::strcmp(argv[i], "--mapped")) g_mapped = std::atoi(argv[i + 1]) != 0;
        if (!std::strcmp(argv[i], "--copies")) g_copies = std::atoi(argv[i + 1]);
    }
    CpuBackendOptions opt{.read_env = true};
    if (!variant.empty()) opt.force = cpu_variant_from_name(variant).value_or(CpuVariant::Invalid);
    auto backend = make_cpu_backend(opt);
    if (!backend) {
        std::fprintf(stderr, "%s\n", backend.error().message().c_str());
        return 1;
    }
    std::shared_ptr<CpuBackend> cpu(std::move(*backend));
    auto session = Session::create({.n_threads = n_threads, .backend = cpu});
    if (!session) return 1;
    Session& s = **session;
    const CpuFeatures& f = cpu_features();
    const double ghz = measure_ghz();
    const bool avx512 = cpu->variant_for(Op::MatMul, {DType::BF16, DType::F32, DType::F32}) == CpuVariant::Avx512;
    const int lanes = avx512 ? 16 : 8;
    const double peak_gflops = n_threads * ghz * 2 /*FMA pipes*/ * lanes * 2;
    std::unique_ptr<ThreadPool> pool = n_threads > 1 ? std::make_unique<ThreadPool>(static_cast<size_t>(n_threads - 1)) : nullptr;
    const Stream bw = measure_stream(pool.get(), n_threads);

    std::printf("CPU: %s (%s), %d threads, measured %.2f GHz (1 core, dependent adds)\n", f.brand.c_str(), f.summary().c_str(),
                n_threads, ghz);
    std::printf("Peak FMA rate assumed: %d cores x %.2f GHz x 2 FMA pipes x %d f32 lanes x 2 = %.0f GFLOP/s\n\n", n_threads, ghz,
                lanes, peak_gflops);
    std::printf("| kernel | variant | shape | time | rate | hardware limit | ratio |\n|---|---|---|---|---|---|---|\n");
    std::printf("| STREAM copy | - | 3 x 256 MiB | - | %.1f GB/s | - | - |\n", bw.copy_gbs);
    std::printf("| STREAM triad | - | 3 x 256 MiB | - | %.1f GB/s | - | - |\n", bw.triad_gbs);
    std::printf("| STREAM-like read (sum) | - | 256 MiB | - | %.1f GB/s | - | - |\n", bw.read_gbs);

    std::mt19937 rng(7);
    std::vector<std::pair<int64_t, int64_t>> shape_list;
    for (size_t at = 0; at < shapes.size();) {
        const size_t end = std::min(shapes.find(',', at), shapes.size());
        long long k = 0, n = 0;
        if (std::sscanf(shapes.substr(at, end - at).c_str(), "%lldx%lld", &k, &n) != 2 || k <= 0 || n <= 0 || k % 256) {
            std::fprintf(stderr, "--shapes: want KxN pairs with K a multiple of 256, e.g. 4096x14336,1024x32768\n");
            return 1;
        }
        shape_list.emplace_back(k, n);
        at = end + 1;
    }
    for (const auto& [K, N] : shape_list) {
        if (only == "matmul") break;
        Tensor x1 = Tensor::make(DType::F32, {K, 1}).value(), y1 = Tensor::make(DType::F32, {N, 1}).value();
        for (int64_t k = 0; k < K; ++k) static_cast<float*>(x1.data)[k] = std::normal_distribution<float>()(rng);
        for (DType t : {DType::Q4_K, DType::Q4_K_R16, DType::Q8_0, DType::MXFP4, DType::FP4_E2M1, DType::F8_E4M3, DType::BF16}) {
            if (t == DType::Q4_K_R16 && N % 16) continue;  // whole groups of 16 rows only
            std::vector<std::unique_ptr<Weight>> ws;
            const int n_copies = copies_beyond_l3(dtype_row_bytes(t, K).value() * N);
            for (int i = 0; i < n_copies; ++i) ws.push_back(std::make_unique<Weight>(t, K, N, rng));
            const double sec = time_matmul(s, ws, x1, y1, 30);
            const double gbs = static_cast<double>(ws[0]->bytes()) / sec / 1e9;
            std::printf("| matvec %s | %s | %lldx%lld (%.0f MB, %d copies) | %.2f ms | %.1f GB/s | copy %.1f / read %.1f GB/s | %.0f%% / %.0f%% |\n",
                        dtype_name(t), cpu_variant_name(cpu->variant_for(Op::MatMul, {t, DType::F32, DType::F32})),
                        (long long)K, (long long)N, ws[0]->bytes() / 1e6, n_copies, sec * 1e3, gbs, bw.copy_gbs, bw.read_gbs,
                        100 * gbs / bw.copy_gbs, 100 * gbs / bw.read_gbs);
        }
    }

    const int64_t K = 4096, M = 512, Nm = 4096;
    Tensor xm = Tensor::make(DType::F32, {K, M}).value(), ym = Tensor::make(DType::F32, {Nm, M}).value();
    for (int64_t i = 0; i < K * M; ++i) static_cast<float*>(xm.data)[i] = std::normal_distribution<float>()(rng);
    const double flops = 2.0 * K * Nm * M;
    for (DType t : {DType::BF16, DType::Q8_0, DType::F32}) {
        if (only == "matvec") break;
        std::vector<std::unique_ptr<Weight>> ws;
        ws.push_back(std::make_unique<Weight>(t, K, Nm, rng));
        const double sec = time_matmul(s, ws, xm, ym, 3);
        std::printf("| matmul %s x f32 | %s | K %lld, N %lld, M %lld | %.1f ms | %.1f GFLOP/s | peak %.0f GFLOP/s | %.0f%% |\n",
                    dtype_name(t), cpu_variant_name(cpu->variant_for(Op::MatMul, {t, DType::F32, DType::F32})), (long long)K,
                    (long long)Nm, (long long)M, sec * 1e3, flops / sec / 1e9, peak_gflops, 100 * flops / sec / 1e9 / peak_gflops);
    }
    for (DType t : {DType::Q4_K, DType::Q4_K_R16, DType::Q8_0, DType::MXFP4, DType::FP4_E2M1, DType::F8_E4M3, DType::BF16}) {
        if (only == "matvec") break;
        const int64_t Me = 192, Ne = 2048;
        Tensor xe = Tensor::make(DType::F32, {K, Me}).value(), ye = Tensor::make(DType::F32, {Ne, Me}).value();
        std::memcpy(xe.data, xm.data, static_cast<size_t>(K * Me) * sizeof(float));
        std::vector<std::unique_ptr<Weight>> ws;
        for (int i = 0; i < 3; ++i) ws.push_back(std::make_unique<Weight>(t, K, Ne, rng));
        const double sec = time_matmul(s, ws, xe, ye, 6);
        const double fl = 2.0 * K * Ne * Me;
        std::printf("| matmul %s x f32 (expert) | %s | K %lld, N %lld, M %lld | %.2f ms | %.1f GFLOP/s | peak %.0f GFLOP/s | %.0f%% |\n",
                    dtype_name(t), cpu_variant_name(cpu->variant_for(Op::MatMul, {t, DType::F32, DType::F32})), (long long)K,
                    (long long)Ne, (long long)Me, sec * 1e3, fl / sec / 1e9, peak_gflops, 100 * fl / sec / 1e9 / peak_gflops);
    }
    if (only != "matvec") {  // OpenBLAS anchor: Y[M, N] = X[M, K] · W[N, K]^T, same bytes and shape as our f32 run
        openblas_set_num_threads(n_threads);
        Weight w(DType::F32, K, Nm, rng);
        double best = 1e30;
        for (int r = 0; r < 3; ++r) {
            const double t0 = now_s();
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(M), static_cast<int>(Nm), static_cast<int>(K), 1.0f,
                        static_cast<const float*>(xm.data), static_cast<int>(K), static_cast<const float*>(w.w.data),
                        static_cast<int>(K), 0.0f, static_cast<float*>(ym.data), static_cast<int>(Nm));
            best = std::min(best, now_s() - t0);
        }
        std::printf("| OpenBLAS sgemm (anchor) | %s | K %lld, N %lld, M %lld | %.1f ms | %.1f GFLOP/s | peak %.0f GFLOP/s | %.0f%% |\n",
                    openblas_get_corename(), (long long)K, (long long)Nm, (long long)M, best * 1e3, flops / best / 1e9, peak_gflops,
                    100 * flops / best / 1e9 / peak_gflops);
    }
    return 0;
}
