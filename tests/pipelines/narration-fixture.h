// The real Piper voice for the tests that speak (pipelines, the Speak workspace, the CLI): where
// scripts/fetch-models puts it, and REQUIRE_JOE(), which fails under CI (the voice is fetched
// there) and skips elsewhere with the reason when it is absent. Test code only.
#pragma once

#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

#include "pipelines/hash-cache.h"

namespace atelier::test {

inline std::filesystem::path joe_dir() { return pipelines::model_cache_dir() / "piper-joe"; }

}  // namespace atelier::test

#define REQUIRE_JOE()                                                                                           \
    do {                                                                                                        \
        if (!std::filesystem::exists(atelier::test::joe_dir() / "voice.json")) {                               \
            if (std::getenv("CI")) FAIL() << "the Piper voice is not in the model cache (scripts/fetch-models)"; \
            GTEST_SKIP() << "the Piper voice is not in the model cache: run scripts/fetch-models";              \
        }                                                                                                       \
    } while (0)
