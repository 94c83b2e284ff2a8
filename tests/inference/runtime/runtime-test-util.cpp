// Tokenizer fixture and byte tokens for the runtime tests (runtime-test-util.h).
#include "runtime-test-util.h"

#include <array>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace atelier::infer::test {

std::string read_text_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw std::runtime_error("cannot open " + path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

std::shared_ptr<const Tokenizer> fixture_tokenizer() {
    static const std::shared_ptr<const Tokenizer> tok = [] {
        const std::string dir = std::string(ATELIER_TEST_DATA_DIR) + "/inference/tokenizer/fixtures/";
        auto desc = tokenizer_desc_from_json(read_text_file(dir + "tokenizer.json"), "tokenizer.json");
        if (!desc.ok()) throw std::runtime_error(desc.error().message());
        auto st = apply_tokenizer_config(read_text_file(dir + "tokenizer_config.json"), *desc);
        if (!st.ok()) throw std::runtime_error(st.error().message());
        auto t = Tokenizer::create(std::move(*desc));
        if (!t.ok()) throw std::runtime_error(t.error().message());
        return *t;
    }();
    return tok;
}

int32_t byte_token(unsigned char byte) {
    static const std::array<int32_t, 256> table = [] {
        std::array<int32_t, 256> t{};
        t.fill(-1);
        const auto& tok = *fixture_tokenizer();
        for (size_t id = 0; id < tok.vocab_size(); ++id) {
            const std::string piece = tok.token_to_piece(static_cast<TokenId>(id));
            if (piece.size() == 1 && !tok.is_special(static_cast<TokenId>(id)) &&
                t[static_cast<unsigned char>(piece[0])] < 0)
                t[static_cast<unsigned char>(piece[0])] = static_cast<int32_t>(id);
        }
        return t;
    }();
    if (table[byte] < 0) throw std::runtime_error("no single-byte token");
    return table[byte];
}

std::vector<int32_t> byte_tokens(const std::string& text) {
    std::vector<int32_t> out;
    for (char c : text) out.push_back(byte_token(static_cast<unsigned char>(c)));
    return out;
}

}  // namespace atelier::infer::test
