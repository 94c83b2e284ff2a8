// Byte-level BPE model: the vocabulary of byte-level pieces and the ranked merge list. Encodes one
// pre-tokenized word (raw bytes) to ids by applying merges lowest rank first, leftmost first among
// equal ranks (the reference `tokenizers` order), with a bounded cache of recent words.
// Thread-safety: immutable after create(); encode_word() is safe from many threads (the cache is
// guarded by a shared mutex).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/result.h"

namespace atelier::infer {

using TokenId = int32_t;

struct BpeDesc {
    std::vector<std::pair<std::string, TokenId>> vocab;        // byte-level piece -> id
    std::vector<std::pair<std::string, std::string>> merges;  // rank = index
    bool ignore_merges = false;  // a word found whole in the vocabulary is one token
};

class BpeModel {
public:
    // Errors (ModelFormat): duplicate ids/pieces, negative ids, a merge naming an unknown piece,
    // a merge whose result is not in the vocabulary. `label` names the file in messages.
    static Result<std::unique_ptr<BpeModel>> create(const BpeDesc& desc, const std::string& label);

    // Appends the ids of `word` (raw bytes, one pre-tokenized piece) to `out`. A byte whose
    // byte-level piece is missing from the vocabulary is dropped (the reference does the same
    // when there is no unk token).
    void encode_word(std::string_view word, std::vector<TokenId>& out) const;

    // id -> byte-level piece; nullptr when the id is not in this model.
    const std::string* piece(TokenId id) const;
    // piece -> id; -1 when absent.
    TokenId id_of(std::string_view piece) const;
    TokenId max_id() const { return max_id_; }

private:
    struct Merge {
        int32_t rank;
        TokenId result;
    };
    static uint64_t pair_key(TokenId a, TokenId b) {
        return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
    }
    void merge_symbols(std::vector<TokenId>& ids) const;

    std::unordered_map<std::string, TokenId> vocab_;
    std::unordered_map<TokenId, std::string> pieces_;
    std::unordered_map<uint64_t, Merge> merges_;
    std::array<TokenId, 256> byte_ids_{};
    TokenId max_id_ = -1;
    bool ignore_merges_ = false;

    static constexpr size_t kCacheMaxEntries = 10000;
    static constexpr size_t kCacheMaxWordBytes = 256;  // longer words are not cached
    mutable std::shared_mutex cache_mutex_;
    mutable std::unordered_map<std::string, std::vector<TokenId>> cache_;
};

}  // namespace atelier::infer
