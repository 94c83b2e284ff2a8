// safetensors loading: a single file (written by the safetensors package), a 2-shard model with
// its index and sidecar JSON files, hand-assembled BF16/F8 tensors; and bad files, each a clear
// error naming the file and what was expected.
#include <gtest/gtest.h>

#include <cstring>

#include "inference/loaders/safetensors.h"
#include "inference/model.h"
#include "loader-test-util.h"

namespace atelier::infer {
namespace {
using namespace test;
namespace fs = std::filesystem;
using nlohmann::json;

// Checks every tensor of `m` against expected.json (dtype, HF shape, SHA-256 of the bytes).
void expect_matches(const Model& m, const fs::path& expected_json) {
    const json expected = read_json(expected_json);
    ASSERT_EQ(m.tensors().size(), expected["tensors"].size());
    for (const auto& [name, e] : expected["tensors"].items()) {
        const Tensor* t = m.find_tensor(name);
        ASSERT_NE(t, nullptr) << name;
        EXPECT_STREQ(dtype_safetensors_name(t->type), e["dtype"].get<std::string>().c_str()) << name;
        std::vector<int64_t> hf_shape;
        for (int d = t->n_dims - 1; d >= 0; --d) hf_shape.push_back(t->ne[static_cast<size_t>(d)]);
        EXPECT_EQ(json(hf_shape), e["shape"]) << name;
        EXPECT_EQ(sha256_hex(t->data, static_cast<size_t>(t->n_bytes())), e["sha256"]) << name;
    }
    for (const auto& [k, v] : expected["metadata"].items()) EXPECT_EQ(m.safetensors_metadata().at(k), v.get<std::string>());
}

TEST(Safetensors, SingleFileLoads) {
    for (const fs::path& p : {fixtures_dir() / "st-single" / "model.safetensors", fixtures_dir() / "st-single"}) {
        auto m = load_model(p);
        ASSERT_TRUE(m.ok()) << m.error().message();
        expect_matches(**m, fixtures_dir() / "st-single" / "expected.json");
        EXPECT_EQ((*m)->format(), ModelFormat::Safetensors);
        EXPECT_EQ((*m)->architecture(), "tinyllama");
        EXPECT_EQ((*m)->hparam("block_count", {"num_hidden_layers"}), 1);
    }
}

TEST(Safetensors, ShardedModelWithIndexAndSidecars) {
    const auto dir = fixtures_dir() / "st-sharded";
    auto m = load_model(dir);
    ASSERT_TRUE(m.ok()) << m.error().message();
    expect_matches(**m, dir / "expected.json");
    EXPECT_EQ((*m)->files().size(), 2u);
    EXPECT_EQ((*m)->architecture(), "DeepseekV4ForCausalLM");
    ASSERT_NE((*m)->config(), nullptr);
    EXPECT_EQ((*(*m)->config())["kv_lora_rank"], 4);
    ASSERT_NE((*m)->tokenizer_config(), nullptr);
    EXPECT_EQ((*(*m)->tokenizer_config())["eos_token"], "</s>");
    EXPECT_EQ(json::parse((*m)->tokenizer_json())["model"]["type"], "BPE");
    auto via_index = load_model(dir / "model.safetensors.index.json");
    ASSERT_TRUE(via_index.ok()) << via_index.error().message();
    EXPECT_EQ((*via_index)->tensors().size(), (*m)->tensors().size());
}

TEST(Safetensors, SpecialDtypesLoad) {
    auto m = load_model(fixtures_dir() / "st-special" / "model.safetensors");
    ASSERT_TRUE(m.ok()) << m.error().message();
    expect_matches(**m, fixtures_dir() / "st-special" / "expected.json");
    EXPECT_EQ((*m)->find_tensor("w.fp8")->type, DType::F8_E4M3);
    EXPECT_EQ((*m)->find_tensor("w.fp8.scale")->type, DType::F8_E8M0);
    EXPECT_EQ((*m)->find_tensor("w.fp4_as_i8")->type, DType::I8);
}

std::vector<uint8_t> st_file(const std::string& header_json, size_t data_bytes) {
    std::vector<uint8_t> b(8 + header_json.size() + data_bytes, 0x11);
    const uint64_t n = header_json.size();
    std::memcpy(b.data(), &n, 8);
    std::memcpy(b.data() + 8, header_json.data(), header_json.size());
    return b;
}

void expect_bad(const std::vector<uint8_t>& bytes, ErrorCode code, const std::string& phrase) {
    const auto path = temp_dir("st-bad") / "bad.safetensors";
    write_bytes(path, bytes);
    auto m = load_model(path);
    ASSERT_FALSE(m.ok()) << phrase;
    EXPECT_EQ(m.error().code, code) << m.error().message();
    EXPECT_NE(m.error().detail.find(path.string()), std::string::npos) << m.error().detail;
    EXPECT_NE(m.error().message().find(phrase), std::string::npos) << "expected '" << phrase << "' in: " << m.error().message();
}

TEST(SafetensorsBad, HeaderLengthJsonAndEntries) {
    std::vector<uint8_t> short_file = {1, 2, 3};
    expect_bad(short_file, ErrorCode::ModelTruncated, "8-byte header length");
    auto beyond = st_file("{}", 0);
    beyond[0] = 200;
    expect_bad(beyond, ErrorCode::ModelTruncated, "the JSON header needs bytes 8..208");
    auto huge = st_file("{}", 0);
    huge[7] = 1;
    expect_bad(huge, ErrorCode::ModelFormat, "expected at most 104857600");
    expect_bad(st_file("{\"a\": [1, 2", 0), ErrorCode::ModelFormat, "not valid JSON");
    expect_bad(st_file("[1]", 0), ErrorCode::ModelFormat, "not a JSON object");
    expect_bad(st_file(std::string(100, '[') + std::string(100, ']'), 0), ErrorCode::ModelFormat, "nests deeper");
    expect_bad(st_file(R"({"t": {"dtype": "F32", "shape": [2], "data_offsets": [0, 12]}})", 12), ErrorCode::ModelFormat,
               "tensor t has data_offsets [0, 12] but its dtype F32 and shape need 8 bytes");
    expect_bad(st_file(R"({"t": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}})", 8), ErrorCode::ModelTruncated,
               "tensor t needs bytes");
    expect_bad(st_file(R"({"t": {"dtype": "Q9", "shape": [4], "data_offsets": [0, 4]}})", 4), ErrorCode::ModelUnsupported,
               "dtype Q9");
    expect_bad(st_file(R"({"t": {"dtype": "F32", "shape": [-4], "data_offsets": [0, 4]}})", 4), ErrorCode::ModelFormat,
               "not a non-negative integer");
    expect_bad(st_file(R"({"t": {"dtype": "F32", "shape": [4], "data_offsets": [8, 0]}})", 16), ErrorCode::ModelFormat,
               "data_offsets [8, 0]");
    expect_bad(st_file(R"({"t": {"dtype": "F32", "shape": [1,1,1,1,1], "data_offsets": [0, 4]}})", 4),
               ErrorCode::ModelUnsupported, "5 dimensions");
    expect_bad(st_file(R"({"t": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 4]}})", 4),
               ErrorCode::ModelFormat, "overflows");
    expect_bad(st_file(R"({"t": {"dtype": "F32", "shape": [4294967296, 4294967296, 0], "data_offsets": [0, 0]}})", 0),
               ErrorCode::ModelFormat, "overflows");
    expect_bad(st_file(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                          "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})", 12),
               ErrorCode::ModelFormat, "tensors a and b overlap");
    expect_bad(st_file(R"({"t": {"shape": [2], "data_offsets": [0, 8]}})", 8), ErrorCode::ModelFormat, "no dtype");
    expect_bad(st_file(R"({"__metadata__": 5})", 0), ErrorCode::ModelFormat, "__metadata__ is not an object");
}

fs::path copy_sharded(const std::string& name) {
    const auto dir = temp_dir(name);
    for (const auto& e : fs::directory_iterator(fixtures_dir() / "st-sharded")) fs::copy_file(e.path(), dir / e.path().filename());
    return dir;
}

TEST(SafetensorsBad, MissingShard) {
    const auto dir = copy_sharded("st-missing-shard");
    fs::remove(dir / "model-00002-of-00002.safetensors");
    auto m = load_model(dir);
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.error().code, ErrorCode::ModelTruncated);
    EXPECT_NE(m.error().detail.find("shard model-00002-of-00002.safetensors is listed in the index but"), std::string::npos)
        << m.error().detail;
    EXPECT_NE(m.error().detail.find((dir / "model.safetensors.index.json").string()), std::string::npos);
}

TEST(SafetensorsBad, TensorListedButMissingAndBadIndex) {
    auto dir = copy_sharded("st-missing-tensor");
    json index = read_json(dir / "model.safetensors.index.json");
    index["weight_map"]["model.layers.9.ghost.weight"] = "model-00001-of-00002.safetensors";
    std::string text = index.dump();
    write_bytes(dir / "model.safetensors.index.json", std::vector<uint8_t>(text.begin(), text.end()));
    auto m = load_model(dir);
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.error().code, ErrorCode::ModelTruncated);
    EXPECT_NE(m.error().detail.find("tensor model.layers.9.ghost.weight is listed in shard model-00001-of-00002.safetensors but no shard contains it"),
              std::string::npos)
        << m.error().detail;

