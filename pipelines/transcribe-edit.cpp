// Transcript edit commands and the transcript -> subtitle items action (transcribe-edit.h).
// Each apply/revert runs inside the UndoStack's savepoint, so a failing half rolls back the whole.
// Thread-safety: the UndoStack's thread.
#include "pipelines/transcribe-edit.h"

#include <algorithm>
#include <utility>

#include "core/uuid.h"
#include "pipelines/timeline-edit.h"

namespace atelier::pipelines {

AddTranscriptCommand::AddTranscriptCommand(projects::TranscriptDoc doc, bool already_applied)
    : doc_(std::move(doc)), skip_apply_(already_applied) {
    if (doc_.transcript.uuid.empty()) doc_.transcript.uuid = uuid_v7();
    for (auto& s : doc_.segments)
        if (s.uuid.empty()) s.uuid = uuid_v7();
}

Status AddTranscriptCommand::apply(projects::Project& project) {
    if (std::exchange(skip_apply_, false)) return ok_status();
    ATELIER_TRY_ASSIGN(projects::TranscriptDoc added, projects::create_transcript(project, doc_));
    (void)added;
    return ok_status();
}

Status AddTranscriptCommand::revert(projects::Project& project) {
    return projects::remove_transcript(project, doc_.transcript.uuid);
}

std::string AddTranscriptCommand::label() const {
    return doc_.transcript.title.empty() ? "Transcribe" : "Transcribe " + doc_.transcript.title;
}

RemoveTranscriptCommand::RemoveTranscriptCommand(std::string transcript_uuid) : uuid_(std::move(transcript_uuid)) {}

Status RemoveTranscriptCommand::apply(projects::Project& project) {
    ATELIER_TRY_ASSIGN(saved_, projects::load_transcript(project, uuid_));
    return projects::remove_transcript(project, uuid_);
}

Status RemoveTranscriptCommand::revert(projects::Project& project) {
    ATELIER_TRY_ASSIGN(projects::TranscriptDoc added, projects::create_transcript(project, saved_));
    (void)added;
    return ok_status();
}

EditSegmentTextCommand::EditSegmentTextCommand(std::string segment_uuid, std::string before, std::string after)
    : segment_(std::move(segment_uuid)), before_(std::move(before)), after_(std::move(after)) {}

Status EditSegmentTextCommand::apply(projects::Project& project) {
    return projects::set_segment_text(project, segment_, after_);
}

Status EditSegmentTextCommand::revert(projects::Project& project) {
    return projects::set_segment_text(project, segment_, before_);
}

bool EditSegmentTextCommand::merge_with(const Command& next) {
    const auto* n = dynamic_cast<const EditSegmentTextCommand*>(&next);
    if (n == nullptr || n->segment_ != segment_) return false;
    after_ = n->after_;
    return true;
}

EditWordTextCommand::EditWordTextCommand(std::string segment_uuid, int64_t seq, std::string before_word,
                                         std::string after_word, std::string before_segment_text)
    : segment_(std::move(segment_uuid)), seq_(seq), before_(std::move(before_word)), after_(std::move(after_word)),
      segment_text_(std::move(before_segment_text)) {}

Status EditWordTextCommand::apply(projects::Project& project) {
    return projects::set_word_text(project, segment_, seq_, after_);
}

Status EditWordTextCommand::revert(projects::Project& project) {
    ATELIER_TRY(projects::set_word_text(project, segment_, seq_, before_));
    return projects::set_segment_text(project, segment_, segment_text_);
}

AddClipsCommand::AddClipsCommand(std::vector<projects::ClipRow> clips, std::string label)
    : clips_(std::move(clips)), label_(std::move(label)) {
    for (auto& c : clips_)
        if (c.uuid.empty()) c.uuid = uuid_v7();
}

Status AddClipsCommand::apply(projects::Project& project) {
    for (const auto& c : clips_) {
        auto added = projects::add_clip(project, c);
        if (!added.ok()) return added.error();
    }
    return ok_status();
}

Status AddClipsCommand::revert(projects::Project& project) {
    for (auto it = clips_.rbegin(); it != clips_.rend(); ++it) ATELIER_TRY(projects::remove_clip(project, it->uuid));
    return ok_status();
}

Result<std::vector<projects::ClipRow>> transcript_subtitle_clips(projects::Project& project, std::string_view transcript_uuid) {
    ATELIER_TRY_ASSIGN(projects::TranscriptDoc doc, projects::load_transcript(project, transcript_uuid));
    ATELIER_TRY_ASSIGN(projects::TimelineDoc tl, ensure_timeline(project));
    const projects::TrackRow* track = nullptr;
    for (const auto& t : tl.tracks)
        if (t.kind == projects::TrackKind::Subtitle && track == nullptr) track = &t;
    if (track == nullptr)
        return make_error(ErrorCode::InvalidArgument, project.path().string() + ": the timeline has no subtitle track",
                          "add a subtitle track to the timeline first");
    int64_t offset_ms = 0;  // where the transcribed asset's time 0 lies on the timeline
    for (const auto& c : tl.clips) {
        if (!doc.transcript.asset_uuid.empty() && c.asset_uuid == doc.transcript.asset_uuid) {
            offset_ms = c.start_ms - c.source_in_ms;
            break;
        }
    }
    std::vector<projects::ClipRow> clips;
    for (const auto& s : doc.segments) {
        std::string text = s.text;
        text.erase(0, text.find_first_not_of(" \t\n"));
        if (text.empty()) continue;
        projects::ClipRow row;
        row.uuid = uuid_v7();
        row.track_uuid = track->uuid;
        row.start_ms = std::max<int64_t>(0, s.start_ms + offset_ms);
        row.duration_ms = std::max<int64_t>(1, s.end_ms + offset_ms - row.start_ms);
        row.text = std::move(text);
        clips.push_back(std::move(row));
    }
    if (clips.empty())
        return make_error(ErrorCode::InvalidArgument, "transcript " + std::string(transcript_uuid) + " has no text",
                          "transcribe a file with speech first");
    return clips;
}

Result<std::unique_ptr<AddClipsCommand>> transcript_to_subtitles_command(projects::Project& project,
                                                                          std::string_view transcript_uuid) {
    ATELIER_TRY_ASSIGN(auto clips, transcript_subtitle_clips(project, transcript_uuid));
    return std::make_unique<AddClipsCommand>(std::move(clips), "Transcript to subtitles");
}

}  // namespace atelier::pipelines
