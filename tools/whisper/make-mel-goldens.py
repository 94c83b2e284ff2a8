#!/usr/bin/env python3
# Writes the log-mel goldens in tests/inference/audio/goldens/ from HF transformers'
# WhisperFeatureExtractor (the reference), for deterministic signals (seeded numpy).
# Run by hand (never at test time):
#   LD_LIBRARY_PATH=/usr/local/cuda/lib64 /work/venv-ref/bin/python tools/whisper/make-mel-goldens.py
# Each case stores its input (float32) and the reference output's leading frames; the frames after
# those are checked here to be one constant (pure zero padding) and only that constant is stored.
import json
import os
import sys

import numpy as np
from transformers import WhisperFeatureExtractor

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "inference", "audio", "goldens")
SR = 16000


def signals():
    rng = np.random.default_rng(20261129)
    t = np.arange(3 * SR) / SR
    # linear chirp 50 Hz -> 7.5 kHz over 3 s, amplitude 0.5
    chirp = 0.5 * np.sin(2 * np.pi * (50 * t + (7450 / (2 * 3.0)) * t * t))
    noise = 0.3 * rng.standard_normal(SR + SR // 2)
    t2 = np.arange(12345) / SR
    tones = 0.2 * np.sin(2 * np.pi * 440 * t2) + 0.1 * np.sin(2 * np.pi * 3001.7 * t2) + 0.01 * rng.standard_normal(t2.size)
    return {
        "chirp": chirp.astype(np.float32),
        "noise": noise.astype(np.float32),
        "silence": np.zeros(SR, dtype=np.float32),
        "one-sample": np.array([0.25], dtype=np.float32),
        "odd-401": (0.5 * rng.uniform(-1, 1, 401)).astype(np.float32),
        "tones-12345": tones.astype(np.float32),
    }


def head_and_tail(mel, n_head):
    """Leading frames, plus the constant value every later frame holds (checked)."""
    n_head = min(n_head, mel.shape[1])
    tail = mel[:, n_head:]
    const = float(mel[0, -1]) if tail.size else 0.0
    if tail.size and not np.all(tail == const):
        sys.exit(f"tail beyond frame {n_head} is not constant; store more frames")
    return np.ascontiguousarray(mel[:, :n_head], dtype=np.float32), const


def main():
    os.makedirs(OUT, exist_ok=True)
    sigs = signals()
    cases = []
    for n_mels in (80, 128):
        fe = WhisperFeatureExtractor(feature_size=n_mels)
        np.save(os.path.join(OUT, f"filters-{n_mels}.npy"), np.ascontiguousarray(fe.mel_filters.T, dtype=np.float32))  # [n_mels][201]
        for name, x in sigs.items():
            if n_mels == 128 and name not in ("chirp", "noise", "one-sample"):
                continue
            # one 30 s window (padding="max_length", truncation=True: the defaults)
            mel = fe(x, sampling_rate=SR, return_tensors="np").input_features[0]
            assert mel.shape == (n_mels, 3000), mel.shape
            n_head = x.size // 160 + 3
            head, const = head_and_tail(mel, n_head)
            key = f"{name}-{n_mels}-window"
            np.save(os.path.join(OUT, f"{key}.npy"), head)
            cases.append(dict(name=key, input=name, n_mels=n_mels, frames="window", tile=1, tail_padding=0,
                              n_frames=int(mel.shape[1]), tail_value=const))
        # long form: the whole audio plus zero padding, normalised by one global max
        for name, tail_pad in (("chirp", 8000), ("noise", 480000), ("tones-12345", 0)):
            x = sigs[name]
            xp = np.concatenate([x, np.zeros(tail_pad, dtype=np.float32)])
            mel = fe(xp, sampling_rate=SR, padding="longest", truncation=False, return_tensors="np").input_features[0]
            assert mel.shape == (n_mels, xp.size // 160), mel.shape
            head, const = head_and_tail(mel, x.size // 160 + 3)
            key = f"{name}-{n_mels}-long-{tail_pad}"
            np.save(os.path.join(OUT, f"{key}.npy"), head)
            cases.append(dict(name=key, input=name, n_mels=n_mels, frames="long", tile=1, tail_padding=tail_pad,
                              n_frames=int(mel.shape[1]), tail_value=const))
    # over 30 s: the chirp tiled 11 times (33 s) is cut to one window; only 3000 frames exist
    fe = WhisperFeatureExtractor(feature_size=80)
    x = np.tile(sigs["chirp"], 11)
    mel = fe(x, sampling_rate=SR, return_tensors="np").input_features[0]
    np.save(os.path.join(OUT, "chirp-x11-80-window.npy"), np.ascontiguousarray(mel[:, 2900:], dtype=np.float32))
    cases.append(dict(name="chirp-x11-80-window", input="chirp", n_mels=80, frames="window", tile=11, tail_padding=0,
                      n_frames=3000, first_frame=2900, tail_value=0.0))
    for name, x in sigs.items():
        np.save(os.path.join(OUT, f"input-{name}.npy"), x)
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump(dict(generator="tools/whisper/make-mel-goldens.py",
                       reference="transformers.WhisperFeatureExtractor", cases=cases), f, indent=1)
        f.write("\n")
    print(f"wrote {len(cases)} cases to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
