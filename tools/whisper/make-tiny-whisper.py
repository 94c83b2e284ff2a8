#!/usr/bin/env python3
# Builds tiny random Whisper checkpoints for the engine's tests (issue 6 part A), each in two
# formats holding the same values: an HF folder in the openai/whisper-* layout (config.json,
# generation_config.json, model.safetensors, f32) and a whisper.cpp ggml .bin (f32, plus f16 and
# q8_0 copies), plus the input mel (mel.npy) the goldens were made from. numpy + safetensors only
# (.venv); fixed seed, legacy RandomState stream (frozen by NumPy), byte-for-byte reproducible.
# Usage: .venv/bin/python tools/whisper/make-tiny-whisper.py --out DIR
#        (--size tiny|base|small|...: one random-weight f16 .bin of that real shape, for benchmarks)
#
# The ggml .bin layout was read (not copied) from whisper.cpp's models/convert-pt-to-ggml.py and
# src/whisper.cpp (whisper_model_load): see tools/whisper/README.md.
import argparse
import json
import pathlib
import struct

import numpy as np
from safetensors.numpy import save_file

SEED = 20261129

# Whisper's language codes in token order (the first 99; large-v3 adds "yue").
LANGS = ("en zh de es ru ko fr ja pt tr pl ca nl ar sv it id hi fi vi he uk el ms cs ro da hu ta no "
         "th ur hr bg lt la mi ml cy sk te fa lv bn sr az sl kn et mk br eu is hy ne mn bs kk sq sw "
         "gl mr pa si km sn yo so af oc ka be tg sd gu am yi lo uz fo ht ps tk nn mt sa lb my bo tl "
         "mg as tt haw ln ha ba jw su yue").split()

# name -> (n_mels, n_vocab, multilingual). d_model 64, 4 heads, 2 + 2 layers, real context sizes.
MODELS = {
    "tiny-80": (80, 51865, True),     # the multilingual layout of tiny..large-v2 (99 languages)
    "tiny-128": (128, 51866, True),   # large-v3 / turbo: 128 mels, 100 languages
    "tiny-en": (80, 51864, False),    # the .en layout
}
D, HEADS, ENC_LAYERS, DEC_LAYERS, FFN = 64, 4, 2, 2, 256
N_AUDIO_CTX, N_TEXT_CTX = 1500, 448
ALIGNMENT_HEADS = [[1, 0], [1, 2]]


def special_ids(n_vocab, multilingual):
    """The special-token ids of the vocabulary (the layout of openai/whisper's tokenizer)."""
    n_langs = n_vocab - 51765 - (1 if multilingual else 0)
    eot = 50257 if multilingual else 50256
    sot = eot + 1
    translate = sot + 1 + n_langs
    ids = dict(eot=eot, sot=sot, langs=list(range(sot + 1, sot + 1 + n_langs)), translate=translate,
               transcribe=translate + 1, sot_lm=translate + 2, sot_prev=translate + 3,
               no_speech=translate + 4, no_timestamps=translate + 5, timestamp_begin=translate + 6)
    assert ids["timestamp_begin"] + 1501 == n_vocab
    return ids


