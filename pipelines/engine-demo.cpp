// Engine demo: quantise -> write GGUF -> load (mmap) -> plan -> matvec (SIMD) vs reference.
#include "pipelines/engine-demo.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "inference/cpu-features.h"
#include "inference/cpu/cpu-backend.h"
#include "inference/loaders/gguf-writer.h"
#include "inference/memory-plan.h"
#include "inference/model.h"
#include "inference/ops.h"
#include "inference/quant.h"
#include "inference/session.h"

namespace atelier::pipelines {
namespace fs = std::filesystem;
using namespace atelier::infer;

namespace {

constexpr int64_t kK = 1024;     // input width (4 Q4_K blocks per row)
constexpr int64_t kN = 384;      // output rows
constexpr int64_t kVocab = 64;   // embedding rows (Q8_0)
constexpr const char* kWeight = "blk.0.ffn_down.weight";

// Quantises a [rows, cols] f32 matrix row by row into `type`.
Result<std::vector<uint8_t>> quantize_matrix(DType type, const std::vector<float>& m, int64_t rows, int64_t cols) {
    ATELIER_TRY_ASSIGN(int64_t row_bytes, dtype_row_bytes(type, cols));
    std::vector<uint8_t> out(static_cast<size_t>(row_bytes * rows));
    for (int64_t r = 0; r < rows; ++r)
        ATELIER_TRY(quantize_row(type, m.data() + r * cols, out.data() + r * row_bytes, cols));
    return out;
}

Status write_model(const fs::path& path, std::mt19937& rng) {
    std::normal_distribution<float> normal(0.0f, 0.05f);
    std::vector<float> w(static_cast<size_t>(kN * kK)), emb(static_cast<size_t>(kVocab * kK));
    for (float& v : w) v = normal(rng);
    for (float& v : emb) v = normal(rng);
    ATELIER_TRY_ASSIGN(auto w_q4k, quantize_matrix(DType::Q4_K, w, kN, kK));
    ATELIER_TRY_ASSIGN(auto emb_q8, quantize_matrix(DType::Q8_0, emb, kVocab, kK));
    GgufWriter writer;
    ATELIER_TRY(writer.set("general.architecture", GgufValue::make_string("atelier-demo")));
    ATELIER_TRY(writer.set("general.name", GgufValue::make_string("Atelier engine demo")));
    ATELIER_TRY(writer.set("atelier-demo.block_count", GgufValue::make_uint(GgufType::U32, 1)));
    ATELIER_TRY(writer.set("atelier-demo.embedding_length", GgufValue::make_uint(GgufType::U32, kK)));
    ATELIER_TRY(writer.add_tensor("token_embd.weight", DType::Q8_0, {kK, kVocab}, std::move(emb_q8)));
    ATELIER_TRY(writer.add_tensor(kWeight, DType::Q4_K, {kK, kN}, std::move(w_q4k)));
    return writer.write(path);
}

// y = W^T x with the reference dequantiser and double accumulation.
Result<std::vector<double>> reference_matvec(const Tensor& w, const std::vector<float>& x) {
    std::vector<float> row(static_cast<size_t>(kK));
    std::vector<double> y(static_cast<size_t>(kN));
    for (int64_t n = 0; n < kN; ++n) {
        ATELIER_TRY(dequantize_row(w.type, w.row<const uint8_t>(n), row.data(), kK));
        double s = 0.0;
        for (int64_t k = 0; k < kK; ++k) s += static_cast<double>(row[static_cast<size_t>(k)]) * x[static_cast<size_t>(k)];
        y[static_cast<size_t>(n)] = s;
    }
    return y;
}

}  // namespace

Result<EngineDemoReport> run_engine_demo(const fs::path& dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return make_error(ErrorCode::IoError, "cannot create " + dir.string() + ": " + ec.message());
    EngineDemoReport rep;
    rep.model_path = dir / "demo-model.gguf";
    std::mt19937 rng(20261129);
    ATELIER_TRY(write_model(rep.model_path, rng));
    rep.file_bytes = fs::file_size(rep.model_path, ec);

    ATELIER_TRY_ASSIGN(auto model, load_model(rep.model_path));
    const ModelSummary summary = model->summary();
    rep.n_tensors = summary.n_tensors;
    rep.n_params = summary.n_params;
    rep.plan_sentence = plan_memory(summary, PlanRequest{.n_ctx = 4096}, system_info()).sentence;
    rep.cpu_features = cpu_features().summary();

    const Tensor* w = model->find_tensor(kWeight);
    if (!w) return make_error(ErrorCode::Internal, std::string("demo model lost tensor ") + kWeight);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> xs(static_cast<size_t>(kK));
    for (float& v : xs) v = normal(rng);
    ATELIER_TRY_ASSIGN(Tensor x, Tensor::wrap(DType::F32, {kK, 1}, xs.data()));
    ATELIER_TRY_ASSIGN(Tensor y, Tensor::make(DType::F32, {kN, 1}));
    ATELIER_TRY_ASSIGN(std::shared_ptr<CpuBackend> cpu, make_cpu_backend({}));
    ATELIER_TRY_ASSIGN(auto session, Session::create({.backend = cpu}));
    const OpCall call{Op::MatMul, MatMulArgs{.w = w, .x = &x, .y = &y}};
    ATELIER_TRY(session->run(call));
    rep.kernel_variant = std::string(cpu->name()) + "/" + cpu_variant_name(cpu->variant_for(call.op, op_types(call)));

    ATELIER_TRY_ASSIGN(auto ref, reference_matvec(*w, xs));
    double max_ref = 0.0, max_err = 0.0;
    for (int64_t n = 0; n < kN; ++n) {
        const double r = ref[static_cast<size_t>(n)];
        max_ref = std::max(max_ref, std::fabs(r));
        max_err = std::max(max_err, std::fabs(r - static_cast<double>(y.row<float>(0)[n])));
    }
    rep.max_rel_error = max_ref > 0 ? max_err / max_ref : max_err;
    return rep;
}

}  // namespace atelier::pipelines
