// The demo's DeepSeek V4 chat step (cli/demo-chat.cpp says what it does).
// Thread-safety: the CLI's main thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "cli/output.h"
#include "pipelines/studio.h"

namespace atelier::cli {

struct DemoChat {
    bool ran = false;
    std::string note;             // why it did not run (or failed)
    std::string model;            // the tiny checkpoint folder
    std::string chat_uuid;
    std::string generation_uuid;  // the answer's provenance row
    std::string answer;
    int64_t tokens = 0;
    double tokens_per_s = 0.0;
};

// Writes the tiny V4 checkpoint into `dir` and answers one question in a new chat of `studio`.
DemoChat run_demo_chat(pipelines::Studio& studio, const std::filesystem::path& dir, const Cli& cli);

}  // namespace atelier::cli
