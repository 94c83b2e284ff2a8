#!/usr/bin/env python3
"""Chat-encoding goldens for DeepSeek V4 (issue 4, "Chat encoding goldens").

Writes tests/inference/runtime/goldens/deepseek-v4-chat.json: our own conversations (multi-turn,
thinking, tool calls, system prompts, ...) with the prompt text DeepSeek's own encoder makes for
them, the token ids the reference `tokenizers` package gives that text with our tokenizer
fixture, and completions with what DeepSeek's parser makes of them.

DeepSeek's encoder is not in this repository and is never committed. Give it at generation time:
    git clone https://github.com/Nicooo-Wang/DeepSeek-V4-Pro-code ds && git -C ds checkout 0ec3a03
    .venv/bin/python tools/deepseek-v4-chat/make-chat-goldens.py --encoder-dir ds/encoding
or  --repo GITDIR (a clone, bare or not; the encoding/ folder of --commit is read with git show).
Before use the script runs DeepSeek's published examples (encoding/tests/test_input_N.json against
test_output_N.txt, and the README's quick-start prompt) and stops if any differs.
"""
import argparse
import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURE = os.path.join(ROOT, "tests", "inference", "tokenizer", "fixtures", "tokenizer.json")
OUT = os.path.join(ROOT, "tests", "inference", "runtime", "goldens", "deepseek-v4-chat.json")

BOS, EOS = "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>"
USER, ASSISTANT = "<｜User｜>", "<｜Assistant｜>"

WEATHER_TOOLS = [
    {"type": "function", "function": {
        "name": "get_weather",
        "description": "Current weather for a city — temperature in °C",
        "parameters": {"type": "object", "properties": {
            "city": {"type": "string", "description": "City name, e.g. \"Paris\""},
            "days": {"type": "integer", "minimum": 1, "default": 1},
            "detail": {"type": "number", "default": 0.5},
        }, "required": ["city"]}}},
    {"type": "function", "function": {
        "name": "convert_units",
        "description": "Convert a value",
        "parameters": {"type": "object", "properties": {
            "value": {"type": "number"}, "to": {"type": "string", "enum": ["F", "K"]},
            "flags": {"type": "array", "items": {"type": "boolean"}},
        }}}},
]

ARGS_MIXED = json.dumps({"city": "Zürich \"old town\"\nnorth", "days": 3, "detail": 1.25,
                         "flags": [True, False], "opts": {"units": "metric", "n": None}}, ensure_ascii=False)


def call(cid, name, args):
    return {"id": cid, "type": "function", "function": {"name": name, "arguments": args}}


