// Byte-level BPE merges (see bpe.h). The merge loop is the reference's: a min-heap of candidate
// pairs keyed by (rank, position); stale entries (a side already merged away) are skipped.
// Thread-safety: const methods only touch the cache under cache_mutex_.
#include "inference/tokenizer/bpe.h"

#include <algorithm>
#include <array>
#include <mutex>
#include <queue>

#include "inference/tokenizer/unicode-util.h"

namespace atelier::infer {

Result<std::unique_ptr<BpeModel>> BpeModel::create(const BpeDesc& desc, const std::string& label) {
    auto m = std::unique_ptr<BpeModel>(new BpeModel());
    m->ignore_merges_ = desc.ignore_merges;
    m->vocab_.reserve(desc.vocab.size());
    for (const auto& [piece, id] : desc.vocab) {
        if (id < 0)
            return make_error(ErrorCode::ModelFormat, label + ": token \"" + piece + "\" has negative id " +
                              std::to_string(id), "the vocabulary is damaged");
        if (!m->vocab_.emplace(piece, id).second)
            return make_error(ErrorCode::ModelFormat, label + ": token \"" + piece + "\" appears twice",
                              "the vocabulary is damaged");
        if (!m->pieces_.emplace(id, piece).second)
            return make_error(ErrorCode::ModelFormat, label + ": id " + std::to_string(id) + " is used twice",
                              "the vocabulary is damaged");
        m->max_id_ = std::max(m->max_id_, id);
    }
    for (int b = 0; b < 256; ++b) {
        std::string s;
        utf8_append(s, byte_to_codepoint(static_cast<uint8_t>(b)));
        m->byte_ids_[static_cast<size_t>(b)] = m->id_of(s);
    }
    m->merges_.reserve(desc.merges.size());
    for (size_t rank = 0; rank < desc.merges.size(); ++rank) {
        const auto& [a, b] = desc.merges[rank];
        const TokenId ia = m->id_of(a), ib = m->id_of(b), ir = m->id_of(a + b);
        if (ia < 0 || ib < 0 || ir < 0) {
            const std::string& missing = ia < 0 ? a : ib < 0 ? b : a + b;
            return make_error(ErrorCode::ModelFormat,
                              label + ": merge " + std::to_string(rank) + " (\"" + a + "\" + \"" + b +
                                  "\") references unknown token \"" + missing + "\"",
                              "merges and vocab do not belong together; re-export the tokenizer");
        }
        // The first (lowest-rank) occurrence of a pair wins, as in the reference.
        m->merges_.emplace(pair_key(ia, ib), Merge{static_cast<int32_t>(rank), ir});
    }
    return m;
}

const std::string* BpeModel::piece(TokenId id) const {
    auto it = pieces_.find(id);
    return it == pieces_.end() ? nullptr : &it->second;
}

TokenId BpeModel::id_of(std::string_view piece) const {
    auto it = vocab_.find(std::string(piece));
    return it == vocab_.end() ? -1 : it->second;
}

void BpeModel::merge_symbols(std::vector<TokenId>& ids) const {
    const int n = static_cast<int>(ids.size());
    std::vector<int> prev(static_cast<size_t>(n)), next(static_cast<size_t>(n));
    std::vector<bool> alive(static_cast<size_t>(n), true);
    for (int i = 0; i < n; ++i) {
        prev[static_cast<size_t>(i)] = i - 1;
        next[static_cast<size_t>(i)] = i + 1 < n ? i + 1 : -1;
    }
    struct Cand {
        int32_t rank;
        int pos;
        TokenId result;
        bool operator>(const Cand& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
    };
    std::priority_queue<Cand, std::vector<Cand>, std::greater<Cand>> heap;
    auto push_pair = [&](int left) {
        if (left < 0) return;
        const int right = next[static_cast<size_t>(left)];
        if (right < 0) return;
        auto it = merges_.find(pair_key(ids[static_cast<size_t>(left)], ids[static_cast<size_t>(right)]));
        if (it != merges_.end()) heap.push(Cand{it->second.rank, left, it->second.result});
    };
    for (int i = 0; i + 1 < n; ++i) push_pair(i);
    while (!heap.empty()) {
        const Cand top = heap.top();
        heap.pop();
        const auto pos = static_cast<size_t>(top.pos);
        if (!alive[pos] || next[pos] < 0) continue;
        const auto right = static_cast<size_t>(next[pos]);
        auto it = merges_.find(pair_key(ids[pos], ids[right]));
        if (it == merges_.end() || it->second.result != top.result) continue;  // stale entry
        ids[pos] = top.result;
        alive[right] = false;
        next[pos] = next[right];
        if (next[pos] >= 0) prev[static_cast<size_t>(next[pos])] = top.pos;
        push_pair(prev[pos]);
        push_pair(top.pos);
    }
    size_t w = 0;
    for (size_t i = 0; i < ids.size(); ++i)
        if (alive[i]) ids[w++] = ids[i];
    ids.resize(w);
}

void BpeModel::encode_word(std::string_view word, std::vector<TokenId>& out) const {
    if (word.empty()) return;
    const bool cacheable = word.size() <= kCacheMaxWordBytes;
    if (cacheable) {
        std::shared_lock lock(cache_mutex_);
        auto it = cache_.find(std::string(word));
        if (it != cache_.end()) {
            out.insert(out.end(), it->second.begin(), it->second.end());
            return;
        }
    }
    std::vector<TokenId> ids;
    if (ignore_merges_) {
        const TokenId whole = id_of(bytes_to_byte_level(word));
        if (whole >= 0) ids.push_back(whole);
    }
    if (ids.empty()) {
        ids.reserve(word.size());
        for (char c : word) {
            const TokenId id = byte_ids_[static_cast<uint8_t>(c)];
            if (id >= 0) ids.push_back(id);
        }
        merge_symbols(ids);
    }
    out.insert(out.end(), ids.begin(), ids.end());
    if (cacheable) {
        std::unique_lock lock(cache_mutex_);
        if (cache_.size() < kCacheMaxEntries) cache_.emplace(std::string(word), std::move(ids));
    }
}

}  // namespace atelier::infer
