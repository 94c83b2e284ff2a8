// Timelines in the project file (tables timelines/tracks/clips, schema.sql): create, list, load,
// add tracks and clips, remove clips; and transcript segments for subtitle export. Free functions
// over a Project (additive to its API): each runs inside one Project savepoint, so it holds the
// Project's lock and commits before returning.
//  - Clip parameters that have no column (gain, fades, pan/zoom) live in clips.params_json; its
//    keys are documented in pipelines/timeline.h, which owns their meaning.
// Thread-safety: as Project (any thread; calls on one Project are serialised).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "projects/project.h"

namespace atelier::projects {

enum class TrackKind { Invalid = 0, Video, Audio, Subtitle };
const char* track_kind_name(TrackKind kind);  // "video", "audio", "subtitle"
std::optional<TrackKind> track_kind_from_name(std::string_view name);

struct TimelineRow {
    std::string uuid;
    std::string name;
    int width = 1920, height = 1080;
    int fps_num = 30, fps_den = 1;
    int sample_rate_hz = 48000;
    int64_t created_at_ms = 0;
};

struct TrackRow {
    std::string uuid;
    std::string timeline_uuid;
    int64_t seq = 0;  // stacking order, 0 = bottom
    TrackKind kind = TrackKind::Invalid;
    std::string name;
    bool muted = false;
};

struct ClipRow {
    std::string uuid;          // empty on add: a new UUIDv7
    std::string track_uuid;
    std::string asset_uuid;    // empty for subtitle items
    int64_t start_ms = 0;
    int64_t duration_ms = 0;
    int64_t source_in_ms = 0;
    std::string text;          // subtitle text
    std::string params_json = "{}";
};

struct TimelineDoc {
    TimelineRow timeline;
    std::vector<TrackRow> tracks;  // by seq
    std::vector<ClipRow> clips;    // by track seq, then start_ms
};

struct SegmentRow {
    int64_t start_ms = 0, end_ms = 0;
    std::string speaker;
    std::string text;
};

// uuid/created_at_ms of `t` are assigned. InvalidArgument for a non-positive size/rate.
Result<TimelineRow> create_timeline(Project& p, const TimelineRow& t);
Result<std::vector<TimelineRow>> list_timelines(Project& p);  // oldest first
// ProjectObjectNotFound for an unknown uuid. Empty uuid: the project's oldest timeline.
Result<TimelineDoc> load_timeline(Project& p, std::string_view uuid);
// Appends a track on top (seq = highest + 1).
Result<TrackRow> add_track(Project& p, std::string_view timeline_uuid, TrackKind kind, std::string_view name = {});
// InvalidArgument: subtitle clips need text and no asset, other clips an asset; params_json must
// be JSON. ProjectObjectNotFound: unknown track or asset.
Result<ClipRow> add_clip(Project& p, ClipRow clip);
Status remove_clip(Project& p, std::string_view clip_uuid);
// A transcript's segments in order (ProjectObjectNotFound for an unknown transcript).
Result<std::vector<SegmentRow>> list_transcript_segments(Project& p, std::string_view transcript_uuid);

}  // namespace atelier::projects
