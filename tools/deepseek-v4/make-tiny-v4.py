#!/usr/bin/env python3
# Builds the tiny random DeepSeek V4 checkpoints the C++ engine is tested against
# (docs/dev/deepseek-v4.md "The tiny random checkpoint"): the official HF layout with FP8/FP4
# storage (tiny-v4-fp8/), the same values in bf16 (tiny-v4-bf16/), and a GGUF `deepseek4`
# (tiny-v4.gguf), plus manifest.json with the sha256 of every file. numpy + gguf + tokenizers only
# (.venv, tools/requirements.txt); fixed seed, byte-for-byte reproducible.
# Usage: .venv/bin/python tools/deepseek-v4/make-tiny-v4.py --out DIR
#
# GGUF names and keys, read (not copied) from llama.cpp's merged DeepSeek V4 support (PR #24162):
#   src/models/deepseek4.cpp (llama_model_deepseek4::load_arch_hparams / load_arch_tensors: which
#   keys are read, tensor shapes in ggml order), gguf-py/gguf/constants.py (Keys.*, TENSOR_NAMES,
#   ExpertGatingFuncType.SQRTSOFTPLUS = 4, GGMLQuantizationType.MXFP4 = 39) and the converter's
#   DeepseekV4Model class (conversion/deepseek.py after the convert_hf_to_gguf split: name map, MTP
#   as an appended block with nextn.* tensors, tid2eid as I32, routed experts packed as MXFP4 and
#   stacked [n_expert, rows, blocks] in expert-id order). See tools/deepseek-v4/README.md.
#   token_embd, output, output_norm, output_hc_{fn,base,scale}.weight
#   blk.N.{attn_norm,ffn_norm,attn_sinks,attn_q_a,attn_q_a_norm,attn_q_b,attn_kv,attn_kv_a_norm,
#          attn_output_a,attn_output_b,hc_attn_{fn,base,scale},hc_ffn_{fn,base,scale},
#          attn_compressor_{kv,gate,ape,norm},indexer.attn_q_b,indexer.proj,
#          indexer_compressor_{kv,gate,ape,norm},ffn_gate_inp,ffn_gate_tid2eid,
#          ffn_{gate,up,down}_exps,ffn_{gate,up,down}_shexp}.weight, blk.N.exp_probs_b.bias
#   MTP block (N = n_layers): blk.N.nextn.{e_proj,h_proj,enorm,hnorm,shared_head_norm,
#          hc_head_fn,hc_head_base,hc_head_scale}.weight
#   keys deepseek4.*: block_count (layers + MTP), context_length, embedding_length, vocab_size,
#   attention.{head_count,head_count_kv,key_length,value_length,layer_norm_rms_epsilon,q_lora_rank,
#   output_lora_rank,output_group_count,sliding_window,compress_ratios,compress_rope_freq_base,
#   indexer.head_count,indexer.key_length,indexer.top_k}, rope.{dimension_count,freq_base,
#   scaling.type,scaling.factor,scaling.original_context_length,scaling.yarn_beta_fast,
#   scaling.yarn_beta_slow}, expert_{count,used_count,shared_count,feed_forward_length,
#   weights_scale,weights_norm,gating_func}, hash_layer_count, nextn_predict_layers,
#   swiglu_clamp_exp (per block), hyper_connection.{count,sinkhorn_iterations,epsilon}.
import argparse
import functools
import hashlib
import importlib.util
import json
import math
import pathlib
import struct
import tempfile

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
SEED = 20261129

# The config of docs/dev/deepseek-v4.md (HF field names).
CFG = dict(
    vocab_size=512, hidden_size=128, num_hidden_layers=5, compress_ratios=[0, 4, 128, 4, 128, 0],
    num_hash_layers=2, num_attention_heads=4, num_key_value_heads=1, head_dim=512, qk_rope_head_dim=64,
    q_lora_rank=128, o_lora_rank=128, o_groups=2, sliding_window=128, index_n_heads=4,
    index_head_dim=128, index_topk=16, n_routed_experts=16, n_shared_experts=1, num_experts_per_tok=6,
    moe_intermediate_size=128, routed_scaling_factor=1.5, swiglu_limit=10.0, hc_mult=4,
    hc_sinkhorn_iters=20, hc_eps=1e-6, rms_norm_eps=1e-6, rope_theta=10000, compress_rope_theta=160000,
    rope_scaling=dict(type="yarn", factor=16, original_max_position_embeddings=65536, beta_fast=32,
                      beta_slow=1),
    max_position_embeddings=4096, num_nextn_predict_layers=1)
