#!/usr/bin/env python3
# Builds the test tokenizer of tests/inference/tokenizer/fixtures/ with the reference `tokenizers`
# package (pinned 0.22.1 in .venv): a small byte-level BPE trained on a built-in corpus, laid out
# like DeepSeek V3/V4's tokenizer.json (three Split regexes + ByteLevel without regex, ByteLevel
# decoder, BOS template, added tokens), plus a GGUF holding the same vocabulary and merges as
# tokenizer.ggml.* metadata (gguf package, no tensors). Deterministic: same files on every run.
# Also writes the seed corpus of the tokenizer fuzz target (tests/fuzz/corpus/tokenizer/).
# Usage: .venv/bin/python tools/make-tokenizer-fixtures.py   (then run make-tokenizer-goldens.py)
import json
import pathlib
import random

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers
from tokenizers import pre_tokenizers, processors, trainers

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "inference" / "tokenizer" / "fixtures"

# DeepSeek V3's pre-tokenizer regexes (the same three strings llama.cpp uses for its
# "deepseek-v3" pre-tokenizer type; V4 keeps the V3 tokenizer family): digits in groups of at
# most three, runs of CJK ideographs / kana, then the GPT-4-like word/punctuation/space split.
DEEPSEEK_V3_REGEXES = [
    "\\p{N}{1,3}",
    "[\u4e00-\u9fa5\u3040-\u309f\u30a0-\u30ff]+",
    "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+|"
    " ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+",
]

BOS = "<｜begin▁of▁sentence｜>"
EOS = "<｜end▁of▁sentence｜>"
PAD = "<｜▁pad▁｜>"
# Trained-in special tokens take ids 0.. in order (DeepSeek: BOS 0, EOS 1, pad 2).
SPECIAL_TRAINED = [BOS, EOS, PAD]
# Added after training. (content, special). The DSML tool-call markup of V4 (deepseek-v4.md §3.10)
# and the chat markers; "calls▁begin" is a plain added token that overlaps a special one, so
# encoding with specials off shows the reference's leftmost-longest rule.
ADDED = [
    ("<｜User｜>", True),
    ("<｜Assistant｜>", True),
    ("<｜latest_reminder｜>", True),
    ("<｜tool▁calls▁begin｜>", True),
    ("<｜tool▁calls▁end｜>", True),
    ("<｜fim▁hole｜>", True),
    ("<think>", False),
    ("</think>", False),
    ("<｜DSML｜tool_calls>", False),
    ("</｜DSML｜tool_calls>", False),
    ("<｜DSML｜invoke", False),
    ("</｜DSML｜invoke>", False),
    ("<｜DSML｜parameter", False),
    ("</｜DSML｜parameter>", False),
    ("calls▁begin", False),
]

WORDS_EN = ("the of and to in is that for it as with was on be at by this had not are but from "
            "have they you which one were all we when your can said there use an each she do how "
            "their if will up other about out many then them these so some her would make like him "
            "into time has look two more write go see number no way could people my than first water "
            "been call who oil its now find long down day did get come made may part model token "
            "engine render frame layer weight cache thread kernel project studio video image audio "
            "don't can't it's we're they've I'm you'll she'd isn't").split()
WORDS_DE = "Straße über Größe schön Mädchen Fußball Brücke Käse".split()
WORDS_FR = "déjà vu café naïve garçon élève où çà Noël".split()
CJK = ("我们今天学习自然语言处理模型的分词方法这个问题很有意思中文没有空格所以需要特别的规则"
       "東京は日本の首都ですひらがなカタカナ漢字を混ぜて書きますトークナイザーのテスト"
       "한국어문장도조금넣습니다안녕하세요")
ARABIC = "مرحبا بالعالم هذا نص عربي قصير للاختبار".split()
HEBREW = "שלום עולם זה טקסט בעברית".split()
DEVANAGARI = "नमस्ते दुनिया यह हिन्दी का छोटा वाक्य है".split()
CYRILLIC = "Привет мир это короткий русский текст для проверки".split()
EMOJI = ["😀", "🎉", "👍🏽", "👩‍💻", "👨‍👩‍👧‍👦", "🏳️‍🌈", "❤️", "🇯🇵", "✨", "🚀", "🤖", "🧪"]
CODE = [
    "def main(argv):\n    return len(argv) > 1\n",
    "for (int i = 0; i < n; ++i) {\n\tsum += a[i] * b[i];\n}\n",
    "if x != None and y >= 0x1F:\n        print(f\"{x!r} -> {y:08d}\")\n",
    "const auto r = std::make_unique<Foo>(42);  // TODO: fix\n",
    "SELECT id, name FROM users WHERE age >= 18 ORDER BY name;\n",
    "<div class=\"row\"><span>{{ value }}</span></div>\n",
    "fn add(a: i32, b: i32) -> i32 { a + b }\n",
    "    x = [1, 2, 3]\r\n    y = {'k': (4, 5)}\r\n",
]


