// Export: a timeline (or one media file, as a one-clip timeline) rendered through the one render
// path into a file with a preset; subtitle items and transcripts as SRT/WebVTT/TXT/JSON.
//  - Output is written under a hidden temporary name beside the destination (".NAME.part") and
//    renamed at the end, so a failed or cancelled export leaves nothing that looks finished.
//  - Progress: fraction of frames (or audio blocks) done, stage "render"; cancel is checked
//    between frames and audio blocks.
// Thread-safety: the functions run on a job worker (ctx may be null: no progress, no cancel).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/job.h"
#include "core/result.h"
#include "media/media-writer.h"
#include "pipelines/timeline.h"

namespace atelier::pipelines {

class Studio;

struct ExportPreset {
    std::string name;
    int width = 0, height = 0;  // 0: audio only (or, for conversion, the source's size)
    int fps_num = 30, fps_den = 1;
    int crf = 20;
    std::string x264_preset = "medium";
    media::AudioCodec audio_only = media::AudioCodec::Invalid;  // set for audio-only presets
};

// "1080p30" (1920x1080, H.264 CRF 20, the default), "720p30", "vertical" (1080x1920),
// "opus", "mp3", "wav" (audio only), "source" (conversion: keep size and rate).
// InvalidArgument listing the names for anything else.
Result<ExportPreset> export_preset(std::string_view name);
std::vector<std::string> export_preset_names();

struct ExportOptions {
    std::string preset;             // empty: from the destination (audio extension: audio only; else 1080p30)
    bool burn_subtitles = false;    // draw subtitle items into the picture
    bool soft_subtitles = true;     // a subtitle stream (mov_text in MP4, WebVTT in WebM/MKV) when there are items
    int threads = 0;                // encoder threads; 0: the encoder's choice
    bool overwrite = false;         // replace an existing destination (only once the new file is complete)
};

struct ExportReport {
    std::filesystem::path dest;
    int64_t frames = 0;
    int64_t audio_samples = 0;
    int64_t duration_ms = 0;
    int64_t size_bytes = 0;
    std::string preset;
    int64_t passthrough_frames = 0;  // frames encoded from the source's own 4:2:0 planes (nothing drawn)
};

// Renders `tl` to `dest` (container and codecs from its extension, size/rate from the preset).
// Errors: InvalidArgument (preset/extension mismatch, empty timeline), AlreadyExists (dest
// exists), media errors naming the clip's file, Cancelled.
Result<ExportReport> render_to_file(JobContext* ctx, const RenderTimeline& tl, const std::filesystem::path& dest,
                                    const ExportOptions& opts = {});

// Timeline `timeline_uuid` (empty: the oldest) of the project, read on its own read-only connection.
Result<ExportReport> export_timeline(JobContext* ctx, const std::filesystem::path& project_path,
                                     std::string_view timeline_uuid, const std::filesystem::path& dest,
                                     const ExportOptions& opts = {});

// One media file to another format: images to PNG/JPEG; audio/video through the render path
// (preset "source" by default: the source's picture size and frame rate).
Result<ExportReport> convert_media(JobContext* ctx, const std::filesystem::path& src, const std::filesystem::path& dest,
                                   const ExportOptions& opts = {});

// A timeline's subtitle items, or with `transcript_uuid` a transcript's segments, as a text file
// whose extension picks the format (.srt .vtt .txt .json). Written atomically.
Result<ExportReport> export_subtitles(const std::filesystem::path& project_path, std::string_view timeline_uuid,
                                      std::string_view transcript_uuid, const std::filesystem::path& dest);

// Runs export_timeline as a Studio job (kind "export"; params_json records what to rerun).
JobId submit_export_timeline(Studio& studio, std::string timeline_uuid, std::filesystem::path dest, ExportOptions opts,
                             std::shared_ptr<ExportReport> report = nullptr);

}  // namespace atelier::pipelines
