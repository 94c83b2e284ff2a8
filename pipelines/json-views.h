// JSON views of project objects shared by the bundle manifest and atelier-cli --json output, so
// both spell every field the same way. Also UTC time formatting for Unix milliseconds.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "projects/project.h"

namespace atelier::pipelines {

// Every Asset field except metadata_json (see asset_metadata_json); storage as "media"/"blob"/"external".
nlohmann::json asset_json(const projects::Asset& a);
// metadata_json parsed; the raw text as a JSON string if it does not parse.
nlohmann::json parse_json_or_string(const std::string& text);
nlohmann::json job_json(const projects::JobRecord& j);
// strftime of a Unix-ms time in UTC, e.g. format_utc(ms, "%Y-%m-%dT%H:%M:%SZ").
std::string format_utc(int64_t unix_ms, const char* strftime_format);

}  // namespace atelier::pipelines
