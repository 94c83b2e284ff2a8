// ModelCache: language models loaded once and shared by every chat (and every project) of the
// process. A load hashes the model files (core/hash, XXH3-128: the provenance hash), maps the
// weights, builds the tokenizer and binds the architecture (load_causal_lm); it checks a stop
// token between steps and reports progress. Loads are single-flight: a second caller for the same
// model waits for the first one's result. Tests insert a ready LoadedModel (a toy CausalLm and
// Tokenizer) under any key, so no model file is needed.
// Thread-safety: every method may be called from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "inference/lm.h"
#include "inference/tokenizer/tokenizer.h"

namespace atelier::pipelines {

struct LoadedModel {
    std::string key;                       // what chats name it by: the canonical path, or a test id
    std::string name;                      // file or folder name (provenance "model")
    std::string content_hash;              // XXH3-128 hex of the file; of "name hash" lines for several
    std::vector<std::string> files;        // the files hashed (paths)
    std::shared_ptr<const infer::CausalLm> lm;
    std::shared_ptr<const infer::Tokenizer> tokenizer;
    double load_ms = 0;                    // hashing + mapping + binding
};

using LoadProgressFn = std::function<void(double fraction, std::string_view stage)>;  // "hash", "load"

class ModelCache {
public:
    explicit ModelCache(size_t capacity = 2) : capacity_(capacity < 1 ? 1 : capacity) {}

    // The model named `key_or_path`: a cached key as is, else a file/folder loaded and cached under
    // its canonical path (the least recently used model beyond `capacity` is dropped; chats that
    // still use it keep their reference). Errors: those of load_model / tokenizer_for_model /
    // load_causal_lm (NotFound, ModelFormat, ModelUnsupported...), Cancelled.
    Result<std::shared_ptr<const LoadedModel>> get(const std::string& key_or_path, std::stop_token stop = {},
                                                   const LoadProgressFn& progress = {});
    std::shared_ptr<const LoadedModel> find(const std::string& key_or_path) const;  // cached only
    void insert(std::shared_ptr<const LoadedModel> model);  // replaces one with the same key
    void evict(const std::string& key);
    std::vector<std::string> keys() const;  // most recently used first

    // The key a path is cached under (absolute, normalised); the string itself when not a path.
    static std::string key_for(const std::string& key_or_path);

private:
    void touch(const std::string& key);  // under mutex_

    size_t capacity_;
    mutable std::mutex mutex_;
    std::condition_variable_any cv_;
    std::map<std::string, std::shared_ptr<const LoadedModel>> models_;
    std::vector<std::string> lru_;      // most recent first
    std::vector<std::string> loading_;  // keys with a load in flight
};

// Loads one model without caching (what ModelCache::get does on a miss).
Result<std::shared_ptr<const LoadedModel>> load_language_model(const std::filesystem::path& path, std::stop_token stop = {},
                                                               const LoadProgressFn& progress = {});

}  // namespace atelier::pipelines
