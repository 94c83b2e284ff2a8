// Timeline edit commands and gesture helpers (see timeline-edit.h). A clip edit is a row
// replacement inside the UndoStack's savepoint, so a failing half rolls the whole edit back.
// Thread-safety: commands on the UndoStack's thread; helpers are pure.
#include "pipelines/timeline-edit.h"

#include <algorithm>
#include <cstdlib>

#include "core/uuid.h"

namespace atelier::pipelines {

namespace {

Status replace_clip(projects::Project& project, const projects::ClipRow& from, const projects::ClipRow& to) {
    ATELIER_TRY(projects::remove_clip(project, from.uuid));
    ATELIER_TRY_ASSIGN(projects::ClipRow added, projects::add_clip(project, to));
    (void)added;
    return ok_status();
}

}  // namespace

AddClipCommand::AddClipCommand(projects::ClipRow clip, std::string label)
    : clip_(std::move(clip)), label_(label.empty() ? std::string("Add clip") : std::move(label)) {
    if (clip_.uuid.empty()) clip_.uuid = uuid_v7();
}

Status AddClipCommand::apply(projects::Project& project) {
    ATELIER_TRY_ASSIGN(projects::ClipRow added, projects::add_clip(project, clip_));
    (void)added;
    return ok_status();
}

Status AddClipCommand::revert(projects::Project& project) { return projects::remove_clip(project, clip_.uuid); }

RemoveClipCommand::RemoveClipCommand(projects::ClipRow clip) : clip_(std::move(clip)) {}

Status RemoveClipCommand::apply(projects::Project& project) { return projects::remove_clip(project, clip_.uuid); }

Status RemoveClipCommand::revert(projects::Project& project) {
    ATELIER_TRY_ASSIGN(projects::ClipRow added, projects::add_clip(project, clip_));
    (void)added;
    return ok_status();
}

std::string RemoveClipCommand::label() const { return clip_.asset_uuid.empty() ? "Delete subtitle" : "Delete clip"; }

UpdateClipCommand::UpdateClipCommand(projects::ClipRow before, projects::ClipRow after, std::string label)
    : before_(std::move(before)), after_(std::move(after)), label_(std::move(label)) {
    after_.uuid = before_.uuid;
}

Status UpdateClipCommand::apply(projects::Project& project) { return replace_clip(project, before_, after_); }

Status UpdateClipCommand::revert(projects::Project& project) { return replace_clip(project, after_, before_); }

Result<projects::TimelineDoc> ensure_timeline(projects::Project& project) {
    ATELIER_TRY_ASSIGN(auto list, projects::list_timelines(project));
    if (!list.empty()) return projects::load_timeline(project, list.front().uuid);
    projects::TimelineRow row;
    row.name = "Timeline";
    ATELIER_TRY_ASSIGN(projects::TimelineRow tl, projects::create_timeline(project, row));
    using projects::TrackKind;
    for (auto [kind, name] : {std::pair{TrackKind::Video, "Video"}, std::pair{TrackKind::Audio, "Audio"},
                              std::pair{TrackKind::Subtitle, "Subtitles"}}) {
        ATELIER_TRY_ASSIGN(projects::TrackRow track, projects::add_track(project, tl.uuid, kind, name));
        (void)track;
    }
    return projects::load_timeline(project, tl.uuid);
}

int64_t snap_ms(int64_t value_ms, const std::vector<int64_t>& candidates_ms, int64_t threshold_ms) {
    int64_t best = value_ms, best_dist = threshold_ms + 1;
    for (int64_t c : candidates_ms) {
        const int64_t d = std::llabs(c - value_ms);
        if (d < best_dist) best = c, best_dist = d;
    }
    return best;
}

std::vector<int64_t> snap_points(const projects::TimelineDoc& doc, std::string_view skip_uuid, int64_t playhead_ms) {
    std::vector<int64_t> out{0, playhead_ms};
    for (const auto& c : doc.clips) {
        if (c.uuid == skip_uuid) continue;
        out.push_back(c.start_ms);
        out.push_back(c.start_ms + c.duration_ms);
    }
    return out;
}

projects::ClipRow trim_left(projects::ClipRow clip, int64_t new_start_ms, bool has_source,
                            std::optional<int64_t> source_duration_ms, int64_t min_duration_ms) {
    const int64_t end = clip.start_ms + clip.duration_ms;
    int64_t start = std::clamp<int64_t>(new_start_ms, 0, end - min_duration_ms);
    if (has_source) start = std::max(start, clip.start_ms - clip.source_in_ms);  // in point stays >= 0
    (void)source_duration_ms;  // moving the left edge keeps in + duration fixed
    if (has_source) clip.source_in_ms += start - clip.start_ms;
    clip.duration_ms = end - start;
    clip.start_ms = start;
    return clip;
}

projects::ClipRow trim_right(projects::ClipRow clip, int64_t new_end_ms, std::optional<int64_t> source_duration_ms,
                             int64_t min_duration_ms) {
    int64_t duration = std::max(new_end_ms - clip.start_ms, min_duration_ms);
    if (source_duration_ms && *source_duration_ms > clip.source_in_ms)
        duration = std::min(duration, *source_duration_ms - clip.source_in_ms);
    clip.duration_ms = std::max<int64_t>(duration, 1);
    return clip;
}

PresetBitrates preset_bitrates(const ExportPreset& preset) {
    PresetBitrates r;
    switch (preset.audio_only) {
    case media::AudioCodec::Opus: r.audio_bps = 128000; return r;
    case media::AudioCodec::Mp3: r.audio_bps = 192000; return r;
    case media::AudioCodec::Pcm16: r.audio_bps = 48000LL * 2 * 16; return r;
    default: break;
    }
    r.audio_bps = 192000;  // AAC stereo default (media-writer)
    // H.264 CRF 20, preset medium: about 0.1 bit per pixel per frame for typical footage.
    const double fps = preset.fps_den > 0 ? double(preset.fps_num) / preset.fps_den : 30.0;
    const int w = preset.width > 0 ? preset.width : 1920, h = preset.height > 0 ? preset.height : 1080;
    r.video_bps = int64_t(0.1 * w * h * fps);
    return r;
}

int64_t estimate_export_size_bytes(const ExportPreset& preset, int64_t duration_ms) {
    if (duration_ms <= 0) return 0;
    const PresetBitrates b = preset_bitrates(preset);
    const double bytes = double(b.video_bps + b.audio_bps) * double(duration_ms) / 8000.0;
    if (preset.audio_only == media::AudioCodec::Pcm16) return 44 + int64_t(bytes);
    return int64_t(bytes * 1.01);
}

}  // namespace atelier::pipelines
