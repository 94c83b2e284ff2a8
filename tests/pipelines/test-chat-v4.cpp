// The chat pipeline on the tiny random DeepSeek V4 checkpoint (tools/deepseek-v4/make-tiny-v4.py,
// written to <build>/tiny-v4 by the v4_tiny ctest fixture), GGUF and HF FP8 layouts: the model is
// loaded through the ModelCache as a "model-load" job, answers stream into the project, the
// provenance hash is the file's XXH3-128 (computed here with libxxhash directly), a second turn
// continues the kept sequence, and stop keeps the partial answer. The text is random tokens.
#include <xxhash.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "pipelines/chat.h"
#include "studio-fixture.h"

namespace ap = atelier::pipelines;
using nlohmann::json;

namespace atelier::test {
namespace {

const fs::path kTiny = fs::path(ATELIER_BINARY_DIR) / "tiny-v4";

std::string xxh128_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), {});
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, XXH3_128bits(bytes.data(), bytes.size()));
    std::string hex;
    char buf[3];
    for (unsigned char b : c.digest) {
        std::snprintf(buf, sizeof buf, "%02x", b);
        hex += buf;
    }
    return hex;
}

class ChatV4Test : public StudioTest {
protected:
    void SetUp() override {
        ASSERT_TRUE(fs::exists(kTiny / "tiny-v4.gguf")) << "run the v4.tiny_checkpoint ctest fixture first";
        StudioTest::SetUp();
        models_ = std::make_shared<ap::ModelCache>();
        chat_ = std::make_unique<ap::ChatService>(studio(), models_, options());
        chat_->set_on_update([this](const ap::ChatUpdate& u) {
            std::lock_guard lock(mutex_);
            if (u.final) finals_.push_back(u);
        });
    }
    void TearDown() override { chat_.reset(); }
    static ap::ChatServiceOptions options() {
        ap::ChatServiceOptions o;
        o.n_threads = 2;
        o.ignore_eos = true;  // random weights: EOS could come at any token
        return o;
    }
    std::string new_chat(const fs::path& model, int max_tokens) {
        auto c = studio().project().create_chat("v4");
        ap::ChatSettings s;
        s.model = model.string();
        s.max_tokens = max_tokens;
        s.n_ctx = 1024;
        s.seed = 5;
        c->settings_json = s.to_json();
        EXPECT_TRUE(studio().project().update_chat(*c).ok());
        return c->uuid;
    }
    JobInfo finish(JobId id) {
        EXPECT_TRUE(studio().wait(id, std::chrono::seconds(120)));
        studio().drain();
        return *studio().scheduler().info(id);
    }
    std::string msg(const std::string& uuid, const std::string& col) {
        return sql("SELECT " + col + " FROM messages WHERE uuid = '" + uuid + "'");
    }
    std::shared_ptr<ap::ModelCache> models_;
    std::unique_ptr<ap::ChatService> chat_;
    std::mutex mutex_;
    std::vector<ap::ChatUpdate> finals_;
};

}  // namespace

