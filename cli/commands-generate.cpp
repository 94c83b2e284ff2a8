// `generate`: one completion from a text model (DeepSeek V4), streamed to stdout. The prompt is
// raw text (BOS added), explicit token ids, or a chat turn in V4's encoding (--chat, --think,
// --system). Prints prefill/decode tokens/s and peak memory at the end (stderr, or in --json);
// --dump-logits writes every logits row as .npy. Ctrl+C stops with the partial text (exit 130).
// Main thread only.
#include <cstdio>
#include <cstdlib>

#include "cli/commands.h"
#include "cli/lm-common.h"
#include "core/npy.h"
#include "inference/chat/deepseek-v4-chat.h"

namespace atelier::cli {
using nlohmann::json;
namespace infer = atelier::infer;

namespace {

constexpr const char* kGenerateUsage =
    "usage: atelier-cli generate --model PATH (--prompt TEXT | --prompt-tokens 0,15,27) [--chat] [--think]\n"
    "                            [--system TEXT] [--max-tokens N] [--temperature T] [--top-p P] [--top-k K]\n"
    "                            [--min-p P] [--repeat-penalty X] [--presence-penalty X]\n"
    "                            [--frequency-penalty X] [--seed S] [--threads N] [--ctx N]\n"
    "                            [--numerics released|exact] [--weights auto|resident|mapped]\n"
    "                            [--dump-logits FILE.npy] [--stop STR]... [--ignore-eos] [--json]\n"
    "  Generates text from a DeepSeek V4 model (.gguf file or safetensors folder) and streams it to stdout.\n"
    "  --prompt TEXT         raw prompt (BOS added); --prompt-tokens: token ids, used as given\n"
    "  --chat                wrap --prompt as a user turn in V4's chat encoding (answer directly)\n"
    "  --think               thinking mode: the model reasons in <think> first (implies --chat)\n"
    "  --system TEXT         system prompt (implies --chat)\n"
    "  --max-tokens N        tokens to generate at most (default 256)\n"
    "  --temperature T       0: greedy; default 1.0 (DeepSeek's recommendation). --top-p P (default 1),\n"
    "                        --top-k K (0: off), --min-p P (0: off), --repeat-penalty X (1: off)\n"
    "  --presence-penalty X  subtracted from the logit of every token among the last 256 (prompt\n"
    "                        included; 0: off); --frequency-penalty X: the same per occurrence\n"
    "  --seed S              the same seed gives the same text (default: a new seed, printed)\n"
    "  --ctx N               context length (default: enough for prompt + answer, at least 4096)\n"
    "  --numerics released   what the released model computes (default); exact: fp32, for verification\n"
    "  --weights auto        read the weights into RAM (2 MiB pages: faster decode) when they fit in 70%\n"
    "                        of the available memory, else map them (default); resident / mapped force it\n"
    "  --dump-logits F.npy   float32 [1 + generated, vocab]: row 0 at the last prompt position, row i\n"
    "                        after the i-th generated token was fed\n"
    "  --stop STR            stop when the text contains STR (cut off); may be repeated\n"
    "  --ignore-eos          do not stop at end-of-sentence (benchmarks: exactly --max-tokens tokens)\n"
    "  --json                print {\"tokens\",\"text\",\"stop_reason\",\"timings\",...} instead of streaming\n";

Result<std::vector<int32_t>> parse_token_list(const std::string& text) {
    std::vector<int32_t> ids;
    size_t at = 0;
    while (at <= text.size()) {
        const size_t comma = std::min(text.find(',', at), text.size());
        const std::string item = text.substr(at, comma - at);
        char* end = nullptr;
        const long long v = std::strtoll(item.c_str(), &end, 10);
        if (item.empty() || *end != '\0' || v < 0 || v > infer::kMaxTokenId)
            return make_error(ErrorCode::InvalidArgument, "--prompt-tokens: '" + item + "' is not a token id",
                              "give comma-separated ids, e.g. --prompt-tokens 0,15,27");
        ids.push_back(static_cast<int32_t>(v));
        at = comma + 1;
    }
    return ids;
}

Status check_prompt_flags(const Args& args, bool chat) {
    const bool has_text = args.options.count("--prompt") != 0, has_ids = args.options.count("--prompt-tokens") != 0;
    if (has_text == has_ids)
        return make_error(ErrorCode::InvalidArgument, "give exactly one of --prompt TEXT and --prompt-tokens IDS",
                          "e.g. --prompt 'Hello' or --prompt-tokens 0,15,27");
    if (has_ids && chat)
        return make_error(ErrorCode::InvalidArgument, "--prompt-tokens cannot be combined with --chat/--think/--system",
                          "token ids are used as given; write the chat markup into them, or use --prompt");
    return ok_status();
}

Result<std::vector<int32_t>> prompt_ids(const Args& args, const LmFlags& flags, const infer::Tokenizer& tok, bool chat) {
    if (args.options.count("--prompt-tokens")) return parse_token_list(args.option("--prompt-tokens"));
    const std::string prompt = args.option("--prompt");
    if (!chat) return tok.encode(prompt, {.parse_special = true, .add_bos = true});
    std::vector<infer::ChatMessage> messages;
    if (!flags.system.empty()) messages.push_back({.role = infer::ChatRole::System, .content = flags.system});
    messages.push_back({.role = infer::ChatRole::User, .content = prompt});
    infer::ChatEncodeOptions eo;
    eo.mode = args.has("--think") ? infer::ThinkingMode::Thinking : infer::ThinkingMode::Chat;
    return infer::encode_deepseek_v4_chat_ids(tok, messages, eo);
}

json result_json(const infer::GenerateResult& r, const LmFlags& flags, const std::vector<int32_t>& prompt,
                 int64_t n_ctx, uint64_t resident_bytes, uint64_t repacked_bytes) {
    return json{{"tokens", r.tokens},
                {"prompt_ids", prompt},
                {"text", r.text},
                {"stop_reason", infer::stop_reason_name(r.reason)},
                {"timings", timings_json(r.timings)},
                {"seed", flags.sampling.seed},
                {"prompt_tokens", prompt.size()},
                {"n_ctx", n_ctx},
                {"numerics", infer::numerics_name(flags.numerics)},
                {"weights", resident_bytes ? "resident" : "mapped"},  // what --weights came to
                {"resident_weight_bytes", resident_bytes},
                {"repacked_weight_bytes", repacked_bytes}};  // Q4_K regrouped for the AVX-512 matvec
}

// Runs generation with streaming, the logits dump and Ctrl+C; returns the exit code.
int run_generation(const Cli& cli, LoadedLm& m, const LmFlags& flags, infer::GenerateRequest req,
                   const std::string& dump_path, int64_t n_ctx) {
    infer::LmStateOptions so;
    so.n_ctx = n_ctx;
    so.n_threads = flags.n_threads;
    auto state = m.lm->new_state(so);
    if (!state.ok()) return report_error(cli, state.error());
    std::unique_ptr<NpyRowWriter> dump;
    Status dump_status;
    if (!dump_path.empty()) {
        auto w = NpyRowWriter::create(dump_path, NpyType::F32, {m.lm->info().vocab_size});
        if (!w.ok()) return report_error(cli, w.error());
        dump = std::move(*w);
        req.on_logits = [&](int64_t, std::span<const float> row) {
            if (dump_status.ok()) dump_status = dump->append(row);
        };
    }
    if (!cli.json)
        req.on_token = [](int32_t, std::string_view text) {
            std::fwrite(text.data(), 1, text.size(), stdout);
            std::fflush(stdout);
        };
    InterruptStop interrupt;
    req.stop = interrupt.token();
    auto r = infer::generate(*m.lm, **state, *m.tokenizer, req);
    if (dump && dump_status.ok()) dump_status = dump->finish();
    if (!r.ok()) return report_error(cli, r.error());
    if (!dump_status.ok()) return report_error(cli, dump_status.error());
    if (cli.json) {
        print_json(result_json(*r, flags, req.prompt, n_ctx, m.model->resident_bytes(), m.lm->info().repacked_weight_bytes));
    } else {
        std::fputc('\n', stdout);
        std::fflush(stdout);
        if (!cli.quiet) {
            std::fprintf(stderr, "[%s; %s%s]\n", infer::stop_reason_name(r->reason), timings_line(r->timings).c_str(),
                         flags.seed_given ? "" : ("; seed " + std::to_string(flags.sampling.seed)).c_str());
        }
    }
    return r->reason == infer::StopReason::Cancelled ? kExitCancelled : kExitOk;
}

}  // namespace

int cmd_generate(const Argv& argv) {
    Args args;
    Cli cli;
    int rc = 0;
    ArgSpec spec{.flags = {"--chat", "--think", "--ignore-eos"}, .options = kLmOptions};
    spec.options.insert({"--prompt", "--prompt-tokens", "--dump-logits", "--stop"});
    if (!parse_command(argv, spec, "generate", kGenerateUsage, args, cli, &rc)) return rc;
    auto flags = parse_lm_flags(args, 256);
    if (!flags.ok()) return report_error(cli, flags.error(), kExitUsage);
    const bool chat = args.has("--chat") || args.has("--think") || args.options.count("--system");
    if (Status st = check_prompt_flags(args, chat); !st.ok()) return report_error(cli, st.error(), kExitUsage);

    // Plan for an upper bound of the prompt (a token is at least one byte), before anything loads.
    const int64_t prompt_bound = static_cast<int64_t>(args.option("--prompt").size() + flags->system.size()) + 64 +
                                 static_cast<int64_t>(args.option("--prompt-tokens").size());
    auto m = load_lm(*flags, prompt_bound + flags->max_tokens, cli);
    if (!m.ok()) return report_error(cli, m.error());
    auto prompt = prompt_ids(args, *flags, *m->tokenizer, chat);
    if (!prompt.ok()) return report_error(cli, prompt.error(), kExitUsage);
    for (int32_t id : *prompt)
        if (id >= m->lm->info().vocab_size)
            return report_error(cli,
                                make_error(ErrorCode::InvalidArgument,
                                           "--prompt-tokens: id " + std::to_string(id) + " is outside the vocabulary (" +
                                               std::to_string(m->lm->info().vocab_size) + " tokens)",
                                           "give ids below the model's vocabulary size"),
                                kExitUsage);
    auto n_ctx = choose_ctx(*flags, m->lm->info().max_context,
                            static_cast<int64_t>(prompt->size()) + flags->max_tokens + 1);
    if (!n_ctx.ok()) return report_error(cli, n_ctx.error(), kExitUsage);

    infer::GenerateRequest req;
    req.prompt = std::move(*prompt);
    req.max_tokens = flags->max_tokens;
    req.sampling = flags->sampling;
    req.stop_strings = args.option_values("--stop");
    req.ignore_eos = flags->ignore_eos;
    return run_generation(cli, *m, *flags, std::move(req), args.option("--dump-logits"), *n_ctx);
}

}  // namespace atelier::cli
