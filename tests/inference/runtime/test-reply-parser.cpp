// DeepSeek V4 reply parsing: the golden completions (DeepSeek's parser output, from
// make-chat-goldens.py) streamed in several chunkings must give the same reasoning, answer and
// tool calls, with deltas that add up to them; malformed markup is reported, not fatal.
#include <random>

#include <gtest/gtest.h>

#include "chat-golden-util.h"
#include "inference/chat/deepseek-v4-chat.h"

namespace atelier::infer::test {
namespace {

struct Parsed {
    ParsedReply reply;
    std::string reasoning, answer, markup;  // from the deltas
};

Parsed parse_in_chunks(ThinkingMode mode, const std::string& text, const std::vector<size_t>& cuts) {
    DeepSeekV4ReplyParser p(mode);
    Parsed out;
    auto take = [&](const std::vector<ReplyDelta>& deltas) {
        for (const auto& d : deltas) {
            EXPECT_FALSE(d.text.empty());
            (d.part == ReplyPart::Reasoning ? out.reasoning : d.part == ReplyPart::Answer ? out.answer : out.markup) +=
                d.text;
        }
    };
    size_t at = 0;
    for (size_t cut : cuts) {
        take(p.push(std::string_view(text).substr(at, cut - at)));
        at = cut;
    }
    take(p.push(std::string_view(text).substr(at)));
    take(p.finish());
    out.reply = p.reply();
    return out;
}

std::vector<std::vector<size_t>> chunkings(size_t n) {
    std::vector<std::vector<size_t>> all{{}};
    std::vector<size_t> every;
    for (size_t i = 1; i < n; ++i) every.push_back(i);
    all.push_back(every);
    std::mt19937 rng(3);
    for (int k = 0; k < 5; ++k) {
        std::vector<size_t> cuts;
        for (size_t i = 1; i < n; i += 1 + rng() % 7) cuts.push_back(i);
        all.push_back(cuts);
    }
    return all;
}

TEST(ReplyParser, GoldenCompletionsInAnyChunking) {
    const std::string eos(kV4Eos);
    for (const auto& g : chat_goldens()["parse"]) {
        const std::string name = g["name"].get<std::string>();
        const std::string completion = g["completion"].get<std::string>();
        const ThinkingMode mode = mode_from_json(g["mode"]);
        for (const std::string& text : {completion, completion.substr(0, completion.size() - eos.size())}) {
            for (const auto& cuts : chunkings(text.size())) {
                SCOPED_TRACE(name + " cuts=" + std::to_string(cuts.size()) + " eos=" +
                             std::to_string(text.size() == completion.size()));
                const Parsed p = parse_in_chunks(mode, text, cuts);
                EXPECT_EQ(p.reply.reasoning, g["reasoning"].get<std::string>());
                EXPECT_EQ(p.reply.answer, g["answer"].get<std::string>());
                EXPECT_EQ(p.reply.error, "");
                ASSERT_EQ(p.reply.tool_calls.size(), g["tool_calls"].size());
                for (size_t i = 0; i < p.reply.tool_calls.size(); ++i) {
                    EXPECT_EQ(p.reply.tool_calls[i].name, g["tool_calls"][i]["name"].get<std::string>());
                    EXPECT_EQ(p.reply.tool_calls[i].arguments, g["tool_calls"][i]["arguments"].get<std::string>());
                }
                EXPECT_EQ(p.reasoning, p.reply.reasoning);
                EXPECT_EQ(p.answer, p.reply.answer);
                EXPECT_EQ(p.markup, p.reply.tool_calls_markup);
                EXPECT_EQ(p.reply.reasoning_closed, mode == ThinkingMode::Thinking);
                if (!p.reply.tool_calls.empty()) {
                    EXPECT_EQ(p.reply.tool_calls_markup.rfind("<｜DSML｜tool_calls>", 0), 0u);
                }
            }
        }
    }
}

TEST(ReplyParser, ParsedReplyEncodesBackToTheCompletion) {
    // Round trip through the encoder: the reply message re-encodes to the same turn text.
    for (const auto& g : chat_goldens()["parse"]) {
        SCOPED_TRACE(g["name"].get<std::string>());
        const ThinkingMode mode = mode_from_json(g["mode"]);
        const Parsed p = parse_in_chunks(mode, g["completion"].get<std::string>(), {});
        ChatMessage user;
        user.role = ChatRole::User;
        user.content = "q";
        std::vector<ChatMessage> conv{user, reply_message(p.reply)};
        auto text = encode_deepseek_v4_chat(conv, {.mode = mode});
        ASSERT_TRUE(text.ok());
        const std::string head = std::string(kV4Bos) + "<｜User｜>q<｜Assistant｜>" +
                                 (mode == ThinkingMode::Thinking ? "<think>" : "</think>");
        EXPECT_EQ(*text, head + g["completion"].get<std::string>());
    }
}

TEST(ReplyParser, UnclosedReasoningAndMalformedCalls) {
    DeepSeekV4ReplyParser think(ThinkingMode::Thinking);
    (void)think.push("still thinking </thi");
    (void)think.finish();
    EXPECT_FALSE(think.reply().reasoning_closed);
    EXPECT_EQ(think.reply().reasoning, "still thinking </thi");
    EXPECT_EQ(think.reply().answer, "");

    DeepSeekV4ReplyParser bad(ThinkingMode::Chat);
    (void)bad.push("ok\n\n<｜DSML｜tool_calls>\n<｜DSML｜invoke name=\"f\">\n<｜DSML｜parameter name=\"a\">1");
    (void)bad.finish();
    EXPECT_EQ(bad.reply().answer, "ok");
    EXPECT_NE(bad.reply().error, "");
    EXPECT_TRUE(bad.reply().tool_calls.empty());

    DeepSeekV4ReplyParser after(ThinkingMode::Chat);
    (void)after.push("\n\n<｜DSML｜tool_calls>\n<｜DSML｜invoke name=\"f\">\n</｜DSML｜invoke>\n</｜DSML｜tool_calls>junk");
    (void)after.finish();
    ASSERT_EQ(after.reply().tool_calls.size(), 1u);
    EXPECT_EQ(after.reply().tool_calls[0].arguments, "{}");
    EXPECT_EQ(after.reply().error, "text after the tool calls");

    DeepSeekV4ReplyParser eos(ThinkingMode::Chat);
    (void)eos.push("done<｜end▁of▁sentence｜>ignored");
    (void)eos.push("more");
    (void)eos.finish();
    EXPECT_EQ(eos.reply().answer, "done");
}

}  // namespace
}  // namespace atelier::infer::test
