#!/usr/bin/env python3
# Speech fixtures for the Whisper end-to-end tests (issue 6), generated at test time into the
# build tree (ctest fixture `whisper_speech`, tests/e2e/CMakeLists.txt) or by hand:
#   python3 tools/whisper/make-speech-fixtures.py OUT_DIR
# Needs Debian's flite (voices slt, rms, awb) and ffmpeg (libx264, libmp3lame); standard library
# only. The truth (sentence and word times) comes from flite's own segment durations (-psdur),
# written by the same flite run that writes the audio; it is never derived from a recogniser.
import array
import json
import os
import re
import shutil
import subprocess
import sys
import wave

SR = 16000
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SENTENCES = os.path.join(ROOT, "tests", "e2e", "whisper", "sentences.json")
FF = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-threads", "1"]


def fail(msg):
    sys.exit(f"make-speech-fixtures: {msg}")


def run(cmd, **kw):
    try:
        return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout
    except FileNotFoundError:
        fail(f"{cmd[0]} is not installed (scripts/setup installs flite and ffmpeg)")
    except subprocess.CalledProcessError as e:
        fail(f"{' '.join(cmd[:4])}... failed: {e.stderr.strip()}")


def noise(n, amp, seed):
    """Deterministic uniform noise (xorshift32), int16, for room tone."""
    out = array.array("h", bytes(2 * n))
    x = seed & 0xFFFFFFFF or 1
    for i in range(n):
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        out[i] = int(((x / 4294967295.0) * 2.0 - 1.0) * amp * 32767)
    return out


def read_wav(path):
    with wave.open(path, "rb") as w:
        if w.getframerate() != SR or w.getnchannels() != 1 or w.getsampwidth() != 2:
            fail(f"{path}: flite wrote {w.getframerate()} Hz x {w.getnchannels()}, expected 16 kHz mono s16")
        return array.array("h", w.readframes(w.getnframes()))


def write_wav(path, samples):
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes(samples.tobytes())


def segments(text_out):
    """'pau:0.136 p:0.234 ...' -> [(phone, start_s, end_s)]"""
    segs, start = [], 0.0
    for tok in text_out.split():
        phone, end = tok.rsplit(":", 1)
        segs.append((phone, start, float(end)))
        start = float(end)
    return segs


def word_phone_count(voice, word, cache):
    if (voice, word) not in cache:
        phones = run(["flite", "-voice", voice, "-ps", "-t", word, "none"]).split()
        cache[(voice, word)] = len([p for p in phones if p != "pau"])
    return cache[(voice, word)]


def words_of(text):
    return [w for w in re.sub(r"[^a-z' ]", " ", text.lower()).split() if w]


def word_times(voice, text, segs, offset_ms, cache):
    """Word start/end from the sentence's phone segments, given each word's phone count in the
    lexicon. None when the counts do not add up (flite's post-lexical rules changed a word)."""
    phones = [s for s in segs if s[0] != "pau"]
    out, i = [], 0
    for w in words_of(text):
        n = word_phone_count(voice, w, cache)
        if n == 0 or i + n > len(phones):
            return None
        out.append(dict(text=w, start_ms=offset_ms + round(phones[i][1] * 1000),
                        end_ms=offset_ms + round(phones[i + n - 1][2] * 1000)))
        i += n
    return out if i == len(phones) else None


