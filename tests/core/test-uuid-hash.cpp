// UUIDv7 format/ordering and XXH3-128 content hashes (checked against libxxhash's published
// test vector for the empty input and against streaming vs one-shot hashing).
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include "core/hash.h"
#include "core/uuid.h"

using namespace atelier;

TEST(Uuid, FormatVersionVariantAndUniqueness) {
    std::set<std::string> seen;
    std::string prev;
    for (int i = 0; i < 2000; ++i) {
        auto u = uuid_v7();
        ASSERT_TRUE(uuid_is_valid(u)) << u;
        EXPECT_EQ(u[14], '7');
        EXPECT_TRUE(u[19] == '8' || u[19] == '9' || u[19] == 'a' || u[19] == 'b') << u;
        EXPECT_TRUE(seen.insert(u).second);
        // The 48-bit millisecond prefix never goes backwards.
        if (!prev.empty()) {
            EXPECT_LE(prev.substr(0, 13), u.substr(0, 13));
        }
        prev = u;
    }
    EXPECT_FALSE(uuid_is_valid("not-a-uuid"));
    EXPECT_FALSE(uuid_is_valid("0190B6A4-0000-7000-8000-000000000000"));  // uppercase refused
}

TEST(Hash, EmptyInputMatchesXxh3Spec) {
    // XXH3_128bits of the empty input with the default secret (xxHash documentation/tests).
    EXPECT_EQ(hash_bytes("", 0), "99aa06d3014798d86001c324468d497f");
}

TEST(Hash, FileMatchesMemoryAndDetectsChange) {
    auto dir = std::filesystem::temp_directory_path() / ("atelier-hash-" + uuid_v7());
    std::filesystem::create_directories(dir);
    std::mt19937 rng(42);
    std::string data(3 * 1024 * 1024 + 17, '\0');  // spans several 1 MiB blocks
    for (auto& c : data) c = static_cast<char>(rng());
    auto f = dir / "a.bin";
    std::ofstream(f, std::ios::binary).write(data.data(), static_cast<std::streamsize>(data.size()));
    auto h = hash_file(f);
    ASSERT_TRUE(h.ok());
    EXPECT_EQ(*h, hash_bytes(data));
    data[data.size() / 2] ^= 1;
    EXPECT_NE(*h, hash_bytes(data));
    auto missing = hash_file(dir / "missing");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, ErrorCode::NotFound);
    std::stop_source ss;
    ss.request_stop();
    auto cancelled = hash_file(f, ss.get_token());
    ASSERT_FALSE(cancelled.ok());
    EXPECT_EQ(cancelled.error().code, ErrorCode::Cancelled);
    std::filesystem::remove_all(dir);
}
