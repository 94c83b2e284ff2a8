// Bad GGUF files: truncated, lying counts and lengths, offsets out of range or misaligned,
// overlapping tensors, wrong magic, unknown types, duplicates. Each must give the right
// ErrorCode and a message naming the file and what was expected, without a huge allocation.
#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "inference/model.h"
#include "loader-test-util.h"

#if defined(__SANITIZE_ADDRESS__)
#define LOADER_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LOADER_TEST_ASAN 1
#endif
#endif
#ifndef LOADER_TEST_ASAN
#define LOADER_TEST_ASAN 0
#endif

namespace atelier::infer {
namespace {
using namespace test;

struct Outcome {
    ErrorCode code = ErrorCode::Invalid;
    std::string message;
};

Outcome load_bytes(const std::vector<uint8_t>& bytes, const std::string& name = "bad.gguf") {
    const auto path = temp_dir("gguf-bad") / name;
    write_bytes(path, bytes);
    auto m = load_model(path);
    if (m.ok()) return {};
    EXPECT_NE(m.error().detail.find(path.string()), std::string::npos) << "message must name the file: " << m.error().detail;
    return {m.error().code, m.error().message()};
}

void expect_error(const Bytes& b, ErrorCode code, const std::string& phrase) {
    const Outcome o = load_bytes(b.b);
    EXPECT_EQ(o.code, code) << o.message;
    EXPECT_NE(o.message.find(phrase), std::string::npos) << "expected '" << phrase << "' in: " << o.message;
}

// A valid file: one kv, two f32 tensors of 8 values at offsets 0 and 32.
Bytes good_file() {
    Bytes b;
    b.header(3, 2, 1).kv_u32("general.alignment", 32).tensor("a", {8}, 0, 0).tensor("b", {8}, 0, 32).pad_to(32);
    b.raw(std::vector<uint8_t>(64, 1));
    return b;
}

TEST(GgufBad, HandMadeGoodFileLoads) {
    const auto path = temp_dir("gguf-good") / "good.gguf";
    write_bytes(path, good_file().b);
    auto m = load_model(path);
    ASSERT_TRUE(m.ok()) << m.error().message();
    EXPECT_EQ((*m)->tensors().size(), 2u);
}

TEST(GgufBad, TruncatedAtEverySixteenth) {
    const auto full = read_bytes(fixtures_dir() / "tiny.gguf");
    ASSERT_GT(full.size(), 1000u);
    for (size_t k = 0; k < 16; ++k) {
        const size_t cut = full.size() * k / 16;
        const Outcome o = load_bytes(std::vector<uint8_t>(full.begin(), full.begin() + static_cast<long>(cut)));
        SCOPED_TRACE("cut at " + std::to_string(cut));
        if (cut < 4) {
            EXPECT_EQ(o.code, ErrorCode::ModelFormat) << o.message;  // not even the magic
            EXPECT_NE(o.message.find("expected the magic bytes"), std::string::npos) << o.message;
        } else {
            EXPECT_EQ(o.code, ErrorCode::ModelTruncated) << o.message;
            EXPECT_NE(o.message.find("truncated? "), std::string::npos) << o.message;
            EXPECT_NE(o.message.find("but the file has " + std::to_string(cut)), std::string::npos) << o.message;
        }
    }
}

TEST(GgufBad, TruncatedDataNamesTheTensor) {
    Bytes b = good_file();
    b.b.resize(b.b.size() - 8);
    const Outcome o = load_bytes(b.b);
    EXPECT_EQ(o.code, ErrorCode::ModelTruncated);
    EXPECT_NE(o.message.find("tensor b needs bytes"), std::string::npos) << o.message;
}

TEST(GgufBad, WrongMagicVersionAndEndianness) {
    Bytes b = good_file();
    b.b[0] = 'X';
    expect_error(b, ErrorCode::ModelFormat, "expected the magic bytes \"GGUF\"");
    Bytes v1;
    v1.header(1, 0, 0);
    expect_error(v1, ErrorCode::ModelUnsupported, "GGUF v1");
    Bytes v9;
    v9.header(9, 0, 0);
    expect_error(v9, ErrorCode::ModelUnsupported, "newer than v3");
    Bytes be;
    be.u32(0x46554747).u32(0x03000000).u64(0).u64(0);
    expect_error(be, ErrorCode::ModelUnsupported, "big-endian");
    Bytes v2;  // v2 has the v3 layout: accepted
    v2.header(2, 0, 1).kv_u32("x", 1);
    EXPECT_EQ(load_bytes(v2.b).code, ErrorCode::Invalid);
}

TEST(GgufBad, LyingCountsAndLengths) {
    Bytes tensors;
    tensors.header(3, 1ull << 62, 0);
    expect_error(tensors, ErrorCode::ModelTruncated, "tensor infos");
    Bytes kvs;
    kvs.header(3, 0, UINT64_MAX);
    expect_error(kvs, ErrorCode::ModelTruncated, "metadata entries");
    Bytes key;
    key.header(3, 0, 1).u64(1ull << 60).raw(std::vector<uint8_t>(16, 'a'));
    expect_error(key, ErrorCode::ModelTruncated, "metadata key #0");
    Bytes str;
    str.header(3, 0, 1).str("k").u32(8).u64(UINT64_MAX).raw({'x'});
    expect_error(str, ErrorCode::ModelTruncated, "metadata 'k'");
    Bytes arr;  // 2^62 u32 elements: the byte count overflows
    arr.header(3, 0, 1).str("k").u32(9).u32(4).u64(1ull << 62).u32(1);
    expect_error(arr, ErrorCode::ModelTruncated, "an array of 4611686018427387904 u32");
    Bytes sarr;
    sarr.header(3, 0, 1).str("tokenizer.ggml.tokens").u32(9).u32(8).u64(1ull << 40).str("a");
    expect_error(sarr, ErrorCode::ModelTruncated, "tokenizer.ggml.tokens");
    Bytes nested;
    nested.header(3, 0, 1).str("k").u32(9).u32(9).u64(1ull << 50).u32(4).u64(0);
    expect_error(nested, ErrorCode::ModelTruncated, "arrays");
    Bytes name;
    name.header(3, 1, 0).u64(1ull << 40).raw(std::vector<uint8_t>(32, 'n'));
    expect_error(name, ErrorCode::ModelTruncated, "tensor info #0");
}

// The lying headers above must not allocate: run them again in a child whose address space is
// capped at 1 GiB more than it uses now (no sanitizer build reserves that little, so skip there).
TEST(GgufBad, LyingHeadersDoNotAllocateHugeBuffers) {
#if LOADER_TEST_ASAN
    GTEST_SKIP() << "ASan reserves terabytes of address space; RLIMIT_AS cannot be used (fuzz-gguf covers this under ASan)";
#endif
    const auto dir = temp_dir("gguf-rlimit");
    std::vector<std::filesystem::path> files;
    auto add = [&](const Bytes& b) {
        files.push_back(dir / ("f" + std::to_string(files.size()) + ".gguf"));
        write_bytes(files.back(), b.b);
    };
    Bytes a, s, n;
    a.header(3, 0, 1).str("k").u32(9).u32(10).u64(1ull << 33).raw(std::vector<uint8_t>(64, 0));
    add(a);
    s.header(3, 0, 1).str("k").u32(9).u32(8).u64(1ull << 30).raw(std::vector<uint8_t>(64, 0));
    add(s);
    n.header(3, 1ull << 30, 1ull << 30).raw(std::vector<uint8_t>(64, 0));
    add(n);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        long vm_kb = 0;
        if (FILE* f = std::fopen("/proc/self/statm", "r")) {
            long pages = 0;
            if (std::fscanf(f, "%ld", &pages) == 1) vm_kb = pages * (::sysconf(_SC_PAGESIZE) / 1024);
            std::fclose(f);
        }
        const rlim_t cap = static_cast<rlim_t>(vm_kb) * 1024 + (1ull << 30);
        struct rlimit rl {cap, cap};
        ::setrlimit(RLIMIT_AS, &rl);
        int bad = 0;
        for (const auto& f : files) {
            auto m = load_model(f);
            bad += m.ok() || m.error().code != ErrorCode::ModelTruncated;
        }
        ::_exit(bad);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status)) << "child died (signal " << WTERMSIG(status) << ")";
    EXPECT_EQ(WEXITSTATUS(status), 0) << "lying headers gave an unexpected result under a 1 GiB cap";
}

