// Tokenizer core (see tokenizer.h): added-token splitting (two passes, as the reference: tokens
// with normalized=false on the raw text, then normalized=true ones on the normalised gaps, each
// leftmost-longest and non-overlapping), normalisation, pre-tokenizer splits, BPE, decoding.
// Thread-safety: everything here is const after create(); BpeModel guards its own cache.
#include "inference/tokenizer/tokenizer.h"

#include <algorithm>

#include "inference/tokenizer/unicode-util.h"

namespace atelier::infer {

// A byte trie over added-token contents; finds the longest token starting at a position.
class Tokenizer::AddedMatcher {
public:
    void add(std::string_view content, int index) {
        int node = 0;
        for (char c : content) {
            const auto b = static_cast<uint8_t>(c);
            int child = find_child(node, b);
            if (child < 0) {
                child = static_cast<int>(nodes_.size());
                nodes_.push_back(Node{});
                nodes_[static_cast<size_t>(node)].children.emplace_back(b, child);
            }
            node = child;
        }
        if (nodes_[static_cast<size_t>(node)].token < 0) nodes_[static_cast<size_t>(node)].token = index;
    }
    bool empty() const { return nodes_.size() == 1; }
    // Longest token at text[pos]: its length and index, or length 0.
    size_t longest_at(std::string_view text, size_t pos, int& index) const {
        size_t best = 0;
        int node = 0;
        for (size_t i = pos; i < text.size(); ++i) {
            node = find_child(node, static_cast<uint8_t>(text[i]));
            if (node < 0) break;
            if (nodes_[static_cast<size_t>(node)].token >= 0) {
                best = i + 1 - pos;
                index = nodes_[static_cast<size_t>(node)].token;
            }
        }
        return best;
    }

private:
    struct Node {
        std::vector<std::pair<uint8_t, int>> children;
        int token = -1;
    };
    int find_child(int node, uint8_t b) const {
        for (const auto& [byte, child] : nodes_[static_cast<size_t>(node)].children)
            if (byte == b) return child;
        return -1;
    }
    std::vector<Node> nodes_{Node{}};
};

namespace {

Status check_id(TokenId id, const std::string& what, const std::string& label) {
    if (id < 0 || id > kMaxTokenId)
        return make_error(ErrorCode::ModelFormat,
                          label + ": " + what + " has id " + std::to_string(id) + ", outside 0.." +
                              std::to_string(kMaxTokenId),
                          "the tokenizer file is damaged or not a tokenizer");
    return ok_status();
}

// Position after the run of Unicode whitespace starting at `pos` (or before the run ending there).
size_t skip_ws_right(std::string_view s, size_t pos) {
    while (pos < s.size()) {
        size_t i = pos;
        if (!is_unicode_whitespace(utf8_next(s, i))) break;
        pos = i;
    }
    return pos;
}

size_t skip_ws_left(std::string_view s, size_t pos, size_t floor) {
    while (pos > floor) {
        size_t start = pos - 1;
        while (start > floor && (static_cast<uint8_t>(s[start]) & 0xC0) == 0x80) --start;
        size_t i = start;
        if (!is_unicode_whitespace(utf8_next(s, i))) break;
        pos = start;
    }
    return pos;
}

}  // namespace

Result<std::shared_ptr<const Tokenizer>> Tokenizer::create(TokenizerDesc desc) {
    const std::string& label = desc.label;
    std::shared_ptr<Tokenizer> t(new Tokenizer());
    ATELIER_TRY_ASSIGN(t->bpe_, BpeModel::create(desc.bpe, label));
    TokenId max_id = t->bpe_->max_id();
    for (const auto& [piece, id] : desc.bpe.vocab) ATELIER_TRY(check_id(id, "token \"" + piece + "\"", label));
    for (const AddedToken& a : desc.added) {
        ATELIER_TRY(check_id(a.id, "added token \"" + a.content + "\"", label));
        if (a.content.empty())
            return make_error(ErrorCode::ModelFormat, label + ": added token " + std::to_string(a.id) + " is empty",
                              "the tokenizer file is damaged");
        max_id = std::max(max_id, a.id);
    }
    for (TokenId id : desc.template_prefix) ATELIER_TRY(check_id(id, "template token", label));
    for (TokenId id : desc.template_suffix) ATELIER_TRY(check_id(id, "template token", label));
    t->entries_.resize(static_cast<size_t>(max_id + 1));
    for (const auto& [piece, id] : desc.bpe.vocab) {
        Entry& e = t->entries_[static_cast<size_t>(id)];
        e.present = true;
        e.text = piece;
        if (!byte_level_to_bytes(piece, e.bytes)) e.bytes = piece;
    }
    auto raw = std::make_shared<AddedMatcher>();
    auto norm = std::make_shared<AddedMatcher>();
    for (size_t i = 0; i < desc.added.size(); ++i) {
        const AddedToken& a = desc.added[i];
        Entry& e = t->entries_[static_cast<size_t>(a.id)];  // the added vocabulary wins, as in the reference
        e.present = true;
        e.special = a.special;
        e.text = a.content;
        e.bytes.clear();
        if (!byte_level_to_bytes(a.content, e.bytes)) e.bytes = a.content;
        (a.normalized ? norm : raw)->add(a.content, static_cast<int>(i));
    }
    for (const AddedToken& a : desc.added) t->entries_[static_cast<size_t>(a.id)].special = a.special;
    t->raw_matcher_ = std::move(raw);
    t->norm_matcher_ = std::move(norm);
    ATELIER_TRY_ASSIGN(PreTokenizer pre, PreTokenizer::create(desc.splits));
    t->pre_ = std::make_shared<const PreTokenizer>(std::move(pre));
    t->desc_ = std::move(desc);
    return std::shared_ptr<const Tokenizer>(std::move(t));
}

void Tokenizer::split_added(std::string_view text, const AddedMatcher& m, bool parse_special,
                            std::vector<Segment>& out) const {
    out.clear();
    size_t prev_end = 0, pos = 0;
    while (!m.empty() && pos < text.size()) {
        int index = -1;
        const size_t len = m.longest_at(text, pos, index);
        if (len == 0) {
            ++pos;
            continue;
        }
        const AddedToken& a = desc_.added[static_cast<size_t>(index)];
        size_t begin = pos, end = pos + len;
        pos = end;  // matches never overlap, even a skipped one (the reference's find_iter)
        if (a.special && !parse_special) continue;
        if (a.lstrip) begin = skip_ws_left(text, begin, prev_end);
        if (a.rstrip) end = skip_ws_right(text, end);
        if (begin > prev_end) out.push_back(Segment{prev_end, begin, -1});
        out.push_back(Segment{begin, end, index});
        prev_end = end;
        pos = std::max(pos, end);
    }
    if (prev_end < text.size()) out.push_back(Segment{prev_end, text.size(), -1});
}

std::string Tokenizer::normalize(std::string_view text) const {
    std::string s(text);
    for (const NormalizerStep& step : desc_.normalizers) {
        if (step.kind == NormalizerKind::Replace && !step.pattern.empty()) {
            std::string r;
            size_t from = 0;
            for (size_t at; (at = s.find(step.pattern, from)) != std::string::npos; from = at + step.pattern.size())
                r.append(s, from, at - from).append(step.content);
            r.append(s, from);
            s = std::move(r);
        } else if (step.kind == NormalizerKind::Prepend && !s.empty()) {
            s = step.content + s;
        }
    }
    return s;
}

void Tokenizer::encode_plain(std::string_view text, std::vector<TokenId>& out) const {
    std::vector<std::string_view> pieces;
    pre_->split(text, pieces);
    for (std::string_view p : pieces) bpe_->encode_word(p, out);
}

std::vector<TokenId> Tokenizer::encode(std::string_view text_in, EncodeOptions options) const {
    const std::string repaired = utf8_valid(text_in) ? std::string() : utf8_lossy(text_in);
    const std::string_view text = repaired.empty() ? text_in : std::string_view(repaired);
    std::vector<TokenId> out(desc_.template_prefix.begin(),
                             options.add_bos ? desc_.template_prefix.end() : desc_.template_prefix.begin());
    std::vector<Segment> outer, inner;
    split_added(text, *raw_matcher_, options.parse_special, outer);
    for (const Segment& seg : outer) {
        if (seg.added >= 0) {
            out.push_back(desc_.added[static_cast<size_t>(seg.added)].id);
            continue;
        }
        const std::string normalized = normalize(text.substr(seg.begin, seg.end - seg.begin));
        split_added(normalized, *norm_matcher_, options.parse_special, inner);
        for (const Segment& s : inner) {
            if (s.added >= 0)
                out.push_back(desc_.added[static_cast<size_t>(s.added)].id);
            else
                encode_plain(std::string_view(normalized).substr(s.begin, s.end - s.begin), out);
        }
    }
    if (options.add_bos) out.insert(out.end(), desc_.template_suffix.begin(), desc_.template_suffix.end());
    return out;
}

std::string Tokenizer::decode(std::span<const TokenId> ids, bool skip_special) const {
    std::string bytes;
    for (TokenId id : ids) {
        if (id < 0 || static_cast<size_t>(id) >= entries_.size()) continue;
        const Entry& e = entries_[static_cast<size_t>(id)];
        if (!e.present || (skip_special && e.special)) continue;
        bytes += e.bytes;
    }
    return utf8_lossy(bytes);
}

std::string Tokenizer::token_to_piece(TokenId id) const {
    if (id < 0 || static_cast<size_t>(id) >= entries_.size()) return {};
    return entries_[static_cast<size_t>(id)].bytes;
}

const std::string* Tokenizer::token_text(TokenId id) const {
    if (id < 0 || static_cast<size_t>(id) >= entries_.size() || !entries_[static_cast<size_t>(id)].present)
        return nullptr;
    return &entries_[static_cast<size_t>(id)].text;
}

TokenId Tokenizer::token_id(std::string_view text) const {
    for (const AddedToken& a : desc_.added)
        if (a.content == text) return a.id;
    return bpe_->id_of(text);
}

bool Tokenizer::is_special(TokenId id) const {
    return id >= 0 && static_cast<size_t>(id) < entries_.size() && entries_[static_cast<size_t>(id)].special;
}

std::vector<TokenId> Tokenizer::special_ids() const {
    std::vector<TokenId> ids;
    for (const AddedToken& a : desc_.added)
        if (a.special) ids.push_back(a.id);
    return ids;
}

StreamDecoder::StreamDecoder(std::shared_ptr<const Tokenizer> tokenizer, bool skip_special)
    : tok_(std::move(tokenizer)), skip_special_(skip_special) {}

std::string StreamDecoder::push(TokenId id) {
    if (!tok_ || id < 0 || static_cast<size_t>(id) >= tok_->entries_.size()) return {};
    const Tokenizer::Entry& e = tok_->entries_[static_cast<size_t>(id)];
    if (!e.present || (skip_special_ && e.special)) return {};
    pending_ += e.bytes;
    const size_t hold = utf8_incomplete_tail(pending_);
    std::string out = utf8_lossy(std::string_view(pending_).substr(0, pending_.size() - hold));
    pending_.erase(0, pending_.size() - hold);
    return out;
}

std::string StreamDecoder::finish() {
    std::string out = utf8_lossy(pending_);
    pending_.clear();
    return out;
}

}  // namespace atelier::infer
