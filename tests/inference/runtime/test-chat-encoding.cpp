// DeepSeek V4 chat encoding: every golden conversation (DeepSeek's own encoder output, checked by
// the generator against DeepSeek's published examples) must come out byte for byte, tokenize to
// the reference tokenizer's ids with every marker a single special id; plus the README's layout
// rules written out by hand, errors, and prompt continuation for multi-turn chat.
#include <gtest/gtest.h>

#include "chat-golden-util.h"
#include "inference/chat/deepseek-v4-chat.h"
#include "runtime-test-util.h"

namespace atelier::infer::test {
namespace {

size_t count_of(std::string_view hay, std::string_view needle) {
    size_t n = 0;
    for (size_t p = hay.find(needle); p != std::string_view::npos; p = hay.find(needle, p + needle.size())) ++n;
    return n;
}

ChatEncodeOptions options_of(const nlohmann::ordered_json& c) {
    ChatEncodeOptions o;
    o.mode = mode_from_json(c["mode"]);
    o.drop_thinking = c["drop_thinking"].get<bool>();
    o.add_bos = c["add_bos"].get<bool>();
    o.reasoning_effort_max = c["reasoning_effort_max"].get<bool>();
    return o;
}

TEST(ChatEncoding, GoldensFromDeepSeeksEncoder) {
    const auto& cases = chat_goldens()["encode"];
    ASSERT_GE(cases.size(), 15u);
    for (const auto& c : cases) {
        SCOPED_TRACE(c["name"].get<std::string>());
        const auto messages = messages_from_json(c["messages"]);
        auto text = encode_deepseek_v4_chat(messages, options_of(c));
        ASSERT_TRUE(text.ok()) << text.error().message();
        EXPECT_EQ(*text, c["prompt"].get<std::string>());
    }
}

TEST(ChatEncoding, TokenIdsMatchTheReferenceTokenizerAndMarkersAreSingleIds) {
    const auto tok = fixture_tokenizer();
    const std::vector<std::string> markers{"<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", "<｜User｜>",
                                           "<｜Assistant｜>", "<｜latest_reminder｜>", "<think>", "</think>",
                                           "<｜DSML｜tool_calls>", "</｜DSML｜tool_calls>", "<｜DSML｜invoke",
                                           "</｜DSML｜invoke>", "<｜DSML｜parameter", "</｜DSML｜parameter>"};
    for (const auto& c : chat_goldens()["encode"]) {
        SCOPED_TRACE(c["name"].get<std::string>());
        const auto messages = messages_from_json(c["messages"]);
        auto ids = encode_deepseek_v4_chat_ids(*tok, messages, options_of(c));
        ASSERT_TRUE(ids.ok());
        EXPECT_EQ(*ids, c["ids"].get<std::vector<TokenId>>());
        const std::string prompt = c["prompt"].get<std::string>();
        for (const auto& m : markers) {
            const TokenId id = tok->token_id(m);
            ASSERT_GE(id, 0) << m;
            EXPECT_EQ(static_cast<size_t>(std::count(ids->begin(), ids->end(), id)), count_of(prompt, m)) << m;
        }
        if (c["add_bos"].get<bool>()) {
            EXPECT_EQ(ids->front(), 0);
        }
    }
}

ChatMessage msg(ChatRole role, std::string content, std::string reasoning = {}) {
    ChatMessage m;
    m.role = role;
    m.content = std::move(content);
    m.reasoning = std::move(reasoning);
    return m;
}

// The layouts README.md ("Basic Chat", "Interleaved Thinking Mode") spells out, written by hand.
TEST(ChatEncoding, ReadmeLayouts) {
    const std::vector<ChatMessage> chat{msg(ChatRole::System, "SYS"), msg(ChatRole::User, "u1"),
                                        msg(ChatRole::Assistant, "r1", "t1"), msg(ChatRole::User, "u2"),
                                        msg(ChatRole::Assistant, "r2", "t2")};
    auto c = encode_deepseek_v4_chat(chat, {.mode = ThinkingMode::Chat});
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(*c, "<｜begin▁of▁sentence｜>SYS<｜User｜>u1<｜Assistant｜></think>r1<｜end▁of▁sentence｜>"
                  "<｜User｜>u2<｜Assistant｜></think>r2<｜end▁of▁sentence｜>");
    auto t = encode_deepseek_v4_chat(chat, {.mode = ThinkingMode::Thinking});
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(*t, "<｜begin▁of▁sentence｜>SYS<｜User｜>u1<｜Assistant｜></think>r1<｜end▁of▁sentence｜>"
                  "<｜User｜>u2<｜Assistant｜><think>t2</think>r2<｜end▁of▁sentence｜>");
    auto keep = encode_deepseek_v4_chat(chat, {.mode = ThinkingMode::Thinking, .drop_thinking = false});
    ASSERT_TRUE(keep.ok());
    EXPECT_EQ(*keep, "<｜begin▁of▁sentence｜>SYS<｜User｜>u1<｜Assistant｜><think>t1</think>r1<｜end▁of▁sentence｜>"
                     "<｜User｜>u2<｜Assistant｜><think>t2</think>r2<｜end▁of▁sentence｜>");
    const std::vector<ChatMessage> open{msg(ChatRole::User, "What is 2+2?")};
    auto o = encode_deepseek_v4_chat(open, {.mode = ThinkingMode::Thinking});
    ASSERT_TRUE(o.ok());
    EXPECT_EQ(*o, "<｜begin▁of▁sentence｜><｜User｜>What is 2+2?<｜Assistant｜><think>");
}

TEST(ChatEncoding, BadMessagesAreClearErrors) {
    std::vector<ChatMessage> m{msg(ChatRole::System, "s"), msg(ChatRole::User, "u")};
    m[0].tools_json = "{not json";
    auto r = encode_deepseek_v4_chat(m);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
    EXPECT_NE(r.error().detail.find("chat message 0 (system)"), std::string::npos) << r.error().detail;
    m[0].tools_json = "[{\"type\":\"function\"}]";
    EXPECT_FALSE(encode_deepseek_v4_chat(m).ok());
    m[0].tools_json.clear();
    m[1].role = ChatRole::Invalid;
    EXPECT_FALSE(encode_deepseek_v4_chat(m).ok());
    const std::vector<ChatMessage> dev{msg(ChatRole::Developer, "")};
    EXPECT_FALSE(encode_deepseek_v4_chat(dev).ok());
    ChatMessage a = msg(ChatRole::Assistant, "x");
    a.tool_calls.push_back({"id", "f", "[1, 2]"});  // JSON, but not an object
    const std::vector<ChatMessage> calls{msg(ChatRole::User, "u"), a};
    EXPECT_FALSE(encode_deepseek_v4_chat(calls).ok());
    EXPECT_FALSE(encode_deepseek_v4_chat(calls, {.mode = ThinkingMode::Invalid}).ok());
    EXPECT_FALSE(parse_chat_role("robot").ok());
}

TEST(ChatEncoding, ContinuationFeedsOnlyTheNewTurnInChatMode) {
    const auto tok = fixture_tokenizer();
    std::vector<ChatMessage> conv{msg(ChatRole::System, "Be short."), msg(ChatRole::User, "Hello there")};
    auto first = encode_deepseek_v4_chat_ids(*tok, conv, {});
    ASSERT_TRUE(first.ok());
    // The state holds the prompt and the reply as the model produced it (byte tokens here: not
    // how the tokenizer would split the reply text).
    std::vector<TokenId> in_state = *first;
    const std::string reply = "Hi! How can I help?";
    for (TokenId t : byte_tokens(reply)) in_state.push_back(t);
    conv.push_back(msg(ChatRole::Assistant, reply));
    conv.push_back(msg(ChatRole::User, "Tell me a joke"));
    auto text = encode_deepseek_v4_chat(conv, {});
    ASSERT_TRUE(text.ok());
    const auto cont = continue_prompt(*tok, in_state, *text);
    EXPECT_FALSE(cont.reset);
    const std::string rest = "<｜end▁of▁sentence｜><｜User｜>Tell me a joke<｜Assistant｜></think>";
    EXPECT_EQ(cont.feed, tok->encode(rest));
    EXPECT_EQ(tok->decode(in_state) + tok->decode(cont.feed), *text);
    // Thinking mode drops the reasoning of the earlier turn: the prefix differs, start again.
    std::vector<ChatMessage> think{msg(ChatRole::User, "q1")};
    auto t1 = encode_deepseek_v4_chat_ids(*tok, think, {.mode = ThinkingMode::Thinking});
    ASSERT_TRUE(t1.ok());
    std::vector<TokenId> held = *t1;
    for (TokenId t : tok->encode("why</think>a1")) held.push_back(t);
    think.push_back(msg(ChatRole::Assistant, "a1", "why"));
    think.push_back(msg(ChatRole::User, "q2"));
    auto t2 = encode_deepseek_v4_chat(think, {.mode = ThinkingMode::Thinking});
    ASSERT_TRUE(t2.ok());
    const auto again = continue_prompt(*tok, held, *t2);
    EXPECT_TRUE(again.reset);
    EXPECT_EQ(again.feed, tok->encode(*t2));
    // An empty state: everything, no reset needed.
    const auto fresh = continue_prompt(*tok, {}, *t2);
    EXPECT_FALSE(fresh.reset);
    EXPECT_EQ(fresh.feed, again.feed);
}

}  // namespace
}  // namespace atelier::infer::test
