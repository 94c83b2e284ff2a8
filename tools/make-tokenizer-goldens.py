#!/usr/bin/env python3
# Writes tests/inference/tokenizer/fixtures/goldens.jsonl: what the reference `tokenizers` package
# (pinned 0.22.1 in .venv) answers for the fixture tokenizer.json on >= 2,000 varied strings made
# from a fixed seed. The C++ tokenizer test must agree with every line exactly.
# Line kinds (one JSON object each):
#   {"text", "ids", ["ids_plain"], ["ids_bos"], ["decoded"], ["decoded_skip"]}
#     ids: encode(text, add_special_tokens=False) with special tokens parsed;
#     ids_plain: the same with encode_special_tokens=True (special-token text as plain text), only
#       where it differs; ids_bos: add_special_tokens=True (the BOS template), on every 8th line;
#     decoded / decoded_skip: decode(ids, skip_special_tokens=False/True), only where != text.
#   {"decode_ids", "decoded", "decoded_skip"}: arbitrary id sequences (cut UTF-8, unknown ids).
#   {"bytes_hex", "ids"}: invalid UTF-8 input; ids = encode(bytes.decode("utf-8", "replace")), the
#     documented C++ behaviour (each maximal invalid subpart becomes U+FFFD).
# Usage: .venv/bin/python tools/make-tokenizer-goldens.py   (after make-tokenizer-fixtures.py)
import json
import pathlib
import random

from tokenizers import Tokenizer

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIX = ROOT / "tests" / "inference" / "tokenizer" / "fixtures"
SEED = 31337

ADDED = ["<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", "<｜▁pad▁｜>", "<｜User｜>", "<｜Assistant｜>",
         "<｜latest_reminder｜>", "<｜tool▁calls▁begin｜>", "<｜tool▁calls▁end｜>", "<｜fim▁hole｜>", "<think>",
         "</think>", "<｜DSML｜tool_calls>", "</｜DSML｜tool_calls>", "<｜DSML｜invoke", "</｜DSML｜invoke>",
         "<｜DSML｜parameter", "</｜DSML｜parameter>", "calls▁begin"]
NEAR_MISS = ["<｜User", "｜User｜>", "<think", "think>", "<｜DSML｜", "<｜begin▁of▁", "< think>", "<THINK>",
             "<｜tool▁calls▁begin", "tool▁calls▁begin｜>", "▁", "｜"]
WORDS = ("the quick brown fox jumps over lazy dog model token engine render frame layer cache "
         "thread kernel project studio hello world don't can't it's we're they've I'm you'll she'd "
         "isn't O'Neil rock'n'roll e-mail naïve café Straße Ελληνικά Привет мир").split()
CONTRACTIONS = ["don't", "DON'T", "we'll", "I'd", "they're", "y'all", "'s", "'tis", "ma'am", "it’s"]
CJK_TEXT = "我们今天学习自然语言处理东京は日本の首都ですカタカナひらがな한국어문장안녕하세요漢字"
SCRIPTS = ["مرحبا بالعالم", "שָׁלוֹם עוֹלָם", "नमस्ते दुनिया", "สวัสดีชาวโลก", "Γειά σου Κόσμε",
           "Здравствуй, мир", "ሰላም ለዓለም", "გამარჯობა", "Xin chào thế giới", "ᚠᚢᚦᚨᚱᚲ"]
EMOJI = ["😀", "🎉", "👍", "👍🏻", "👍🏿", "👩‍💻", "👨‍👩‍👧‍👦", "🏳️‍🌈", "❤️", "❤", "🇯🇵", "🇺🇳", "✨",
         "🚀", "🤖", "🧑🏽‍🚀", "👁️‍🗨️", "#️⃣", "🫠", "🏴󠁧󠁢󠁳󠁣󠁴󠁿"]
SPACES = [" ", "  ", "\t", "\n", "\r\n", "\r", "\u00a0", "\u3000", "\u2028", "\u2029", "\u0085",
          "\u000b", "\u000c", "\u200b", "\u2003", "\u202f"]
DIGITS = ["0123456789", "٠١٢٣٤٥٦٧٨٩", "０１２３４５", "²³¹", "½¼", "ⅫⅣ", "१२३", "〇", "①②"]
ODD = ["\u0301", "a\u0301", "\u0301\u0301x", "e\u0308\u0304", "\u200d", "\ufeff", "\u0000", "\u0007",
       "\u007f", "\ue000", "\uffff", "\ufffd", "\U0010ffff", "\U0001d400\U0001d401", "\u202e", "ǅ",
       "ﬁ", "Å", "Å", "\u0e33", "\u0915\u094d\u0937"]
CODE = [
    "def f(x):\n    return x ** 2  # square\n",
    "for (size_t i = 0; i < n; ++i) { out[i] = in[i] >> 3; }",
    "if (a && !b || c != 0x7FFF) return -1;",
    "int main(int argc, char** argv) {\n\tprintf(\"%d\\n\", argc);\n}\n",
    "let v: Vec<u8> = s.bytes().rev().collect();",
    "SELECT * FROM t WHERE x IN (1,2,3) AND name LIKE '%ab_';",
    "<a href=\"https://example.org/?q=1&r=2\">link</a>",
    "```python\nimport os\nprint(os.getcwd())\n```",
    "x+=1;y-=2;z*=3;w/=4;v%=5;u^=6;t|=7;s&=8;",
    "{\"key\": [1, 2.5, -3e10, true, null], \"s\": \"\\u00e9\"}",
    "    \n\t\t\n        return;\n",
    "a.b.c->d::e[f](g)",
    "$HOME/.config/@user/#tag ~/path_with_under_scores",
]


