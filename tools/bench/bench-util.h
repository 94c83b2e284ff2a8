// Helpers shared by the benchmarks: a scratch folder, wall-clock timing, running a shell command
// as an anchor, and the machine's memory-copy bandwidth measured in the same run (the hardware
// limit the ratios are taken against). Benchmarks print; they never assert.
#pragma once

#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace atelier::bench {
namespace fs = std::filesystem;

inline double now_s() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

class ScratchDir {
public:
    explicit ScratchDir(const char* tag) {
        std::string tmpl = (fs::temp_directory_path() / (std::string("atelier-bench-") + tag + "-XXXXXX")).string();
        if (::mkdtemp(tmpl.data())) path_ = tmpl;
    }
    ~ScratchDir() {
        std::error_code ec;
        if (!path_.empty()) fs::remove_all(path_, ec);
    }
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

// Seconds taken by `sh -c cmd`; negative if it failed.
inline double time_shell(const std::string& cmd) {
    const double t0 = now_s();
    const int rc = std::system(cmd.c_str());
    const double t = now_s() - t0;
    return (rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 0) ? t : -1.0;
}

// Best of `reps` memcpy passes over a 256 MiB buffer, in bytes/s (one thread: the copy loops of
// an importer run one file per thread).
inline double memcpy_bandwidth(int reps = 5) {
    const size_t n = 256u << 20;
    std::vector<char> a(n, 1), b(n, 2);
    double best = 1e30;
    for (int i = 0; i < reps; ++i) {
        const double t0 = now_s();
        std::memcpy(b.data(), a.data(), n);
        best = std::min(best, now_s() - t0);
        a[static_cast<size_t>(i)] = b[n - 1 - static_cast<size_t>(i)];  // keep the copy observable
    }
    return static_cast<double>(n) / best;
}

inline std::string machine_name() {
    std::string model = "unknown CPU";
    if (FILE* f = std::fopen("/proc/cpuinfo", "r")) {
        char line[512];
        while (std::fgets(line, sizeof line, f)) {
            if (std::strncmp(line, "model name", 10) == 0) {
                const char* colon = std::strchr(line, ':');
                if (colon) model = colon + 2;
                model.erase(model.find_last_not_of("\n ") + 1);
                break;
            }
        }
        std::fclose(f);
    }
    return model + ", " + std::to_string(std::thread::hardware_concurrency()) + " threads";
}

// The integer after `name` on the command line (e.g. --n 1000), or fallback.
inline int arg_int(int argc, char** argv, const char* name, int fallback) {
    for (int i = 1; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], name) == 0) return std::atoi(argv[i + 1]);
    return fallback;
}

// The file system a path lives on ("ext4", "tmpfs", ...): file creation cost differs by 10x.
inline std::string fs_type(const fs::path& p) {
    struct statfs st {};
    if (::statfs(p.c_str(), &st) != 0) return "unknown fs";
    switch (static_cast<unsigned long>(st.f_type)) {
        case 0xEF53: return "ext4";
        case 0x01021994: return "tmpfs";
        case 0x58465342: return "xfs";
        case 0x9123683E: return "btrfs";
        case 0x794C7630: return "overlayfs";
        default: return "fs 0x" + std::to_string(st.f_type);
    }
}

inline double median(std::vector<double> v) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

}  // namespace atelier::bench