QUANT_CONFIG = dict(activation_scheme="dynamic", fmt="e4m3", quant_method="fp8", scale_fmt="ue8m0",
                    weight_block_size=[128, 128])

# ---------------------------------------------------------------- number formats (numpy)

E2M1_VALUES = np.array([0, 0.5, 1, 1.5, 2, 3, 4, 6], dtype=np.float64)


def _e4m3_positive_values():
    vals = []
    for code in range(0x7F):  # 0x7F is NaN
        e, m = code >> 3, code & 7
        vals.append(m / 8 * 2.0 ** -6 if e == 0 else (1 + m / 8) * 2.0 ** (e - 7))
    return np.array(vals)


E4M3_VALUES = _e4m3_positive_values()


def _encode_rne(x, table):
    """Nearest code of |x| in an increasing table (ties to the even code), sign in bit 3/7."""
    a = np.minimum(np.abs(x), table[-1])
    hi = np.clip(np.searchsorted(table, a), 1, len(table) - 1)
    lo = hi - 1
    dlo, dhi = a - table[lo], table[hi] - a
    code = np.where((dhi < dlo) | ((dhi == dlo) & (hi % 2 == 0)), hi, lo)
    return code, np.signbit(x) & (code != 0)


def _encode(x, table, sign_bit):
    code, neg = _encode_rne(x, table)
    return (code | (neg.astype(np.int64) << sign_bit)).astype(np.uint8)


def _decode(c, table, sign_bit):
    v = table[c & ((1 << sign_bit) - 1)]
    return np.where(c & (1 << sign_bit), -v, v)


e4m3_encode = functools.partial(_encode, table=E4M3_VALUES, sign_bit=7)
e4m3_decode = functools.partial(_decode, table=E4M3_VALUES, sign_bit=7)
e2m1_encode = functools.partial(_encode, table=E2M1_VALUES, sign_bit=3)
e2m1_decode = functools.partial(_decode, table=E2M1_VALUES, sign_bit=3)


def bf16_bits(x):
    """float32 -> bf16 bit patterns, round to nearest even (no NaN inputs)."""
    b = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    return ((b + 0x7FFF + ((b >> 16) & 1)) >> 16).astype(np.uint16)


def bf16_round(x):
    return (bf16_bits(x).astype(np.uint32) << 16).view(np.float32)


def pow2_ceil_exp(amax, fmt_max):
    return np.ceil(np.log2(np.maximum(amax, 1e-30) / fmt_max)).astype(np.int64)


# ---------------------------------------------------------------- weight generation


def _quantize(kind, w, axes, fmt_max, encode, shape, scale_shape):
    """Codes and UE8M0 bytes of w with one power-of-two scale per block (the amax over axes)."""
    exp = pow2_ceil_exp(np.abs(w).max(axis=axes, keepdims=True), fmt_max)
    return dict(kind=kind, codes=encode(w / 2.0 ** exp).reshape(shape),
                scale=(exp.reshape(scale_shape) + 127).astype(np.uint8))


def _spread(rng, shape):
    """Per-block magnitude factors 2^-1, 2^0 or 2^1, normalised to rms 1."""
    return 2.0 ** rng.integers(-1, 2, shape) / math.sqrt((0.25 + 1 + 4) / 3)


