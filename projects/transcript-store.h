// Transcripts in the project file (tables transcripts / transcript_segments / transcript_words,
// schema.sql): create one with its segments and words in one savepoint, list, load for display,
// edit a segment's or a word's text, remove and restore (for undo). Provenance (model, every
// parameter, timings) is a generations row the caller inserts first; the transcript points at it.
// Free functions over a Project (additive to its API), like timeline-store.h: each holds the
// Project's lock through one savepoint and commits before returning.
// Thread-safety: as Project (any thread; calls on one Project are serialised).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "projects/project.h"

namespace atelier::projects {

struct TranscriptWordRow {
    int64_t start_ms = 0, end_ms = 0;
    std::string text;          // with its leading space, as the recogniser wrote it
    double probability = 1.0;  // [0, 1]
};

struct TranscriptSegmentRow {
    std::string uuid;          // empty on create: a new UUIDv7
    int64_t start_ms = 0, end_ms = 0;
    std::string speaker;
    std::string text;
    std::vector<TranscriptWordRow> words;  // by time; may be empty (no word timestamps)
};

struct TranscriptRow {
    std::string uuid;              // empty on create: a new UUIDv7
    std::string asset_uuid;        // empty: live input, or the asset was removed
    std::string generation_uuid;   // provenance; empty: none
    std::string language;          // "en", ...; empty if unknown
    std::string title;
    int64_t created_at_ms = 0;     // 0 on create: now
};

struct TranscriptDoc {
    TranscriptRow transcript;
    std::vector<TranscriptSegmentRow> segments;  // by seq (time order)
};

// Inserts the transcript, its segments (seq = index) and words. UUIDs left empty are assigned;
// given ones are kept (undo puts a removed transcript back exactly). Times are clamped so that
// 0 <= start <= end; probabilities to [0, 1]. Errors: ProjectObjectNotFound for an unknown
// asset or generation, AlreadyExists for a UUID in use.
Result<TranscriptDoc> create_transcript(Project& p, TranscriptDoc doc);
// Every transcript (asset_uuid empty), or those of one asset; oldest first.
Result<std::vector<TranscriptRow>> list_transcripts(Project& p, std::string_view asset_uuid = {});
// ProjectObjectNotFound for an unknown uuid.
Result<TranscriptDoc> load_transcript(Project& p, std::string_view uuid);
// Removes the transcript with its segments and words (the generation row stays).
Status remove_transcript(Project& p, std::string_view uuid);
// Replaces a segment's text; its words are left as they are. ProjectObjectNotFound.
Status set_segment_text(Project& p, std::string_view segment_uuid, std::string_view text);
// Replaces word `seq` of a segment and rebuilds the segment's text from its words.
// ProjectObjectNotFound for an unknown segment or word.
Status set_word_text(Project& p, std::string_view segment_uuid, int64_t seq, std::string_view text);

// The segment text its words spell (concatenated, outer spaces trimmed).
std::string text_from_words(const std::vector<TranscriptWordRow>& words);

}  // namespace atelier::projects