def corpus_lines(rng):
    """A varied, fixed-seed training corpus (~4,000 lines)."""
    lines = []
    for _ in range(1500):
        n = rng.randint(3, 14)
        lines.append(" ".join(rng.choice(WORDS_EN) for _ in range(n)) + rng.choice([".", "!", "?", ",", ""]))
    syll = ["ka", "to", "ri", "mon", "tek", "sa", "vel", "qu", "ar", "in", "ex", "lo", "pre", "str", "ung"]
    for _ in range(1500):  # pseudo-words, so the vocabulary grows past the handful of real words
        words = ["".join(rng.choice(syll) for _ in range(rng.randint(1, 4))) for _ in range(rng.randint(2, 9))]
        lines.append(" ".join(w.capitalize() if rng.random() < 0.2 else w for w in words))
    for _ in range(300):
        lines.append(" ".join(rng.choice(WORDS_DE + WORDS_FR + CYRILLIC) for _ in range(rng.randint(2, 8))))
    for _ in range(500):
        a = rng.randrange(len(CJK) - 20)
        lines.append(CJK[a:a + rng.randint(4, 20)])
    for script in (ARABIC, HEBREW, DEVANAGARI):
        for _ in range(150):
            lines.append(" ".join(rng.choice(script) for _ in range(rng.randint(2, 6))))
    for _ in range(300):
        lines.append(" ".join(rng.choice(EMOJI) for _ in range(rng.randint(1, 4))) + " " + rng.choice(WORDS_EN))
    for _ in range(400):
        lines.append(rng.choice(CODE))
    for _ in range(300):
        lines.append(str(rng.randrange(10 ** rng.randint(1, 12))) + rng.choice([" ", ", ", ".", " + "])
                     + str(rng.randrange(10000)))
    for _ in range(200):
        lines.append(rng.choice(["  ", "\t", "\n", "    ", "\n\n", " \n"]) * rng.randint(1, 4) + rng.choice(WORDS_EN))
    rng.shuffle(lines)
    return lines


def build_tokenizer(vocab_size=3000, lines=None):
    tok = Tokenizer(models.BPE(unk_token=None, fuse_unk=False, byte_fallback=False))
    tok.normalizer = normalizers.Sequence([])  # DeepSeek V3: an empty normalizer sequence
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Split(Regex(r), behavior="isolated", invert=False) for r in DEEPSEEK_V3_REGEXES]
        + [pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, min_frequency=2, show_progress=False,
        special_tokens=[AddedToken(t, special=True, normalized=False) for t in SPECIAL_TRAINED],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(lines or corpus_lines(random.Random(20240603)), trainer=trainer)
    for content, special in ADDED:
        t = AddedToken(content, special=special, normalized=not special, lstrip=False, rstrip=False)
        if special:
            tok.add_special_tokens([t])
        else:
            tok.add_tokens([t])
    bos_id = tok.token_to_id(BOS)
    tok.post_processor = processors.TemplateProcessing(
        single=f"{BOS} $A", pair=f"{BOS} $A {BOS} $B", special_tokens=[(BOS, bos_id)])
    return tok


def write_gguf(tok, path):
    import gguf  # the package from .venv; metadata only
    data = json.loads(tok.to_str())
    vocab = data["model"]["vocab"]
    n_vocab = max(max(vocab.values()), max(a["id"] for a in data["added_tokens"])) + 1
    tokens = [""] * n_vocab
    types = [gguf.TokenType.NORMAL] * n_vocab
    for piece, i in vocab.items():
        tokens[i] = piece
    for a in data["added_tokens"]:
        tokens[a["id"]] = a["content"]
        types[a["id"]] = gguf.TokenType.CONTROL if a["special"] else gguf.TokenType.USER_DEFINED
    merges = [m if isinstance(m, str) else " ".join(m) for m in data["model"]["merges"]]
    w = gguf.GGUFWriter(str(path), arch="deepseek2")
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("deepseek-v3")
    w.add_token_list(tokens)
    w.add_token_types([int(t) for t in types])
    w.add_token_merges(merges)
    w.add_bos_token_id(tok.token_to_id(BOS))
    w.add_eos_token_id(tok.token_to_id(EOS))
    w.add_pad_token_id(tok.token_to_id(PAD))
    w.add_add_bos_token(True)
    w.add_add_eos_token(False)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def write_fuzz_seeds():
    """Seeds for tests/fuzz/fuzz-tokenizer-json.cpp: a tiny tokenizer.json and some text."""
    seeds = ROOT / "tests" / "fuzz" / "corpus" / "tokenizer"
    seeds.mkdir(parents=True, exist_ok=True)
    lines = corpus_lines(random.Random(7))[:300]
    (seeds / "tiny-tokenizer.json").write_text(build_tokenizer(vocab_size=400, lines=lines).to_str(),
                                                encoding="utf-8")
    texts = {"text-mixed.txt": "Hello <｜User｜> 123456789 我们今天 👨‍👩‍👧‍👦 مرحبا\n\t  end",
             "text-specials.txt": "<｜begin▁of▁sentence｜><think>x</think><｜DSML｜invoke name=\"f\">",
             "text-spaces.txt": " \u00a0\u3000\u0085\r\n\n\n    x"}
    for name, text in texts.items():
        (seeds / name).write_text(text, encoding="utf-8")
    (seeds / "text-invalid-utf8.bin").write_bytes(b"ok \xff\xfe \xe2\x82 \xed\xa0\x80 \xf0\x9f\x98")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    tok = build_tokenizer()
    # Compact JSON (no indent) keeps the fixture small; key order is the library's own.
    (OUT / "tokenizer.json").write_text(tok.to_str(), encoding="utf-8")
    config = {
        "add_bos_token": True, "add_eos_token": False,
        "bos_token": BOS, "eos_token": EOS, "pad_token": PAD,
        "model_max_length": 131072, "tokenizer_class": "LlamaTokenizerFast",
        "legacy": True, "clean_up_tokenization_spaces": False,
    }
    (OUT / "tokenizer_config.json").write_text(json.dumps(config, ensure_ascii=False, indent=2) + "\n",
                                               encoding="utf-8")
    write_gguf(tok, OUT / "tokenizer.gguf")
    write_fuzz_seeds()
    sizes = {p.name: p.stat().st_size for p in OUT.iterdir()}
    print(f"vocab {tok.get_vocab_size()} ids; files {sizes}")


if __name__ == "__main__":
    main()
