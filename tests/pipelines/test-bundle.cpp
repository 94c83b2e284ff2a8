// Bundle export tests: the folder and the zip hold the same layout; manifest.json hashes match the
// bundled bytes, which match the imported originals (compared byte for byte and with sha256sum);
// the zip is checked by the unzip program; cancel and failure leave nothing at the destination.
#include <nlohmann/json.hpp>

#include "core/hash.h"
#include "pipelines/bundle.h"
#include "studio-fixture.h"

namespace atelier::test {
namespace {

using nlohmann::json;

class BundleTest : public StudioTest {
protected:
    void SetUp() override {
        StudioTest::SetUp();
        png("sunrise.png", 48, 32, 1);
        wav("tone.wav", 400, 2);
        auto run = import({inputs()});
        ASSERT_EQ(run.report.added.size(), 2u);
        auto chat = studio().project().create_chat("Ideas: a/b?", "tiny-model");
        ASSERT_TRUE(chat.ok());
        chat_uuid_ = chat->uuid;
        ASSERT_TRUE(studio().project().add_message(chat_uuid_, "user", "Hello there").ok());
        ASSERT_TRUE(studio().project().add_message(chat_uuid_, "assistant", "General Kenobi").ok());
    }

    JobInfo bundle(const fs::path& dest, bool zip) {
        JobInfo out;
        pipelines::StudioEvents ev;
        ev.on_job_state = [&](const JobInfo& i) {
            if (job_state_is_final(i.state)) out = i;
        };
        ev.on_bundle_finished = [&](const JobInfo&, const pipelines::BundleReport& r) { report_ = r; };
        studio().set_events(ev);
        studio().export_bundle(dest, {.zip = zip});
        studio().wait_and_drain();
        studio().set_events({});
        return out;
    }

    // Checks an unpacked bundle against the project and the original inputs.
    void check_layout(const fs::path& root) {
        const json m = json::parse(read_file(root / "manifest.json"));
        EXPECT_EQ(m.at("format"), "atelier-bundle");
        EXPECT_EQ(m.at("format_version"), pipelines::kBundleFormatVersion);
        EXPECT_EQ(m.at("project").at("name"), "test");
        ASSERT_EQ(m.at("assets").size(), 2u);
        for (const auto& a : m.at("assets")) {
            const fs::path file = root / a.at("path").get<std::string>();
            const fs::path original = inputs() / a.at("name").get<std::string>();
            ASSERT_TRUE(fs::exists(file)) << file;
            EXPECT_EQ(read_file(file), read_file(original)) << file;
            auto h = hash_file(file);
            ASSERT_TRUE(h.ok());
            EXPECT_EQ(*h, a.at("content_hash").get<std::string>());
            EXPECT_EQ(fs::file_size(file), a.at("size_bytes").get<uintmax_t>());
            const std::string sha = "sha256sum < " + shell_quote(file.string());
            EXPECT_EQ(run_capture(sha), run_capture("sha256sum < " + shell_quote(original.string())));
            EXPECT_TRUE(a.at("metadata").is_object());
        }
        ASSERT_EQ(m.at("chats").size(), 1u);
        const std::string chat_path = m.at("chats")[0].at("path");
        EXPECT_EQ(chat_path, "chats/Ideas_ a_b_-" + chat_uuid_.substr(0, 8) + ".md");
        const std::string md = read_file(root / chat_path);
        EXPECT_NE(md.find("# Ideas: a/b?"), std::string::npos) << md;
        EXPECT_LT(md.find("## User\n\nHello there"), md.find("## Assistant\n\nGeneral Kenobi")) << md;
        EXPECT_TRUE(fs::is_directory(root / "transcripts"));
        EXPECT_TRUE(json::parse(read_file(root / "generations.json")).is_array());
    }

