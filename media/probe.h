// Probing media files with FFmpeg (libavformat): container, streams, codecs, duration,
// dimensions, sample rate, rotation. Images that FFmpeg reads as a single frame are reported
// with kind Image. Thread-safety: reentrant; each call opens its own demuxer.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace atelier::media {

enum class MediaKind { Invalid = 0, Image, Audio, Video, Other };
const char* media_kind_name(MediaKind kind);

enum class StreamType { Invalid = 0, Video, Audio, Subtitle, Data, Attachment };
const char* stream_type_name(StreamType type);

struct StreamInfo {
    int index = 0;
    StreamType type = StreamType::Invalid;
    std::string codec;           // "h264", "aac", "png", ...
    std::string codec_long;
    int width = 0, height = 0;   // video
    double fps = 0.0;            // video: average frame rate, 0 if unknown
    int rotation_deg = 0;        // video: display-matrix rotation, normalised to 0/90/180/270
    int sample_rate_hz = 0;      // audio
    int channels = 0;
    std::string channel_layout;  // "stereo", "mono", ...
    int64_t duration_ms = 0;     // 0 if unknown
    int64_t bit_rate = 0;
    std::string language;        // from stream metadata, may be empty
    bool attached_picture = false;  // cover art inside an audio file

    bool operator==(const StreamInfo&) const = default;
};

struct MediaInfo {
    std::filesystem::path path;
    MediaKind kind = MediaKind::Invalid;
    std::string container;       // FFmpeg short name(s)
    std::string container_long;
    std::string mime;            // best guess from container/codec, may be empty
    int64_t duration_ms = 0;
    int64_t bit_rate = 0;
    int64_t size_bytes = 0;
    int width = 0, height = 0;   // of the main video/image stream, rotation applied
    int sample_rate_hz = 0, channels = 0;  // of the main audio stream
    std::vector<StreamInfo> streams;

    std::string to_json() const;  // every field above, for asset metadata and --json output

    bool operator==(const MediaInfo&) const = default;
};

// Reads what to_json() wrote (e.g. an asset's metadata_json). Unknown keys are ignored, missing
// keys keep their defaults. Errors: InvalidArgument (not JSON, or a field of the wrong type or
// out of range), naming the field. Never throws.
Result<MediaInfo> media_info_from_json(std::string_view json);

// Errors: NotFound, MediaOpenFailed (not a media file FFmpeg can read: names the file and says so),
// MediaNoStream (no audio/video/image stream).
// Kind: Image for image demuxers (png_pipe, jpeg_pipe, webp_pipe, image2, gif, ...); Audio when
// every video stream is an attached picture (cover art) and there is audio; else Video.
Result<MediaInfo> probe_file(const std::filesystem::path& path);

}  // namespace atelier::media
