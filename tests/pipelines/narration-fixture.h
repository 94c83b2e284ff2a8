// The real Piper voice for the narration tests (pipelines and the Speak workspace): where
// scripts/fetch-models puts it, and REQUIRE_JOE(), which fails under CI (the voice is fetched
// there) and skips elsewhere with the reason when it is absent. Test code only.
#pragma once

#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

namespace atelier::test {

inline std::filesystem::path joe_dir() {
    const char* cache = std::getenv("ATELIER_MODEL_CACHE");
    const char* home = std::getenv("HOME");
    return std::filesystem::path(cache && *cache ? cache : std::filesystem::path(home ? home : "/root") / ".cache/atelier/models") /
           "piper-joe";
}

}  // namespace atelier::test

#define REQUIRE_JOE()                                                                                           \
    do {                                                                                                        \
        if (!std::filesystem::exists(atelier::test::joe_dir() / "voice.json")) {                               \
            if (std::getenv("CI")) FAIL() << "the Piper voice is not in the model cache (scripts/fetch-models)"; \
            GTEST_SKIP() << "the Piper voice is not in the model cache: run scripts/fetch-models";              \
        }                                                                                                       \
    } while (0)
