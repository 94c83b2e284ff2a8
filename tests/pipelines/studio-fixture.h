// A test fixture around pipelines::Studio: a fresh project in a scratch folder, generated inputs,
// and helpers that run a job to its end on the test thread (the owner thread, post = nullptr).
#pragma once

#include <optional>

#include "pipelines/demo-media.h"
#include "pipelines/studio.h"
#include "test-util.h"

namespace atelier::test {

class StudioTest : public ::testing::Test {
protected:
    void SetUp() override { open_studio(true); }

    void open_studio(bool create, size_t n_workers = 2) {
        studio_.reset();
        auto s = create ? pipelines::Studio::create(project_path(), "test", nullptr, n_workers)
                        : pipelines::Studio::open(project_path(), nullptr, n_workers);
        ASSERT_TRUE(s.ok()) << s.error().message();
        studio_ = std::move(*s);
    }

    fs::path project_path() const { return dir_ / "p.atelier"; }
    fs::path inputs() const {
        fs::create_directories(dir_ / "in");
        return dir_ / "in";
    }
    pipelines::Studio& studio() { return *studio_; }

    fs::path png(const std::string& name, int w, int h, uint32_t seed) {
        const fs::path p = inputs() / name;
        fs::create_directories(p.parent_path());
        Status st = pipelines::demo::write_gradient_png(p, w, h, seed);
        EXPECT_TRUE(st.ok()) << (st.ok() ? "" : st.error().message());
        return p;
    }
    fs::path wav(const std::string& name, int duration_ms, int channels = 1, double freq = 440.0) {
        const fs::path p = inputs() / name;
        Status st = pipelines::demo::write_sine_wav(p, freq, duration_ms, 48000, channels);
        EXPECT_TRUE(st.ok()) << (st.ok() ? "" : st.error().message());
        return p;
    }
    fs::path video(const std::string& name, int duration_ms, int w, int h) {
        const fs::path p = inputs() / name;
        Status st = pipelines::demo::make_test_video(p, duration_ms, w, h, true);
        EXPECT_TRUE(st.ok()) << (st.ok() ? "" : st.error().message()) << " (the tests need the ffmpeg program)";
        return p;
    }

    struct ImportRun {
        JobInfo info;
        pipelines::ImportReport report;
    };
    // Runs an import job to its end, with its result applied.
    ImportRun import(std::vector<fs::path> files, pipelines::ImportOptions opts = {}) {
        ImportRun run;
        pipelines::StudioEvents ev;
        ev.on_import_finished = [&](const JobInfo&, const pipelines::ImportReport& r) { run.report = r; };
        ev.on_job_state = [&](const JobInfo& i) {
            if (job_state_is_final(i.state)) run.info = i;
        };
        studio().set_events(ev);
        studio().import_files(std::move(files), opts);
        studio().wait_and_drain();
        studio().set_events({});
        return run;
    }

    std::string sql(const std::string& query) { return sqlite_value(project_path(), query); }

    TempDir dir_;
    std::unique_ptr<pipelines::Studio> studio_;
};

}  // namespace atelier::test
