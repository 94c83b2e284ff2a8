// cached_hash_file (see hash-cache.h).
#include "pipelines/hash-cache.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <mutex>

#include <nlohmann/json.hpp>

#include "core/hash.h"

namespace atelier::pipelines {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::mutex g_mutex;

struct Identity {
    int64_t size = 0, mtime_ns = 0, ctime_ns = 0, inode = 0;
    bool operator==(const Identity&) const = default;
};

bool identify(const fs::path& p, Identity* id) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) return false;
    id->size = static_cast<int64_t>(st.st_size);
    id->mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    id->ctime_ns = static_cast<int64_t>(st.st_ctim.tv_sec) * 1'000'000'000 + st.st_ctim.tv_nsec;
    id->inode = static_cast<int64_t>(st.st_ino);
    return true;
}

json read_cache(const fs::path& file) {
    std::ifstream in(file);
    if (!in) return json::object();
    json j = json::parse(in, nullptr, false);
    return j.is_object() ? j : json::object();
}

void write_cache(const fs::path& dir, const json& j) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    const fs::path tmp = dir / ("file-hashes.json.tmp" + std::to_string(::getpid()));
    {
        std::ofstream out(tmp, std::ios::trunc);
        if (!out) return;
        out << j.dump();
        if (!out.good()) {
            out.close();
            fs::remove(tmp, ec);
            return;
        }
    }
    fs::rename(tmp, dir / "file-hashes.json", ec);
    if (ec) fs::remove(tmp, ec);
}

}  // namespace

fs::path default_cache_dir() {
    if (const char* d = std::getenv("ATELIER_CACHE_DIR"); d && *d) return d;
    if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return fs::path(x) / "atelier";
    if (const char* h = std::getenv("HOME"); h && *h) return fs::path(h) / ".cache" / "atelier";
    return fs::temp_directory_path() / "atelier-cache";
}

fs::path model_cache_dir() {
    if (const char* c = std::getenv("ATELIER_MODEL_CACHE"); c && *c) return c;
    if (const char* h = std::getenv("HOME"); h && *h) return fs::path(h) / ".cache" / "atelier" / "models";
    return {};
}

Result<CachedHash> cached_hash_file(const fs::path& path, std::stop_token stop, const fs::path& cache_dir) {
    std::error_code ec;
    const fs::path abs = fs::absolute(path, ec).lexically_normal();
    const std::string key = (ec ? path : abs).string();
    const fs::path dir = cache_dir.empty() ? default_cache_dir() : cache_dir;
    Identity before;
    if (!identify(path, &before)) {  // hash_file names the problem (missing, unreadable)
        ATELIER_TRY_ASSIGN(std::string h, hash_file(path, stop));
        return CachedHash{std::move(h), false};
    }
    {
        std::lock_guard lock(g_mutex);
        const json cache = read_cache(dir / "file-hashes.json");
        if (auto it = cache.find(key); it != cache.end() && it->is_object()) {
            const Identity stored{it->value("size", int64_t{-1}), it->value("mtime_ns", int64_t{-1}),
                                  it->value("ctime_ns", int64_t{-1}), it->value("inode", int64_t{-1})};
            const std::string h = it->value("hash", std::string());
            if (stored == before && h.size() == 32) return CachedHash{h, true};
        }
    }
    ATELIER_TRY_ASSIGN(std::string h, hash_file(path, stop));
    Identity after;
    if (!identify(path, &after) || !(after == before)) return CachedHash{h, false};  // changed while read: do not keep
    std::lock_guard lock(g_mutex);
    json cache = read_cache(dir / "file-hashes.json");  // re-read: another process may have added entries
    cache[key] = {{"size", after.size}, {"mtime_ns", after.mtime_ns}, {"ctime_ns", after.ctime_ns}, {"inode", after.inode}, {"hash", h}};
    write_cache(dir, cache);
    return CachedHash{h, false};
}

}  // namespace atelier::pipelines
