// FloatRing: exact data through wrap-around, capacity rounding, and a two-thread SPSC stress run
// where the consumer checks every value of a counting sequence (any lost, duplicated or torn
// element fails).
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "media/ring-buffer.h"

using atelier::media::FloatRing;

TEST(AudioRing, CapacityIsPowerOfTwo) {
    EXPECT_EQ(FloatRing(1000).capacity(), 1024u);
    EXPECT_EQ(FloatRing(1024).capacity(), 1024u);
    EXPECT_EQ(FloatRing(1025).capacity(), 2048u);
    FloatRing r(8);
    EXPECT_EQ(r.available_read(), 0u);
    EXPECT_EQ(r.available_write(), 8u);
}

TEST(AudioRing, WrapAroundKeepsExactData) {
    FloatRing r(8);
    std::vector<float> in(5), out(8);
    float next = 0, expect = 0;
    for (int round = 0; round < 100; ++round) {  // 5-in/5-out through 8 slots wraps every other round
        for (auto& v : in) v = next++;
        ASSERT_EQ(r.write(in.data(), 5), 5u);
        ASSERT_EQ(r.available_read(), 5u);
        ASSERT_EQ(r.read(out.data(), 8), 5u);
        for (int i = 0; i < 5; ++i) ASSERT_EQ(out[i], expect++) << "round " << round;
    }
}

TEST(AudioRing, FullAndEmptyAreDistinct) {
    FloatRing r(4);
    const float in[6] = {1, 2, 3, 4, 5, 6};
    EXPECT_EQ(r.write(in, 6), 4u);  // only what fits
    EXPECT_EQ(r.available_write(), 0u);
    EXPECT_EQ(r.write(in, 1), 0u);
    float out[6] = {};
    EXPECT_EQ(r.discard(1), 1u);
    EXPECT_EQ(r.read(out, 6), 3u);
    EXPECT_EQ(out[0], 2.0f);
    EXPECT_EQ(out[2], 4.0f);
    EXPECT_EQ(r.read(out, 1), 0u);
    r.write(in, 3);
    r.reset();
    EXPECT_EQ(r.available_read(), 0u);
}

TEST(AudioRing, TwoThreadStressExactSequence) {
    FloatRing r(1024);
    constexpr int64_t kTotal = 4'000'000;  // exact in float: < 2^24
    std::thread producer([&] {
        std::vector<float> chunk(257);
        int64_t next = 0;
        size_t sz = 1;
        while (next < kTotal) {
            sz = sz % 257 + 1;  // varying chunk sizes so the split point moves around the ring
            const size_t n = static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(sz), kTotal - next));
            for (size_t i = 0; i < n; ++i) chunk[i] = static_cast<float>(next + static_cast<int64_t>(i));
            size_t done = 0;
            while (done < n) {
                const size_t w = r.write(chunk.data() + done, n - done);
                if (w == 0) std::this_thread::yield();
                done += w;
            }
            next += static_cast<int64_t>(n);
        }
    });
    std::vector<float> buf(300);
    int64_t expect = 0, bad = 0;
    size_t sz = 7;
    while (expect < kTotal) {
        sz = sz * 5 % 299 + 1;
        const size_t got = r.read(buf.data(), sz);
        if (got == 0) std::this_thread::yield();
        for (size_t i = 0; i < got; ++i)
            if (buf[i] != static_cast<float>(expect++)) ++bad;
    }
    producer.join();
    EXPECT_EQ(bad, 0);
    EXPECT_EQ(expect, kTotal);
    EXPECT_EQ(r.available_read(), 0u);
}
