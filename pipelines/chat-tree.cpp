// Chat trees: path, siblings and newest leaf over a message snapshot (see chat-tree.h).
// Invariant: walks are bounded by the number of messages, so a damaged file with a parent cycle
// cannot loop forever.
// Thread-safety: pure functions.
#include "pipelines/chat-tree.h"

#include <algorithm>

namespace atelier::pipelines {

size_t find_message(const std::vector<projects::Message>& messages, std::string_view uuid) {
    for (size_t i = 0; i < messages.size(); ++i)
        if (messages[i].uuid == uuid) return i;
    return messages.size();
}

namespace {

// The child of `parent` (empty: a root) with the highest seq; messages.size() when none.
size_t newest_child(const std::vector<projects::Message>& messages, std::string_view parent) {
    size_t best = messages.size();
    for (size_t i = 0; i < messages.size(); ++i)
        if (messages[i].parent_uuid == parent && (best == messages.size() || messages[i].seq > messages[best].seq)) best = i;
    return best;
}

}  // namespace

std::string newest_leaf_under(const std::vector<projects::Message>& messages, std::string_view uuid) {
    std::string at(uuid);
    for (size_t steps = 0; steps < messages.size(); ++steps) {
        const size_t child = newest_child(messages, at);
        if (child == messages.size()) break;
        at = messages[child].uuid;
    }
    return at;
}

std::vector<size_t> branch_path(const std::vector<projects::Message>& messages, std::string_view leaf_uuid) {
    size_t at = find_message(messages, leaf_uuid);
    if (at == messages.size()) {
        const size_t root = newest_child(messages, "");
        if (root == messages.size()) return {};
        at = find_message(messages, newest_leaf_under(messages, messages[root].uuid));
    }
    std::vector<size_t> path;
    while (at < messages.size() && path.size() <= messages.size()) {
        path.push_back(at);
        if (messages[at].parent_uuid.empty()) break;
        at = find_message(messages, messages[at].parent_uuid);
    }
    std::reverse(path.begin(), path.end());
    return path;
}

std::vector<size_t> siblings(const std::vector<projects::Message>& messages, std::string_view uuid) {
    const size_t self = find_message(messages, uuid);
    if (self == messages.size()) return {};
    std::vector<size_t> out;
    for (size_t i = 0; i < messages.size(); ++i)
        if (messages[i].parent_uuid == messages[self].parent_uuid) out.push_back(i);
    std::sort(out.begin(), out.end(), [&](size_t a, size_t b) { return messages[a].seq < messages[b].seq; });
    return out;
}

}  // namespace atelier::pipelines