def speech_clip(out_dir, spec, tmp):
    """The long clip: lead-in, each sentence then its pause; truth in speech-long.json."""
    cache, pcm, truth = {}, array.array("h"), []
    pcm.extend(array.array("h", bytes(2 * (spec["lead_in_ms"] * SR // 1000))))
    for i, s in enumerate(spec["sentences"]):
        wav = os.path.join(tmp, f"s{i}.wav")
        segs = segments(run(["flite", "-voice", s["voice"], "-psdur", "-t", s["text"], "-o", wav]))
        clip = read_wav(wav)
        offset_ms = len(pcm) * 1000 // SR
        speech = [x for x in segs if x[0] != "pau"]
        words = word_times(s["voice"], s["text"], segs, offset_ms, cache)
        truth.append(dict(index=i, voice=s["voice"], text=s["text"], clip_start_ms=offset_ms,
                          clip_end_ms=offset_ms + len(clip) * 1000 // SR,
                          start_ms=offset_ms + round(speech[0][1] * 1000),
                          end_ms=offset_ms + round(speech[-1][2] * 1000), words=words))
        pcm.extend(clip)
        pcm.extend(array.array("h", bytes(2 * (s["pause_ms"] * SR // 1000))))
    tone = noise(len(pcm), 0.002, 12345)  # faint room tone over everything, -58 dBFS rms
    for j in range(len(pcm)):
        pcm[j] = max(-32768, min(32767, pcm[j] + tone[j]))
    write_wav(os.path.join(out_dir, "speech-long.wav"), pcm)
    return truth, len(pcm) * 1000 // SR


def media_files(out_dir):
    wav = os.path.join(out_dir, "speech-long.wav")
    run(FF + ["-i", wav, "-c:a", "libmp3lame", "-b:a", "96k", "-ar", "44100", "-ac", "2",
              os.path.join(out_dir, "speech-long.mp3")])
    run(FF + ["-f", "lavfi", "-i", "testsrc=size=160x120:rate=15", "-i", os.path.join(out_dir, "speech-long.mp3"),
              "-map", "0:v", "-map", "1:a", "-shortest", "-c:v", "libx264", "-preset", "ultrafast",
              "-pix_fmt", "yuv420p", "-c:a", "copy", os.path.join(out_dir, "speech-long.mp4")])
    run(FF + ["-f", "lavfi", "-i", "testsrc=size=160x120:rate=15", "-t", "3", "-c:v", "libx264",
              "-preset", "ultrafast", "-pix_fmt", "yuv420p", os.path.join(out_dir, "video-no-audio.mp4")])
    # corrupt: the first 48 KiB of the MP4 (its moov box is at the end, so nothing is playable)
    with open(os.path.join(out_dir, "speech-long.mp4"), "rb") as f:
        head = f.read(48 * 1024)
    with open(os.path.join(out_dir, "corrupt-truncated.mp4"), "wb") as f:
        f.write(head)
    # corrupt: a RIFF/WAVE header whose fmt chunk is garbage, then noise bytes
    junk = noise(4000, 1.0, 777).tobytes()
    with open(os.path.join(out_dir, "corrupt-garbage.wav"), "wb") as f:
        f.write(b"RIFF" + (len(junk) + 4).to_bytes(4, "little") + b"WAVEfmt " + junk)


def silence_files(out_dir):
    n = 10 * SR
    write_wav(os.path.join(out_dir, "silence-zeros-10s.wav"), array.array("h", bytes(2 * n)))
    # room tone: noise through a one-pole low-pass (a hum-free, fan-like rumble), about -50 dBFS
    raw, tone, y = noise(n, 0.05, 4242), array.array("h", bytes(2 * n)), 0.0
    for i in range(n):
        y += 0.1 * (raw[i] - y)
        tone[i] = int(y)
    write_wav(os.path.join(out_dir, "room-tone-10s.wav"), tone)


def probe(path):
    """(stream codec types, duration s) as ffprobe sees them; None when ffprobe cannot open it."""
    r = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_type:format=duration",
                        "-of", "json", path], capture_output=True, text=True)
    if r.returncode != 0:
        return None
    doc = json.loads(r.stdout)
    return [st["codec_type"] for st in doc.get("streams", [])], float(doc.get("format", {}).get("duration", 0))


def self_check(out_dir, duration_ms):
    """The files are what the JSON says, checked with ffprobe (not with our own media code)."""
    want = {"speech-long.wav": ["audio"], "speech-long.mp3": ["audio"], "speech-long.mp4": ["video", "audio"],
            "video-no-audio.mp4": ["video"], "silence-zeros-10s.wav": ["audio"], "room-tone-10s.wav": ["audio"]}
    for name, kinds in want.items():
        got = probe(os.path.join(out_dir, name))
        if got is None or sorted(got[0]) != sorted(kinds):
            fail(f"{name}: ffprobe sees {got}, expected streams {kinds}")
        if name.startswith("speech-long") and abs(got[1] * 1000 - duration_ms) > 500:
            fail(f"{name}: {got[1]:.2f} s, expected {duration_ms / 1000:.2f} s")
    for name in ("corrupt-truncated.mp4", "corrupt-garbage.wav"):
        if probe(os.path.join(out_dir, name)) is not None:
            fail(f"{name}: ffprobe opens it, so it is not corrupt enough")


def main():
    if len(sys.argv) != 2:
        fail("usage: make-speech-fixtures.py OUT_DIR")
    out_dir = os.path.abspath(sys.argv[1])
    for tool in ("flite", "ffmpeg"):
        if shutil.which(tool) is None:
            fail(f"{tool} is not installed (scripts/setup installs it)")
    with open(SENTENCES) as f:
        spec = json.load(f)
    tmp = os.path.join(out_dir, ".tmp")
    os.makedirs(tmp, exist_ok=True)
    truth, duration_ms = speech_clip(out_dir, spec, tmp)
    shutil.rmtree(tmp)
    media_files(out_dir)
    silence_files(out_dir)
    self_check(out_dir, duration_ms)
    doc = dict(
        generator="tools/whisper/make-speech-fixtures.py", sample_rate=SR, duration_ms=duration_ms,
        files={"wav": "speech-long.wav", "mp3": "speech-long.mp3 (44.1 kHz stereo, 96 kb/s)",
               "mp4": "speech-long.mp4 (H.264 160x120 + the MP3 track)", "silence": "silence-zeros-10s.wav",
               "room_tone": "room-tone-10s.wav", "no_audio": "video-no-audio.mp4",
               "corrupt": ["corrupt-truncated.mp4", "corrupt-garbage.wav"]},
        note=("start_ms/end_ms: first/last non-pause phone of the sentence (flite -psdur) in the long clip; "
              "words: per-word phone spans, null where the lexicon's phone count differs from the "
              "synthesised one. The MP3/MP4 copies add the encoder's delay (under 50 ms)."),
        sentences=truth)
    with open(os.path.join(out_dir, "speech-long.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    n_words = sum(len(s["words"] or []) for s in truth)
    missing = [s["index"] for s in truth if s["words"] is None]
    print(f"make-speech-fixtures: {len(truth)} sentences, {duration_ms / 1000:.1f} s, {n_words} timed words"
          f"{', no word times for sentences ' + str(missing) if missing else ''} -> {out_dir}")


if __name__ == "__main__":
    main()
