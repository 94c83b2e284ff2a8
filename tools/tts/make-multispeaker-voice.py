#!/usr/bin/env python3
# A tiny random multi-speaker Piper VITS voice and its onnxruntime reference outputs, for the
# engine's speaker-embedding test (tests/inference/tts, goldens/vits-multi). Builds Piper's own
# SynthesizerTrn (piper.train.vits, from the piper-tts wheel) with small dimensions, 3 speakers
# and gin_channels 8, random weights from a fixed seed; exports it as Piper's export_onnx does
# (opset 15, decoder weight norm removed, inputs input/input_lengths/scales/sid); converts it with
# onnx-to-safetensors.py; runs the ONNX graph with noise off on fixed phoneme ids for every
# speaker and saves the ceil'd durations and the waveform. Never run by tests.
#   LD_LIBRARY_PATH=/usr/local/cuda/lib64 /work/venv-ref/bin/python tools/tts/make-multispeaker-voice.py \
#       ~/.cache/atelier/models/piper-joe/en_US-joe-medium.onnx.json tests/inference/tts/goldens/vits-multi
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np

N_SPEAKERS, GIN = 3, 8
IDS = [1, 0, 20, 0, 59, 0, 24, 0, 100, 0, 14, 0, 3, 0, 35, 0, 120, 0, 25, 0, 18, 0, 10, 0, 2]


def build(n_vocab, seed):
    import torch
    from piper.train.vits.models import SynthesizerTrn
    torch.manual_seed(seed)
    m = SynthesizerTrn(n_vocab=n_vocab, spec_channels=17, segment_size=32, inter_channels=16, hidden_channels=16,
                       filter_channels=32, n_heads=2, n_layers=2, kernel_size=3, p_dropout=0.0, resblock="2",
                       resblock_kernel_sizes=(3, 5, 7), resblock_dilation_sizes=((1, 2), (2, 6), (3, 12)),
                       upsample_rates=(8, 8, 4), upsample_initial_channel=64, upsample_kernel_sizes=(16, 16, 8),
                       n_speakers=N_SPEAKERS, gin_channels=GIN, use_sdp=True)
    with torch.no_grad():
        for name, p in m.named_parameters():
            # Random everywhere (VITS zero-initialises the flows' last layers, which would hide them).
            fan_in = p[0].numel() if p.dim() > 1 else 1
            p.normal_(0.0, 1.0 / math.sqrt(fan_in) if p.dim() > 1 else 0.3)
        # Durations of a few frames: the duration flow's affine mean shifts log w up.
        m.dp.flows[0].m.fill_(-1.2)
        m.dp.flows[0].logs.fill_(0.0)
    m.eval()
    with torch.no_grad():
        m.dec.remove_weight_norm()
    return m


def export(m, path):
    import torch

    def infer_forward(text, text_lengths, scales, sid=None):
        return m.infer(text, text_lengths, noise_scale=scales[0], length_scale=scales[1], noise_scale_w=scales[2],
                       sid=sid)[0].unsqueeze(1)

    m.forward = infer_forward
    seq = torch.randint(low=0, high=m.n_vocab, size=(1, 50), dtype=torch.long)
    args = (seq, torch.LongTensor([50]), torch.FloatTensor([0.667, 1.0, 0.8]), torch.LongTensor([0]))
    torch.onnx.export(model=m, args=args, f=path, verbose=False, opset_version=15,
                      input_names=["input", "input_lengths", "scales", "sid"], output_names=["output"],
                      dynamic_axes={"input": {0: "batch_size", 1: "phonemes"}, "input_lengths": {0: "batch_size"},
                                    "output": {0: "batch_size", 2: "time"}}, dynamo=False)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("piper_json", help="a real voice's .onnx.json (its phoneme map is reused)")
    ap.add_argument("out_dir")
    ap.add_argument("--seed", type=int, default=1234)
    args = ap.parse_args()
    import onnx
    import onnxruntime as ort

    with open(args.piper_json, encoding="utf-8") as f:
        piper = json.load(f)
    piper["num_speakers"] = N_SPEAKERS
    piper["speaker_id_map"] = {"ann": 0, "bob": 1, "cyd": 2}
    piper["dataset"] = "random (tools/tts/make-multispeaker-voice.py)"
    n_vocab = 1 + max(i for ids in piper["phoneme_id_map"].values() for i in ids)
    m = build(max(n_vocab, 256), args.seed)
    os.makedirs(args.out_dir, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        onnx_path = os.path.join(tmp, "multi.onnx")
        export(m, onnx_path)
        with open(onnx_path + ".json", "w", encoding="utf-8") as f:
            json.dump(piper, f)
        conv = os.path.join(os.path.dirname(os.path.abspath(__file__)), "onnx-to-safetensors.py")
        subprocess.run([sys.executable, conv, onnx_path, args.out_dir], check=True)
        model = onnx.load(onnx_path)
        have = {o for n in model.graph.node for o in n.output}
        if "/Ceil_output_0" not in have:
            sys.exit("make-multispeaker-voice: no /Ceil_output_0 in the export")
        model.graph.output.append(onnx.helper.make_empty_tensor_value_info("/Ceil_output_0"))
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        sess = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    index = {"runtime": f"onnxruntime {ort.__version__}", "seed": args.seed, "ids": IDS, "cases": []}
    np.save(os.path.join(args.out_dir, "ids.npy"), np.array(IDS, dtype=np.int64))
    for sid, length_scale in ((0, 1.0), (1, 1.0), (2, 1.0), (1, 1.5)):
        feeds = {"input": np.array([IDS], dtype=np.int64), "input_lengths": np.array([len(IDS)], dtype=np.int64),
                 "scales": np.array([0.0, length_scale, 0.0], dtype=np.float32), "sid": np.array([sid], dtype=np.int64)}
        audio, w_ceil = sess.run(["output", "/Ceil_output_0"], feeds)
        case = f"s{sid}-l{int(length_scale * 10)}"
        np.save(os.path.join(args.out_dir, f"{case}-audio.npy"), np.ascontiguousarray(audio.astype(np.float32).ravel()))
        np.save(os.path.join(args.out_dir, f"{case}-w_ceil.npy"), np.ascontiguousarray(w_ceil.astype(np.float32).ravel()))
        index["cases"].append({"name": case, "speaker": sid, "length_scale": length_scale,
                               "frames": int(w_ceil.sum()), "samples": int(audio.size)})
        print(f"make-multispeaker-voice: {case}: {int(w_ceil.sum())} frames, {audio.size} samples, "
              f"peak {float(np.abs(audio).max()):.3f}")
    with open(os.path.join(args.out_dir, "index.json"), "w", encoding="utf-8") as f:
        json.dump(index, f, indent=1)


if __name__ == "__main__":
    main()
