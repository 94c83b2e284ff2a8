// Fuzz target: arbitrary bytes as a .atelier project file, opened for writing (identity checks,
// migrations, interrupted-job recovery) and read-only, then its assets listed. Properties: no
// crash, no sanitizer report, refusals are Errors with a real code.
#include <cstdint>
#include <system_error>

#include "fuzz-util.h"
#include "projects/project.h"

using namespace atelier;

extern "C" int LLVMFuzzerInitialize(int*, char***) { return 0; }

namespace {

void remove_project(const std::filesystem::path& path) {
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
        std::filesystem::path p = path;
        p += suffix;
        std::filesystem::remove(p, ec);
    }
    std::filesystem::remove_all(path.parent_path() / (path.stem().string() + ".atelier-media"), ec);
}

void exercise(const std::filesystem::path& path, projects::OpenOptions opts) {
    auto project = projects::Project::open(path, opts);
    if (!project.ok()) {
        FUZZ_CHECK(project.error().code != ErrorCode::Invalid);
        return;
    }
    auto assets = (*project)->list_assets();
    if (!assets.ok()) FUZZ_CHECK(assets.error().code != ErrorCode::Invalid);
    auto info = (*project)->info();
    if (!info.ok()) FUZZ_CHECK(info.error().code != ErrorCode::Invalid);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto path = fuzz::scratch_dir() / "input.atelier";
    remove_project(path);
    fuzz::write_scratch("input.atelier", data, size);
    exercise(path, {.read_only = true});
    exercise(path, {.read_only = false});
    remove_project(path);
    return 0;
}
