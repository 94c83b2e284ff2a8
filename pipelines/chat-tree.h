// Chat trees: which messages a chat shows. Messages form a tree through parent_uuid (schema v2);
// a chat shows one path, from a root to its current leaf. With no leaf (or a stale one) the path
// follows the newest child (highest seq) from the newest root. Siblings (same parent) are the
// branches made by editing a user message or regenerating an answer.
// Thread-safety: pure functions over a snapshot of a chat's messages (Project::list_messages).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "projects/project.h"

namespace atelier::pipelines {

// The path shown, root first. Indexes into `messages`.
std::vector<size_t> branch_path(const std::vector<projects::Message>& messages, std::string_view leaf_uuid);

// Messages sharing `uuid`'s parent (roots share the empty parent), by seq; includes `uuid` itself.
std::vector<size_t> siblings(const std::vector<projects::Message>& messages, std::string_view uuid);

// The leaf reached from `uuid` by following the newest child at every step (`uuid` when it has
// no children): what the chat shows after switching to that branch.
std::string newest_leaf_under(const std::vector<projects::Message>& messages, std::string_view uuid);

// Index of the message with `uuid`; messages.size() when absent.
size_t find_message(const std::vector<projects::Message>& messages, std::string_view uuid);

}  // namespace atelier::pipelines
