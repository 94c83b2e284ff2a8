// Encoding and muxing: RGBA frames, interleaved float audio and subtitle items into one output
// file (MP4: H.264 + AAC + mov_text; WebM: VP9 + Opus + WebVTT; audio files: WAV, FLAC, Opus,
// MP3, AAC/M4A). The timeline export, single-asset conversion and the tests all write through it.
//  - Video frames are numbered: frame n has pts n * fps_den / fps_num seconds. Audio is a
//    continuous sample stream from t = 0. Subtitles are absolute (start_ms, end_ms).
//  - Nothing is final until finish() returns ok; callers write to a temporary name and rename.
// Thread-safety: one MediaWriter belongs to one thread (the export job's worker).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "media/image.h"

namespace atelier::media {

enum class VideoCodec { Invalid = 0, H264, Vp9 };
enum class AudioCodec { Invalid = 0, Aac, Opus, Mp3, Flac, Pcm16 };
enum class SubtitleCodec { Invalid = 0, MovText, WebVtt };

const char* video_codec_name(VideoCodec c);  // "h264", "vp9"
const char* audio_codec_name(AudioCodec c);  // "aac", "opus", "mp3", "flac", "pcm_s16le"

struct VideoEncodeSettings {
    VideoCodec codec = VideoCodec::H264;
    int width = 0, height = 0;     // even numbers (4:2:0 chroma)
    int fps_num = 30, fps_den = 1;
    int crf = 20;                  // x264: 0-51; VP9: 0-63
    std::string preset = "medium"; // x264 preset; VP9 maps it to a cpu-used speed
    int threads = 0;               // 0: the encoder's choice
};

struct AudioEncodeSettings {
    AudioCodec codec = AudioCodec::Aac;
    int sample_rate_hz = 48000;    // Opus: 48000, 24000, 16000, 12000 or 8000
    int channels = 2;              // 1 or 2
    int64_t bit_rate = 0;          // 0: a sensible default per codec (lossy codecs only)
};

struct WriterSettings {
    // The file name whose extension picks the container when `container` is empty (the real
    // destination when the writer writes to a temporary name).
    std::filesystem::path format_hint;
    std::string container;  // FFmpeg muxer name ("mp4", "webm", "wav", ...); empty: from the hint
    std::optional<VideoEncodeSettings> video;
    std::optional<AudioEncodeSettings> audio;
    std::optional<SubtitleCodec> subtitles;  // a soft subtitle stream
};

// The codecs an output path's extension implies: .mp4/.m4v/.mov H.264+AAC(+mov_text), .webm
// VP9+Opus(+WebVTT), .mkv H.264+AAC, .wav PCM16, .flac FLAC, .opus/.ogg Opus, .mp3 MP3,
// .m4a/.aac AAC. Video codec Invalid for audio-only containers. InvalidArgument otherwise.
struct ContainerCodecs {
    VideoCodec video = VideoCodec::Invalid;
    AudioCodec audio = AudioCodec::Invalid;
    SubtitleCodec subtitles = SubtitleCodec::Invalid;
};
Result<ContainerCodecs> codecs_for_path(const std::filesystem::path& path);
bool is_image_path(const std::filesystem::path& path);  // .png .jpg .jpeg

class MediaWriter {
public:
    // Creates `path` (truncating it). Errors: InvalidArgument (settings), MediaUnsupported (no
    // such encoder in this FFmpeg), MediaEncodeFailed, IoError/PermissionDenied naming the file.
    static Result<std::unique_ptr<MediaWriter>> open(const std::filesystem::path& path, const WriterSettings& settings);
    ~MediaWriter();  // without finish(): the file is closed as is (the caller deletes it)

    // The next video frame: width x height RGBA (alpha ignored).
    Status write_video(const Image& frame);
    // The next video frame as limited-range 4:2:0 planes of the stream's size, copied to the
    // encoder without colour conversion (what every video stream here encodes).
    Status write_video_yuv(const YuvImage& frame);
    // `frames` frames of interleaved float samples ([-1,1], `channels` per frame).
    Status write_audio(const float* interleaved, size_t frames);
    // One subtitle item; items may come in any order before finish() (muxed by time).
    Status write_subtitle(int64_t start_ms, int64_t end_ms, std::string_view text);
    // Flushes the encoders, writes the trailer and closes the file.
    Status finish();

    int64_t video_frames_written() const;
    int64_t audio_frames_written() const;

private:
    MediaWriter();
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Convenience for tests and conversion: whole buffers to a file.
Status write_audio_file(const std::filesystem::path& path, const float* interleaved, size_t frames,
                        const AudioEncodeSettings& settings);

}  // namespace atelier::media