TEST_F(ChatV4Test, GgufAnswersStreamWithProvenanceAndTheSecondTurnContinues) {
    const fs::path gguf = kTiny / "tiny-v4.gguf";
    const JobId load = chat_->preload(gguf.string());
    EXPECT_EQ(finish(load).state, JobState::Done);
    ASSERT_NE(models_->find(gguf.string()), nullptr) << "loaded once, kept in the cache";
    const std::string chat = new_chat(gguf, 24);
    auto a = chat_->send(chat, "Hello, V4!");
    ASSERT_TRUE(a.ok()) << a.error().message();
    JobInfo info = finish(a->job);
    ASSERT_EQ(info.state, JobState::Done) << info.error.message();
    EXPECT_EQ(msg(a->message_uuid, "state"), "done");
    EXPECT_FALSE(msg(a->message_uuid, "content").empty());
    const std::string g = " FROM generations WHERE uuid = '" + a->generation_uuid + "'";
    EXPECT_EQ(sql("SELECT model" + g), "tiny-v4.gguf");
    EXPECT_EQ(sql("SELECT model_hash" + g), xxh128_file(gguf));
    EXPECT_EQ(sql("SELECT json_extract(params_json, '$.architecture')" + g), "deepseek_v4");
    EXPECT_EQ(sql("SELECT json_extract(timings_json, '$.generated_tokens')" + g), "24");
    EXPECT_EQ(sql("SELECT json_extract(timings_json, '$.stop_reason')" + g), "max_tokens");
    EXPECT_GT(std::stod(sql("SELECT json_extract(timings_json, '$.decode_tokens_per_s')" + g)), 0.0);
    EXPECT_DOUBLE_EQ(std::stod(sql("SELECT json_extract(timings_json, '$.load_ms')" + g)) < 1000.0 ? 1.0 : 0.0, 1.0)
        << "the model was already loaded by the preload job";
    auto b = chat_->send(chat, "And again?");
    ASSERT_TRUE(b.ok());
    ASSERT_EQ(finish(b->job).state, JobState::Done);
    const std::string g2 = " FROM generations WHERE uuid = '" + b->generation_uuid + "'";
    EXPECT_GT(std::stoi(sql("SELECT json_extract(timings_json, '$.reused_tokens')" + g2)), 0) << "the first turn was not fed again";
    // Streaming itself is timed (the committer reports every 50 ms) and a 24-token answer of the
    // tiny model can finish inside one interval, so here only the final reports are checked: they
    // carry the text the project holds. tests/pipelines/test-chat.cpp checks the streaming with a
    // model it can slow down.
    std::lock_guard lock(mutex_);
    ASSERT_EQ(finals_.size(), 2u);
    EXPECT_EQ(finals_[0].content, msg(a->message_uuid, "content"));
    EXPECT_EQ(finals_[1].content, msg(b->message_uuid, "content"));
}

TEST_F(ChatV4Test, ConcurrentGetsOfOneModelShareOneInstance) {
    const fs::path gguf = kTiny / "tiny-v4.gguf";
    std::shared_ptr<const ap::LoadedModel> got[2];
    std::thread t0([&] { got[0] = *models_->get(gguf.string()); });
    std::thread t1([&] { got[1] = *models_->get(gguf.string()); });
    t0.join();
    t1.join();
    ASSERT_NE(got[0], nullptr);
    EXPECT_EQ(got[0], got[1]) << "one instance, whether the second caller joined the load or found it cached";
    EXPECT_EQ(got[0]->content_hash, xxh128_file(gguf));
    EXPECT_EQ(got[0]->lm->info().architecture, "deepseek_v4");
}

TEST_F(ChatV4Test, Fp8FolderStopKeepsThePartialAnswer) {
    const fs::path folder = kTiny / "tiny-v4-fp8";
    const std::string chat = new_chat(folder, 100000);
    auto a = chat_->send(chat, "Talk until I stop you.");
    ASSERT_TRUE(a.ok());
    // Load (hash + map + bind), prefill, then wait for some streamed text on disk.
    for (int i = 0; i < 12000 && std::stoi(msg(a->message_uuid, "length(content)")) < 10; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ASSERT_TRUE(chat_->stop(a->message_uuid));
    EXPECT_EQ(finish(a->job).state, JobState::Cancelled);
    EXPECT_EQ(msg(a->message_uuid, "state"), "stopped");
    EXPECT_GE(std::stoi(msg(a->message_uuid, "length(content)")), 10);
    EXPECT_EQ(sql("SELECT json_extract(params_json, '$.architecture') FROM generations"), "deepseek_v4");
    EXPECT_EQ(sql("SELECT json_extract(params_json, '$.numerics') FROM generations"), "released");
}

}  // namespace atelier::test
