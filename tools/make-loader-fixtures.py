#!/usr/bin/env python3
"""Writes the loader test fixtures under tests/inference/loaders/fixtures/ (fixed seed, < 300 KB).

usage: .venv/bin/python tools/make-loader-fixtures.py

- tiny.gguf: written by the reference `gguf` package (gguf-py): metadata of every value type
  (scalars, bool, f64, string arrays, numeric arrays, nested arrays), alignment 64, and tensors of
  f32 (1-4 dims), f16, bf16, q8_0 (gguf-py quantisers) and q4_K (gguf-py cannot quantise q4_K:
  random bytes with finite f16 scales, the right block size). tiny.gguf.json: what was written,
  in tools/check-gguf.py's schema, with the SHA-256 of each tensor's bytes. The script checks that
  gguf-py reads back exactly that.
- st-single/: one model.safetensors (safetensors.numpy) with __metadata__, plus config.json.
- st-sharded/: two shards + model.safetensors.index.json + config.json, tokenizer.json,
  tokenizer_config.json.
- st-special/: BF16, F8_E4M3 and F8_E8M0 tensors. numpy has none of these dtypes, so this file is
  assembled by hand here (8-byte length + JSON header + data) following the safetensors format.
Each safetensors folder has expected.json: {tensor: {dtype, shape (HF order), sha256}}.
Also the fuzz seeds in tests/fuzz/corpus/gguf and corpus/safetensors (formats in the fuzz targets).
"""
import hashlib
import json
import os
import struct
import subprocess
import sys

import numpy as np
import gguf
from gguf import GGUFValueType as VT, GGMLQuantizationType as Q
from safetensors.numpy import save_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "inference", "loaders", "fixtures")
rng = np.random.default_rng(20260503)

NAMES = {VT.UINT8: "u8", VT.INT8: "i8", VT.UINT16: "u16", VT.INT16: "i16", VT.UINT32: "u32", VT.INT32: "i32",
         VT.FLOAT32: "f32", VT.BOOL: "bool", VT.STRING: "string", VT.UINT64: "u64", VT.INT64: "i64",
         VT.FLOAT64: "f64"}


def sha(b):
    return hashlib.sha256(b).hexdigest()


def norm(v, t):
    """The value as it is stored: f32 rounded to float32."""
    return float(np.float32(v)) if t == VT.FLOAT32 else v


def expect_array(items, elem):
    if elem == "nested":
        return {"type": "array", "elem": "array",
                "items": [expect_array(i, e) for e, i in items]}
    return {"type": "array", "elem": NAMES[elem], "items": [norm(i, elem) for i in items]}


