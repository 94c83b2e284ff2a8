// Chat trees (schema v2): branches via parent_uuid, the current leaf, streaming writes of text
// and state, chat settings, provenance updates and deletion. Facts are checked through raw
// SQLite where the API could hide a mistake.
#include <gtest/gtest.h>

#include "core/uuid.h"
#include "projects/project.h"
#include "tests/projects/test-util.h"

namespace ap = atelier::projects;
using atelier::ErrorCode;
using atelier::test::raw_int;
using atelier::test::raw_text;
using atelier::test::TempDir;

namespace {

ap::NewMessage msg(const std::string& chat, const std::string& parent, const std::string& role, const std::string& text) {
    ap::NewMessage m;
    m.chat_uuid = chat;
    m.parent_uuid = parent;
    m.role = role;
    m.content = text;
    return m;
}

}  // namespace

TEST(ProjectChats, BranchesKeepEverySiblingAndTheLeafFollowsTheNewest) {
    TempDir dir;
    auto path = dir / "c.atelier";
    auto p = ap::Project::create(path);
    ASSERT_TRUE(p.ok());
    auto chat = (*p)->create_chat("Ideas");
    ASSERT_TRUE(chat.ok());
    EXPECT_EQ(chat->current_leaf_uuid, "");
    auto u1 = (*p)->insert_message(msg(chat->uuid, "", "user", "Hi"));
    ASSERT_TRUE(u1.ok()) << u1.error().message();
    auto a1 = (*p)->insert_message(msg(chat->uuid, u1->uuid, "assistant", "Hello"));
    ASSERT_TRUE(a1.ok());
    auto a2 = (*p)->insert_message(msg(chat->uuid, u1->uuid, "assistant", "Hey"));  // regenerate
    ASSERT_TRUE(a2.ok());
    auto u2 = (*p)->insert_message(msg(chat->uuid, "", "user", "Hi there"));  // edit of the first
    ASSERT_TRUE(u2.ok());
    EXPECT_EQ(u2->seq, 4);
    EXPECT_EQ((*p)->get_chat(chat->uuid)->current_leaf_uuid, u2->uuid);
    EXPECT_EQ(raw_int(path, "SELECT count(*) FROM messages WHERE parent_uuid = '" + u1->uuid + "'"), 2);
    EXPECT_EQ(raw_int(path, "SELECT count(*) FROM messages WHERE parent_uuid IS NULL"), 2);
    // Choosing another branch, and back to "newest" (empty).
    ASSERT_TRUE((*p)->set_current_leaf(chat->uuid, a1->uuid).ok());
    EXPECT_EQ(raw_text(path, "SELECT current_leaf_uuid FROM chats"), a1->uuid);
    auto appended = (*p)->add_message(chat->uuid, "user", "more");
    EXPECT_EQ(appended->parent_uuid, a1->uuid) << "add_message continues the branch shown";
    ASSERT_TRUE((*p)->set_current_leaf(chat->uuid, "").ok());
    EXPECT_EQ(raw_int(path, "SELECT count(*) FROM chats WHERE current_leaf_uuid IS NULL"), 1);
    // A parent or leaf from another chat, an unknown parent, a bad role.
    auto other = (*p)->create_chat("Other");
    EXPECT_EQ((*p)->insert_message(msg(other->uuid, u1->uuid, "user", "x")).error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ((*p)->insert_message(msg(other->uuid, atelier::uuid_v7(), "user", "x")).error().code,
              ErrorCode::ProjectObjectNotFound);
    EXPECT_EQ((*p)->insert_message(msg(other->uuid, "", "narrator", "x")).error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ((*p)->set_current_leaf(other->uuid, a1->uuid).error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(raw_int(path, "SELECT count(*) FROM messages WHERE chat_uuid = '" + other->uuid + "'"), 0);
}

TEST(ProjectChats, StreamingWritesTextReasoningAndState) {
    TempDir dir;
    auto path = dir / "s.atelier";
    auto p = ap::Project::create(path);
    auto chat = (*p)->create_chat("Stream");
    auto u = (*p)->insert_message(msg(chat->uuid, "", "user", "Tell me"));
    ap::NewMessage a = msg(chat->uuid, u->uuid, "assistant", "");
    a.state = ap::MessageState::Streaming;
    auto m = (*p)->insert_message(a);
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(raw_text(path, "SELECT state FROM messages WHERE uuid = '" + m->uuid + "'"), "streaming");
    ASSERT_TRUE((*p)->update_message_text(m->uuid, "Once upon", "thinking…", ap::MessageState::Streaming).ok());
    EXPECT_EQ(raw_text(path, "SELECT content || '|' || reasoning FROM messages WHERE uuid = '" + m->uuid + "'"),
              "Once upon|thinking…");
    ASSERT_TRUE((*p)->update_message_text(m->uuid, "Once upon a time", "thinking…", ap::MessageState::Stopped).ok());
    auto got = (*p)->get_message(m->uuid);
    EXPECT_EQ(got->state, ap::MessageState::Stopped);
    EXPECT_EQ(got->content, "Once upon a time");
    EXPECT_EQ((*p)->update_message_text(atelier::uuid_v7(), "", "", ap::MessageState::Done).error().code,
              ErrorCode::ProjectObjectNotFound);
    EXPECT_EQ((*p)->update_message_text(m->uuid, "", "", ap::MessageState::Invalid).error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(ap::message_state_from_name("interrupted"), ap::MessageState::Interrupted);
    EXPECT_FALSE(ap::message_state_from_name("paused").has_value());
}

TEST(ProjectChats, StreamingMessagesOfADeadWriterAreInterruptedOnOpen) {
    TempDir dir;
    auto path = dir / "i.atelier";
    std::string uuid;
    {
        auto p = ap::Project::create(path);
        auto chat = (*p)->create_chat("Crash");
        auto u = (*p)->insert_message(msg(chat->uuid, "", "user", "Q"));
        ap::NewMessage a = msg(chat->uuid, u->uuid, "assistant", "partial ans");
        a.state = ap::MessageState::Streaming;
        uuid = (*p)->insert_message(a)->uuid;
    }
    // A read-only connection does not change anything.
    {
        auto ro = ap::Project::open(path, {.read_only = true});
        ASSERT_TRUE(ro.ok());
        EXPECT_EQ((*ro)->get_message(uuid)->state, ap::MessageState::Streaming);
    }
    auto p = ap::Project::open(path);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ((*p)->interrupted_messages_on_open(), 1);
    EXPECT_EQ(raw_text(path, "SELECT state || '|' || content FROM messages WHERE uuid = '" + uuid + "'"),
              "interrupted|partial ans");
}

TEST(ProjectChats, SettingsProvenanceAndDeletion) {
    TempDir dir;
    auto path = dir / "d.atelier";
    auto p = ap::Project::create(path);
    auto chat = (*p)->create_chat("Settings", "m.gguf");
    ap::Chat c = *chat;
    c.title = "Renamed";
    c.system_prompt = "Be brief.";
    c.settings_json = R"({"thinking":true,"sampling":{"temperature":0.5}})";
    ASSERT_TRUE((*p)->update_chat(c).ok());
    EXPECT_EQ(raw_text(path, "SELECT json_extract(settings_json, '$.sampling.temperature') || '|' || system_prompt FROM chats"),
              "0.5|Be brief.");
    c.settings_json = "{not json";
    EXPECT_EQ((*p)->update_chat(c).error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ((*p)->get_chat(c.uuid)->title, "Renamed") << "a failed update changes nothing";

    ap::Generation g;
    g.uuid = atelier::uuid_v7();
    g.kind = "chat";
    g.status = "running";
    g.seed = 11;
    ASSERT_TRUE((*p)->insert_generation(g).ok());
    ap::NewMessage a = msg(c.uuid, "", "assistant", "x");
    a.generation_uuid = g.uuid;
    auto m = (*p)->insert_message(a);
    ASSERT_TRUE(m.ok());
    g.status = "done";
    g.model = "tiny.gguf";
    g.model_hash = "ab12";
    g.timings_json = R"({"decode_tokens":3})";
    g.seed = 12;
    ASSERT_TRUE((*p)->update_generation(g).ok());
    EXPECT_EQ(raw_text(path, "SELECT status || '|' || json_extract(timings_json, '$.decode_tokens') || '|' || model || '|' || "
                             "model_hash || '|' || seed || '|' || kind FROM generations"),
              "done|3|tiny.gguf|ab12|12|chat");
    ap::Generation bad = g;
    bad.status = "finished";
    EXPECT_EQ((*p)->update_generation(bad).error().code, ErrorCode::InvalidArgument);
    bad = g;
    bad.timings_json = "{oops";
    EXPECT_EQ((*p)->update_generation(bad).error().code, ErrorCode::InvalidArgument);
    bad.uuid = atelier::uuid_v7();
    bad.timings_json = "{}";
    EXPECT_EQ((*p)->update_generation(bad).error().code, ErrorCode::ProjectObjectNotFound);
    EXPECT_EQ((*p)->get_generation(g.uuid)->seed, 12);

    ASSERT_TRUE((*p)->delete_chat(c.uuid).ok());
    EXPECT_EQ(raw_int(path, "SELECT count(*) FROM messages"), 0);
    EXPECT_EQ(raw_int(path, "SELECT count(*) FROM generations"), 1) << "provenance outlives the chat";
    EXPECT_EQ((*p)->delete_chat(c.uuid).error().code, ErrorCode::ProjectObjectNotFound);
    EXPECT_EQ(raw_text(path, "PRAGMA foreign_key_check"), "");
}
