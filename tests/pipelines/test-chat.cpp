// Chat pipeline with the toy model (tests/pipelines/toy-lm.h): answers stream into the project
// (each reported update is already on disk, checked through SQLite itself), thinking mode keeps
// the reasoning apart, stop keeps the partial text, regenerate and edit make siblings, a second
// turn reuses the kept sequence state, provenance rows hold model hash, parameters, seed and
// timings, and failures end the message as failed. The prompts the model saw are checked against
// the V4 format written out by hand from DeepSeek's rules (deepseek-v4.md §3.10).
#include <sqlite3.h>

#include <mutex>
#include <nlohmann/json.hpp>

#include "pipelines/chat-tree.h"
#include "pipelines/chat.h"
#include "studio-fixture.h"
#include "toy-lm.h"

namespace ap = atelier::pipelines;
namespace proj = atelier::projects;
using atelier::ErrorCode;
using nlohmann::json;

namespace atelier::test {
namespace {

// Reads one text value straight from the file with SQLite's C API (a second connection).
std::string raw_value(const fs::path& db, const std::string& query) {
    sqlite3* h = nullptr;
    std::string out = "<error>";
    if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
        sqlite3_stmt* s = nullptr;
        if (sqlite3_prepare_v2(h, query.c_str(), -1, &s, nullptr) == SQLITE_OK) {
            out = sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0) ? reinterpret_cast<const char*>(sqlite3_column_text(s, 0)) : "";
            sqlite3_finalize(s);
        }
    }
    sqlite3_close(h);
    return out;
}

std::string q(const std::string& s) { return "'" + s + "'"; }

class ChatTest : public StudioTest {
protected:
    void SetUp() override {
        StudioTest::SetUp();
        start_service();
    }
    void TearDown() override { chat_.reset(); }

    void start_service() {
        models_ = std::make_shared<ap::ModelCache>();
        models_->insert(toy_.loaded);
        chat_ = std::make_unique<ap::ChatService>(studio(), models_);
        chat_->set_on_update([this](const ap::ChatUpdate& u) { on_update(u); });
    }

    virtual void on_update(const ap::ChatUpdate& u) {
        std::lock_guard lock(mutex_);
        updates_.push_back(u);
    }

    std::string new_chat(ap::ChatSettings s = defaults(), const std::string& system = {}) {
        auto c = studio().project().create_chat("Test chat");
        EXPECT_TRUE(c.ok());
        proj::Chat chat = *c;
        chat.settings_json = s.to_json();
        chat.system_prompt = system;
        EXPECT_TRUE(studio().project().update_chat(chat).ok());
        return chat.uuid;
    }

    static ap::ChatSettings defaults() {
        ap::ChatSettings s;
        s.model = kToyModelKey;
        s.seed = 1234;
        s.sampling.temperature = 0.7f;
        s.sampling.top_p = 0.9f;
        s.max_tokens = 400;
        return s;
    }

    // Runs the answer's job to its end and applies what was queued for the owner thread.
    JobInfo finish(const ap::ChatService::Answer& a) {
        EXPECT_TRUE(studio().wait(a.job, std::chrono::seconds(30)));
        studio().drain();
        return *studio().scheduler().info(a.job);
    }

    std::vector<ap::ChatUpdate> updates_for(const std::string& message) {
        std::lock_guard lock(mutex_);
        std::vector<ap::ChatUpdate> out;
        for (const auto& u : updates_)
            if (u.message_uuid == message) out.push_back(u);
        return out;
    }

    std::string message_sql(const std::string& uuid, const std::string& column) {
        return sql("SELECT " + column + " FROM messages WHERE uuid = " + q(uuid));
    }

    ToyModel toy_ = make_toy_model();
    std::shared_ptr<ap::ModelCache> models_;
    std::unique_ptr<ap::ChatService> chat_;
    std::mutex mutex_;
    std::vector<ap::ChatUpdate> updates_;
};

// The V4 prompt for one user turn, by the format's rules (BOS, system text, <｜User｜>, then
// <｜Assistant｜> and </think> in chat mode or <think> in thinking mode).
std::string v4_prompt(const std::string& system, const std::string& user, bool thinking) {
    return "<｜begin▁of▁sentence｜>" + system + "<｜User｜>" + user + "<｜Assistant｜>" + (thinking ? "<think>" : "</think>");
}

}  // namespace

