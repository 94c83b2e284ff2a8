// DeepSeek V4 chat format (deepseek-v4.md §3.10; DeepSeek's encoding/README.md): conversation ->
// prompt text (BOS + system, <｜User｜>msg<｜Assistant｜>, </think> in chat mode or <think> in
// thinking mode, earlier reasoning dropped unless tools are present, completed assistant turns
// end with EOS, DSML tool calls and <tool_result> blocks), and the streaming reply parser that
// splits generated text into reasoning, answer and tool-call markup.
// Thread-safety: the functions are pure; a DeepSeekV4ReplyParser is used by one thread at a time.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "inference/tokenizer/tokenizer.h"

namespace atelier::infer {

enum class ChatRole : uint8_t { Invalid = 0, System, User, Assistant, Tool, Developer, LatestReminder };
const char* chat_role_name(ChatRole r);  // "system", "user", "assistant", "tool", "developer", "latest_reminder"
Result<ChatRole> parse_chat_role(std::string_view s);

struct ChatToolCall {
    std::string id;         // the call's id; orders the tool results that answer it (may be empty)
    std::string name;
    std::string arguments;  // a JSON object, as text (OpenAI "arguments")
};

struct ChatMessage {
    ChatRole role = ChatRole::Invalid;
    std::string content;
    std::string reasoning;                 // assistant: its reasoning (kept or dropped by the rules)
    std::vector<ChatToolCall> tool_calls;  // assistant: written as a DSML block after the content
    std::string tool_call_id;              // tool: the call this result answers
    std::string tools_json;                // system / developer: OpenAI-format tools array (JSON); "" none
    std::string response_format_json;      // system / developer: a JSON schema for the reply; "" none
};

enum class ThinkingMode : uint8_t { Invalid = 0, Chat, Thinking };

struct ChatEncodeOptions {
    ThinkingMode mode = ThinkingMode::Chat;
    bool drop_thinking = true;          // drop reasoning of turns before the last user turn
                                        // (ignored when any message carries tools: kept then)
    bool add_bos = true;                // start with <｜begin▁of▁sentence｜>
    bool reasoning_effort_max = false;  // thinking mode: DeepSeek's "maximum effort" preamble
};

// Special-token text of the format.
inline constexpr std::string_view kV4Bos = "<｜begin▁of▁sentence｜>";
inline constexpr std::string_view kV4Eos = "<｜end▁of▁sentence｜>";
inline constexpr std::string_view kV4User = "<｜User｜>";
inline constexpr std::string_view kV4Assistant = "<｜Assistant｜>";
inline constexpr std::string_view kV4LatestReminder = "<｜latest_reminder｜>";
inline constexpr std::string_view kV4ThinkOpen = "<think>";
inline constexpr std::string_view kV4ThinkClose = "</think>";

// The prompt text. When the last turn is a user / tool / developer turn it ends with
// <｜Assistant｜></think> (chat) or <｜Assistant｜><think> (thinking), ready for the reply.
// Tool messages merge into one user turn of <tool_result> blocks, ordered as the preceding
// assistant's calls; consecutive user turns merge with a blank line between them (as DeepSeek's
// encoder does). Errors: InvalidArgument naming the message (bad tools / arguments JSON, an
// empty developer message, a message with role Invalid).
Result<std::string> encode_deepseek_v4_chat(std::span<const ChatMessage> messages,
                                            const ChatEncodeOptions& options = {});
// The same, tokenized with special tokens parsed (each marker is one id; BOS from the text).
Result<std::vector<TokenId>> encode_deepseek_v4_chat_ids(const Tokenizer& tokenizer,
                                                         std::span<const ChatMessage> messages,
                                                         const ChatEncodeOptions& options = {});

// ---- Reply parsing --------------------------------------------------------------------------

enum class ReplyPart : uint8_t { Invalid = 0, Reasoning, Answer, ToolCalls };

struct ReplyDelta {
    ReplyPart part = ReplyPart::Invalid;
    std::string text;
};

struct ParsedReply {
    std::string reasoning;
    std::string answer;
    std::string tool_calls_markup;         // the DSML block as generated, from <｜DSML｜tool_calls>
    std::vector<ChatToolCall> tool_calls;  // parsed by finish(); arguments as a JSON object text
    bool reasoning_closed = false;         // thinking mode: </think> was seen
    std::string error;                     // malformed tool-call markup or text after it; "" if none
};

// Splits generated text (streamed in any chunks, EOS text optional) the way DeepSeek's
// parse_message_from_completion_text does: thinking mode starts in the reasoning, which </think>
// closes; the answer runs until "\n\n<｜DSML｜tool_calls" (the blank line is dropped) or EOS.
// Text that could be the start of a marker is held back until it is decided.
class DeepSeekV4ReplyParser {
public:
    explicit DeepSeekV4ReplyParser(ThinkingMode mode);
    std::vector<ReplyDelta> push(std::string_view text);
    std::vector<ReplyDelta> finish();  // flushes held text; parses the tool calls
    const ParsedReply& reply() const { return reply_; }

private:
    void emit(ReplyPart part, std::string text, std::vector<ReplyDelta>& out);
    ReplyPart part_;
    bool ended_ = false;  // EOS text seen: the rest is ignored
    std::string held_;
    ParsedReply reply_;
};

// The assistant message for a parsed reply (to append to the conversation).
ChatMessage reply_message(const ParsedReply& reply);

// Continuing a sequence whose state already holds `in_state`: when the prompt text starts with
// the text of those tokens, feed only the rest (reset = false); else reset and feed everything.
struct PromptContinuation {
    bool reset = false;
    std::vector<TokenId> feed;
};
PromptContinuation continue_prompt(const Tokenizer& tokenizer, std::span<const TokenId> in_state,
                                   std::string_view prompt_text);

}  // namespace atelier::infer
