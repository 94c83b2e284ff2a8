// The "record" job (record.h): AudioRecorder into <media>/recordings/NAME.wav, then the import path.
// Cancel means "stop and keep": the take is imported through a private one-worker scheduler, since
// run_import honours the (already cancelled) job's stop token.
// Thread-safety: record_into_project on a job worker; submit_record/register_recording on the owner.
#include "pipelines/record.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <thread>

#include <nlohmann/json.hpp>

#include "media/audio-device.h"
#include "media/audio-recorder.h"
#include "pipelines/file-util.h"
#include "pipelines/studio.h"

namespace atelier::pipelines {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string default_name() {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    localtime_r(&t, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "Recording %Y-%m-%d %H-%M-%S.wav", &tm);
    return buf;
}

// Up to two channels, as many as the chosen (or default) input offers; 2 when it cannot be told.
int pick_channels(const std::string& device) {
    auto devs = media::list_audio_devices();
    if (!devs.ok()) return 2;
    const media::AudioDeviceInfo* hit = nullptr;
    for (const auto& d : *devs) {
        if (device.empty() ? d.is_default_input : d.name == device) hit = &d;
        if (!device.empty() && !hit && d.name.find(device) != std::string::npos && d.max_input_channels > 0) hit = &d;
    }
    return hit && hit->max_input_channels > 0 ? std::min(2, hit->max_input_channels) : 2;
}

// Captures until cancel, max_frames or the end of the stream. Fills the recording fields of *r.
Status capture(JobContext& ctx, media::AudioRecorder& rec, int64_t max_frames, RecordReport* r) {
    ATELIER_TRY(rec.start());
    auto last_emit = std::chrono::steady_clock::time_point{};
    for (;;) {
        const media::StreamState st = rec.stream_state();
        if (ctx.cancelled() || rec.reached_max() || st == media::StreamState::Finished ||
            st == media::StreamState::DeviceLost)
            break;
        const auto now = std::chrono::steady_clock::now();
        if (now - last_emit >= std::chrono::milliseconds(50)) {
            last_emit = now;
            const int64_t frames = rec.frames_captured();
            ctx.progress(static_cast<double>(frames) / static_cast<double>(max_frames), "record");
            ctx.partial("level", json{{"peak", rec.peak_level()},
                                      {"elapsed_ms", frames * 1000 / rec.sample_rate_hz()}}.dump());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    r->stopped_by_cancel = ctx.cancelled();
    const Status lost = rec.stream_state() == media::StreamState::DeviceLost ? rec.error() : ok_status();
    ATELIER_TRY(rec.stop());
    r->frames = rec.frames_written();
    r->overruns = rec.overruns();
    if (!lost.ok() && r->frames > 0)
        ctx.log(LogLevel::Warn, "the input device was lost; keeping the " + std::to_string(r->frames) + " frames recorded");
    else if (!lost.ok()) return lost;
    return ok_status();
}

// Imports the take. A cancelled job's stop token would stop run_import, so after a cancel the
// import runs on a private scheduler; its progress is forwarded either way.
Result<ImportReport> import_take(JobContext& ctx, const fs::path& project_path, const fs::path& wav) {
    if (!ctx.cancelled()) return run_import(ctx, project_path, {wav});
    JobEvents ev;
    ev.on_progress = [&ctx](JobId, const JobProgress& p) { ctx.progress(p.fraction, p.stage); };
    JobScheduler inner(1, ev);
    Result<ImportReport> out = make_error(ErrorCode::Internal, "the recording's import did not run");
    const JobId id = inner.submit({.uuid = {}, .kind = "import", .title = "Import recording", .params_json = {}},
                                  [&](JobContext& c) -> Status {
                                      out = run_import(c, project_path, {wav});
                                      return out.ok() ? ok_status() : Status(out.error());
                                  });
    inner.wait(id);
    return out;
}

}  // namespace

Result<RecordReport> record_to_file(JobContext& ctx, const fs::path& wav, const RecordOptions& opts) {
    if (opts.max_duration_ms <= 0 || opts.sample_rate_hz <= 0)
        return make_error(ErrorCode::InvalidArgument, "recording needs a positive duration and sample rate",
                          "pass --seconds N with N > 0");
    RecordReport r;
    r.source_wav = wav;
    media::RecorderSettings s;
    s.stream.device = opts.device;
    s.stream.sample_rate_hz = opts.sample_rate_hz;
    s.stream.channels = opts.channels > 0 ? opts.channels : pick_channels(opts.device);
    if (opts.ring_frames) s.ring_frames = opts.ring_frames;
    s.max_frames = std::max<int64_t>(1, opts.max_duration_ms * opts.sample_rate_hz / 1000);
    r.sample_rate_hz = s.stream.sample_rate_hz;
    r.channels = s.stream.channels;
    std::error_code ec;
    {
        auto rec = media::AudioRecorder::open(wav, s);
        Status st = rec.ok() ? capture(ctx, **rec, s.max_frames, &r) : Status(rec.error());
        if (!st.ok()) {
            fs::remove(wav, ec);
            return st.error();
        }
    }
    r.duration_ms = r.frames * 1000 / r.sample_rate_hz;
    if (r.frames == 0) {
        fs::remove(wav, ec);
        return make_error(ErrorCode::InvalidArgument, "nothing was recorded from " + (opts.device.empty() ? std::string("the default input") : opts.device),
                          "check the input device with 'atelier-cli media devices' and record for longer");
    }
    return r;
}

Result<fs::path> new_take_path(projects::Project& project, const std::string& name) {
    const fs::path dir = project.media_dir() / "recordings";
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return file_error(ec.value(), "cannot create the recordings folder", dir);
    fs::path base = fs::path(safe_file_component(name.empty() ? default_name() : name));
    if (base.extension() == ".wav") base.replace_extension();
    fs::path wav = dir / (base.string() + ".wav");
    for (int n = 2; fs::exists(wav, ec) && n < 10000; ++n) wav = dir / (base.string() + " (" + std::to_string(n) + ").wav");
    return wav;
}

Result<RecordReport> record_into_project(JobContext& ctx, projects::Project& project, const RecordOptions& opts) {
    std::error_code ec;
    fs::path wav = opts.wav;
    if (wav.empty()) {
        ATELIER_TRY_ASSIGN(wav, new_take_path(project, opts.name));
    }
    ATELIER_TRY_ASSIGN(RecordReport r, record_to_file(ctx, wav, opts));
    ATELIER_TRY_ASSIGN(r.import, import_take(ctx, project.path(), r.source_wav));
    if (!r.import.failures.empty()) return r.import.failures.front().error;  // the take stays for a retry
    ATELIER_TRY(commit_import(project, r.import));
    if (!r.import.added.empty()) r.asset_uuid = r.import.added.front().asset.uuid;
    else if (!r.import.duplicates.empty()) r.asset_uuid = r.import.duplicates.front();
    fs::remove(r.source_wav, ec);  // the asset holds a content-addressed copy now
    ctx.progress(1.0, "done");
    return r;
}

JobId submit_record(Studio& studio, RecordOptions opts, std::shared_ptr<RecordReport> report) {
    if (opts.wav.empty()) {  // chosen now, so the job's parameters say where the take is
        if (auto p = new_take_path(studio.project(), opts.name); p.ok()) opts.wav = *p;
    }
    const json params = {{"device", opts.device}, {"sample_rate_hz", opts.sample_rate_hz}, {"channels", opts.channels},
                         {"max_duration_ms", opts.max_duration_ms}, {"name", opts.name}, {"wav", opts.wav.string()}};
    JobSpec spec{.uuid = {}, .kind = "record", .title = "Record " + (opts.device.empty() ? std::string("from the default input") : opts.device),
                 .params_json = params.dump()};
    projects::Project* project = &studio.project();
    return studio.submit_job(std::move(spec), [project, opts, report](JobContext& ctx) -> Status {
        ATELIER_TRY_ASSIGN(RecordReport r, record_into_project(ctx, *project, opts));
        if (report) *report = std::move(r);
        return ok_status();  // a cancel only ended the take early: the job is done
    });
}

Status register_recording(Studio& studio, const RecordReport& report) {
    return register_import(studio.undo(), report.import);
}

Result<JobId> recover_recording(Studio& studio, const projects::JobRecord& job) {
    if (job.kind != "record" || job.state != JobState::Interrupted)
        return make_error(ErrorCode::Unsupported, "a recording cannot be run again: the sound it captured is gone",
                          "record a new take (what a stopped take captured was kept as an asset)");
    const json p = json::parse(job.params_json, nullptr, false);
    const std::string wav = p.is_object() ? p.value("wav", std::string()) : std::string();
    std::error_code ec;
    if (wav.empty() || !fs::is_regular_file(wav, ec) || fs::file_size(wav, ec) <= 44)
        return make_error(ErrorCode::NotFound, "the take of interrupted recording " + job.uuid + " is not on disk" +
                                                   (wav.empty() ? std::string() : " (" + wav + ")"),
                          "nothing can be recovered; record a new take");
    ImportOptions opts;  // the take's WAV is valid up to its last flushed block
    return studio.import_files({fs::path(wav)}, opts, job.uuid);
}

}  // namespace atelier::pipelines
