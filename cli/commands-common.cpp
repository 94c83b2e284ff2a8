// Plumbing shared by the subcommands: the common flags (--json, --quiet, --help) and usage errors.
#include <cstdio>

#include "cli/args.h"
#include "cli/commands.h"

namespace atelier::cli {

bool parse_command(const Argv& argv, ArgSpec spec, const std::string& command, const char* usage, Args& out,
                   Cli& cli, int* exit_now) {
    spec.flags.insert({"--json", "--quiet", "--help"});
    for (const auto& a : argv) {
        if (a == "--help" || a == "-h") {
            std::fputs(usage, stdout);
            *exit_now = kExitOk;
            return false;
        }
        if (a == "--json") cli.json = true;  // so that a usage error is reported as JSON too
    }
    auto parsed = parse_args(argv, spec, command);
    if (!parsed.ok()) {
        *exit_now = report_error(cli, parsed.error(), kExitUsage);
        if (!cli.json) std::fputs(usage, stderr);
        return false;
    }
    out = std::move(*parsed);
    cli.json = out.has("--json");
    cli.quiet = out.has("--quiet");
    return true;
}

}  // namespace atelier::cli
