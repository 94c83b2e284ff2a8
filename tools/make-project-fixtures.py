#!/usr/bin/env python3
# Regenerates tests/projects/fixtures/v<N>.atelier for the CURRENT schema version N, straight
# from projects/schema.sql with Python's own sqlite3 module (independent of our C++ code). The
# rows below are the facts tests/projects/test-project-fixtures.cpp checks; keep both in step.
# Fixtures of older versions are frozen: once schema v2 exists, v1.atelier is never regenerated.
# Usage: tools/make-project-fixtures.py [--out FILE]   (run from anywhere; needs python3 only)
import argparse
import pathlib
import re
import sqlite3
import struct

ROOT = pathlib.Path(__file__).resolve().parent.parent


def header_constant(name):
    text = (ROOT / "projects" / "project.h").read_text()
    m = re.search(r"\b" + name + r"\s*=\s*(0x[0-9A-Fa-f]+|\d+)", text)
    if not m:
        raise SystemExit(f"{name} not found in projects/project.h")
    return int(m.group(1), 0)


def u(n):
    """Deterministic UUIDv7-shaped ids: 0190...-7000-8000-<n as 12 hex digits>."""
    return f"01900000-0000-7000-8000-{n:012x}"


T0 = 1_700_000_000_000  # 2023-11-14T22:13:20Z, in Unix ms

VERSION = header_constant("kSchemaVersion")
PROJECT = (1, u(1), f"Fixture v{VERSION}", T0, "0.1.0")
BLOBS = [("0123456789abcdef0123456789abcdef", 5, b"hello", T0)]
ASSETS = [
    # uuid, kind, name, content_hash, size_bytes, storage, rel_path, source_path, mime, container,
    # width, height, duration_ms, sample_rate_hz, channels, metadata_json, created_at_ms
    (u(10), "image", "beach.png", "aa" * 16, 123456, "media_file", "aa/aaaaaaaa.png", "/home/me/beach.png",
     "image/png", "png_pipe", 640, 480, 0, 0, 0, '{"streams":[{"codec":"png"}]}', T0 + 10),
    (u(11), "audio", "hello.wav", "0123456789abcdef0123456789abcdef", 5, "blob", "", "", "audio/wav", "wav",
     0, 0, 1500, 16000, 1, "{}", T0 + 11),
    (u(12), "video", "clip.mp4", "cc" * 16, 987654, "external", "/media/clip.mp4", "/media/clip.mp4",
     "video/mp4", "mov,mp4,m4a,3gp,3g2,mj2", 1920, 1080, 4000, 48000, 2, "{}", T0 + 12),
]
JOBS = [
    # uuid, kind, title, params_json, state, progress, stage, error_code, error_detail,
    # created_at_ms, started_at_ms, finished_at_ms, rerun_of
    (u(20), "import", "Import 3 files", '{"files":3}', "done", 1.0, "done", "", "", T0 + 20, T0 + 21, T0 + 22, None),
    (u(21), "transcribe", "Transcribe clip.mp4", "{}", "failed", 0.5, "decode", "media_decode_failed",
     "bad packet", T0 + 23, T0 + 24, T0 + 25, None),
    (u(22), "transcribe", "Transcribe clip.mp4 again", "{}", "running", 0.25, "asr", "", "", T0 + 26, T0 + 27, 0, u(21)),
    (u(23), "speak", "Speak", "{}", "queued", 0.0, "", "", "", T0 + 28, 0, 0, None),
]
# Schema v2: chats carry a system prompt, settings and the branch shown; messages form a tree.
# Chat 30: system 31 -> user 32 -> assistant 33 (done) and 36 (regenerated, left streaming by a
# "crash": opening marks it interrupted, text kept); user 34 is an edit of 32 (a sibling branch)
# answered by 35 (stopped, with reasoning). The chat shows the branch ending at 35.
SETTINGS_JSON = '{"model":"/models/tiny-v4.gguf","thinking":true,"sampling":{"temperature":0.6,"seed":7}}'
CHATS = [(u(30), "First chat", "deepseek-v4-flash", T0 + 30, "You are helpful.", SETTINGS_JSON, u(35))]
MESSAGES = [
    # uuid, chat_uuid, seq, role, content, created_at_ms, parent_uuid, state, reasoning, generation_uuid
    (u(31), u(30), 1, "system", "You are helpful.", T0 + 31, None, "done", "", None),
    (u(32), u(30), 2, "user", "Hello?", T0 + 32, u(31), "done", "", None),
    (u(33), u(30), 3, "assistant", "Hi! How can I help?", T0 + 33, u(32), "done", "", u(41)),
    (u(34), u(30), 4, "user", "Hello there?", T0 + 34, u(31), "done", "", None),
    (u(35), u(30), 5, "assistant", "General", T0 + 35, u(34), "stopped", "The user quotes a film.", u(42)),
    (u(36), u(30), 6, "assistant", "Hello! Wha", T0 + 36, u(32), "streaming", "", u(43)),
]
CHAT_PARAMS = '{"model":"/models/tiny-v4.gguf","thinking":false,"sampling":{"temperature":0.6,"top_p":0.95,"seed":7}}'
GENERATIONS = [(u(40), "speak", "tts-small", "dd" * 16, '{"voice":"a"}', 42, "done", '{"total_ms":900}', "0.1.0",
                u(20), T0 + 40),
               (u(41), "chat", "tiny-v4.gguf", "ee" * 16, CHAT_PARAMS, 7, "done",
                '{"prefill_tokens":12,"decode_tokens":6,"decode_tokens_per_s":30.0}', "0.1.0", None, T0 + 41),
               (u(42), "chat", "tiny-v4.gguf", "ee" * 16, CHAT_PARAMS, 8, "cancelled", "{}", "0.1.0", None, T0 + 42),
               (u(43), "chat", "tiny-v4.gguf", "ee" * 16, CHAT_PARAMS, 9, "running", "{}", "0.1.0", None, T0 + 43)]
