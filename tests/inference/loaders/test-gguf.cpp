// GGUF loading against the reference gguf-py: its fixture loads with identical metadata and tensor
// bytes (sidecar written from the values given to gguf-py); a file we write reads back in gguf-py
// (tools/check-gguf.py) with the same metadata and tensors; the typed metadata API.
#include <gtest/gtest.h>

#include <cmath>

#include "inference/loaders/gguf-writer.h"
#include "inference/loaders/gguf.h"
#include "inference/model.h"
#include "loader-test-util.h"

namespace atelier::infer {
namespace {
using namespace test;
using nlohmann::json;

TEST(Gguf, GgufPyFixtureLoadsWithIdenticalMetadataAndTensors) {
    const auto path = fixtures_dir() / "tiny.gguf";
    auto m = load_model(path);
    ASSERT_TRUE(m.ok()) << m.error().message();
    const json expected = read_json(fixtures_dir() / "tiny.gguf.json");
    const json got = describe_gguf_model(**m);
    EXPECT_EQ(got["metadata"], expected["metadata"]);
    EXPECT_EQ(got["tensors"], expected["tensors"]);
    EXPECT_EQ((*m)->format(), ModelFormat::Gguf);
    EXPECT_EQ((*m)->architecture(), "testarch");
    EXPECT_EQ((*m)->tensors().size(), expected["tensors"].size());
    // Views, not copies: every tensor's bytes lie inside the one mapping.
    for (const auto& t : (*m)->tensors()) EXPECT_TRUE(t.storage != nullptr) << t.name;
}

TEST(Gguf, MetadataApiGivesTypedValues) {
    auto m = load_model(fixtures_dir() / "tiny.gguf");
    ASSERT_TRUE(m.ok()) << m.error().message();
    const Model& model = **m;
    const GgufValue* toks = model.gguf_value("tokenizer.ggml.tokens");
    ASSERT_NE(toks, nullptr);
    ASSERT_NE(toks->as_strings(), nullptr);
    EXPECT_EQ(toks->as_strings()->at(6), "你好");
    auto types = model.gguf_value("tokenizer.ggml.token_type")->as_ints();
    ASSERT_TRUE(types);
    EXPECT_EQ(types->at(0), 3);
    auto scores = model.gguf_value("tokenizer.ggml.scores")->as_numbers();
    ASSERT_TRUE(scores);
    EXPECT_EQ(scores->at(3), static_cast<double>(0.1f));
    EXPECT_EQ(model.gguf_value("test.u64")->as_uint(), (1ull << 63) + 5);
    EXPECT_FALSE(model.gguf_value("test.u64")->as_int());  // above INT64_MAX
    EXPECT_EQ(model.gguf_value("test.i8")->as_int(), -100);
    EXPECT_EQ(model.gguf_value("test.bool_t")->as_bool(), true);
    EXPECT_EQ(model.gguf_value("test.f64")->as_number(), 3.141592653589793);
    const auto* nested = model.gguf_value("test.nested_ints")->as_arrays();
    ASSERT_NE(nested, nullptr);
    ASSERT_EQ(nested->size(), 2u);
    EXPECT_EQ(nested->at(1).as_ints(), (std::vector<int64_t>{3, 4, 5}));
    EXPECT_EQ(model.gguf_value("nope"), nullptr);
    EXPECT_EQ(model.hparam("block_count", {}), 2);
    const Tensor* q = model.find_tensor("blk.1.ffn_down.weight");
    ASSERT_NE(q, nullptr);
    EXPECT_EQ(q->type, DType::Q8_0);
    EXPECT_EQ(q->ne[0], 64);
    EXPECT_EQ(q->nb[1], 68);  // 2 blocks of 34 bytes
}

// What our writer is given, and how gguf-py must read it back.
GgufWriter make_round_trip_writer(json& expected) {
    GgufWriter w(64);
    auto add = [&](const std::string& key, GgufValue v) {
        EXPECT_TRUE(w.set(key, v).ok()) << key;
        expected["metadata"][key] = value_json(v);
    };
    add("general.architecture", GgufValue::make_string("roundtrip"));
    add("rt.u8", GgufValue::make_uint(GgufType::U8, 200));
    add("rt.i8", GgufValue::make_int(GgufType::I8, -7));
    add("rt.u16", GgufValue::make_uint(GgufType::U16, 60000));
    add("rt.i16", GgufValue::make_int(GgufType::I16, -30000));
    add("rt.u32", GgufValue::make_uint(GgufType::U32, 4000000000u));
    add("rt.i32", GgufValue::make_int(GgufType::I32, -123456789));
    add("rt.u64", GgufValue::make_uint(GgufType::U64, UINT64_MAX - 1));
    add("rt.i64", GgufValue::make_int(GgufType::I64, INT64_MIN + 1));
    add("rt.f32", GgufValue::make_float(GgufType::F32, 1.0 / 3.0));
    add("rt.f64", GgufValue::make_float(GgufType::F64, -2.5e-300));
    add("rt.bool", GgufValue::make_bool(true));
    add("rt.string", GgufValue::make_string("ünïcode ✓ \"quoted\""));
    add("rt.strings", GgufValue::make_array_strings({"a", "", "Ġthe", "🙂"}));
    add("rt.i32s", GgufValue::make_array_of<int32_t>(GgufType::I32, {1, -2, 3}));
    add("rt.f32s", GgufValue::make_array_of<float>(GgufType::F32, {0.5f, -1.25f}));
    add("rt.u64s", GgufValue::make_array_of<uint64_t>(GgufType::U64, {0, UINT64_MAX}));
    add("rt.f64s", GgufValue::make_array_of<double>(GgufType::F64, {1e-310, 7.0}));
    add("rt.bools", GgufValue::make_array_of<uint8_t>(GgufType::Bool, {1, 0}));
    add("rt.nested", GgufValue::make_array_arrays({GgufValue::make_array_of<int32_t>(GgufType::I32, {1, 2}),
                                                   GgufValue::make_array_strings({"x"})}));
    expected["metadata"]["general.alignment"] = {{"type", "u32"}, {"value", 64}};
    auto tensor = [&](const std::string& name, DType type, std::vector<int64_t> ne, size_t n_bytes, uint8_t seed) {
        std::vector<uint8_t> bytes(n_bytes);
        for (size_t i = 0; i < n_bytes; ++i) bytes[i] = static_cast<uint8_t>(seed + i * 7);
        if (type == DType::Q8_0 || type == DType::Q4_K)  // finite f16 block scales (0x2000 ~ 0.0078)
            for (size_t b = 0; b < n_bytes; b += static_cast<size_t>(dtype_traits(type).block_bytes)) bytes[b] = 0, bytes[b + 1] = 0x20;
        std::string tn = dtype_name(type);
        for (auto& ch : tn) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        expected["tensors"][name] = {{"type", tn}, {"shape", ne}, {"sha256", sha256_hex(bytes.data(), bytes.size())}};
        EXPECT_TRUE(w.add_tensor(name, type, ne, std::move(bytes)).ok()) << name;
    };
    tensor("a.f32", DType::F32, {5, 3}, 60, 1);
    tensor("b.f16", DType::F16, {7}, 14, 2);
    tensor("c.bf16", DType::BF16, {4, 2, 3}, 48, 3);
    tensor("d.q8_0", DType::Q8_0, {64, 3}, 6 * 34, 4);
    tensor("e.q4_K", DType::Q4_K, {256, 2, 1, 2}, 4 * 144, 5);
    return w;
}

TEST(Gguf, OurWriterRoundTripsThroughGgufPy) {
    if (!venv_python_present())
        GTEST_SKIP() << "no " << venv_python() << ": run scripts/setup, which creates the .venv with gguf==0.17.1";
    json expected;
    GgufWriter w = make_round_trip_writer(expected);
    const auto path = temp_dir("roundtrip") / "ours.gguf";
    ASSERT_TRUE(w.write(path).ok());
    int rc = 0;
    const std::string out = run_capture(venv_python() + " " + (repo_root() / "tools" / "check-gguf.py").string() + " " + path.string(), &rc);
    ASSERT_EQ(rc, 0) << out;
    const json got = json::parse(out);
    EXPECT_EQ(got["version"], 3);
    EXPECT_EQ(got["alignment"], 64);
    EXPECT_EQ(got["metadata"], expected["metadata"]);
    EXPECT_EQ(got["tensors"], expected["tensors"]);
    // And our own reader agrees byte for byte.
    auto m = load_model(path);
    ASSERT_TRUE(m.ok()) << m.error().message();
    const json ours = describe_gguf_model(**m);
    EXPECT_EQ(ours["metadata"], expected["metadata"]);
    EXPECT_EQ(ours["tensors"], expected["tensors"]);
}

TEST(Gguf, WriterIsAtomicAndRefusesBadInput) {
    GgufWriter w;
    EXPECT_FALSE(w.set("bad", GgufValue{}).ok());
    EXPECT_FALSE(w.add_tensor("t", DType::F32, {3}, std::vector<uint8_t>(11)).ok());  // 12 bytes needed
    ASSERT_TRUE(w.add_tensor("t", DType::F32, {3}, std::vector<uint8_t>(12)).ok());
    EXPECT_FALSE(w.add_tensor("t", DType::F32, {3}, std::vector<uint8_t>(12)).ok());  // duplicate
    EXPECT_FALSE(w.add_tensor("u", DType::F8_E4M3, {3}, std::vector<uint8_t>(3)).ok());  // no GGUF id
    const auto dir = temp_dir("atomic");
    ASSERT_TRUE(w.write(dir / "x.gguf").ok());
    for (const auto& e : std::filesystem::directory_iterator(dir)) EXPECT_EQ(e.path().filename(), "x.gguf");
    const auto missing = dir / "no-such-dir" / "x.gguf";
    auto st = w.write(missing);
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().detail.find(missing.string()), std::string::npos);
}

TEST(Gguf, ValueDisplayAndEquality) {
    EXPECT_EQ(GgufValue::make_int(GgufType::I32, -3).to_display(), "-3");
    EXPECT_EQ(GgufValue::make_array_of<int32_t>(GgufType::I32, {1, 2, 3}).to_display(2), "[1, 2, ... (3 items)]");
    EXPECT_EQ(GgufValue::make_uint(GgufType::U8, 300).as_uint(), 44u);  // truncated to the width
    EXPECT_EQ(GgufValue::make_int(GgufType::I8, -1).as_int(), -1);
    EXPECT_EQ(GgufValue::make_string("x"), GgufValue::make_string("x"));
    EXPECT_FALSE(GgufValue::make_uint(GgufType::I32, 1).type() != GgufType::Invalid);  // wrong kind
}

}  // namespace
}  // namespace atelier::infer
