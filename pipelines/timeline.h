// The timeline as the renderer sees it: an immutable snapshot (asset files resolved to paths,
// clip parameters parsed) taken from the project on the export job's own read-only connection,
// or built in memory (single-file conversion, tests).
// clips.params_json keys (all optional):
//   "gain_db": number            audio gain of the clip (audio clips and a video clip's sound)
//   "fade_in_ms", "fade_out_ms"  linear audio fades at the clip's ends
//   "pan_zoom": {"from": [x, y, zoom], "to": [x, y, zoom]}  image clips: a slow move from one
//       view to the other over the clip; x, y in [0,1] is the view centre in the picture, zoom
//       >= 1 magnifies a view that fills the frame (1: the largest view of the frame's shape).
//   "mute": bool                 leave a video clip's sound out
// Thread-safety: plain values; snapshot_timeline as Project.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "media/subtitle-format.h"
#include "projects/timeline-store.h"

namespace atelier::pipelines {

struct PanZoom {
    double x_from = 0.5, y_from = 0.5, zoom_from = 1.0;
    double x_to = 0.5, y_to = 0.5, zoom_to = 1.0;
};

struct ClipParams {
    double gain_db = 0.0;
    int64_t fade_in_ms = 0, fade_out_ms = 0;
    std::optional<PanZoom> pan_zoom;
    bool mute = false;
};

// InvalidArgument naming the bad key (not JSON, wrong type, zoom < 1, negative fade, ...).
Result<ClipParams> parse_clip_params(std::string_view json);
std::string clip_params_json(const ClipParams& p);

enum class ClipKind { Invalid = 0, Image, Video, Audio };

struct RenderClip {
    ClipKind kind = ClipKind::Invalid;
    std::filesystem::path path;
    int64_t start_ms = 0, duration_ms = 0, source_in_ms = 0;
    ClipParams params;
    int64_t end_ms() const { return start_ms + duration_ms; }
};

struct RenderTimeline {
    std::string uuid;  // empty when built in memory
    int width = 1920, height = 1080;
    int fps_num = 30, fps_den = 1;
    int sample_rate_hz = 48000;
    std::vector<std::vector<RenderClip>> video_tracks;  // bottom to top; each by start
    std::vector<RenderClip> audio_clips;                // audio clips and the sound of video clips
    std::vector<media::SubtitleItem> subtitles;         // by start
    int64_t duration_ms() const;                        // end of the last clip or subtitle
};

// Reads timeline `uuid` (empty: the oldest) with its clips' assets. Muted tracks are left out.
// Errors: ProjectObjectNotFound, InvalidArgument (bad clip parameters, naming the clip).
Result<RenderTimeline> snapshot_timeline(projects::Project& project, std::string_view uuid);

}  // namespace atelier::pipelines