TEST_F(ChatTest, AnswerStreamsIntoTheProjectWithProvenance) {
    toy_.lm->delay_ms_per_token = 8;  // 21 tokens: several 50 ms commits
    const std::string chat = new_chat(defaults(), "Be brief.");
    auto a = chat_->send(chat, "Hello there");
    ASSERT_TRUE(a.ok()) << a.error().message();
    EXPECT_TRUE(chat_->answering(chat));
    EXPECT_EQ(message_sql(a->message_uuid, "state"), "streaming");
    JobInfo info = finish(*a);
    EXPECT_EQ(info.state, JobState::Done) << info.error.message();
    EXPECT_FALSE(chat_->answering(chat));

    // The model saw the V4 prompt, and its script came back as the answer.
    ASSERT_EQ(toy_.lm->prompts().size(), 1u);
    EXPECT_EQ(toy_.lm->prompts()[0], v4_prompt("Be brief.", "Hello there", false));
    EXPECT_EQ(message_sql(a->message_uuid, "content"), "You said: Hello there");
    EXPECT_EQ(message_sql(a->message_uuid, "state || '|' || reasoning || '|' || parent_uuid"), "done||" + a->user_uuid);
    EXPECT_EQ(sql("SELECT current_leaf_uuid FROM chats WHERE uuid = " + q(chat)), a->message_uuid);

    // Updates grew monotonically; the last is final and carries the live rate.
    auto ups = updates_for(a->message_uuid);
    ASSERT_GE(ups.size(), 3u);
    for (size_t i = 1; i < ups.size(); ++i)
        EXPECT_EQ(ups[i].content.rfind(ups[i - 1].content, 0), 0u) << "update " << i << " does not extend the previous";
    EXPECT_TRUE(ups.back().final);
    EXPECT_EQ(ups.back().state, proj::MessageState::Done);
    EXPECT_EQ(ups.back().content, "You said: Hello there");
    EXPECT_EQ(ups.back().decode_tokens, static_cast<int64_t>(std::string("You said: Hello there").size()));
    EXPECT_GT(ups.back().decode_tokens_per_s, 0.0);

    // Provenance: the generation row links to the message and the job, with every parameter.
    const std::string g = a->generation_uuid;
    EXPECT_EQ(message_sql(a->message_uuid, "generation_uuid"), g);
    EXPECT_EQ(sql("SELECT kind || '|' || status || '|' || model || '|' || model_hash || '|' || seed FROM generations WHERE uuid = " + q(g)),
              "chat|done|toy-scripted|" + toy_.loaded->content_hash + "|1234");
    EXPECT_EQ(sql("SELECT job_uuid FROM generations WHERE uuid = " + q(g)), info.spec.uuid);
    EXPECT_EQ(sql("SELECT kind || '|' || state FROM jobs WHERE uuid = " + q(info.spec.uuid)), "chat|done");
    const json params = json::parse(sql("SELECT params_json FROM generations WHERE uuid = " + q(g)));
    EXPECT_FLOAT_EQ(params["sampling"]["temperature"].get<float>(), 0.7f);
    EXPECT_FLOAT_EQ(params["sampling"]["top_p"].get<float>(), 0.9f);
    EXPECT_EQ(params["sampling"]["seed"], 1234);
    EXPECT_EQ(params["max_tokens"], 400);
    EXPECT_EQ(params["thinking"], false);
    EXPECT_EQ(params["numerics"], "released");
    EXPECT_EQ(params["architecture"], "toy");
    const json timings = json::parse(sql("SELECT timings_json FROM generations WHERE uuid = " + q(g)));
    const int64_t prompt_tokens = static_cast<int64_t>(toy_.lm->tokenizer().encode(v4_prompt("Be brief.", "Hello there", false)).size());
    EXPECT_EQ(timings["prompt_tokens"], prompt_tokens);
    EXPECT_EQ(timings["prefill_tokens"], prompt_tokens);
    EXPECT_EQ(timings["generated_tokens"], std::string("You said: Hello there").size());
    EXPECT_EQ(timings["stop_reason"], "eos");
    EXPECT_GT(timings["decode_tokens_per_s"].get<double>(), 0.0);
    EXPECT_GT(timings["prefill_tokens_per_s"].get<double>(), 0.0);
}

// Every reported update's text was committed when it was reported: a second connection reads
// it (the text in the file is at least as long, and starts with it).
class ChatDurabilityTest : public ChatTest {
protected:
    void on_update(const ap::ChatUpdate& u) override {
        ChatTest::on_update(u);
        if (u.final || u.content.empty()) return;
        const std::string on_disk = raw_value(project_path(), "SELECT content FROM messages WHERE uuid = " + q(u.message_uuid));
        std::lock_guard lock(mutex_);
        ++checked_;
        if (on_disk.rfind(u.content, 0) != 0) ++behind_;
    }
    int checked_ = 0, behind_ = 0;
};

