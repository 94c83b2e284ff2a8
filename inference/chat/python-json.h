// JSON written the way Python's json.dumps(value, ensure_ascii=False) writes it: ", " and ": "
// separators, keys in their given order, non-ASCII as is, control characters as \u00xx. DeepSeek's
// chat encoder puts tool schemas and arguments into prompts in this form, so ours must match it.
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace atelier::infer {

using ojson = nlohmann::ordered_json;

void python_json_string(std::string_view s, std::string& out);  // appends the quoted string
std::string python_json(const ojson& value);
// Parses keeping key order; nullopt when the text is not JSON. Never throws.
std::optional<ojson> parse_json_ordered(std::string_view text);

}  // namespace atelier::infer
