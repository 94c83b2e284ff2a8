// Loading the chat goldens (chat-golden-util.h).
#include "chat-golden-util.h"

#include <stdexcept>

#include "runtime-test-util.h"

namespace atelier::infer::test {

const nlohmann::ordered_json& chat_goldens() {
    static const nlohmann::ordered_json j = nlohmann::ordered_json::parse(
        read_text_file(std::string(ATELIER_TEST_DATA_DIR) + "/inference/runtime/goldens/deepseek-v4-chat.json"));
    return j;
}

namespace {
std::string text_of(const nlohmann::ordered_json& m, const char* key) {
    return m.contains(key) && m[key].is_string() ? m[key].get<std::string>() : std::string();
}
}  // namespace

std::vector<ChatMessage> messages_from_json(const nlohmann::ordered_json& messages) {
    std::vector<ChatMessage> out;
    for (const auto& m : messages) {
        ChatMessage c;
        auto role = parse_chat_role(m.at("role").get<std::string>());
        if (!role.ok()) throw std::runtime_error(role.error().message());
        c.role = *role;
        c.content = text_of(m, "content");
        c.reasoning = text_of(m, "reasoning_content");
        c.tool_call_id = text_of(m, "tool_call_id");
        if (m.contains("tools")) c.tools_json = m["tools"].dump();
        if (m.contains("response_format")) c.response_format_json = m["response_format"].dump();
        if (m.contains("tool_calls"))
            for (const auto& tc : m["tool_calls"])
                c.tool_calls.push_back({text_of(tc, "id"), text_of(tc["function"], "name"),
                                        text_of(tc["function"], "arguments")});
        out.push_back(std::move(c));
    }
    return out;
}

ThinkingMode mode_from_json(const nlohmann::ordered_json& mode) {
    return mode.get<std::string>() == "thinking" ? ThinkingMode::Thinking : ThinkingMode::Chat;
}

}  // namespace atelier::infer::test
