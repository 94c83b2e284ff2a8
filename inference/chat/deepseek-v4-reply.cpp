// DeepSeek V4 reply parsing (deepseek-v4-chat.h): the streaming split into reasoning / answer /
// DSML tool-call markup, the DSML parser (calls -> name + JSON arguments, as DeepSeek's parser
// builds them), and prompt continuation for multi-turn chat on one LmState.
// Thread-safety: a parser belongs to one thread; the free functions are pure.
#include <algorithm>
#include <array>

#include "inference/chat/deepseek-v4-chat.h"
#include "inference/chat/python-json.h"
#include "inference/generate.h"

namespace atelier::infer {

namespace {

const std::string kThinkClose(kV4ThinkClose);
const std::string kEos(kV4Eos);
const std::string kToolCallsStart = "\n\n<｜DSML｜tool_calls";
const std::string kCallsOpen = "<｜DSML｜tool_calls>";
const std::string kCallsClose = "</｜DSML｜tool_calls>";
const std::string kInvokeOpen = "<｜DSML｜invoke name=\"";
const std::string kInvokeClose = "</｜DSML｜invoke>";
const std::string kParamOpen = "<｜DSML｜parameter name=\"";
const std::string kParamClose = "</｜DSML｜parameter>";

// A cursor over the DSML block; every expect* returns false on a format error.
struct DsmlReader {
    std::string_view s;
    size_t pos = 0;

    void skip_newlines() {
        while (pos < s.size() && (s[pos] == '\n' || s[pos] == ' ')) ++pos;
    }
    bool take(std::string_view lit) {
        if (s.substr(pos, lit.size()) != lit) return false;
        pos += lit.size();
        return true;
    }
    // Text up to `end` (excluded); moves past `end`.
    bool until(std::string_view end, std::string& out) {
        const size_t e = s.find(end, pos);
        if (e == std::string_view::npos) return false;
        out.assign(s.substr(pos, e - pos));
        pos = e + end.size();
        return true;
    }
};

// One <｜DSML｜invoke ...>...</｜DSML｜invoke>, the reader just past `name="`.
bool parse_invoke(DsmlReader& r, ChatToolCall& call, std::string& error) {
    if (!r.until("\">", call.name)) return error = "tool call: unterminated invoke name", false;
    std::string args = "{";
    std::vector<std::string> seen;
    for (;;) {
        r.skip_newlines();
        if (r.take(kInvokeClose)) break;
        if (!r.take(kParamOpen)) return error = "tool call '" + call.name + "': expected a parameter", false;
        std::string key, flag, value;
        if (!r.until("\" string=\"", key) || !r.until("\">", flag) || !r.until(kParamClose, value) ||
            (flag != "true" && flag != "false"))
            return error = "tool call '" + call.name + "': malformed parameter", false;
        if (std::find(seen.begin(), seen.end(), key) != seen.end())
            return error = "tool call '" + call.name + "': duplicate parameter '" + key + "'", false;
        seen.push_back(key);
        if (args.size() > 1) args += ", ";
        python_json_string(key, args);
        args += ": ";
        if (flag == "true") python_json_string(value, args);
        else args += value;
    }
    call.arguments = args + "}";
    return true;
}

void parse_tool_calls(ParsedReply& reply) {
    DsmlReader r{reply.tool_calls_markup};
    if (!r.take(kCallsOpen)) {
        reply.error = "tool calls: expected <｜DSML｜tool_calls>";
        return;
    }
    for (;;) {
        r.skip_newlines();
        if (r.take(kCallsClose)) break;
        ChatToolCall call;
        if (!r.take(kInvokeOpen)) {
            reply.error = r.pos >= r.s.size() ? "tool calls: the block is not closed" : "tool calls: expected an invoke";
            return;
        }
        if (!parse_invoke(r, call, reply.error)) return;
        reply.tool_calls.push_back(std::move(call));
    }
    const std::string_view rest = r.s.substr(r.pos);
    if (rest.find_first_not_of(" \n") != std::string_view::npos) reply.error = "text after the tool calls";
}

}  // namespace

DeepSeekV4ReplyParser::DeepSeekV4ReplyParser(ThinkingMode mode)
    : part_(mode == ThinkingMode::Thinking ? ReplyPart::Reasoning : ReplyPart::Answer) {}

void DeepSeekV4ReplyParser::emit(ReplyPart part, std::string text, std::vector<ReplyDelta>& out) {
    if (text.empty()) return;
    std::string& dest = part == ReplyPart::Reasoning ? reply_.reasoning
                        : part == ReplyPart::Answer  ? reply_.answer
                                                     : reply_.tool_calls_markup;
    dest += text;
    if (!out.empty() && out.back().part == part) out.back().text += text;
    else out.push_back({part, std::move(text)});
}

std::vector<ReplyDelta> DeepSeekV4ReplyParser::push(std::string_view text) {
    std::vector<ReplyDelta> out;
    if (ended_) return out;
    held_ += text;
    for (;;) {
        // The markers that end the current part.
        std::array<std::string, 2> markers;
        size_t n_markers = 0;
        if (part_ == ReplyPart::Reasoning) markers[n_markers++] = kThinkClose;
        if (part_ == ReplyPart::Answer) markers[n_markers++] = kToolCallsStart;
        markers[n_markers++] = kEos;
        size_t at = std::string::npos, which = 0;
        for (size_t i = 0; i < n_markers; ++i) {
            const size_t p = held_.find(markers[i]);
            if (p < at) at = p, which = i;
        }
        if (at == std::string::npos) {
            const size_t keep = stop_prefix_holdback(held_, std::span(markers.data(), n_markers));
            emit(part_, held_.substr(0, held_.size() - keep), out);
            held_.erase(0, held_.size() - keep);
            return out;
        }
        emit(part_, held_.substr(0, at), out);
        const std::string& marker = markers[which];
        if (marker == kEos) {
            ended_ = true;
            held_.clear();
            return out;
        }
        if (marker == kThinkClose) {
            reply_.reasoning_closed = true;
            part_ = ReplyPart::Answer;
            held_.erase(0, at + marker.size());
        } else {  // tool calls: the blank line goes, the markup stays
            part_ = ReplyPart::ToolCalls;
            held_.erase(0, at + 2);
        }
    }
}

std::vector<ReplyDelta> DeepSeekV4ReplyParser::finish() {
    std::vector<ReplyDelta> out;
    if (!ended_) emit(part_, std::move(held_), out);
    held_.clear();
    ended_ = true;
    if (!reply_.tool_calls_markup.empty() && reply_.tool_calls.empty() && reply_.error.empty())
        parse_tool_calls(reply_);
    return out;
}

ChatMessage reply_message(const ParsedReply& reply) {
    ChatMessage m;
    m.role = ChatRole::Assistant;
    m.reasoning = reply.reasoning;
    m.content = reply.answer;
    m.tool_calls = reply.tool_calls;
    return m;
}

PromptContinuation continue_prompt(const Tokenizer& tokenizer, std::span<const TokenId> in_state,
                                   std::string_view prompt_text) {
    EncodeOptions eo;
    eo.parse_special = true;
    PromptContinuation c;
    if (!in_state.empty()) {
        const std::string held = tokenizer.decode(in_state);
        if (prompt_text.size() > held.size() && prompt_text.substr(0, held.size()) == held) {
            c.feed = tokenizer.encode(prompt_text.substr(held.size()), eo);
            return c;
        }
    }
    c.reset = !in_state.empty();
    c.feed = tokenizer.encode(prompt_text, eo);
    return c;
}

}  // namespace atelier::infer
