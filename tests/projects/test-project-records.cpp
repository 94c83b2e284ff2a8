// Unit tests of Project's records: the persisted job queue (and its crash recovery on reopen),
// chats and messages, generations with outputs, asset links, and settings.
#include <gtest/gtest.h>

#include "core/uuid.h"
#include "projects/project.h"
#include "tests/projects/test-util.h"

namespace ap = atelier::projects;
using atelier::ErrorCode;
using atelier::JobState;
using atelier::test::raw_int;
using atelier::test::raw_text;
using atelier::test::TempDir;

namespace {

ap::JobRecord make_job(JobState state, std::string kind = "import") {
    ap::JobRecord j;
    j.uuid = atelier::uuid_v7();
    j.kind = std::move(kind);
    j.title = "Import 2 files";
    j.params_json = "{\"files\":[\"a.png\",\"b.png\"]}";
    j.state = state;
    return j;
}

}  // namespace

TEST(ProjectRecords, JobsUpsertGetList) {
    TempDir dir;
    auto p = ap::Project::create(dir / "j.atelier");
    ASSERT_TRUE(p.ok());
    ap::JobRecord j = make_job(JobState::Queued);
    j.created_at_ms = 5000;
    ASSERT_TRUE((*p)->upsert_job(j).ok());
    auto got = (*p)->get_job(j.uuid);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(got->kind, "import");
    EXPECT_EQ(got->title, j.title);
    EXPECT_EQ(got->params_json, j.params_json);
    EXPECT_EQ(got->state, JobState::Queued);
    EXPECT_EQ(got->created_at_ms, 5000);
    EXPECT_TRUE(got->rerun_of.empty());
    EXPECT_EQ(raw_text(dir / "j.atelier", "SELECT state FROM jobs"), "queued");

    j.title = "changed";
    ASSERT_TRUE((*p)->upsert_job(j).ok());  // same uuid: updated, not duplicated
    EXPECT_EQ((*p)->get_job(j.uuid)->title, "changed");
    ap::JobRecord rerun = make_job(JobState::Queued);
    rerun.rerun_of = j.uuid;
    rerun.created_at_ms = 6000;
    ASSERT_TRUE((*p)->upsert_job(rerun).ok());
    auto list = (*p)->list_jobs();
    ASSERT_EQ(list->size(), 2u);
    EXPECT_EQ((*list)[0].uuid, j.uuid);
    EXPECT_EQ((*list)[1].rerun_of, j.uuid);

    ap::JobRecord bad = make_job(JobState::Invalid);
    EXPECT_EQ((*p)->upsert_job(bad).error().code, ErrorCode::InvalidArgument);
    bad = make_job(JobState::Queued);
    bad.rerun_of = atelier::uuid_v7();  // no such job
    EXPECT_EQ((*p)->upsert_job(bad).error().code, ErrorCode::ProjectObjectNotFound);
    EXPECT_EQ((*p)->get_job(atelier::uuid_v7()).error().code, ErrorCode::ProjectObjectNotFound);
}

TEST(ProjectRecords, JobStateTransitionsRecordTimesAndErrors) {
    TempDir dir;
    auto p = ap::Project::create(dir / "j.atelier");
    ASSERT_TRUE(p.ok());
    ap::JobRecord j = make_job(JobState::Queued);
    ASSERT_TRUE((*p)->upsert_job(j).ok());
    ASSERT_TRUE((*p)->update_job_state(j.uuid, JobState::Running, 0.25, "probe").ok());
    auto r = (*p)->get_job(j.uuid);
    EXPECT_EQ(r->state, JobState::Running);
    EXPECT_DOUBLE_EQ(r->progress, 0.25);
    EXPECT_EQ(r->stage, "probe");
    EXPECT_GT(r->started_at_ms, 0);
    EXPECT_EQ(r->finished_at_ms, 0);
    int64_t started = r->started_at_ms;

    ASSERT_TRUE((*p)->update_job_state(j.uuid, JobState::Running, 7.0, "thumbnail").ok());
    r = (*p)->get_job(j.uuid);
    EXPECT_DOUBLE_EQ(r->progress, 1.0) << "clamped";
    EXPECT_EQ(r->started_at_ms, started) << "kept from the first start";

    atelier::Error err = atelier::make_error(ErrorCode::MediaDecodeFailed, "x.png: bad data", "re-export it");
    ASSERT_TRUE((*p)->update_job_state(j.uuid, JobState::Failed, -0.5, "decode", &err).ok());
    r = (*p)->get_job(j.uuid);
    EXPECT_EQ(r->state, JobState::Failed);
    EXPECT_EQ(r->error_code, "media_decode_failed");
    EXPECT_EQ(r->error_detail, err.message());
    EXPECT_DOUBLE_EQ(r->progress, -1.0) << "negative means indeterminate";
    EXPECT_GT(r->finished_at_ms, 0);
    EXPECT_EQ(raw_text(dir / "j.atelier", "SELECT state || ':' || error_code FROM jobs"), "failed:media_decode_failed");

    EXPECT_EQ((*p)->update_job_state(atelier::uuid_v7(), JobState::Done, 1, "").error().code,
              ErrorCode::ProjectObjectNotFound);
    EXPECT_EQ((*p)->update_job_state(j.uuid, JobState::Invalid, 1, "").error().code, ErrorCode::InvalidArgument);
}

