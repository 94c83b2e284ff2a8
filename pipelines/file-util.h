// Small file helpers shared by the pipelines (internal, not installed): chunked copies that honour
// a stop token, errno -> ErrorCode mapping, safe file-name components, atomic text writes.
// Invariant: a failed or cancelled copy never leaves a partial file at the destination.
// Thread-safety: reentrant; every function works on its own arguments.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <stop_token>
#include <string>
#include <string_view>

#include "core/result.h"

namespace atelier::pipelines {

// ENOSPC/EDQUOT -> DiskFull, EACCES/EPERM/EROFS -> PermissionDenied, ENOENT -> NotFound, else IoError.
ErrorCode error_code_from_errno(int err);
// An Error naming `what` and `path`, with a hint chosen from the errno.
Error file_error(int err, std::string_view what, const std::filesystem::path& path);

// Copies src to dst (which must not exist) in chunks, checking `stop` between chunks. On_bytes (may
// be empty) receives the bytes copied by each chunk. On any failure dst is removed.
Status copy_file_chunked(const std::filesystem::path& src, const std::filesystem::path& dst, std::stop_token stop,
                         const std::function<void(int64_t)>& on_bytes = {});

// Copies src to `dst` through a hidden temporary in the same folder and a rename, so `dst` either
// does not exist or is complete. Returns false in *copied when dst already existed (left as is).
Status copy_file_atomic(const std::filesystem::path& src, const std::filesystem::path& dst, std::stop_token stop,
                        bool* copied = nullptr);

// Writes bytes to path (created or truncated); maps errno on failure.
Status write_text_file(const std::filesystem::path& path, std::string_view bytes);

// A string usable as one file-name component: path separators, control and reserved characters
// become '_', leading/trailing dots and spaces are trimmed, UTF-8 is cut at a code-point boundary
// to at most max_bytes. Never empty ("untitled").
std::string safe_file_component(std::string_view name, size_t max_bytes = 80);

// Lowercase extension without the dot, only [a-z0-9], at most 10 chars; "bin" when none fits.
std::string safe_extension(const std::filesystem::path& path);

}  // namespace atelier::pipelines
