// Content hashing for assets: XXH3-128 (libxxhash), printed as 32 lowercase hex digits.
// Not cryptographic: it identifies content for de-duplication, not against an attacker.
// Thread-safety: pure functions; hash_file reads the file on the calling thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <stop_token>
#include <string>
#include <string_view>

#include "core/result.h"

namespace atelier {

std::string hash_bytes(const void* data, size_t size);
inline std::string hash_bytes(std::string_view s) { return hash_bytes(s.data(), s.size()); }

// Streams the file in 1 MiB blocks; checks `stop` between blocks (returns Cancelled).
Result<std::string> hash_file(const std::filesystem::path& path, std::stop_token stop = {});

}  // namespace atelier
