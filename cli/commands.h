// atelier-cli subcommands. Each takes the arguments after its name and returns the exit code
// (cli/output.h). Thread-safety: main thread only.
#pragma once

#include <string>
#include <vector>

#include "cli/output.h"

namespace atelier::cli {

using Argv = std::vector<std::string>;

int cmd_project_new(const Argv& argv);
int cmd_project_info(const Argv& argv);
int cmd_project_list(const Argv& argv);
int cmd_project_import(const Argv& argv);
int cmd_project_bundle(const Argv& argv);
int cmd_project_rerun(const Argv& argv);
int cmd_demo(const Argv& argv);
int cmd_model_info(const Argv& argv);
int cmd_generate(const Argv& argv);
int cmd_chat(const Argv& argv);
int cmd_media_probe(const Argv& argv);
int cmd_media_convert(const Argv& argv);
int cmd_media_devices(const Argv& argv);
int cmd_media_play(const Argv& argv);
int cmd_media_record(const Argv& argv);
int cmd_project_record(const Argv& argv);
int cmd_export(const Argv& argv);
int cmd_transcribe(const Argv& argv);
int cmd_speak(const Argv& argv);
int cmd_voices(const Argv& argv);

// Shared by the subcommands: parse with --json/--quiet/--help added to spec; on --help prints
// `usage` and returns 0 through *exit_now; on a usage error prints it and returns 1.
struct ArgSpec;
struct Args;
bool parse_command(const Argv& argv, ArgSpec spec, const std::string& command, const char* usage, Args& out,
                   Cli& cli, int* exit_now);

}  // namespace atelier::cli