def make_gguf():
    path = os.path.join(OUT, "tiny.gguf")
    w = gguf.GGUFWriter(path, "testarch")
    w.add_custom_alignment(64)
    expect = {"general.architecture": {"type": "string", "value": "testarch"},
              "general.alignment": {"type": "u32", "value": 64}}
    scalars = [("test.u8", 250, VT.UINT8), ("test.i8", -100, VT.INT8), ("test.u16", 65000, VT.UINT16),
               ("test.i16", -32000, VT.INT16), ("test.u32", 4000000000, VT.UINT32), ("test.i32", -2000000000, VT.INT32),
               ("test.f32", 0.1, VT.FLOAT32), ("test.bool_t", True, VT.BOOL), ("test.bool_f", False, VT.BOOL),
               ("test.string", "héllo wörld ✓", VT.STRING), ("test.u64", 2**63 + 5, VT.UINT64),
               ("test.i64", -(2**62) - 3, VT.INT64), ("test.f64", 3.141592653589793, VT.FLOAT64),
               ("test.empty_string", "", VT.STRING),
               ("testarch.block_count", 2, VT.UINT32), ("testarch.embedding_length", 64, VT.UINT32),
               ("testarch.attention.head_count", 4, VT.UINT32), ("testarch.attention.head_count_kv", 2, VT.UINT32),
               ("testarch.expert_count", 4, VT.UINT32), ("testarch.expert_used_count", 2, VT.UINT32),
               ("testarch.context_length", 4096, VT.UINT32)]
    for key, v, t in scalars:
        w.add_key_value(key, v, t)
        expect[key] = {"type": NAMES[t], "value": norm(v, t)}
    arrays = [("tokenizer.ggml.tokens", ["<s>", "</s>", "a", "b", "ab", "Ġthe", "你好", "🙂"], VT.STRING),
              ("tokenizer.ggml.merges", ["a b", "Ġ t", "Ġt he"], VT.STRING),
              ("tokenizer.ggml.token_type", [3, 3, 1, 1, 1, 1, 1, 1], VT.INT32),
              ("tokenizer.ggml.scores", [0.0, -1.5, -2.25, 0.1, 7.0, 1e-3, -0.5, 2.0], VT.FLOAT32),
              ("test.arr_u8", [0, 1, 255], VT.UINT8), ("test.arr_i16", [-5, 5, 32767], VT.INT16),
              ("test.arr_u64", [1, 2**64 - 1], VT.UINT64), ("test.arr_i64", [-(2**63), 2**63 - 1], VT.INT64),
              ("test.arr_f64", [0.5, -1e300, 2.5e-310], VT.FLOAT64), ("test.arr_bool", [True, False, True], VT.BOOL)]
    for key, items, t in arrays:
        w.add_key_value(key, items, VT.ARRAY, sub_type=t)
        expect[key] = expect_array(items, t)
    # gguf-py types nested items by their Python type: int -> i32, str -> string.
    nested_ints = [[1, 2], [3, 4, 5]]
    w.add_key_value("test.nested_ints", nested_ints, VT.ARRAY)
    expect["test.nested_ints"] = expect_array([(VT.INT32, x) for x in nested_ints], "nested")
    nested_strs = [["x", "yy"], ["zzz"]]
    w.add_key_value("test.nested_strings", nested_strs, VT.ARRAY)
    expect["test.nested_strings"] = expect_array([(VT.STRING, x) for x in nested_strs], "nested")

    tensors = {}

    def add(name, arr, raw_dtype=None, type_name=None, shape_ne=None):
        w.add_tensor(name, arr, raw_dtype=raw_dtype)
        tensors[name] = {"type": type_name, "shape": shape_ne, "sha256": sha(np.ascontiguousarray(arr).tobytes())}

    f32 = rng.standard_normal((5, 3)).astype(np.float32)
    add("blk.0.attn_norm.weight", rng.standard_normal(64).astype(np.float32), type_name="f32", shape_ne=[64])
    add("blk.0.attn_q.weight", f32, type_name="f32", shape_ne=[3, 5])
    add("blk.0.f32_3d", rng.standard_normal((4, 3, 2)).astype(np.float32), type_name="f32", shape_ne=[2, 3, 4])
    add("blk.0.f32_4d", rng.standard_normal((2, 2, 3, 5)).astype(np.float32), type_name="f32", shape_ne=[5, 3, 2, 2])
    add("blk.0.attn_k.weight", rng.standard_normal((2, 64)).astype(np.float16), type_name="f16", shape_ne=[64, 2])
    x = rng.standard_normal((3, 32)).astype(np.float32)
    add("blk.0.attn_v.weight", gguf.quants.quantize(x, Q.BF16), raw_dtype=Q.BF16, type_name="bf16", shape_ne=[32, 3])
    x = rng.standard_normal((2, 64)).astype(np.float32)
    add("blk.1.ffn_down.weight", gguf.quants.quantize(x, Q.Q8_0), raw_dtype=Q.Q8_0, type_name="q8_0", shape_ne=[64, 2])
    # q4_K: 144-byte blocks of 256 values: f16 d, f16 dmin, 12 scale bytes, 128 nibble bytes.
    blocks = rng.integers(0, 256, size=(2 * 4, 144), dtype=np.uint8)
    blocks[:, 0:2] = np.frombuffer(np.float16(0.01).tobytes(), dtype=np.uint8)
    blocks[:, 2:4] = np.frombuffer(np.float16(0.002).tobytes(), dtype=np.uint8)
    q4k = blocks.reshape(2 * 2, 2 * 144)  # 4 experts' rows [2 x 512 values] -> rows of 2 blocks
    add("blk.1.ffn_up_exps.weight", q4k.reshape(2, 2, 288), raw_dtype=Q.Q4_K, type_name="q4_k", shape_ne=[512, 2, 2])
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    expected = {"version": 3, "alignment": 64, "metadata": expect, "tensors": tensors}
    with open(path + ".json", "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True, ensure_ascii=False)
        f.write("\n")
    got = json.loads(subprocess.check_output([sys.executable, os.path.join(ROOT, "tools", "check-gguf.py"), path]))
    if got != expected:
        sys.exit("gguf-py does not read back what was written to tiny.gguf:\n" + json.dumps(got, sort_keys=True))


def st_expect(tensors):
    names = {np.float32: "F32", np.float16: "F16", np.float64: "F64", np.int8: "I8", np.int16: "I16",
             np.int32: "I32", np.int64: "I64", np.uint8: "U8"}
    return {k: {"dtype": names[v.dtype.type], "shape": list(v.shape), "sha256": sha(v.tobytes())}
            for k, v in tensors.items()}


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=1, sort_keys=True, ensure_ascii=False)
        f.write("\n")


