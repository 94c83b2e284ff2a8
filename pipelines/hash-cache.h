// A per-user cache of file content hashes, so a model of 100+ GB is hashed once per version of
// its files, not on every load (provenance needs the hash; reading the whole file each time took
// a minute and pushed everything else out of the page cache).
//  - Entries are keyed by the absolute path and validated by size, mtime, ctime and inode: any
//    write, replacement or touch of the file changes one of them, so a stale hash is never used.
//  - Stored as JSON in $ATELIER_CACHE_DIR or $XDG_CACHE_HOME/atelier or ~/.cache/atelier
//    (file-hashes.json), written atomically (temporary file + rename); an unreadable or corrupt
//    cache is ignored and rebuilt. Failing to write it never fails the caller.
// Thread-safety: any thread (one process-wide mutex around the cache file).
#pragma once

#include <filesystem>
#include <stop_token>
#include <string>

#include "core/result.h"

namespace atelier::pipelines {

struct CachedHash {
    std::string hash;    // as core's hash_file: XXH3-128, 32 hex digits
    bool from_cache = false;
};

// hash_file(path), from the cache when the file is unchanged. Cancelled when `stop` fires while
// hashing. `cache_dir` empty: the per-user default above.
Result<CachedHash> cached_hash_file(const std::filesystem::path& path, std::stop_token stop = {},
                                    const std::filesystem::path& cache_dir = {});

std::filesystem::path default_cache_dir();
// Where downloaded models and voices live (scripts/fetch-models puts them there):
// $ATELIER_MODEL_CACHE, else ~/.cache/atelier/models; empty when neither is set.
std::filesystem::path model_cache_dir();

}  // namespace atelier::pipelines
