// The op test registry's harness (STYLE §3.4, modelled on test-backend-ops). A case declares
// how to build one op call (inputs from a fixed seed, odd sizes, optionally non-contiguous
// views) and its NMSE budget with the reason. The harness runs it on the reference and on each
// CPU variant (forced, strict: no silent fallback), with sentinel bytes around and between every
// output row, and compares: NaN anywhere fails; an inf must match the reference's sign; a byte
// outside the logical output that changed fails; then NMSE <= budget. Single-threaded harness.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "inference/backend.h"
#include "inference/cpu/cpu-backend.h"
#include "inference/ops.h"

namespace atelier::infer::optest {

struct Layout {
    int64_t row_pad_bytes = 0;  // > 0: rows are further apart than their bytes (a strided view)
    bool permute_batch = false;  // dims 2 and 3 swapped in memory (nb[2] > nb[3])
};

// One guarded allocation holding a tensor view.
struct GuardedTensor {
    Tensor t;
    std::vector<uint8_t> bytes;  // [guard | payload | guard]
    std::vector<uint8_t> covered;  // 1 where a logical element's byte lives (outputs only)
    bool is_output = false;
};

class CaseEnv {
public:
    explicit CaseEnv(uint64_t seed) : rng(seed) {}
    // An input filled with gen() values (converted/quantised to type). Quant types that
    // quantize_row cannot write get random blocks with sane fp16 scale fields. Q4_K_R16: a Q4_K
    // input's rows regrouped (layout ignored: contiguous; shape[1] % 16 == 0).
    Tensor* input(DType type, std::initializer_list<int64_t> shape, Layout layout = {},
                  std::function<float(std::mt19937_64&)> gen = {});
    Tensor* ids(std::initializer_list<int64_t> shape, int32_t lo, int32_t hi, Layout layout = {});
    Tensor* e8m0(std::initializer_list<int64_t> shape, uint8_t lo, uint8_t hi);
    // An output: logical elements start as NaN (0xFF bytes), everything else is sentinel 0xFF.
    Tensor* output(DType type, std::initializer_list<int64_t> shape, Layout layout = {});
    // An in/out tensor (AddRows dst): random contents, compared as an output.
    Tensor* inout(std::initializer_list<int64_t> shape, Layout layout = {});

    std::mt19937_64 rng;
    OpCall call;
    std::vector<MatMulArgs> group;  // MatMulGroup's items (the call's span points here)
    std::vector<std::unique_ptr<GuardedTensor>> tensors;

private:
    GuardedTensor& alloc(DType type, std::initializer_list<int64_t> shape, Layout layout, bool output);
};

struct OpCase {
    std::string name;    // unique, e.g. "matmul_q4_K_K768_N67_M3_strided"
    std::string types;   // for the summary, e.g. "q4_K x f32"
    double max_nmse = 1e-7;
    const char* why = "";  // the reason for the budget
    std::function<void(CaseEnv&)> build;
};

// The whole registry (test-op-cases.cpp).
const std::vector<OpCase>& all_cases();

struct Outcome {
    enum class Kind { Pass, Fail, Unsupported } kind = Kind::Fail;
    std::string detail;
    double nmse = 0;
};

// Runs a case through `run` and checks it against the reference backend's result.
using Runner = std::function<Status(const OpCall&, ExecContext&)>;
Outcome run_case(const OpCase& c, const Runner& run, bool supported);
Outcome run_case_on_variant(const OpCase& c, CpuVariant v);

// The summary table (printed at exit by the test main).
void record(const OpCase& c, CpuVariant v, const Outcome& o);
void print_summary();

}  // namespace atelier::infer::optest
