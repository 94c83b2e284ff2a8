// `atelier-cli generate` and `chat`: argument errors (exit 1), a missing model and a model of
// another architecture (exit 2, clear message), and end to end on the tiny random V4 checkpoint
// (made at test time by tools/deepseek-v4/make-tiny-v4.py, ctest fixture cli_tiny_v4): the greedy
// --json tokens equal the argmax chain of the --dump-logits rows (read back with core/npy), the
// same seed gives the same text, --prompt-tokens gives what --prompt gives, --stop cuts the text,
// the presence and frequency penalties forbid repeats when large,
// chat runs several turns with /think and /reset, and Ctrl+C cancels.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "../pipelines/test-util.h"
#include "cli-run.h"
#include "core/npy.h"

namespace atelier::test {
namespace {

using nlohmann::json;

const fs::path kTiny = fs::path(ATELIER_TINY_V4_DIR);
const fs::path kFp8 = kTiny / "tiny-v4-fp8";
const fs::path kGguf = kTiny / "tiny-v4.gguf";

CliRun cli(const std::vector<std::string>& args, const std::string& stdin_text = {}) {
    return run_cli(args, stdin_text);
}

json cli_json(const std::vector<std::string>& args, int want_code = 0) {
    const CliRun r = cli(args);
    EXPECT_EQ(r.code, want_code) << r.out << r.err;
    const json j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out;
    return j;
}

std::string error_detail(const CliRun& r) {
    const json j = json::parse(r.out, nullptr, false);
    return j.is_discarded() ? std::string() : j["error"]["detail"].get<std::string>();
}

TEST(CliGenerate, ArgumentErrorsExitOne) {
    const std::string m = kFp8.string();
    const std::vector<std::vector<std::string>> bad{
        {"--prompt", "hi"},                                             // no --model
        {"--model", m},                                                 // no prompt
        {"--model", m, "--prompt", "hi", "--prompt-tokens", "0,1"},     // both
        {"--model", m, "--prompt-tokens", "0,x"},                       // not an id
        {"--model", m, "--prompt-tokens", "0,1", "--chat"},             // ids cannot be chat-encoded
        {"--model", m, "--prompt", "hi", "--top-p", "1.5"},
        {"--model", m, "--prompt", "hi", "--temperature", "-1"},
        {"--model", m, "--prompt", "hi", "--top-k", "-3"},
        {"--model", m, "--prompt", "hi", "--seed", "abc"},
        {"--model", m, "--prompt", "hi", "--max-tokens", "many"},
        {"--model", m, "--prompt", "hi", "--numerics", "fast"},
        {"--model", m, "--prompt", "hi", "--weights", "ram"},
        {"--model", m, "--prompt", "hi", "--frobnicate"},
    };
    for (const auto& args : bad) {
        std::vector<std::string> full{"generate", "--json"};
        full.insert(full.end(), args.begin(), args.end());
        const CliRun r = cli(full);
        EXPECT_EQ(r.code, 1) << args.back() << ": " << r.out << r.err;
        const json j = json::parse(r.out, nullptr, false);
        ASSERT_FALSE(j.is_discarded()) << r.out;
        EXPECT_FALSE(j["error"]["hint"].get<std::string>().empty());
    }
    EXPECT_EQ(cli({"chat", "--think"}).code, 1);  // no --model
    EXPECT_EQ(cli({"chat", "--model", m, "--json"}).code, 1);
    const CliRun help = cli({"generate", "--help"});
    EXPECT_EQ(help.code, 0);
    EXPECT_NE(help.out.find("--dump-logits"), std::string::npos);
}

TEST(CliGenerate, MissingModelExitsTwoNamingIt) {
    const CliRun r = cli({"generate", "--json", "--model", "/no/such/model.gguf", "--prompt", "hi"});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(error_detail(r).find("/no/such/model.gguf"), std::string::npos) << r.out;
    const CliRun c = cli({"chat", "--model", "/no/such/dir"});
    EXPECT_EQ(c.code, 2);
    EXPECT_NE(c.err.find("/no/such/dir"), std::string::npos) << c.err;
}

TEST(CliGenerate, ModelOfAnotherArchitectureIsAClearError) {
    const fs::path other = fs::path(ATELIER_TEST_DATA_DIR) / "inference" / "loaders" / "fixtures" / "tiny.gguf";
    const CliRun r = cli({"generate", "--json", "--model", other.string(), "--prompt", "hi"});
    EXPECT_EQ(r.code, 2);
    const json j = json::parse(r.out, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << r.out;
    EXPECT_EQ(j["error"]["name"], "model_unsupported");
    EXPECT_NE(j["error"]["detail"].get<std::string>().find("testarch"), std::string::npos) << r.out;
    EXPECT_NE(j["error"]["hint"].get<std::string>().find("deepseek"), std::string::npos) << r.out;
}

// Greedy: each generated token is the argmax of the logits row before it (row 0: last prompt
// position), the dump has 1 + generated rows of the vocabulary, read back independently.
void check_greedy_dump(const fs::path& model) {
    TempDir tmp;
    const fs::path dump = tmp / "logits.npy";
    const json j = cli_json({"generate", "--json", "--model", model.string(), "--prompt", "The quick brown fox",
                             "--temperature", "0", "--max-tokens", "12", "--ignore-eos", "--dump-logits",
                             dump.string()});
    const auto tokens = j["tokens"].get<std::vector<int32_t>>();
    ASSERT_EQ(tokens.size(), 12u) << j.dump();
    EXPECT_EQ(j["stop_reason"], "max_tokens");
    auto a = read_npy(dump);
    ASSERT_TRUE(a.ok()) << a.error().message();
    ASSERT_EQ(a->shape.size(), 2u);
    ASSERT_EQ(a->shape[0], 13);
    const int64_t vocab = a->shape[1];
    EXPECT_EQ(vocab, 512);
    const auto rows = a->f32();
    for (size_t i = 0; i < tokens.size(); ++i) {
        const auto row = rows.subspan(i * size_t(vocab), size_t(vocab));
        const auto arg = std::max_element(row.begin(), row.end()) - row.begin();
        EXPECT_EQ(arg, tokens[i]) << "token " << i;
    }
    for (float x : rows) ASSERT_TRUE(std::isfinite(x));
    EXPECT_EQ(j["timings"]["prefill_tokens"], j["prompt_tokens"]);
    EXPECT_GT(j["timings"]["peak_rss_bytes"].get<uint64_t>(), 0u);
}

TEST(CliGenerateTinyV4, GreedyTokensAreTheArgmaxChainOfTheDumpedLogits) { check_greedy_dump(kFp8); }
TEST(CliGenerateTinyV4, GreedyOnTheGgufToo) { check_greedy_dump(kGguf); }

TEST(CliGenerateTinyV4, SameSeedSameTextDifferentSeedDifferent) {
    auto run = [](const std::string& seed) {
        return cli_json({"generate", "--json", "--model", kFp8.string(), "--prompt", "Once upon a time",
                         "--temperature", "1", "--max-tokens", "16", "--ignore-eos", "--seed", seed});
    };
    const json a = run("5"), b = run("5"), c = run("6");
    EXPECT_EQ(a["tokens"], b["tokens"]);
    EXPECT_EQ(a["text"], b["text"]);
    EXPECT_EQ(a["seed"], 5);
    EXPECT_NE(a["tokens"], c["tokens"]);
}

TEST(CliGenerateTinyV4, PromptTokensGiveWhatThePromptGives) {
    const json a = cli_json({"generate", "--json", "--model", kFp8.string(), "--prompt", "Hello there",
                             "--temperature", "0", "--max-tokens", "8"});
    const auto ids = a["prompt_ids"].get<std::vector<int32_t>>();
    ASSERT_GE(ids.size(), 2u);
    EXPECT_EQ(ids[0], 0);  // BOS
    std::string list;
    for (int32_t id : ids) list += (list.empty() ? "" : ",") + std::to_string(id);
    const json b = cli_json({"generate", "--json", "--model", kFp8.string(), "--prompt-tokens", list,
                             "--temperature", "0", "--max-tokens", "8"});
    EXPECT_EQ(b["prompt_ids"], a["prompt_ids"]);
    EXPECT_EQ(b["tokens"], a["tokens"]);
}

// --presence-penalty / --frequency-penalty reach the sampler: with a penalty far larger than any
// logit gap, greedy decoding can pick no token already in the window (the prompt included), so the
// answer's tokens are all new; without it the tiny model repeats (checked, or the test proves
// nothing). Bad values are refused.
TEST(CliGenerateTinyV4, PresenceAndFrequencyPenaltiesForbidRepeats) {
    auto run = [](std::vector<std::string> extra) {
        std::vector<std::string> a{"generate", "--json", "--model", kFp8.string(), "--prompt-tokens", "0,5,6,7",
                                   "--temperature", "0", "--max-tokens", "24", "--ignore-eos"};
        a.insert(a.end(), extra.begin(), extra.end());
        return cli_json(a);
    };
    auto repeats = [](const json& j) {
        std::vector<int32_t> seen = j["prompt_ids"].get<std::vector<int32_t>>();
        int n = 0;
        for (int32_t t : j["tokens"].get<std::vector<int32_t>>()) {
            n += std::count(seen.begin(), seen.end(), t) > 0;
            seen.push_back(t);
        }
        return n;
    };
    const json plain = run({});
    ASSERT_EQ(plain["tokens"].size(), 24u);
    ASSERT_GT(repeats(plain), 0) << "the tiny model did not repeat; pick another prompt";
    for (const char* flag : {"--presence-penalty", "--frequency-penalty"}) {
        const json pen = run({flag, "100"});
        ASSERT_EQ(pen["tokens"].size(), 24u) << flag;
        EXPECT_EQ(repeats(pen), 0) << flag;
    }
    EXPECT_EQ(cli({"generate", "--model", kFp8.string(), "--prompt", "x", "--presence-penalty", "lots"}).code, 1);
    EXPECT_EQ(cli({"generate", "--model", kFp8.string(), "--prompt", "x", "--frequency-penalty", "1e9"}).code, 1);
}

TEST(CliGenerateTinyV4, ChatEncodingWrapsThePrompt) {
    const json raw = cli_json({"generate", "--json", "--model", kFp8.string(), "--prompt", "Hi", "--max-tokens", "2"});
    const json chat = cli_json({"generate", "--json", "--model", kFp8.string(), "--prompt", "Hi", "--chat",
                                "--system", "Be brief.", "--max-tokens", "2"});
    const json think = cli_json({"generate", "--json", "--model", kFp8.string(), "--prompt", "Hi", "--think",
                                 "--max-tokens", "2"});
    const auto r = raw["prompt_ids"].get<std::vector<int32_t>>(), c = chat["prompt_ids"].get<std::vector<int32_t>>(),
               t = think["prompt_ids"].get<std::vector<int32_t>>();
    EXPECT_GT(c.size(), r.size() + 3);  // system text + <｜User｜> + <｜Assistant｜> + </think>
    EXPECT_EQ(c.front(), 0);
    EXPECT_EQ(t.size(), r.size() + 3);  // BOS <｜User｜> Hi <｜Assistant｜> <think>
    EXPECT_NE(c.back(), t.back());      // </think> against <think>
    EXPECT_GE(c.back(), 497);           // the tiny tokenizer's added tokens are ids 497..511
    EXPECT_GE(t.back(), 497);
}

TEST(CliGenerateTinyV4, StopStringCutsTheText) {
    const json full = cli_json({"generate", "--json", "--model", kFp8.string(), "--prompt", "abc",
                                "--temperature", "0", "--max-tokens", "24", "--ignore-eos"});
    const std::string text = full["text"].get<std::string>();
    // A stop string from the middle of the greedy text, on character boundaries.
    size_t start = text.size() / 2;
    while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
    size_t end = start + 1;
    while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) ++end;
    const std::string stop = text.substr(start, end - start);
    ASSERT_FALSE(stop.empty());
    const json cut = cli_json({"generate", "--json", "--model", kFp8.string(), "--prompt", "abc", "--temperature",
                               "0", "--max-tokens", "24", "--ignore-eos", "--stop", "never-there", "--stop", stop});
    EXPECT_EQ(cut["stop_reason"], "stop_string");
    EXPECT_EQ(cut["text"], text.substr(0, text.find(stop)));
}

TEST(CliGenerateTinyV4, HumanOutputStreamsTheTextAndReportsSpeed) {
    const json j = cli_json({"generate", "--json", "--model", kFp8.string(), "--prompt", "xyz", "--temperature", "0",
                             "--max-tokens", "10", "--numerics", "exact"});
    EXPECT_EQ(j["numerics"], "exact");
    const CliRun r = cli({"generate", "--model", kFp8.string(), "--prompt", "xyz", "--temperature", "0",
                       "--max-tokens", "10", "--numerics", "exact"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, j["text"].get<std::string>() + "\n");
    EXPECT_NE(r.err.find("tok/s"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("peak memory"), std::string::npos) << r.err;
    const json none = cli_json({"generate", "--json", "--model", kFp8.string(), "--prompt", "xyz", "--max-tokens", "0"});
    EXPECT_TRUE(none["tokens"].empty());
    EXPECT_EQ(none["stop_reason"], "max_tokens");
}

// The weights read into RAM or left mapped are the same bytes: the same greedy text, and the
// answer says which way they were held.
TEST(CliGenerateTinyV4, WeightsResidentOrMappedGiveTheSameTokens) {
    json runs[2];
    const char* modes[2] = {"resident", "mapped"};
    for (int i = 0; i < 2; ++i) {
        runs[i] = cli_json({"generate", "--json", "--model", kGguf.string(), "--prompt", "abc", "--temperature", "0",
                            "--max-tokens", "8", "--ignore-eos", "--weights", modes[i]});
        EXPECT_EQ(runs[i]["weights"], modes[i]);
    }
    EXPECT_GT(runs[0]["resident_weight_bytes"].get<uint64_t>(), 0u);
    EXPECT_EQ(runs[1]["resident_weight_bytes"].get<uint64_t>(), 0u);
    EXPECT_EQ(runs[0]["tokens"], runs[1]["tokens"]);
    EXPECT_EQ(runs[0]["tokens"].size(), 8u);
}

TEST(CliChatTinyV4, TurnsThinkAndReset) {
    const CliRun r = cli({"chat", "--model", kFp8.string(), "--max-tokens", "6", "--seed", "1", "--system", "Be brief."},
                      "hello\n/think on\nwhy?\n/reset\n/think off\nbye\n");
    EXPECT_EQ(r.code, 0) << r.err;
    size_t answers = 0;
    for (size_t p = r.err.find("tok/s), peak memory"); p != std::string::npos; p = r.err.find("tok/s), peak memory", p + 1))
        ++answers;
    EXPECT_EQ(answers, 3u) << r.err;
    EXPECT_NE(r.err.find("[thinking mode on]"), std::string::npos);
    EXPECT_NE(r.err.find("[new conversation]"), std::string::npos);
    EXPECT_FALSE(r.out.empty());
    // /quit ends at once.
    const CliRun q = cli({"chat", "--model", kFp8.string(), "--max-tokens", "4"}, "/quit\nhello\n");
    EXPECT_EQ(q.code, 0);
    EXPECT_EQ(q.err.find("tok/s"), std::string::npos) << q.err;
}

// Runs a long generation in the background and sends SIGINT once it has streamed some text (the
// handler is installed by then) and a little more.
CliRun interrupted(const std::string& args) {
    TempDir tmp;
    const fs::path out = tmp / "out.txt", err = tmp / "err.txt";
    const std::string cmd = "( printf 'hello\\n' | " + shell_quote(ATELIER_CLI_PATH) + " " + args + " >" +
                            shell_quote(out.string()) + " 2>" + shell_quote(err.string()) +
                            " & pid=$!; i=0; while [ ! -s " + shell_quote(out.string()) +
                            " ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done; sleep 0.2;"
                            " kill -INT $pid; wait $pid; echo $? )";
    CliRun r;
    r.code = std::atoi(trim(run_capture(cmd)).c_str());
    r.out = read_file(out);
    r.err = read_file(err);
    return r;
}

TEST(CliGenerateTinyV4, CtrlCStopsWithThePartialResult) {
    const CliRun r = interrupted("generate --model " + shell_quote(kFp8.string()) +
                                 " --prompt go --max-tokens 4000 --ctx 4096 --ignore-eos --temperature 0");
    EXPECT_EQ(r.code, 130) << r.out << r.err;
    EXPECT_NE(r.err.find("[cancelled;"), std::string::npos) << r.err;
    EXPECT_FALSE(r.out.empty());
    // chat: Ctrl+C stops the answer; the session goes on (here to the end of its input).
    const CliRun c = interrupted("chat --model " + shell_quote(kFp8.string()) +
                                 " --max-tokens 4000 --ctx 4096 --ignore-eos");
    EXPECT_EQ(c.code, 0) << c.err;
    EXPECT_NE(c.err.find("[cancelled;"), std::string::npos) << c.err;
}

}  // namespace
}  // namespace atelier::test
