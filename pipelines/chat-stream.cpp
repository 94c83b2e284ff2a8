// AnswerStream: the committer of one streaming answer (see chat-stream.h).
// Invariant: update_ holds the text the parser has released; every commit writes exactly it, and
// an update is reported only after its commit returned (what the GUI shows is on disk).
// Thread-safety: mutex_ guards update_, dirty_ and the parser.
#include "pipelines/chat-stream.h"

#include "core/log.h"

namespace atelier::pipelines::detail {

AnswerStream::AnswerStream(projects::Project& project, ChatUpdate ids, infer::ThinkingMode mode,
                           std::chrono::milliseconds interval, EmitFn emit)
    : project_(project), update_(std::move(ids)), parser_(mode), interval_(interval), emit_(std::move(emit)) {
    update_.state = projects::MessageState::Streaming;
    thread_ = std::jthread([this](std::stop_token stop) { committer(stop); });
}

AnswerStream::~AnswerStream() {
    thread_.request_stop();
    cv_.notify_all();
}

// Commits the text when it changed and reports; stage changes wake it early. Being the only
// emitter, its reports arrive in order, and each one's text is already on disk.
void AnswerStream::committer(std::stop_token stop) {
    for (;;) {
        ChatUpdate snap;
        bool commit = false;
        {
            std::unique_lock lock(mutex_);
            cv_.wait_for(lock, stop, interval_, [&] { return report_pending_; });
            if (stop.stop_requested()) return;
            if (!dirty_ && !report_pending_) continue;
            commit = dirty_;
            dirty_ = report_pending_ = false;
            snap = snapshot_locked();
        }
        if (commit) write(snap, projects::MessageState::Streaming);
        if (emit_) emit_(snap);
    }
}

ChatUpdate AnswerStream::snapshot_locked() {
    if (first_token_ != std::chrono::steady_clock::time_point{} && update_.decode_tokens > 1) {
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - first_token_).count();
        if (s > 0) update_.decode_tokens_per_s = static_cast<double>(update_.decode_tokens - 1) / s;
    }
    return update_;
}

void AnswerStream::write(const ChatUpdate& u, projects::MessageState state) {
    Status st = project_.update_message_text(u.message_uuid, u.content, u.reasoning, state);
    if (st.ok()) return;
    ATELIER_LOG_WARN("chat: message %s not saved: %s", u.message_uuid.c_str(), st.error().message().c_str());
    std::lock_guard lock(mutex_);
    if (commit_error_.ok()) commit_error_ = st;
}

void AnswerStream::set_stage(std::string_view stage, double fraction) {
    {
        std::lock_guard lock(mutex_);
        update_.stage = std::string(stage);
        update_.stage_fraction = fraction;
        report_pending_ = true;
    }
    cv_.notify_all();
}

void AnswerStream::apply(const std::vector<infer::ReplyDelta>& deltas) {
    for (const infer::ReplyDelta& d : deltas) {
        if (d.part == infer::ReplyPart::Reasoning) update_.reasoning += d.text;
        else update_.content += d.text;  // the answer, then any tool-call markup, as generated
        dirty_ = true;
    }
}

void AnswerStream::push_token(std::string_view text) {
    std::lock_guard lock(mutex_);
    if (update_.decode_tokens == 0) {
        first_token_ = std::chrono::steady_clock::now();
        update_.stage = "decode";
        update_.stage_fraction = -1.0;
    }
    ++update_.decode_tokens;
    if (!text.empty()) apply(parser_.push(text));
}

Status AnswerStream::finish(projects::MessageState state, const Error* error) {
    thread_.request_stop();
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();  // no commit or report of the committer after ours
    ChatUpdate snap;
    {
        std::lock_guard lock(mutex_);
        apply(parser_.finish());
        update_.state = state;
        update_.stage = "done";
        update_.stage_fraction = 1.0;
        update_.final = true;
        if (error != nullptr) update_.error = *error;
        snap = snapshot_locked();
    }
    write(snap, state);
    if (emit_) emit_(snap);
    std::lock_guard lock(mutex_);
    return commit_error_;
}

std::string AnswerStream::content() const {
    std::lock_guard lock(mutex_);
    return update_.content;
}

std::string AnswerStream::reasoning() const {
    std::lock_guard lock(mutex_);
    return update_.reasoning;
}

}  // namespace atelier::pipelines::detail
