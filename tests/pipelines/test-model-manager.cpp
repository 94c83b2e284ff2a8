// Model manager: scanning a models folder (GGUF files, safetensors files and folders, one level of
// sub-folders), per-file errors for bad files, descriptions checked against the facts the gguf-py
// / safetensors tools wrote beside the loader fixtures (tests/inference/loaders/fixtures/*.json),
// memory plans, and import by copy (progress, cancel, nothing partial left) or link.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <nlohmann/json.hpp>

#include "pipelines/model-manager.h"
#include "tests/pipelines/test-util.h"

namespace ap = atelier::pipelines;
namespace fs = std::filesystem;
using atelier::ErrorCode;
using atelier::test::TempDir;
using nlohmann::json;

namespace {

fs::path loader_fixture(const std::string& name) {
    return fs::path(ATELIER_TEST_DATA_DIR) / "inference" / "loaders" / "fixtures" / name;
}

json read_json(const fs::path& p) {
    std::ifstream in(p);
    return json::parse(in);
}

// Parameters and bytes per type from a fixture's JSON facts ("tensors": {name: {shape, type|dtype}}).
int64_t param_count(const json& tensors) {
    int64_t total = 0;
    for (const auto& [name, t] : tensors.items()) {
        int64_t n = 1;
        for (const auto& d : t.at("shape")) n *= d.get<int64_t>();
        total += n;
    }
    return total;
}

void write_file(const fs::path& p, const std::string& bytes) {
    std::ofstream out(p, std::ios::binary);
    out << bytes;
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// A valid single-tensor safetensors file of `n_floats` F32 zeros (a sparse hole on disk).
void write_big_safetensors(const fs::path& p, int64_t n_floats) {
    std::string header = R"({"w":{"dtype":"F32","shape":[)" + std::to_string(n_floats) + R"(],"data_offsets":[0,)" +
                         std::to_string(n_floats * 4) + "]}}";
    while (header.size() % 8 != 0) header += ' ';
    std::string bytes(8, '\0');
    const uint64_t len = header.size();
    for (int i = 0; i < 8; ++i) bytes[static_cast<size_t>(i)] = static_cast<char>((len >> (8 * i)) & 0xff);
    write_file(p, bytes + header);
    fs::resize_file(p, 8 + header.size() + static_cast<uint64_t>(n_floats) * 4);
}

// A models folder: two good files, two good folders (one nested GGUF), three bad files and
// things that are not models.
fs::path make_models_folder(const TempDir& dir) {
    const fs::path m = dir / "models";
    fs::create_directories(m / "nested");
    fs::copy_file(loader_fixture("tiny.gguf"), m / "tiny.gguf");
    fs::copy_file(loader_fixture("tiny.gguf"), m / "nested" / "inner.gguf");
    fs::copy(loader_fixture("st-sharded"), m / "v4-sharded", fs::copy_options::recursive);
    fs::copy_file(loader_fixture("st-single") / "model.safetensors", m / "single.safetensors");
    const std::string gguf = read_file(loader_fixture("tiny.gguf"));
    write_file(m / "truncated.gguf", gguf.substr(0, gguf.size() / 3));
    write_file(m / "garbage.gguf", "this is not a gguf file at all, just text\n");
    write_file(m / "noise.safetensors", std::string("\xff\xff\xff\xff\xff\xff\xff\x7f{", 9));
    write_file(m / "README.txt", "models live here\n");
    fs::create_directories(m / ".tiny.gguf.partial");
    return m;
}

std::map<std::string, ap::ModelEntry> by_name(const std::vector<ap::ModelEntry>& entries) {
    std::map<std::string, ap::ModelEntry> out;
    for (const auto& e : entries) out[e.name] = e;
    return out;
}

}  // namespace

TEST(ModelManager, ScanDescribesGoodModelsAndNamesEachBadFile) {
    TempDir dir;
    const fs::path folder = make_models_folder(dir);
    std::vector<std::string> seen;
    ap::ScanOptions opts;
    opts.progress = [&](double fraction, const fs::path& p) {
        if (fraction < 1.0) seen.push_back(p.filename().string());  // 1.0: the end, naming the folder
    };
    auto scan = ap::scan_models(folder, opts);
    ASSERT_TRUE(scan.ok()) << scan.error().message();
    auto m = by_name(*scan);
    ASSERT_EQ(scan->size(), 7u) << "README.txt and the hidden .partial folder are not models";
    EXPECT_TRUE(m.count("inner.gguf")) << "GGUF one level down";

    // GGUF facts from gguf-py's description of the fixture.
    const json gguf_facts = read_json(loader_fixture("tiny.gguf.json"));
    const ap::ModelEntry& tiny = m["tiny.gguf"];
    ASSERT_TRUE(tiny.ok) << tiny.error.message();
    EXPECT_EQ(tiny.format, atelier::infer::ModelFormat::Gguf);
    EXPECT_EQ(tiny.architecture, gguf_facts["metadata"]["general.architecture"]["value"].get<std::string>());
    EXPECT_EQ(tiny.n_params, param_count(gguf_facts["tensors"]));
    EXPECT_EQ(tiny.n_tensors, static_cast<int64_t>(gguf_facts["tensors"].size()));
    EXPECT_EQ(tiny.size_bytes, fs::file_size(loader_fixture("tiny.gguf")));
    std::set<std::string> fact_types, our_types;
    for (const auto& [name, t] : gguf_facts["tensors"].items()) fact_types.insert(t["type"].get<std::string>());
    for (const auto& [type, bytes] : tiny.type_mix) {
        std::string lower = type;  // gguf-py writes "q4_k", we print "q4_K"
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        our_types.insert(lower);
    }
    EXPECT_EQ(our_types, fact_types);
    EXPECT_FALSE(tiny.serves("chat"));
    EXPECT_EQ(tiny.jobs_text(), "not supported yet (testarch)");

    // A sharded safetensors folder whose config names the V4 architecture serves chat.
    const json st_facts = read_json(loader_fixture("st-sharded") / "expected.json");
    const ap::ModelEntry& sharded = m["v4-sharded"];
    ASSERT_TRUE(sharded.ok) << sharded.error.message();
    EXPECT_EQ(sharded.format, atelier::infer::ModelFormat::Safetensors);
    EXPECT_EQ(sharded.n_params, param_count(st_facts["tensors"]));
    EXPECT_TRUE(sharded.serves("chat"));
    EXPECT_EQ(sharded.jobs_text(), "chat");
    uint64_t folder_bytes = 0;
    for (const auto& e : fs::directory_iterator(loader_fixture("st-sharded"))) folder_bytes += e.file_size();
    EXPECT_EQ(sharded.size_bytes, folder_bytes);
    EXPECT_EQ(sharded.n_files, 7);
    EXPECT_TRUE(m["single.safetensors"].ok) << m["single.safetensors"].error.message();

    // Each bad file: its own entry, its own error naming it.
    for (const char* bad : {"truncated.gguf", "garbage.gguf", "noise.safetensors"}) {
        SCOPED_TRACE(bad);
        ASSERT_TRUE(m.count(bad));
        EXPECT_FALSE(m[bad].ok);
        EXPECT_NE(m[bad].error.code, ErrorCode::Invalid);
        EXPECT_NE(m[bad].error.detail.find(bad), std::string::npos) << m[bad].error.detail;
    }
    EXPECT_EQ(seen.size(), 7u);
}

TEST(ModelManager, ScanOfAMissingFolderOrAFileIsAClearError) {
    TempDir dir;
    auto missing = ap::scan_models(dir / "nope");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, ErrorCode::NotFound);
    EXPECT_NE(missing.error().hint.find("Settings"), std::string::npos);
    write_file(dir / "file", "x");
    EXPECT_EQ(ap::scan_models(dir / "file").error().code, ErrorCode::InvalidArgument);
    std::stop_source stop;
    stop.request_stop();
    fs::create_directories(dir / "m");
    fs::copy_file(loader_fixture("tiny.gguf"), dir / "m" / "a.gguf");
    EXPECT_EQ(ap::scan_models(dir / "m", {.stop = stop.get_token()}).error().code, ErrorCode::Cancelled);
}

