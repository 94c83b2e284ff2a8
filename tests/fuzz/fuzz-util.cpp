// Helpers for the fuzz targets (see fuzz-util.h).
#include "fuzz-util.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <unistd.h>

namespace atelier::fuzz {

const std::filesystem::path& scratch_dir() {
    static const std::filesystem::path dir = [] {
        auto d = std::filesystem::temp_directory_path() / ("atelier-fuzz-" + std::to_string(::getpid()));
        std::filesystem::create_directories(d);
        std::atexit([] {
            std::error_code ec;
            std::filesystem::remove_all(std::filesystem::temp_directory_path() / ("atelier-fuzz-" + std::to_string(::getpid())), ec);
        });
        return d;
    }();
    return dir;
}

std::filesystem::path write_scratch(const char* name, const uint8_t* data, size_t size) {
    auto path = scratch_dir() / name;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    return path;
}

void check_failed(const char* what, const char* file, int line) {
    std::fprintf(stderr, "fuzz property violated: %s (%s:%d)\n", what, file, line);
    std::abort();
}

}  // namespace atelier::fuzz
