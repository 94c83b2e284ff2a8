// Chat: answers from a language model, persisted as they stream. ChatService adds the user's
// message (or an edited sibling of one), then runs the answer as a "chat" job on the Studio's job
// queue: it loads the model through the shared ModelCache, builds the conversation along the
// branch that leads to the question, encodes it with the model's chat format (DeepSeek V4),
// generate()s, and commits the growing answer (text and reasoning) at least every 100 ms and at
// the end, so a killed process keeps what had streamed (reopening marks it interrupted). Each
// answer records its provenance in `generations` (model file and hash, every parameter, seed,
// timings). Stop cancels the job (state 'stopped', text kept); regenerate adds a sibling answer.
// Thread-safety: construct, call and destroy on the Studio's owner thread. Updates fire on worker
// threads (the job's, or its committer's); the GUI hops them to its thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/job.h"
#include "core/result.h"
#include "inference/generate.h"
#include "pipelines/chat-models.h"
#include "pipelines/studio.h"
#include "projects/project.h"

namespace atelier::pipelines {

// How a chat makes answers; stored in chats.settings_json.
struct ChatSettings {
    std::string model;                 // a model path (or a ModelCache key)
    bool thinking = false;             // V4 thinking mode: reasoning first, shown apart
    infer::SamplingParams sampling{};  // temperature, top_k, top_p, min_p, penalties (seed below)
    int64_t seed = -1;                 // -1: a fresh random seed per answer (recorded); else fixed
    int32_t max_tokens = 2048;
    int64_t n_ctx = 8192;              // context of the sequence (capped by the model's own)

    // Missing fields keep their defaults. InvalidArgument for text that is not a JSON object.
    static Result<ChatSettings> from_json(std::string_view json_text);
    std::string to_json() const;
};

// The progress of one answer, as the GUI shows it. Full text so far, not deltas.
struct ChatUpdate {
    std::string chat_uuid;
    std::string message_uuid;
    std::string generation_uuid;
    projects::MessageState state = projects::MessageState::Streaming;
    std::string content;
    std::string reasoning;
    std::string stage;                 // "queued", "load", "prefill", "decode", "done"
    double stage_fraction = -1.0;      // negative: indeterminate
    int64_t decode_tokens = 0;
    double decode_tokens_per_s = 0.0;  // live rate since the first token
    bool final = false;                // the last update of this answer
    Error error;                       // state Failed: why
};

struct ChatServiceOptions {
    int n_threads = 0;                 // compute threads per answer; 0: all cores
    int commit_interval_ms = 50;       // how often the growing answer is committed (<= 100)
    int32_t prefill_chunk = 256;       // tokens per eval() during prefill (cancel granularity)
    bool ignore_eos = false;           // tests, benchmarks: answers run to max_tokens
};

// A title from a question: its first line, at most ~40 bytes (cut at a UTF-8 boundary, "…" added).
std::string title_from_text(const std::string& text);

class ChatService {
public:
    ChatService(Studio& studio, std::shared_ptr<ModelCache> models, ChatServiceOptions options = {});
    ~ChatService();  // stops reporting; running answers end with the Studio (cancelled)
    ChatService(const ChatService&) = delete;
    ChatService& operator=(const ChatService&) = delete;

    // Called with every update of every answer, on worker threads; must be quick.
    void set_on_update(std::function<void(const ChatUpdate&)> fn);
    // Options for the answers started from now on.
    void set_options(const ChatServiceOptions& options);
    ModelCache& models() { return *models_; }

    struct Answer {
        std::string user_uuid;        // the question (new for send/edit)
        std::string message_uuid;     // the assistant message that streams
        std::string generation_uuid;
        JobId job = 0;
    };
    // Adds a user message at the end of the branch shown and answers it. InvalidArgument when
    // the chat is still answering or no model is set.
    Result<Answer> send(const std::string& chat_uuid, const std::string& text);
    // A new answer beside the assistant message `message_uuid` (same question).
    Result<Answer> regenerate(const std::string& message_uuid);
    // A sibling of user message `message_uuid` with `text` (a new branch), answered.
    Result<Answer> edit(const std::string& message_uuid, const std::string& text);
    // Answers user message `question_uuid` (a new assistant child of it).
    Result<Answer> answer(const std::string& question_uuid);

    bool stop(const std::string& message_uuid);   // false if that message is not streaming here
    bool stop_chat(const std::string& chat_uuid);
    bool answering(const std::string& chat_uuid) const;

    // Loads a model ahead of use as a "model-load" job (progress, cancel); the answer jobs that
    // need it wait for it instead of loading it twice.
    JobId preload(const std::string& model);

    struct Core;  // shared with the jobs (chat.cpp)

private:
    Studio& studio_;
    std::shared_ptr<ModelCache> models_;
    std::shared_ptr<Core> core_;
};

}  // namespace atelier::pipelines
