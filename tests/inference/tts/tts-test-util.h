// Shared by the tts tests: where the real Piper voice lives (scripts/fetch-models puts it in the
// model cache; $ATELIER_MODEL_CACHE overrides the cache). Thread-safety: any thread.
#pragma once

#include <cstdlib>
#include <filesystem>

namespace tts_test {

inline std::filesystem::path voice_dir(const char* name = "piper-joe") {
    const char* cache = std::getenv("ATELIER_MODEL_CACHE");
    const char* home = std::getenv("HOME");
    std::filesystem::path root = cache && *cache ? cache : std::filesystem::path(home ? home : "/root") / ".cache/atelier/models";
    return root / name;
}

}  // namespace tts_test
