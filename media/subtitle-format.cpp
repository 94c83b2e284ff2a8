// SRT (SubRip: numbered cues, "HH:MM:SS,mmm --> HH:MM:SS,mmm", blank-line separated) and WebVTT
// (W3C: "WEBVTT" header, "HH:MM:SS.mmm --> ...", a cue may not contain "-->" or a blank line)
// writers, plus TXT and JSON. Thread-safety: pure functions.
#include "media/subtitle-format.h"

#include <cctype>
#include <cstdio>

#include <nlohmann/json.hpp>

namespace atelier::media {
namespace {

// Cue text: CR dropped, blank lines collapsed (a blank line would end the cue), "-->" broken.
std::string cue_text(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == '\r') continue;
        if (c == '\n' && (out.empty() || out.back() == '\n')) continue;
        out += c;
    }
    while (!out.empty() && out.back() == '\n') out.pop_back();
    for (size_t p; (p = out.find("-->")) != std::string::npos;) out.replace(p, 3, "->");
    return out;
}

}  // namespace

SubtitleFormat subtitle_format_for_path(const std::filesystem::path& path) {
    std::string ext = path.extension().string();
    for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (ext == ".srt") return SubtitleFormat::Srt;
    if (ext == ".vtt") return SubtitleFormat::WebVtt;
    if (ext == ".txt") return SubtitleFormat::Txt;
    if (ext == ".json") return SubtitleFormat::Json;
    return SubtitleFormat::Invalid;
}

std::string format_timestamp(int64_t ms, char sep) {
    if (ms < 0) ms = 0;
    char buf[48];
    std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld%c%03lld", static_cast<long long>(ms / 3'600'000),
                  static_cast<long long>(ms / 60'000 % 60), static_cast<long long>(ms / 1000 % 60), sep,
                  static_cast<long long>(ms % 1000));
    return buf;
}

std::string format_srt(const std::vector<SubtitleItem>& items) {
    std::string out;
    int n = 0;
    for (const auto& it : items) {
        const std::string text = cue_text(it.text);
        if (text.empty()) continue;
        out += std::to_string(++n) + "\n" + format_timestamp(it.start_ms, ',') + " --> " + format_timestamp(it.end_ms, ',') +
               "\n" + text + "\n\n";
    }
    return out;
}

std::string format_webvtt(const std::vector<SubtitleItem>& items) {
    std::string out = "WEBVTT\n\n";
    for (const auto& it : items) {
        const std::string text = cue_text(it.text);
        if (text.empty()) continue;
        out += format_timestamp(it.start_ms, '.') + " --> " + format_timestamp(it.end_ms, '.') + "\n" + text + "\n\n";
    }
    return out;
}

std::string format_txt(const std::vector<SubtitleItem>& items) {
    std::string out;
    for (const auto& it : items) {
        if (it.text.empty()) continue;
        if (!it.speaker.empty()) out += it.speaker + ": ";
        out += it.text + "\n\n";
    }
    return out;
}

std::string format_subtitles_json(const std::vector<SubtitleItem>& items) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& it : items) {
        arr.push_back({{"start_ms", it.start_ms}, {"end_ms", it.end_ms}, {"text", it.text}, {"speaker", it.speaker}});
    }
    // Invalid UTF-8 is replaced rather than thrown on: a transcript is never lost to one bad byte.
    return nlohmann::json{{"items", arr}}.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

Result<std::string> format_subtitles(const std::vector<SubtitleItem>& items, SubtitleFormat format) {
    switch (format) {
    case SubtitleFormat::Srt: return format_srt(items);
    case SubtitleFormat::WebVtt: return format_webvtt(items);
    case SubtitleFormat::Txt: return format_txt(items);
    case SubtitleFormat::Json: return format_subtitles_json(items);
    default:
        return make_error(ErrorCode::InvalidArgument, "unknown subtitle format", "use .srt, .vtt, .txt or .json");
    }
}

}  // namespace atelier::media