def make_safetensors():
    d = os.path.join(OUT, "st-single")
    os.makedirs(d, exist_ok=True)
    t = {"model.embed_tokens.weight": rng.standard_normal((8, 16)).astype(np.float32),
         "model.layers.0.self_attn.q_proj.weight": rng.standard_normal((16, 16)).astype(np.float16),
         "model.layers.0.mlp.experts.0.w1.weight": rng.integers(-128, 128, (16, 8), dtype=np.int8),
         "model.layers.0.mlp.experts.0.w1.scale": rng.integers(0, 256, (16, 1), dtype=np.uint8),
         "model.layers.0.i16": rng.integers(-1000, 1000, (3,), dtype=np.int16),
         "model.layers.0.i32": rng.integers(-1000, 1000, (2, 3), dtype=np.int32),
         "model.layers.0.i64": rng.integers(-1000, 1000, (2, 1, 3), dtype=np.int64),
         "model.layers.0.f64": rng.standard_normal((1, 2, 1, 3)),
         "model.norm.weight": rng.standard_normal((16,)).astype(np.float32)}
    save_file(t, os.path.join(d, "model.safetensors"), metadata={"format": "pt", "note": "atelier fixture"})
    write_json(os.path.join(d, "config.json"), {"model_type": "tinyllama", "num_hidden_layers": 1,
                                               "hidden_size": 16, "num_attention_heads": 2,
                                               "num_key_value_heads": 1, "vocab_size": 8})
    write_json(os.path.join(d, "expected.json"), {"tensors": st_expect(t),
                                                 "metadata": {"format": "pt", "note": "atelier fixture"}})

    d = os.path.join(OUT, "st-sharded")
    os.makedirs(d, exist_ok=True)
    shard = [{"model.embed_tokens.weight": rng.standard_normal((8, 16)).astype(np.float32),
              "model.layers.0.mlp.gate.weight": rng.standard_normal((4, 16)).astype(np.float32)},
             {"model.layers.1.mlp.experts.3.down_proj.weight": rng.standard_normal((16, 8)).astype(np.float16),
              "lm_head.weight": rng.standard_normal((8, 16)).astype(np.float32)}]
    names = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
    weight_map = {}
    for s, n in zip(shard, names):
        save_file(s, os.path.join(d, n), metadata={"format": "pt"})
        weight_map.update({k: n for k in s})
    write_json(os.path.join(d, "model.safetensors.index.json"), {"metadata": {"total_size": 1234}, "weight_map": weight_map})
    write_json(os.path.join(d, "config.json"), {"architectures": ["DeepseekV4ForCausalLM"], "num_hidden_layers": 2,
                                               "hidden_size": 16, "num_attention_heads": 2, "head_dim": 8,
                                               "kv_lora_rank": 4, "qk_rope_head_dim": 2, "n_routed_experts": 4,
                                               "num_experts_per_tok": 2, "vocab_size": 8})
    write_json(os.path.join(d, "tokenizer_config.json"), {"bos_token": "<s>", "eos_token": "</s>", "model_max_length": 4096})
    write_json(os.path.join(d, "tokenizer.json"), {"version": "1.0", "model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": []}})
    merged = {**shard[0], **shard[1]}
    write_json(os.path.join(d, "expected.json"), {"tensors": st_expect(merged), "metadata": {"format": "pt"}})


