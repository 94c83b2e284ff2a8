// UUIDv7 generation. Thread-safety: each thread keeps its own RNG, seeded from random_device.
#include "core/uuid.h"

#include <array>
#include <chrono>
#include <cstdint>
#include <random>

namespace atelier {

std::string uuid_v7() {
    thread_local std::mt19937_64 rng{(static_cast<uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}()};
    const uint64_t ms = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                  std::chrono::system_clock::now().time_since_epoch())
                                                  .count());
    std::array<uint8_t, 16> b{};
    for (int i = 0; i < 6; ++i) b[static_cast<size_t>(i)] = static_cast<uint8_t>(ms >> (40 - 8 * i));
    const uint64_t r1 = rng(), r2 = rng();
    for (int i = 6; i < 16; ++i) b[static_cast<size_t>(i)] = static_cast<uint8_t>((i < 11 ? r1 : r2) >> (8 * (i % 8)));
    b[6] = static_cast<uint8_t>(0x70 | (b[6] & 0x0F));  // version 7
    b[8] = static_cast<uint8_t>(0x80 | (b[8] & 0x3F));  // variant 10
    static const char* hex = "0123456789abcdef";
    std::string s;
    s.reserve(36);
    for (size_t i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) s.push_back('-');
        s.push_back(hex[b[i] >> 4]);
        s.push_back(hex[b[i] & 15]);
    }
    return s;
}

bool uuid_is_valid(std::string_view s) {
    if (s.size() != 36) return false;
    for (size_t i = 0; i < 36; ++i) {
        const char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    return true;
}

}  // namespace atelier
