#!/usr/bin/env python3
"""Regenerates the quantisation goldens in tests/inference/quant/goldens/ and the IQ grid tables in
inference/quant/iq-grids.cpp, from the gguf Python package's numpy reference (gguf 0.17.1, numpy 2.3.5).

Run: /work/main/.venv/bin/python tools/make-quant-goldens.py   (from the repository root)

Dequantisation goldens: random but valid blocks (fixed seed; fp16 scale fields forced finite)
decoded by gguf.quants.dequantize. gguf 0.17.1 has no MXFP4 and no Q8_K, so those two are decoded
here from the GGUF layout with plain numpy (value tables, powers of two), not by our C++ code.
Quantisation goldens: gguf.quants.quantize for Q8_0 and BF16, numpy's float16 cast for F16.
Outputs are deterministic: rerunning gives identical bytes.
"""
import os
import sys

import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import quants

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "inference", "quant", "goldens")
GRIDS = os.path.join(ROOT, "inference", "quant", "iq-grids.cpp")

# (name, gguf type, block bytes, offsets of fp16 scale fields inside a block)
DEQUANT_TYPES = [
    ("q8_0", T.Q8_0, 34, [0]),
    ("q2_K", T.Q2_K, 84, [80, 82]),
    ("q3_K", T.Q3_K, 110, [108]),
    ("q4_K", T.Q4_K, 144, [0, 2]),
    ("q5_K", T.Q5_K, 176, [0, 2]),
    ("q6_K", T.Q6_K, 210, [208]),
    ("iq2_xxs", T.IQ2_XXS, 66, [0]),
    ("iq3_xxs", T.IQ3_XXS, 98, [0]),
]
N_BLOCKS = 6


def finite_f16(rng, n):
    """Random finite fp16 bit patterns: mostly moderate magnitudes, plus a subnormal and a large one."""
    vals = (rng.standard_normal(n) * 0.05).astype(np.float16)
    vals[0] = np.float16(6.0e-6)    # subnormal fp16
    if n > 1:
        vals[1] = np.float16(-1000.0)  # large, negative
    return vals.view(np.uint16)


def write(name, arr):
    path = os.path.join(OUT, name)
    with open(path, "wb") as f:
        f.write(np.ascontiguousarray(arr).tobytes())
    return os.path.getsize(path)


def dequant_goldens(rng):
    total = 0
    for name, qtype, nbytes, f16_offsets in DEQUANT_TYPES:
        blocks = rng.integers(0, 256, size=(N_BLOCKS, nbytes), dtype=np.uint8)
        for off in f16_offsets:
            blocks[:, off:off + 2] = finite_f16(rng, N_BLOCKS).view(np.uint8).reshape(N_BLOCKS, 2)
        expected = quants.dequantize(blocks.reshape(-1), qtype).astype(np.float32)
        assert expected.size == N_BLOCKS * quants.GGML_QUANT_SIZES[qtype][0]
        assert np.all(np.isfinite(expected)), name
        total += write(name + ".bin", blocks) + write(name + ".f32", expected)
    return total


E2M1 = np.array([0, 0.5, 1, 1.5, 2, 3, 4, 6, -0.0, -0.5, -1, -1.5, -2, -3, -4, -6], dtype=np.float64)


def mxfp4_golden(rng):
    """GGUF MXFP4: byte 0 = UE8M0 exponent e, then 16 bytes: low nibble value j, high nibble j+16.
    Value = E2M1(code) * 2**(e - 127), computed in float64 and rounded once to float32 (exact, or
    +-inf where it overflows, as ggml's arithmetic gives for e = 255)."""
    exps = np.array([127, 120, 130, 0, 1, 254, 255, 100], dtype=np.uint8)
    blocks = rng.integers(0, 256, size=(exps.size, 17), dtype=np.uint8)
    blocks[:, 0] = exps
    out = np.empty((exps.size, 32), dtype=np.float64)
    for b in range(exps.size):
        scale = 2.0 ** (int(blocks[b, 0]) - 127)
        for j in range(16):
            out[b, j] = E2M1[blocks[b, 1 + j] & 15] * scale
            out[b, j + 16] = E2M1[blocks[b, 1 + j] >> 4] * scale
    with np.errstate(over="ignore"):
        expected = out.astype(np.float32)
    return write("mxfp4.bin", blocks) + write("mxfp4.f32", expected)


