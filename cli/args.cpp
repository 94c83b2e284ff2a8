// Argument parsing for atelier-cli. Unknown options are errors (a typo must not be ignored).
#include "cli/args.h"

namespace atelier::cli {

Result<Args> parse_args(const std::vector<std::string>& argv, const ArgSpec& spec, const std::string& command) {
    const std::string hint = "run 'atelier-cli " + command + " --help' for the usage";
    Args out;
    bool only_positional = false;
    for (size_t i = 0; i < argv.size(); ++i) {
        const std::string& a = argv[i];
        if (only_positional || a.size() < 2 || a[0] != '-' || a == "-") {
            out.positional.push_back(a);
            continue;
        }
        if (a == "--") {
            only_positional = true;
            continue;
        }
        const size_t eq = a.find('=');
        const std::string name = a.substr(0, eq);
        if (spec.flags.count(name)) {
            if (eq != std::string::npos)
                return make_error(ErrorCode::InvalidArgument, "option " + name + " takes no value", hint);
            out.flags.insert(name);
        } else if (spec.options.count(name)) {
            if (eq != std::string::npos) {
                out.options[name] = a.substr(eq + 1);
            } else if (i + 1 < argv.size()) {
                out.options[name] = argv[++i];
            } else {
                return make_error(ErrorCode::InvalidArgument, "option " + name + " needs a value", hint);
            }
            out.all_options[name].push_back(out.options[name]);
        } else {
            return make_error(ErrorCode::InvalidArgument, "unknown option '" + a + "' for '" + command + "'", hint);
        }
    }
    if (out.positional.size() < spec.min_positional)
        return make_error(ErrorCode::InvalidArgument, "'" + command + "' is missing an argument", hint);
    if (out.positional.size() > spec.max_positional)
        return make_error(ErrorCode::InvalidArgument,
                          "'" + command + "' got an unexpected argument '" + out.positional[spec.max_positional] + "'", hint);
    return out;
}

}  // namespace atelier::cli
