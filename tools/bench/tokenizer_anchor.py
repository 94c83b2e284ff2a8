#!/usr/bin/env python3
# Anchor for atelier-bench-tokenizer: the reference `tokenizers` package (.venv) encoding the same
# ~1 MB mixed text (the golden strings joined by "\n", repeated until >= 1,000,000 bytes) in one
# encode call (one 1 MB string), and again line by line (one encode per golden string, the usual
# prompt-sized call), specials parsed, no BOS, one thread. Prints
# "mb_per_s=<best of 5, one string> n_ids=<count> lines_mb_per_s=<best of 5, per line>".
# Usage: .venv/bin/python tools/bench/tokenizer_anchor.py TOKENIZER_JSON GOLDENS_JSONL
import json
import os
import sys
import time

from tokenizers import Tokenizer


def bench_text(goldens_path):
    texts = []
    with open(goldens_path, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            if "text" in row:
                texts.append(row["text"])
    out, size = [], 0
    while size < 1_000_000:
        for t in texts:
            out.append(t)
            size += len(t.encode("utf-8")) + 1
            if size >= 1_000_000:
                break
    return out


def main():
    tok = Tokenizer.from_file(sys.argv[1])
    os.environ["TOKENIZERS_PARALLELISM"] = "false"
    lines = bench_text(sys.argv[2])
    text = "\n".join(lines)
    n_bytes = len(text.encode("utf-8"))
    best, ids = 1e9, []
    for _ in range(5):
        t0 = time.perf_counter()
        ids = tok.encode(text, add_special_tokens=False).ids
        best = min(best, time.perf_counter() - t0)
    best_lines = 1e9
    for _ in range(5):
        t0 = time.perf_counter()
        for line in lines:
            tok.encode(line, add_special_tokens=False)
        best_lines = min(best_lines, time.perf_counter() - t0)
    print(f"mb_per_s={n_bytes / best / 1e6:.2f} n_ids={len(ids)} lines_mb_per_s={n_bytes / best_lines / 1e6:.2f}")


if __name__ == "__main__":
    main()
