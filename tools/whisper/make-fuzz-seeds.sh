#!/usr/bin/env bash
# Writes the seeds of tests/fuzz's fuzz-whisper-bin target: the first 4 KiB (hyper-parameters,
# mel filters, the start of the vocabulary) of the tiny random whisper.cpp .bin files that
# tools/whisper/make-tiny-whisper.py writes (f32, f16 and q8_0; 80 and 128 mels; .en); libFuzzer
# mutates from there. Run from the repository root with the tools venv.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PY:-.venv/bin/python}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$PY" tools/whisper/make-tiny-whisper.py --out "$tmp" > /dev/null
out=tests/fuzz/corpus/whisper-bin
rm -f "$out"/*-head  # regression-* inputs (past findings) are kept
mkdir -p "$out"
for f in "$tmp"/*.bin; do
  head -c 4096 "$f" > "$out/$(basename "$f" .bin)-head"
done
echo "fuzz seeds: $(ls "$out" | wc -l) files in $out"