class Gen:
    """Every random draw goes through one Generator, in one fixed order: reproducible."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)

    def normal(self, shape, std):
        return self.rng.standard_normal(shape) * std

    def fp8(self, out_f, in_f, std):
        """FP8 E4M3 weight with UE8M0 128x128 block scales; block magnitudes vary by 2^-1..2^1
        (rms 1 over the choices, so the layer gain stays that of std)."""
        bo, bi = out_f // 128, in_f // 128
        w = self.normal((bo, 128, bi, 128), std) * _spread(self.rng, (bo, 1, bi, 1))
        return _quantize("fp8", w, (1, 3), 448.0, e4m3_encode, (out_f, in_f), (bo, bi))

    def fp4(self, out_f, in_f, std):
        """FP4 E2M1 weight, UE8M0 scale per 32 along K; magnitudes vary by 2^-1..2^1 per block."""
        w = self.normal((out_f, in_f // 32, 32), std) * _spread(self.rng, (out_f, in_f // 32, 1))
        return _quantize("fp4", w, (2,), 6.0, e2m1_encode, (out_f, in_f), (out_f, in_f // 32))

    def bf16(self, shape, std, mean=0.0):
        return dict(kind="bf16", value=bf16_round(mean + self.normal(shape, std)))

    def f32(self, shape, std, mean=0.0):
        return dict(kind="f32", value=(mean + self.normal(shape, std)).astype(np.float32))


def dequant(t):
    """The exact value of a generated tensor, as float32."""
    if t["kind"] == "fp8":
        s = 2.0 ** (t["scale"].astype(np.float64) - 127)
        return (e4m3_decode(t["codes"]) * np.repeat(np.repeat(s, 128, 0), 128, 1)).astype(np.float32)
    if t["kind"] == "fp4":
        s = 2.0 ** (t["scale"].astype(np.float64) - 127)
        return (e2m1_decode(t["codes"]) * np.repeat(s, 32, 1)).astype(np.float32)
    return t["value"]


def make_block(g, prefix, layer, ratio, is_hash):
    """One transformer block in official names (models/deepseek-v4.md §2.3)."""
    c = CFG
    d, hd, heads, ql = c["hidden_size"], c["head_dim"], c["num_attention_heads"], c["q_lora_rank"]
    mix = (2 + c["hc_mult"]) * c["hc_mult"]
    t = {}
    for site in ("attn", "ffn"):
        t[f"{prefix}hc_{site}_fn"] = g.f32((mix, c["hc_mult"] * d), 0.03)
        t[f"{prefix}hc_{site}_base"] = g.f32((mix,), 0.5)
        t[f"{prefix}hc_{site}_scale"] = dict(kind="f32", value=g.rng.uniform(0.5, 1.5, 3).astype(np.float32))
    t[prefix + "attn_norm.weight"] = g.bf16((d,), 0.1, 1.0)
    t[prefix + "ffn_norm.weight"] = g.bf16((d,), 0.1, 1.0)
    a = prefix + "attn."
    t[a + "wq_a"] = g.fp8(ql, d, d ** -0.5)
    t[a + "q_norm.weight"] = g.bf16((ql,), 0.1, 1.0)
    t[a + "wq_b"] = g.fp8(heads * hd, ql, ql ** -0.5)
    t[a + "wkv"] = g.fp8(hd, d, d ** -0.5)
    t[a + "kv_norm.weight"] = g.bf16((hd,), 0.1, 1.0)
    group_in = heads * hd // c["o_groups"]
    t[a + "wo_a"] = g.fp8(c["o_groups"] * c["o_lora_rank"], group_in, group_in ** -0.5)
    t[a + "wo_b"] = g.fp8(d, c["o_groups"] * c["o_lora_rank"], (c["o_groups"] * c["o_lora_rank"]) ** -0.5)
    t[a + "attn_sink"] = g.f32((heads,), 1.0)
    if ratio:
        comps = [(a + "compressor.", hd)] + ([(a + "indexer.compressor.", c["index_head_dim"])] if ratio == 4 else [])
        for cp, width in comps:
            coff = 2 if ratio == 4 else 1
            t[cp + "wkv.weight"] = g.bf16((coff * width, d), d ** -0.5)
            t[cp + "wgate.weight"] = g.bf16((coff * width, d), d ** -0.5)
            t[cp + "ape"] = g.f32((ratio, coff * width), 0.5)
            t[cp + "norm.weight"] = g.bf16((width,), 0.1, 1.0)
        if ratio == 4:
            t[a + "indexer.wq_b"] = g.fp8(c["index_n_heads"] * c["index_head_dim"], ql, ql ** -0.5)
            t[a + "indexer.weights_proj.weight"] = g.bf16((c["index_n_heads"], d), d ** -0.5)
    f = prefix + "ffn."
    n_exp, inter, k = c["n_routed_experts"], c["moe_intermediate_size"], c["num_experts_per_tok"]
    t[f + "gate.weight"] = g.bf16((n_exp, d), 2 * d ** -0.5)
    if is_hash:
        tid2eid = np.stack([g.rng.permutation(n_exp)[:k] for _ in range(c["vocab_size"])]).astype(np.int32)
        t[f + "gate.tid2eid"] = dict(kind="i32", value=tid2eid)
    else:
        t[f + "gate.bias"] = g.f32((n_exp,), 0.1)
    for e in range(n_exp):
        t[f"{f}experts.{e}.w1"] = g.fp4(inter, d, d ** -0.5)
        t[f"{f}experts.{e}.w2"] = g.fp4(d, inter, inter ** -0.5)
        t[f"{f}experts.{e}.w3"] = g.fp4(inter, d, d ** -0.5)
    t[f + "shared_experts.w1"] = g.fp8(inter, d, d ** -0.5)
    t[f + "shared_experts.w2"] = g.fp8(d, inter, inter ** -0.5)
    t[f + "shared_experts.w3"] = g.fp8(inter, d, d ** -0.5)
    return t


def make_weights(seed=SEED):
    """All tensors, keyed by official name (quantized ones without the .weight suffix)."""
    c, g = CFG, Gen(seed)
    d, hc = c["hidden_size"], c["hc_mult"]
    t = {"embed.weight": g.bf16((c["vocab_size"], d), 1.0)}
    for layer in range(c["num_hidden_layers"]):
        t.update(make_block(g, f"layers.{layer}.", layer, c["compress_ratios"][layer], layer < c["num_hash_layers"]))
    t["norm.weight"] = g.bf16((d,), 0.1, 1.0)
    t["head.weight"] = g.bf16((c["vocab_size"], d), 0.35)
    t["hc_head_fn"] = g.f32((hc, hc * d), 0.03)
    t["hc_head_base"] = g.f32((hc,), 0.5)
    t["hc_head_scale"] = dict(kind="f32", value=np.array([1.0], np.float32))
    m = "mtp.0."
    t[m + "e_proj"] = g.fp8(d, d, d ** -0.5)
    t[m + "h_proj"] = g.fp8(d, d, d ** -0.5)
    for n in ("enorm", "hnorm", "norm"):
        t[f"{m}{n}.weight"] = g.bf16((d,), 0.1, 1.0)
    t[m + "hc_head_fn"] = g.f32((hc, hc * d), 0.03)
    t[m + "hc_head_base"] = g.f32((hc,), 0.5)
    t[m + "hc_head_scale"] = dict(kind="f32", value=np.array([1.0], np.float32))
    t.update(make_block(g, m, c["num_hidden_layers"], c["compress_ratios"][-1], False))
    return t


# ---------------------------------------------------------------- safetensors writer

ST_DTYPES = {np.dtype(np.float32): ("F32", 4), np.dtype(np.int32): ("I32", 4), np.dtype(np.uint16): ("BF16", 2),
             np.dtype(np.int8): ("I8", 1)}


def write_safetensors(path, tensors):
    """tensors: name -> (dtype string, shape, bytes). Largest element size first, then by name
    (so every tensor is aligned to its element size), header padded to 8 bytes."""
    size = {"F32": 4, "I32": 4, "BF16": 2, "I8": 1, "F8_E4M3": 1, "F8_E8M0": 1}
    names = sorted(tensors, key=lambda n: (-size[tensors[n][0]], n))
    header, blobs, off = {}, [], 0
    for n in names:
        dt, shape, data = tensors[n]
        header[n] = {"dtype": dt, "shape": list(shape), "data_offsets": [off, off + len(data)]}
        blobs.append(data)
        off += len(data)
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h)
        for b in blobs:
            f.write(b)


def st_entries_fp8(name, t):
    """Official HF storage of one tensor: name -> (dtype, shape, bytes) entries."""
    k = t["kind"]
    if k == "fp8":
        return {name + ".weight": ("F8_E4M3", t["codes"].shape, t["codes"].tobytes()),
                name + ".scale": ("F8_E8M0", t["scale"].shape, t["scale"].tobytes())}
    if k == "fp4":
        c = t["codes"]
        packed = (c[:, 0::2] | (c[:, 1::2] << 4)).astype(np.uint8)  # low nibble = element 2i
        return {name + ".weight": ("I8", packed.shape, packed.tobytes()),
                name + ".scale": ("F8_E8M0", t["scale"].shape, t["scale"].tobytes())}
    if k == "bf16":
        return {name: ("BF16", t["value"].shape, bf16_bits(t["value"]).tobytes())}
    if k == "f32":
        return {name: ("F32", t["value"].shape, t["value"].tobytes())}
    return {name: ("I32", t["value"].shape, t["value"].astype("<i4").tobytes())}


def st_entries_bf16(name, t):
    if t["kind"] in ("fp8", "fp4"):
        v = dequant(t)
        return {name + ".weight": ("BF16", v.shape, bf16_bits(v).tobytes())}
    return st_entries_fp8(name, t)


# ---------------------------------------------------------------- configs and tokenizer


def hf_config():
    cfg = {"architectures": ["DeepseekV4ForCausalLM"], "model_type": "deepseek_v4", "attention_bias": False,
           "attention_dropout": 0.0, "bos_token_id": 0, "eos_token_id": 1, "hidden_act": "silu",
           "initializer_range": 0.02, "norm_topk_prob": True, "scoring_func": "sqrtsoftplus",
           "topk_method": "noaux_tc", "tie_word_embeddings": False, "torch_dtype": "bfloat16", "use_cache": True}
    cfg.update(CFG)
    cfg["quantization_config"] = QUANT_CONFIG
    cfg["expert_dtype"] = "fp4"
    return dict(sorted(cfg.items()))


def reference_config():
    """inference/config.json short names (the reference's ModelArgs fields), for the bf16 copy."""
    c = CFG
    return {"vocab_size": c["vocab_size"], "dim": c["hidden_size"], "moe_inter_dim": c["moe_intermediate_size"],
            "n_layers": c["num_hidden_layers"], "n_hash_layers": c["num_hash_layers"],
            "n_mtp_layers": c["num_nextn_predict_layers"], "n_heads": c["num_attention_heads"],
            "n_routed_experts": c["n_routed_experts"], "n_shared_experts": c["n_shared_experts"],
            "n_activated_experts": c["num_experts_per_tok"], "score_func": "sqrtsoftplus",
            "route_scale": c["routed_scaling_factor"], "swiglu_limit": c["swiglu_limit"],
            "q_lora_rank": c["q_lora_rank"], "head_dim": c["head_dim"], "rope_head_dim": c["qk_rope_head_dim"],
            "norm_eps": c["rms_norm_eps"], "o_groups": c["o_groups"], "o_lora_rank": c["o_lora_rank"],
            "window_size": c["sliding_window"],
            "original_seq_len": c["rope_scaling"]["original_max_position_embeddings"],
            "rope_theta": c["rope_theta"], "rope_factor": c["rope_scaling"]["factor"],
            "beta_fast": c["rope_scaling"]["beta_fast"], "beta_slow": c["rope_scaling"]["beta_slow"],
            "index_n_heads": c["index_n_heads"], "index_head_dim": c["index_head_dim"],
            "index_topk": c["index_topk"], "hc_mult": c["hc_mult"], "hc_sinkhorn_iters": c["hc_sinkhorn_iters"],
            "hc_eps": c["hc_eps"], "dtype": "bf16", "scale_fmt": "ue8m0",
            "compress_rope_theta": c["compress_rope_theta"], "compress_ratios": c["compress_ratios"]}


def load_tokenizer_tool():
    spec = importlib.util.spec_from_file_location("make_tokenizer_fixtures", ROOT / "tools" / "make-tokenizer-fixtures.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def build_tokenizer(mtf):
    """Byte-level BPE laid out like DeepSeek V4's (tools/make-tokenizer-fixtures.py), 512 ids:
    497 trained (BOS 0, EOS 1, pad 2 first) + the 15 added chat/DSML tokens."""
    tok = mtf.build_tokenizer(vocab_size=CFG["vocab_size"] - len(mtf.ADDED))
    assert tok.get_vocab_size() == CFG["vocab_size"], tok.get_vocab_size()
    assert tok.token_to_id(mtf.BOS) == 0 and tok.token_to_id(mtf.EOS) == 1
    config = {"add_bos_token": True, "add_eos_token": False, "bos_token": mtf.BOS, "eos_token": mtf.EOS,
              "pad_token": mtf.PAD, "model_max_length": CFG["max_position_embeddings"],
              "tokenizer_class": "LlamaTokenizerFast", "legacy": True, "clean_up_tokenization_spaces": False}
    return tok, json.dumps(config, ensure_ascii=False, indent=2) + "\n"


def write_tokenizer_files(d, tok_json, tok_config):
    (d / "tokenizer.json").write_text(tok_json, encoding="utf-8")
    (d / "tokenizer_config.json").write_text(tok_config, encoding="utf-8")


# ---------------------------------------------------------------- GGUF


def gguf_block_tensors(t, hf, blk, ratio, mtp):
    """(gguf name, numpy array in ggml-reversed order, raw ggml type or None) for one block."""
    import gguf
    Q = gguf.GGMLQuantizationType
    b = f"blk.{blk}."
    out = []

    def f32(name, src):
        out.append((b + name, dequant(t[src]).astype(np.float32), None))

    def bf16(name, src):
        out.append((b + name, bf16_bits(dequant(t[src])), Q.BF16))

    for site in ("attn", "ffn"):
        for part in ("fn", "base", "scale"):
            f32(f"hc_{site}_{part}.weight", f"{hf}hc_{site}_{part}")
    f32("attn_norm.weight", hf + "attn_norm.weight")
    f32("ffn_norm.weight", hf + "ffn_norm.weight")
    a = hf + "attn."
    f32("attn_sinks.weight", a + "attn_sink")
    f32("attn_q_a_norm.weight", a + "q_norm.weight")
    f32("attn_kv_a_norm.weight", a + "kv_norm.weight")
    for name, src in (("attn_q_a", "wq_a"), ("attn_q_b", "wq_b"), ("attn_kv", "wkv"), ("attn_output_a", "wo_a"),
                      ("attn_output_b", "wo_b")):
        bf16(name + ".weight", a + src)
    comps = [("attn_compressor_", a + "compressor.")] if ratio else []
    if ratio == 4:
        comps.append(("indexer_compressor_", a + "indexer.compressor."))
        bf16("indexer.attn_q_b.weight", a + "indexer.wq_b")
        f32("indexer.proj.weight", a + "indexer.weights_proj.weight")
    for gname, src in comps:
        bf16(gname + "kv.weight", src + "wkv.weight")
        bf16(gname + "gate.weight", src + "wgate.weight")
        f32(gname + "ape.weight", src + "ape")
        f32(gname + "norm.weight", src + "norm.weight")
    f = hf + "ffn."
    f32("ffn_gate_inp.weight", f + "gate.weight")
    if f + "gate.tid2eid" in t:
        out.append((b + "ffn_gate_tid2eid.weight", t[f + "gate.tid2eid"]["value"].astype(np.int32), None))
    else:
        out.append((b + "exp_probs_b.bias", t[f + "gate.bias"]["value"], None))
    n_exp = CFG["n_routed_experts"]
    for gname, w in (("ffn_gate_exps", "w1"), ("ffn_up_exps", "w3"), ("ffn_down_exps", "w2")):
        out.append((b + gname + ".weight", np.stack([mxfp4_blocks(t[f"{f}experts.{e}.{w}"]) for e in range(n_exp)]),
                    39))  # GGML_TYPE_MXFP4 (gguf-py 0.17.1 predates the enum member)
    for gname, w in (("ffn_gate_shexp", "w1"), ("ffn_up_shexp", "w3"), ("ffn_down_shexp", "w2")):
        bf16(gname + ".weight", f"{f}shared_experts.{w}")
    if mtp:
        m = "mtp.0."
        bf16("nextn.e_proj.weight", m + "e_proj")
        bf16("nextn.h_proj.weight", m + "h_proj")
        for gname, src in (("enorm", "enorm.weight"), ("hnorm", "hnorm.weight"), ("shared_head_norm", "norm.weight"),
                           ("hc_head_fn", "hc_head_fn"), ("hc_head_base", "hc_head_base"),
                           ("hc_head_scale", "hc_head_scale")):
            f32(f"nextn.{gname}.weight", m + src)
    return out


def mxfp4_blocks(t):
    """ggml MXFP4 rows: per 32 values one E8M0 byte then 16 bytes, byte j = code j | code j+16 << 4.
    Same E2M1 codes and scales as the FP4 checkpoint, only the nibble order differs."""
    c = t["codes"].reshape(t["codes"].shape[0], -1, 32)
    qs = (c[:, :, :16] | (c[:, :, 16:] << 4)).astype(np.uint8)
    return np.concatenate([t["scale"][:, :, None], qs], axis=2).reshape(c.shape[0], -1)


def gguf_writer_with_metadata(path, tok, mtf):
    """A GGUFWriter for `path` holding every deepseek4.* key of CFG and the tokenizer keys."""
    import gguf
    from gguf import GGUFValueType as V
    c = CFG
    n_blocks = c["num_hidden_layers"] + c["num_nextn_predict_layers"]
    w = gguf.GGUFWriter(str(path), arch="deepseek4")
    w.add_name("tiny-v4 (random test weights)")
    w.add_block_count(n_blocks)
    w.add_context_length(c["max_position_embeddings"])
    w.add_embedding_length(c["hidden_size"])
    w.add_vocab_size(c["vocab_size"])
    w.add_head_count(c["num_attention_heads"])
    w.add_head_count_kv(c["num_key_value_heads"])
    w.add_key_length(c["head_dim"])
    w.add_value_length(c["head_dim"])
    w.add_layer_norm_rms_eps(c["rms_norm_eps"])
    w.add_q_lora_rank(c["q_lora_rank"])
    a = "deepseek4.attention."
    w.add_uint32(a + "output_lora_rank", c["o_lora_rank"])
    w.add_uint32(a + "output_group_count", c["o_groups"])
    w.add_uint32(a + "sliding_window", c["sliding_window"])
    w.add_key_value(a + "compress_ratios", c["compress_ratios"], V.ARRAY, V.INT32)
    w.add_float32(a + "compress_rope_freq_base", float(c["compress_rope_theta"]))
    w.add_uint32(a + "indexer.head_count", c["index_n_heads"])
    w.add_uint32(a + "indexer.key_length", c["index_head_dim"])
    w.add_uint32(a + "indexer.top_k", c["index_topk"])
    w.add_rope_dimension_count(c["qk_rope_head_dim"])
    w.add_rope_freq_base(float(c["rope_theta"]))
    rs = c["rope_scaling"]
    w.add_string("deepseek4.rope.scaling.type", "yarn")
    w.add_float32("deepseek4.rope.scaling.factor", float(rs["factor"]))
    w.add_uint32("deepseek4.rope.scaling.original_context_length", rs["original_max_position_embeddings"])
    w.add_float32("deepseek4.rope.scaling.yarn_beta_fast", float(rs["beta_fast"]))
    w.add_float32("deepseek4.rope.scaling.yarn_beta_slow", float(rs["beta_slow"]))
    w.add_uint32("deepseek4.leading_dense_block_count", 0)
    w.add_uint32("deepseek4.expert_count", c["n_routed_experts"])
    w.add_uint32("deepseek4.expert_used_count", c["num_experts_per_tok"])
    w.add_uint32("deepseek4.expert_shared_count", c["n_shared_experts"])
    w.add_uint32("deepseek4.expert_feed_forward_length", c["moe_intermediate_size"])
    w.add_float32("deepseek4.expert_weights_scale", float(c["routed_scaling_factor"]))
    w.add_bool("deepseek4.expert_weights_norm", True)
    w.add_uint32("deepseek4.expert_gating_func", 4)  # ExpertGatingFuncType.SQRTSOFTPLUS
    w.add_uint32("deepseek4.hash_layer_count", c["num_hash_layers"])
    w.add_uint32("deepseek4.nextn_predict_layers", c["num_nextn_predict_layers"])
    w.add_key_value("deepseek4.swiglu_clamp_exp", [float(c["swiglu_limit"])] * n_blocks, V.ARRAY, V.FLOAT32)
    w.add_uint32("deepseek4.hyper_connection.count", c["hc_mult"])
    w.add_uint32("deepseek4.hyper_connection.sinkhorn_iterations", c["hc_sinkhorn_iters"])
    w.add_float32("deepseek4.hyper_connection.epsilon", float(c["hc_eps"]))
    copy_tokenizer_metadata(w, tok, mtf)
    return w


def gguf_add_data(w, name, arr, raw):
    """Adds one tensor; MXFP4 (raw 39) bytes go in as int8 with their element shape."""
    if raw == 39:  # the writer keeps the element shape we give
        shape = (arr.shape[0], arr.shape[1], arr.shape[2] // 17 * 32)
        w.add_tensor(name, np.ascontiguousarray(arr).view(np.int8), raw_shape=shape, raw_dtype=raw)
    else:
        w.add_tensor(name, np.ascontiguousarray(arr), raw_dtype=raw)


def write_gguf(path, t, tok, mtf):
    import gguf
    c = CFG
    w = gguf_writer_with_metadata(path, tok, mtf)
    tensors = [("token_embd.weight", bf16_bits(t["embed.weight"]["value"]), gguf.GGMLQuantizationType.BF16),
               ("output_norm.weight", t["norm.weight"]["value"], None),
               ("output.weight", bf16_bits(t["head.weight"]["value"]), gguf.GGMLQuantizationType.BF16),
               ("output_hc_fn.weight", t["hc_head_fn"]["value"], None),
               ("output_hc_base.weight", t["hc_head_base"]["value"], None),
               ("output_hc_scale.weight", t["hc_head_scale"]["value"], None)]
    for layer in range(c["num_hidden_layers"]):
        tensors += gguf_block_tensors(t, f"layers.{layer}.", layer, c["compress_ratios"][layer], False)
    tensors += gguf_block_tensors(t, "mtp.0.", c["num_hidden_layers"], c["compress_ratios"][-1], True)
    for name, arr, raw in tensors:
        gguf_add_data(w, name, arr, raw)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def copy_tokenizer_metadata(w, tok, mtf):
    """The tokenizer.ggml.* keys exactly as tools/make-tokenizer-fixtures.py writes them."""
    import gguf
    with tempfile.TemporaryDirectory() as tmp:
        p = pathlib.Path(tmp) / "tok.gguf"
        mtf.write_gguf(tok, p)
        r = gguf.GGUFReader(str(p))
        for key, field in r.fields.items():
            if key.startswith("tokenizer."):
                sub = field.types[-1] if field.types[0] == gguf.GGUFValueType.ARRAY else None
                w.add_key_value(key, field.contents(), field.types[0], sub)


# ---------------------------------------------------------------- main


def sha256(p):
    return hashlib.sha256(p.read_bytes()).hexdigest()


def write_all(out):
    out = pathlib.Path(out)
    t = make_weights()
    mtf = load_tokenizer_tool()
    tok, tok_config = build_tokenizer(mtf)
    tok_json = tok.to_str()

    fp8_dir, bf16_dir = out / "tiny-v4-fp8", out / "tiny-v4-bf16"
    for d in (fp8_dir, bf16_dir):
        d.mkdir(parents=True, exist_ok=True)
        write_tokenizer_files(d, tok_json, tok_config)
    (fp8_dir / "config.json").write_text(json.dumps(hf_config(), indent=2) + "\n")
    (bf16_dir / "config.json").write_text(json.dumps(reference_config(), indent=2) + "\n")

    shard1 = lambda n: n.startswith(("embed.", "layers.0.", "layers.1.", "layers.2."))  # noqa: E731
    shards = [{}, {}]
    for name, ten in t.items():
        shards[0 if shard1(name) else 1].update(st_entries_fp8(name, ten))
    index = {"metadata": {"total_size": sum(len(e[2]) for s in shards for e in s.values())}, "weight_map": {}}
    for i, s in enumerate(shards):
        fname = f"model-{i + 1:05d}-of-00002.safetensors"
        write_safetensors(fp8_dir / fname, s)
        index["weight_map"].update({n: fname for n in s})
    index["weight_map"] = dict(sorted(index["weight_map"].items()))
    (fp8_dir / "model.safetensors.index.json").write_text(json.dumps(index, indent=2) + "\n")

    bf = {}
    for name, ten in t.items():
        bf.update(st_entries_bf16(name, ten))
    write_safetensors(bf16_dir / "model.safetensors", bf)

    write_gguf(out / "tiny-v4.gguf", t, tok, mtf)

    files = sorted(p for p in out.rglob("*") if p.is_file() and p.name != "manifest.json")
    manifest = {"seed": SEED, "files": {str(p.relative_to(out)): sha256(p) for p in files}}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", required=True, help="output folder (created)")
    args = ap.parse_args()
    m = write_all(args.out)
    total = sum((pathlib.Path(args.out) / f).stat().st_size for f in m["files"])
    print(f"wrote {len(m['files'])} files, {total / 1e6:.1f} MB, into {args.out}")


if __name__ == "__main__":
    main()
