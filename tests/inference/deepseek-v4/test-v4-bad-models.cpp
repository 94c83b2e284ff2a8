// Bad DeepSeek V4 models are clear errors: copies of the tiny checkpoint with one thing broken
// (a config field missing or contradictory, a tensor missing or misshapen, a scale missing, a
// hash-routing table out of range, a GGUF key or tensor missing). Each must fail load_causal_lm
// with ModelFormat naming the field or tensor and what was expected; other architectures are
// ModelUnsupported. Thread-safety: test code, main thread.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

#include "inference/loaders/gguf-writer.h"
#include "../loaders/loader-test-util.h"
#include "v4-test-util.h"

namespace atelier::infer::test {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

// A copy of a checkpoint folder whose config.json is `edit`ed.
fs::path copy_with_config(const fs::path& src, const std::string& name, const std::function<void(json&)>& edit) {
    const fs::path dir = temp_dir("v4-bad-" + name);
    for (const auto& e : fs::directory_iterator(src)) fs::copy_file(e.path(), dir / e.path().filename());
    json cfg = read_json(src / "config.json");
    edit(cfg);
    std::ofstream(dir / "config.json") << cfg.dump(2);
    return dir;
}

// Rewrites a single-file safetensors header (the data buffer is kept byte for byte).
void edit_safetensors(const fs::path& file, const std::function<void(json&, std::vector<uint8_t>& data)>& edit) {
    std::vector<uint8_t> bytes = read_bytes(file);
    uint64_t n = 0;
    std::memcpy(&n, bytes.data(), 8);
    json h = json::parse(bytes.begin() + 8, bytes.begin() + 8 + static_cast<std::ptrdiff_t>(n));
    std::vector<uint8_t> data(bytes.begin() + 8 + static_cast<std::ptrdiff_t>(n), bytes.end());
    edit(h, data);
    std::string text = h.dump();
    while (text.size() % 8) text += ' ';
    const uint64_t len = text.size();
    std::string all(reinterpret_cast<const char*>(&len), 8);  // little-endian host
    all += text;
    all.append(reinterpret_cast<const char*>(data.data()), data.size());
    write_bytes(file, std::vector<uint8_t>(all.begin(), all.end()));
}

Error load_error(const fs::path& p) {
    auto m = load_model(p);
    if (!m.ok()) return m.error();
    auto lm = load_causal_lm(*m, {.numerics = Numerics::Released});
    if (lm.ok()) return Error{};
    return lm.error();
}

void expect_error(const Error& e, ErrorCode code, std::initializer_list<const char*> phrases) {
    EXPECT_EQ(e.code, code) << e.message();
    for (const char* p : phrases) EXPECT_NE(e.detail.find(p), std::string::npos) << "'" << p << "' not in: " << e.detail;
    EXPECT_FALSE(e.hint.empty()) << e.detail;
}

TEST(V4BadModels, ConfigFieldsMissingOrContradictory) {
    struct Case {
        const char* name;
        std::function<void(json&)> edit;
        std::initializer_list<const char*> phrases;
    };
    const Case cases[] = {
        {"missing", [](json& c) { c.erase("n_routed_experts"); }, {"n_routed_experts", "missing"}},
        {"contradictory", [](json& c) { c["hidden_size"] = 256; }, {"dim", "hidden_size", "contradictory"}},
        {"ratios", [](json& c) { c["compress_ratios"] = {0, 4, 128}; }, {"compress_ratios", "3 entries", "6"}},
        {"ratio-value", [](json& c) { c["compress_ratios"][2] = 16; }, {"compress_ratios", "16", "0, 4 or 128"}},
        {"o-groups", [](json& c) { c["o_groups"] = 3; }, {"o_groups", "divisor"}},
        {"active", [](json& c) { c["n_activated_experts"] = 17; }, {"num_experts_per_tok", "17", "1..16"}},
        {"k128", [](json& c) { c["q_lora_rank"] = 96; }, {"q_lora_rank", "multiple of 128"}},
        {"head-dim", [](json& c) { c["head_dim"] = 500; }, {"head_dim", "64"}},
        {"hash", [](json& c) { c["n_hash_layers"] = 6; }, {"num_hash_layers", "0..5"}},
        {"type", [](json& c) { c["dim"] = "128"; }, {"hidden_size", "integer"}},
        {"score", [](json& c) { c["score_func"] = "softmax"; }, {"scoring_func", "sqrtsoftplus"}},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.name);
        expect_error(load_error(copy_with_config(tiny_bf16(), c.name, c.edit)), ErrorCode::ModelFormat, c.phrases);
    }
    // HF names in the official folder: a block size V4 does not use.
    expect_error(load_error(copy_with_config(tiny_fp8(), "block", [](json& c) {
                     c["quantization_config"]["weight_block_size"] = {64, 64};
                 })),
                 ErrorCode::ModelFormat, {"weight_block_size", "[128, 128]"});
}