TEST(ProjectRecords, ReopenMarksUnfinishedJobsInterrupted) {
    TempDir dir;
    auto path = dir / "j.atelier";
    std::map<std::string, JobState> jobs;
    {
        auto p = ap::Project::create(path);
        ASSERT_TRUE(p.ok());
        EXPECT_EQ((*p)->interrupted_on_open(), 0);
        for (JobState s : {JobState::Queued, JobState::Running, JobState::Cancelling, JobState::Done, JobState::Failed,
                           JobState::Cancelled, JobState::Interrupted}) {
            ap::JobRecord j = make_job(s);
            jobs[j.uuid] = s;
            ASSERT_TRUE((*p)->upsert_job(j).ok());
        }
    }
    {
        auto reader = ap::Project::open(path, {.read_only = true});
        ASSERT_TRUE(reader.ok());
        EXPECT_EQ((*reader)->interrupted_on_open(), 0) << "readers never change the file";
        EXPECT_EQ(raw_int(path, "SELECT count(*) FROM jobs WHERE state = 'running'"), 1);
    }
    auto p = ap::Project::open(path);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ((*p)->interrupted_on_open(), 3);
    for (const auto& [uuid, before] : jobs) {
        auto after = (*p)->get_job(uuid);
        bool unfinished = before == JobState::Queued || before == JobState::Running || before == JobState::Cancelling;
        EXPECT_EQ(after->state, unfinished ? JobState::Interrupted : before) << atelier::job_state_name(before);
        if (unfinished) {
            EXPECT_GT(after->finished_at_ms, 0);
        }
    }
    EXPECT_EQ(raw_int(path, "SELECT count(*) FROM jobs WHERE state = 'interrupted'"), 4);
}