def rand_cp(rng):
    """A random scalar value: mostly BMP, sometimes astral; never a surrogate."""
    while True:
        cp = rng.randrange(0x20, 0x3000) if rng.random() < 0.6 else rng.randrange(0x20, 0x30000)
        if not 0xD800 <= cp <= 0xDFFF:
            return chr(cp)


def piece(rng):
    kind = rng.randrange(14)
    if kind == 0:
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 8)))
    if kind == 1:
        a = rng.randrange(len(CJK_TEXT) - 8)
        return CJK_TEXT[a:a + rng.randint(1, 12)]
    if kind == 2:
        return "".join(rng.choice(EMOJI) for _ in range(rng.randint(1, 4)))
    if kind == 3:
        return rng.choice(SCRIPTS)
    if kind == 4:
        return "".join(rng.choice(SPACES) for _ in range(rng.randint(1, 6)))
    if kind == 5:
        d = rng.choice(DIGITS)
        return "".join(rng.choice(d) for _ in range(rng.randint(1, 25)))
    if kind == 6:
        return rng.choice(CONTRACTIONS)
    if kind == 7:
        return rng.choice(ADDED)
    if kind == 8:
        return rng.choice(NEAR_MISS)
    if kind == 9:
        return rng.choice(ODD)
    if kind == 10:
        return rng.choice(CODE)
    if kind == 11:
        return "".join(rand_cp(rng) for _ in range(rng.randint(1, 6)))
    if kind == 12:
        return "".join(rng.choice("!?.,;:-_=+*/\\|()[]{}<>\"'`~@#$%^&") for _ in range(rng.randint(1, 5)))
    return str(rng.randrange(10 ** rng.randint(1, 30)))


def make_strings(rng, count):
    fixed = ["", " ", "  ", "\n", "a", "1", "12", "123", "1234", "1234567890123", "<think>",
             "<｜User｜>hi<｜Assistant｜>", "<｜tool▁calls▁begin｜>", "x<｜begin▁of▁sentence｜>y"]
    out = list(fixed)
    while len(out) < count:
        glue = rng.choice(["", " ", "\n", ""])
        out.append(glue.join(piece(rng) for _ in range(rng.randint(1, 5))))
    return out


def main():
    tok = Tokenizer.from_file(str(FIX / "tokenizer.json"))
    rng = random.Random(SEED)
    lines = []
    strings = make_strings(rng, 2200)
    for n, text in enumerate(strings):
        tok.encode_special_tokens = False
        ids = tok.encode(text, add_special_tokens=False).ids
        row = {"text": text, "ids": ids}
        tok.encode_special_tokens = True
        plain = tok.encode(text, add_special_tokens=False).ids
        tok.encode_special_tokens = False
        if plain != ids:
            row["ids_plain"] = plain
        if n % 8 == 0:
            row["ids_bos"] = tok.encode(text, add_special_tokens=True).ids
        dec = tok.decode(ids, skip_special_tokens=False)
        if dec != text:
            row["decoded"] = dec
        dec_skip = tok.decode(ids, skip_special_tokens=True)
        if dec_skip != text:
            row["decoded_skip"] = dec_skip
        lines.append(row)
    # Arbitrary id runs: slices of real encodings (cut inside UTF-8) and random ids, some unknown.
    n_vocab = tok.get_vocab_size(with_added_tokens=True)
    for _ in range(300):
        if rng.random() < 0.5:
            ids = tok.encode(rng.choice(strings)).ids
            a = rng.randrange(len(ids) + 1)
            ids = ids[a:a + rng.randint(1, 6)]
        else:
            ids = [rng.randrange(n_vocab + 3) for _ in range(rng.randint(1, 8))]
        lines.append({"decode_ids": ids, "decoded": tok.decode(ids, skip_special_tokens=False),
                      "decoded_skip": tok.decode(ids, skip_special_tokens=True)})
    for _ in range(100):
        raw = rng.choice(strings).encode("utf-8")
        cut = bytearray(raw[:rng.randrange(len(raw) + 1)])
        for _ in range(rng.randint(1, 3)):
            cut.insert(rng.randrange(len(cut) + 1), rng.choice([0x80, 0xBF, 0xC0, 0xC1, 0xE2, 0xED, 0xF0, 0xF4,
                                                               0xF5, 0xFF, 0x9F]))
        cut += bytes(rng.choice([b"", b"\xe2\x82", b"\xf0\x9f\x98", b"\xed\xa0\x80", b"\xc3"]))
        lines.append({"bytes_hex": bytes(cut).hex(),
                      "ids": tok.encode(bytes(cut).decode("utf-8", "replace"), add_special_tokens=False).ids})
    path = FIX / "goldens.jsonl"
    with path.open("w", encoding="utf-8") as f:
        for row in lines:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    n_plain = sum("ids_plain" in r for r in lines)
    print(f"{len(strings)} strings ({n_plain} differ with specials as text), "
          f"{len(lines) - len(strings)} decode / invalid-UTF-8 cases -> {path} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