    dir = copy_sharded("st-bad-index");
    text = R"({"weight_map": {"x": "../../etc/passwd"}})";
    write_bytes(dir / "model.safetensors.index.json", std::vector<uint8_t>(text.begin(), text.end()));
    m = load_model(dir);
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.error().code, ErrorCode::ModelFormat);
    EXPECT_NE(m.error().detail.find("expected a file name in the same folder"), std::string::npos) << m.error().detail;

    dir = copy_sharded("st-bad-config");
    text = "{not json";
    write_bytes(dir / "config.json", std::vector<uint8_t>(text.begin(), text.end()));
    m = load_model(dir);
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.error().code, ErrorCode::ModelFormat);
    EXPECT_NE(m.error().detail.find("config.json is not a JSON object"), std::string::npos) << m.error().detail;
}

TEST(SafetensorsBad, TruncatedShardNamesTensor) {
    const auto dir = copy_sharded("st-truncated");
    const auto shard = dir / "model-00001-of-00002.safetensors";
    auto bytes = read_bytes(shard);
    bytes.resize(bytes.size() - 5);
    write_bytes(shard, bytes);
    auto m = load_model(dir);
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.error().code, ErrorCode::ModelTruncated);
    EXPECT_NE(m.error().detail.find(shard.string()), std::string::npos) << m.error().detail;
    EXPECT_NE(m.error().detail.find("needs bytes"), std::string::npos) << m.error().detail;
}

}  // namespace
}  // namespace atelier::infer
