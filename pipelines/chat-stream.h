// Internal to the chat pipeline: AnswerStream, the persisting side of one streaming answer.
// Generated text goes through the V4 reply parser (reasoning apart from the answer); a committer
// thread writes the text so far to the message row every `interval` while it changes (so a kill
// loses at most the last interval) and then reports exactly what it wrote; finish() stops it and
// writes the final text and state. Decode never waits on the database.
// Thread-safety: push/set_stage from the job's thread; the committer is internal; finish() once,
// from the job's thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>

#include "inference/chat/deepseek-v4-chat.h"
#include "pipelines/chat.h"
#include "projects/project.h"

namespace atelier::pipelines::detail {

class AnswerStream {
public:
    using EmitFn = std::function<void(const ChatUpdate&)>;
    AnswerStream(projects::Project& project, ChatUpdate ids, infer::ThinkingMode mode, std::chrono::milliseconds interval,
                 EmitFn emit);
    ~AnswerStream();  // stops the committer (finish() should have run)
    AnswerStream(const AnswerStream&) = delete;
    AnswerStream& operator=(const AnswerStream&) = delete;

    void set_stage(std::string_view stage, double fraction);  // reported at once
    void push_token(std::string_view text);                    // one generated token's text
    // Flushes the parser, commits the final text with `state`, reports the final update.
    Status finish(projects::MessageState state, const Error* error);
    std::string content() const;
    std::string reasoning() const;

private:
    void committer(std::stop_token stop);
    ChatUpdate snapshot_locked();  // mutex_ held: the update with the live rate filled in
    void write(const ChatUpdate& u, projects::MessageState state);
    void apply(const std::vector<infer::ReplyDelta>& deltas);

    projects::Project& project_;
    ChatUpdate update_;   // ids, text so far, stage, stats
    infer::DeepSeekV4ReplyParser parser_;
    std::chrono::milliseconds interval_;
    EmitFn emit_;
    mutable std::mutex mutex_;
    std::condition_variable_any cv_;
    bool dirty_ = false;           // text changed since the last commit
    bool report_pending_ = false;  // a stage change waits to be reported
    Status commit_error_;          // the first failed commit, reported by finish()
    std::chrono::steady_clock::time_point first_token_{};
    std::jthread thread_;          // the committer; the only emitter until finish()
};

}  // namespace atelier::pipelines::detail
