// Model loading behaviour (progress, cancel, views) and the memory plan's verdicts on synthetic
// summaries whose sizes are chosen so each verdict follows from the arithmetic stated beside it.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "inference/memory-plan.h"
#include "inference/model.h"
#include "loader-test-util.h"

namespace atelier::infer {
namespace {
using namespace test;

constexpr uint64_t kGiB = 1ull << 30;

TEST(Model, LoadReportsProgressPerTensor) {
    std::vector<std::pair<double, std::string>> seen;
    LoadOptions opts;
    opts.progress = [&](double f, std::string_view name) { seen.emplace_back(f, std::string(name)); };
    auto m = load_model(fixtures_dir() / "tiny.gguf", opts);
    ASSERT_TRUE(m.ok()) << m.error().message();
    ASSERT_EQ(seen.size(), (*m)->tensors().size());
    for (size_t i = 1; i < seen.size(); ++i) EXPECT_GT(seen[i].first, seen[i - 1].first);
    EXPECT_DOUBLE_EQ(seen.back().first, 1.0);
}

TEST(Model, StopRequestedCancelsBetweenTensors) {
    for (const auto& path : {fixtures_dir() / "tiny.gguf", fixtures_dir() / "st-sharded"}) {
        std::stop_source src;
        LoadOptions opts;
        opts.stop = src.get_token();
        int calls = 0;
        opts.progress = [&](double, std::string_view) {
            if (++calls == 2) src.request_stop();
        };
        auto m = load_model(path, opts);
        ASSERT_FALSE(m.ok()) << path;
        EXPECT_EQ(m.error().code, ErrorCode::Cancelled);
        EXPECT_EQ(calls, 2);  // stopped before the third tensor
    }
    std::stop_source before;
    before.request_stop();
    auto m = load_model(fixtures_dir() / "tiny.gguf", LoadOptions{.stop = before.get_token()});
    ASSERT_FALSE(m.ok());
    EXPECT_TRUE(is_cancelled(m.error()));
}

TEST(Model, TensorsAreSortedViewsThatOutliveTheModelHandle) {
    auto m = load_model(fixtures_dir() / "tiny.gguf");
    ASSERT_TRUE(m.ok());
    const auto& ts = (*m)->tensors();
    for (size_t i = 1; i < ts.size(); ++i) EXPECT_LT(ts[i - 1].name, ts[i].name);
    Tensor keep = *(*m)->find_tensor("blk.0.attn_q.weight");
    const float first = *keep.row<float>(0);
    m = make_error(ErrorCode::Unknown, "drop the model");
    EXPECT_EQ(*keep.row<float>(0), first);  // the view's storage keeps the mapping alive
    EXPECT_EQ(keep.shape_string(), "[3, 5]");
}

TEST(Model, SummaryAndTypeMixFromHeaders) {
    auto m = load_model(fixtures_dir() / "tiny.gguf");
    ASSERT_TRUE(m.ok());
    const ModelSummary s = (*m)->summary();
    EXPECT_EQ(s.architecture, "testarch");
    EXPECT_EQ(s.n_layer, 2);
    EXPECT_EQ(s.n_head_kv, 2);
    EXPECT_EQ(s.n_expert, 4);
    EXPECT_EQ(s.n_vocab, 8);  // from tokenizer.ggml.tokens
    EXPECT_EQ(s.expert_bytes, 2u * 2 * 2 * 144);  // blk.1.ffn_up_exps.weight: [512, 2, 2] q4_K
    uint64_t sum = 0;
    for (const auto& [t, b] : (*m)->bytes_by_type()) sum += b;
    EXPECT_EQ(sum, s.weight_bytes);
    EXPECT_EQ((*m)->bytes_by_type().at(DType::Q8_0), 2u * 68);
    EXPECT_EQ((*m)->parameter_count(), 64 + 15 + 24 + 60 + 128 + 96 + 128 + 2048);
}

// Resident files (read into huge-page RAM) against the mapping of the same file: same bytes, the
// start 2 MiB-aligned, progress by bytes up to the size, a stop before the first read honoured.
TEST(Residency, ResidentFileHoldsTheMappedBytes) {
    const auto path = fixtures_dir() / "tiny.gguf";
    auto mapped = MappedFile::open(path);
    ASSERT_TRUE(mapped.ok()) << mapped.error().message();
    uint64_t last = 0;
    OpenFileOptions o;
    o.resident = true;
    o.progress = [&](uint64_t done, uint64_t total) {
        EXPECT_GT(done, last);
        EXPECT_EQ(total, (*mapped)->size());
        last = done;
    };
    auto held = MappedFile::open(path, o);
    ASSERT_TRUE(held.ok()) << held.error().message();
    EXPECT_TRUE((*held)->resident());
    EXPECT_FALSE((*mapped)->resident());
    ASSERT_EQ((*held)->size(), (*mapped)->size());
    EXPECT_EQ(last, (*held)->size());
    EXPECT_EQ(reinterpret_cast<uintptr_t>((*held)->data()) % (2u << 20), 0u);
    EXPECT_EQ(0, std::memcmp((*held)->data(), (*mapped)->data(), (*held)->size()));
    (*held)->advise(MapAdvice::DontNeed);  // must not discard anonymous pages
    EXPECT_EQ(0, std::memcmp((*held)->data(), (*mapped)->data(), (*held)->size()));

    std::stop_source stop;
    stop.request_stop();
    o.stop = stop.get_token();
    o.progress = {};
    auto cancelled = MappedFile::open(path, o);
    ASSERT_FALSE(cancelled.ok());
    EXPECT_EQ(cancelled.error().code, ErrorCode::Cancelled);
}

TEST(Residency, ResidentModelHasTheMappedModelsTensors) {
    for (const auto& path : {fixtures_dir() / "tiny.gguf", fixtures_dir() / "st-sharded"}) {
        auto mapped = load_model(path);
        std::vector<double> fractions;
        LoadOptions o;
        o.residency = Residency::Resident;
        o.progress = [&](double f, std::string_view) { fractions.push_back(f); };
        auto held = load_model(path, o);
        ASSERT_TRUE(mapped.ok() && held.ok()) << path;
        EXPECT_EQ((*mapped)->resident_bytes(), 0u);
        uint64_t file_bytes = 0;
        for (const auto& f : (*held)->files()) file_bytes += std::filesystem::file_size(f);
        EXPECT_EQ((*held)->resident_bytes(), file_bytes) << path;
        const auto& a = (*mapped)->tensors();
        const auto& b = (*held)->tensors();
        ASSERT_EQ(a.size(), b.size());
        for (size_t i = 0; i < a.size(); ++i) {
            EXPECT_EQ(a[i].name, b[i].name);
            EXPECT_NE(a[i].data, b[i].data);
            ASSERT_EQ(a[i].n_bytes(), b[i].n_bytes());
            EXPECT_EQ(0, std::memcmp(a[i].data, b[i].data, static_cast<size_t>(a[i].n_bytes()))) << a[i].name;
        }
        ASSERT_GT(fractions.size(), b.size());  // the reads report too
        for (size_t i = 1; i < fractions.size(); ++i) EXPECT_GE(fractions[i], fractions[i - 1]) << path;
        EXPECT_DOUBLE_EQ(fractions.back(), 1.0);
    }
}

TEST(Residency, AutoRuleLeavesThirtyPercentAndNeedsHugePages) {
    constexpr uint64_t avail = 100 * kGiB;  // budget: 70 GiB
    EXPECT_TRUE(auto_resident(0, 70 * kGiB, avail, true));
    EXPECT_FALSE(auto_resident(0, 70 * kGiB + 1, avail, true));
    EXPECT_FALSE(auto_resident(0, 1, avail, false));  // 4 KiB pages: nothing gained by the copy
    EXPECT_TRUE(auto_resident(60 * kGiB, 10 * kGiB, avail, true));
    EXPECT_FALSE(auto_resident(60 * kGiB, 10 * kGiB + 1, avail, true));  // the next shard stays mapped
    EXPECT_FALSE(auto_resident(80 * kGiB, 1, avail, true));
    EXPECT_FALSE(auto_resident(0, 1, 0, true));
    for (Residency r : {Residency::Mapped, Residency::Resident, Residency::Auto}) {
        Residency back = Residency::Mapped;
        ASSERT_TRUE(parse_residency(residency_name(r), &back));
        EXPECT_EQ(back, r);
    }
    Residency untouched = Residency::Auto;
    EXPECT_FALSE(parse_residency("ram", &untouched));
    EXPECT_EQ(untouched, Residency::Auto);
}

TEST(MemoryPlan, RoutedExpertNames) {
    EXPECT_TRUE(is_routed_expert_tensor("blk.3.ffn_up_exps.weight"));
    EXPECT_TRUE(is_routed_expert_tensor("model.layers.3.mlp.experts.17.w1.weight"));
    EXPECT_FALSE(is_routed_expert_tensor("model.layers.3.mlp.shared_experts.w1.weight"));
    EXPECT_FALSE(is_routed_expert_tensor("blk.3.ffn_up_shexp.weight"));
    EXPECT_FALSE(is_routed_expert_tensor("blk.3.attn_q.weight"));
}

// A 10-layer model with 8 KV heads of 128: generic cache = 2 * 10 * 8 * 128 * 2 = 40960 B/token.
ModelSummary synthetic(uint64_t weights, uint64_t experts) {
    ModelSummary s;
    s.architecture = "synthetic";
    s.weight_bytes = weights;
    s.expert_bytes = experts;
    s.n_layer = 10;
    s.n_embd = 4096;
    s.n_head = 32;
    s.n_head_kv = 8;
    s.n_expert = 64;
    s.n_expert_used = 4;
    s.n_vocab = 32000;
    return s;
}

SystemInfo machine(uint64_t total, uint64_t available) { return SystemInfo{8, total, available}; }

TEST(MemoryPlan, Fits) {
    // 4 GiB of weights + 160 MiB cache (4096 tokens) + scratch on a machine with 32 GiB free.
    const MemoryPlan p = plan_memory(synthetic(4 * kGiB, 0), PlanRequest{.n_ctx = 4096}, machine(64 * kGiB, 32 * kGiB));
    EXPECT_EQ(p.verdict, PlanVerdict::Fits) << p.sentence;
    EXPECT_EQ(p.cache_bytes_per_token, 40960u);
    EXPECT_TRUE(p.cache_estimated);
    EXPECT_EQ(p.cache_bytes, 40960u * 4096);
    EXPECT_EQ(p.needed_bytes, p.weight_bytes + p.cache_bytes + p.scratch_bytes);
    EXPECT_NE(p.sentence.find("Fits"), std::string::npos);
}

TEST(MemoryPlan, FitsStreamingExperts) {
    // 80 GiB of weights, 72 of them routed experts, 32 GiB free: the 8 GiB resident part fits,
    // all of it does not.
    const MemoryPlan p = plan_memory(synthetic(80 * kGiB, 72 * kGiB), PlanRequest{.n_ctx = 8192}, machine(48 * kGiB, 32 * kGiB));
    EXPECT_EQ(p.verdict, PlanVerdict::FitsStreamingExperts) << p.sentence;
    EXPECT_EQ(p.streamable_weight_bytes, 72 * kGiB);
    EXPECT_EQ(p.resident_weight_bytes, 8 * kGiB);
    EXPECT_GT(p.est_tokens_per_s, 0.0);
    EXPECT_NE(p.speed_note.find("tok/s from disk at 3.0 GB/s"), std::string::npos) << p.speed_note;
    EXPECT_NE(p.sentence.find("streamed from disk"), std::string::npos);
}

TEST(MemoryPlan, DoesNotFitSuggestsChanges) {
    // Dense 40 GiB on a 16 GiB machine: nothing can stream.
    const MemoryPlan p = plan_memory(synthetic(40 * kGiB, 0), PlanRequest{.n_ctx = 4096}, machine(16 * kGiB, 12 * kGiB));
    EXPECT_EQ(p.verdict, PlanVerdict::DoesNotFit) << p.sentence;
    ASSERT_FALSE(p.suggestions.empty());
    bool quant = false, close = false;
    for (const auto& s : p.suggestions) quant |= s.find("smaller quantisation") != std::string::npos, close |= s.find("close other programs") != std::string::npos;
    EXPECT_TRUE(quant);
    EXPECT_TRUE(close);  // 12 of 16 GiB free: other programs hold some
    // A huge context on a model that fits otherwise: the plan suggests a context that fits.
    ModelSummary s = synthetic(2 * kGiB, 0);
    const MemoryPlan c = plan_memory(s, PlanRequest{.n_ctx = 1 << 20, .n_batch = 1}, machine(16 * kGiB, 16 * kGiB));
    EXPECT_EQ(c.verdict, PlanVerdict::DoesNotFit) << c.sentence;
    bool ctx = false;
    for (const auto& x : c.suggestions) ctx |= x.find("use a smaller context") != std::string::npos;
    EXPECT_TRUE(ctx) << c.suggestions.front();
}

TEST(MemoryPlan, ArchitectureCacheFigureAndMla) {
    const MemoryPlan p = plan_memory(synthetic(kGiB, 0), PlanRequest{.n_ctx = 100, .cache_bytes_per_token = 1000},
                                     machine(64 * kGiB, 64 * kGiB));
    EXPECT_FALSE(p.cache_estimated);
    EXPECT_EQ(p.cache_bytes, 100000u);
    ModelSummary mla = synthetic(kGiB, 0);
    mla.kv_lora_rank = 512;
    mla.n_rot = 64;
    // DeepSeek MLA caches the latent (512) + rope key (64) per layer in f16: 10 * 576 * 2.
    EXPECT_EQ(plan_memory(mla, PlanRequest{}, machine(64 * kGiB, 64 * kGiB)).cache_bytes_per_token, 11520u);
}

}  // namespace
}  // namespace atelier::infer