TEST(GgufBad, TensorOffsetsAndShapes) {
    Bytes out_of_range;
    out_of_range.header(3, 1, 0).tensor("blk.3.ffn_up.weight", {8}, 0, 1024).pad_to(32).raw(std::vector<uint8_t>(32, 0));
    expect_error(out_of_range, ErrorCode::ModelTruncated, "tensor blk.3.ffn_up.weight needs bytes");
    Bytes misaligned;
    misaligned.header(3, 1, 0).tensor("t", {4}, 0, 4).pad_to(32).raw(std::vector<uint8_t>(32, 0));
    expect_error(misaligned, ErrorCode::ModelFormat, "not a multiple of the alignment 32");
    Bytes overlap;
    overlap.header(3, 2, 0).tensor("a", {16}, 0, 0).tensor("b", {8}, 0, 32).pad_to(32).raw(std::vector<uint8_t>(96, 0));
    expect_error(overlap, ErrorCode::ModelFormat, "overlap");
    Bytes huge_offset;
    huge_offset.header(3, 1, 0).tensor("t", {8}, 0, UINT64_MAX - 31).pad_to(32);
    expect_error(huge_offset, ErrorCode::ModelTruncated, "tensor t needs bytes");
    Bytes dims;
    dims.header(3, 1, 0).tensor("t", {1, 1, 1, 1, 1}, 0, 0).pad_to(32);
    expect_error(dims, ErrorCode::ModelFormat, "expected at most 4");
    Bytes overflow;
    overflow.header(3, 1, 0).tensor("t", {1ull << 32, 1ull << 32}, 0, 0).pad_to(32);
    expect_error(overflow, ErrorCode::ModelFormat, "overflows");
    Bytes zero_hides;  // 0 elements, but ne[1] * ne[2] alone overflows
    zero_hides.header(3, 1, 0).tensor("t", {0, 1ull << 32, 1ull << 32}, 0, 0).pad_to(32);
    expect_error(zero_hides, ErrorCode::ModelFormat, "overflows");
    Bytes blocks;  // q8_0 needs multiples of 32 values per row
    blocks.header(3, 1, 0).tensor("t", {33}, 8, 0).pad_to(32).raw(std::vector<uint8_t>(64, 0));
    expect_error(blocks, ErrorCode::ModelFormat, "not a whole number of q8_0 blocks of 32");
    Bytes type;
    type.header(3, 1, 0).tensor("t", {8}, 200, 0).pad_to(32).raw(std::vector<uint8_t>(32, 0));
    expect_error(type, ErrorCode::ModelUnsupported, "tensor type id 200");
}

