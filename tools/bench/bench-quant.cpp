// Dequantisation throughput per type (one thread), as GB/s of quantised bytes read, against a
// memcpy anchor over the same number of source bytes measured in the same run. These are the
// scalar reference row functions; the fast kernels live in inference/cpu and have their own bench.
// Usage: atelier-bench-quant [--mb 64] [--reps 5]
#include <cstdio>
#include <cstring>
#include <vector>

#include "bench-util.h"
#include "inference/quant.h"

using namespace atelier;
using namespace atelier::infer;

int main(int argc, char** argv) {
    const int64_t mb = bench::arg_int(argc, argv, "--mb", 64);
    const int reps = bench::arg_int(argc, argv, "--reps", 5);
    const int64_t n_values = mb * (1 << 20) / 4;  // output floats: mb MiB of f32 output
    std::printf("# dequantize_row throughput, %s, %lld Mi values per pass, best of %d\n",
                bench::machine_name().c_str(), static_cast<long long>(n_values >> 20), reps);
    std::printf("| type | bytes/value | dequant GB/s (read) | output GB/s | memcpy same bytes GB/s | ratio |\n");
    std::printf("|---|---|---|---|---|---|\n");
    const DType types[] = {DType::F16, DType::BF16, DType::F8_E4M3, DType::FP4_E2M1, DType::Q8_0, DType::Q2_K,
                           DType::Q3_K, DType::Q4_K, DType::Q5_K, DType::Q6_K, DType::IQ2_XXS, DType::IQ3_XXS,
                           DType::MXFP4};
    std::vector<float> out(static_cast<size_t>(n_values));
    for (DType t : types) {
        const auto bytes = dtype_row_bytes(t, n_values);
        if (!bytes.ok()) continue;
        std::vector<uint8_t> src(static_cast<size_t>(*bytes)), copy(src.size());
        // Bytes 0x30..0x3F: every fp16/f32 scale field is then a normal number (subnormal outputs
        // would time the CPU's slow path, not the code); the scalar loops are otherwise data-blind.
        for (size_t i = 0; i < src.size(); ++i) src[i] = static_cast<uint8_t>(0x30 | ((i * 2654435761u >> 13) & 15));
        double best = 1e30, best_copy = 1e30;
        for (int r = 0; r < reps; ++r) {
            const double t0 = bench::now_s();
            if (!dequantize_row(t, src.data(), out.data(), n_values).ok()) return 1;
            best = std::min(best, bench::now_s() - t0);
            const double t1 = bench::now_s();
            std::memcpy(copy.data(), src.data(), src.size());
            best_copy = std::min(best_copy, bench::now_s() - t1);
            src[static_cast<size_t>(r)] ^= copy[src.size() - 1 - static_cast<size_t>(r)];
        }
        const double gbs = static_cast<double>(src.size()) / best / 1e9;
        const double out_gbs = static_cast<double>(n_values) * 4 / best / 1e9;
        const double copy_gbs = static_cast<double>(src.size()) / best_copy / 1e9;
        std::printf("| %s | %.3f | %.2f | %.2f | %.2f | %.2f |\n", dtype_name(t),
                    static_cast<double>(src.size()) / static_cast<double>(n_values), gbs, out_gbs, copy_gbs,
                    gbs / copy_gbs);
    }
    return 0;
}
