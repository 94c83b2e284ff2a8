// Export jobs: presets, the render loop (timeline -> TimelineRenderer -> MediaWriter), single-file
// conversion as a one-clip timeline, subtitle/transcript text files, and the Studio job wrapper.
// Files are written as ".NAME.part" beside the destination and renamed once complete.
// Thread-safety: job worker threads; see export.h.
#include "pipelines/export.h"

#include <algorithm>
#include <array>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>

#include <nlohmann/json.hpp>

#include "media/probe.h"
#include "media/video-reader.h"
#include "pipelines/file-util.h"
#include "pipelines/studio.h"
#include "pipelines/timeline-render.h"

namespace atelier::pipelines {
namespace fs = std::filesystem;
namespace {

using media::AudioCodec;

const std::array<ExportPreset, 7> kPresets = {{
    {"1080p30", 1920, 1080, 30, 1, 20, "medium", AudioCodec::Invalid},
    {"720p30", 1280, 720, 30, 1, 20, "medium", AudioCodec::Invalid},
    {"vertical", 1080, 1920, 30, 1, 20, "medium", AudioCodec::Invalid},
    {"source", 0, 0, 0, 0, 20, "medium", AudioCodec::Invalid},
    {"opus", 0, 0, 30, 1, 0, "", AudioCodec::Opus},
    {"mp3", 0, 0, 30, 1, 0, "", AudioCodec::Mp3},
    {"wav", 0, 0, 30, 1, 0, "", AudioCodec::Pcm16},
}};

// The temporary beside dest, removed unless commit() renamed it into place.
class PartFile {
public:
    explicit PartFile(const fs::path& dest) : dest_(dest), part_(dest.parent_path() / ("." + dest.filename().string() + ".part")) {
        std::error_code ec;
        fs::remove(part_, ec);  // a leftover of a crashed export
    }
    ~PartFile() {
        if (!done_) {
            std::error_code ec;
            fs::remove(part_, ec);
        }
    }
    const fs::path& path() const { return part_; }
    Status commit(bool overwrite) {
        std::error_code ec;
        if (!overwrite && fs::exists(dest_, ec)) {
            return make_error(ErrorCode::AlreadyExists, dest_.string() + ": already exists", "choose another name or allow overwriting");
        }
        fs::rename(part_, dest_, ec);
        if (ec) return file_error(ec.value(), "cannot move the finished export into place", dest_);
        done_ = true;
        return ok_status();
    }

private:
    fs::path dest_, part_;
    bool done_ = false;
};

Status check_dest(const fs::path& dest, bool overwrite) {
    std::error_code ec;
    if (!overwrite && fs::exists(dest, ec)) {
        return make_error(ErrorCode::AlreadyExists, dest.string() + ": already exists", "choose another name or allow overwriting");
    }
    const fs::path dir = dest.parent_path().empty() ? fs::path(".") : dest.parent_path();
    if (!fs::is_directory(dir, ec)) return make_error(ErrorCode::NotFound, dir.string() + ": no such folder", "create the folder first");
    return ok_status();
}

int64_t file_size_or_zero(const fs::path& p) {
    std::error_code ec;
    const auto n = fs::file_size(p, ec);
    return ec ? 0 : static_cast<int64_t>(n);
}

struct Plan {
    ExportPreset preset;
    media::WriterSettings ws;
    RenderOptions ro;
    bool video = false, audio = false;
};

Result<Plan> make_plan(const RenderTimeline& tl, const fs::path& dest, const ExportOptions& opts) {
    Plan p;
    ATELIER_TRY_ASSIGN(media::ContainerCodecs codecs, media::codecs_for_path(dest));
    const bool audio_container = codecs.video == media::VideoCodec::Invalid;
    std::string name = opts.preset;
    if (name.empty()) name = audio_container ? "wav" : "1080p30";
    ATELIER_TRY_ASSIGN(p.preset, export_preset(name));
    if (p.preset.audio_only != AudioCodec::Invalid && !audio_container) {
        return make_error(ErrorCode::InvalidArgument, dest.string() + ": preset '" + name + "' is audio only",
                          "name the output .opus, .mp3, .wav, .flac or .m4a");
    }
    p.video = !audio_container;
    p.audio = audio_container || !tl.audio_clips.empty();
    if (tl.duration_ms() <= 0) return make_error(ErrorCode::InvalidArgument, "the timeline is empty", "add clips before exporting");
    if (audio_container && tl.audio_clips.empty()) {
        return make_error(ErrorCode::InvalidArgument, dest.string() + ": the timeline has no sound to export", "add an audio clip");
    }
    p.ws.format_hint = dest;
    p.ro.burn_subtitles = opts.burn_subtitles;
    if (p.video) {
        const int w = p.preset.width > 0 ? p.preset.width : tl.width & ~1, h = p.preset.height > 0 ? p.preset.height : tl.height & ~1;
        const int fn = p.preset.fps_num > 0 ? p.preset.fps_num : tl.fps_num, fd = p.preset.fps_den > 0 ? p.preset.fps_den : tl.fps_den;
        p.ws.video = media::VideoEncodeSettings{codecs.video, w, h, fn, fd, p.preset.crf, p.preset.x264_preset, opts.threads};
        p.ro.width = w, p.ro.height = h, p.ro.fps_num = fn, p.ro.fps_den = fd;
        if (opts.soft_subtitles && !tl.subtitles.empty() && codecs.subtitles != media::SubtitleCodec::Invalid) p.ws.subtitles = codecs.subtitles;
    }
    if (p.audio) {
        const AudioCodec ac = codecs.audio;
        const int rate = ac == AudioCodec::Opus ? 48000 : tl.sample_rate_hz;
        p.ws.audio = media::AudioEncodeSettings{ac, rate, 2, 0};
        p.ro.sample_rate_hz = rate;
        p.ro.channels = 2;
    }
    return p;
}

}  // namespace

Result<ExportPreset> export_preset(std::string_view name) {
    for (const auto& p : kPresets)
        if (p.name == name) return p;
    std::string names;
    for (const auto& p : kPresets) names += (names.empty() ? "" : ", ") + p.name;
    return make_error(ErrorCode::InvalidArgument, "unknown export preset '" + std::string(name) + "'", "choose one of: " + names);
}

std::vector<std::string> export_preset_names() {
    std::vector<std::string> v;
    for (const auto& p : kPresets) v.push_back(p.name);
    return v;
}

namespace {

// Video export runs in two stages: a render thread (decode, scale, composite, mix) fills slots
// with a frame (swapped in from the renderer, not copied) and the audio up to its end, while the
// calling thread encodes them (colour conversion, x264, muxing), so each keeps a core busy. The
// renderer is touched only by the render thread and the writer only by the caller. kSlots frames
// are in flight at most; their buffers circulate, so none is allocated per frame. Either side
// stopping closes the queue.
struct RenderSlot {
    media::Image frame;
    media::YuvImage yuv;       // the frame as the source's planes, when is_yuv (nothing to draw)
    std::vector<float> audio;  // interleaved, this frame's share of the samples
    bool is_yuv = false;
};

class SlotQueue {
public:
    explicit SlotQueue(size_t n) : slots_(n) {
        for (size_t i = 0; i < n; ++i) free_.push_back(i);
    }
    RenderSlot& slot(size_t i) { return slots_[i]; }
    // Blocks until a slot is free; nullopt once closed.
    std::optional<size_t> take_free() { return pop(free_); }
    void give_free(size_t i) { push(free_, i); }
    std::optional<size_t> take_filled() { return pop(filled_); }
    void give_filled(size_t i) { push(filled_, i); }
    // The producer is done: the consumer drains what is filled, then sees nullopt.
    void finish() {
        std::lock_guard lock(m_);
        done_ = true;
        cv_.notify_all();
    }
    // Either side gives up: both see nullopt at once.
    void close() {
        std::lock_guard lock(m_);
        closed_ = true;
        cv_.notify_all();
    }

private:
    std::optional<size_t> pop(std::deque<size_t>& q) {
        std::unique_lock lock(m_);
        cv_.wait(lock, [&] { return closed_ || !q.empty() || (&q == &filled_ && done_); });
        if (closed_ || q.empty()) return std::nullopt;
        const size_t i = q.front();
        q.pop_front();
        return i;
    }
    void push(std::deque<size_t>& q, size_t i) {
        std::lock_guard lock(m_);
        q.push_back(i);
        cv_.notify_all();
    }
    std::vector<RenderSlot> slots_;
    std::deque<size_t> free_, filled_;
    std::mutex m_;
    std::condition_variable cv_;
    bool done_ = false, closed_ = false;
};

// The render thread's body: frames 0..n_frames-1, each with the audio up to its end; the last
// slot also carries the audio after the last frame. Returns its first error.
Status render_frames(TimelineRenderer& renderer, SlotQueue& q, int64_t n_frames, int64_t n_samples, bool with_audio,
                     int64_t samples_per_frame_num, int64_t samples_per_frame_den, int channels, int64_t* yuv_frames) {
    int64_t samples_done = 0;
    std::vector<float> block;
    for (int64_t i = 0; i < n_frames; ++i) {
        const auto s = q.take_free();
        if (!s) return ok_status();  // the encoder stopped (error or cancel); it reports why
        RenderSlot& slot = q.slot(*s);
        ATELIER_TRY_ASSIGN(slot.is_yuv, renderer.take_frame_yuv(i, slot.yuv));
        if (!slot.is_yuv) ATELIER_TRY(renderer.take_frame(i, slot.frame));
        else ++*yuv_frames;
        slot.audio.clear();
        if (with_audio) {
            const int64_t until = i + 1 == n_frames ? n_samples : std::min(n_samples, (i + 1) * samples_per_frame_num / samples_per_frame_den);
            if (until > samples_done) {
                ATELIER_TRY(renderer.audio(samples_done, static_cast<size_t>(until - samples_done), block));
                slot.audio.assign(block.begin(), block.begin() + (until - samples_done) * channels);
                samples_done = until;
            }
        }
        q.give_filled(*s);
    }
    return ok_status();
}

}  // namespace

Result<ExportReport> render_to_file(JobContext* ctx, const RenderTimeline& tl, const fs::path& dest, const ExportOptions& opts) {
    ATELIER_TRY(check_dest(dest, opts.overwrite));
    ATELIER_TRY_ASSIGN(Plan plan, make_plan(tl, dest, opts));
    ATELIER_TRY_ASSIGN(auto renderer, TimelineRenderer::open(tl, plan.ro));
    PartFile part(dest);
    ATELIER_TRY_ASSIGN(auto writer, media::MediaWriter::open(part.path(), plan.ws));
    for (const auto& s : tl.subtitles)
        if (plan.ws.subtitles && !s.text.empty()) ATELIER_TRY(writer->write_subtitle(s.start_ms, s.end_ms, s.text));
    const int64_t n_samples = plan.audio ? renderer->sample_count() : 0;
    const int64_t n_frames = plan.video ? renderer->frame_count() : 0;
    std::vector<float> block;
    int64_t samples_done = 0;
    auto audio_until = [&](int64_t until) -> Status {
        constexpr int64_t kBlock = 8192;
        while (samples_done < until) {
            const auto n = static_cast<size_t>(std::min(kBlock, until - samples_done));
            ATELIER_TRY(renderer->audio(samples_done, n, block));
            ATELIER_TRY(writer->write_audio(block.data(), n));
            samples_done += static_cast<int64_t>(n);
            if (!plan.video && ctx) {
                ATELIER_TRY(ctx->check_cancel());
                ctx->progress(double(samples_done) / double(std::max<int64_t>(1, n_samples)), "render");
            }
        }
        return ok_status();
    };
    int64_t yuv_frames = 0;  // frames handed to the encoder as the source's planes (no conversion)
    if (n_frames > 0) {
        constexpr size_t kSlots = 3;
        SlotQueue q(kSlots);
        Status render_status = ok_status();
        std::thread render_thread([&] {
            // Audio up to the end of each frame keeps the muxer's queues short.
            render_status = render_frames(*renderer, q, n_frames, n_samples, plan.audio,
                                          int64_t{plan.ro.sample_rate_hz} * plan.ro.fps_den, std::max(1, plan.ro.fps_num), plan.ro.channels,
                                          &yuv_frames);
            if (render_status.ok()) q.finish();
            else q.close();
        });
        auto encode = [&]() -> Status {
            int64_t done = 0;
            while (const auto s = q.take_filled()) {
                if (ctx) ATELIER_TRY(ctx->check_cancel());
                RenderSlot& slot = q.slot(*s);
                ATELIER_TRY(slot.is_yuv ? writer->write_video_yuv(slot.yuv) : writer->write_video(slot.frame));
                if (!slot.audio.empty()) ATELIER_TRY(writer->write_audio(slot.audio.data(), slot.audio.size() / static_cast<size_t>(plan.ro.channels)));
                q.give_free(*s);
                if (ctx) ctx->progress(double(++done) / double(n_frames), "render");
            }
            return ok_status();
        };
        const Status encode_status = encode();
        q.close();  // lets the render thread out of a wait when the encoder stopped early
        render_thread.join();
        ATELIER_TRY(render_status);
        ATELIER_TRY(encode_status);
        samples_done = n_samples;
    }
    if (plan.audio) ATELIER_TRY(audio_until(n_samples));
    if (ctx) ATELIER_TRY(ctx->check_cancel());
    ATELIER_TRY(writer->finish());
    writer.reset();
    ATELIER_TRY(part.commit(opts.overwrite));
    return ExportReport{dest, n_frames, n_samples, tl.duration_ms(), file_size_or_zero(dest), plan.preset.name, yuv_frames};
}

Result<ExportReport> export_timeline(JobContext* ctx, const fs::path& project_path, std::string_view timeline_uuid,
                                     const fs::path& dest, const ExportOptions& opts) {
    RenderTimeline tl;
    {
        ATELIER_TRY_ASSIGN(auto project, projects::Project::open(project_path, projects::OpenOptions{.read_only = true}));
        ATELIER_TRY_ASSIGN(tl, snapshot_timeline(*project, timeline_uuid));
    }
    return render_to_file(ctx, tl, dest, opts);
}

Result<ExportReport> convert_media(JobContext* ctx, const fs::path& src, const fs::path& dest, const ExportOptions& opts) {
    ATELIER_TRY_ASSIGN(media::MediaInfo info, media::probe_file(src));
    if (media::is_image_path(dest)) {
        ATELIER_TRY(check_dest(dest, opts.overwrite));
        ATELIER_TRY_ASSIGN(media::Image img, info.kind == media::MediaKind::Image ? media::load_image(src) : media::grab_video_frame(src, 0, 0));
        PartFile part(dest);
        std::string ext = dest.extension().string();
        const bool png = ext == ".png" || ext == ".PNG";
        ATELIER_TRY(png ? media::write_png(img, part.path()) : media::write_jpeg(img, part.path(), 92));
        ATELIER_TRY(part.commit(opts.overwrite));
        return ExportReport{dest, 1, 0, 0, file_size_or_zero(dest), png ? "png" : "jpeg"};
    }
    RenderTimeline tl;
    tl.width = std::max(2, info.width & ~1), tl.height = std::max(2, info.height & ~1);
    tl.sample_rate_hz = info.sample_rate_hz > 0 ? info.sample_rate_hz : 48000;
    const int64_t duration = info.kind == media::MediaKind::Image ? 5000 : info.duration_ms;
    if (duration <= 0) return make_error(ErrorCode::MediaUnsupported, src.string() + ": unknown duration", "remux it with a tool that writes the duration");
    RenderClip clip{ClipKind::Invalid, src, 0, duration, 0, {}};
    if (info.kind == media::MediaKind::Video) {
        ATELIER_TRY_ASSIGN(auto vr, media::VideoReader::open(src));
        if (vr->fps_num() > 0) tl.fps_num = vr->fps_num(), tl.fps_den = vr->fps_den();
        clip.kind = ClipKind::Video;
        tl.video_tracks.push_back({clip});
    } else if (info.kind == media::MediaKind::Image) {
        clip.kind = ClipKind::Image;
        tl.video_tracks.push_back({clip});
    }
    if (info.channels > 0) {
        clip.kind = ClipKind::Audio;
        tl.audio_clips.push_back(clip);
    }
    ExportOptions o = opts;
    if (o.preset.empty() && media::codecs_for_path(dest).ok() && media::codecs_for_path(dest)->video != media::VideoCodec::Invalid) o.preset = "source";
    return render_to_file(ctx, tl, dest, o);
}

Result<ExportReport> export_subtitles(const fs::path& project_path, std::string_view timeline_uuid, std::string_view transcript_uuid,
                                      const fs::path& dest) {
    const media::SubtitleFormat format = media::subtitle_format_for_path(dest);
    if (format == media::SubtitleFormat::Invalid) {
        return make_error(ErrorCode::InvalidArgument, dest.string() + ": not a subtitle file name", "use .srt, .vtt, .txt or .json");
    }
    std::vector<media::SubtitleItem> items;
    {
        ATELIER_TRY_ASSIGN(auto project, projects::Project::open(project_path, projects::OpenOptions{.read_only = true}));
        if (!transcript_uuid.empty()) {
            ATELIER_TRY_ASSIGN(auto segs, projects::list_transcript_segments(*project, transcript_uuid));
            for (auto& s : segs) items.push_back({s.start_ms, s.end_ms, std::move(s.text), std::move(s.speaker)});
        } else {
            ATELIER_TRY_ASSIGN(RenderTimeline tl, snapshot_timeline(*project, timeline_uuid));
            items = std::move(tl.subtitles);
        }
    }
    ATELIER_TRY_ASSIGN(std::string text, media::format_subtitles(items, format));
    PartFile part(dest);
    ATELIER_TRY(write_text_file(part.path(), text));
    ATELIER_TRY(part.commit(true));
    return ExportReport{dest, 0, 0, items.empty() ? 0 : items.back().end_ms, static_cast<int64_t>(text.size()), "subtitles"};
}

JobId submit_export_timeline(Studio& studio, std::string timeline_uuid, fs::path dest, ExportOptions opts,
                             std::shared_ptr<ExportReport> report) {
    const nlohmann::json params = {{"timeline", timeline_uuid}, {"dest", dest.string()}, {"preset", opts.preset},
                                   {"burn_subtitles", opts.burn_subtitles}, {"soft_subtitles", opts.soft_subtitles}};
    JobSpec spec{.uuid = {}, .kind = "export", .title = "Export " + dest.filename().string(), .params_json = params.dump()};
    const fs::path project_path = studio.project().path();
    return studio.submit_job(std::move(spec), [=](JobContext& ctx) -> Status {
        ATELIER_TRY_ASSIGN(ExportReport r, export_timeline(&ctx, project_path, timeline_uuid, dest, opts));
        if (report) *report = r;
        return ok_status();
    });
}

}  // namespace atelier::pipelines