def conversations():
    """(name, mode, options, messages). Options: drop_thinking, add_bos, reasoning_effort."""
    sys_msg = {"role": "system", "content": "You are a concise assistant."}
    return [
        ("chat-single-turn", "chat", {}, [sys_msg, {"role": "user", "content": "Name three primes."}]),
        ("chat-no-system", "chat", {}, [{"role": "user", "content": "Hi"}]),
        ("chat-multi-turn", "chat", {}, [
            sys_msg,
            {"role": "user", "content": "What is 7 * 6?"},
            {"role": "assistant", "content": "42."},
            {"role": "user", "content": "And 7 * 7?"},
            {"role": "assistant", "content": "49.", "reasoning_content": "ignored in chat mode"},
            {"role": "user", "content": "Thanks!"},
        ]),
        ("chat-completed-turn", "chat", {}, [
            sys_msg, {"role": "user", "content": "Say ok."}, {"role": "assistant", "content": "ok"}]),
        ("thinking-open", "thinking", {}, [sys_msg, {"role": "user", "content": "Is 91 prime?"}]),
        ("thinking-multi-turn-drops-earlier-reasoning", "thinking", {}, [
            sys_msg,
            {"role": "user", "content": "Is 91 prime?"},
            {"role": "assistant", "reasoning_content": "91 = 7 * 13.", "content": "No: 7 × 13."},
            {"role": "user", "content": "Is 97 prime?"},
            {"role": "assistant", "reasoning_content": "No divisor up to 9.", "content": "Yes."},
        ]),
        ("thinking-multi-turn-open", "thinking", {}, [
            sys_msg,
            {"role": "user", "content": "Is 91 prime?"},
            {"role": "assistant", "reasoning_content": "91 = 7 * 13.", "content": "No: 7 × 13."},
            {"role": "user", "content": "Is 97 prime?"},
        ]),
        ("thinking-keep-reasoning", "thinking", {"drop_thinking": False}, [
            sys_msg,
            {"role": "user", "content": "Is 91 prime?"},
            {"role": "assistant", "reasoning_content": "91 = 7 * 13.", "content": "No."},
            {"role": "user", "content": "Is 97 prime?"},
        ]),
        ("thinking-tools", "thinking", {}, [
            dict(sys_msg, tools=WEATHER_TOOLS),
            {"role": "user", "content": "Weather in Zürich, and 20 °C in F?"},
            {"role": "assistant", "reasoning_content": "Two tools: weather, then conversion.",
             "content": "Let me check.",
             "tool_calls": [call("call_a", "get_weather", ARGS_MIXED),
                            call("call_b", "convert_units", '{"value": 20, "to": "F"}')]},
            {"role": "tool", "tool_call_id": "call_b", "content": "68"},
            {"role": "tool", "tool_call_id": "call_a", "content": "{\"temp\": 18, \"sky\": \"cloudy\"}"},
            {"role": "assistant", "reasoning_content": "Both results are in.",
             "content": "Zürich: 18 °C, cloudy. 20 °C = 68 °F."},
            {"role": "user", "content": "And tomorrow?"},
        ]),
        ("chat-tools", "chat", {}, [
            dict(sys_msg, tools=WEATHER_TOOLS[:1]),
            {"role": "user", "content": "Weather in Oslo?"},
            {"role": "assistant", "tool_calls": [call("c1", "get_weather", '{"city": "Oslo"}')]},
            {"role": "tool", "tool_call_id": "c1", "content": "-3 °C, snow"},
        ]),
        ("tool-result-then-user-text", "chat", {}, [
            dict(sys_msg, tools=WEATHER_TOOLS[:1]),
            {"role": "user", "content": "Weather in Oslo?"},
            {"role": "assistant", "tool_calls": [call("c1", "get_weather", '{"city": "Oslo"}')]},
            {"role": "tool", "tool_call_id": "c1", "content": "-3 °C, snow"},
            {"role": "user", "content": "Answer in one word."},
        ]),
        ("consecutive-users-merge", "chat", {}, [
            {"role": "user", "content": "First part."}, {"role": "user", "content": "Second part."}]),
        ("developer-and-reminder", "thinking", {}, [
            {"role": "system", "content": "Assistant."},
            {"role": "latest_reminder", "content": "2026-05-01, Paris, en"},
            {"role": "developer", "content": "Find the answer.", "tools": WEATHER_TOOLS[:1]},
            {"role": "assistant", "reasoning_content": "Search first.",
             "tool_calls": [call("d1", "get_weather", '{"city": "Paris", "days": 2}')]},
            {"role": "tool", "tool_call_id": "d1", "content": "sunny"},
        ]),
        ("thinking-drops-earlier-developer", "thinking", {}, [
            {"role": "developer", "content": "Be brief."},
            {"role": "assistant", "reasoning_content": "ok", "content": "Understood."},
            {"role": "user", "content": "2+2?"},
        ]),
        ("effort-max", "thinking", {"reasoning_effort": "max"}, [sys_msg, {"role": "user", "content": "Prove it."}]),
        ("no-bos", "chat", {"add_bos": False}, [sys_msg, {"role": "user", "content": "Continue."}]),
        ("response-format", "chat", {}, [
            dict(sys_msg, response_format={"type": "json_object", "schema": {"answer": "string", "score": 0.75}}),
            {"role": "user", "content": "Rate it."}]),
        ("arguments-not-json", "chat", {}, [
            {"role": "user", "content": "Run it."},
            {"role": "assistant", "content": "", "tool_calls": [call("x", "run", "ls -la | head")]},
            {"role": "user", "content": "Done?"},
        ]),
        ("unicode-and-control", "chat", {}, [
            {"role": "system", "content": "助手 🙂\ttab"},
            {"role": "user", "content": "Ünïcödé — 漢字\u0001 and <think> as text"},
        ]),
    ]


def completions():
    """(name, mode, messages ending with the assistant turn whose text is the completion)."""
    user = {"role": "user", "content": "q"}
    return [
        ("thinking-answer", "thinking", [user, {"role": "assistant", "reasoning_content": "Because 2+2=4.",
                                                 "content": "The answer is 4."}]),
        ("thinking-empty-reasoning", "thinking", [user, {"role": "assistant", "content": "Direct."}]),
        ("chat-answer", "chat", [user, {"role": "assistant", "content": "Plain answer\n\nwith a blank line."}]),
        ("thinking-tool-call", "thinking", [
            {"role": "system", "content": "s", "tools": WEATHER_TOOLS}, user,
            {"role": "assistant", "reasoning_content": "Need the weather.",
             "tool_calls": [call("a", "get_weather", ARGS_MIXED)]}]),
        ("chat-two-tool-calls", "chat", [
            {"role": "system", "content": "s", "tools": WEATHER_TOOLS}, user,
            {"role": "assistant", "content": "Checking both.",
             "tool_calls": [call("a", "get_weather", '{"city": "Rome"}'),
                            call("b", "convert_units", '{"value": 1.5, "to": "K", "flags": []}')]}]),
    ]


