#!/usr/bin/env python3
"""Writes the V4-Flash-shaped benchmark model for atelier-bench-v4 (issue 4 "Speed").

Every per-layer dimension is V4-Flash's (models/deepseek-v4.md §2.1: dim 4096, 64 heads of 512,
q_lora 1024, o_lora 1024 x 8 groups, indexer 64 x 128 with top-k 512, expert width 2048, 6 active
experts + 1 shared, window 128, real vocabulary size 129,280), with fewer layers and fewer routed
experts so it fits a 24 GB machine: 4 layers [SWA+hash, CSA+hash, HCA, CSA] and 16 routed experts.
Random weights from a fixed seed (the tiny generator's code, tools/deepseek-v4/make-tiny-v4.py,
with this config).

Outputs in --out:
  v4-flash-bench-fp8/   the native release layout: FP8 E4M3 dense + FP4 experts (safetensors)
  v4-flash-bench.gguf   GGUF deepseek4, dense BF16 + experts MXFP4; llama.cpp's llama-quantize turns
                        it into the Q8_0 and Q4_K files the benchmark compares on (see
                        docs/PERFORMANCE.md for the exact commands)
No MTP layer (the benchmark never runs it). The tokenizer is the tiny test BPE padded with unreachable entries to the full vocabulary size,
so both engines see a 129,280-row embedding and head.

Run with .venv/bin/python (numpy, gguf, tokenizers). Takes a few minutes and ~4 GB per output.
"""
import argparse
import importlib.util
import json
import math
import pathlib

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent

# V4-Flash's per-layer dimensions over the tiny test config (tools/deepseek-v4/make-tiny-v4.py CFG,
# which carries the shared fields: rope, YaRN, mHC, clamp, route scale).
BENCH_OVERRIDES = dict(
    vocab_size=129280, hidden_size=4096, num_attention_heads=64, q_lora_rank=1024, o_lora_rank=1024, o_groups=8,
    index_n_heads=64, index_topk=512, moe_intermediate_size=2048, max_position_embeddings=1048576,
    num_nextn_predict_layers=0)


