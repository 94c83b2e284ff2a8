// A Tokenizer for whisper.cpp ggml .bin files, which store only the raw bytes of each text token
// in rank order (tiktoken ranks = ids): the byte-level vocabulary is those bytes, the BPE merges
// are recovered from the ranks (each token's bytes merged with the ranks below its own until two
// parts remain: that pair is its merge, ranked by the token), the pre-tokenizer is GPT-2's regex,
// and the special tokens (not stored) are added at the ids of the vocabulary-size layout.
// Thread-safety: load-time function; the Tokenizer is immutable.
#include <algorithm>
#include <cstdio>
#include <unordered_map>

#include "inference/arch/whisper/whisper-internal.h"
#include "inference/tokenizer/unicode-util.h"

namespace atelier::infer::whisper {
namespace {

// Runs byte-pair merging on `word` using only tokens ranked below max_rank; returns the parts.
std::vector<std::string_view> merge_below(std::string_view word, int32_t max_rank,
                                          const std::unordered_map<std::string_view, int32_t>& rank) {
    std::vector<std::string_view> parts;
    for (size_t i = 0; i < word.size(); ++i) parts.push_back(word.substr(i, 1));
    while (parts.size() > 2) {
        int32_t best = max_rank;
        size_t at = parts.size();
        for (size_t i = 0; i + 1 < parts.size(); ++i) {
            const std::string_view joined(parts[i].data(), parts[i].size() + parts[i + 1].size());
            auto it = rank.find(joined);
            if (it != rank.end() && it->second < best) best = it->second, at = i;
        }
        if (at == parts.size()) break;
        parts[at] = std::string_view(parts[at].data(), parts[at].size() + parts[at + 1].size());
        parts.erase(parts.begin() + static_cast<std::ptrdiff_t>(at) + 1);
    }
    return parts;
}

void add_special(TokenizerDesc& d, int32_t id, std::string text) {
    AddedToken t;
    t.id = id;
    t.content = std::move(text);
    t.special = true;
    d.added.push_back(std::move(t));
}

}  // namespace

Result<std::shared_ptr<const Tokenizer>> tokenizer_from_ggml_vocab(const std::vector<std::string>& words,
                                                                   const WhisperConfig& c, const std::string& label) {
    // Entries from the end-of-text id on are specials (some converters store a few); they are
    // re-added below. Empty or repeated entries (converter artefacts) cannot be BPE pieces.
    const size_t n_text = std::min(words.size(), static_cast<size_t>(c.eot));
    if (n_text < 256)
        return make_error(ErrorCode::ModelFormat,
                          label + ": the vocabulary has " + std::to_string(words.size()) + " tokens, too few for byte-level BPE",
                          "the file is damaged or not a whisper.cpp model");
    TokenizerDesc d;
    d.label = label;
    std::unordered_map<std::string_view, int32_t> rank;
    for (size_t i = 0; i < n_text; ++i) {
        if (words[i].empty() || !rank.emplace(words[i], static_cast<int32_t>(i)).second) continue;
        d.bpe.vocab.emplace_back(bytes_to_byte_level(words[i]), static_cast<TokenId>(i));
    }
    for (size_t i = 0; i < n_text; ++i) {
        if (words[i].size() < 2 || rank.at(words[i]) != static_cast<int32_t>(i)) continue;
        auto parts = merge_below(words[i], static_cast<int32_t>(i), rank);
        if (parts.size() != 2) continue;  // not reachable by merges (tiktoken keeps such tokens unused)
        d.bpe.merges.emplace_back(bytes_to_byte_level(parts[0]), bytes_to_byte_level(parts[1]));
    }
    d.splits.push_back({kGpt2Regex, SplitBehavior::Isolated});
    add_special(d, c.eot, "<|endoftext|>");
    add_special(d, c.sot, "<|startoftranscript|>");
    const auto& codes = language_codes();
    for (int32_t id = c.sot + 1; id < c.translate; ++id) {
        const size_t k = static_cast<size_t>(id - c.sot - 1);
        add_special(d, id, k < codes.size() ? "<|" + codes[k] + "|>" : "<|extra_" + std::to_string(id) + "|>");
    }
    add_special(d, c.translate, "<|translate|>");
    add_special(d, c.transcribe, "<|transcribe|>");
    add_special(d, c.sot_lm, "<|startoflm|>");
    add_special(d, c.sot_prev, "<|startofprev|>");
    add_special(d, c.no_speech, "<|nocaptions|>");
    add_special(d, c.no_timestamps, "<|notimestamps|>");
    for (int32_t id = c.timestamp_begin; id < c.n_vocab; ++id) {
        char buf[24];
        std::snprintf(buf, sizeof buf, "<|%.2f|>", 0.02 * (id - c.timestamp_begin));
        add_special(d, id, buf);
    }
    d.eos_id = c.eot;
    d.bos_id = c.eot;
    return Tokenizer::create(std::move(d));
}

}  // namespace atelier::infer::whisper
