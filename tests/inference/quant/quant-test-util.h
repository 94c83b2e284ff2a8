// Helpers shared by the quantisation tests: golden file loading, deterministic random data,
// error measures. Tests only.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

namespace atelier::infer::test {

inline std::vector<uint8_t> read_golden(const std::string& name) {
    std::ifstream f(std::string(ATELIER_TEST_DATA_DIR) + "/inference/quant/goldens/" + name, std::ios::binary);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

inline std::vector<float> as_floats(const std::vector<uint8_t>& bytes) {
    std::vector<float> v(bytes.size() / 4);
    if (!v.empty()) std::memcpy(v.data(), bytes.data(), v.size() * 4);
    return v;
}

inline std::vector<float> normal_data(size_t n, uint32_t seed, float sigma = 1.0f) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.0f, sigma);
    std::vector<float> v(n);
    for (auto& x : v) x = dist(rng);
    return v;
}

// sqrt(sum (a-b)^2 / sum a^2), in double.
inline double rel_rmse(const std::vector<float>& ref, const std::vector<float>& got) {
    double num = 0, den = 0;
    for (size_t i = 0; i < ref.size(); ++i) {
        const double e = static_cast<double>(got[i]) - ref[i];
        num += e * e;
        den += static_cast<double>(ref[i]) * ref[i];
    }
    return std::sqrt(num / den);
}

}  // namespace atelier::infer::test
