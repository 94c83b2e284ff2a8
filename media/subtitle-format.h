// Subtitle items as text files: SRT, WebVTT, plain text and JSON (for transcripts and a
// timeline's subtitle track). Times are milliseconds from the start of the media.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/result.h"

namespace atelier::media {

struct SubtitleItem {
    int64_t start_ms = 0;
    int64_t end_ms = 0;
    std::string text;     // UTF-8; '\n' separates lines
    std::string speaker;  // optional (transcripts); written by TXT and JSON only
    bool operator==(const SubtitleItem&) const = default;
};

enum class SubtitleFormat { Invalid = 0, Srt, WebVtt, Txt, Json };

// ".srt", ".vtt", ".txt", ".json" (case-insensitive); Invalid otherwise.
SubtitleFormat subtitle_format_for_path(const std::filesystem::path& path);

// "HH:MM:SS,mmm" (SRT) / "HH:MM:SS.mmm" (WebVTT).
std::string format_timestamp(int64_t ms, char decimal_separator);

// Items are written in the order given; empty texts are skipped in SRT/WebVTT (players choke).
std::string format_srt(const std::vector<SubtitleItem>& items);
std::string format_webvtt(const std::vector<SubtitleItem>& items);
std::string format_txt(const std::vector<SubtitleItem>& items);   // one item per paragraph
std::string format_subtitles_json(const std::vector<SubtitleItem>& items);  // {"items":[{start_ms,end_ms,text,speaker}]}
Result<std::string> format_subtitles(const std::vector<SubtitleItem>& items, SubtitleFormat format);

}  // namespace atelier::media
