// DeepSeek V4 prompt encoding (deepseek-v4-chat.h). The steps follow DeepSeek's encoder, as its
// README and encoding_dsv4.py describe them: merge tool results into user turns, order them by
// the preceding calls, drop earlier reasoning in thinking mode unless tools are present, then
// render each message and the <｜Assistant｜> transition after user turns.
// Thread-safety: pure functions.
#include "inference/chat/deepseek-v4-chat.h"

#include "inference/chat/python-json.h"

#include <algorithm>
#include <map>
#include <optional>

namespace atelier::infer {

namespace {

// The model's prompt format, byte for byte as DeepSeek defines it (encoding/README.md): the model
// was trained on these strings, so they are an interface fact, not prose of ours.
constexpr std::string_view kDsml = "｜DSML｜";
constexpr std::string_view kToolsBlock =
    "## Tools\n\nYou have access to a set of tools to help answer the user's question. You can invoke tools by "
    "writing a \"<｜DSML｜tool_calls>\" block like the following:\n\n<｜DSML｜tool_calls>\n<｜DSML｜invoke "
    "name=\"$TOOL_NAME\">\n<｜DSML｜parameter name=\"$PARAMETER_NAME\" string=\"true|false\">$PARAMETER_VALUE"
    "</｜DSML｜parameter>\n...\n</｜DSML｜invoke>\n<｜DSML｜invoke name=\"$TOOL_NAME2\">\n...\n</｜DSML｜invoke>\n"
    "</｜DSML｜tool_calls>\n\nString parameters should be specified as is and set `string=\"true\"`. For all "
    "other types (numbers, booleans, arrays, objects), pass the value in JSON format and set `string=\"false\"`."
    "\n\nIf thinking_mode is enabled (triggered by <think>), you MUST output your complete reasoning inside "
    "<think>...</think> BEFORE any tool calls or final response.\n\nOtherwise, output directly after </think> "
    "with tool calls or final response.\n\n### Available Tool Schemas\n\n";
constexpr std::string_view kToolsBlockEnd =
    "\n\nYou MUST strictly follow the above defined tool name and parameter schemas to invoke tool calls.\n";
constexpr std::string_view kResponseFormat =
    "## Response Format:\n\nYou MUST strictly adhere to the following schema to reply:\n";
constexpr std::string_view kEffortMax =
    "Reasoning Effort: Absolute maximum with no shortcuts permitted.\nYou MUST be very thorough in your thinking "
    "and comprehensively decompose the problem to resolve the root cause, rigorously stress-testing your logic "
    "against all potential paths, edge cases, and adversarial scenarios.\nExplicitly write out your entire "
    "deliberation process, documenting every intermediate step, considered alternative, and rejected hypothesis "
    "to ensure absolutely no assumption is left unchecked.\n\n";

// ---- Messages after merging --------------------------------------------------------------------

struct Block {
    bool tool_result = false;
    std::string text;
    std::string tool_use_id;
};

struct Msg {
    const ChatMessage* src = nullptr;  // the original (not for merged user turns' content)
    ChatRole role = ChatRole::Invalid;
    std::vector<Block> blocks;  // user turns (merged user and tool messages)
};

std::string message_label(size_t index, ChatRole role) {
    return "chat message " + std::to_string(index) + " (" + chat_role_name(role) + ")";
}

std::vector<Msg> merge_tool_messages(std::span<const ChatMessage> messages) {
    std::vector<Msg> merged;
    for (const ChatMessage& m : messages) {
        if (m.role == ChatRole::Tool || m.role == ChatRole::User) {
            Block b{m.role == ChatRole::Tool, m.content, m.role == ChatRole::Tool ? m.tool_call_id : std::string()};
            if (!merged.empty() && merged.back().role == ChatRole::User) {
                merged.back().blocks.push_back(std::move(b));
            } else {
                merged.push_back(Msg{&m, ChatRole::User, {std::move(b)}});
            }
        } else {
            merged.push_back(Msg{&m, m.role, {}});
        }
    }
    return merged;
}

// Tool results in a user turn follow the order of the calls in the last assistant turn with calls.
void sort_tool_results(std::vector<Msg>& messages) {
    std::map<std::string, size_t> order;
    for (Msg& m : messages) {
        if (m.role == ChatRole::Assistant && !m.src->tool_calls.empty()) {
            order.clear();
            for (size_t i = 0; i < m.src->tool_calls.size(); ++i)
                if (!m.src->tool_calls[i].id.empty()) order[m.src->tool_calls[i].id] = i;
        } else if (m.role == ChatRole::User) {
            std::vector<Block> results;
            for (const Block& b : m.blocks)
                if (b.tool_result) results.push_back(b);
            if (results.size() < 2 || order.empty()) continue;
            std::stable_sort(results.begin(), results.end(), [&](const Block& a, const Block& b) {
                auto rank = [&](const Block& x) {
                    const auto it = order.find(x.tool_use_id);
                    return it == order.end() ? size_t{0} : it->second;
                };
                return rank(a) < rank(b);
            });
            size_t next = 0;
            for (Block& b : m.blocks)
                if (b.tool_result) b = results[next++];
        }
    }
}

int64_t last_user_index(const std::vector<Msg>& messages) {
    for (size_t i = messages.size(); i-- > 0;)
        if (messages[i].role == ChatRole::User || messages[i].role == ChatRole::Developer)
            return static_cast<int64_t>(i);
    return -1;
}

// Thinking mode with drop_thinking: developer turns before the last user turn are dropped (the
// assistant turns before it lose their reasoning in render_message).
std::vector<Msg> drop_thinking(std::vector<Msg> messages) {
    const int64_t last_user = last_user_index(messages);
    std::vector<Msg> out;
    for (size_t i = 0; i < messages.size(); ++i) {
        Msg& m = messages[i];
        const bool after = static_cast<int64_t>(i) >= last_user;
        if (after || m.role != ChatRole::Developer) out.push_back(std::move(m));
    }
    return out;
}

// ---- Rendering ---------------------------------------------------------------------------------

Result<std::string> render_tools(const std::string& tools_json, const std::string& label) {
    auto tools = parse_json_ordered(tools_json);
    if (!tools || !tools->is_array())
        return make_error(ErrorCode::InvalidArgument, label + ": tools is not a JSON array",
                          "give the tools as an OpenAI-format array of {\"type\":\"function\",\"function\":{...}}");
    std::string out(kToolsBlock);
    for (size_t i = 0; i < tools->size(); ++i) {
        const ojson& t = (*tools)[i];
        if (!t.is_object() || !t.contains("function"))
            return make_error(ErrorCode::InvalidArgument, label + ": tool " + std::to_string(i) + " has no \"function\"",
                              "each tool must be {\"type\":\"function\",\"function\":{\"name\":...}}");
        if (i) out += '\n';
        out += python_json(t["function"]);
    }
    out += kToolsBlockEnd;
    return out;
}

// Tools and response format appended to a system or developer turn.
Result<std::string> render_extras(const ChatMessage& m, const std::string& label) {
    std::string out;
    if (!m.tools_json.empty()) {
        ATELIER_TRY_ASSIGN(std::string tools, render_tools(m.tools_json, label));
        out += "\n\n" + tools;
    }
    if (!m.response_format_json.empty()) {
        auto schema = parse_json_ordered(m.response_format_json);
        if (!schema)
            return make_error(ErrorCode::InvalidArgument, label + ": response_format is not JSON",
                              "give the reply schema as a JSON value");
        out += "\n\n";
        out += kResponseFormat;
        out += python_json(*schema);
    }
    return out;
}

Result<std::string> render_arguments(const ChatToolCall& call, const std::string& label) {
    std::optional<ojson> args = parse_json_ordered(call.arguments);
    if (!args) args = ojson{{"arguments", call.arguments}};  // not JSON: passed as one string argument
    if (!args->is_object())
        return make_error(ErrorCode::InvalidArgument,
                          label + ": the arguments of tool call '" + call.name + "' are not a JSON object",
                          "give tool-call arguments as a JSON object text, e.g. {\"city\": \"Paris\"}");
    std::string out;
    bool first = true;
    for (const auto& [key, value] : args->items()) {
        if (!first) out += '\n';
        first = false;
        const bool is_str = value.is_string();
        out += "<";
        out += kDsml;
        out += "parameter name=\"" + key + "\" string=\"" + (is_str ? "true" : "false") + "\">";
        out += is_str ? value.get_ref<const std::string&>() : python_json(value);
        out += "</";
        out += kDsml;
        out += "parameter>";
    }
    return out;
}

Result<std::string> render_tool_calls(const std::vector<ChatToolCall>& calls, const std::string& label) {
    std::string invokes;
    for (size_t i = 0; i < calls.size(); ++i) {
        ATELIER_TRY_ASSIGN(std::string args, render_arguments(calls[i], label));
        if (i) invokes += '\n';
        invokes += "<" + std::string(kDsml) + "invoke name=\"" + calls[i].name + "\">\n" + args + "\n</" +
                   std::string(kDsml) + "invoke>";
    }
    return "\n\n<" + std::string(kDsml) + "tool_calls>\n" + invokes + "\n</" + std::string(kDsml) + "tool_calls>";
}

std::string render_user(const Msg& m) {
    std::string out(kV4User);
    for (size_t i = 0; i < m.blocks.size(); ++i) {
        if (i) out += "\n\n";
        if (m.blocks[i].tool_result) out += "<tool_result>" + m.blocks[i].text + "</tool_result>";
        else out += m.blocks[i].text;
    }
    return out;
}

struct RenderContext {
    const std::vector<Msg>& messages;
    const ChatEncodeOptions& options;
    bool drop;  // effective drop_thinking
    int64_t last_user;
};

Result<std::string> render_message(const RenderContext& ctx, size_t index) {
    const Msg& m = ctx.messages[index];
    const bool thinking = ctx.options.mode == ThinkingMode::Thinking;
    const std::string label = message_label(index, m.role);
    std::string out;
    if (index == 0 && thinking && ctx.options.reasoning_effort_max) out += kEffortMax;
    switch (m.role) {
        case ChatRole::System: {
            ATELIER_TRY_ASSIGN(std::string extras, render_extras(*m.src, label));
            out += m.src->content + extras;
            break;
        }
        case ChatRole::Developer: {
            if (m.src->content.empty())
                return make_error(ErrorCode::InvalidArgument, label + " has no content",
                                  "a developer message needs text");
            ATELIER_TRY_ASSIGN(std::string extras, render_extras(*m.src, label));
            out += std::string(kV4User) + m.src->content + extras;
            break;
        }
        case ChatRole::User: out += render_user(m); break;
        case ChatRole::LatestReminder: out += std::string(kV4LatestReminder) + m.src->content; break;
        case ChatRole::Assistant: {
            std::string calls;
            if (!m.src->tool_calls.empty()) {
                ATELIER_TRY_ASSIGN(calls, render_tool_calls(m.src->tool_calls, label));
            }
            const bool keep = !ctx.drop || static_cast<int64_t>(index) > ctx.last_user;
            if (thinking && keep) out += m.src->reasoning + std::string(kV4ThinkClose);
            out += m.src->content + calls + std::string(kV4Eos);
            break;
        }
        case ChatRole::Tool:  // merged into user turns above
        case ChatRole::Invalid:
            return make_error(ErrorCode::InvalidArgument, label + " has no valid role",
                              "use system, user, assistant, tool, developer or latest_reminder");
    }
    // After a user or developer turn that is the last one or followed by the reply: open the reply.
    const bool next_is_reply = index + 1 == ctx.messages.size() ||
                               ctx.messages[index + 1].role == ChatRole::Assistant ||
                               ctx.messages[index + 1].role == ChatRole::LatestReminder;
    if (next_is_reply && (m.role == ChatRole::User || m.role == ChatRole::Developer)) {
        out += kV4Assistant;
        const bool open = thinking && (!ctx.drop || static_cast<int64_t>(index) >= ctx.last_user);
        out += open ? kV4ThinkOpen : kV4ThinkClose;
    }
    return out;
}

}  // namespace

const char* chat_role_name(ChatRole r) {
    switch (r) {
        case ChatRole::System: return "system";
        case ChatRole::User: return "user";
        case ChatRole::Assistant: return "assistant";
        case ChatRole::Tool: return "tool";
        case ChatRole::Developer: return "developer";
        case ChatRole::LatestReminder: return "latest_reminder";
        case ChatRole::Invalid: break;
    }
    return "invalid";
}

Result<ChatRole> parse_chat_role(std::string_view s) {
    for (ChatRole r : {ChatRole::System, ChatRole::User, ChatRole::Assistant, ChatRole::Tool, ChatRole::Developer,
                       ChatRole::LatestReminder})
        if (s == chat_role_name(r)) return r;
    return make_error(ErrorCode::InvalidArgument, "unknown chat role '" + std::string(s) + "'",
                      "use system, user, assistant, tool, developer or latest_reminder");
}

Result<std::string> encode_deepseek_v4_chat(std::span<const ChatMessage> messages, const ChatEncodeOptions& options) {
    if (options.mode != ThinkingMode::Chat && options.mode != ThinkingMode::Thinking)
        return make_error(ErrorCode::InvalidArgument, "chat encoding: thinking mode not set",
                          "use ThinkingMode::Chat or ThinkingMode::Thinking");
    std::vector<Msg> msgs = merge_tool_messages(messages);
    sort_tool_results(msgs);
    const bool any_tools = std::any_of(messages.begin(), messages.end(),
                                       [](const ChatMessage& m) { return !m.tools_json.empty(); });
    const bool drop = options.drop_thinking && !any_tools;
    if (options.mode == ThinkingMode::Thinking && drop) msgs = drop_thinking(std::move(msgs));
    std::string out = options.add_bos ? std::string(kV4Bos) : std::string();
    const RenderContext ctx{msgs, options, drop, last_user_index(msgs)};
    for (size_t i = 0; i < msgs.size(); ++i) {
        ATELIER_TRY_ASSIGN(std::string part, render_message(ctx, i));
        out += part;
    }
    return out;
}

Result<std::vector<TokenId>> encode_deepseek_v4_chat_ids(const Tokenizer& tokenizer,
                                                         std::span<const ChatMessage> messages,
                                                         const ChatEncodeOptions& options) {
    ATELIER_TRY_ASSIGN(std::string text, encode_deepseek_v4_chat(messages, options));
    EncodeOptions eo;
    eo.parse_special = true;
    eo.add_bos = false;  // BOS is in the text
    return tokenizer.encode(text, eo);
}

}  // namespace atelier::infer