TEST(GgufBad, DuplicatesAndBadMetadata) {
    Bytes dup_tensor;
    dup_tensor.header(3, 2, 0).tensor("t", {8}, 0, 0).tensor("t", {8}, 0, 32).pad_to(32).raw(std::vector<uint8_t>(64, 0));
    expect_error(dup_tensor, ErrorCode::ModelFormat, "tensor t appears twice");
    Bytes dup_key;
    dup_key.header(3, 0, 2).kv_u32("k", 1).kv_u32("k", 2);
    expect_error(dup_key, ErrorCode::ModelFormat, "metadata 'k' appears twice");
    Bytes vtype;
    vtype.header(3, 0, 1).str("k").u32(13).u32(0);
    expect_error(vtype, ErrorCode::ModelFormat, "unknown value type 13");
    Bytes align;
    align.header(3, 0, 1).kv_u32("general.alignment", 48);
    expect_error(align, ErrorCode::ModelFormat, "general.alignment is 48 (expected a power of two");
    Bytes align_type;
    align_type.header(3, 0, 1).str("general.alignment").u32(8).str("32");
    expect_error(align_type, ErrorCode::ModelFormat, "general.alignment");
    Bytes deep;
    deep.header(3, 0, 1).str("k").u32(9);
    for (int i = 0; i < 9; ++i) deep.u32(9).u64(1);
    deep.u32(4).u64(0);
    expect_error(deep, ErrorCode::ModelUnsupported, "nests arrays deeper than 8");
}

TEST(GgufBad, NotAModelAtAll) {
    const Outcome o = load_bytes({'h', 'e', 'l', 'l', 'o'}, "notes.txt");
    EXPECT_EQ(o.code, ErrorCode::ModelFormat);
    EXPECT_NE(o.message.find("neither GGUF"), std::string::npos) << o.message;
    auto missing = load_model(temp_dir("missing") / "nope.gguf");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, ErrorCode::NotFound);
}

}  // namespace
}  // namespace atelier::infer
