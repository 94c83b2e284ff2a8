// WhisperModel::load: recognises the input (a whisper.cpp ggml .bin by its magic, a GGUF file, an
// HF folder or a .safetensors file inside one), reads the config and the tokenizer, and binds
// the weights. The forward passes live in encoder.cpp and decoder.cpp.
// Thread-safety: load may run on any thread; the loaded model is immutable.
#include <cstring>
#include <fstream>

#include "inference/arch/whisper/whisper-internal.h"

namespace atelier::infer::whisper {
namespace {

enum class Kind { Invalid = 0, GgmlBin, Gguf, Folder };

Result<Kind> sniff(const std::filesystem::path& path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) return Kind::Folder;
    if (!std::filesystem::exists(path, ec))
        return make_error(ErrorCode::NotFound, "whisper: " + path.string() + " does not exist", "check the model path");
    std::ifstream in(path, std::ios::binary);
    char magic[4] = {};
    if (!in.read(magic, 4))
        return make_error(ErrorCode::ModelTruncated, "whisper: " + path.string() + " is too short to be a model",
                          "the file is empty or cut short");
    if (std::memcmp(magic, "lmgg", 4) == 0) return Kind::GgmlBin;  // 0x67676d6c little-endian
    if (std::memcmp(magic, "GGUF", 4) == 0) return Kind::Gguf;
    if (path.extension() == ".safetensors") return Kind::Folder;
    return make_error(ErrorCode::ModelFormat, "whisper: " + path.string() + " is neither a whisper.cpp ggml .bin nor a model folder",
                      "pick a ggml-*.bin file or an openai/whisper-* folder");
}

}  // namespace

WhisperModel::WhisperModel() = default;
WhisperModel::~WhisperModel() = default;

Result<std::unique_ptr<WhisperModel>> WhisperModel::load(const std::filesystem::path& path, const LoadOptions& options) {
    ATELIER_TRY_ASSIGN(Kind kind, sniff(path));
    std::unique_ptr<WhisperModel> m(new WhisperModel());
    m->w_ = std::make_unique<Weights>();
    if (kind == Kind::Gguf) {
        ATELIER_TRY_ASSIGN(auto model, load_model(path, options));
        return make_error(ErrorCode::ModelUnsupported,
                          "whisper: " + path.string() + " is a GGUF \"" + model->architecture() + "\" model, not Whisper",
                          "pick a whisper.cpp ggml .bin or an openai/whisper-* safetensors folder");
    }
    if (kind == Kind::GgmlBin) {
        ATELIER_TRY_ASSIGN(m->w_->raw, read_ggml_bin(path, options));
        ATELIER_TRY_ASSIGN(m->cfg_, config_from_ggml(m->w_->raw));
        ATELIER_TRY_ASSIGN(m->tokenizer_, tokenizer_from_ggml_vocab(m->w_->raw.ggml_vocab, m->cfg_, path.string()));
    } else {
        const std::filesystem::path folder = std::filesystem::is_directory(path) ? path : path.parent_path();
        ATELIER_TRY_ASSIGN(m->w_->raw, read_hf_folder(folder, options));
        const std::string& tj = m->w_->raw.model->tokenizer_json();
        if (!tj.empty()) {
            ATELIER_TRY_ASSIGN(m->tokenizer_, from_tokenizer_json(tj, (folder / "tokenizer.json").string()));
        }
        ATELIER_TRY_ASSIGN(m->cfg_, config_from_hf(m->w_->raw, folder, m->tokenizer_.get()));
    }
    ATELIER_TRY(bind_weights(m->cfg_, *m->w_));
    return m;
}

}  // namespace atelier::infer::whisper
