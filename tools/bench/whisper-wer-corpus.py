#!/usr/bin/env python3
# Whisper accuracy-and-speed corpus bench (issue 6 "Speed": ">= 1.0x whisper.cpp's speed, at equal
# or better WER"). One 53 s clip has ~120 words, where one misheard word moves the WER by 0.8
# points; this bench speaks the 45 sentences of whisper-wer-sentences.txt (503 words, our own
# text) with Debian's flite voices slt, rms and awb in turn, 9 sentences a clip with 0.7 s pauses
# (5 clips of ~30-40 s), then transcribes each clip with atelier-cli and, given --anchor-cli and
# --anchor-model, with whisper.cpp's whisper-cli on the same weights in its format, alternating.
# Prints per-clip wall times, peak RSS and word errors, and the totals: WER over all words and the
# speed ratio. Standard library only; needs flite. Usage:
#   tools/bench/whisper-wer-corpus.py --cli build/cli/atelier-cli --model DIR [--threads 2]
#       [--anchor-cli whisper-cli --anchor-model ggml-base.bin] [--out DIR] [--beam 5]
import argparse
import array
import os
import re
import subprocess
import sys
import tempfile
import time
import wave

SR = 16000
HERE = os.path.dirname(os.path.abspath(__file__))
VOICES = ["slt", "rms", "awb"]


def norm(s):
    s = s.lower().replace("\u2019", "'")
    s = re.sub(r"[^a-z0-9' ]+", " ", s)
    return s.replace("'", "").split()


def edits(a, b):
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


def speak(voice, text, path):
    subprocess.run(["flite", "-voice", voice, "-t", text, "-o", path], check=True, capture_output=True)
    with wave.open(path, "rb") as w:
        if w.getframerate() != SR or w.getnchannels() != 1 or w.getsampwidth() != 2:
            sys.exit(f"flite wrote {w.getframerate()} Hz x {w.getnchannels()}, expected 16 kHz mono s16")
        return array.array("h", w.readframes(w.getnframes()))


def timed(cmd):
    """Runs cmd; returns (wall seconds, peak RSS MB of the child)."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    err = p.stderr.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{cmd[0]} failed: {err.strip()[-400:]}")
    return wall, ru.ru_maxrss / 1024.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--beam", type=int, default=5)
    ap.add_argument("--anchor-cli")
    ap.add_argument("--anchor-model")
    ap.add_argument("--out")
    ap.add_argument("--per-clip", type=int, default=9)
    a = ap.parse_args()
    out = a.out or tempfile.mkdtemp(prefix="wer-corpus-")
    os.makedirs(out, exist_ok=True)
    sentences = [l.strip() for l in open(os.path.join(HERE, "whisper-wer-sentences.txt")) if l.strip()]
    pause = array.array("h", bytes(2 * int(0.7 * SR)))
    clips = []
    for c0 in range(0, len(sentences), a.per_clip):
        pcm, text = array.array("h", pause), []
        for i in range(c0, min(c0 + a.per_clip, len(sentences))):
            pcm += speak(VOICES[i % len(VOICES)], sentences[i], os.path.join(out, "s.wav"))
            pcm += pause
            text.append(sentences[i])
        path = os.path.join(out, f"clip-{len(clips)}.wav")
        with wave.open(path, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(SR)
            w.writeframes(pcm.tobytes())
        clips.append((path, " ".join(text), len(pcm) / SR))
    anchor = a.anchor_cli and a.anchor_model
    print("| clip | audio s | words | ours s | ours RSS MB | ours errors |"
          + (" whisper.cpp s | whisper.cpp RSS MB | whisper.cpp errors |" if anchor else ""))
    print("|---|---|---|---|---|---|" + ("---|---|---|" if anchor else ""))
    tot = {"words": 0, "audio": 0.0, "ours_s": 0.0, "ours_e": 0, "anc_s": 0.0, "anc_e": 0, "ours_rss": 0.0, "anc_rss": 0.0}
    for k, (wav, ref, secs) in enumerate(clips):
        ref_w = norm(ref)
        od = os.path.join(out, "ours")
        os.makedirs(od, exist_ok=True)
        s, rss = timed([a.cli, "transcribe", wav, "--model", a.model, "--language", "en", "--beam", str(a.beam),
                        "--threads", str(a.threads), "--txt", "--out", od, "--force", "--quiet"])
        hyp = norm(open(os.path.join(od, f"clip-{k}.txt")).read())
        e = edits(ref_w, hyp)
        row = f"| {k} | {secs:.1f} | {len(ref_w)} | {s:.2f} | {rss:.0f} | {e} |"
        tot["words"] += len(ref_w)
        tot["audio"] += secs
        tot["ours_s"] += s
        tot["ours_e"] += e
        tot["ours_rss"] = max(tot["ours_rss"], rss)
        if anchor:
            base = os.path.join(out, f"wcpp-{k}")
            s2, rss2 = timed([a.anchor_cli, "-m", a.anchor_model, "-f", wav, "-t", str(a.threads), "-l", "en",
                              "-bs", str(a.beam), "-otxt", "-of", base])
            e2 = edits(ref_w, norm(open(base + ".txt").read()))
            row += f" {s2:.2f} | {rss2:.0f} | {e2} |"
            tot["anc_s"] += s2
            tot["anc_e"] += e2
            tot["anc_rss"] = max(tot["anc_rss"], rss2)
        print(row, flush=True)
    w = tot["words"]
    print(f"\ntotal: {len(clips)} clips, {tot['audio']:.1f} s of audio, {w} words")
    print(f"ours: {tot['ours_s']:.2f} s (RTF {tot['ours_s'] / tot['audio']:.3f}), peak RSS {tot['ours_rss']:.0f} MB, "
          f"WER {100.0 * tot['ours_e'] / w:.2f} % ({tot['ours_e']} errors)")
    if anchor:
        print(f"whisper.cpp: {tot['anc_s']:.2f} s (RTF {tot['anc_s'] / tot['audio']:.3f}), peak RSS {tot['anc_rss']:.0f} MB, "
              f"WER {100.0 * tot['anc_e'] / w:.2f} % ({tot['anc_e']} errors)")
        print(f"speed ours / whisper.cpp: {tot['anc_s'] / tot['ours_s']:.2f}x")
    print(f"(clips and transcripts in {out})")


if __name__ == "__main__":
    main()
