// The tokenizer that comes with a model: tokenizer.json (+ tokenizer_config.json) beside a
// safetensors model, or the tokenizer.ggml.* metadata of a GGUF. Used by the CLI's generate/chat
// and the chat pipeline.
// Thread-safety: pure function; the Model is only read.
#pragma once

#include <memory>

#include "core/result.h"
#include "inference/model.h"
#include "inference/tokenizer/tokenizer.h"

namespace atelier::infer {

// Errors: NotFound (a safetensors model without tokenizer.json, a GGUF without tokenizer
// metadata), ModelFormat / ModelUnsupported from the tokenizer front ends.
Result<std::shared_ptr<const Tokenizer>> tokenizer_for_model(const Model& model);

}  // namespace atelier::infer