TEST_F(ChatDurabilityTest, ReportedTextIsAlreadyOnDisk) {
    toy_.lm->delay_ms_per_token = 3;
    const std::string chat = new_chat();
    auto a = chat_->send(chat, std::string(60, 'x'));
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(finish(*a).state, JobState::Done);
    std::lock_guard lock(mutex_);
    EXPECT_GE(checked_, 3) << "a 70-token answer at 3 ms/token commits several times (every 50 ms)";
    EXPECT_EQ(behind_, 0);
}

TEST_F(ChatTest, ThinkingModeKeepsTheReasoningApart) {
    ap::ChatSettings s = defaults();
    s.thinking = true;
    const std::string chat = new_chat(s);
    auto a = chat_->send(chat, "Why?");
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(finish(*a).state, JobState::Done);
    EXPECT_EQ(toy_.lm->prompts().back(), v4_prompt("", "Why?", true));
    EXPECT_EQ(message_sql(a->message_uuid, "reasoning"), "Let me think about it.");
    EXPECT_EQ(message_sql(a->message_uuid, "content"), "You said: Why?");
    EXPECT_EQ(json::parse(sql("SELECT params_json FROM generations WHERE uuid = " + q(a->generation_uuid)))["thinking"], true);
}

TEST_F(ChatTest, StopKeepsThePartialAnswer) {
    const std::string script = "A long answer that streams slowly, token after token, until someone stops it.";
    toy_ = make_toy_model([&](const std::string&) { return script; });
    start_service();
    toy_.lm->delay_ms_per_token = 15;
    const std::string chat = new_chat();
    auto a = chat_->send(chat, "Tell me everything");
    ASSERT_TRUE(a.ok());
    // Wait until some text is on disk, then stop.
    for (int i = 0; i < 2000 && std::stoi(message_sql(a->message_uuid, "length(content)")) < 5; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ASSERT_TRUE(chat_->stop(a->message_uuid));
    JobInfo info = finish(*a);
    EXPECT_EQ(info.state, JobState::Cancelled);
    const std::string partial = message_sql(a->message_uuid, "content");
    EXPECT_EQ(message_sql(a->message_uuid, "state"), "stopped");
    EXPECT_FALSE(partial.empty());
    EXPECT_LT(partial.size(), script.size());
    EXPECT_EQ(script.rfind(partial, 0), 0u) << "the partial text is the start of the answer: " << partial;
    EXPECT_EQ(sql("SELECT status FROM generations WHERE uuid = " + q(a->generation_uuid)), "cancelled");
    EXPECT_EQ(json::parse(sql("SELECT timings_json FROM generations WHERE uuid = " + q(a->generation_uuid)))["stop_reason"], "cancelled");
    EXPECT_FALSE(chat_->stop(a->message_uuid)) << "nothing left to stop";
}

TEST_F(ChatTest, RegenerateAndEditMakeSiblingsOnNewBranches) {
    int n = 0;
    toy_ = make_toy_model([&](const std::string& question) { return "Answer " + std::to_string(++n) + " to " + question; });
    start_service();
    ap::ChatSettings s = defaults();
    s.seed = -1;  // a fresh seed per answer, recorded
    const std::string chat = new_chat(s);
    auto first = chat_->send(chat, "Q1");
    ASSERT_TRUE(first.ok());
    finish(*first);
    auto again = chat_->regenerate(first->message_uuid);
    ASSERT_TRUE(again.ok()) << again.error().message();
    finish(*again);
    EXPECT_EQ(message_sql(again->message_uuid, "parent_uuid"), first->user_uuid);
    EXPECT_EQ(message_sql(again->message_uuid, "content"), "Answer 2 to Q1");
    EXPECT_EQ(message_sql(first->message_uuid, "content"), "Answer 1 to Q1") << "the first answer stays";
    for (const auto& g : {first->generation_uuid, again->generation_uuid})
        EXPECT_EQ(sql("SELECT seed FROM generations WHERE uuid = " + q(g)),
                  sql("SELECT json_extract(params_json, '$.sampling.seed') FROM generations WHERE uuid = " + q(g)));

    auto edited = chat_->edit(first->user_uuid, "Q1, better");
    ASSERT_TRUE(edited.ok()) << edited.error().message();
    finish(*edited);
    EXPECT_EQ(message_sql(edited->user_uuid, "parent_uuid"), message_sql(first->user_uuid, "parent_uuid"));
    EXPECT_EQ(message_sql(edited->message_uuid, "content"), "Answer 3 to Q1, better");
    EXPECT_EQ(toy_.lm->prompts().back(), v4_prompt("", "Q1, better", false)) << "the old question is not on this branch";

    // The branch shown is the edited one; the first branch is still there and can be chosen.
    auto messages = *studio().project().list_messages(chat);
    auto path = ap::branch_path(messages, sql("SELECT current_leaf_uuid FROM chats WHERE uuid = " + q(chat)));
    ASSERT_EQ(path.size(), 2u);
    EXPECT_EQ(messages[path[0]].uuid, edited->user_uuid);
    EXPECT_EQ(ap::siblings(messages, first->user_uuid).size(), 2u);
    EXPECT_EQ(ap::siblings(messages, again->message_uuid).size(), 2u);
    EXPECT_EQ(ap::newest_leaf_under(messages, first->user_uuid), again->message_uuid);
    EXPECT_EQ(sql("SELECT count(*) FROM messages"), "5") << "Q1, its two answers, the edited Q1 and its answer";
    EXPECT_EQ(chat_->regenerate(first->user_uuid).error().code, ErrorCode::InvalidArgument) << "not an answer";
    EXPECT_EQ(chat_->edit(first->message_uuid, "x").error().code, ErrorCode::InvalidArgument) << "not a question";
}

TEST_F(ChatTest, SecondTurnContinuesTheKeptSequence) {
    const std::string chat = new_chat();
    auto a1 = chat_->send(chat, "One");
    ASSERT_TRUE(a1.ok());
    finish(*a1);
    const int64_t fed_first = toy_.lm->tokens_fed.load();
    auto a2 = chat_->send(chat, "Two");
    ASSERT_TRUE(a2.ok());
    finish(*a2);
    // The full second prompt, by the V4 rules: the first turn closed with EOS.
    const std::string full = "<｜begin▁of▁sentence｜><｜User｜>One<｜Assistant｜></think>You said: One<｜end▁of▁sentence｜>"
                             "<｜User｜>Two<｜Assistant｜></think>";
    EXPECT_EQ(toy_.lm->prompts().back(), full) << "the model holds exactly the whole conversation";
    const json t = json::parse(sql("SELECT timings_json FROM generations WHERE uuid = " + q(a2->generation_uuid)));
    EXPECT_GT(t["reused_tokens"].get<int64_t>(), 0);
    EXPECT_EQ(t["prompt_tokens"].get<int64_t>(), static_cast<int64_t>(toy_.lm->tokenizer().encode(full).size()));
    EXPECT_LT(toy_.lm->tokens_fed.load() - fed_first, t["prompt_tokens"].get<int64_t>()) << "only the new part was fed";
    EXPECT_EQ(message_sql(a2->message_uuid, "content"), "You said: Two");
}

TEST_F(ChatTest, FailuresEndTheMessageAsFailed) {
    ap::ChatSettings none = defaults();
    none.model.clear();
    EXPECT_EQ(chat_->send(new_chat(none), "hi").error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(chat_->send(new_chat(), "   ").error().code, ErrorCode::InvalidArgument);

    ap::ChatSettings missing = defaults();
    missing.model = (dir_ / "no-such-model.gguf").string();
    const std::string chat = new_chat(missing);
    auto a = chat_->send(chat, "hi");
    ASSERT_TRUE(a.ok());
    JobInfo info = finish(*a);
    EXPECT_EQ(info.state, JobState::Failed);
    EXPECT_EQ(message_sql(a->message_uuid, "state"), "failed");
    EXPECT_EQ(sql("SELECT status FROM generations WHERE uuid = " + q(a->generation_uuid)), "failed");
    auto ups = updates_for(a->message_uuid);
    ASSERT_FALSE(ups.empty());
    EXPECT_TRUE(ups.back().final);
    EXPECT_NE(ups.back().error.detail.find("no-such-model.gguf"), std::string::npos) << ups.back().error.message();

    // A conversation longer than the context.
    ap::ChatSettings tiny = defaults();
    tiny.n_ctx = 8;
    auto b = chat_->send(new_chat(tiny), "a question far longer than eight tokens");
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(finish(*b).state, JobState::Failed);
    EXPECT_EQ(message_sql(b->message_uuid, "state"), "failed");
}

TEST_F(ChatTest, OneAnswerAtATimePerChatAndRerunOfAnInterruptedAnswer) {
    toy_.lm->delay_ms_per_token = 10;
    const std::string chat = new_chat();
    auto a = chat_->send(chat, "first");
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(chat_->send(chat, "second").error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(chat_->regenerate(a->message_uuid).error().code, ErrorCode::InvalidArgument);
    chat_->stop_chat(chat);
    JobInfo info = finish(*a);
    EXPECT_EQ(info.state, JobState::Cancelled);
    // The Studio's rerun of a chat job answers the same question again (a new sibling).
    toy_.lm->delay_ms_per_token = 0;
    auto rerun = studio().rerun_job(info.spec.uuid);
    ASSERT_TRUE(rerun.ok()) << rerun.error().message();
    ASSERT_TRUE(studio().wait(*rerun, std::chrono::seconds(30)));
    studio().drain();
    EXPECT_EQ(sql("SELECT count(*) FROM messages WHERE parent_uuid = " + q(a->user_uuid) + " AND state = 'done'"), "1");
}

TEST(ChatSettings, JsonRoundTripAndDefaults) {
    ap::ChatSettings s;
    s.model = "/m/x.gguf";
    s.thinking = true;
    s.seed = 42;
    s.max_tokens = 77;
    s.n_ctx = 1024;
    s.sampling.temperature = 0.25f;
    s.sampling.top_k = 40;
    s.sampling.min_p = 0.05f;
    s.sampling.repeat_penalty = 1.1f;
    auto back = ap::ChatSettings::from_json(s.to_json());
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->to_json(), s.to_json());
    // What tools/make-project-fixtures.py writes (a subset) reads with defaults for the rest.
    auto fx = ap::ChatSettings::from_json(R"({"model":"/models/tiny-v4.gguf","thinking":true,"sampling":{"temperature":0.6,"seed":7}})");
    ASSERT_TRUE(fx.ok());
    EXPECT_EQ(fx->seed, 7);
    EXPECT_FLOAT_EQ(fx->sampling.temperature, 0.6f);
    EXPECT_EQ(fx->max_tokens, ap::ChatSettings{}.max_tokens);
    EXPECT_TRUE(ap::ChatSettings::from_json("{}").ok());
    EXPECT_EQ(ap::ChatSettings::from_json("[1]").error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(ap::ChatSettings::from_json(R"({"thinking":"yes"})").error().code, ErrorCode::InvalidArgument);
}

}  // namespace atelier::test

namespace atelier::test {

TEST(ModelCache, KeysLruEvictionAndBadOrCancelledLoads) {
    ap::ModelCache cache(1);
    auto a = make_toy_model().loaded;
    auto b_model = std::make_shared<ap::LoadedModel>(*make_toy_model().loaded);
    b_model->key = "toy:other";
    cache.insert(a);
    EXPECT_EQ(cache.find(kToyModelKey), a);
    EXPECT_EQ(*cache.get(kToyModelKey), a) << "a cached key is returned as is";
    cache.insert(b_model);
    EXPECT_EQ(cache.find(kToyModelKey), nullptr) << "capacity 1: the least recently used model is dropped";
    EXPECT_EQ(cache.keys(), std::vector<std::string>{"toy:other"});
    cache.evict("toy:other");
    EXPECT_TRUE(cache.keys().empty());

    // A file that is a model but not a language model this build runs, and a missing one.
    const fs::path gguf = fs::path(ATELIER_TEST_DATA_DIR) / "inference" / "loaders" / "fixtures" / "tiny.gguf";
    auto bad = cache.get(gguf.string());
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().code, ErrorCode::Invalid);
    EXPECT_EQ(cache.find(gguf.string()), nullptr);
    EXPECT_EQ(cache.get("/no/such/model.gguf").error().code, ErrorCode::NotFound);
    EXPECT_EQ(cache.get("").error().code, ErrorCode::InvalidArgument);
    std::stop_source stop;
    stop.request_stop();
    EXPECT_EQ(cache.get(gguf.string(), stop.get_token()).error().code, ErrorCode::Cancelled);
    EXPECT_EQ(ap::ModelCache::key_for("a/../b.gguf"), (fs::current_path() / "b.gguf").string());
    EXPECT_EQ(ap::ModelCache::key_for("toy:x"), "toy:x");
}

}  // namespace atelier::test
