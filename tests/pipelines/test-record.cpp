// The "record" job against the ALSA file device (ENVIRONMENT.md): a known raw recording is fed
// through the device's infile; the job records it into the project and imports it. The imported
// asset, decoded by the ffmpeg program (not our code), must hold exactly the fed samples; a
// cancelled job keeps what it recorded and imports it. The file device is not paced in real time,
// so the rings hold the whole take.
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <cstring>
#include <random>

#include <nlohmann/json.hpp>

#include "pipelines/record.h"
#include "studio-fixture.h"

namespace atelier::test {
namespace {

class RecordTest : public StudioTest {
protected:
    void SetUp() override {
        StudioTest::SetUp();
        // pcm.atelier_test: the ALSA file plugin over the null PCM, reading `infile` as capture.
        in_raw_ = dir_ / "in.raw";
        std::ofstream(dir_ / "asoundrc") << "pcm.atelier_test {\n  type file\n  slave { pcm \"null\" }\n  file \""
                                         << (dir_ / "out.raw").string() << "\"\n  infile \"" << in_raw_.string()
                                         << "\"\n  format \"raw\"\n}\n";
        setenv("ALSA_CONFIG_PATH", ("/usr/share/alsa/alsa.conf:" + (dir_ / "asoundrc").string()).c_str(), 1);
    }

    // Interleaved stereo float32 values k/32768 (exact in 16-bit PCM), written as the infile.
    std::vector<int16_t> feed(size_t frames, unsigned seed) {
        std::vector<int16_t> pcm(frames * 2);
        std::vector<float> f(pcm.size());
        std::mt19937 rng(seed);
        for (size_t i = 0; i < pcm.size(); ++i) {
            pcm[i] = static_cast<int16_t>(static_cast<int>(rng() % 60000) - 30000);
            f[i] = static_cast<float>(pcm[i]) / 32768.0f;
        }
        std::ofstream(in_raw_, std::ios::binary).write(reinterpret_cast<const char*>(f.data()), static_cast<std::streamsize>(f.size() * 4));
        return pcm;
    }

    // The asset's file decoded to s16le stereo 48 kHz by the ffmpeg program.
    std::vector<int16_t> decode_asset(const std::string& uuid) {
        const fs::path file = studio().project().media_dir() / sql("SELECT rel_path FROM assets WHERE uuid='" + uuid + "'");
        const fs::path raw = dir_ / "decoded.raw";
        int code = -1;
        run_capture("ffmpeg -v error -y -i " + shell_quote(file.string()) + " -f s16le -ac 2 -ar 48000 " + shell_quote(raw.string()), &code);
        EXPECT_EQ(code, 0) << "ffmpeg could not decode " << file;
        const std::string bytes = read_file(raw);
        std::vector<int16_t> v(bytes.size() / 2);
        std::memcpy(v.data(), bytes.data(), v.size() * 2);
        return v;
    }

    struct Run {
        JobInfo info;
        std::shared_ptr<pipelines::RecordReport> report = std::make_shared<pipelines::RecordReport>();
    };
    // Runs a record job; cancels it once the level partials report `cancel_after_ms` of sound.
    Run record(pipelines::RecordOptions opts, int64_t cancel_after_ms = -1) {
        Run run;
        std::atomic<bool> cancel{false};
        pipelines::StudioEvents ev;
        ev.on_job_state = [&](const JobInfo& i) {
            if (job_state_is_final(i.state)) run.info = i;
        };
        ev.on_job_partial = [&](JobId, const JobPartial& p) {
            if (p.kind == "level" && cancel_after_ms >= 0 &&
                nlohmann::json::parse(p.payload).value("elapsed_ms", int64_t{0}) >= cancel_after_ms)
                cancel = true;
        };
        studio().set_events(ev);
        const JobId id = pipelines::submit_record(studio(), opts, run.report);
        while (!studio().wait(id, std::chrono::milliseconds(5)))
            if (cancel.exchange(false)) studio().cancel(id);
        studio().drain();
        studio().set_events({});
        return run;
    }

