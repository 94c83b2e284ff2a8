// Fuzz target: arbitrary bytes as a GGUF file (load_model on a scratch file). A failure must be a
// model-file error; a success must give tensor views inside the file, metadata that can be read
// in every typed way, and a memory plan. Nothing may crash, hang or allocate without bound.
#include <cstdint>

#include "fuzz-util.h"
#include "inference/model.h"

using namespace atelier;

extern "C" int LLVMFuzzerInitialize(int*, char***) { return 0; }

namespace {

void touch_value(const infer::GgufValue& v) {
    (void)v.to_display(4);
    (void)v.as_int();
    (void)v.as_uint();
    (void)v.as_number();
    (void)v.as_bool();
    (void)v.as_ints();
    (void)v.as_numbers();
    if (const auto* a = v.as_arrays())
        for (const auto& x : *a) touch_value(x);
    const size_t n = v.array_size();
    if (n) (void)v.element(n - 1).to_display(1);
    FUZZ_CHECK(v == v);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto path = fuzz::write_scratch("in.gguf", data, size);
    auto m = infer::load_model(path);
    if (!m.ok()) {
        const ErrorCode c = m.error().code;
        FUZZ_CHECK(c == ErrorCode::ModelFormat || c == ErrorCode::ModelTruncated || c == ErrorCode::ModelUnsupported);
        FUZZ_CHECK(m.error().detail.find(path.string()) != std::string::npos);
        return 0;
    }
    const infer::Model& model = **m;
    for (const auto& [key, value] : model.gguf_metadata()) touch_value(value);
    uint64_t sum = 0;
    for (const auto& t : model.tensors()) {
        // Each view lies inside the mapping (storage aliases the mapping's first byte).
        const auto* base = static_cast<const uint8_t*>(t.storage.get());
        const auto* first = static_cast<const uint8_t*>(t.data);
        FUZZ_CHECK(first >= base);
        FUZZ_CHECK(static_cast<uint64_t>(first - base) + static_cast<uint64_t>(t.n_bytes()) <= size);
        if (t.n_bytes() > 0) sum += first[0] + first[t.n_bytes() - 1];
        FUZZ_CHECK(model.find_tensor(t.name) == &t);
    }
    (void)sum;
    const auto plan = infer::plan_memory(model.summary(), infer::PlanRequest{.n_ctx = 4096},
                                         infer::SystemInfo{8, 16ull << 30, 8ull << 30});
    FUZZ_CHECK(plan.verdict != infer::PlanVerdict::Invalid);
    FUZZ_CHECK(!plan.sentence.empty());
    return 0;
}