TEST(ModelManager, MemoryPlanAtAChosenContext) {
    TempDir dir;
    const fs::path folder = make_models_folder(dir);
    const ap::ModelEntry e = ap::inspect_model(folder / "v4-sharded");
    ASSERT_TRUE(e.ok);
    atelier::infer::SystemInfo sys;
    sys.logical_cores = 4;
    sys.total_ram_bytes = 16ull << 30;
    sys.available_ram_bytes = 8ull << 30;
    const auto small = ap::plan_for(e, 4096, sys);
    const auto large = ap::plan_for(e, 65536, sys);
    EXPECT_EQ(small.n_ctx, 4096);
    EXPECT_EQ(large.n_ctx, 65536);
    EXPECT_EQ(small.weight_bytes, e.summary.weight_bytes);
    EXPECT_EQ(small.verdict, atelier::infer::PlanVerdict::Fits) << small.sentence;
    EXPECT_FALSE(small.sentence.empty());
    EXPECT_EQ(large.cache_bytes, 16 * small.cache_bytes) << "the cache grows with the context";
    const auto given = ap::plan_for(e, 1000, sys, 100);
    EXPECT_EQ(given.cache_bytes_per_token, 100u);
    EXPECT_FALSE(given.cache_estimated);
    // Nothing fits in no memory.
    sys.available_ram_bytes = 1;
    sys.total_ram_bytes = 1;
    EXPECT_EQ(ap::plan_for(e, 4096, sys).verdict, atelier::infer::PlanVerdict::DoesNotFit);
}

