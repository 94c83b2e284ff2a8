#!/usr/bin/env bash
# Regenerates the small committed media fixtures (tests/media/fixtures/) and the libFuzzer seed
# corpora (tests/fuzz/corpus/*). The facts the tests check (sizes, rates, pattern formulas,
# amplitudes) are defined HERE and written to tests/media/fixtures/facts.json; tests read them
# from there, or ask ffprobe/ffmpeg at test time. Needs: ffmpeg (Debian's, with libx264,
# libmp3lame, libopus, libwebp), python3 (standard library only), sqlite3.
# Usage: tools/make-media-fixtures.sh     (run from anywhere; rewrites the fixture folders)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$ROOT/tests/media/fixtures"
CORPUS="$ROOT/tests/fuzz/corpus"
PY="$(command -v python3)"
# Bit-exact muxers/encoders and one thread keep the outputs the same from run to run on one
# FFmpeg build (BITEXACT goes with each output: ffmpeg's options apply to the next file).
FF=(ffmpeg -hide_banner -loglevel error -nostdin -y -threads 1)
BITEXACT=(-fflags +bitexact -flags:v +bitexact -flags:a +bitexact)

mkdir -p "$OUT"
rm -f "$OUT"/*
cd "$OUT"

# ---- facts (single source of truth for the numbers below)
PAT_W=37 PAT_H=23                 # odd on purpose: catches stride and rounding bugs
QUAD_W=48 QUAD_H=32               # stored (un-rotated) size of the EXIF test JPEG
SINE_HZ=440 SINE_AMP=0.5 RATE=48000
CLIP_W=64 CLIP_H=48 CLIP_FPS=25 CLIP_GOP=10 GRAY_STEP=8

# Pattern image: pixel (x, y) = (7x mod 256, 11y mod 256, 5(x+y) mod 256, 255-3x), RGBA.
pattern_rgba() {
    "$PY" - "$PAT_W" "$PAT_H" <<'PYEOF'
import sys
w, h = int(sys.argv[1]), int(sys.argv[2])
px = bytearray()
for y in range(h):
    for x in range(w):
        px += bytes(((7 * x) % 256, (11 * y) % 256, (5 * (x + y)) % 256, 255 - 3 * x))
sys.stdout.buffer.write(px)
PYEOF
}
pattern_rgba | "${FF[@]}" -f rawvideo -pix_fmt rgba -s "${PAT_W}x${PAT_H}" -i - -frames:v 1 "${BITEXACT[@]}" \
    -c:v png pattern-37x23.png
pattern_rgba | "${FF[@]}" -f rawvideo -pix_fmt rgba -s "${PAT_W}x${PAT_H}" -i - -frames:v 1 "${BITEXACT[@]}" \
    -pix_fmt bgra -c:v libwebp -lossless 1 pattern-37x23.webp
pattern_rgba | "${FF[@]}" -f rawvideo -pix_fmt rgba -s "${PAT_W}x${PAT_H}" -i - -frames:v 1 "${BITEXACT[@]}" \
    -pix_fmt rgb24 pattern-37x23.bmp

# Quadrants: top-left red, top-right green, bottom-left blue, bottom-right white (stored pixels).
quadrants_rgb() {
    "$PY" - "$QUAD_W" "$QUAD_H" <<'PYEOF'
import sys
w, h = int(sys.argv[1]), int(sys.argv[2])
colours = {(0, 0): (255, 0, 0), (1, 0): (0, 255, 0), (0, 1): (0, 0, 255), (1, 1): (255, 255, 255)}
px = bytearray()
for y in range(h):
    for x in range(w):
        px += bytes(colours[(x * 2 // w, y * 2 // h)])
sys.stdout.buffer.write(px)
PYEOF
}
quadrants_rgb | "${FF[@]}" -f rawvideo -pix_fmt rgb24 -s "${QUAD_W}x${QUAD_H}" -i - -frames:v 1 "${BITEXACT[@]}" \
    -pix_fmt yuvj444p -q:v 2 -c:v mjpeg quadrants.jpg

# The same JPEG with an EXIF APP1 segment (big-endian TIFF, IFD0 = one entry: Orientation = 6,
# "rotate 90 degrees clockwise to display") inserted right after SOI. Layout per EXIF 2.3 §4.5.
"$PY" - quadrants.jpg quadrants-orient6.jpg 6 <<'PYEOF'
import struct, sys
src, dst, orientation = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = open(src, "rb").read()
assert data[:2] == b"\xff\xd8"
tiff = b"MM" + struct.pack(">HI", 42, 8)                      # header, IFD0 at offset 8
tiff += struct.pack(">H", 1)                                  # one entry
tiff += struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0)   # SHORT value, left-aligned
tiff += struct.pack(">I", 0)                                  # no next IFD
payload = b"Exif\x00\x00" + tiff
app1 = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
open(dst, "wb").write(data[:2] + app1 + data[2:])
PYEOF

# Audio: a 1 s, 440 Hz sine of amplitude 0.5 on both channels, 48 kHz.
SINE="aevalsrc=${SINE_AMP}*sin(2*PI*${SINE_HZ}*t)|${SINE_AMP}*sin(2*PI*${SINE_HZ}*t):s=${RATE}:d=1:c=stereo"
"${FF[@]}" -f lavfi -i "$SINE" "${BITEXACT[@]}" -c:a pcm_s16le sine-440-48k-stereo.wav
"${FF[@]}" -f lavfi -i "$SINE" "${BITEXACT[@]}" -ac 1 -c:a libmp3lame -b:a 32k sine-440.mp3
"${FF[@]}" -f lavfi -i "$SINE" "${BITEXACT[@]}" -c:a libopus -b:a 24k sine-440.opus
# Matroska written to a pipe has no duration anywhere (no Duration element, no cues): the case
# where a waveform must size its buckets as it goes.
"${FF[@]}" -f lavfi -i "$SINE" "${BITEXACT[@]}" -c:a libopus -b:a 24k -f matroska - > sine-440-no-duration.mka
# MP3 with the pattern PNG as cover art (an attached picture): still an audio file.
"${FF[@]}" -i sine-440.mp3 -i pattern-37x23.png -map 0 -map 1 -c copy "${BITEXACT[@]}" -id3v2_version 3 \
    -metadata:s:v title="cover" -metadata:s:v comment="Cover (front)" -disposition:v attached_pic cover-art.mp3

# Video: 1 s, 64x48, 25 fps, keyframe every 10 frames. Rows 0-15: red | green, rows 16-31:
# blue | white, rows 32-47: grey level GRAY_STEP * frame_index (so a frame shows its own index).
clip_rgb() {
    "$PY" - "$CLIP_W" "$CLIP_H" "$CLIP_FPS" "$GRAY_STEP" <<'PYEOF'
import sys
w, h, n, step = (int(a) for a in sys.argv[1:5])
out = sys.stdout.buffer
for i in range(n):
    px = bytearray()
    for y in range(h):
        for x in range(w):
            if y < h // 3:
                px += bytes((255, 0, 0) if x < w // 2 else (0, 255, 0))
            elif y < 2 * h // 3:
                px += bytes((0, 0, 255) if x < w // 2 else (255, 255, 255))
            else:
                px += bytes((step * i,) * 3)
    out.write(px)
PYEOF
}
clip_rgb | "${FF[@]}" -f rawvideo -pix_fmt rgb24 -s "${CLIP_W}x${CLIP_H}" -r "$CLIP_FPS" -i - \
    -f lavfi -i "$SINE" -t 1 "${BITEXACT[@]}" \
    -c:v libx264 -preset medium -crf 12 -g "$CLIP_GOP" -keyint_min "$CLIP_GOP" -sc_threshold 0 -bf 0 -pix_fmt yuv420p \
    -c:a aac -b:a 48k -shortest clip-64x48.mp4
# Same streams, tagged "turn 90 degrees clockwise for display", the way phones tag portrait video
# (ffprobe shows "rotation": -90, the display matrix's counter-clockwise angle). FFmpeg 5.1's mov
# muxer reads the rotate tag as counter-clockwise, hence 270 here; the tests check with ffprobe.
"${FF[@]}" -i clip-64x48.mp4 -map 0 -c copy "${BITEXACT[@]}" -metadata:s:v:0 rotate=270 clip-64x48-rot90.mp4
# Damaged inputs: the clip cut in half (its index, the moov box, is at the end and now missing),
# and a text file that merely claims to be an MP4.
SIZE=$(stat -c %s clip-64x48.mp4)
head -c $((SIZE / 2)) clip-64x48.mp4 > truncated.mp4
printf 'This is a plain text file.\nIt only pretends to be a video by its name.\n' > not-media.mp4

# facts.json: what the tests compare against.
cat > facts.json <<EOF
{
  "pattern": {"width": $PAT_W, "height": $PAT_H,
              "formula": "r=7x%256 g=11y%256 b=5(x+y)%256 a=255-3x"},
  "quadrants": {"width": $QUAD_W, "height": $QUAD_H, "orientation": 6,
                "top_left": [255, 0, 0], "top_right": [0, 255, 0],
                "bottom_left": [0, 0, 255], "bottom_right": [255, 255, 255]},
  "sine": {"frequency_hz": $SINE_HZ, "amplitude": $SINE_AMP, "sample_rate_hz": $RATE, "channels": 2,
           "duration_ms": 1000},
  "clip": {"width": $CLIP_W, "height": $CLIP_H, "fps": $CLIP_FPS, "frames": $CLIP_FPS, "gop": $CLIP_GOP,
           "gray_step": $GRAY_STEP, "rotation_deg": 90,
           "layout": "rows [0,h/3): red|green, [h/3,2h/3): blue|white, [2h/3,h): gray_step*frame"}
}
EOF

# ---- fuzz seed corpora: small, varied, valid and damaged inputs per target
rm -rf "$CORPUS"
mkdir -p "$CORPUS/probe" "$CORPUS/image" "$CORPUS/json" "$CORPUS/project" "$CORPUS/decode"
cp pattern-37x23.png pattern-37x23.webp quadrants-orient6.jpg sine-440.mp3 sine-440.opus cover-art.mp3 \
   clip-64x48-rot90.mp4 truncated.mp4 not-media.mp4 "$CORPUS/probe/"
"${FF[@]}" -f lavfi -i "$SINE" -t 0.02 "${BITEXACT[@]}" -c:a pcm_s16le "$CORPUS/probe/short.wav"
# fuzz-decode (VideoReader/AudioReader): tiny WebM (VP9 + Opus) and MP4 with a mov_text track;
# the probe seeds are its seeds too.
"${FF[@]}" -f lavfi -i testsrc2=size=32x24:rate=10 -f lavfi -i "$SINE" -t 0.3 "${BITEXACT[@]}" \
    -c:v libvpx-vp9 -c:a libopus -b:a 16k "$CORPUS/decode/tiny.webm"
printf '1\n00:00:00,000 --> 00:00:00,200\nhi\n\n' > "$CORPUS/decode/sub.srt"
"${FF[@]}" -f lavfi -i testsrc2=size=32x24:rate=10 -i "$CORPUS/decode/sub.srt" -t 0.3 "${BITEXACT[@]}" \
    -c:v libx264 -c:s mov_text "$CORPUS/decode/tiny-subs.mp4"
cp pattern-37x23.png pattern-37x23.webp pattern-37x23.bmp quadrants-orient6.jpg "$CORPUS/image/"
pattern_rgba | "${FF[@]}" -f rawvideo -pix_fmt rgba -s "${PAT_W}x${PAT_H}" -i - -frames:v 1 "${BITEXACT[@]}" \
    -pix_fmt rgb8 "$CORPUS/image/pattern.gif"
pattern_rgba | "${FF[@]}" -f rawvideo -pix_fmt rgba -s "${PAT_W}x${PAT_H}" -i - -frames:v 1 "${BITEXACT[@]}" \
    -c:v tiff "$CORPUS/image/pattern.tiff"
cat > "$CORPUS/json/media-info.json" <<'EOF'
{"path":"/tmp/clip.mp4","kind":"video","container":"mov,mp4,m4a,3gp,3g2,mj2","container_long":"QuickTime / MOV","mime":"video/mp4","duration_ms":1000,"bit_rate":90000,"size_bytes":12000,"width":48,"height":64,"sample_rate_hz":48000,"channels":2,"streams":[{"index":0,"type":"video","codec":"h264","codec_long":"H.264","width":64,"height":48,"fps":25.0,"rotation_deg":90,"sample_rate_hz":0,"channels":0,"channel_layout":"","duration_ms":1000,"bit_rate":60000,"language":"und","attached_picture":false},{"index":1,"type":"audio","codec":"aac","codec_long":"AAC","width":0,"height":0,"fps":0.0,"rotation_deg":0,"sample_rate_hz":48000,"channels":2,"channel_layout":"stereo","duration_ms":1000,"bit_rate":48000,"language":"","attached_picture":false}]}
EOF
printf '{"kind":"image","streams":[{"type":"video","width":-1}]}' > "$CORPUS/json/odd-values.json"
printf '[1,2,{"a":null}]' > "$CORPUS/json/not-object.json"
# Project seeds: an empty SQLite file carrying our identity (application_id 'ATLR', schema 1),
# another application's SQLite file, and bytes that are not SQLite at all.
sqlite3 "$CORPUS/project/identity-only.atelier" "PRAGMA application_id=1096043602; PRAGMA user_version=1; CREATE TABLE t(x); DROP TABLE t; VACUUM;"
sqlite3 "$CORPUS/project/foreign.atelier" "CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes(body) VALUES ('x');"
printf 'SQLite format 3\0garbage' > "$CORPUS/project/bad-header.atelier"

echo "fixtures: $(du -sh "$OUT" | cut -f1) in $OUT; corpora: $(du -sh "$CORPUS" | cut -f1) in $CORPUS"