def q8k_golden(rng):
    """Q8_K: float32 d, 256 int8, 16 int16 block sums (not used by dequantisation)."""
    n = 3
    d = (rng.standard_normal(n) * 0.01).astype(np.float32)
    qs = rng.integers(-128, 128, size=(n, 256), dtype=np.int8)
    bsums = qs.reshape(n, 16, 16).astype(np.int16).sum(axis=2, dtype=np.int16)
    blocks = np.concatenate([d.view(np.uint8).reshape(n, 4), qs.view(np.uint8),
                             bsums.view(np.uint8).reshape(n, 32)], axis=1)
    expected = (qs.astype(np.float32) * d.reshape(n, 1)).astype(np.float32)
    return write("q8_K.bin", blocks) + write("q8_K.f32", expected)


def quant_inputs(rng):
    """Float inputs for the quantiser goldens: normal data at several scales, an all-zero block,
    exact halves (ties for the rounding rule), and a block with one outlier."""
    parts = [rng.standard_normal(32 * 16).astype(np.float32) * s for s in (1.0, 1e-3, 300.0)]
    zeros = np.zeros(32, dtype=np.float32)
    # amax 127 gives d = 1 exactly, so x * id hits exact halves: the tie rule decides
    ties = np.where(np.arange(32) == 0, np.float32(127.0), np.arange(32, dtype=np.float32) - 15.5)
    outlier = rng.standard_normal(32).astype(np.float32)
    outlier[7] = 50.0
    return np.concatenate(parts + [zeros, ties.astype(np.float32), outlier]).astype(np.float32)


def quantize_goldens(rng):
    x = quant_inputs(rng)
    total = write("q8_0-quant.in.f32", x)
    total += write("q8_0-quant.out.bin", quants.quantize(x, T.Q8_0))
    # bf16 and f16 element rounding: random values over many binades plus the edge cases
    specials = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 65504.0, 65519.99, 65520.0, 1e-8, 2.0 ** -24,
                         2.0 ** -25, 3 * 2.0 ** -26, 5.960464e-08, 6.1035156e-05, 3.4e38, -1.0 + 2.0 ** -12,
                         1.0 + 2.0 ** -11, 1.0 + 3 * 2.0 ** -11], dtype=np.float32)
    mant = rng.standard_normal(2000)
    expo = rng.integers(-30, 20, size=2000)
    y = np.concatenate([specials, (mant * 2.0 ** expo).astype(np.float32),
                        rng.integers(0, 2 ** 32, size=500, dtype=np.uint32).view(np.float32)])
    total += write("bf16-quant.in.f32", y)
    total += write("bf16-quant.out.bin", quants.quantize(y, T.BF16))
    with np.errstate(over="ignore", invalid="ignore"):
        total += write("f16-quant.out.bin", y.astype(np.float16))
    codes = rng.integers(0, 2 ** 16, size=4000, dtype=np.uint16)
    total += write("f16-dequant.bin", codes) + write("f16-dequant.f32", codes.view(np.float16).astype(np.float32))
    return total


def write_grids():
    lines = []
    for cls, name, width in ((quants.IQ2_XXS, "kIq2xxsGrid", 8), (quants.IQ3_XXS, "kIq3xxsGrid", 4)):
        cls.init_grid()
        g = np.asarray(cls.grid).reshape(256, width)
        assert np.all(g == np.round(g)) and g.min() >= 0 and g.max() < 256
        lines.append(f"const uint8_t {name}[256][{width}] = {{")
        for r in range(256):
            lines.append("    {" + ", ".join(str(int(v)) for v in g[r]) + "},")
        lines.append("};")
        lines.append("")
    # check our parity rule against the package's sign table
    ks = np.frombuffer(quants.IQ2_XXS.ksigns, dtype=np.uint8)
    for i in range(128):
        assert ks[i] == (i | ((bin(i).count("1") & 1) << 7)), i
    head = ("// GENERATED by tools/make-quant-goldens.py from the gguf package's IQ grids; do not edit.\n"
            "// Magnitude grids of IQ2_XXS (8 values per entry) and IQ3_XXS (4 per entry), as in GGUF.\n"
            "// Thread-safety: constant tables.\n"
            "#include \"inference/quant.h\"\n\nnamespace atelier::infer {\n\n")
    with open(GRIDS, "w") as f:
        f.write(head + "\n".join(lines) + "}  // namespace atelier::infer\n")


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20260903)
    total = dequant_goldens(rng) + mxfp4_golden(rng) + q8k_golden(rng) + quantize_goldens(rng)
    write_grids()
    print(f"goldens: {total} bytes in {OUT}; grids: {GRIDS}")
    if total > 200 * 1024:
        sys.exit("goldens exceed 200 KB")


if __name__ == "__main__":
    main()
