// Shared by the runtime tests: the real tokenizer fixture (DeepSeek V4 layout and special tokens,
// tests/inference/tokenizer/fixtures), and byte tokens for building texts token by token.
// Thread-safety: test thread only.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "inference/tokenizer/tokenizer.h"

namespace atelier::infer::test {

std::string read_text_file(const std::string& path);
std::shared_ptr<const Tokenizer> fixture_tokenizer();  // tokenizer.json + tokenizer_config.json
// The id of the single-byte token for each byte value (byte-level BPE has all 256).
int32_t byte_token(unsigned char byte);
// One token per byte of `text`.
std::vector<int32_t> byte_tokens(const std::string& text);

}  // namespace atelier::infer::test
