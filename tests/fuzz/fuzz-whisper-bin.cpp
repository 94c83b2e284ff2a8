// Fuzz target: a whisper.cpp ggml .bin from untrusted bytes (issue 6: people reuse the models
// they already have, so the file is foreign). WhisperModel::load must fail with a model-file
// error that names something, or succeed with a consistent config. Nothing may crash, hang or
// allocate without bound on a lying header (vocabulary counts, tensor dims, name lengths).
// Seeds: tools/whisper/make-fuzz-seeds.sh (the headers of tiny random .bin files).
#include <cstdint>

#include "fuzz-util.h"
#include "inference/arch/whisper/whisper.h"

using namespace atelier;

extern "C" int LLVMFuzzerInitialize(int*, char***) { return 0; }

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto path = fuzz::write_scratch("model.bin", data, size);
    auto model = infer::whisper::WhisperModel::load(path);
    if (!model.ok()) {
        FUZZ_CHECK(!model.error().detail.empty());
        return 0;
    }
    const auto& c = (*model)->config();
    FUZZ_CHECK(c.n_vocab > 0 && c.n_audio_state > 0 && c.n_text_state > 0);
    FUZZ_CHECK(c.n_mels == 80 || c.n_mels == 128);
    return 0;
}
