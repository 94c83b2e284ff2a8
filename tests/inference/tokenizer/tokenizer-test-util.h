// Shared by the tokenizer tests: the committed fixtures (tools/make-tokenizer-fixtures.py) and
// the reference goldens (tools/make-tokenizer-goldens.py), loaded once per process.
// Thread-safety: call from the test thread; the returned objects are immutable.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "inference/tokenizer/tokenizer.h"

namespace atelier::infer::test {

struct Golden {
    int line = 0;
    std::string text;
    std::vector<TokenId> ids;
    std::optional<std::vector<TokenId>> ids_plain;  // absent: same as ids
    std::optional<std::vector<TokenId>> ids_bos;
    std::optional<std::string> decoded;       // absent: equals text
    std::optional<std::string> decoded_skip;  // absent: equals text
    bool decode_only = false;                 // a decode_ids case: ids -> decoded / decoded_skip
    bool invalid_utf8 = false;                // a bytes_hex case: text holds invalid UTF-8 bytes
};

std::string fixture_path(const std::string& name);
std::string read_file(const std::string& path);
const std::vector<Golden>& goldens();
std::shared_ptr<const Tokenizer> json_tokenizer();  // from fixtures/tokenizer.json
std::shared_ptr<const Tokenizer> gguf_tokenizer();  // from fixtures/tokenizer.gguf
std::string ids_to_string(const std::vector<TokenId>& ids);

}  // namespace atelier::infer::test
