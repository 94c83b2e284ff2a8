#!/usr/bin/env python3
"""Seeds for the fuzz-v4-config target (tests/fuzz/fuzz-v4-config.cpp), from the tiny V4 config.

Each seed is one byte saying which front door (0: config.json beside an empty safetensors file,
1: a GGUF file), then the bytes. Written into tests/fuzz/corpus/v4-config/. Run with .venv/bin/python.
"""
import importlib.util
import json
import pathlib
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
OUT = ROOT / "tests" / "fuzz" / "corpus" / "v4-config"


def load_tiny():
    spec = importlib.util.spec_from_file_location("make_tiny_v4", ROOT / "tools" / "deepseek-v4" / "make-tiny-v4.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main():
    tiny = load_tiny()
    OUT.mkdir(parents=True, exist_ok=True)
    hf = tiny.hf_config()
    seeds = {
        "hf-names.bin": b"\0" + json.dumps(hf).encode(),
        "short-names.bin": b"\0" + json.dumps(tiny.reference_config()).encode(),
        "text-config.bin": b"\0" + json.dumps({"model_type": "deepseek_v4", "text_config": hf}).encode(),
    }
    mtf = tiny.load_tokenizer_tool()
    tok, _ = tiny.build_tokenizer(mtf)
    with tempfile.TemporaryDirectory() as tmp:
        p = pathlib.Path(tmp) / "header.gguf"
        w = tiny.gguf_writer_with_metadata(p, tok, mtf)  # every deepseek4.* key, no tensors
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_ti_data_to_file()
        w.close()
        seeds["gguf-keys.bin"] = b"\1" + p.read_bytes()
    for name, data in seeds.items():
        (OUT / name).write_bytes(data)
        print(f"wrote {OUT / name} ({len(data)} bytes)")


if __name__ == "__main__":
    main()
