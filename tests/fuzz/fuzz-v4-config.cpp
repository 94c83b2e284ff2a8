// Fuzz target: the DeepSeek V4 hyperparameters from untrusted bytes, through both front doors.
// First byte 0: the rest is a config.json beside an empty safetensors file (HF names, the
// reference's short names, text_config); otherwise the rest is a GGUF file (deepseek4.* keys).
// load_causal_lm must then fail with a model-file error that names the file, or succeed; a
// success runs one token on a small state. Nothing may crash, hang or allocate without bound.
#include <cstdint>
#include <cstdio>

#include "fuzz-util.h"
#include "inference/lm.h"

using namespace atelier;

extern "C" int LLVMFuzzerInitialize(int*, char***) { return 0; }

namespace {

// An empty safetensors file: 8-byte header length, then "{}" padded to 8 bytes.
void write_empty_safetensors(const std::filesystem::path& p) {
    const char bytes[] = {8, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' ', ' ', ' ', ' ', ' '};
    if (FILE* f = std::fopen(p.c_str(), "wb")) {
        std::fwrite(bytes, 1, sizeof bytes, f);
        std::fclose(f);
    }
}

bool model_file_error(ErrorCode c) {
    return c == ErrorCode::ModelFormat || c == ErrorCode::ModelTruncated || c == ErrorCode::ModelUnsupported;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    std::filesystem::path path;
    if (data[0] == 0) {
        const auto dir = fuzz::scratch_dir() / "v4-folder";
        std::error_code ec;
        std::filesystem::create_directories(dir, ec);
        path = dir;
        write_empty_safetensors(dir / "model.safetensors");
        const auto cfg = fuzz::write_scratch("v4-folder/config.json", data + 1, size - 1);
        (void)cfg;
    } else {
        path = fuzz::write_scratch("v4.gguf", data + 1, size - 1);
    }
    auto model = infer::load_model(path);
    if (!model.ok()) {
        FUZZ_CHECK(model_file_error(model.error().code) || model.error().code == ErrorCode::InvalidArgument);
        return 0;
    }
    for (infer::Numerics n : {infer::Numerics::Released, infer::Numerics::Exact}) {
        auto lm = infer::load_causal_lm(*model, {.numerics = n});
        if (!lm.ok()) {
            FUZZ_CHECK(model_file_error(lm.error().code));
            FUZZ_CHECK(!lm.error().detail.empty());
            continue;
        }
        // Only reachable with every tensor present and well-shaped: run one token.
        auto st = (*lm)->new_state({.n_ctx = 8, .n_threads = 1});
        if (!st.ok()) continue;
        std::vector<float> logits(static_cast<size_t>((*lm)->info().vocab_size));
        const int32_t tok = 0;
        (void)(*lm)->eval(**st, std::span<const int32_t>(&tok, 1), logits);
    }
    return 0;
}
