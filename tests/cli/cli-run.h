// Running the built atelier-cli from a test: its exit code, stdout and stderr, with optional stdin.
// Each test target passes the binary's path in ATELIER_CLI_PATH (tests/cli/CMakeLists.txt).
// Thread-safety: test threads; each call uses its own scratch files.
#pragma once

#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "../pipelines/test-util.h"

namespace atelier::test {

struct CliRun {
    int code = -1;
    std::string out, err;
    // stdout as one JSON object (a test failure when it is not).
    nlohmann::json j() const {
        nlohmann::json parsed = nlohmann::json::parse(out, nullptr, false);
        EXPECT_FALSE(parsed.is_discarded()) << "stdout is not one JSON object: " << out;
        return parsed;
    }
};

inline CliRun run_cli(const std::vector<std::string>& args, const std::string& stdin_text = {}) {
    TempDir tmp;
    std::string cmd = shell_quote(ATELIER_CLI_PATH);
    for (const auto& a : args) cmd += " " + shell_quote(a);
    const std::filesystem::path in = tmp / "stdin.txt", err = tmp / "stderr.txt";
    std::ofstream(in) << stdin_text;
    CliRun r;
    r.out = run_capture(cmd + " <" + shell_quote(in.string()) + " 2>" + shell_quote(err.string()), &r.code);
    r.err = read_file(err);
    return r;
}

}  // namespace atelier::test
