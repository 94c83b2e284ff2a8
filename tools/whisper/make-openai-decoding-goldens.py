#!/usr/bin/env python3
"""Decoding goldens from openai-whisper itself (decoding.py: DecodingTask, BeamSearchDecoder,
timestamp rules, no-speech probability, language detection) on part A's tiny random checkpoints.

The tiny HF checkpoints (tools/whisper/make-tiny-whisper.py, byte-for-byte reproducible) are loaded
into openai-whisper's own Whisper module (HF names mapped to OpenAI's by make-tiny-whisper's
ggml_name, which uses OpenAI's names), float32 on the CPU, and whisper.decoding.decode() runs on the
checkpoint's mel with each case's DecodingOptions.
Writes tests/inference/speech/fixtures/openai-decoding-goldens.json.
Needs torch (the reference venv) and the openai-whisper package, e.g.
  /work/venv-ref/bin/python -m pip install --target /tmp/owhisper openai-whisper==20250625 tiktoken numba requests
  PYTHONPATH=/tmp/owhisper /work/venv-ref/bin/python tools/whisper/make-openai-decoding-goldens.py
"""
import importlib.util
import json
import pathlib
import tempfile

import numpy as np
import torch
import whisper
from safetensors.numpy import load_file
from whisper.decoding import DecodingOptions, decode, detect_language
from whisper.model import ModelDimensions, Whisper

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "tests/inference/speech/fixtures/openai-decoding-goldens.json"
spec = importlib.util.spec_from_file_location("tiny", ROOT / "tools/whisper/make-tiny-whisper.py")
tiny = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tiny)


def load_openai(folder, name):
    n_mels, n_vocab, _ = tiny.MODELS[name]
    dims = ModelDimensions(n_mels=n_mels, n_audio_ctx=tiny.N_AUDIO_CTX, n_audio_state=tiny.D, n_audio_head=tiny.HEADS,
                           n_audio_layer=tiny.ENC_LAYERS, n_vocab=n_vocab, n_text_ctx=tiny.N_TEXT_CTX,
                           n_text_state=tiny.D, n_text_head=tiny.HEADS, n_text_layer=tiny.DEC_LAYERS)
    model = Whisper(dims)
    w = load_file(str(folder / name / "model.safetensors"))
    state = {tiny.ggml_name(k): torch.from_numpy(v) for k, v in w.items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert not unexpected, unexpected
    assert all(k.endswith("key.bias") or k == "alignment_heads" for k in missing), missing
    heads = torch.zeros(dims.n_text_layer, dims.n_text_head, dtype=torch.bool)
    for layer, head in tiny.ALIGNMENT_HEADS:
        heads[layer, head] = True
    model.register_buffer("alignment_heads", heads.to_sparse(), persistent=False)
    return model.float().eval()


CASES = [  # (model, name, options)
    ("tiny-80", "beam5-timestamps", dict(language="en", beam_size=5)),
    ("tiny-80", "beam5-notimestamps", dict(language="en", beam_size=5, without_timestamps=True)),
    ("tiny-80", "greedy-prompt", dict(language="en", prompt=[1000, 2000, 3000, 220])),
    ("tiny-80", "greedy-translate-de", dict(language="de", task="translate")),
    ("tiny-128", "beam5-patience2", dict(language="en", beam_size=5, patience=2.0)),
    ("tiny-128", "beam3-lengthpenalty", dict(language="en", beam_size=3, length_penalty=0.6)),
    ("tiny-en", "beam5", dict(language="en", beam_size=5)),
    ("tiny-en", "greedy", dict(language="en")),
]


def main():
    out = {"cases": [], "languages": []}
    with tempfile.TemporaryDirectory() as tmp:
        src = pathlib.Path(tmp)
        models = {}
        for name in tiny.MODELS:
            tiny.build(src, name)
            models[name] = load_openai(src, name)
        for name, model in models.items():
            mel = torch.from_numpy(np.load(src / f"{name}-mel.npy"))
            if model.is_multilingual:
                _, probs = detect_language(model, mel)
                best = max(probs, key=probs.get)
                out["languages"].append({"model": name, "language": best, "probability": probs[best]})
        for name, case, opts in CASES:
            mel = torch.from_numpy(np.load(src / f"{name}-mel.npy"))
            r = decode(models[name], mel, DecodingOptions(fp16=False, **opts))
            out["cases"].append({"model": name, "case": case, "options": opts, "tokens": r.tokens,
                                 "avg_logprob": r.avg_logprob, "no_speech_prob": r.no_speech_prob})
            print(name, case, len(r.tokens), r.tokens[:12], r.avg_logprob, r.no_speech_prob)
    out["openai_whisper"] = whisper.__version__
    OUT.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