def make_special():
    """BF16 / F8_E4M3 / F8_E8M0 tensors, assembled by hand (see the module comment)."""
    d = os.path.join(OUT, "st-special")
    os.makedirs(d, exist_ok=True)
    items = [("w.bf16", "BF16", [3, 4], 2), ("w.fp8", "F8_E4M3", [4, 8], 1), ("w.fp8.scale", "F8_E8M0", [1, 1], 1),
             ("w.fp4_as_i8", "I8", [4, 4], 1)]
    header, data, expect = {}, b"", {}
    for name, dt, shape, es in items:
        raw = rng.integers(0, 256, int(np.prod(shape)) * es, dtype=np.uint8).tobytes()
        header[name] = {"dtype": dt, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        expect[name] = {"dtype": dt, "shape": shape, "sha256": sha(raw)}
        data += raw
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)  # the safetensors writer pads the header to 8 bytes
    with open(os.path.join(d, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)
    write_json(os.path.join(d, "expected.json"), {"tensors": expect, "metadata": {"format": "pt"}})


def make_corpus():
    gdir = os.path.join(ROOT, "tests", "fuzz", "corpus", "gguf")
    sdir = os.path.join(ROOT, "tests", "fuzz", "corpus", "safetensors")
    os.makedirs(gdir, exist_ok=True)
    os.makedirs(sdir, exist_ok=True)
    with open(os.path.join(OUT, "tiny.gguf"), "rb") as f:
        tiny = f.read()
    with open(os.path.join(gdir, "tiny.gguf"), "wb") as f:
        f.write(tiny)
    w = gguf.GGUFWriter(os.path.join(gdir, "minimal.gguf"), "llama")
    w.add_block_count(1)
    w.add_key_value("tokenizer.ggml.tokens", ["a", "b"], VT.ARRAY)
    w.add_tensor("token_embd.weight", np.arange(8, dtype=np.float32).reshape(2, 4))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    with open(os.path.join(gdir, "header-only.gguf"), "wb") as f:
        f.write(b"GGUF" + struct.pack("<IQQ", 3, 0, 0))
    for name, sub in (("single", "st-single"), ("special", "st-special")):
        with open(os.path.join(OUT, sub, "model.safetensors"), "rb") as f:
            data = f.read()
        with open(os.path.join(sdir, name), "wb") as f:
            f.write(b"\x00" + data)
    shard_path = os.path.join(OUT, "st-sharded", "model-00001-of-00002.safetensors")
    with open(shard_path, "rb") as f:
        shard = f.read()
    n = struct.unpack("<Q", shard[:8])[0]
    names = [k for k in json.loads(shard[8:8 + n]) if k != "__metadata__"]
    index = json.dumps({"weight_map": {k: "a.safetensors" for k in names}}).encode()
    with open(os.path.join(sdir, "sharded"), "wb") as f:
        f.write(b"\x01" + struct.pack("<H", len(index)) + index + shard)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    make_gguf()
    make_safetensors()
    make_special()
    make_corpus()
    total = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(OUT) for f in fs)
    print(f"fixtures written to {OUT} ({total} bytes)")
