#!/usr/bin/env python3
"""Goldens for inference/speech's decoding helpers, from the reference implementations.

Writes tests/inference/speech/fixtures/decoding-goldens.json:
  median_filter  - transformers' whisper _median_filter (reflect pad, sort, middle element)
  dtw            - transformers' whisper _dynamic_time_warping (float32 cost, tie order 0/1/2)
  compression    - Python's zlib at the default level, as openai-whisper's compression_ratio
  timestamp_rules- transformers' WhisperTimeStampLogitsProcessor on a small made-up vocabulary
  alignment      - openai-whisper's find_alignment steps (softmax over the window's frames,
                   std_mean over tokens, median filter width 7, mean over heads) in torch
Run with the reference venv: /work/venv-ref/bin/python tools/whisper/make-decoding-goldens.py
"""
import json
import pathlib
import zlib

import numpy as np
import torch
from transformers import GenerationConfig
from transformers.generation.logits_process import WhisperTimeStampLogitsProcessor
from transformers.models.whisper.generation_whisper import _dynamic_time_warping, _median_filter

OUT = pathlib.Path(__file__).resolve().parents[2] / "tests/inference/speech/fixtures/decoding-goldens.json"
rng = np.random.default_rng(20261129)


def floats(a):
    return [None if not np.isfinite(v) else float(v) for v in np.asarray(a, dtype=np.float64).ravel()]


def median_cases():
    cases = []
    for rows, cols, width in [(3, 12, 7), (2, 5, 3), (2, 4, 7), (1, 3, 7), (4, 30, 7)]:
        x = rng.standard_normal((rows, cols)).astype(np.float32)
        if cols == 30:
            x[1, 10:14] = x[1, 9]  # repeated values
        y = _median_filter(torch.from_numpy(x)[None], width)[0].numpy()
        cases.append({"rows": rows, "cols": cols, "width": width, "input": floats(x), "expected": floats(y)})
    return cases


def dtw_cases():
    cases = []
    for n, m in [(5, 9), (7, 20), (1, 4), (4, 1), (6, 6), (12, 40)]:
        x = rng.standard_normal((n, m)).astype(np.float32)
        rows, cols = _dynamic_time_warping(x.astype(np.float64))
        cases.append({"n": n, "m": m, "input": floats(x), "rows": [int(v) for v in rows],
                      "cols": [int(v) for v in cols]})
    # integer costs with ties: the tie order decides the path
    x = np.array([[1, 1, 2], [1, 0, 1], [2, 1, 1]], dtype=np.float32)
    rows, cols = _dynamic_time_warping(x.astype(np.float64))
    cases.append({"n": 3, "m": 3, "input": floats(x), "rows": [int(v) for v in rows], "cols": [int(v) for v in cols]})
    return cases


def compression_cases():
    texts = ["", "a", " Hello world.", " the the the the the the the the the the the the the the the",
             " Ask not what your country can do for you, ask what you can do for your country.",
             " Ünïcödé — ☃ 日本語のテキスト", " " + "la " * 200]
    return [{"text": t, "expected": len(t.encode()) / len(zlib.compress(t.encode()))} for t in texts]


def timestamp_cases():
    # vocab: text 0..19, eot 20, sot 21, specials 22..26, no_timestamps 27, timestamps 28..108
    vocab, eot, no_ts, ts_begin = 109, 20, 27, 28
    cfg = GenerationConfig(eos_token_id=eot, no_timestamps_token_id=no_ts, max_initial_timestamp_index=50)
    prefix = [21, 22, 23]
    seqs = [[], [], [30], [30, 5, 6], [30, 5, 40], [30, 5, 40, 40], [30, 5, 40, 41, 7],
            [28, 28], [35, 3, 50, 50, 9, 60], [28, 4, 28]]
    cases = []
    for i, sampled in enumerate(seqs):
        logits = rng.standard_normal(vocab).astype(np.float32) * 3
        if i in (1, 6):
            logits[ts_begin:] += 2.5  # timestamps jointly likely: the logprob rule masks text
        proc = WhisperTimeStampLogitsProcessor(cfg, begin_index=len(prefix))
        ids = torch.tensor([prefix + sampled])
        out = proc(ids, torch.from_numpy(logits.copy())[None])[0].numpy()
        cases.append({"sampled": sampled, "logits": floats(logits), "expected": floats(out)})
    return {"n_vocab": vocab, "eot": eot, "no_timestamps": no_ts, "timestamp_begin": ts_begin,
            "max_initial_index": 50, "cases": cases}


def alignment_cases():
    cases = []
    for heads, tokens, ctx, frames in [(2, 6, 40, 30), (3, 5, 25, 25), (1, 4, 20, 9)]:
        qk = torch.from_numpy(rng.standard_normal((heads, tokens, ctx)).astype(np.float32) * 2)
        full = qk.softmax(dim=-1)  # what the model hands over
        w = qk[:, :, :frames].softmax(dim=-1)  # openai: slice the logits, then softmax
        std, mean = torch.std_mean(w, dim=-2, keepdim=True, unbiased=False)
        w = (w - mean) / std
        w = _median_filter(w, 7)
        m = w.mean(dim=0)
        cases.append({"heads": heads, "tokens": tokens, "ctx": ctx, "frames": frames,
                      "weights": floats(full.numpy()), "expected": floats(m.numpy())})
    return cases


def main():
    data = {"median_filter": median_cases(), "dtw": dtw_cases(), "compression": compression_cases(),
            "timestamp_rules": timestamp_cases(), "alignment": alignment_cases()}
    OUT.write_text(json.dumps(data, ensure_ascii=False) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
