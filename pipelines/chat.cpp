// ChatService: message bookkeeping on the owner thread, answers as "chat" jobs (chat-answer.cpp
// runs them), chat settings as JSON.
// Invariants: an assistant message is created 'streaming' with its generation row (status
// 'queued') in one transaction before its job is submitted; at most one answer per chat streams
// at a time; Core::active lists exactly the answers whose job has not finished.
// Thread-safety: public methods on the owner thread; Core is shared with job threads (mutex).
#include "pipelines/chat.h"

#include <random>

#include <nlohmann/json.hpp>

#include "core/uuid.h"
#include "core/version.h"
#include "pipelines/chat-answer.h"

namespace atelier::pipelines {
using nlohmann::json;

// ---- settings -------------------------------------------------------------------------------

namespace {

template <class T>
void read_field(const json& obj, const char* key, T& out) {
    if (!obj.is_object() || !obj.contains(key) || obj.at(key).is_null()) return;
    out = obj.at(key).get<T>();  // json::type_error on a wrong type: caught by from_json
}

}  // namespace

Result<ChatSettings> ChatSettings::from_json(std::string_view text) {
    ChatSettings s;
    if (text.empty()) return s;
    const json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return make_error(ErrorCode::InvalidArgument, "chat settings are not a JSON object: " + std::string(text.substr(0, 80)),
                          "reset the chat's settings in the sampling panel");
    try {
        read_field(j, "model", s.model);
        read_field(j, "thinking", s.thinking);
        read_field(j, "n_ctx", s.n_ctx);
        const json sampling = j.value("sampling", json::object());
        read_field(sampling, "temperature", s.sampling.temperature);
        read_field(sampling, "top_k", s.sampling.top_k);
        read_field(sampling, "top_p", s.sampling.top_p);
        read_field(sampling, "min_p", s.sampling.min_p);
        read_field(sampling, "repeat_penalty", s.sampling.repeat_penalty);
        read_field(sampling, "presence_penalty", s.sampling.presence_penalty);
        read_field(sampling, "frequency_penalty", s.sampling.frequency_penalty);
        read_field(sampling, "penalty_last_n", s.sampling.penalty_last_n);
        read_field(sampling, "seed", s.seed);
        read_field(sampling, "max_tokens", s.max_tokens);
    } catch (const json::exception& e) {
        return make_error(ErrorCode::InvalidArgument, std::string("chat settings: ") + e.what(),
                          "reset the chat's settings in the sampling panel");
    }
    return s;
}

std::string ChatSettings::to_json() const {
    return json{{"model", model},
                {"thinking", thinking},
                {"n_ctx", n_ctx},
                {"sampling",
                 {{"temperature", sampling.temperature},
                  {"top_k", sampling.top_k},
                  {"top_p", sampling.top_p},
                  {"min_p", sampling.min_p},
                  {"repeat_penalty", sampling.repeat_penalty},
                  {"presence_penalty", sampling.presence_penalty},
                  {"frequency_penalty", sampling.frequency_penalty},
                  {"penalty_last_n", sampling.penalty_last_n},
                  {"seed", seed},
                  {"max_tokens", max_tokens}}}}
        .dump();
}

// ---- service --------------------------------------------------------------------------------

ChatService::ChatService(Studio& studio, std::shared_ptr<ModelCache> models, ChatServiceOptions options)
    : studio_(studio), models_(models ? std::move(models) : std::make_shared<ModelCache>()) {
    core_ = std::make_shared<Core>();
    core_->project = &studio.project();
    core_->models = models_;
    core_->options = options;
    studio_.set_rerun_handler("chat", [this](const projects::JobRecord& rec) -> Result<JobId> {
        const json p = json::parse(rec.params_json, nullptr, false);
        if (!p.is_object() || !p.contains("question_uuid"))
            return make_error(ErrorCode::PipelineFailed, "chat job " + rec.uuid + " has unreadable parameters",
                              "ask the question again");
        ATELIER_TRY_ASSIGN(Answer a, answer(p["question_uuid"].get<std::string>()));
        return a.job;
    });
    studio_.set_rerun_handler("model-load", [this](const projects::JobRecord& rec) -> Result<JobId> {
        const json p = json::parse(rec.params_json, nullptr, false);
        if (!p.is_object() || !p.contains("model"))
            return make_error(ErrorCode::PipelineFailed, "model-load job " + rec.uuid + " has unreadable parameters");
        return preload(p["model"].get<std::string>());
    });
}

ChatService::~ChatService() {
    set_on_update(nullptr);
    studio_.set_rerun_handler("chat", nullptr);
    studio_.set_rerun_handler("model-load", nullptr);
}

void ChatService::set_on_update(std::function<void(const ChatUpdate&)> fn) {
    std::lock_guard lock(core_->mutex);
    core_->on_update = std::move(fn);
}

void ChatService::set_options(const ChatServiceOptions& options) { core_->options = options; }

bool ChatService::answering(const std::string& chat_uuid) const {
    std::lock_guard lock(core_->mutex);
    for (const auto& [message, a] : core_->active)
        if (a.chat_uuid == chat_uuid) return true;
    return false;
}

bool ChatService::stop(const std::string& message_uuid) {
    JobId job = 0;
    {
        std::lock_guard lock(core_->mutex);
        auto it = core_->active.find(message_uuid);
        if (it == core_->active.end()) return false;
        job = it->second.job;
    }
    return job != 0 && studio_.cancel(job);
}

bool ChatService::stop_chat(const std::string& chat_uuid) {
    std::vector<std::string> messages;
    {
        std::lock_guard lock(core_->mutex);
        for (const auto& [message, a] : core_->active)
            if (a.chat_uuid == chat_uuid) messages.push_back(message);
    }
    bool any = false;
    for (const std::string& m : messages) any = stop(m) || any;
    return any;
}

Result<ChatService::Answer> ChatService::send(const std::string& chat_uuid, const std::string& text) {
    if (text.find_first_not_of(" \t\r\n") == std::string::npos)
        return make_error(ErrorCode::InvalidArgument, "the message is empty", "type a question first");
    if (answering(chat_uuid))
        return make_error(ErrorCode::InvalidArgument, "chat " + chat_uuid + " is still answering",
                          "wait for the answer or stop it first");
    ATELIER_TRY_ASSIGN(projects::Chat chat, studio_.project().get_chat(chat_uuid));
    ATELIER_TRY_ASSIGN(ChatSettings settings, ChatSettings::from_json(chat.settings_json));
    if (settings.model.empty())
        return make_error(ErrorCode::InvalidArgument, "chat " + chat_uuid + " has no model", "pick a model in the model picker");
    ATELIER_TRY_ASSIGN(projects::Message user, studio_.project().add_message(chat_uuid, "user", text));
    ATELIER_TRY_ASSIGN(Answer a, answer(user.uuid));
    a.user_uuid = user.uuid;
    return a;
}

Result<ChatService::Answer> ChatService::edit(const std::string& message_uuid, const std::string& text) {
    ATELIER_TRY_ASSIGN(projects::Message old, studio_.project().get_message(message_uuid));
    if (old.role != "user")
        return make_error(ErrorCode::InvalidArgument, "message " + message_uuid + " is not the user's", "edit a question");
    if (answering(old.chat_uuid))
        return make_error(ErrorCode::InvalidArgument, "chat " + old.chat_uuid + " is still answering",
                          "wait for the answer or stop it first");
    projects::NewMessage m;
    m.chat_uuid = old.chat_uuid;
    m.parent_uuid = old.parent_uuid;
    m.role = "user";
    m.content = text;
    ATELIER_TRY_ASSIGN(projects::Message user, studio_.project().insert_message(m));
    ATELIER_TRY_ASSIGN(Answer a, answer(user.uuid));
    a.user_uuid = user.uuid;
    return a;
}

Result<ChatService::Answer> ChatService::regenerate(const std::string& message_uuid) {
    ATELIER_TRY_ASSIGN(projects::Message old, studio_.project().get_message(message_uuid));
    if (old.role != "assistant" || old.parent_uuid.empty())
        return make_error(ErrorCode::InvalidArgument, "message " + message_uuid + " is not an answer",
                          "regenerate an assistant message");
    if (answering(old.chat_uuid))
        return make_error(ErrorCode::InvalidArgument, "chat " + old.chat_uuid + " is still answering",
                          "wait for the answer or stop it first");
    return answer(old.parent_uuid);
}

Result<ChatService::Answer> ChatService::answer(const std::string& question_uuid) {
    projects::Project& p = studio_.project();
    ATELIER_TRY_ASSIGN(projects::Message q, p.get_message(question_uuid));
    ATELIER_TRY_ASSIGN(projects::Chat chat, p.get_chat(q.chat_uuid));
    ATELIER_TRY_ASSIGN(ChatSettings settings, ChatSettings::from_json(chat.settings_json));
    detail::AnswerSpec spec;
    spec.chat_uuid = chat.uuid;
    spec.question_uuid = question_uuid;
    spec.settings = settings;
    spec.options = core_->options;
    spec.seed = settings.seed >= 0 ? static_cast<uint64_t>(settings.seed) : (std::random_device{}() & 0x7fffffffu);
    projects::Generation gen;
    gen.uuid = uuid_v7();
    gen.kind = "chat";
    gen.model = settings.model;
    gen.status = "queued";
    gen.seed = static_cast<int64_t>(spec.seed);
    gen.app_version = ATELIER_VERSION;
    gen.params_json = json{{"model", settings.model}, {"settings", json::parse(settings.to_json())}}.dump();
    spec.generation = gen;
    {
        ATELIER_TRY_ASSIGN(projects::Transaction tx, p.begin("start answer"));
        ATELIER_TRY(p.insert_generation(gen));
        projects::NewMessage m;
        m.chat_uuid = chat.uuid;
        m.parent_uuid = question_uuid;
        m.role = "assistant";
        m.state = projects::MessageState::Streaming;
        m.generation_uuid = gen.uuid;
        ATELIER_TRY_ASSIGN(projects::Message msg, p.insert_message(m));
        ATELIER_TRY(tx.commit());
        spec.message_uuid = msg.uuid;
    }
    JobSpec job;
    job.kind = "chat";
    job.title = "Answer: " + title_from_text(q.content);
    job.params_json = json{{"chat_uuid", chat.uuid},
                           {"question_uuid", question_uuid},
                           {"message_uuid", spec.message_uuid},
                           {"generation_uuid", gen.uuid},
                           {"model", settings.model}}
                          .dump();
    {
        std::lock_guard lock(core_->mutex);
        core_->active[spec.message_uuid] = Core::Active{chat.uuid, 0};
    }
    std::shared_ptr<Core> core = core_;
    const JobId id = studio_.submit_job(std::move(job), [core, spec](JobContext& ctx) { return detail::run_answer(*core, spec, ctx); });
    {
        std::lock_guard lock(core_->mutex);
        if (auto it = core_->active.find(spec.message_uuid); it != core_->active.end()) it->second.job = id;
    }
    return Answer{question_uuid, spec.message_uuid, gen.uuid, id};
}

JobId ChatService::preload(const std::string& model) {
    JobSpec job;
    job.kind = "model-load";
    job.title = "Load " + std::filesystem::path(model).filename().string();
    job.params_json = json{{"model", model}}.dump();
    std::shared_ptr<ModelCache> models = models_;
    return studio_.submit_job(std::move(job), [models, model](JobContext& ctx) -> Status {
        auto r = models->get(model, ctx.stop_token(), [&](double f, std::string_view stage) { ctx.progress(f, stage); });
        if (!r.ok()) return std::move(r).error();
        return ok_status();
    });
}

}  // namespace atelier::pipelines
