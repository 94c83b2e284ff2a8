// `chat`: an interactive conversation with a DeepSeek V4 model on stdin/stdout, multi-turn in V4's
// chat encoding. One LmState carries the conversation; a turn feeds only what is new when the
// encoded conversation extends what the state holds (chat mode), else the state restarts.
// Ctrl+C cancels the answer being written (it is kept, as far as it got); Ctrl+C at the prompt,
// a second Ctrl+C, EOF or /quit ends. /reset starts over; /think on|off switches thinking mode.
// Main thread only.
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "cli/commands.h"
#include "cli/job-runner.h"
#include "cli/lm-common.h"
#include "inference/chat/deepseek-v4-chat.h"

namespace atelier::cli {
namespace infer = atelier::infer;

namespace {

constexpr const char* kChatUsage =
    "usage: atelier-cli chat --model PATH [--think] [--system TEXT] [--max-tokens N] [--temperature T]\n"
    "                        [--top-p P] [--top-k K] [--min-p P] [--repeat-penalty X]\n"
    "                        [--presence-penalty X] [--frequency-penalty X] [--seed S]\n"
    "                        [--threads N] [--ctx N] [--numerics released|exact] [--ignore-eos]\n"
    "                        [--weights auto|resident|mapped]\n"
    "  Chats with a DeepSeek V4 model: type a message, the answer streams back. --think starts in\n"
    "  thinking mode (reasoning shown before the answer). --max-tokens limits each answer (default 4096);\n"
    "  --ctx the whole conversation (default 16384, capped at the model's limit). --ignore-eos: answers\n"
    "  run to --max-tokens (benchmarks, tests). --weights: as for generate (default auto: in RAM when\n"
    "  the weights fit in 70% of the available memory, else mapped).\n"
    "  Commands: /reset (new conversation), /think on|off, /quit. Ctrl+C stops the answer being\n"
    "  written; Ctrl+C at the prompt, a second Ctrl+C or end of input quits.\n";

struct ChatSession {
    LoadedLm& m;
    const LmFlags& flags;
    const Cli& cli;
    std::unique_ptr<infer::LmState> state;
    std::vector<infer::ChatMessage> conversation;
    std::vector<infer::TokenId> in_state;  // what the state holds
    bool thinking = false;
    bool tty_out = ::isatty(STDOUT_FILENO) == 1;
};

void print_text(std::string_view s) {
    std::fwrite(s.data(), 1, s.size(), stdout);
    std::fflush(stdout);
}

// Streams one answer; the reasoning is shown dim on a terminal, then a blank line, then the answer.
void stream_deltas(const ChatSession& s, const std::vector<infer::ReplyDelta>& deltas, infer::ReplyPart& shown) {
    for (const auto& d : deltas) {
        if (d.part != shown) {
            if (shown == infer::ReplyPart::Reasoning) print_text(s.tty_out ? "\x1b[0m\n\n" : "\n\n");
            if (d.part == infer::ReplyPart::Reasoning && s.tty_out) print_text("\x1b[2m");
            if (d.part == infer::ReplyPart::ToolCalls) print_text("\n");
            shown = d.part;
        }
        print_text(d.text);
    }
}

// One user turn: encode, continue or restart the state, generate, keep the reply.
Status answer(ChatSession& s, const std::string& user_text) {
    s.conversation.push_back({.role = infer::ChatRole::User, .content = user_text});
    infer::ChatEncodeOptions eo;
    eo.mode = s.thinking ? infer::ThinkingMode::Thinking : infer::ThinkingMode::Chat;
    auto text = infer::encode_deepseek_v4_chat(s.conversation, eo);
    if (!text.ok()) return text.error();
    infer::PromptContinuation cont = infer::continue_prompt(*s.m.tokenizer, s.in_state, *text);
    if (cont.reset) {
        s.state->reset();
        s.in_state.clear();
    }
    infer::GenerateRequest req;
    req.prompt = cont.feed;
    req.max_tokens = s.flags.max_tokens;
    req.ignore_eos = s.flags.ignore_eos;
    req.sampling = s.flags.sampling;
    req.sampling.seed += s.conversation.size();  // a different draw per turn, reproducible per seed
    infer::DeepSeekV4ReplyParser parser(eo.mode);
    infer::ReplyPart shown = infer::ReplyPart::Answer;
    req.on_token = [&](int32_t, std::string_view piece) { stream_deltas(s, parser.push(piece), shown); };
    InterruptStop interrupt;
    req.stop = interrupt.token();
    auto r = infer::generate(*s.m.lm, *s.state, *s.m.tokenizer, req);
    if (!r.ok()) return r.error();
    stream_deltas(s, parser.finish(), shown);
    if (shown == infer::ReplyPart::Reasoning && s.tty_out) print_text("\x1b[0m");
    print_text("\n");
    s.in_state.insert(s.in_state.end(), cont.feed.begin(), cont.feed.end());
    s.in_state.insert(s.in_state.end(), r->tokens.begin(), r->tokens.end());
    s.in_state.resize(static_cast<size_t>(s.state->n_past()));
    if (r->reason == infer::StopReason::Cancelled && r->tokens.empty()) {
        s.conversation.pop_back();  // stopped before any answer: forget the question too
    } else {
        s.conversation.push_back(infer::reply_message(parser.reply()));
    }
    if (!s.cli.quiet)
        std::fprintf(stderr, "[%s; %s]\n", infer::stop_reason_name(r->reason), timings_line(r->timings).c_str());
    if (r->reason == infer::StopReason::ContextFull && !s.cli.quiet)
        std::fprintf(stderr, "the conversation is as long as the context allows: /reset to start over, or a larger --ctx\n");
    return ok_status();
}

// Handles a /command; returns false to quit.
bool command(ChatSession& s, const std::string& line) {
    if (line == "/quit" || line == "/exit") return false;
    if (line == "/reset") {
        s.conversation.clear();
        if (!s.flags.system.empty())
            s.conversation.push_back({.role = infer::ChatRole::System, .content = s.flags.system});
        s.state->reset();
        s.in_state.clear();
        std::fprintf(stderr, "[new conversation]\n");
    } else if (line == "/think on" || line == "/think off") {
        s.thinking = line == "/think on";
        std::fprintf(stderr, "[thinking mode %s]\n", s.thinking ? "on" : "off");
    } else {
        std::fprintf(stderr, "commands: /reset, /think on|off, /quit\n");
    }
    return true;
}

int chat_loop(ChatSession& s) {
    const bool tty_in = ::isatty(STDIN_FILENO) == 1;
    std::string line;
    for (;;) {
        if (tty_in) print_text("> ");
        if (!std::getline(std::cin, line)) break;  // EOF, or Ctrl+C at the prompt (EINTR)
        if (interrupt_requested()) break;
        if (line.empty()) continue;
        if (line[0] == '/') {
            if (!command(s, line)) return kExitOk;
            continue;
        }
        if (Status st = answer(s, line); !st.ok()) return report_error(s.cli, st.error());
        if (interrupt_requested()) reset_interrupt();  // that Ctrl+C stopped the answer; re-arm
    }
    if (tty_in) print_text("\n");
    return interrupt_requested() ? kExitCancelled : kExitOk;
}

}  // namespace

int cmd_chat(const Argv& argv) {
    Args args;
    Cli cli;
    int rc = 0;
    ArgSpec spec{.flags = {"--think", "--ignore-eos"}, .options = kLmOptions};
    if (!parse_command(argv, spec, "chat", kChatUsage, args, cli, &rc)) return rc;
    if (cli.json)
        return report_error(cli, make_error(ErrorCode::InvalidArgument, "chat is interactive and has no --json output",
                                            "use 'atelier-cli generate --chat --json' for one answer as JSON"),
                            kExitUsage);
    auto flags = parse_lm_flags(args, 4096);
    if (!flags.ok()) return report_error(cli, flags.error(), kExitUsage);
    auto m = load_lm(*flags, 16384, cli);
    if (!m.ok()) return report_error(cli, m.error());
    auto n_ctx = choose_ctx(*flags, m->lm->info().max_context, 16384);
    if (!n_ctx.ok()) return report_error(cli, n_ctx.error(), kExitUsage);
    infer::LmStateOptions so;
    so.n_ctx = *n_ctx;
    so.n_threads = flags->n_threads;
    auto state = m->lm->new_state(so);
    if (!state.ok()) return report_error(cli, state.error());
    ChatSession s{*m, *flags, cli, std::move(*state), {}, {}, args.has("--think")};
    if (!flags->system.empty()) s.conversation.push_back({.role = infer::ChatRole::System, .content = flags->system});
    if (!cli.quiet)
        std::fprintf(stderr, "chatting with %s (%s mode, context %lld); /quit or Ctrl+D to end\n",
                     flags->model_path.c_str(), s.thinking ? "thinking" : "chat", static_cast<long long>(*n_ctx));
    return chat_loop(s);
}

}  // namespace atelier::cli
