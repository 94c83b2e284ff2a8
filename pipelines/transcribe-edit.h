// Transcript edits as undoable commands (projects::Command) for the transcript editor and the
// CLI, and the one action that turns a transcript into the timeline's subtitle items.
//  - Commands name segments by UUID and words by (segment UUID, seq); each keeps the text before
//    and after, so undo and redo are exact (a word edit also restores the segment text as it was).
//  - A transcript made by a job is already in the file when its command is pushed
//    (already_applied): pushing only records it; undo removes it, redo puts the same rows back.
// Thread-safety: commands belong to the UndoStack's thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "projects/timeline-store.h"
#include "projects/transcript-store.h"
#include "projects/undo.h"

namespace atelier::pipelines {

class AddTranscriptCommand : public projects::Command {
public:
    AddTranscriptCommand(projects::TranscriptDoc doc, bool already_applied);
    Status apply(projects::Project& project) override;
    Status revert(projects::Project& project) override;
    std::string label() const override;

private:
    projects::TranscriptDoc doc_;
    bool skip_apply_;
};

class RemoveTranscriptCommand : public projects::Command {
public:
    explicit RemoveTranscriptCommand(std::string transcript_uuid);
    Status apply(projects::Project& project) override;
    Status revert(projects::Project& project) override;
    std::string label() const override { return "Delete transcript"; }

private:
    std::string uuid_;
    projects::TranscriptDoc saved_;
};

// Replaces a segment's text (its words stay). Consecutive edits of one segment merge.
class EditSegmentTextCommand : public projects::Command {
public:
    EditSegmentTextCommand(std::string segment_uuid, std::string before, std::string after);
    Status apply(projects::Project& project) override;
    Status revert(projects::Project& project) override;
    std::string label() const override { return "Edit transcript text"; }
    int merge_id() const override { return 61; }
    bool merge_with(const Command& next) override;

private:
    std::string segment_, before_, after_;
};

// Replaces one word; the segment's text is rebuilt from its words (revert restores both).
class EditWordTextCommand : public projects::Command {
public:
    EditWordTextCommand(std::string segment_uuid, int64_t seq, std::string before_word, std::string after_word,
                        std::string before_segment_text);
    Status apply(projects::Project& project) override;
    Status revert(projects::Project& project) override;
    std::string label() const override { return "Edit word"; }

private:
    std::string segment_;
    int64_t seq_;
    std::string before_, after_, segment_text_;
};

// Adds clips (one undo step); revert removes them. The clips carry their UUIDs from the start.
class AddClipsCommand : public projects::Command {
public:
    AddClipsCommand(std::vector<projects::ClipRow> clips, std::string label);
    Status apply(projects::Project& project) override;
    Status revert(projects::Project& project) override;
    std::string label() const override { return label_; }
    const std::vector<projects::ClipRow>& clips() const { return clips_; }

private:
    std::vector<projects::ClipRow> clips_;
    std::string label_;
};

// The subtitle items a transcript becomes on the project's timeline (ensure_timeline: created
// when there is none): one per non-empty segment, on the first subtitle track, shifted to where
// the transcript's asset sits when that asset is a clip on the timeline. Errors: the store's;
// InvalidArgument when the transcript has no text or the timeline no subtitle track.
Result<std::vector<projects::ClipRow>> transcript_subtitle_clips(projects::Project& project,
                                                                 std::string_view transcript_uuid);
// transcript_subtitle_clips as one command for UndoStack::push ("Transcript to subtitles").
Result<std::unique_ptr<AddClipsCommand>> transcript_to_subtitles_command(projects::Project& project,
                                                                          std::string_view transcript_uuid);

}  // namespace atelier::pipelines
