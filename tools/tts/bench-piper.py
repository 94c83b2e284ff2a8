#!/usr/bin/env python3
# Piper's own runtime (piper-tts on onnxruntime) on a text file, for the speed comparison of
# issue 7: prints seconds of audio, synthesis seconds, real-time factor and time to the first
# sentence (median of --runs), with onnxruntime limited to --threads intra-op threads; cpu_rtf is
# the process's CPU seconds per audio second (steadier than wall time on a loaded machine).
#   LD_LIBRARY_PATH=/usr/local/cuda/lib64 /work/venv-ref/bin/python tools/tts/bench-piper.py VOICE.onnx TEXT_FILE
import argparse
import json
import statistics
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("onnx_path")
    ap.add_argument("text_file")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    import onnxruntime as ort
    from piper import PiperVoice
    voice = PiperVoice.load(args.onnx_path)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = args.threads
    opts.inter_op_num_threads = 1
    voice.session = ort.InferenceSession(args.onnx_path, opts, providers=["CPUExecutionProvider"])
    with open(args.text_file, encoding="utf-8") as f:
        text = f.read()
        if args.text_file.endswith(".json"):
            text = " ".join(json.loads(text)["sentences"])
    list(voice.synthesize("Warm up."))
    totals, firsts, cpus, audio_s = [], [], [], 0.0
    for _ in range(args.runs):
        t0, c0 = time.perf_counter(), time.process_time()
        first, samples = None, 0
        for chunk in voice.synthesize(text):
            if first is None:
                first = time.perf_counter() - t0
            samples += len(chunk.audio_float_array)
            rate = chunk.sample_rate
        totals.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
        firsts.append(first)
        audio_s = samples / rate
    t = statistics.median(totals)
    print(json.dumps({"runtime": f"piper-tts on onnxruntime {ort.__version__}", "threads": args.threads,
                      "audio_s": round(audio_s, 3), "synth_s": round(t, 3), "rtf": round(t / audio_s, 4),
                      "cpu_rtf": round(statistics.median(cpus) / audio_s, 4),
                      "first_sentence_ms": round(1000 * statistics.median(firsts), 1)}))


if __name__ == "__main__":
    main()
