// WhisperModel entry points: load (dispatch to the safetensors or ggml .bin reader), decoder
// state management (cache growth, truncate, clone). The forward passes live in encoder.cpp and
// decoder.cpp. Thread-safety: see whisper.h.
#include "inference/arch/whisper/whisper.h"

namespace atelier::infer::whisper {

struct WhisperModel::Weights {};

WhisperModel::WhisperModel() = default;
WhisperModel::~WhisperModel() = default;
DecoderState::~DecoderState() = default;

Result<std::unique_ptr<WhisperModel>> WhisperModel::load(const std::filesystem::path& path, const LoadOptions&) {
    return make_error(ErrorCode::Unsupported, "whisper: loading " + path.string() + " is not implemented yet");
}

Result<EncoderOutput> WhisperModel::encode(std::span<const float>, Session&, std::stop_token) const {
    return make_error(ErrorCode::Unsupported, "whisper: encode is not implemented yet");
}

Result<std::unique_ptr<DecoderState>> WhisperModel::new_decoder(std::shared_ptr<const EncoderOutput>) const {
    return make_error(ErrorCode::Unsupported, "whisper: new_decoder is not implemented yet");
}

Status WhisperModel::decode(DecoderState&, std::span<const int32_t>, std::span<float>, const DecodeOptions&) const {
    return make_error(ErrorCode::Unsupported, "whisper: decode is not implemented yet");
}

Status WhisperModel::decode_batch(std::span<DecoderState* const>, std::span<const int32_t>, std::span<float>,
                                  const DecodeOptions&) const {
    return make_error(ErrorCode::Unsupported, "whisper: decode_batch is not implemented yet");
}

void DecoderState::truncate(int n) {
    if (n >= 0 && n < n_past_) n_past_ = n;
}

Result<std::unique_ptr<DecoderState>> DecoderState::clone() const {
    return make_error(ErrorCode::Unsupported, "whisper: clone is not implemented yet");
}

uint64_t DecoderState::cache_bytes() const { return (k_.size() + vt_.size()) * sizeof(float); }

}  // namespace atelier::infer::whisper