TEST(ProjectRecords, ChatsAndMessages) {
    TempDir dir;
    auto p = ap::Project::create(dir / "c.atelier");
    ASSERT_TRUE(p.ok());
    auto chat = (*p)->create_chat("Ideas", "deepseek-v4-flash");
    ASSERT_TRUE(chat.ok());
    EXPECT_TRUE(atelier::uuid_is_valid(chat->uuid));
    auto other = (*p)->create_chat("Other");
    ASSERT_TRUE(other.ok());
    const char* roles[] = {"system", "user", "assistant", "tool"};
    for (int i = 0; i < 4; ++i) {
        auto m = (*p)->add_message(chat->uuid, roles[i], "text " + std::to_string(i));
        ASSERT_TRUE(m.ok()) << m.error().message();
        EXPECT_EQ(m->seq, i + 1);
    }
    EXPECT_EQ((*p)->add_message(other->uuid, "user", "first")->seq, 1) << "seq counts per chat";
    auto msgs = (*p)->list_messages(chat->uuid);
    ASSERT_EQ(msgs->size(), 4u);
    EXPECT_EQ((*msgs)[2].role, "assistant");
    EXPECT_EQ((*msgs)[2].content, "text 2");
    EXPECT_EQ((*msgs)[2].chat_uuid, chat->uuid);
    auto chats = (*p)->list_chats();
    ASSERT_EQ(chats->size(), 2u);
    EXPECT_EQ((*chats)[0].title, "Ideas");
    EXPECT_EQ((*chats)[0].model, "deepseek-v4-flash");
    EXPECT_EQ((*p)->add_message(chat->uuid, "narrator", "x").error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ((*p)->add_message(atelier::uuid_v7(), "user", "x").error().code, ErrorCode::ProjectObjectNotFound);
    EXPECT_EQ((*p)->list_messages(atelier::uuid_v7()).error().code, ErrorCode::ProjectObjectNotFound);
    EXPECT_EQ(raw_int(dir / "c.atelier", "SELECT max(seq) FROM messages WHERE chat_uuid = '" + chat->uuid + "'"), 4);
}

TEST(ProjectRecords, GenerationsWithOutputsAndLinks) {
    TempDir dir;
    auto path = dir / "g.atelier";
    auto p = ap::Project::create(path);
    ASSERT_TRUE(p.ok());
    ap::Asset out1 = atelier::test::make_asset("out1.png");
    ap::Asset out2 = atelier::test::make_asset("out2.png");
    ASSERT_TRUE((*p)->insert_asset(out1).ok());
    ASSERT_TRUE((*p)->insert_asset(out2).ok());
    ap::JobRecord job = make_job(JobState::Done, "imagine");
    ASSERT_TRUE((*p)->upsert_job(job).ok());
    ap::Generation g;
    g.uuid = atelier::uuid_v7();
    g.kind = "imagine";
    g.model = "janus-pro-1b";
    g.model_hash = std::string(32, 'f');
    g.params_json = "{\"steps\":30}";
    g.seed = 1234567890123;
    g.status = "done";
    g.timings_json = "{\"total_ms\":4200}";
    g.app_version = "0.1.0";
    g.job_uuid = job.uuid;
    g.output_asset_uuids = {out2.uuid, out1.uuid};
    ASSERT_TRUE((*p)->insert_generation(g).ok());
    auto list = (*p)->list_generations();
    ASSERT_EQ(list->size(), 1u);
    const ap::Generation& r = (*list)[0];
    EXPECT_EQ(r.uuid, g.uuid);
    EXPECT_EQ(r.model_hash, g.model_hash);
    EXPECT_EQ(r.params_json, g.params_json);
    EXPECT_EQ(r.seed, g.seed);
    EXPECT_EQ(r.status, "done");
    EXPECT_EQ(r.timings_json, g.timings_json);
    EXPECT_EQ(r.job_uuid, job.uuid);
    EXPECT_EQ(r.output_asset_uuids, g.output_asset_uuids) << "order kept";

    ap::Generation bad = g;
    bad.uuid = atelier::uuid_v7();
    bad.status = "finished";
    EXPECT_EQ((*p)->insert_generation(bad).error().code, ErrorCode::InvalidArgument);
    bad.status = "done";
    bad.output_asset_uuids = {atelier::uuid_v7()};  // no such asset
    EXPECT_EQ((*p)->insert_generation(bad).error().code, ErrorCode::ProjectObjectNotFound);
    EXPECT_EQ(raw_int(path, "SELECT count(*) FROM generations"), 1) << "a failed insert leaves nothing behind";

    // Links: removing an output asset unlinks it; restore_asset_links puts it back.
    atelier::test::raw_exec(path, "INSERT INTO transcripts VALUES ('tr', '" + out1.uuid + "', NULL, 'en', 'T', 0)");
    auto links = (*p)->get_asset_links(out1.uuid);
    ASSERT_TRUE(links.ok());
    ASSERT_EQ(links->generation_outputs.size(), 1u);
    EXPECT_EQ(links->generation_outputs[0].generation_uuid, g.uuid);
    EXPECT_EQ(links->generation_outputs[0].position, 1);
    EXPECT_EQ(links->transcript_uuids, std::vector<std::string>{"tr"});
    ASSERT_TRUE((*p)->remove_asset(out1.uuid).ok());
    EXPECT_EQ(raw_int(path, "SELECT count(*) FROM generation_outputs"), 1);
    EXPECT_EQ(raw_int(path, "SELECT count(*) FROM transcripts WHERE asset_uuid IS NULL"), 1) << "the text survives";
    ASSERT_TRUE((*p)->insert_asset(out1).ok());
    ASSERT_TRUE((*p)->restore_asset_links(*links).ok());
    EXPECT_EQ((*p)->list_generations()->at(0).output_asset_uuids, g.output_asset_uuids);
    EXPECT_EQ(raw_text(path, "SELECT asset_uuid FROM transcripts"), out1.uuid);
}

TEST(ProjectRecords, Settings) {
    TempDir dir;
    auto p = ap::Project::create(dir / "s.atelier");
    ASSERT_TRUE(p.ok());
    EXPECT_FALSE((*p)->get_setting("export.format")->has_value());
    ASSERT_TRUE((*p)->set_setting("export.format", "\"mp4\"").ok());
    EXPECT_EQ(**(*p)->get_setting("export.format"), "\"mp4\"");
    ASSERT_TRUE((*p)->set_setting("export.format", "{\"container\":\"webm\"}").ok());
    EXPECT_EQ(**(*p)->get_setting("export.format"), "{\"container\":\"webm\"}");
    EXPECT_EQ(raw_int(dir / "s.atelier", "SELECT count(*) FROM settings"), 1);
    auto bad = (*p)->set_setting("x", "not json");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ((*p)->set_setting("", "1").error().code, ErrorCode::InvalidArgument);
}

TEST(ProjectRecords, InfoCountsAssetsAndJobs) {
    TempDir dir;
    auto p = ap::Project::create(dir / "i.atelier");
    ASSERT_TRUE(p.ok());
    ASSERT_TRUE((*p)->insert_asset(atelier::test::make_asset("a.png")).ok());
    ASSERT_TRUE((*p)->insert_asset(atelier::test::make_asset("b.png")).ok());
    ASSERT_TRUE((*p)->upsert_job(make_job(JobState::Done)).ok());
    auto info = (*p)->info();
    EXPECT_EQ(info->asset_count, 2);
    EXPECT_EQ(info->job_count, 1);
}
