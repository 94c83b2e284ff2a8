#!/usr/bin/env python3
"""openai-whisper's own transcribe() on the flite e2e clip with the real Whisper base model, for the
long-form golden of inference/speech (seek loop, timestamps, prompt conditioning, fallback, word
timestamps): tests/inference/speech/fixtures/openai-transcribe-base.json.

The model is the cached HF folder (scripts/fetch-models) loaded into openai-whisper's Whisper
module (HF names mapped to OpenAI's by make-tiny-whisper's ggml_name), float32 on the CPU. The clip
is the speech-long.wav that tools/whisper/make-speech-fixtures.py writes; its sha256 is recorded so
the test can tell a different synthesis from a decoding difference (and the sample count and
sum of |int16| samples, which the test recomputes).
Usage (openai-whisper installed as for make-openai-decoding-goldens.py):
  PYTHONPATH=/tmp/owhisper /work/venv-ref/bin/python tools/whisper/make-openai-transcribe-golden.py \
      build/<dir>/e2e/whisper/speech-long.wav
"""
import hashlib
import importlib.util
import json
import os
import pathlib
import sys
import wave

import numpy as np
import torch
import whisper
from safetensors.numpy import load_file
from whisper.model import ModelDimensions, Whisper

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "tests/inference/speech/fixtures/openai-transcribe-base.json"
spec = importlib.util.spec_from_file_location("tiny", ROOT / "tools/whisper/make-tiny-whisper.py")
tiny = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tiny)
CACHE = pathlib.Path(os.environ.get("ATELIER_MODEL_CACHE", pathlib.Path.home() / ".cache/atelier/models"))
OPTIONS = dict(language="en", beam_size=5, best_of=5, word_timestamps=True, fp16=False)


def load_base(folder):
    cfg = json.loads((folder / "config.json").read_text())
    gen = json.loads((folder / "generation_config.json").read_text())
    dims = ModelDimensions(n_mels=cfg["num_mel_bins"], n_audio_ctx=cfg["max_source_positions"],
                           n_audio_state=cfg["d_model"], n_audio_head=cfg["encoder_attention_heads"],
                           n_audio_layer=cfg["encoder_layers"], n_vocab=cfg["vocab_size"],
                           n_text_ctx=cfg["max_target_positions"], n_text_state=cfg["d_model"],
                           n_text_head=cfg["decoder_attention_heads"], n_text_layer=cfg["decoder_layers"])
    model = Whisper(dims)
    w = load_file(str(folder / "model.safetensors"))
    state = {tiny.ggml_name(k): torch.from_numpy(v.astype(np.float32)) for k, v in w.items() if k != "proj_out.weight"}
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert not unexpected and all(k.endswith("key.bias") or k == "alignment_heads" for k in missing)
    heads = torch.zeros(dims.n_text_layer, dims.n_text_head, dtype=torch.bool)
    for layer, head in gen["alignment_heads"]:
        heads[layer, head] = True
    model.register_buffer("alignment_heads", heads.to_sparse(), persistent=False)
    return model.float().eval()


def main():
    wav = pathlib.Path(sys.argv[1])
    with wave.open(str(wav)) as f:
        audio = np.frombuffer(f.readframes(f.getnframes()), np.int16).astype(np.float32) / 32768
    r = whisper.transcribe(load_base(CACHE / "whisper-base"), audio, verbose=None, **OPTIONS)
    segments = [{"start": s["start"], "end": s["end"], "text": s["text"],
                 "words": [{"word": x["word"], "start": x["start"], "end": x["end"],
                            "probability": x["probability"]} for x in s["words"]]} for s in r["segments"]]
    pcm = np.frombuffer(wave.open(str(wav)).readframes(len(audio)), np.int16).astype(np.int64)
    out = {"wav_sha256": hashlib.sha256(wav.read_bytes()).hexdigest(), "n_samples": len(audio),
           "sum_abs_int16": int(np.abs(pcm).sum()), "options": OPTIONS,
           "openai_whisper": whisper.__version__, "segments": segments}
    OUT.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {OUT}: {len(segments)} segments")


if __name__ == "__main__":
    main()