    // Where `got` starts to equal `want` (leading silence the device may add), in samples; -1: nowhere.
    static long align(const std::vector<int16_t>& got, const std::vector<int16_t>& want) {
        const size_t probe = std::min<size_t>(256, want.size());
        for (size_t k = 0; k + probe <= got.size() && k <= 96000; k += 2)
            if (std::equal(want.begin(), want.begin() + static_cast<long>(probe), got.begin() + static_cast<long>(k)))
                return static_cast<long>(k);
        return -1;
    }

    fs::path in_raw_;
};

TEST_F(RecordTest, ImportedAssetHoldsExactlyTheRecordedSamples) {
    const auto src = feed(96000, 11);  // 2 s fed; 1 s recorded
    pipelines::RecordOptions opts{.device = "atelier_test", .channels = 2, .max_duration_ms = 1000, .ring_frames = 1 << 17};
    const Run run = record(opts);
    ASSERT_EQ(run.info.state, JobState::Done) << run.info.error.message();
    ASSERT_FALSE(run.report->asset_uuid.empty());
    EXPECT_FALSE(run.report->stopped_by_cancel);
    EXPECT_EQ(run.report->overruns, 0u);
    ASSERT_TRUE(pipelines::register_recording(studio(), *run.report).ok());
    const std::string& uuid = run.report->asset_uuid;
    EXPECT_EQ(sql("SELECT kind FROM assets WHERE uuid='" + uuid + "'"), "audio");
    EXPECT_EQ(sql("SELECT count(*) FROM assets"), "1");
    EXPECT_FALSE(fs::exists(run.report->source_wav)) << "the take should be removed once imported";

    const auto got = decode_asset(uuid);
    EXPECT_EQ(got.size(), 96000u) << "1 s of stereo at 48 kHz";
    const long at = align(got, src);
    ASSERT_GE(at, 0) << "the fed recording was not found in the imported asset";
    size_t diffs = 0, nonzero_lead = 0;
    for (size_t i = 0; i < static_cast<size_t>(at); ++i) nonzero_lead += got[i] != 0;
    for (size_t i = static_cast<size_t>(at); i < got.size(); ++i) diffs += got[i] != src[i - static_cast<size_t>(at)];
    EXPECT_EQ(nonzero_lead, 0u);
    EXPECT_EQ(diffs, 0u);
    // Undo removes the asset again (the import was registered as one command).
    ASSERT_TRUE(studio().undo().undo().ok());
    EXPECT_EQ(sql("SELECT count(*) FROM assets"), "0");
}

TEST_F(RecordTest, CancelStopsAndKeepsWhatWasRecorded) {
    const auto src = feed(4 * 48000, 12);
    pipelines::RecordOptions opts{.device = "atelier_test", .channels = 2, .max_duration_ms = 600000, .ring_frames = 1 << 19};
    const Run run = record(opts, 500);
    ASSERT_EQ(run.info.state, JobState::Done) << "cancel means stop and keep: " << run.info.error.message();
    EXPECT_TRUE(run.report->stopped_by_cancel);
    ASSERT_FALSE(run.report->asset_uuid.empty());
    ASSERT_GT(run.report->frames, 0);
    EXPECT_LT(run.report->frames, int64_t{600000} * 48) << "the take ran to the maximum: cancel was ignored";
    EXPECT_EQ(sql("SELECT count(*) FROM assets WHERE uuid='" + run.report->asset_uuid + "'"), "1");

    const auto got = decode_asset(run.report->asset_uuid);
    EXPECT_EQ(static_cast<int64_t>(got.size()), run.report->frames * 2) << "the asset holds every frame the job reported";
    const long at = align(got, src);
    ASSERT_GE(at, 0) << "the fed recording was not found in the kept take";
    const size_t n = std::min(got.size() - static_cast<size_t>(at), src.size());
    size_t diffs = 0;
    for (size_t i = 0; i < n; ++i) diffs += got[static_cast<size_t>(at) + i] != src[i];
    EXPECT_EQ(diffs, 0u);
}

// A crash during a take leaves a valid WAV (the recorder patches the header after every block)
// and a record job that the next open marks interrupted. Rerunning that job imports the take.
TEST_F(RecordTest, ATakeLeftByACrashIsRecoveredByRerunningItsJob) {
    auto take = pipelines::new_take_path(studio().project(), "crashed take");
    ASSERT_TRUE(take.ok()) << take.error().message();
    EXPECT_EQ(take->filename(), "crashed take.wav");
    fs::copy_file(wav("t.wav", 1500, 2, 330.0), *take);
    auto second = pipelines::new_take_path(studio().project(), "crashed take.wav");
    ASSERT_TRUE(second.ok());
    EXPECT_EQ(second->filename(), "crashed take (2).wav") << "an existing take must never be overwritten";
    projects::JobRecord job;
    job.uuid = "0190a0b0-0000-7000-8000-00000000abcd";
    job.kind = "record";
    job.title = "Record";
    job.params_json = nlohmann::json{{"wav", take->string()}, {"name", "crashed take"}}.dump();
    job.state = JobState::Running;  // what the killed process left behind
    ASSERT_TRUE(studio().project().upsert_job(job).ok());
    projects::JobRecord gone = job;  // a second interrupted take whose file is lost
    gone.uuid = "0190a0b0-0000-7000-8000-00000000abce";
    gone.params_json = nlohmann::json{{"wav", (dir_ / "nowhere.wav").string()}}.dump();
    ASSERT_TRUE(studio().project().upsert_job(gone).ok());
    open_studio(false);
    ASSERT_EQ(studio().project().get_job(job.uuid)->state, JobState::Interrupted);

    auto id = studio().rerun_job(job.uuid);
    ASSERT_TRUE(id.ok()) << id.error().message();
    ASSERT_TRUE(studio().wait(*id, std::chrono::seconds(60)));
    studio().drain();
    EXPECT_EQ(studio().scheduler().info(*id)->state, JobState::Done) << studio().scheduler().info(*id)->error.message();
    EXPECT_EQ(sql("SELECT count(*) FROM assets WHERE kind='audio'"), "1");
    EXPECT_EQ(sql("SELECT duration_ms FROM assets"), "1500");
    EXPECT_EQ(sql("SELECT rerun_of FROM jobs WHERE uuid <> '" + job.uuid + "' AND kind='import'"), job.uuid);
    EXPECT_TRUE(studio().undo().can_undo()) << "a recovered take is undoable like any import";

    auto lost = studio().rerun_job(gone.uuid);
    ASSERT_FALSE(lost.ok());
    EXPECT_EQ(lost.error().code, ErrorCode::NotFound);
    EXPECT_NE(lost.error().detail.find("not on disk"), std::string::npos) << lost.error().detail;
}

TEST_F(RecordTest, UnknownDeviceFailsWithAHintAndLeavesNoTake) {
    feed(4800, 13);
    const Run run = record({.device = "no-such-input-xyz", .channels = 2, .max_duration_ms = 1000});
    ASSERT_EQ(run.info.state, JobState::Failed);
    EXPECT_EQ(run.info.error.code, ErrorCode::AudioDeviceFailed);
    EXPECT_NE(run.info.error.detail.find("no-such-input-xyz"), std::string::npos);
    EXPECT_FALSE(run.info.error.hint.empty());
    EXPECT_EQ(sql("SELECT count(*) FROM assets"), "0");
    EXPECT_TRUE(fs::is_empty(studio().project().media_dir() / "recordings"));
}

}  // namespace
}  // namespace atelier::test
