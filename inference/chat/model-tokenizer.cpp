// tokenizer_for_model (model-tokenizer.h): picks the tokenizer source by the model's format.
// Thread-safety: pure function.
#include "inference/chat/model-tokenizer.h"

#include "inference/loaders/gguf.h"

namespace atelier::infer {

Result<std::shared_ptr<const Tokenizer>> tokenizer_for_model(const Model& model) {
    const std::string where = model.files().empty() ? std::string("model") : model.files().front().string();
    if (model.format() == ModelFormat::Gguf) {
        if (!model.gguf_value("tokenizer.ggml.tokens"))
            return make_error(ErrorCode::NotFound, where + ": the GGUF has no tokenizer (tokenizer.ggml.* metadata)",
                              "convert the model again with its tokenizer included");
        GgufHeader header;
        header.metadata = model.gguf_metadata();
        return from_gguf_metadata(header, where);
    }
    if (model.tokenizer_json().empty()) {
        const std::string dir = model.files().empty() ? where : model.files().front().parent_path().string();
        return make_error(ErrorCode::NotFound, dir + ": no tokenizer.json beside the model",
                          "put the model's tokenizer.json (and tokenizer_config.json) in its folder");
    }
    const std::string label =
        (model.files().empty() ? std::filesystem::path() : model.files().front().parent_path() / "tokenizer.json").string();
    ATELIER_TRY_ASSIGN(TokenizerDesc desc, tokenizer_desc_from_json(model.tokenizer_json(), label));
    if (const nlohmann::json* config = model.tokenizer_config()) ATELIER_TRY(apply_tokenizer_config(config->dump(), desc));
    return Tokenizer::create(std::move(desc));
}

}  // namespace atelier::infer