def load_tiny():
    spec = importlib.util.spec_from_file_location("make_tiny_v4", ROOT / "tools" / "deepseek-v4" / "make-tiny-v4.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def padded_tokenizer(tiny, mtf, vocab_size):
    """The tiny BPE (512 ids) plus unreachable vocabulary entries up to vocab_size."""
    from tokenizers import Tokenizer
    saved = tiny.CFG
    tiny.CFG = dict(saved, vocab_size=512)
    try:
        tok, tok_config = tiny.build_tokenizer(mtf)
    finally:
        tiny.CFG = saved
    j = json.loads(tok.to_str())
    vocab = j["model"]["vocab"]
    used = set(vocab.values()) | {a["id"] for a in j["added_tokens"]}
    for i in range(vocab_size):
        if i not in used:
            vocab[f"\u00a7pad{i}\u00a7"] = i  # never produced by the merges
    tok = Tokenizer.from_str(json.dumps(j, ensure_ascii=False))
    assert tok.get_vocab_size() == vocab_size, tok.get_vocab_size()
    return tok, tok_config


class CheapGen:
    """Random tensors in the tiny generator's format without float maths on the big ones: FP8/FP4
    codes are drawn directly (magnitudes 0.25..3.75 for E4M3, any E2M1 code) and the UE8M0 scales
    set the std near 1/sqrt(fan_in). Benchmarks need realistic sizes and sane activations only."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)

    def _scale(self, shape, fan_in, code_rms):
        e = int(round(math.log2(1.0 / (code_rms * math.sqrt(fan_in)))))
        return np.full(shape, 127 + e, dtype=np.uint8)

    def fp8(self, out_f, in_f, std):
        n = out_f * in_f
        codes = (self.rng.integers(5 << 3, 9 << 3, n, dtype=np.uint8)
                 | (self.rng.integers(0, 2, n, dtype=np.uint8) << 7)).reshape(out_f, in_f)
        return dict(kind="fp8", codes=codes, scale=self._scale(((out_f + 127) // 128, (in_f + 127) // 128), in_f, 1.6))

    def fp4(self, out_f, in_f, std):
        codes = self.rng.integers(0, 16, out_f * in_f, dtype=np.uint8).reshape(out_f, in_f)
        return dict(kind="fp4", codes=codes, scale=self._scale((out_f, in_f // 32), in_f, 2.9))

    def bf16(self, shape, std, mean=0.0):
        return dict(kind="bf16", value=(mean + std * self.rng.standard_normal(shape, dtype=np.float32)))

    def f32(self, shape, std, mean=0.0):
        return dict(kind="f32", value=(mean + std * self.rng.standard_normal(shape, dtype=np.float32)))

    def normal(self, shape, std):
        return std * self.rng.standard_normal(shape, dtype=np.float32)


def big_bf16_bits(rows, cols, std, seed):
    """[rows, cols] bf16 bit patterns (truncated float32), made in row chunks to bound memory."""
    rng = np.random.default_rng(seed)
    out = np.empty((rows, cols), dtype=np.uint16)
    for r in range(0, rows, 8192):
        x = (std * rng.standard_normal((min(8192, rows - r), cols), dtype=np.float32))
        out[r:r + x.shape[0]] = (x.view(np.uint32) >> 16).astype(np.uint16)
    return out


def block_dict(tiny, layer, seed):
    g = CheapGen(seed + layer)
    c = tiny.CFG
    return tiny.make_block(g, f"layers.{layer}.", layer, c["compress_ratios"][layer], layer < c["num_hash_layers"])


def top_dict(tiny, seed):
    """Everything outside the blocks except the big embed/head (written by big_bf16_bits)."""
    g = CheapGen(seed + 1000)
    c = tiny.CFG
    d, hc = c["hidden_size"], c["hc_mult"]
    return {"norm.weight": g.bf16((d,), 0.1, 1.0), "hc_head_fn": g.f32((hc, hc * d), 0.03),
            "hc_head_base": g.f32((hc,), 0.5), "hc_head_scale": dict(kind="f32", value=np.ones(1, np.float32))}


def write_safetensors_model(tiny, out, tok, tok_config, seed):
    c = tiny.CFG
    d = out / "v4-flash-bench-fp8"
    d.mkdir(exist_ok=True)
    tiny.write_tokenizer_files(d, tok.to_str(), tok_config)
    (d / "config.json").write_text(json.dumps(tiny.hf_config(), indent=2) + "\n")
    n_files = c["num_hidden_layers"] + 1
    weight_map = {}

    def put(i, entries):
        fname = f"model-{i + 1:05d}-of-{n_files:05d}.safetensors"
        tiny.write_safetensors(d / fname, entries)
        weight_map.update({n: fname for n in entries})
        print("  wrote", fname, flush=True)

    vocab, dim = c["vocab_size"], c["hidden_size"]
    top = {}
    for name, ten in top_dict(tiny, seed).items():
        top.update(tiny.st_entries_fp8(name, ten))
    for name, s in (("embed.weight", seed + 2000), ("head.weight", seed + 2001)):
        top[name] = ("BF16", (vocab, dim), big_bf16_bits(vocab, dim, 1.0 if name.startswith("embed") else dim ** -0.5, s).tobytes())
    put(0, top)
    del top
    for layer in range(c["num_hidden_layers"]):
        entries = {}
        for name, ten in block_dict(tiny, layer, seed).items():
            entries.update(tiny.st_entries_fp8(name, ten))
        put(layer + 1, entries)
    index = {"metadata": {}, "weight_map": dict(sorted(weight_map.items()))}
    (d / "model.safetensors.index.json").write_text(json.dumps(index, indent=2) + "\n")
    print("wrote", d, flush=True)


def gguf_tensors(tiny, seed, layer):
    """(name, array, raw type) of one part: layer -1 is the top (embed, head, output_*)."""
    import gguf
    c = tiny.CFG
    if layer < 0:
        vocab, dim = c["vocab_size"], c["hidden_size"]
        t = top_dict(tiny, seed)
        bf = gguf.GGMLQuantizationType.BF16
        return [("token_embd.weight", big_bf16_bits(vocab, dim, 1.0, seed + 2000), bf),
                ("output_norm.weight", t["norm.weight"]["value"], None),
                ("output.weight", big_bf16_bits(vocab, dim, dim ** -0.5, seed + 2001), bf),
                ("output_hc_fn.weight", t["hc_head_fn"]["value"], None),
                ("output_hc_base.weight", t["hc_head_base"]["value"], None),
                ("output_hc_scale.weight", t["hc_head_scale"]["value"], None)]
    t = block_dict(tiny, layer, seed)
    return tiny.gguf_block_tensors(t, f"layers.{layer}.", layer, c["compress_ratios"][layer], False)


def write_gguf_model(tiny, out, tok, mtf, seed):
    """Two passes over the same seeded parts: tensor infos first, then the data, one part in
    memory at a time (gguf's writer otherwise holds every array until the end)."""
    c = tiny.CFG
    p = out / "v4-flash-bench.gguf"
    w = tiny.gguf_writer_with_metadata(p, tok, mtf)
    parts = [-1] + list(range(c["num_hidden_layers"]))
    for part in parts:
        for name, arr, raw in gguf_tensors(tiny, seed, part):
            if raw == 39:
                shape = (arr.shape[0], arr.shape[1], arr.shape[2] // 17 * 32)
                w.add_tensor_info(name, shape, np.dtype(np.int8), arr.nbytes, raw_dtype=raw)
            else:
                w.add_tensor_info(name, arr.shape, arr.dtype, arr.nbytes, raw_dtype=raw)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_ti_data_to_file()
    for part in parts:
        for name, arr, raw in gguf_tensors(tiny, seed, part):
            w.write_tensor_data(np.ascontiguousarray(arr).view(np.int8) if raw == 39 else np.ascontiguousarray(arr))
        print("  gguf part", part, flush=True)
    w.close()
    print("wrote", p, flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--layers", type=int, default=4, help="number of layers (ratios 0, then 4, 128, 4, ...)")
    ap.add_argument("--experts", type=int, default=16, help="routed experts (6 stay active)")
    ap.add_argument("--no-gguf", action="store_true")
    ap.add_argument("--no-safetensors", action="store_true")
    args = ap.parse_args()

    tiny = load_tiny()
    cfg = dict(tiny.CFG, **BENCH_OVERRIDES)
    ratios = [0] + [4 if i % 2 == 1 else 128 for i in range(1, args.layers)]
    cfg.update(num_hidden_layers=args.layers, compress_ratios=ratios, n_routed_experts=args.experts,
               num_nextn_predict_layers=0)
    tiny.CFG = cfg
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    mtf = tiny.load_tokenizer_tool()
    tok, tok_config = padded_tokenizer(tiny, mtf, cfg["vocab_size"])
    seed = 20261130
    if not args.no_safetensors:
        write_safetensors_model(tiny, out, tok, tok_config, seed)
    if not args.no_gguf:
        write_gguf_model(tiny, out, tok, mtf, seed)


if __name__ == "__main__":
    main()
