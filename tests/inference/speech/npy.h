// Minimal .npy reader for the speech tests: little-endian float32 / int32, C order, v1-v3.
#pragma once

#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace speech_test {

struct Npy {
    std::string descr;
    std::vector<int64_t> shape;
    std::vector<char> bytes;
    template <class T>
    std::vector<T> as() const {
        std::vector<T> v(bytes.size() / sizeof(T));
        std::memcpy(v.data(), bytes.data(), v.size() * sizeof(T));
        return v;
    }
};

inline bool read_npy(const std::string& path, Npy& out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string all = ss.str();
    if (all.size() < 10 || all.compare(0, 6, "\x93NUMPY") != 0) return false;
    const int major = static_cast<unsigned char>(all[6]);
    size_t hlen = 0, off = 0;
    if (major == 1) hlen = static_cast<unsigned char>(all[8]) | (static_cast<size_t>(static_cast<unsigned char>(all[9])) << 8), off = 10;
    else {
        for (int i = 0; i < 4; ++i) hlen |= static_cast<size_t>(static_cast<unsigned char>(all[8 + i])) << (8 * i);
        off = 12;
    }
    const std::string header = all.substr(off, hlen);
    const size_t d = header.find("'descr':");
    const size_t q1 = header.find('\'', d + 8), q2 = header.find('\'', q1 + 1);
    out.descr = header.substr(q1 + 1, q2 - q1 - 1);
    const size_t s = header.find('(', header.find("'shape':")), e = header.find(')', s);
    std::stringstream shape(header.substr(s + 1, e - s - 1));
    std::string item;
    out.shape.clear();
    while (std::getline(shape, item, ','))
        if (item.find_first_not_of(' ') != std::string::npos) out.shape.push_back(std::stoll(item));
    out.bytes.assign(all.begin() + static_cast<ptrdiff_t>(off + hlen), all.end());
    return true;
}

}  // namespace speech_test
