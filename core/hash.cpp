// XXH3-128 hashing of memory and files.
#include "core/hash.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include <xxhash.h>

namespace atelier {
namespace {

std::string to_hex(XXH128_hash_t h) {
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, h);
    static const char* hex = "0123456789abcdef";
    std::string s(32, '0');
    for (size_t i = 0; i < 16; ++i) {
        s[2 * i] = hex[c.digest[i] >> 4];
        s[2 * i + 1] = hex[c.digest[i] & 15];
    }
    return s;
}

struct FileCloser {
    void operator()(FILE* f) const { std::fclose(f); }
};
struct StateFree {
    void operator()(XXH3_state_t* s) const { XXH3_freeState(s); }
};

}  // namespace

std::string hash_bytes(const void* data, size_t size) { return to_hex(XXH3_128bits(data, size)); }

Result<std::string> hash_file(const std::filesystem::path& path, std::stop_token stop) {
    std::unique_ptr<FILE, FileCloser> f(std::fopen(path.c_str(), "rb"));
    if (!f) {
        const int err = errno;
        return make_error(err == ENOENT ? ErrorCode::NotFound : ErrorCode::IoError,
                          "cannot open " + path.string() + ": " + std::strerror(err),
                          "check that the file exists and is readable");
    }
    std::unique_ptr<XXH3_state_t, StateFree> st(XXH3_createState());
    if (!st) return make_error(ErrorCode::OutOfMemory, "hash state allocation failed");
    XXH3_128bits_reset(st.get());
    std::vector<unsigned char> buf(1 << 20);
    for (;;) {
        if (stop.stop_requested()) return make_error(ErrorCode::Cancelled, "hashing cancelled");
        const size_t n = std::fread(buf.data(), 1, buf.size(), f.get());
        if (n > 0) XXH3_128bits_update(st.get(), buf.data(), n);
        if (n < buf.size()) {
            if (std::ferror(f.get()))
                return make_error(ErrorCode::IoError, "read error in " + path.string(), "the disk or file may be damaged");
            break;
        }
    }
    return to_hex(XXH3_128bits_digest(st.get()));
}

}  // namespace atelier
