// Transcript export (transcript-export.h): segments become subtitle items for SRT/WebVTT/TXT
// (media/subtitle-format writes them), and the JSON carries words and provenance.
// Thread-safety: reentrant; export_transcript as Project.
#include "pipelines/transcript-export.h"

#include <nlohmann/json.hpp>

#include "pipelines/file-util.h"

namespace atelier::pipelines {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

json parse_or_empty(const std::string& text) {
    json j = json::parse(text, nullptr, false);
    return j.is_discarded() ? json::object() : j;
}

}  // namespace

std::string transcript_json(const projects::TranscriptDoc& doc, const projects::Generation* provenance) {
    json segments = json::array();
    for (const auto& s : doc.segments) {
        json words = json::array();
        for (const auto& w : s.words)
            words.push_back({{"start_ms", w.start_ms}, {"end_ms", w.end_ms}, {"text", w.text}, {"probability", w.probability}});
        segments.push_back({{"start_ms", s.start_ms}, {"end_ms", s.end_ms}, {"speaker", s.speaker}, {"text", s.text},
                            {"words", std::move(words)}});
    }
    const auto& t = doc.transcript;
    json out = {{"format", "atelier.transcript"}, {"version", 1}, {"uuid", t.uuid}, {"title", t.title},
                {"language", t.language}, {"asset_uuid", t.asset_uuid}};
    if (provenance != nullptr) {
        out["generation"] = {{"uuid", provenance->uuid}, {"model", provenance->model}, {"model_hash", provenance->model_hash},
                             {"params", parse_or_empty(provenance->params_json)},
                             {"timings", parse_or_empty(provenance->timings_json)}, {"app_version", provenance->app_version}};
    }
    out["segments"] = std::move(segments);
    // Invalid UTF-8 is replaced rather than thrown on: a transcript is never lost to one bad byte.
    return out.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

Result<std::string> format_transcript(const projects::TranscriptDoc& doc, media::SubtitleFormat format,
                                      const projects::Generation* provenance) {
    if (format == media::SubtitleFormat::Json) return transcript_json(doc, provenance);
    std::vector<media::SubtitleItem> items;
    items.reserve(doc.segments.size());
    for (const auto& s : doc.segments) {
        std::string text = s.text;
        text.erase(0, text.find_first_not_of(' '));
        items.push_back({s.start_ms, s.end_ms, std::move(text), s.speaker});
    }
    return media::format_subtitles(items, format);
}

Status write_transcript_file(const projects::TranscriptDoc& doc, const fs::path& dest, bool overwrite,
                             const projects::Generation* provenance) {
    const media::SubtitleFormat format = media::subtitle_format_for_path(dest);
    if (format == media::SubtitleFormat::Invalid)
        return make_error(ErrorCode::InvalidArgument, dest.string() + ": not a transcript file name", "use .srt, .vtt, .txt or .json");
    std::error_code ec;
    if (!overwrite && fs::exists(dest, ec))
        return make_error(ErrorCode::AlreadyExists, dest.string() + ": already exists", "choose another name or allow overwriting");
    const fs::path dir = dest.parent_path().empty() ? fs::path(".") : dest.parent_path();
    if (!fs::is_directory(dir, ec)) return make_error(ErrorCode::NotFound, dir.string() + ": no such folder", "create the folder first");
    ATELIER_TRY_ASSIGN(std::string text, format_transcript(doc, format, provenance));
    const fs::path part = dir / ("." + dest.filename().string() + ".part");
    Status st = write_text_file(part, text);
    if (st.ok()) {
        fs::rename(part, dest, ec);
        if (ec) st = file_error(ec.value(), "cannot move the finished transcript into place", dest);
    }
    if (!st.ok()) fs::remove(part, ec);
    return st;
}

Status export_transcript(projects::Project& project, std::string_view uuid, const fs::path& dest, bool overwrite) {
    ATELIER_TRY_ASSIGN(projects::TranscriptDoc doc, projects::load_transcript(project, uuid));
    projects::Generation gen;
    const bool have_gen = !doc.transcript.generation_uuid.empty() && [&] {
        auto g = project.get_generation(doc.transcript.generation_uuid);
        if (g.ok()) gen = std::move(*g);
        return g.ok();
    }();
    return write_transcript_file(doc, dest, overwrite, have_gen ? &gen : nullptr);
}

}  // namespace atelier::pipelines