def load_encoder(args, tmp):
    if args.repo:
        enc_dir = os.path.join(tmp, "encoding")
        os.makedirs(os.path.join(enc_dir, "tests"))
        listing = subprocess.run(["git", "-C", args.repo, "ls-tree", "-r", "--name-only", args.commit, "encoding"],
                                 check=True, capture_output=True, text=True).stdout.split()
        for path in listing:
            data = subprocess.run(["git", "-C", args.repo, "show", f"{args.commit}:{path}"], check=True,
                                  capture_output=True).stdout
            with open(os.path.join(tmp, path), "wb") as f:
                f.write(data)
    else:
        enc_dir = args.encoder_dir
    path = os.path.join(enc_dir, "encoding_dsv4.py")
    spec = importlib.util.spec_from_file_location("encoding_dsv4", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    return mod, enc_dir, digest


def check_published(enc, enc_dir):
    """DeepSeek's own examples must come out exactly, or this is not the encoder we think."""
    checked = []
    modes = {1: "thinking", 2: "thinking", 3: "thinking", 4: "chat"}
    for n, mode in modes.items():
        inp = os.path.join(enc_dir, "tests", f"test_input_{n}.json")
        if not os.path.exists(inp):
            continue
        with open(inp, encoding="utf-8") as f:
            data = json.load(f)
        if isinstance(data, dict):  # tools given beside the messages go on the first message
            messages = data["messages"]
            messages[0]["tools"] = data["tools"]
        else:
            messages = data
        with open(os.path.join(enc_dir, "tests", f"test_output_{n}.txt"), encoding="utf-8") as f:
            want = f.read()
        if enc.encode_messages(messages, thinking_mode=mode) != want:
            sys.exit(f"DeepSeek's example {n} does not reproduce: wrong encoder?")
        checked.append(f"encoding/tests/test_input_{n}.json")
    # README quick start: system + one user turn in thinking mode.
    readme = [{"role": "system", "content": "You are a helpful assistant."}, {"role": "user", "content": "What is 2+2?"}]
    want = BOS + "You are a helpful assistant." + USER + "What is 2+2?" + ASSISTANT + "<think>"
    if enc.encode_messages(readme, thinking_mode="thinking") != want:
        sys.exit("the README quick-start prompt does not reproduce")
    checked.append("encoding/README.md quick start")
    if len(checked) < 3:
        sys.exit("DeepSeek's published examples were not found beside the encoder")
    return checked


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--encoder-dir", help="folder with DeepSeek's encoding_dsv4.py and its tests/")
    src.add_argument("--repo", help="git clone of Nicooo-Wang/DeepSeek-V4-Pro-code")
    ap.add_argument("--commit", default="0ec3a03")
    ap.add_argument("--out", default=OUT)
    args = ap.parse_args()
    from tokenizers import Tokenizer  # the reference implementation, pinned in tools/requirements.txt

    tok = Tokenizer.from_file(FIXTURE)
    with tempfile.TemporaryDirectory() as tmp:
        enc, enc_dir, digest = load_encoder(args, tmp)
        checked = check_published(enc, enc_dir)
        cases = []
        for name, mode, opts, messages in conversations():
            prompt = enc.encode_messages(json.loads(json.dumps(messages)), thinking_mode=mode,
                                         drop_thinking=opts.get("drop_thinking", True),
                                         add_default_bos_token=opts.get("add_bos", True),
                                         reasoning_effort=opts.get("reasoning_effort"))
            cases.append({"name": name, "mode": mode, "drop_thinking": opts.get("drop_thinking", True),
                          "add_bos": opts.get("add_bos", True),
                          "reasoning_effort_max": opts.get("reasoning_effort") == "max",
                          "messages": messages, "prompt": prompt,
                          "ids": tok.encode(prompt, add_special_tokens=False).ids})
        parses = []
        for name, mode, messages in completions():
            full = enc.encode_messages(json.loads(json.dumps(messages)), thinking_mode=mode)
            # The completion is what follows the opened reply: everything after the last
            # <｜Assistant｜><think> (thinking) or <｜Assistant｜></think> (chat).
            marker = ASSISTANT + ("<think>" if mode == "thinking" else "</think>")
            completion = full[full.rindex(marker) + len(marker):]
            assert completion.endswith(EOS), name
            parsed = enc.parse_message_from_completion_text(completion, thinking_mode=mode)
            parses.append({"name": name, "mode": mode, "completion": completion,
                           "reasoning": parsed["reasoning_content"], "answer": parsed["content"],
                           "tool_calls": [{"name": c["function"]["name"], "arguments": c["function"]["arguments"]}
                                          for c in parsed["tool_calls"]]})
    out = {"generator": "tools/deepseek-v4-chat/make-chat-goldens.py",
           "encoder": {"file": "encoding/encoding_dsv4.py", "repo": "Nicooo-Wang/DeepSeek-V4-Pro-code",
                       "commit": args.commit if args.repo else "(given folder)", "sha256": digest,
                       "reproduced_published_examples": checked},
           "tokenizer": "tests/inference/tokenizer/fixtures/tokenizer.json (ids from the tokenizers package)",
           "encode": cases, "parse": parses}
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {args.out}: {len(cases)} conversations, {len(parses)} completions; "
          f"checked {len(checked)} published examples")


if __name__ == "__main__":
    main()
