// The chat goldens (goldens/deepseek-v4-chat.json, made by tools/deepseek-v4-chat/
// make-chat-goldens.py from DeepSeek's own encoder) and their conversion to ChatMessage.
// Thread-safety: test thread only.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "inference/chat/deepseek-v4-chat.h"

namespace atelier::infer::test {

const nlohmann::ordered_json& chat_goldens();
std::vector<ChatMessage> messages_from_json(const nlohmann::ordered_json& messages);
ThinkingMode mode_from_json(const nlohmann::ordered_json& mode);

}  // namespace atelier::infer::test