GENERATION_OUTPUTS = [(u(40), 0, u(11))]
TRANSCRIPTS = [(u(50), u(12), None, "en", "clip.mp4 transcript", T0 + 50)]
SEGMENTS = [(u(51), u(50), 0, 0, 1200, "", "Hello there."), (u(52), u(50), 1, 1300, 2500, "", "General Kenobi.")]
WORDS = [(u(51), 0, 0, 500, "Hello", 0.9), (u(51), 1, 600, 1200, " there.", 0.8),
         (u(52), 0, 1300, 1900, "General", 0.95), (u(52), 1, 2000, 2500, " Kenobi.", 0.7)]
TIMELINES = [(u(60), "Main", 1920, 1080, 30, 1, 48000, T0 + 60)]
TRACKS = [(u(61), u(60), 0, "video", "V1", 0), (u(62), u(60), 1, "subtitle", "Subs", 0)]
CLIPS = [(u(63), u(61), u(12), 0, 4000, 0, "", "{}"), (u(64), u(62), None, 0, 1200, 0, "Hello there.", "{}")]
SETTINGS = [("export.default_format", '"mp4"'), ("chat.temperature", "0.7")]
THUMBNAILS = [(u(10), 1, 4, 3, b"\x89PNG\r\n\x1a\nfixture")]
WAVEFORMS = [(u(11), 1, 256, struct.pack("<4f", -0.5, 0.5, -0.25, 0.75))]

TABLES = [
    ("project", [PROJECT]), ("blobs", BLOBS), ("assets", ASSETS), ("jobs", JOBS), ("chats", CHATS),
    ("messages", MESSAGES), ("generations", GENERATIONS), ("generation_outputs", GENERATION_OUTPUTS),
    ("transcripts", TRANSCRIPTS), ("transcript_segments", SEGMENTS), ("transcript_words", WORDS),
    ("timelines", TIMELINES), ("tracks", TRACKS), ("clips", CLIPS), ("settings", SETTINGS),
    ("thumbnails", THUMBNAILS), ("waveforms", WAVEFORMS),
]


def main():
    version = VERSION
    app_id = header_constant("kApplicationId")
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default=str(ROOT / "tests" / "projects" / "fixtures" / f"v{version}.atelier"))
    out = pathlib.Path(ap.parse_args().out)
    out.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm", "-journal"):
        pathlib.Path(str(out) + suffix).unlink(missing_ok=True)
    db = sqlite3.connect(out, isolation_level=None)
    db.execute("PRAGMA foreign_keys = ON")
    db.executescript((ROOT / "projects" / "schema.sql").read_text())
    db.execute("BEGIN")
    db.execute("PRAGMA defer_foreign_keys = ON")  # chats.current_leaf_uuid points at later rows
    for table, rows in TABLES:
        for row in rows:
            db.execute(f"INSERT INTO {table} VALUES ({', '.join('?' * len(row))})", row)
    db.execute(f"PRAGMA application_id = {app_id}")
    db.execute(f"PRAGMA user_version = {version}")
    db.execute("COMMIT")
    problems = db.execute("PRAGMA foreign_key_check").fetchall()
    if problems:
        raise SystemExit(f"foreign key problems: {problems}")
    db.execute("PRAGMA journal_mode = WAL")  # as Atelier writes its files
    db.close()
    print(f"wrote {out} (schema v{version}, {out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
