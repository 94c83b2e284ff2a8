#!/usr/bin/env python3
# Phoneme-id goldens for tests/inference/tts: Piper's own text -> phonemes -> ids (the piper-tts
# package: espeak-ng through its espeakbridge, NFD split, pad/bos/eos interspersing) for the
# sentences in tests/inference/tts/phoneme-sentences.json, with the voice's .onnx.json. Writes
# one JSON: per text, Piper's sentences as phoneme strings and id lists, plus the voice's espeak
# voice and phoneme_id_map (so the test needs no model), and what the system's espeak-ng program
# says for each text (its data can differ from the copy Piper bundles). Never run by tests.
#   /work/venv-ref/bin/python tools/tts/make-phoneme-goldens.py VOICE.onnx SENTENCES.json OUT.json
import argparse
import json
import re
import subprocess

import piper
from piper import PiperVoice


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("onnx_path")
    ap.add_argument("sentences")
    ap.add_argument("out")
    args = ap.parse_args()
    voice = PiperVoice.load(args.onnx_path)
    with open(args.sentences, encoding="utf-8") as f:
        texts = json.load(f)["texts"]
    cases = []
    cli_version = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True).stdout.strip()
    for text in texts:
        sentences = voice.phonemize(text)
        piper_ph = ["".join(s) for s in sentences]
        # The system's espeak-ng program (Debian's library and data, a separate code path from
        # ours): one line of IPA per clause, no punctuation.
        cli = subprocess.run(["espeak-ng", "-q", "--ipa", "-v", voice.config.espeak_voice, "--", text],
                             capture_output=True, text=True, check=True).stdout
        cli_lines = [ln.strip() for ln in cli.splitlines() if ln.strip()]
        bare = lambda s: re.sub(r"[\s.,;:!?]", "", s)
        cases.append({"text": text,
                      "phonemes": piper_ph,
                      "ids": [voice.phonemes_to_ids(s) for s in sentences],
                      "system_espeak_clauses": cli_lines,
                      "piper_equals_system_espeak": bare("".join(piper_ph)) == bare("".join(cli_lines))})
    out = {"generator": f"piper-tts {getattr(piper, '__version__', '1.8.0')} (espeakbridge)",
           "system_espeak": cli_version,
           "espeak_voice": voice.config.espeak_voice,
           "phoneme_id_map": {k: list(v) for k, v in voice.config.phoneme_id_map.items()},
           "cases": cases}
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
    print(f"make-phoneme-goldens: {len(cases)} texts -> {args.out}")


if __name__ == "__main__":
    main()
