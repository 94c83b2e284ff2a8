// Internal to the chat pipeline: what ChatService shares with its jobs (Core) and the body of one
// "chat" job (run_answer): load the model, build the prompt along the branch, reuse the previous
// turn's sequence state when the prompt continues it, generate, and persist through AnswerStream.
// Thread-safety: Core's maps under Core::mutex; run_answer runs on a job worker.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/job.h"
#include "inference/lm.h"
#include "pipelines/chat.h"
#include "projects/project.h"

namespace atelier::pipelines {

struct ChatService::Core {
    projects::Project* project = nullptr;  // owned by the Studio, which outlives its jobs
    std::shared_ptr<ModelCache> models;
    ChatServiceOptions options;  // owner thread; each answer copies them when it starts

    std::mutex mutex;
    std::function<void(const ChatUpdate&)> on_update;
    struct Active {
        std::string chat_uuid;
        JobId job = 0;
    };
    std::map<std::string, Active> active;  // answers whose job has not finished, by message uuid

    // The sequence state of the last answer, kept so the next turn of that chat feeds only what
    // is new (continue_prompt). One slot: states can be large.
    struct Slot {
        std::string chat_uuid;
        std::shared_ptr<const LoadedModel> model;  // keeps the weights the state was built on alive
        std::unique_ptr<infer::LmState> state;
        std::vector<int32_t> tokens;  // what the state holds (n_past of them)
    };
    std::unique_ptr<Slot> slot;

    void emit(const ChatUpdate& u);
    std::unique_ptr<Slot> take_slot(const std::string& chat_uuid, const LoadedModel* model);
    void put_slot(std::unique_ptr<Slot> s);
    void finished(const std::string& message_uuid);
};

namespace detail {

struct AnswerSpec {
    std::string chat_uuid;
    std::string question_uuid;
    std::string message_uuid;
    ChatSettings settings;
    ChatServiceOptions options;        // as when the answer was started
    uint64_t seed = 0;                 // resolved (a random one when settings.seed < 0)
    projects::Generation generation;   // as inserted (status queued)
};

// The job body: always ends the message (done / stopped / failed, text kept) and its generation.
Status run_answer(ChatService::Core& core, const AnswerSpec& spec, JobContext& ctx);

}  // namespace detail
}  // namespace atelier::pipelines
