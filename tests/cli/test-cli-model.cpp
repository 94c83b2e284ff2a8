// `atelier-cli model info` on the loader fixtures: the --json figures are checked against the
// fixtures' sidecars (written from what gguf-py / safetensors were given), a bad model file exits
// 2 with a JSON error naming the file, and --ctx drives the memory plan.
#include <cstdint>
#include <fstream>

#include <nlohmann/json.hpp>

#include "../pipelines/test-util.h"

namespace atelier::test {
namespace {

using nlohmann::json;

const fs::path kFixtures = fs::path(ATELIER_TEST_DATA_DIR) / "inference" / "loaders" / "fixtures";

struct CliModelRun {
    int code = -1;
    std::string out;
};

CliModelRun model_info(const std::vector<std::string>& args) {
    std::string cmd = shell_quote(ATELIER_CLI_PATH) + " model info";
    for (const auto& a : args) cmd += " " + shell_quote(a);
    CliModelRun r;
    r.out = run_capture(cmd + " 2>/dev/null", &r.code);
    return r;
}

json sidecar(const fs::path& p) {
    std::ifstream in(p);
    return json::parse(in);
}

TEST(CliModel, GgufInfoJsonMatchesTheFixture) {
    const json expected = sidecar(kFixtures / "tiny.gguf.json");
    const CliModelRun r = model_info({(kFixtures / "tiny.gguf").string(), "--json", "--tensors", "--ctx", "2048"});
    ASSERT_EQ(r.code, 0) << r.out;
    const json m = json::parse(r.out).at("model");
    EXPECT_EQ(m.at("format"), "gguf");
    EXPECT_EQ(m.at("architecture"), expected["metadata"]["general.architecture"]["value"]);
    EXPECT_EQ(m.at("tensor_count"), expected["tensors"].size());
    int64_t params = 0;
    for (const auto& [name, t] : expected["tensors"].items()) {
        int64_t n = 1;
        for (const auto& d : t["shape"]) n *= d.get<int64_t>();
        params += n;
    }
    EXPECT_EQ(m.at("parameter_count"), params);
    ASSERT_EQ(m.at("tensors").size(), expected["tensors"].size());
    for (const auto& t : m.at("tensors")) EXPECT_EQ(t.at("shape"), expected["tensors"][t.at("name").get<std::string>()]["shape"]);
    uint64_t sum = 0;
    for (const auto& [type, bytes] : m.at("type_bytes").items()) sum += bytes.get<uint64_t>();
    EXPECT_EQ(sum, m.at("total_bytes").get<uint64_t>());
    const json& plan = m.at("memory_plan");
    EXPECT_EQ(plan.at("n_ctx"), 2048);
    EXPECT_EQ(plan.at("verdict"), "fits");  // a few KB of weights
    // Generic f16 cache: 2 (K,V) * 2 layers * 2 KV heads * (64 / 4 heads) dims * 2 bytes per token.
    EXPECT_EQ(plan.at("cache_bytes_per_token"), 2 * 2 * 2 * 16 * 2);
}

TEST(CliModel, ShardedSafetensorsInfo) {
    const json expected = sidecar(kFixtures / "st-sharded" / "expected.json");
    const CliModelRun r = model_info({(kFixtures / "st-sharded").string(), "--json"});
    ASSERT_EQ(r.code, 0) << r.out;
    const json m = json::parse(r.out).at("model");
    EXPECT_EQ(m.at("format"), "safetensors");
    EXPECT_EQ(m.at("architecture"), "DeepseekV4ForCausalLM");
    EXPECT_EQ(m.at("tensor_count"), expected["tensors"].size());
    EXPECT_EQ(m.at("files").size(), 2u);
    EXPECT_FALSE(m.contains("tensors"));
    // MLA cache from config.json: 2 layers * (kv_lora_rank 4 + rope 2) * 2 bytes.
    EXPECT_EQ(m.at("memory_plan").at("cache_bytes_per_token"), 2 * 6 * 2);
}

TEST(CliModel, HumanOutputAndErrors) {
    CliModelRun r = model_info({(kFixtures / "tiny.gguf").string(), "--tensors"});
    ASSERT_EQ(r.code, 0);
    EXPECT_NE(r.out.find("architecture: testarch"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("blk.1.ffn_up_exps.weight"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("Fits"), std::string::npos) << r.out;

    TempDir dir;
    const fs::path bad = dir.path() / "cut.gguf";
    {
        std::ifstream in(kFixtures / "tiny.gguf", std::ios::binary);
        std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        std::ofstream(bad, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
    }
    r = model_info({bad.string(), "--json"});
    EXPECT_EQ(r.code, 2);
    const json e = json::parse(r.out).at("error");
    EXPECT_EQ(e.at("name"), "model_truncated");
    EXPECT_NE(e.at("detail").get<std::string>().find(bad.string()), std::string::npos);
    EXPECT_EQ(model_info({(dir.path() / "none.gguf").string()}).code, 2);
    EXPECT_EQ(model_info({(kFixtures / "tiny.gguf").string(), "--ctx", "many"}).code, 1);
    EXPECT_EQ(model_info({}).code, 1);
}

}  // namespace
}  // namespace atelier::test
