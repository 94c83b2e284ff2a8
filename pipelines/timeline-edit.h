// Timeline edits as undoable commands (projects::Command) for the timeline workspace, plus the
// pure helpers its gestures need (snapping, trim limits, export size estimate). Clips are named
// by UUID; a command keeps full before/after rows, so undo and redo are exact.
//  - An edit of a clip (move, trim, subtitle text/times, gain/fades) is one UpdateClipCommand:
//    the row is replaced inside the UndoStack's savepoint (remove + add with the same UUID).
// Thread-safety: commands belong to the UndoStack's thread; the helpers are pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "pipelines/export.h"
#include "projects/timeline-store.h"
#include "projects/undo.h"

namespace atelier::pipelines {

// Adds a clip (a UUID is assigned at construction, so redo recreates the same clip).
class AddClipCommand : public projects::Command {
public:
    explicit AddClipCommand(projects::ClipRow clip, std::string label = {});
    Status apply(projects::Project& project) override;
    Status revert(projects::Project& project) override;
    std::string label() const override { return label_; }
    const projects::ClipRow& clip() const { return clip_; }

private:
    projects::ClipRow clip_;
    std::string label_;
};

// Removes a clip; revert puts the same row back.
class RemoveClipCommand : public projects::Command {
public:
    explicit RemoveClipCommand(projects::ClipRow clip);
    Status apply(projects::Project& project) override;
    Status revert(projects::Project& project) override;
    std::string label() const override;

private:
    projects::ClipRow clip_;
};

// Replaces a clip's row `before` with `after` (same UUID; any field may change, the track too).
// No merging: the workspace pushes one per finished gesture or field edit, each its own step.
class UpdateClipCommand : public projects::Command {
public:
    UpdateClipCommand(projects::ClipRow before, projects::ClipRow after, std::string label);
    Status apply(projects::Project& project) override;
    Status revert(projects::Project& project) override;
    std::string label() const override { return label_; }

private:
    projects::ClipRow before_, after_;
    std::string label_;
};

// The timeline the workspace edits: the project's oldest, created (with a video, an audio and a
// subtitle track) when the project has none. Errors: the store's.
Result<projects::TimelineDoc> ensure_timeline(projects::Project& project);

// The candidate nearest to value_ms if it lies within threshold_ms, else value_ms.
int64_t snap_ms(int64_t value_ms, const std::vector<int64_t>& candidates_ms, int64_t threshold_ms);
// Snap points of a timeline: 0, every clip's start and end (except clip `skip_uuid`'s), and the playhead.
std::vector<int64_t> snap_points(const projects::TimelineDoc& doc, std::string_view skip_uuid, int64_t playhead_ms);

// Trims: a clip row with its left edge moved to new_start_ms (the source in point follows for
// video/audio; the right edge stays) or its right edge moved to new_end_ms. Limits: duration
// >= min_duration_ms, start >= 0, source in >= 0, and in + duration <= source_duration_ms when known.
projects::ClipRow trim_left(projects::ClipRow clip, int64_t new_start_ms, bool has_source,
                            std::optional<int64_t> source_duration_ms, int64_t min_duration_ms = 100);
projects::ClipRow trim_right(projects::ClipRow clip, int64_t new_end_ms, std::optional<int64_t> source_duration_ms,
                             int64_t min_duration_ms = 100);

// Nominal bit rates of a preset (video: a typical H.264 CRF 20 rate for the picture size at its
// frame rate; audio: the encoder's default rate, or PCM's exact one for WAV).
struct PresetBitrates {
    int64_t video_bps = 0;  // 0: no video
    int64_t audio_bps = 0;
};
PresetBitrates preset_bitrates(const ExportPreset& preset);
// Bytes of an export of duration_ms with `preset`: (video + audio bit rate) x duration, plus 1%
// container overhead (WAV: header + exact PCM size).
int64_t estimate_export_size_bytes(const ExportPreset& preset, int64_t duration_ms);

}  // namespace atelier::pipelines
