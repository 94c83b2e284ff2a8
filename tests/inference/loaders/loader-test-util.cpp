// Loader test helpers (see loader-test-util.h). SHA-256 follows FIPS 180-4 directly.
#include "loader-test-util.h"

#include <array>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace atelier::infer::test {
namespace fs = std::filesystem;
using nlohmann::json;

fs::path repo_root() { return fs::path(ATELIER_TEST_DATA_DIR).parent_path(); }
fs::path fixtures_dir() { return fs::path(ATELIER_TEST_DATA_DIR) / "inference" / "loaders" / "fixtures"; }

namespace {
// Every folder temp_dir hands out is removed when the test process exits: ctest runs each case in its own
// process, so folders named by pid would otherwise pile up (a CI run left over 1 GB of them).
struct TempDirs {
    std::vector<fs::path> dirs;
    ~TempDirs() {
        std::error_code ec;
        for (const auto& d : dirs) fs::remove_all(d, ec);
    }
};
TempDirs& temp_dirs() {
    static TempDirs t;
    return t;
}
}  // namespace

fs::path temp_dir(const std::string& name) {
    fs::path p = fs::path(ATELIER_BINARY_DIR) / "test-tmp" / "loaders" / (name + "-" + std::to_string(::getpid()));
    fs::remove_all(p);
    fs::create_directories(p);
    temp_dirs().dirs.push_back(p);
    return p;
}

std::vector<uint8_t> read_bytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_bytes(const fs::path& p, const std::vector<uint8_t>& bytes) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

json read_json(const fs::path& p) {
    std::ifstream in(p);
    return json::parse(in);
}

namespace {
constexpr std::array<uint32_t, 64> kK = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
    0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
    0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
    0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
    0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }
}  // namespace

std::string sha256_hex(const void* data, size_t size) {
    std::array<uint32_t, 8> h = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    std::vector<uint8_t> m(static_cast<const uint8_t*>(data), static_cast<const uint8_t*>(data) + size);
    m.push_back(0x80);
    while (m.size() % 64 != 56) m.push_back(0);
    const uint64_t bits = static_cast<uint64_t>(size) * 8;
    for (int i = 7; i >= 0; --i) m.push_back(static_cast<uint8_t>(bits >> (i * 8)));
    for (size_t off = 0; off < m.size(); off += 64) {
        uint32_t w[64];
        for (int i = 0; i < 16; ++i)
            w[i] = (uint32_t(m[off + 4 * i]) << 24) | (uint32_t(m[off + 4 * i + 1]) << 16) | (uint32_t(m[off + 4 * i + 2]) << 8) |
                   m[off + 4 * i + 3];
        for (int i = 16; i < 64; ++i) {
            const uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
            const uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16] + s0 + w[i - 7] + s1;
        }
        auto v = h;
        for (int i = 0; i < 64; ++i) {
            const uint32_t S1 = rotr(v[4], 6) ^ rotr(v[4], 11) ^ rotr(v[4], 25);
            const uint32_t ch = (v[4] & v[5]) ^ (~v[4] & v[6]);
            const uint32_t t1 = v[7] + S1 + ch + kK[static_cast<size_t>(i)] + w[i];
            const uint32_t S0 = rotr(v[0], 2) ^ rotr(v[0], 13) ^ rotr(v[0], 22);
            const uint32_t maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
            v = {t1 + S0 + maj, v[0], v[1], v[2], v[3] + t1, v[4], v[5], v[6]};
        }
        for (size_t i = 0; i < 8; ++i) h[i] += v[i];
    }
    char out[65];
    for (size_t i = 0; i < 8; ++i) std::snprintf(out + i * 8, 9, "%08x", h[i]);
    return std::string(out, 64);
}

json value_json(const GgufValue& v) {
    if (v.type() == GgufType::Array) {
        json items = json::array();
        for (size_t i = 0; i < v.array_size(); ++i) {
            const GgufValue e = v.element(i);
            items.push_back(v.elem_type() == GgufType::Array ? value_json(e) : value_json(e)["value"]);
        }
        return json{{"type", "array"}, {"elem", gguf_type_name(v.elem_type())}, {"items", items}};
    }
    json val;
    if (v.type() == GgufType::String) val = *v.as_string();
    else if (v.type() == GgufType::Bool) val = *v.as_bool();
    else if (v.type() == GgufType::F32 || v.type() == GgufType::F64) val = *v.as_number();
    else if (v.type() == GgufType::U64 || !v.as_int()) val = *v.as_uint();
    else val = *v.as_int();
    return json{{"type", gguf_type_name(v.type())}, {"value", val}};
}

json describe_gguf_model(const Model& m) {
    json meta = json::object(), tensors = json::object();
    for (const auto& [k, v] : m.gguf_metadata()) meta[k] = value_json(v);
    for (const auto& t : m.tensors()) {
        std::string type = dtype_name(t.type);
        for (auto& ch : type) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        json shape = json::array();
        for (int d = 0; d < t.n_dims; ++d) shape.push_back(t.ne[static_cast<size_t>(d)]);
        tensors[t.name] = {{"type", type}, {"shape", shape}, {"sha256", sha256_hex(t.data, static_cast<size_t>(t.n_bytes()))}};
    }
    return json{{"metadata", meta}, {"tensors", tensors}};
}

std::string run_capture(const std::string& command, int* exit_code) {
    std::string out;
    FILE* p = ::popen(command.c_str(), "r");
    if (!p) {
        *exit_code = -1;
        return out;
    }
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    const int st = ::pclose(p);
    *exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return out;
}

std::string venv_python() { return (repo_root() / ".venv" / "bin" / "python").string(); }
bool venv_python_present() { return fs::exists(venv_python()); }

Bytes& Bytes::u32(uint32_t v) { return raw({uint8_t(v), uint8_t(v >> 8), uint8_t(v >> 16), uint8_t(v >> 24)}); }
Bytes& Bytes::u64(uint64_t v) { return u32(static_cast<uint32_t>(v)).u32(static_cast<uint32_t>(v >> 32)); }
Bytes& Bytes::str(const std::string& s) {
    u64(s.size());
    b.insert(b.end(), s.begin(), s.end());
    return *this;
}
Bytes& Bytes::raw(const std::vector<uint8_t>& v) {
    b.insert(b.end(), v.begin(), v.end());
    return *this;
}
Bytes& Bytes::pad_to(size_t alignment) {
    while (b.size() % alignment) b.push_back(0);
    return *this;
}
Bytes& Bytes::header(uint32_t version, uint64_t n_tensors, uint64_t n_kv) {
    return u32(0x46554747).u32(version).u64(n_tensors).u64(n_kv);
}
Bytes& Bytes::kv_u32(const std::string& key, uint32_t v) { return str(key).u32(4).u32(v); }
Bytes& Bytes::tensor(const std::string& name, std::vector<uint64_t> ne, uint32_t type, uint64_t offset) {
    str(name).u32(static_cast<uint32_t>(ne.size()));
    for (uint64_t n : ne) u64(n);
    return u32(type).u64(offset);
}

}  // namespace atelier::infer::test
