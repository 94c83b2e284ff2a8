// A tiny command-line parser for atelier-cli: positionals, boolean flags and options with a value
// ("--name N" or "--name=N"); "--" ends options. No dependencies, no global state.
// Thread-safety: pure functions on their arguments.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/result.h"

namespace atelier::cli {

struct ArgSpec {
    std::set<std::string> flags;    // e.g. "--json", "--zip"
    std::set<std::string> options;  // take a value, e.g. "--name"
    size_t min_positional = 0;
    size_t max_positional = 0;      // SIZE_MAX for "any number"
};

struct Args {
    std::vector<std::string> positional;
    std::set<std::string> flags;
    std::map<std::string, std::string> options;            // the last value of each option
    std::map<std::string, std::vector<std::string>> all_options;  // every value, in order (repeatable options)

    bool has(const std::string& flag) const { return flags.count(flag) != 0; }
    std::string option(const std::string& name, const std::string& fallback = {}) const {
        auto it = options.find(name);
        return it == options.end() ? fallback : it->second;
    }
    std::vector<std::string> option_values(const std::string& name) const {
        auto it = all_options.find(name);
        return it == all_options.end() ? std::vector<std::string>{} : it->second;
    }
};

// Errors are InvalidArgument with a hint naming the subcommand's --help.
Result<Args> parse_args(const std::vector<std::string>& argv, const ArgSpec& spec, const std::string& command);

}  // namespace atelier::cli
