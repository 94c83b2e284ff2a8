// Fixture and golden loading for the tokenizer tests (see tokenizer-test-util.h).
#include "tokenizer-test-util.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "inference/loaders/gguf.h"
#include "inference/loaders/mapped-file.h"

namespace atelier::infer::test {

std::string fixture_path(const std::string& name) {
    return std::string(ATELIER_TEST_DATA_DIR) + "/inference/tokenizer/fixtures/" + name;
}

std::string read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

const std::vector<Golden>& goldens() {
    static const std::vector<Golden> all = [] {
        std::vector<Golden> out;
        std::ifstream f(fixture_path("goldens.jsonl"), std::ios::binary);
        std::string line;
        int n = 0;
        while (std::getline(f, line)) {
            ++n;
            const auto j = nlohmann::json::parse(line);
            Golden g;
            g.line = n;
            if (j.contains("decode_ids")) {
                g.decode_only = true;
                g.ids = j["decode_ids"].get<std::vector<TokenId>>();
            } else if (j.contains("bytes_hex")) {
                g.invalid_utf8 = true;
                const std::string hex = j["bytes_hex"].get<std::string>();
                for (size_t i = 0; i + 1 < hex.size(); i += 2)
                    g.text += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
                g.ids = j["ids"].get<std::vector<TokenId>>();
            } else {
                g.text = j["text"].get<std::string>();
                g.ids = j["ids"].get<std::vector<TokenId>>();
            }
            if (j.contains("ids_plain")) g.ids_plain = j["ids_plain"].get<std::vector<TokenId>>();
            if (j.contains("ids_bos")) g.ids_bos = j["ids_bos"].get<std::vector<TokenId>>();
            if (j.contains("decoded")) g.decoded = j["decoded"].get<std::string>();
            if (j.contains("decoded_skip")) g.decoded_skip = j["decoded_skip"].get<std::string>();
            out.push_back(std::move(g));
        }
        return out;
    }();
    return all;
}

std::shared_ptr<const Tokenizer> json_tokenizer() {
    static const std::shared_ptr<const Tokenizer> tok = [] {
        auto r = from_tokenizer_json(read_file(fixture_path("tokenizer.json")), "fixtures/tokenizer.json");
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
        return r.ok() ? *r : nullptr;
    }();
    return tok;
}

std::shared_ptr<const Tokenizer> gguf_tokenizer() {
    static const std::shared_ptr<const Tokenizer> tok = []() -> std::shared_ptr<const Tokenizer> {
        auto file = MappedFile::open(fixture_path("tokenizer.gguf"));
        EXPECT_TRUE(file.ok()) << (file.ok() ? "" : file.error().message());
        if (!file.ok()) return nullptr;
        auto header = parse_gguf((*file)->data(), (*file)->size(), "fixtures/tokenizer.gguf");
        EXPECT_TRUE(header.ok()) << (header.ok() ? "" : header.error().message());
        if (!header.ok()) return nullptr;
        auto r = from_gguf_metadata(*header, "fixtures/tokenizer.gguf");
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
        return r.ok() ? *r : nullptr;
    }();
    return tok;
}

std::string ids_to_string(const std::vector<TokenId>& ids) {
    std::string s = "[";
    for (size_t i = 0; i < ids.size(); ++i) s += (i ? ", " : "") + std::to_string(ids[i]);
    return s + "]";
}

}  // namespace atelier::infer::test
