// The per-user hash cache (pipelines/hash-cache.h): the hash always equals core's hash_file of the
// current bytes; an unchanged file is answered from the cache; any change (same size and mtime
// restored, replaced by another file, touched) is noticed; a corrupt cache file is rebuilt.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "core/hash.h"
#include "pipelines/hash-cache.h"

namespace atelier::test {
namespace {
namespace fs = std::filesystem;

class HashCacheTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("atelier-hash-cache-" + std::to_string(::getpid()) + "-" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_ / "cache");
    }
    void TearDown() override { fs::remove_all(dir_); }
    fs::path write(const std::string& name, const std::string& bytes) {
        std::ofstream(dir_ / name, std::ios::binary) << bytes;
        return dir_ / name;
    }
    pipelines::CachedHash get(const fs::path& p) {
        auto h = pipelines::cached_hash_file(p, {}, dir_ / "cache");
        EXPECT_TRUE(h.ok()) << (h.ok() ? "" : h.error().message());
        return h.ok() ? *h : pipelines::CachedHash{};
    }
    fs::path dir_;
};

TEST_F(HashCacheTest, SecondLookupOfAnUnchangedFileComesFromTheCache) {
    const fs::path f = write("model.bin", std::string(3 << 20, 'x') + "tail");
    const auto first = get(f);
    EXPECT_FALSE(first.from_cache);
    EXPECT_EQ(first.hash, *hash_file(f));
    const auto second = get(f);
    EXPECT_TRUE(second.from_cache);
    EXPECT_EQ(second.hash, first.hash);
    EXPECT_TRUE(fs::exists(dir_ / "cache" / "file-hashes.json"));
}

TEST_F(HashCacheTest, AChangeWithTheSameSizeAndMtimeIsStillNoticed) {
    const fs::path f = write("w.bin", "aaaaaaaaaa");
    struct stat st {};
    ASSERT_EQ(::stat(f.c_str(), &st), 0);
    const auto before = get(f);
    std::ofstream(f, std::ios::binary | std::ios::trunc) << "bbbbbbbbbb";  // same size
    const struct timespec times[2] = {st.st_atim, st.st_mtim};
    ASSERT_EQ(::utimensat(AT_FDCWD, f.c_str(), times, 0), 0);  // mtime put back; ctime moves
    const auto after = get(f);
    EXPECT_FALSE(after.from_cache);
    EXPECT_NE(after.hash, before.hash);
    EXPECT_EQ(after.hash, *hash_file(f));
}

TEST_F(HashCacheTest, AReplacedFileIsHashedAgain) {
    const fs::path f = write("r.bin", "first version");
    const auto a = get(f);
    const fs::path other = write("other.bin", "second version!");
    fs::rename(other, f);
    const auto b = get(f);
    EXPECT_FALSE(b.from_cache);
    EXPECT_EQ(b.hash, *hash_file(f));
    EXPECT_NE(a.hash, b.hash);
}

TEST_F(HashCacheTest, ACorruptCacheIsIgnoredAndRebuilt) {
    const fs::path f = write("c.bin", "content");
    std::ofstream(dir_ / "cache" / "file-hashes.json") << "{ not json";
    const auto a = get(f);
    EXPECT_FALSE(a.from_cache);
    EXPECT_EQ(a.hash, *hash_file(f));
    EXPECT_TRUE(get(f).from_cache);
}

TEST_F(HashCacheTest, AMissingFileIsAClearError) {
    auto h = pipelines::cached_hash_file(dir_ / "nope.bin", {}, dir_ / "cache");
    ASSERT_FALSE(h.ok());
    EXPECT_NE(h.error().detail.find("nope.bin"), std::string::npos) << h.error().detail;
}

}  // namespace
}  // namespace atelier::test