TEST(V4BadModels, TensorsMissingMisshapenOrOutOfRange) {
    struct Case {
        const char* name;
        std::function<void(json&, std::vector<uint8_t>&)> edit;
        std::initializer_list<const char*> phrases;
    };
    const Case cases[] = {
        {"missing",
         [](json& h, std::vector<uint8_t>&) {
             h["layers.2.attn.wkvX.weight"] = h["layers.2.attn.wkv.weight"];
             h.erase("layers.2.attn.wkv.weight");
         },
         {"layers.2.attn.wkv.weight", "missing", "[512, 128]"}},
        {"shape",
         [](json& h, std::vector<uint8_t>&) { h["layers.0.attn.wq_a.weight"]["shape"] = {64, 256}; },
         {"layers.0.attn.wq_a.weight", "[64, 256]", "expected [128, 128]"}},
        {"mhc", [](json& h, std::vector<uint8_t>&) { h["layers.4.hc_ffn_base"]["shape"] = {4, 6}; },
         {"layers.4.hc_ffn_base", "[4, 6]", "expected [24]"}},
        {"tid2eid",
         [](json& h, std::vector<uint8_t>& data) {  // token 7's first expert becomes 16 (of 0..15)
             const size_t off = h["layers.1.ffn.gate.tid2eid"]["data_offsets"][0].get<size_t>() + 7 * 6 * 4;
             const int32_t e = 16;
             std::memcpy(data.data() + off, &e, 4);
         },
         {"layers.1.ffn.gate.tid2eid", "token 7", "expert 16"}},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.name);
        const fs::path dir = copy_with_config(tiny_bf16(), std::string("t-") + c.name, [](json&) {});
        edit_safetensors(dir / "model.safetensors", c.edit);
        expect_error(load_error(dir), ErrorCode::ModelFormat, c.phrases);
    }
}

TEST(V4BadModels, Fp8WeightWithoutItsScale) {
    const fs::path dir = copy_with_config(tiny_fp8(), "noscale", [](json&) {});
    // Rename the scale in whichever shard holds it, and in the index.
    json idx = read_json(dir / "model.safetensors.index.json");
    const std::string shard = idx["weight_map"]["layers.1.attn.wq_b.scale"];
    idx["weight_map"]["layers.1.attn.wq_b.scaleX"] = shard;
    idx["weight_map"].erase("layers.1.attn.wq_b.scale");
    std::ofstream(dir / "model.safetensors.index.json") << idx.dump();
    edit_safetensors(dir / shard, [](json& h, std::vector<uint8_t>&) {
        h["layers.1.attn.wq_b.scaleX"] = h["layers.1.attn.wq_b.scale"];
        h.erase("layers.1.attn.wq_b.scale");
    });
    expect_error(load_error(dir), ErrorCode::ModelFormat, {"layers.1.attn.wq_b.scale", "missing", "f8_e8m0"});
}

// A copy of the tiny GGUF without one metadata key or one tensor.
fs::path gguf_without(const std::string& name, const std::string& key, const std::string& tensor) {
    auto m = load_model(tiny_gguf());
    EXPECT_TRUE(m.ok());
    GgufWriter w;
    for (const auto& [k, v] : (*m)->gguf_metadata())
        if (k != key && k != "general.alignment") {
            EXPECT_TRUE(w.set(k, v).ok());
        }
    for (const Tensor& t : (*m)->tensors())
        if (t.name != tensor) {
            EXPECT_TRUE(w.add_tensor(t).ok()) << t.name;
        }
    const fs::path out = temp_dir("v4-gguf-" + name) / "bad.gguf";
    EXPECT_TRUE(w.write(out).ok());
    return out;
}

TEST(V4BadModels, GgufKeyOrTensorMissing) {
    expect_error(load_error(gguf_without("key", "deepseek4.attention.output_group_count", "")), ErrorCode::ModelFormat,
                 {"deepseek4.attention.output_group_count", "missing"});
    expect_error(load_error(gguf_without("ratios", "deepseek4.attention.compress_ratios", "")), ErrorCode::ModelFormat,
                 {"compress_ratios", "missing"});
    expect_error(load_error(gguf_without("tensor", "", "blk.3.attn_kv.weight")), ErrorCode::ModelFormat,
                 {"blk.3.attn_kv.weight", "missing", "[128, 512]"});
    expect_error(load_error(gguf_without("experts", "", "blk.0.ffn_up_exps.weight")), ErrorCode::ModelFormat,
                 {"blk.0.ffn_up_exps.weight", "missing", "[128, 128, 16]"});
    // The unchanged copy loads: the writer round trip itself is not what fails above.
    EXPECT_EQ(load_error(gguf_without("same", "", "")).code, ErrorCode::Invalid);
}

TEST(V4BadModels, OtherArchitecturesAreUnsupported) {
    auto m = load_model(fixtures_dir() / "tiny.gguf");
    ASSERT_TRUE(m.ok()) << m.error().message();
    auto lm = load_causal_lm(*m);
    ASSERT_FALSE(lm.ok());
    expect_error(lm.error(), ErrorCode::ModelUnsupported, {"architecture", "not a text-generation architecture"});
    EXPECT_FALSE(parse_numerics("fast").ok());
    EXPECT_EQ(*parse_numerics("exact"), Numerics::Exact);
    EXPECT_STREQ(numerics_name(Numerics::Released), "released");
}

}  // namespace
}  // namespace atelier::infer::test
