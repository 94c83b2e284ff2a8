#!/usr/bin/env python3
# Reference intermediates of a Piper VITS voice for tests/inference/tts: runs the distributed ONNX
# graph itself with onnxruntime (noise_scale = noise_w = 0, so the run is deterministic) on fixed
# phoneme ids (Piper's own ids for a few sentences) and saves, per case, .npy files of the text
# encoder output, m_p/logs_p, the duration predictor's log durations, the ceil'd durations, the
# expanded prior z_p, the flow output fed to the decoder, and the waveform. Never run by tests.
#   LD_LIBRARY_PATH=/usr/local/cuda/lib64 /work/venv-ref/bin/python tools/tts/make-vits-goldens.py \
#       VOICE.onnx OUT_DIR
import argparse
import json
import os

import numpy as np

# tensor name in the Piper export -> golden file stem
TAPS = {
    "/enc_p/encoder/Mul_2_output_0": "enc_x",      # encoder output (masked)   [1, 192, T]
    "/enc_p/Split_output_0": "m_p",                # prior mean                [1, 192, T]
    "/enc_p/Split_output_1": "logs_p",             # prior log-std             [1, 192, T]
    "/dp/Split_output_0": "logw",                  # log durations             [1, 1, T]
    "/Ceil_output_0": "w_ceil",                    # frames per phoneme        [1, 1, T]
    "/Add_output_0": "z_p",                        # expanded prior (+ noise)  [1, 192, F]
    "/Mul_7_output_0": "z",                        # flow output, decoder in   [1, 192, F]
    "output": "audio",                             # waveform                  [1, 1, 1, S]
}

# (case name, text, length_scale); ids come from Piper's phonemizer at generation time and are
# saved beside the tensors so the C++ test feeds exactly the same ids.
CASES = [
    ("hello", "Hello world.", 1.0),
    ("slow", "It is a test, of course!", 1.3),
]


def phoneme_ids(onnx_path, text):
    from piper import PiperVoice
    voice = PiperVoice.load(onnx_path)
    sentences = voice.phonemize(text)
    assert len(sentences) == 1, sentences
    return voice.phonemes_to_ids(sentences[0])


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("onnx_path")
    ap.add_argument("out_dir")
    args = ap.parse_args()
    import onnx
    import onnxruntime as ort

    model = onnx.load(args.onnx_path)
    have = {o for n in model.graph.node for o in n.output}
    for name in TAPS:
        if name not in have:
            raise SystemExit(f"make-vits-goldens: {name} is not in this graph (not a Piper export?)")
    existing = {o.name for o in model.graph.output}
    for name in TAPS:
        if name not in existing:
            model.graph.output.append(onnx.helper.make_empty_tensor_value_info(name))
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    opts.intra_op_num_threads = 2
    sess = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])

    os.makedirs(args.out_dir, exist_ok=True)
    index = {"source": os.path.basename(args.onnx_path), "runtime": f"onnxruntime {ort.__version__}",
             "noise_scale": 0.0, "noise_w": 0.0, "cases": []}
    for case, text, length_scale in CASES:
        ids = phoneme_ids(args.onnx_path, text)
        feeds = {"input": np.array([ids], dtype=np.int64),
                 "input_lengths": np.array([len(ids)], dtype=np.int64),
                 "scales": np.array([0.0, length_scale, 0.0], dtype=np.float32)}
        outs = sess.run(list(TAPS), feeds)
        np.save(os.path.join(args.out_dir, f"{case}-ids.npy"), np.array(ids, dtype=np.int64))
        shapes = {}
        for (name, stem), value in zip(TAPS.items(), outs):
            arr = np.ascontiguousarray(value.astype(np.float32))
            np.save(os.path.join(args.out_dir, f"{case}-{stem}.npy"), arr)
            shapes[stem] = list(arr.shape)
        # Determinism check: a second run must give the same waveform bit for bit.
        again = sess.run(["output"], feeds)[0]
        assert np.array_equal(again, outs[-1]), "the graph is not deterministic with noise off"
        index["cases"].append({"name": case, "text": text, "length_scale": length_scale,
                               "ids": len(ids), "frames": int(outs[4].sum()), "shapes": shapes})
        print(f"make-vits-goldens: {case}: {len(ids)} ids, {int(outs[4].sum())} frames, "
              f"{outs[-1].size} samples")
    with open(os.path.join(args.out_dir, "index.json"), "w", encoding="utf-8") as f:
        json.dump(index, f, indent=1)


if __name__ == "__main__":
    main()