    std::string chat_uuid_;
    pipelines::BundleReport report_;
};

TEST_F(BundleTest, FolderBundleMatchesTheProject) {
    const fs::path dest = dir_ / "out";
    ASSERT_EQ(bundle(dest, false).state, JobState::Done);
    EXPECT_EQ(report_.asset_count, 2);
    EXPECT_EQ(report_.chat_count, 1);
    check_layout(dest);
    // Nothing else is left beside it (no staging folder).
    int entries = 0;
    for (const auto& e : fs::directory_iterator(dir_.path())) entries += e.path().filename().string().find(".part-") != std::string::npos;
    EXPECT_EQ(entries, 0);
}

TEST_F(BundleTest, ZipBundleIsValidForUnzipAndMatchesTheProject) {
    const fs::path zip = dir_ / "out.zip";
    ASSERT_EQ(bundle(zip, true).state, JobState::Done);
    EXPECT_EQ(report_.bytes_written, static_cast<int64_t>(fs::file_size(zip)));
    int rc = -1;
    const std::string listing = run_capture("unzip -l " + shell_quote(zip.string()), &rc);
    ASSERT_EQ(rc, 0) << listing;
    EXPECT_NE(listing.find("manifest.json"), std::string::npos);
    EXPECT_NE(listing.find("generations.json"), std::string::npos);
    EXPECT_NE(listing.find("transcripts/"), std::string::npos);
    run_capture("unzip -tq " + shell_quote(zip.string()), &rc);
    EXPECT_EQ(rc, 0) << "unzip -t found damage";
    const fs::path x = dir_ / "unpacked";
    run_capture("unzip -q " + shell_quote(zip.string()) + " -d " + shell_quote(x.string()), &rc);
    ASSERT_EQ(rc, 0);
    check_layout(x);
}

TEST_F(BundleTest, ExistingDestinationIsRefusedAndLeftAlone) {
    const fs::path dest = dir_ / "taken.zip";
    write_file(dest, "mine");
    const JobInfo info = bundle(dest, true);
    EXPECT_EQ(info.state, JobState::Failed);
    EXPECT_EQ(info.error.code, ErrorCode::AlreadyExists);
    EXPECT_FALSE(info.error.hint.empty());
    EXPECT_EQ(read_file(dest), "mine");
}

// Cancels from the job's own progress callback at a chosen stage, so the cancel lands mid-export.
JobState cancel_at_stage(const fs::path& project, const fs::path& dest, bool zip, const std::string& stage) {
    JobScheduler sched(1);
    JobId id = 0;
    std::atomic<bool> sent{false};
    JobEvents ev;
    ev.on_progress = [&](JobId jid, const JobProgress& p) {
        if (p.stage == stage && !sent.exchange(true)) sched.cancel(jid);
    };
    sched.set_events(ev);
    id = sched.submit({.kind = "bundle"}, [&](JobContext& ctx) -> Status {
        auto r = pipelines::export_bundle(&ctx, project, dest, {.zip = zip});
        return r.ok() ? ok_status() : Status(std::move(r).error());
    });
    sched.wait(id);
    return sched.info(id)->state;
}

TEST_F(BundleTest, CancelledFolderBundleLeavesNothing) {
    const fs::path dest = dir_ / "cancelled";
    EXPECT_EQ(cancel_at_stage(project_path(), dest, false, "assets"), JobState::Cancelled);
    EXPECT_FALSE(fs::exists(dest));
    for (const auto& e : fs::directory_iterator(dir_.path()))
        EXPECT_EQ(e.path().filename().string().find(".part-"), std::string::npos) << e.path();
}

TEST_F(BundleTest, CancelledZipBundleLeavesNothing) {
    const fs::path dest = dir_ / "cancelled.zip";
    EXPECT_EQ(cancel_at_stage(project_path(), dest, true, "finish"), JobState::Cancelled);
    EXPECT_FALSE(fs::exists(dest));
    for (const auto& e : fs::directory_iterator(dir_.path()))
        EXPECT_EQ(e.path().filename().string().find("cancelled.zip"), std::string::npos) << e.path();
}

// A chat with two branches (the first question edited) exports the branch it shows, with the
// reasoning collapsed and an unfinished answer marked; the manifest counts both.
TEST_F(BundleTest, ChatExportsTheBranchItShows) {
    projects::Project& p = studio().project();
    projects::NewMessage edited{.chat_uuid = chat_uuid_, .role = "user", .content = "Hello again"};
    auto q2 = p.insert_message(edited);
    ASSERT_TRUE(q2.ok());
    projects::NewMessage answer{.chat_uuid = chat_uuid_, .parent_uuid = q2->uuid, .role = "assistant",
                                .content = "A different answer", .reasoning = "Let me think.",
                                .state = projects::MessageState::Stopped};
    auto a2 = p.insert_message(answer);
    ASSERT_TRUE(a2.ok());
    auto messages = p.list_messages(chat_uuid_);
    ASSERT_TRUE(messages.ok());
    ASSERT_EQ(messages->size(), 4u);
    auto chat = p.get_chat(chat_uuid_);
    ASSERT_TRUE(chat.ok());

    chat->current_leaf_uuid = (*messages)[1].uuid;  // "General Kenobi": the first branch
    ASSERT_TRUE(p.update_chat(*chat).ok());
    const fs::path first = dir_ / "first-branch";
    ASSERT_EQ(bundle(first, false).state, JobState::Done);
    const json m = json::parse(read_file(first / "manifest.json"));
    EXPECT_EQ(m.at("chats")[0].at("message_count"), 2);
    EXPECT_EQ(m.at("chats")[0].at("messages_in_tree"), 4);
    const std::string md1 = read_file(first / m.at("chats")[0].at("path").get<std::string>());
    EXPECT_NE(md1.find("General Kenobi"), std::string::npos) << md1;
    EXPECT_EQ(md1.find("A different answer"), std::string::npos) << md1;

    chat->current_leaf_uuid = a2->uuid;  // the edited branch
    ASSERT_TRUE(p.update_chat(*chat).ok());
    const fs::path second = dir_ / "second-branch";
    ASSERT_EQ(bundle(second, false).state, JobState::Done);
    const std::string md2 = read_file(second / m.at("chats")[0].at("path").get<std::string>());
    EXPECT_EQ(md2.find("General Kenobi"), std::string::npos) << md2;
    EXPECT_LT(md2.find("## User\n\nHello again"), md2.find("<details><summary>Reasoning</summary>\n\nLet me think."))
        << md2;
    EXPECT_NE(md2.find("A different answer\n\n*(answer stopped)*"), std::string::npos) << md2;
}

}  // namespace
}  // namespace atelier::test
