// Transcripts as files: SRT and WebVTT (through media/subtitle-format, one cue per segment), plain
// text (one paragraph per segment) and JSON with every word, its times and probability, plus the
// transcript's provenance when it comes from a project.
//  - Files are written under a hidden temporary name beside the destination and renamed when
//    complete, so a failure never leaves a half-written transcript.
// Thread-safety: pure functions and file writes; export_transcript as Project.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "core/result.h"
#include "media/subtitle-format.h"
#include "projects/project.h"
#include "projects/transcript-store.h"

namespace atelier::pipelines {

// JSON layout (format "atelier.transcript", version 1):
// {"format":"atelier.transcript","version":1,"uuid","title","language","asset_uuid",
//  "generation":{"model","params","timings"} (only when known),
//  "segments":[{"start_ms","end_ms","speaker","text","words":[{"start_ms","end_ms","text","probability"}]}]}
std::string transcript_json(const projects::TranscriptDoc& doc, const projects::Generation* provenance = nullptr);

// SRT / WebVTT / TXT / JSON text of the transcript. InvalidArgument for SubtitleFormat::Invalid.
Result<std::string> format_transcript(const projects::TranscriptDoc& doc, media::SubtitleFormat format,
                                      const projects::Generation* provenance = nullptr);

// Writes the transcript to dest (format from its extension: .srt .vtt .txt .json). Errors:
// InvalidArgument (other extension), AlreadyExists (dest exists and !overwrite), NotFound (no
// such folder), file errors naming dest.
Status write_transcript_file(const projects::TranscriptDoc& doc, const std::filesystem::path& dest, bool overwrite,
                             const projects::Generation* provenance = nullptr);

// Transcript `uuid` of the project (with its generation's provenance in JSON) to dest.
Status export_transcript(projects::Project& project, std::string_view uuid, const std::filesystem::path& dest,
                         bool overwrite = true);

}  // namespace atelier::pipelines
