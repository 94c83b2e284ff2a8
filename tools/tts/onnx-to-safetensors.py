#!/usr/bin/env python3
# Converts a Piper (VITS) voice as distributed (VOICE.onnx + VOICE.onnx.json) into Atelier's own
# loadable voice: OUT/model.safetensors (every ONNX initializer under its ONNX name, dtype kept)
# and OUT/voice.json (every key of the .onnx.json verbatim under "piper", the inference keys the
# C++ reads at the top level, and graph facts: inputs/outputs, opset, canonical module names for
# initializers the exporter left anonymous, and each Conv/ConvTranspose's attributes).
#   python tools/tts/onnx-to-safetensors.py VOICE.onnx OUT_DIR [--config VOICE.onnx.json]
# Needs the `onnx` package (reads the graph; never runs it). Refuses anything that is not a VITS.
import argparse
import json
import os
import sys

import numpy as np

FORMAT = "atelier-piper-voice"
FORMAT_VERSION = 1


def fail(msg):
    sys.exit(f"onnx-to-safetensors: {msg}")


def module_of(node_name):
    """'/flow/flows.0/enc/in_layers.0/Conv' -> 'flow.flows.0.enc.in_layers.0' (PyTorch exporter)."""
    parts = [p for p in node_name.split("/") if p]
    return ".".join(parts[:-1]) if len(parts) >= 2 else ""


def attrs_of(node):
    import onnx
    out = {}
    for a in node.attribute:
        v = onnx.helper.get_attribute_value(a)
        if isinstance(v, bytes):
            v = v.decode("utf-8", "replace")
        elif isinstance(v, (list, tuple)):
            v = [int(x) if isinstance(x, (int, np.integer)) else x for x in v]
        out[a.name] = v
    return out


def graph_facts(model, init_names):
    g = model.graph
    aliases = {}   # canonical PyTorch-style name -> ONNX initializer name
    convs = {}     # canonical module name -> {op, weight, bias, attributes}
    for node in g.node:
        mod = module_of(node.name)
        if node.op_type in ("Conv", "ConvTranspose") and mod:
            entry = {"op": node.op_type, "attributes": attrs_of(node)}
            for slot, role in ((1, "weight"), (2, "bias")):
                if len(node.input) > slot and node.input[slot] in init_names:
                    entry[role] = node.input[slot]
                    aliases.setdefault(f"{mod}.{role}", node.input[slot])
            convs[mod] = entry
        elif node.op_type == "Gather" and mod and node.input and node.input[0] in init_names:
            aliases.setdefault(f"{mod}.weight", node.input[0])  # embedding tables
    # The exporter folds ElementwiseAffine's exp(-logs) (duration predictor flow 0, reverse) into
    # a constant; name it for the loader.
    for name in init_names:
        if name.startswith("/dp/flows.") and name.endswith("/Exp_output_0"):
            aliases.setdefault(module_of(name.replace("/Exp_output_0", "/Exp")) + ".exp_neg_logs", name)
    # Initializers already carrying their module name alias to themselves.
    for name in init_names:
        if not name.startswith("onnx::") and "." in name:
            aliases.setdefault(name, name)
    def shape(vi):
        return [d.dim_value if d.HasField("dim_value") else d.dim_param for d in vi.type.tensor_type.shape.dim]
    return {
        "producer": f"{model.producer_name} {model.producer_version}".strip(),
        "opset": {(o.domain or "ai.onnx"): o.version for o in model.opset_import},
        "inputs": [{"name": i.name, "shape": shape(i), "elem_type": i.type.tensor_type.elem_type}
                   for i in g.input if i.name not in init_names],
        "outputs": [{"name": o.name, "shape": shape(o)} for o in g.output],
        "op_counts": dict(sorted({n.op_type: sum(1 for m in g.node if m.op_type == n.op_type)
                                  for n in g.node}.items())),
        "aliases": dict(sorted(aliases.items())),
        "convs": dict(sorted(convs.items())),
    }


