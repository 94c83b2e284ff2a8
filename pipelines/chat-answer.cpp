// One "chat" job: model -> prompt -> generate -> persisted answer and provenance.
// Invariants: the message always leaves 'streaming' when the job ends (done, stopped or failed;
// only a killed process leaves it streaming, and the next open marks it interrupted); the
// generation row gets the model hash, every parameter, the seed and the timings, whatever the
// outcome; the slot's token list always matches what its state holds.
// Thread-safety: runs on a job worker; Core members under Core::mutex.
#include "pipelines/chat-answer.h"

#include <algorithm>
#include <chrono>

#include <nlohmann/json.hpp>

#include "core/log.h"
#include "inference/chat/deepseek-v4-chat.h"
#include "inference/generate.h"
#include "pipelines/chat-stream.h"
#include "pipelines/chat-tree.h"

namespace atelier::pipelines {
using nlohmann::json;

// ---- Core -----------------------------------------------------------------------------------

void ChatService::Core::emit(const ChatUpdate& u) {
    std::function<void(const ChatUpdate&)> fn;
    {
        std::lock_guard lock(mutex);
        fn = on_update;
    }
    if (fn) fn(u);
}

std::unique_ptr<ChatService::Core::Slot> ChatService::Core::take_slot(const std::string& chat_uuid, const LoadedModel* model) {
    std::lock_guard lock(mutex);
    if (!slot || slot->chat_uuid != chat_uuid || slot->model.get() != model) return nullptr;  // the same loaded instance
    return std::move(slot);
}

void ChatService::Core::put_slot(std::unique_ptr<Slot> s) {
    std::lock_guard lock(mutex);
    slot = std::move(s);
}

void ChatService::Core::finished(const std::string& message_uuid) {
    std::lock_guard lock(mutex);
    active.erase(message_uuid);
}

namespace detail {

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

// What the job learned, for the provenance row.
struct Outcome {
    double load_ms = 0;
    int64_t prompt_tokens = 0;   // the whole prompt
    int64_t reused_tokens = 0;   // already in the kept state (not fed again)
    int64_t n_ctx = 0;
    infer::GenerateResult result;
    bool generated = false;
};

std::string timings_json(const Outcome& o, double total_ms) {
    const infer::GenerateTimings& t = o.result.timings;
    return json{{"load_ms", o.load_ms},
                {"prompt_tokens", o.prompt_tokens},
                {"reused_tokens", o.reused_tokens},
                {"prefill_tokens", t.prefill_tokens},
                {"prefill_ms", t.prefill_ms},
                {"prefill_tokens_per_s", t.prefill_tokens_per_s()},
                {"decode_tokens", t.decode_tokens},
                {"decode_ms", t.decode_ms},
                {"decode_tokens_per_s", t.decode_tokens_per_s()},
                {"generated_tokens", o.result.tokens.size()},
                {"stop_reason", o.generated ? infer::stop_reason_name(o.result.reason) : "none"},
                {"total_ms", total_ms}}
        .dump();
}

std::string params_json(const AnswerSpec& spec, const LoadedModel& model, const ChatServiceOptions& options, int64_t n_ctx) {
    json sampling = json::parse(spec.settings.to_json())["sampling"];  // every sampling field, as stored
    sampling["seed"] = spec.seed;                                       // the seed this answer used
    return json{{"model", model.key},
                {"model_name", model.name},
                {"files", model.files},
                {"architecture", model.lm->info().architecture},
                {"numerics", infer::numerics_name(model.lm->numerics())},
                {"thinking", spec.settings.thinking},
                {"sampling", sampling},
                {"max_tokens", spec.settings.max_tokens},
                {"n_ctx", n_ctx},
                {"prefill_chunk", options.prefill_chunk},
                {"n_threads", options.n_threads},
                {"ignore_eos", options.ignore_eos},
                {"chat_uuid", spec.chat_uuid},
                {"question_uuid", spec.question_uuid},
                {"message_uuid", spec.message_uuid}}
        .dump();
}

infer::ChatRole role_of(const std::string& role) {
    if (role == "system") return infer::ChatRole::System;
    if (role == "assistant") return infer::ChatRole::Assistant;
    if (role == "tool") return infer::ChatRole::Tool;
    return infer::ChatRole::User;
}

// The prompt text: the chat's system prompt, then the branch from the root to the question.
Result<std::string> build_prompt(projects::Project& project, const AnswerSpec& spec) {
    ATELIER_TRY_ASSIGN(projects::Chat chat, project.get_chat(spec.chat_uuid));
    ATELIER_TRY_ASSIGN(std::vector<projects::Message> messages, project.list_messages(spec.chat_uuid));
    std::vector<infer::ChatMessage> conversation;
    if (!chat.system_prompt.empty()) {
        infer::ChatMessage sys;
        sys.role = infer::ChatRole::System;
        sys.content = chat.system_prompt;
        conversation.push_back(std::move(sys));
    }
    for (size_t i : branch_path(messages, spec.question_uuid)) {
        const projects::Message& m = messages[i];
        if (m.role == "assistant" && m.content.empty() && m.reasoning.empty()) continue;  // failed before any text
        infer::ChatMessage c;
        c.role = role_of(m.role);
        c.content = m.content;
        if (c.role == infer::ChatRole::Assistant) c.reasoning = m.reasoning;
        conversation.push_back(std::move(c));
    }
    infer::ChatEncodeOptions opts;
    opts.mode = spec.settings.thinking ? infer::ThinkingMode::Thinking : infer::ThinkingMode::Chat;
    return infer::encode_deepseek_v4_chat(conversation, opts);
}

// A sequence state for this chat and model: the kept one when it fits, else a new one.
Result<std::unique_ptr<ChatService::Core::Slot>> sequence_for(ChatService::Core& core, const AnswerSpec& spec,
                                                              const std::shared_ptr<const LoadedModel>& model, int64_t n_ctx) {
    auto slot = core.take_slot(spec.chat_uuid, model.get());
    if (slot && slot->state && slot->state->n_ctx() == n_ctx) return slot;
    slot = std::make_unique<ChatService::Core::Slot>();
    slot->chat_uuid = spec.chat_uuid;
    slot->model = model;
    infer::LmStateOptions so;
    so.n_ctx = n_ctx;
    so.n_threads = spec.options.n_threads;
    ATELIER_TRY_ASSIGN(slot->state, model->lm->new_state(so));
    return slot;
}

// Loads the model (or joins a load in flight) and fills the generation's model fields.
Result<std::shared_ptr<const LoadedModel>> load_for(ChatService::Core& core, const AnswerSpec& spec, JobContext& ctx,
                                                    AnswerStream& out, Outcome& o) {
    out.set_stage("load", -1.0);
    ctx.progress(-1.0, "load");
    const auto t0 = Clock::now();
    auto model = core.models->get(spec.settings.model, ctx.stop_token(), [&](double f, std::string_view) {
        ctx.progress(f, "load");
        out.set_stage("load", f);
    });
    o.load_ms = ms_since(t0);
    return model;
}

Status generate_answer(ChatService::Core& core, const AnswerSpec& spec, JobContext& ctx, AnswerStream& out,
                       projects::Generation& gen, Outcome& o) {
    ATELIER_TRY(ctx.check_cancel());
    ATELIER_TRY_ASSIGN(std::shared_ptr<const LoadedModel> model, load_for(core, spec, ctx, out, o));
    const int64_t model_ctx = model->lm->info().max_context;
    o.n_ctx = model_ctx > 0 ? std::min(spec.settings.n_ctx, model_ctx) : spec.settings.n_ctx;
    gen.model = model->name;
    gen.model_hash = model->content_hash;
    gen.params_json = params_json(spec, *model, spec.options, o.n_ctx);
    gen.status = "running";
    if (Status st = core.project->update_generation(gen); !st.ok()) return st;
    ATELIER_TRY_ASSIGN(std::string prompt, build_prompt(*core.project, spec));
    ATELIER_TRY_ASSIGN(auto slot, sequence_for(core, spec, model, o.n_ctx));
    infer::PromptContinuation cont = infer::continue_prompt(*model->tokenizer, slot->tokens, prompt);
    if (cont.reset) {
        slot->state->reset();
        slot->tokens.clear();
    }
    o.reused_tokens = static_cast<int64_t>(slot->tokens.size());
    o.prompt_tokens = o.reused_tokens + static_cast<int64_t>(cont.feed.size());
    infer::GenerateRequest req;
    req.prompt = cont.feed;
    req.max_tokens = spec.settings.max_tokens;
    req.sampling = spec.settings.sampling;
    req.sampling.seed = spec.seed;
    req.prefill_chunk = spec.options.prefill_chunk;
    req.ignore_eos = spec.options.ignore_eos;
    req.stop = ctx.stop_token();
    int64_t generated = 0;
    req.on_token = [&](int32_t, std::string_view text) {
        out.push_token(text);
        ctx.progress(static_cast<double>(++generated) / std::max(1, req.max_tokens), "decode");  // throttled by the scheduler
    };
    req.on_prefill = [&](int64_t done, int64_t total) {
        const double f = total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 1.0;
        ctx.progress(f, "prefill");
        out.set_stage("prefill", f);
    };
    out.set_stage("prefill", 0.0);
    auto result = infer::generate(*model->lm, *slot->state, *model->tokenizer, req);
    // Keep the state for the next turn, with the tokens it really holds (n_past of them).
    slot->tokens.insert(slot->tokens.end(), cont.feed.begin(), cont.feed.end());
    if (result.ok()) slot->tokens.insert(slot->tokens.end(), result->tokens.begin(), result->tokens.end());
    slot->tokens.resize(static_cast<size_t>(std::clamp<int64_t>(slot->state->n_past(), 0, static_cast<int64_t>(slot->tokens.size()))));
    if (result.ok() && static_cast<int64_t>(slot->tokens.size()) == slot->state->n_past()) core.put_slot(std::move(slot));
    if (!result.ok()) return std::move(result).error();
    o.result = std::move(result).value();
    o.generated = true;
    if (o.result.reason == infer::StopReason::ContextFull && o.result.tokens.empty())
        return make_error(ErrorCode::ContextFull,
                          "the conversation (" + std::to_string(o.prompt_tokens) + " tokens) does not fit the context of " +
                              std::to_string(o.n_ctx) + " tokens",
                          "start a new chat, or raise the context length in the sampling panel");
    return ok_status();
}

}  // namespace

Status run_answer(ChatService::Core& core, const AnswerSpec& spec, JobContext& ctx) {
    const auto t0 = Clock::now();
    ChatUpdate ids;
    ids.chat_uuid = spec.chat_uuid;
    ids.message_uuid = spec.message_uuid;
    ids.generation_uuid = spec.generation.uuid;
    ids.stage = "queued";
    const auto interval = std::chrono::milliseconds(std::clamp(spec.options.commit_interval_ms, 1, 100));
    AnswerStream out(*core.project, ids, spec.settings.thinking ? infer::ThinkingMode::Thinking : infer::ThinkingMode::Chat,
                     interval, [&core](const ChatUpdate& u) { core.emit(u); });
    projects::Generation gen = spec.generation;
    gen.job_uuid = ctx.spec().uuid;
    Outcome o;
    Status st = generate_answer(core, spec, ctx, out, gen, o);
    const bool stopped = (st.ok() && o.result.reason == infer::StopReason::Cancelled) || (!st.ok() && is_cancelled(st.error()));
    projects::MessageState state = projects::MessageState::Done;
    gen.status = "done";
    if (stopped) {
        state = projects::MessageState::Stopped;
        gen.status = "cancelled";
    } else if (!st.ok()) {
        state = projects::MessageState::Failed;
        gen.status = "failed";
    }
    gen.timings_json = timings_json(o, ms_since(t0));
    if (Status g = core.project->update_generation(gen); !g.ok())
        ATELIER_LOG_WARN("chat: generation %s not saved: %s", gen.uuid.c_str(), g.error().message().c_str());
    core.finished(spec.message_uuid);
    Status fin = out.finish(state, st.ok() || stopped ? nullptr : &st.error());
    if (stopped) return make_error(ErrorCode::Cancelled, "answer stopped");
    if (!st.ok()) return st;
    return fin;
}

}  // namespace detail

std::string title_from_text(const std::string& text) {
    std::string line = text.substr(0, text.find('\n'));
    if (line.size() <= 40) return line;
    size_t cut = 40;
    while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;  // not inside a character
    return line.substr(0, cut) + "…";
}

}  // namespace atelier::pipelines
