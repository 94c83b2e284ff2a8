#!/usr/bin/env python3
# Goldens for the engine's Whisper tests (issue 6 part A), from HF transformers'
# WhisperForConditionalGeneration (eager attention, float64) on the tiny random checkpoints of
# make-tiny-whisper.py. Never run at test time: needs torch + transformers (/work/venv-ref).
# Usage: LD_LIBRARY_PATH=/usr/local/cuda/lib64 /work/venv-ref/bin/python \
#            tools/whisper/make-whisper-goldens.py [--out tests/inference/whisper/model/goldens]
# Writes per model: encoder.npy (every 10th row of the encoder output), prefix.npy (the fed
# tokens), logits.npy (their logits at columns cols.npy), argmax.npy (full-vocab argmax per
# position), align.npy (alignment heads' cross attention [n_heads][n_tokens][1500]),
# greedy-nots.npy / greedy-ts.npy (plain argmax continuation, no logit rules, from the
# no-timestamps / timestamps prompt), generate-nots.npy / generate-ts.npy (transformers'
# generate() with its Whisper rules, for the decoding layer), manifest.json (sha256 of inputs).
# Reduced audio context (whisper.cpp's audio_ctx, used by live captions): the same checkpoint with
# max_source_positions = N_CTX_REDUCED and the positional embedding's first rows, on the mel's
# first 2 * N_CTX_REDUCED frames: encoder-ctr.npy (every 10th row), logits-ctr.npy and
# align-ctr.npy (the prefix's logits at cols.npy and alignment heads over the reduced context).
import argparse
import copy
import hashlib
import importlib.util
import json
import pathlib
import tempfile

import numpy as np
import torch
from transformers import WhisperForConditionalGeneration

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
spec = importlib.util.spec_from_file_location("tiny", ROOT / "tools/whisper/make-tiny-whisper.py")
tiny = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tiny)

N_GREEDY = 12
N_CTX_REDUCED = 200  # 4 s of audio


def sha(p):
    return hashlib.sha256(pathlib.Path(p).read_bytes()).hexdigest()


def greedy(model, enc, prompt, n):
    toks = list(prompt)
    margins = []
    for _ in range(n):
        out = model(encoder_outputs=(enc,), decoder_input_ids=torch.tensor([toks]))
        lg = out.logits[0, -1]
        top = torch.topk(lg, 2).values
        margins.append(float(top[0] - top[1]))
        toks.append(int(torch.argmax(lg)))
    return toks[len(prompt):], min(margins)


def reduced_context(model, feats, prefix, cols, d):
    """The checkpoint cut to N_CTX_REDUCED audio frames, run on the mel's first frames."""
    cfg = copy.deepcopy(model.config)
    cfg.max_source_positions = N_CTX_REDUCED
    small = WhisperForConditionalGeneration(cfg).double().eval()
    state = model.state_dict()
    key = "model.encoder.embed_positions.weight"
    state[key] = state[key][:N_CTX_REDUCED].clone()
    small.load_state_dict(state)
    small.config._attn_implementation = "eager"
    with torch.no_grad():
        enc = small.model.encoder(input_features=feats[:, :, :2 * N_CTX_REDUCED]).last_hidden_state
        np.save(d / "encoder-ctr.npy", enc[0, ::10].numpy().astype(np.float32))
        o = small(encoder_outputs=(enc,), decoder_input_ids=torch.tensor([prefix]), output_attentions=True)
        np.save(d / "logits-ctr.npy", o.logits[0][:, cols].numpy().astype(np.float32))
        align = np.stack([o.cross_attentions[l][0, h].numpy() for l, h in tiny.ALIGNMENT_HEADS])
        np.save(d / "align-ctr.npy", align.astype(np.float32))


def one(src, out, name):
    n_mels, n_vocab, multilingual = tiny.MODELS[name]
    ids = tiny.special_ids(n_vocab, multilingual)
    model = WhisperForConditionalGeneration.from_pretrained(src / name, attn_implementation="eager")
    model = model.double().eval()
    mel = np.load(src / f"{name}-mel.npy")
    feats = torch.from_numpy(mel.astype(np.float64))[None]
    d = out / name
    d.mkdir(parents=True, exist_ok=True)
    lang = [ids["langs"][0], ids["transcribe"]] if multilingual else []
    prompt_ts = [ids["sot"]] + lang
    prompt_nots = prompt_ts + [ids["no_timestamps"]]
    prefix = prompt_nots + [1000, 2000, 3000, 220, ids["timestamp_begin"] + 7]
    cols = np.concatenate([np.arange(512), np.arange(ids["eot"], n_vocab)]).astype(np.int32)
    with torch.no_grad():
        enc = model.model.encoder(input_features=feats).last_hidden_state
        np.save(d / "encoder.npy", enc[0, ::10].numpy().astype(np.float32))
        o = model(encoder_outputs=(enc,), decoder_input_ids=torch.tensor([prefix]), output_attentions=True)
        np.save(d / "prefix.npy", np.array(prefix, dtype=np.int32))
        np.save(d / "cols.npy", cols)
        np.save(d / "logits.npy", o.logits[0][:, cols].numpy().astype(np.float32))
        np.save(d / "argmax.npy", o.logits[0].argmax(-1).numpy().astype(np.int32))
        align = np.stack([o.cross_attentions[l][0, h].numpy() for l, h in tiny.ALIGNMENT_HEADS])
        np.save(d / "align.npy", align.astype(np.float32))
        manifest = dict(model=name, safetensors_sha256=sha(src / name / "model.safetensors"),
                        mel_sha256=sha(src / f"{name}-mel.npy"), prompt_notimestamps=prompt_nots,
                        prompt_timestamps=prompt_ts, torch=torch.__version__)
        for tag, prompt in (("nots", prompt_nots), ("ts", prompt_ts)):
            toks, margin = greedy(model, enc, prompt, N_GREEDY)
            np.save(d / f"greedy-{tag}.npy", np.array(toks, dtype=np.int32))
            manifest[f"greedy_{tag}_min_margin"] = margin
            kw = dict(language="en", task="transcribe") if multilingual else {}
            g = model.generate(input_features=feats, return_timestamps=(tag == "ts"), max_new_tokens=N_GREEDY,
                               do_sample=False, num_beams=1, **kw)
            np.save(d / f"generate-{tag}.npy", g[0].numpy().astype(np.int32))
    reduced_context(model, feats, prefix, cols, d)
    manifest["reduced_audio_ctx"] = N_CTX_REDUCED
    (d / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(name, json.dumps(manifest))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=pathlib.Path, default=ROOT / "tests/inference/whisper/model/goldens")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        src = pathlib.Path(tmp)
        for name in tiny.MODELS:
            tiny.build(src, name)
        for name in tiny.MODELS:
            one(src, args.out, name)


if __name__ == "__main__":
    main()