TEST(ModelManager, ImportCopiesFilesAndFoldersWithProgress) {
    TempDir dir;
    const fs::path models = dir / "models";
    std::vector<std::pair<int64_t, int64_t>> progress;
    ap::ImportModelOptions opts;
    opts.progress = [&](int64_t done, int64_t total) { progress.emplace_back(done, total); };
    auto file = ap::import_model(loader_fixture("tiny.gguf"), models, opts);
    ASSERT_TRUE(file.ok()) << file.error().message();
    EXPECT_EQ(*file, models / "tiny.gguf");
    EXPECT_FALSE(fs::is_symlink(*file));
    EXPECT_EQ(read_file(*file), read_file(loader_fixture("tiny.gguf")));
    ASSERT_FALSE(progress.empty());
    EXPECT_EQ(progress.back().first, static_cast<int64_t>(fs::file_size(loader_fixture("tiny.gguf"))));
    EXPECT_EQ(progress.back().first, progress.back().second);

    auto folder = ap::import_model(loader_fixture("st-sharded"), models, opts);
    ASSERT_TRUE(folder.ok()) << folder.error().message();
    for (const auto& e : fs::directory_iterator(loader_fixture("st-sharded")))
        EXPECT_EQ(read_file(*folder / e.path().filename()), read_file(e.path())) << e.path();
    auto scan = ap::scan_models(models);
    ASSERT_EQ(scan->size(), 2u);
    EXPECT_TRUE((*scan)[0].ok && (*scan)[1].ok);

    // The name is taken now.
    auto again = ap::import_model(loader_fixture("tiny.gguf"), models, opts);
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().code, ErrorCode::AlreadyExists);
}

TEST(ModelManager, ImportLinksAndRefusesNonModels) {
    TempDir dir;
    const fs::path models = dir / "models";
    auto linked = ap::import_model(loader_fixture("st-sharded"), models, {.mode = ap::ImportMode::Link});
    ASSERT_TRUE(linked.ok()) << linked.error().message();
    EXPECT_TRUE(fs::is_symlink(*linked));
    EXPECT_EQ(fs::read_symlink(*linked), fs::absolute(loader_fixture("st-sharded")).lexically_normal());
    EXPECT_TRUE(ap::inspect_model(*linked).ok);

    write_file(dir / "fake.gguf", "GGUF but not really");
    auto refused = ap::import_model(dir / "fake.gguf", models);
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().detail.find("not imported"), std::string::npos) << refused.error().detail;
    EXPECT_NE(refused.error().detail.find("fake.gguf"), std::string::npos);
    EXPECT_FALSE(fs::exists(models / "fake.gguf"));
    EXPECT_EQ(ap::import_model(dir / "absent.gguf", models).error().code, ErrorCode::NotFound);
}

TEST(ModelManager, CancelledCopyLeavesNothingBehind) {
    TempDir dir;
    const fs::path src = dir / "big.safetensors";
    write_big_safetensors(src, 16 << 20);  // 64 MiB: several copy chunks
    ASSERT_TRUE(ap::inspect_model(src).ok);
    const fs::path models = dir / "models";
    std::stop_source stop;
    int calls = 0;
    ap::ImportModelOptions opts;
    opts.stop = stop.get_token();
    opts.progress = [&](int64_t done, int64_t) {
        ++calls;
        if (done > 0) stop.request_stop();  // after the first chunk
    };
    auto r = ap::import_model(src, models, opts);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::Cancelled);
    EXPECT_GE(calls, 2);
    EXPECT_TRUE(fs::is_empty(models)) << "no partial copy, no final name";
    // Not cancelled: the whole file arrives.
    auto ok = ap::import_model(src, models);
    ASSERT_TRUE(ok.ok()) << ok.error().message();
    EXPECT_EQ(fs::file_size(*ok), fs::file_size(src));
}

TEST(ModelManager, FormatsSizesAndCounts) {
    EXPECT_EQ(ap::format_bytes(900), "900 B");
    EXPECT_EQ(ap::format_bytes(1'500'000), "1.5 MB");
    EXPECT_EQ(ap::format_bytes(284'000'000'000ull), "284.00 GB");
    EXPECT_EQ(ap::format_count(1'230'000'000), "1.23B");
    EXPECT_EQ(ap::format_count(45'600'000), "45.60M");
    EXPECT_EQ(ap::format_count(789), "789");
}
