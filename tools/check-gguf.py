#!/usr/bin/env python3
"""Describe a GGUF file as JSON, read with the reference `gguf` package (gguf-py), for tests.

usage: .venv/bin/python tools/check-gguf.py FILE.gguf
Prints {"version", "alignment", "metadata": {key: VALUE}, "tensors": {name: {"type", "shape", "sha256"}}}
where VALUE is {"type": T, "value": V} for scalars and strings, and
{"type": "array", "elem": E, "items": [...]} for arrays (items of an array of arrays are VALUEs).
Types use Atelier's short names (u8 i8 u16 i16 u32 i32 f32 bool string array u64 i64 f64; tensor
types as gguf-py names them, lowercased). Shapes are in GGUF order (ne[0] first).
Nested arrays are decoded from gguf-py's field parts here because its ReaderField.contents()
flattens them.
"""
import hashlib
import json
import sys

import numpy as np
from gguf import GGUFReader, GGUFValueType as VT

NAMES = {VT.UINT8: "u8", VT.INT8: "i8", VT.UINT16: "u16", VT.INT16: "i16", VT.UINT32: "u32", VT.INT32: "i32",
         VT.FLOAT32: "f32", VT.BOOL: "bool", VT.STRING: "string", VT.ARRAY: "array", VT.UINT64: "u64",
         VT.INT64: "i64", VT.FLOAT64: "f64"}


def scalar(part, vtype):
    v = part[0]
    if vtype == VT.BOOL:
        return bool(v)
    if vtype in (VT.FLOAT32, VT.FLOAT64):
        return float(v)
    return int(v)


def decode(parts, i, vtype):
    """Decodes one value of `vtype` starting at parts[i]; returns (json_value, next_index)."""
    if vtype == VT.STRING:
        return parts[i + 1].tobytes().decode("utf-8"), i + 2
    if vtype != VT.ARRAY:
        return scalar(parts[i], vtype), i + 1
    elem, n = VT(int(parts[i][0])), int(parts[i + 1][0])
    i += 2
    items = []
    for _ in range(n):
        v, i = decode(parts, i, elem)
        items.append({"type": "array", **v} if elem == VT.ARRAY else v)
    return {"elem": NAMES[elem], "items": items}, i


def describe(path):
    r = GGUFReader(path)
    out = {"version": None, "alignment": int(r.alignment), "metadata": {}, "tensors": {}}
    for key, field in r.fields.items():
        if key.startswith("GGUF."):
            if key == "GGUF.version":
                out["version"] = int(field.parts[0][0])
            continue
        vtype = field.types[0]
        v, _ = decode(field.parts, 3, vtype)  # parts 0..2: key length, key bytes, value type
        out["metadata"][key] = {"type": "array", **v} if vtype == VT.ARRAY else {"type": NAMES[vtype], "value": v}
    for t in r.tensors:
        raw = np.asarray(r.data[t.data_offset:t.data_offset + t.n_bytes]).tobytes()
        out["tensors"][t.name] = {"type": t.tensor_type.name.lower(), "shape": [int(x) for x in t.shape],
                                  "sha256": hashlib.sha256(raw).hexdigest()}
    return out


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    print(json.dumps(describe(sys.argv[1]), sort_keys=True))