def architecture(tensors, aliases, convs):
    """Hyperparameters a VITS loader needs, read from the weight shapes (checked, not guessed)."""
    def t(name):
        key = aliases.get(name)
        if key is None or key not in tensors:
            fail(f"the graph has no initializer for {name}; is this a Piper VITS voice?")
        return tensors[key]
    emb = t("enc_p.emb.weight")
    hidden = int(emb.shape[1])
    n_layers = sum(1 for k in aliases if k.startswith("enc_p.encoder.attn_layers.") and k.endswith("conv_q.weight"))
    rel_k = t("enc_p.encoder.attn_layers.0.emb_rel_k")
    head_dim = int(rel_k.shape[2])
    flows = sorted({int(k.split(".")[2]) for k in aliases if k.startswith("flow.flows.") and k.endswith("pre.weight")})
    wn_layers = sum(1 for k in aliases if k.startswith(f"flow.flows.{flows[0]}.enc.in_layers.") and k.endswith(".weight"))
    ups = sorted(int(k.split(".")[2]) for k in convs if k.startswith("dec.ups."))
    resblocks = sorted({int(k.split(".")[2]) for k in convs if k.startswith("dec.resblocks.")})
    stochastic = any(k.startswith("dp.flows.") for k in aliases)
    arch = {
        "n_vocab": int(emb.shape[0]),
        "hidden_channels": hidden,
        "inter_channels": int(t("enc_p.proj.weight").shape[0]) // 2,
        "filter_channels": int(t("enc_p.encoder.ffn_layers.0.conv_1.weight").shape[0]),
        "n_heads": hidden // head_dim,
        "n_layers": n_layers,
        "kernel_size": int(t("enc_p.encoder.ffn_layers.0.conv_1.weight").shape[2]),
        "window_size": (int(rel_k.shape[1]) - 1) // 2,
        "flow_indices": flows,
        "flow_wavenet_layers": wn_layers,
        "flow_kernel_size": int(t(f"flow.flows.{flows[0]}.enc.in_layers.0.weight").shape[2]),
        "upsample_initial_channel": int(t("dec.conv_pre.weight").shape[0]),
        "upsample_rates": [convs[f"dec.ups.{i}"]["attributes"]["strides"][0] for i in ups],
        "upsample_kernel_sizes": [int(t(f"dec.ups.{i}.weight").shape[2]) for i in ups],
        "resblock_count": len(resblocks),
        "duration_predictor": "stochastic" if stochastic else "deterministic",
        "gin_channels": int(t("emb_g.weight").shape[1]) if "emb_g.weight" in aliases else 0,
    }
    if stochastic:
        arch["dp_flow_indices"] = sorted({int(k.split(".")[2]) for k in aliases
                                          if k.startswith("dp.flows.") and k.endswith("proj.weight")})
        arch["dp_num_bins"] = (int(t(f"dp.flows.{arch['dp_flow_indices'][0]}.proj.weight").shape[0]) + 1) // 3
    return arch


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("onnx_path")
    ap.add_argument("out_dir")
    ap.add_argument("--config", help="the voice's .onnx.json (default: ONNX path + .json)")
    args = ap.parse_args()
    try:
        import onnx
        from onnx import numpy_helper
        from safetensors.numpy import save_file
    except ImportError as e:
        fail(f"{e}; install the tool packages (pip install onnx safetensors numpy)")

    cfg_path = args.config or args.onnx_path + ".json"
    if not os.path.isfile(cfg_path):
        fail(f"{cfg_path} not found: a Piper voice comes as VOICE.onnx plus VOICE.onnx.json")
    with open(cfg_path, encoding="utf-8") as f:
        piper = json.load(f)
    for key in ("phoneme_id_map", "audio", "inference"):
        if key not in piper:
            fail(f"{cfg_path} has no '{key}'; it is not a Piper voice config")
    try:
        model = onnx.load(args.onnx_path)
    except Exception as e:  # onnx raises several kinds for a file of the wrong kind
        fail(f"{args.onnx_path} is not a readable ONNX model ({e})")

    tensors = {}
    for init in model.graph.initializer:
        arr = numpy_helper.to_array(init)
        tensors[init.name] = np.ascontiguousarray(arr)
    # Some exports (newer torch) leave ElementwiseAffine's Exp(-logs) unfolded: an Exp node on an
    # initializer. Fold it here, under the name the folded graphs give it, so the loader finds it.
    for node in model.graph.node:
        if (node.op_type == "Exp" and node.name.startswith("/dp/flows.") and node.input[0] in tensors
                and node.output[0] not in tensors):
            tensors[node.output[0]] = np.exp(tensors[node.input[0]].astype(np.float32))
    facts = graph_facts(model, set(tensors))
    arch = architecture(tensors, facts["aliases"], facts["convs"])

    inf = piper["inference"]
    voice = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "source": os.path.basename(args.onnx_path),
        "sample_rate": int(piper["audio"]["sample_rate"]),
        "noise_scale": float(inf.get("noise_scale", 0.667)),
        "length_scale": float(inf.get("length_scale", 1.0)),
        "noise_w": float(inf.get("noise_w", 0.8)),
        "num_speakers": int(piper.get("num_speakers", 1)),
        "speaker_id_map": piper.get("speaker_id_map", {}),
        "phoneme_type": piper.get("phoneme_type", "espeak"),
        "espeak_voice": piper.get("espeak", {}).get("voice", ""),
        "phoneme_id_map": piper["phoneme_id_map"],
        "architecture": arch,
        "graph": facts,
        "piper": piper,
    }
    os.makedirs(args.out_dir, exist_ok=True)
    save_file(tensors, os.path.join(args.out_dir, "model.safetensors"),
              metadata={"format": FORMAT, "format_version": str(FORMAT_VERSION)})
    with open(os.path.join(args.out_dir, "voice.json"), "w", encoding="utf-8") as f:
        json.dump(voice, f, ensure_ascii=False, indent=1)
    total = sum(a.size for a in tensors.values())
    print(f"onnx-to-safetensors: {len(tensors)} tensors ({total} values), {arch['n_layers']} encoder layers, "
          f"{arch['duration_predictor']} duration predictor, {voice['sample_rate']} Hz -> {args.out_dir}")


if __name__ == "__main__":
    main()
