// ModelCache and load_language_model (see chat-models.h).
// Invariants: models_ and lru_ hold the same keys; a key is in loading_ only while one thread
// loads it (outside the mutex); waiters are woken when it leaves.
// Thread-safety: any thread; the mutex guards the maps, never a load.
#include "pipelines/chat-models.h"

#include <algorithm>
#include <chrono>

#include "core/hash.h"
#include "pipelines/hash-cache.h"
#include "inference/chat/model-tokenizer.h"
#include "inference/model.h"

namespace atelier::pipelines {
namespace fs = std::filesystem;

namespace {

// The provenance hash: the file's own XXH3-128 for one file; for several, the hash of their
// "name hash\n" lines in name order (so it does not depend on where the folder lives).
Result<std::string> hash_model_files(const std::vector<fs::path>& files, std::stop_token stop, const LoadProgressFn& progress) {
    std::vector<std::pair<std::string, std::string>> lines;
    uint64_t total = 0, done = 0;
    for (const fs::path& f : files) {
        std::error_code ec;
        total += fs::file_size(f, ec);
    }
    for (const fs::path& f : files) {
        if (progress) progress(total > 0 ? 0.5 * static_cast<double>(done) / static_cast<double>(total) : 0.0, "hash");
        ATELIER_TRY_ASSIGN(CachedHash h, cached_hash_file(f, stop));  // once per version of the file
        lines.emplace_back(f.filename().string(), std::move(h.hash));
        std::error_code ec;
        done += fs::file_size(f, ec);
    }
    if (lines.size() == 1) return lines.front().second;
    std::sort(lines.begin(), lines.end());
    std::string text;
    for (const auto& [name, h] : lines) text += name + " " + h + "\n";
    return hash_bytes(text);
}

}  // namespace

Result<std::shared_ptr<const LoadedModel>> load_language_model(const fs::path& path, std::stop_token stop,
                                                               const LoadProgressFn& progress) {
    const auto t0 = std::chrono::steady_clock::now();
    infer::LoadOptions opts;
    opts.stop = stop;
    opts.residency = infer::Residency::Auto;  // in RAM (2 MiB pages, faster decode) when it fits
    opts.progress = [&](double f, std::string_view) {
        if (progress) progress(0.5 + 0.4 * f, "load");
    };
    // Map first (it validates the headers and lists the files), then hash what was mapped.
    ATELIER_TRY_ASSIGN(std::shared_ptr<const infer::Model> model, infer::load_model(path, opts));
    auto out = std::make_shared<LoadedModel>();
    out->key = ModelCache::key_for(path.string());
    out->name = path.filename().string();
    std::vector<fs::path> files = model->files();
    for (const char* side : {"config.json", "tokenizer.json", "tokenizer_config.json"})
        if (std::error_code ec; fs::is_directory(path, ec) && fs::exists(path / side, ec)) files.push_back(path / side);
    for (const fs::path& f : files) out->files.push_back(f.string());
    ATELIER_TRY_ASSIGN(out->content_hash, hash_model_files(files, stop, progress));
    if (progress) progress(0.9, "load");
    ATELIER_TRY_ASSIGN(out->tokenizer, infer::tokenizer_for_model(*model));
    if (stop.stop_requested()) return make_error(ErrorCode::Cancelled, path.string() + ": loading cancelled");
    ATELIER_TRY_ASSIGN(out->lm, infer::load_causal_lm(model));
    out->load_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (progress) progress(1.0, "load");
    return std::shared_ptr<const LoadedModel>(std::move(out));
}

std::string ModelCache::key_for(const std::string& key_or_path) {
    if (key_or_path.empty() || key_or_path.find("://") != std::string::npos || key_or_path.rfind("toy:", 0) == 0)
        return key_or_path;
    std::error_code ec;
    const fs::path abs = fs::absolute(key_or_path, ec);
    return (ec ? fs::path(key_or_path) : abs).lexically_normal().string();
}

void ModelCache::touch(const std::string& key) {
    lru_.erase(std::remove(lru_.begin(), lru_.end(), key), lru_.end());
    lru_.insert(lru_.begin(), key);
    while (lru_.size() > capacity_) {
        models_.erase(lru_.back());
        lru_.pop_back();
    }
}

std::shared_ptr<const LoadedModel> ModelCache::find(const std::string& key_or_path) const {
    std::lock_guard lock(mutex_);
    auto it = models_.find(key_or_path);
    if (it == models_.end()) it = models_.find(key_for(key_or_path));
    return it == models_.end() ? nullptr : it->second;
}

void ModelCache::insert(std::shared_ptr<const LoadedModel> model) {
    if (!model) return;
    std::lock_guard lock(mutex_);
    models_[model->key] = model;
    touch(model->key);
}

void ModelCache::evict(const std::string& key) {
    std::lock_guard lock(mutex_);
    models_.erase(key);
    lru_.erase(std::remove(lru_.begin(), lru_.end(), key), lru_.end());
}

std::vector<std::string> ModelCache::keys() const {
    std::lock_guard lock(mutex_);
    return lru_;
}

Result<std::shared_ptr<const LoadedModel>> ModelCache::get(const std::string& key_or_path, std::stop_token stop,
                                                           const LoadProgressFn& progress) {
    if (key_or_path.empty())
        return make_error(ErrorCode::InvalidArgument, "no model chosen", "pick a model in the chat's model picker");
    std::unique_lock lock(mutex_);
    for (const std::string& key : {key_or_path, key_for(key_or_path)}) {
        if (auto it = models_.find(key); it != models_.end()) {
            touch(key);
            return it->second;
        }
    }
    const std::string key = key_for(key_or_path);
    auto in_flight = [&] { return std::find(loading_.begin(), loading_.end(), key) != loading_.end(); };
    // Someone else is loading it: wait for their result (or our own stop).
    if (in_flight()) {
        if (progress) progress(-1.0, "load");
        cv_.wait(lock, stop, [&] { return !in_flight(); });
        if (stop.stop_requested()) return make_error(ErrorCode::Cancelled, key + ": waiting for the model cancelled");
        if (auto it = models_.find(key); it != models_.end()) {
            touch(key);
            return it->second;
        }
    }
    loading_.push_back(key);
    lock.unlock();
    auto loaded = load_language_model(fs::path(key), stop, progress);
    lock.lock();
    loading_.erase(std::remove(loading_.begin(), loading_.end(), key), loading_.end());
    if (loaded.ok()) {
        models_[key] = *loaded;
        touch(key);
    }
    cv_.notify_all();
    return loaded;
}

}  // namespace atelier::pipelines
