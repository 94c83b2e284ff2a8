// UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then random bits. Sorts by creation time, which
// keeps SQLite's indexes on uuid columns append-mostly. Thread-safety: safe from any thread.
#pragma once

#include <string>
#include <string_view>

namespace atelier {

std::string uuid_v7();                          // "0190b6a4-....-7...-8...-............"
bool uuid_is_valid(std::string_view s);         // canonical lowercase 8-4-4-4-12 hex form

}  // namespace atelier