def sinusoids(length, channels):
    log_inc = np.log(10000) / (channels // 2 - 1)
    inv = np.exp(-log_inc * np.arange(channels // 2))
    t = np.arange(length)[:, None] * inv[None, :]
    return np.concatenate([np.sin(t), np.cos(t)], axis=1).astype(np.float32)


def make_weights(rng, n_mels, n_vocab):
    """HF names (WhisperForConditionalGeneration, without proj_out: it is tied)."""
    def lin(o, i, scale=1.0):
        return (rng.standard_normal((o, i)) * scale / np.sqrt(i)).astype(np.float32)

    def vec(n, scale=0.1):
        return (rng.standard_normal(n) * scale).astype(np.float32)

    def ln(prefix, w):
        w[prefix + ".weight"] = (1.0 + rng.standard_normal(D) * 0.1).astype(np.float32)
        w[prefix + ".bias"] = vec(D)

    def attn(prefix, w):
        for p in ("q", "k", "v", "out"):
            w[f"{prefix}.{p}_proj.weight"] = lin(D, D, 1.5 if p in ("q", "k") else 1.0)
            if p != "k":
                w[f"{prefix}.{p}_proj.bias"] = vec(D)

    def block(prefix, w, cross):
        attn(prefix + ".self_attn", w)
        ln(prefix + ".self_attn_layer_norm", w)
        if cross:
            attn(prefix + ".encoder_attn", w)
            ln(prefix + ".encoder_attn_layer_norm", w)
        w[prefix + ".fc1.weight"] = lin(FFN, D)
        w[prefix + ".fc1.bias"] = vec(FFN)
        w[prefix + ".fc2.weight"] = lin(D, FFN)
        w[prefix + ".fc2.bias"] = vec(D)
        ln(prefix + ".final_layer_norm", w)

    w = {}
    e = "model.encoder"
    w[e + ".conv1.weight"] = (rng.standard_normal((D, n_mels, 3)) / np.sqrt(n_mels * 3)).astype(np.float32)
    w[e + ".conv1.bias"] = vec(D)
    w[e + ".conv2.weight"] = (rng.standard_normal((D, D, 3)) / np.sqrt(D * 3)).astype(np.float32)
    w[e + ".conv2.bias"] = vec(D)
    w[e + ".embed_positions.weight"] = sinusoids(N_AUDIO_CTX, D)
    for i in range(ENC_LAYERS):
        block(f"{e}.layers.{i}", w, cross=False)
    ln(e + ".layer_norm", w)
    d = "model.decoder"
    w[d + ".embed_tokens.weight"] = (rng.standard_normal((n_vocab, D)) * 0.5).astype(np.float32)
    w[d + ".embed_positions.weight"] = (rng.standard_normal((N_TEXT_CTX, D)) * 1.0).astype(np.float32)
    for i in range(DEC_LAYERS):
        block(f"{d}.layers.{i}", w, cross=True)
    ln(d + ".layer_norm", w)
    return w


def hf_config(n_mels, n_vocab, ids):
    return dict(
        architectures=["WhisperForConditionalGeneration"], model_type="whisper", vocab_size=n_vocab,
        num_mel_bins=n_mels, d_model=D, encoder_layers=ENC_LAYERS, encoder_attention_heads=HEADS,
        decoder_layers=DEC_LAYERS, decoder_attention_heads=HEADS, encoder_ffn_dim=FFN, decoder_ffn_dim=FFN,
        max_source_positions=N_AUDIO_CTX, max_target_positions=N_TEXT_CTX, activation_function="gelu",
        scale_embedding=False, tie_word_embeddings=True, torch_dtype="float32",
        decoder_start_token_id=ids["sot"], bos_token_id=ids["eot"], eos_token_id=ids["eot"],
        pad_token_id=ids["eot"], begin_suppress_tokens=[220, ids["eot"]], suppress_tokens=[],
        dropout=0.0, attention_dropout=0.0, activation_dropout=0.0, layerdrop=0.0,
        encoder_layerdrop=0.0, decoder_layerdrop=0.0, use_cache=True, init_std=0.02)


def generation_config(n_vocab, multilingual, ids):
    g = dict(alignment_heads=ALIGNMENT_HEADS, begin_suppress_tokens=[220, ids["eot"]],
             bos_token_id=ids["eot"], decoder_start_token_id=ids["sot"], eos_token_id=ids["eot"],
             pad_token_id=ids["eot"], is_multilingual=multilingual, max_initial_timestamp_index=50,
             max_length=N_TEXT_CTX, no_timestamps_token_id=ids["no_timestamps"],
             prev_sot_token_id=ids["sot_prev"], return_timestamps=False,
             suppress_tokens=[1, 2, 7, 8, 9, 10, 14, 25, 26, 27, 28, 29, 31, 58, 59, 60, 61, 62, 63, 90, 91,
                              92, 93, 359, 503, 522, 542, 873, 893, 902, 918, 922, 931, 1350, 1853, 1982,
                              2460, 2627, 3246, 3253, 3268, 3536, 3846, 3961, 4183, 4667, 6585, 6647, 7273,
                              9061, 9383, 10428, 10929, 11938, 12033, 12331, 12562, 13793, 14157, 14635,
                              15265, 15618, 16553, 16604, 18362, 18956, 20075, 21675, 22520, 26130, 26161,
                              26435, 28279, 29464, 31650, 32302, 32470, 36865, 42863, 47425, 49870, 50254,
                              50258, 50360, 50361, 50362])
    if multilingual:
        g["lang_to_id"] = {f"<|{c}|>": i for c, i in zip(LANGS, ids["langs"])}
        g["task_to_id"] = {"transcribe": ids["transcribe"], "translate": ids["translate"]}
    return g


# ---- whisper.cpp ggml .bin --------------------------------------------------------------------
def ggml_name(hf):
    """HF tensor name -> the openai/whisper name whisper.cpp uses."""
    n = hf.removeprefix("model.")
    n = n.replace("encoder.embed_positions.weight", "encoder.positional_embedding")
    n = n.replace("decoder.embed_positions.weight", "decoder.positional_embedding")
    n = n.replace("decoder.embed_tokens.weight", "decoder.token_embedding.weight")
    n = n.replace("encoder.layer_norm.", "encoder.ln_post.").replace("decoder.layer_norm.", "decoder.ln.")
    n = n.replace(".layers.", ".blocks.")
    for a, b in ((".self_attn_layer_norm.", ".attn_ln."), (".encoder_attn_layer_norm.", ".cross_attn_ln."),
                 (".final_layer_norm.", ".mlp_ln."), (".self_attn.", ".attn."), (".encoder_attn.", ".cross_attn."),
                 (".q_proj.", ".query."), (".k_proj.", ".key."), (".v_proj.", ".value."), (".out_proj.", ".out."),
                 (".fc1.", ".mlp.0."), (".fc2.", ".mlp.2.")):
        n = n.replace(a, b)
    return n


def q8_0(data):
    """ggml Q8_0 blocks along the last axis: per 32 values an f16 scale d = max|x|/127, then int8."""
    x = data.reshape(-1, 32).astype(np.float32)
    d = np.abs(x).max(axis=1) / 127.0
    inv = np.where(d > 0, 1.0 / np.where(d > 0, d, 1), 0.0)
    q = np.clip(np.round(x * inv[:, None]), -127, 127).astype(np.int8)
    blocks = np.zeros(x.shape[0], dtype=[("d", "<f2"), ("q", "i1", 32)])
    blocks["d"] = d.astype(np.float16)
    blocks["q"] = q
    return blocks.tobytes()


def write_ggml(path, w, n_mels, n_vocab, wtype):
    """wtype: "f32", "f16" or "q8_0" for the matrices (whisper.cpp's ftype 0, 1, 7 + 2000)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<i", 0x67676D6C))
        f.write(struct.pack("<11i", n_vocab, N_AUDIO_CTX, D, HEADS, ENC_LAYERS, N_TEXT_CTX, D, HEADS,
                            DEC_LAYERS, n_mels, {"f32": 0, "f16": 1, "q8_0": 2007}[wtype]))
        filters = np.linspace(0, 1, n_mels * 201, dtype=np.float32).reshape(n_mels, 201)  # placeholder bank
        f.write(struct.pack("<2i", n_mels, 201))
        f.write(filters.tobytes())
        # A byte vocabulary plus a few merged tokens in rank order (the real files carry the
        # tiktoken ranks of openai/whisper's vocabulary): the engine recovers merges from ranks.
        tokens = [bytes([b]) for b in range(256)] + [b"he", b"ll", b"hell", b"hello", b" w", b"or", b" wor", b"ld",
                                                     b" world"]
        f.write(struct.pack("<i", len(tokens)))
        for t in tokens:
            f.write(struct.pack("<i", len(t)) + t)
        for hf in sorted(w):
            name = ggml_name(hf)
            data = w[hf]
            if name in ("encoder.conv1.bias", "encoder.conv2.bias"):
                data = data.reshape(data.shape[0], 1)
            keep_f32 = data.ndim < 2 or name.endswith("conv1.bias") or name.endswith("conv2.bias") or \
                name.endswith("positional_embedding")
            quant = wtype == "q8_0" and data.ndim == 2 and not keep_f32 and data.shape[-1] % 32 == 0
            half = wtype != "f32" and not keep_f32 and not quant
            data = data.astype(np.float16 if half else np.float32)
            nb = name.encode()
            f.write(struct.pack("<3i", data.ndim, len(nb), 8 if quant else 1 if half else 0))  # ggml type ids
            f.write(struct.pack(f"<{data.ndim}i", *reversed(data.shape)))
            f.write(nb)
            f.write(q8_0(data) if quant else np.ascontiguousarray(data).tobytes())


def make_mel(rng, n_mels):
    return rng.uniform(-1.0, 1.5, size=(n_mels, 2 * N_AUDIO_CTX)).astype(np.float32)


def build(out, name):
    n_mels, n_vocab, multilingual = MODELS[name]
    rng = np.random.RandomState(SEED + n_mels + n_vocab)
    ids = special_ids(n_vocab, multilingual)
    w = make_weights(rng, n_mels, n_vocab)
    folder = out / name
    folder.mkdir(parents=True, exist_ok=True)
    save_file(w, str(folder / "model.safetensors"), metadata={"format": "pt"})
    (folder / "config.json").write_text(json.dumps(hf_config(n_mels, n_vocab, ids), indent=1))
    (folder / "generation_config.json").write_text(json.dumps(generation_config(n_vocab, multilingual, ids), indent=1))
    write_ggml(out / f"{name}.bin", w, n_mels, n_vocab, "f32")
    write_ggml(out / f"{name}-f16.bin", w, n_mels, n_vocab, "f16")
    write_ggml(out / f"{name}-q8_0.bin", w, n_mels, n_vocab, "q8_0")
    np.save(out / f"{name}-mel.npy", make_mel(rng, n_mels))
    if name == "tiny-80":  # an untied copy whose proj_out is minus the embedding: logits negate
        untied = out / "tiny-80-untied"
        untied.mkdir(parents=True, exist_ok=True)
        w2 = dict(w, **{"proj_out.weight": -w["model.decoder.embed_tokens.weight"]})
        save_file(w2, str(untied / "model.safetensors"), metadata={"format": "pt"})
        (untied / "config.json").write_text(json.dumps(dict(hf_config(n_mels, n_vocab, ids), tie_word_embeddings=False), indent=1))


# Real Whisper shapes for the speed benchmark (random weights): d_model, heads, encoder layers,
# decoder layers, mels, vocabulary.
SIZES = {
    "tiny": (384, 6, 4, 4, 80, 51865), "base": (512, 8, 6, 6, 80, 51865), "small": (768, 12, 12, 12, 80, 51865),
    "medium": (1024, 16, 24, 24, 80, 51865), "large-v3": (1280, 20, 32, 32, 128, 51866),
    "large-v3-turbo": (1280, 20, 32, 4, 128, 51866),
}


def build_random_size(out, size):
    """OUT/random-SIZE.bin: an f16 whisper.cpp file of the real shape, random weights."""
    global D, HEADS, ENC_LAYERS, DEC_LAYERS, FFN
    saved = (D, HEADS, ENC_LAYERS, DEC_LAYERS, FFN)
    d, heads, enc, dec, n_mels, n_vocab = SIZES[size]
    D, HEADS, ENC_LAYERS, DEC_LAYERS, FFN = d, heads, enc, dec, 4 * d
    try:
        w = make_weights(np.random.RandomState(SEED + d), n_mels, n_vocab)
        out.mkdir(parents=True, exist_ok=True)
        write_ggml(out / f"random-{size}.bin", w, n_mels, n_vocab, "f16")
    finally:
        D, HEADS, ENC_LAYERS, DEC_LAYERS, FFN = saved


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", required=True, type=pathlib.Path)
    ap.add_argument("--size", choices=sorted(SIZES), help="instead: one random f16 .bin of a real size (benchmarks)")
    args = ap.parse_args()
    if args.size:
        build_random_size(args.out, args.size)
        return
    for name in MODELS:
        build(args.out, name)


if __name__ == "__main__":
    main()
