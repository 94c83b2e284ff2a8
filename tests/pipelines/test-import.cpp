// Import pipeline tests. Facts come from outside our code where possible: ffprobe for dimensions,
// durations and thumbnail sizes, the sqlite3 shell for rows, byte comparison for copied media,
// and the parameters we generated the inputs with (sine amplitude 0.5).
#include <algorithm>
#include <atomic>
#include <set>

#include <nlohmann/json.hpp>

#include "core/hash.h"
#include "studio-fixture.h"

namespace atelier::test {
namespace {

using pipelines::ImportReport;
using projects::AssetKind;

const projects::Asset* find_named(const ImportReport& r, const std::string& name) {
    for (const auto& item : r.added)
        if (item.asset.name == name) return &item.asset;
    return nullptr;
}

TEST_F(StudioTest, ImportsImagesAudioAndVideoWithFactsFromFfprobe) {
    const fs::path small = png("small.png", 64, 48, 1);
    const fs::path big = png("big.png", 600, 300, 2);
    const fs::path tone = wav("tone.wav", 1500, 2);
    const fs::path clip = video("clip.mp4", 2000, 160, 120);
    auto run = import({inputs()});
    ASSERT_EQ(run.info.state, JobState::Done) << run.info.error.message();
    ASSERT_EQ(run.report.added.size(), 4u);
    EXPECT_TRUE(run.report.failures.empty());

    for (const fs::path& f : {small, big, clip}) {
        const projects::Asset* a = find_named(run.report, f.filename().string());
        ASSERT_NE(a, nullptr) << f;
        EXPECT_EQ(std::to_string(a->width), ffprobe_value(f, "stream=width")) << f;
        EXPECT_EQ(std::to_string(a->height), ffprobe_value(f, "stream=height")) << f;
    }
    const projects::Asset* audio = find_named(run.report, "tone.wav");
    ASSERT_NE(audio, nullptr);
    EXPECT_EQ(audio->kind, AssetKind::Audio);
    EXPECT_EQ(std::to_string(audio->sample_rate_hz), ffprobe_value(tone, "stream=sample_rate", "a:0"));
    EXPECT_EQ(audio->channels, 2);
    EXPECT_NEAR(audio->duration_ms, std::stod(ffprobe_value(tone, "format=duration")) * 1000.0, 30.0);
    const projects::Asset* vid = find_named(run.report, "clip.mp4");
    ASSERT_NE(vid, nullptr);
    EXPECT_EQ(vid->kind, AssetKind::Video);
    EXPECT_NEAR(vid->duration_ms, std::stod(ffprobe_value(clip, "format=duration")) * 1000.0, 60.0);

    // The rows, as the sqlite3 shell sees them.
    EXPECT_EQ(sql("SELECT count(*) FROM assets"), "4");
    EXPECT_EQ(sql("SELECT group_concat(kind, ',') FROM (SELECT kind FROM assets ORDER BY name)"),
              "image,video,image,audio");  // big.png, clip.mp4, small.png, tone.wav
    EXPECT_EQ(sql("SELECT count(*) FROM thumbnails"), "3");
    EXPECT_EQ(sql("SELECT count(*) FROM waveforms"), "2");  // the WAV and the clip's sound
}

TEST_F(StudioTest, ImportCopiesMediaByHashWithIdenticalBytes) {
    const fs::path a = png("a.png", 32, 32, 7);
    const fs::path t = wav("t.wav", 300);
    auto run = import({a, t});
    ASSERT_EQ(run.report.added.size(), 2u);
    for (const auto& item : run.report.added) {
        const auto& asset = item.asset;
        EXPECT_EQ(asset.storage, projects::AssetStorage::MediaFile);
        EXPECT_EQ(asset.rel_path, asset.content_hash.substr(0, 2) + "/" + asset.content_hash + "." +
                                      fs::path(asset.name).extension().string().substr(1));
        const fs::path copy = studio().project().media_dir() / asset.rel_path;
        const fs::path src = inputs() / asset.name;
        EXPECT_EQ(read_file(copy), read_file(src)) << copy;
        EXPECT_EQ(fs::file_size(copy), static_cast<uintmax_t>(asset.size_bytes));
    }
    // No temporary files are left behind in the media folder.
    for (const auto& e : fs::recursive_directory_iterator(studio().project().media_dir()))
        EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
}

TEST_F(StudioTest, ThumbnailsNeverUpscaleAndFitTheLongSide) {
    png("small.png", 64, 48, 1);
    png("big.png", 600, 300, 2);
    auto run = import({inputs()});
    ASSERT_EQ(run.report.added.size(), 2u);
    for (const auto& item : run.report.added) {
        const fs::path thumb = dir_ / ("thumb-" + item.asset.name);
        write_file(thumb, std::string(item.derived.thumbnail_png.begin(), item.derived.thumbnail_png.end()));
        const std::string w = ffprobe_value(thumb, "stream=width"), h = ffprobe_value(thumb, "stream=height");
        if (item.asset.name == "small.png") {
            EXPECT_EQ(w + "x" + h, "64x48");
        } else {
            EXPECT_EQ(w + "x" + h, "256x128");
        }
        EXPECT_EQ(std::to_string(item.derived.thumbnail_width), w);
        // The stored thumbnail is the one the import made.
        auto stored = studio().project().get_thumbnail(item.asset.uuid);
        ASSERT_TRUE(stored.ok());
        EXPECT_EQ(*stored, item.derived.thumbnail_png);
    }
}

TEST_F(StudioTest, WaveformOfASineAtHalfAmplitudePeaksAtHalf) {
    wav("tone.wav", 1000, 1, 440.0);
    auto run = import({inputs()});
    ASSERT_EQ(run.report.added.size(), 1u);
    const auto& wf = run.report.added[0].derived.waveform;
    ASSERT_FALSE(wf.empty());
    ASSERT_EQ(wf.size() % 2, 0u);
    const float lo = *std::min_element(wf.begin(), wf.end());
    const float hi = *std::max_element(wf.begin(), wf.end());
    EXPECT_NEAR(hi, 0.5f, 0.01f);
    EXPECT_NEAR(lo, -0.5f, 0.01f);
}

TEST_F(StudioTest, SameFileTwiceAndRenamedCopiesAreDeduplicatedByHash) {
    const fs::path a = png("a.png", 40, 40, 11);
    const fs::path c = png("c.png", 40, 40, 12);
    const fs::path b = inputs() / "b-copy-of-a.png";
    fs::copy_file(a, b);
    auto run = import({a, a, b, c});
    ASSERT_EQ(run.info.state, JobState::Done);
    ASSERT_EQ(run.report.added.size(), 2u);
    const std::string a_uuid = find_named(run.report, "a.png")->uuid;
    ASSERT_EQ(run.report.duplicate_files.size(), 2u);
    for (const auto& d : run.report.duplicate_files) EXPECT_EQ(d.asset_uuid, a_uuid);
    EXPECT_EQ(run.report.duplicate_files[1].path, b);

    auto again = import({b});
    EXPECT_TRUE(again.report.added.empty());
    ASSERT_EQ(again.report.duplicates.size(), 1u);
    EXPECT_EQ(again.report.duplicates[0], a_uuid);
    EXPECT_EQ(sql("SELECT count(*) FROM assets"), "2");
    EXPECT_EQ(sql("SELECT count(DISTINCT content_hash) FROM assets"), "2");
}

TEST_F(StudioTest, ConcurrentImportsOfOneFileAddItOnce) {
    const fs::path a = png("a.png", 50, 50, 3);
    studio().import_files({a});
    studio().import_files({a});
    studio().import_files({a});
    studio().wait_and_drain();
    EXPECT_EQ(sql("SELECT count(*) FROM assets"), "1");
}

TEST_F(StudioTest, UndoAndRedoOfAnImport) {
    png("a.png", 20, 20, 1);
    png("b.png", 20, 20, 2);
    wav("c.wav", 200);
    auto run = import({inputs()});
    ASSERT_EQ(run.report.added.size(), 3u);
    const std::string before = sql("SELECT group_concat(uuid) FROM (SELECT uuid FROM assets ORDER BY uuid)");
    EXPECT_EQ(studio().undo().undo_label(), "Import 3 files");
    ASSERT_TRUE(studio().undo().undo().ok());
    EXPECT_EQ(sql("SELECT count(*) FROM assets"), "0");
    EXPECT_EQ(sql("SELECT count(*) FROM thumbnails"), "0");
    // Media files stay (content-addressed), so redo is exact.
    for (const auto& item : run.report.added)
        EXPECT_TRUE(fs::exists(studio().project().media_dir() / item.asset.rel_path));
    ASSERT_TRUE(studio().undo().redo().ok());
    EXPECT_EQ(sql("SELECT group_concat(uuid) FROM (SELECT uuid FROM assets ORDER BY uuid)"), before);
    EXPECT_EQ(sql("SELECT count(*) FROM thumbnails"), "2");
    EXPECT_EQ(sql("SELECT count(*) FROM waveforms"), "1");
}

TEST_F(StudioTest, FailuresAreReportedPerFileWithoutAbortingTheBatch) {
    const fs::path good = png("good.png", 30, 30, 5);
    const fs::path fake = inputs() / "fake.png";
    write_file(fake, "this is a text file, not a PNG\n");
    const fs::path tone = wav("tone.wav", 200);
    const fs::path missing = inputs() / "does-not-exist.jpg";
    auto run = import({good, fake, missing, tone});
    ASSERT_EQ(run.info.state, JobState::Done);
    EXPECT_EQ(run.report.added.size(), 2u);
    ASSERT_EQ(run.report.failures.size(), 2u);
    std::set<fs::path> failed;
    for (const auto& f : run.report.failures) {
        failed.insert(f.path);
        EXPECT_NE(f.error.detail.find(f.path.filename().string()), std::string::npos) << f.error.detail;
        EXPECT_FALSE(f.error.hint.empty()) << f.error.detail;
    }
    EXPECT_TRUE(failed.count(fake));
    EXPECT_TRUE(failed.count(missing));
    EXPECT_EQ(sql("SELECT group_concat(name) FROM (SELECT name FROM assets ORDER BY name)"), "good.png,tone.wav");
}

TEST_F(StudioTest, FoldersAreExpandedRecursivelyAndHiddenFilesSkipped) {
    png("top.png", 10, 10, 1);
    png("sub/deeper/inner.png", 10, 10, 2);
    png(".hidden.png", 10, 10, 3);
    png(".hidden-dir/x.png", 10, 10, 4);
    auto run = import({inputs()});
    EXPECT_EQ(run.report.files_seen, 2);
    EXPECT_EQ(sql("SELECT group_concat(name) FROM (SELECT name FROM assets ORDER BY name)"), "inner.png,top.png");
}

TEST_F(StudioTest, NoCopyReferencesTheFileWhereItIs) {
    const fs::path a = png("a.png", 10, 10, 9);
    pipelines::ImportOptions opts;
    opts.copy_into_project = false;
    auto run = import({a}, opts);
    ASSERT_EQ(run.report.added.size(), 1u);
    const auto& asset = run.report.added[0].asset;
    EXPECT_EQ(asset.storage, projects::AssetStorage::External);
    EXPECT_EQ(fs::path(asset.rel_path), fs::absolute(a));
    EXPECT_EQ(sql("SELECT storage FROM assets"), "external");
    EXPECT_FALSE(fs::exists(studio().project().media_dir() / asset.content_hash.substr(0, 2)));
}

TEST_F(StudioTest, CancelDuringImportAddsNothingAndTheProjectStaysConsistent) {
    for (int i = 0; i < 300; ++i) png("img-" + std::to_string(i) + ".png", 160, 160, 100 + i);
    std::atomic<int> partials{0};
    pipelines::StudioEvents ev;
    ev.on_job_partial = [&](JobId, const JobPartial& p) {
        if (p.kind == "asset") ++partials;
    };
    JobInfo final_info;
    ev.on_job_state = [&](const JobInfo& i) {
        if (job_state_is_final(i.state)) final_info = i;
    };
    studio().set_events(ev);
    const JobId id = studio().import_files({inputs()});
    bool cancelled = false;
    while (!studio().wait(id, std::chrono::milliseconds(1))) {
        if (!cancelled && partials.load() > 0) cancelled = studio().cancel(id);
    }
    studio().drain();
    ASSERT_TRUE(cancelled);
    EXPECT_EQ(final_info.state, JobState::Cancelled);
    EXPECT_LT(partials.load(), 300) << "the job ran to its end despite the cancel";
    EXPECT_EQ(sql("SELECT count(*) FROM assets"), "0");
    EXPECT_EQ(sql("PRAGMA integrity_check"), "ok");
    EXPECT_EQ(sql("SELECT state FROM jobs"), "cancelled");
    for (const auto& e : fs::recursive_directory_iterator(studio().project().media_dir()))
        EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
    studio().set_events({});
    // The same import afterwards adds everything (files already copied are reused).
    auto run = import({inputs()});
    EXPECT_EQ(run.report.added.size(), 300u);
    EXPECT_EQ(sql("SELECT count(*) FROM assets"), "300");
}

TEST_F(StudioTest, PartialResultsArriveOncePerFile) {
    png("a.png", 10, 10, 1);
    png("b.png", 10, 10, 2);
    fs::copy_file(inputs() / "a.png", inputs() / "c.png");
    write_file(inputs() / "d.png", "nope");
    std::mutex m;
    std::vector<std::string> statuses;
    pipelines::StudioEvents ev;
    ev.on_job_partial = [&](JobId, const JobPartial& p) {
        std::lock_guard lock(m);
        if (p.kind == "asset") statuses.push_back(nlohmann::json::parse(p.payload).at("status"));
    };
    studio().set_events(ev);
    studio().import_files({inputs()});
    studio().wait_and_drain();
    std::sort(statuses.begin(), statuses.end());
    EXPECT_EQ(statuses, (std::vector<std::string>{"added", "added", "duplicate", "failed"}));
}

}  // namespace
}  // namespace atelier::test
