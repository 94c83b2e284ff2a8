# Our own PyTorch re-statement of DeepSeek's current V4 `inference/model.py` + `kernel.py`
# (models/deepseek-v4.md §3.1-3.7, §3.12), used to make the goldens of
# tests/inference/deepseek-v4/goldens/. Written from the spec and from reading the official files
# for facts; no code copied. One sequence, prefill from position 0 then one token per step, the
# reference's own caches (window ring, compressor partial groups, indexer keys).
# Numerics: "released" = what the released model computes (bf16 activations, FP8 activation fake
# quantisation per 128 before every FP8/FP4 GEMM except wo_a, KV FP8 simulation, indexer
# Hadamard + FP4 simulation, bf16 index scores, bf16 P before P.V in 64-slot blocks); "exact" =
# the same algorithm in fp32 with every quantisation step off. Ties: the lower index wins.
# Runs with /work/venv-ref/bin/python (torch); CPU, single thread is enough.
import json
import math
import pathlib

import torch
import torch.nn.functional as F

BF16, F32 = torch.bfloat16, torch.float32
E2M1 = torch.tensor([0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0])

# Every fp32 dot product and sum below is accumulated in fp64 and rounded once to fp32: an ideal
# fp32 accumulator. It makes the results independent of tensor shapes (a prefill of S rows and a
# decode of one row give the same bits for the same row), which CPU/GPU kernels do not guarantee.


def mm(a, b):
    """a @ b with fp64 accumulation, rounded to fp32."""
    return (a.double() @ b.double()).float()


def einsum(eq, *xs):
    return torch.einsum(eq, *[x.double() for x in xs]).float()


def dsum(x, dim, keepdim=False):
    return x.double().sum(dim, keepdim=keepdim).float()


def softmax(x, dim):
    e = torch.exp(x - x.amax(dim, keepdim=True))
    return e / dsum(e, dim, keepdim=True)

# ---------------------------------------------------------------- quantisation steps (kernel.py)


def pow2_scale(amax, inv_max):
    """2^ceil(log2(amax * inv_max)) with the product rounded to fp32 first, as the kernel's
    fast_round_scale does (exponent bits, +1 when the mantissa is not zero)."""
    t = (amax.float() * torch.tensor(inv_max, dtype=F32)).contiguous()
    bits = t.view(torch.int32)
    e = ((bits >> 23) & 0xFF) - 127 + ((bits & 0x7FFFFF) != 0).to(torch.int32)
    return ((e + 127) << 23).view(F32)


def e2m1_round(v):
    """Round to the nearest E2M1 value, ties to the even code (v already clamped to [-6, 6])."""
    a = v.abs()
    hi = torch.bucketize(a, E2M1).clamp(1, 7)
    lo = hi - 1
    dlo, dhi = a - E2M1[lo], E2M1[hi] - a
    pick_hi = (dhi < dlo) | ((dhi == dlo) & (hi % 2 == 0))
    return torch.copysign(torch.where(pick_hi, E2M1[hi], E2M1[lo]), v)


def fp8_quant(x, block):
    """Blockwise FP8 E4M3 quantisation of the last dim: (codes as fp32 values, fp32 scales).
    amax floored at 1e-4, scale 2^ceil(log2(amax/448)), clamp +-448, round to nearest even."""
    xb = x.float().unflatten(-1, (-1, block))
    s = pow2_scale(xb.abs().amax(-1, keepdim=True).clamp_min(1e-4), 1.0 / 448.0)
    q = (xb / s).clamp(-448.0, 448.0).to(torch.float8_e4m3fn).float()
    return q, s


def fp8_sim(x, block):
    """In-place style FP8 simulation (act_quant inplace): returns q*s in x's dtype."""
    q, s = fp8_quant(x, block)
    return (q * s).flatten(-2).to(x.dtype)


def fp4_sim(x, block=32):
    """FP4 E2M1 simulation per `block` (fp4_act_quant inplace): amax floored at 6*2^-126,
    scale 2^ceil(log2(amax/6)), clamp +-6, round to nearest even; returns q*s in x's dtype."""
    xb = x.float().unflatten(-1, (-1, block))
    s = pow2_scale(xb.abs().amax(-1, keepdim=True).clamp_min(6 * 2.0 ** -126), 1.0 / 6.0)
    return (e2m1_round((xb / s).clamp(-6.0, 6.0)) * s).flatten(-2).to(x.dtype)


def hadamard(x):
    """Normalised Walsh-Hadamard transform (Sylvester order) of the last dim: butterflies in fp32,
    then * n^-0.5, then the input's dtype (fast_hadamard_transform's behaviour)."""
    n = x.shape[-1]
    y = x.float().clone()
    h = 1
    while h < n:
        y = y.unflatten(-1, (-1, 2, h))
        a, b = y[..., 0, :], y[..., 1, :]
        y = torch.stack((a + b, a - b), dim=-2).flatten(-3)
        h *= 2
    return (y * n ** -0.5).to(x.dtype)


def kv_sim(kv, rope_dim):
    """V4 KV FP8 simulation: dims 0..D-rope_dim-1 in blocks of 64, rope dims untouched."""
    nope = kv[..., :-rope_dim]
    return torch.cat([fp8_sim(nope, 64), kv[..., -rope_dim:]], dim=-1)


def indexer_sim(x):
    """V4 indexer simulation on a bf16 vector: Hadamard, then FP4 per 32."""
    return fp4_sim(hadamard(x), 32)


# ---------------------------------------------------------------- weights


E2M1_CODES = torch.cat([E2M1, -E2M1])


class Weight:
    """One projection. `deq` is the exact fp32 value; FP8/FP4 ones also keep codes and scales."""

    def __init__(self, w, scale=None):
        if w.dtype == torch.float8_e4m3fn:
            self.kind, self.q = "fp8", w.float()
            self.s = scale.float()
            self.deq = self.q * self.s.repeat_interleave(128, 0).repeat_interleave(128, 1)
        elif w.dtype == torch.int8:
            b = w.view(torch.uint8).long()
            self.kind = "fp4"
            self.q = torch.stack([E2M1_CODES[b & 15], E2M1_CODES[b >> 4]], -1).flatten(1)
            self.s = scale.float()
            self.deq = self.q * self.s.repeat_interleave(32, 1)
        else:
            self.kind, self.deq = ("bf16" if w.dtype == BF16 else "f32"), w.float()

    def gemm(self, x):
        """The released FP8/FP4 GEMM: activations quantised per 128 (FP8), blockwise products
        summed in fp32 with the act and weight scales applied per K block, bf16 output."""
        k_blk = 128 if self.kind == "fp8" else 32
        xq, sx = fp8_quant(x, 128)
        n, k = self.q.shape
        acc = torch.zeros(*x.shape[:-1], n)
        for kb in range(k // k_blk):
            a = xq[..., kb * k_blk // 128, (kb * k_blk) % 128:(kb * k_blk) % 128 + k_blk]
            part = mm(a, self.q[:, kb * k_blk:(kb + 1) * k_blk].T)
            sa = sx[..., kb * k_blk // 128, :]
            if self.kind == "fp8":
                acc = acc + part * (sa * self.s[:, kb].repeat_interleave(128))
            else:
                acc = acc + part * sa * self.s[:, kb]
        return acc.to(BF16)


def load_checkpoint(folder):
    """The official-layout checkpoint (tiny-v4-fp8/): config.json and every tensor by name."""
    from safetensors import safe_open
    folder = pathlib.Path(folder)
    cfg = json.loads((folder / "config.json").read_text())
    tensors = {}
    for f in sorted(folder.glob("*.safetensors")):
        with safe_open(str(f), "pt") as s:
            for k in s.keys():
                tensors[k] = s.get_tensor(k)
    return cfg, tensors


# ---------------------------------------------------------------- the model


class Numerics:
    def __init__(self, mode):
        assert mode in ("released", "exact")
        self.released = mode == "released"
        self.dt = BF16 if self.released else F32

    def linear(self, x, w):
        if w.kind in ("fp8", "fp4"):
            return w.gemm(x) if self.released else mm(x, w.deq.T)
        if w.kind == "bf16" and self.released:  # a bf16 GEMM: fp32 accumulation, bf16 output
            return mm(x.to(BF16), w.deq.to(BF16).T).to(BF16)
        return mm(x, w.deq.T)

    def head_norm(self, q, eps):
        """q * rsqrt(mean(q^2) + eps) per head. Released: the reference does this in bf16
        arithmetic: q^2, the mean, + eps, rsqrt and the product each rounded to bf16."""
        if not self.released:
            return q * torch.rsqrt(dsum(q * q, -1, True) / q.shape[-1] + eps)
        r = lambda v: v.to(BF16).float()  # noqa: E731
        qf = q.float()
        var = r(r(dsum(r(qf * qf), -1, True) / q.shape[-1]) + eps)
        return (qf * r(torch.rsqrt(var))).to(BF16)


def rms_norm(x, w, eps):
    xf = x.float()
    return (w * (xf * torch.rsqrt(dsum(xf * xf, -1, True) / xf.shape[-1] + eps))).to(x.dtype)


def rope_table(cfg, compressed, length):
    """complex64 [length, 32]: theta 10000 without YaRN on window-only layers, compress theta with
    YaRN (no mscale) on compressed layers (precompute_freqs_cis)."""
    dim = cfg["qk_rope_head_dim"]
    base = cfg["compress_rope_theta"] if compressed else cfg["rope_theta"]
    freqs = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=F32) / dim))
    if compressed:
        rs = cfg["rope_scaling"]
        orig, factor = rs["original_max_position_embeddings"], rs["factor"]

        def corr(rot):
            return dim * math.log(orig / (rot * 2 * math.pi)) / (2 * math.log(base))

        low, high = max(math.floor(corr(rs["beta_fast"])), 0), min(math.ceil(corr(rs["beta_slow"])), dim - 1)
        if low == high:
            high += 0.001
        smooth = 1 - ((torch.arange(dim // 2, dtype=F32) - low) / (high - low)).clamp(0, 1)
        freqs = freqs / factor * (1 - smooth) + freqs * smooth
    angles = torch.outer(torch.arange(length), freqs)
    return torch.polar(torch.ones_like(angles), angles)


def apply_rope(x, fc, inverse=False):
    """Interleaved RoPE on the last 64 dims; fc [S, 32] broadcast over middle dims."""
    rd = fc.shape[-1] * 2
    tail = torch.view_as_complex(x[..., -rd:].float().unflatten(-1, (-1, 2)).contiguous())
    fc = fc.conj() if inverse else fc
    fc = fc.view(fc.shape[0], *([1] * (tail.dim() - 2)), fc.shape[-1])
    tail = torch.view_as_real(tail * fc).flatten(-2).to(x.dtype)
    return torch.cat([x[..., :-rd], tail], dim=-1)


def sparse_attn(q, kv, sink, idx, scale, bf16_p, chunk=64):
    """q [S,H,D], kv [N,D], idx [S,T] (-1 = empty slot). Online softmax over 64-slot blocks in
    index order, the sink only in the normaliser; bf16_p rounds the unnormalised probabilities to
    bf16 before P.V (the released kernel)."""
    S, H, D = q.shape
    out = torch.empty(S, H, D)
    for c0 in range(0, S, chunk):
        ids = idx[c0:c0 + chunk]
        valid = ids >= 0
        g = kv[ids.clamp(min=0)].float() * valid[..., None]
        s = einsum("chd,ctd->cht", q[c0:c0 + chunk].float(), g) * scale
        s = s.masked_fill(~valid[:, None, :], float("-inf"))
        m = torch.full(s.shape[:2], float("-inf"))
        lsum = torch.zeros(s.shape[:2])
        acc = torch.zeros(s.shape[0], H, D)
        for b0 in range(0, s.shape[-1], 64):
            sb = s[..., b0:b0 + 64]
            m_new = torch.maximum(m, sb.amax(-1))
            alpha = torch.exp(m - m_new)
            p = torch.exp(sb - m_new[..., None])
            lsum = lsum * alpha + dsum(p, -1)
            pc = p.to(BF16).float() if bf16_p else p
            acc = acc * alpha[..., None] + einsum("cht,ctd->chd", pc, g[:, b0:b0 + 64])
            m = m_new
        lsum = lsum + torch.exp(sink[None, :] - m)
        out[c0:c0 + chunk] = acc / lsum[..., None]
    return out


def stable_topk(scores, k):
    """Indices of the k largest along the last dim; among equal scores the lower index first."""
    return torch.sort(scores, dim=-1, descending=True, stable=True).indices[..., :k]


class Compressor:
    """Gated pooling of `ratio` tokens into one entry (ratio 4: overlapping, two halves), with the
    reference's prefill and one-token decode paths and its partial-group state."""

    def __init__(self, model, prefix, ratio, width, rotate):
        self.m, self.ratio, self.width, self.rotate = model, ratio, width, rotate
        self.overlap = ratio == 4
        self.wkv = Weight(model.t[prefix + "wkv.weight"].float())
        self.wgate = Weight(model.t[prefix + "wgate.weight"].float())
        self.ape = model.t[prefix + "ape"].float()
        self.norm = model.t[prefix + "norm.weight"].float()
        self.cache = None
        coff = 2 if self.overlap else 1
        self.kv_state = torch.zeros(coff * ratio, coff * width)
        self.score_state = torch.full((coff * ratio, coff * width), float("-inf"))

    def _pool(self, kv, score):
        return dsum(kv * softmax(score, -2), -2)

    def forward(self, x, start, fc):
        """x [S, dim] (the attention input). Writes new entries into self.cache, returns them."""
        S = x.shape[0]
        r, d = self.ratio, self.width
        kv, score = mm(x, self.wkv.deq.T), mm(x, self.wgate.deq.T)
        if start == 0:
            rem = S % r
            cut = S - rem
            off = r if self.overlap else 0
            if self.overlap and cut >= r:
                self.kv_state[:r] = kv[cut - r:cut]
                self.score_state[:r] = score[cut - r:cut] + self.ape
            if rem:
                self.kv_state[off:off + rem] = kv[cut:]
                self.score_state[off:off + rem] = score[cut:] + self.ape[:rem]
            if cut < r:
                return None
            kv = kv[:cut].unflatten(0, (-1, r))
            score = score[:cut].unflatten(0, (-1, r)) + self.ape
            if self.overlap:
                kv, score = self._overlap(kv, 0.0), self._overlap(score, float("-inf"))
            out = self._pool(kv, score)
            positions = torch.arange(0, cut, r)
        else:
            score = score + self.ape[start % r]
            slot = (r if self.overlap else 0) + start % r
            self.kv_state[slot] = kv[0]
            self.score_state[slot] = score[0]
            if (start + 1) % r:
                return None
            if self.overlap:
                kv_s = torch.cat([self.kv_state[:r, :d], self.kv_state[r:, d:]])
                sc_s = torch.cat([self.score_state[:r, :d], self.score_state[r:, d:]])
                out = self._pool(kv_s, sc_s)[None]
                self.kv_state[:r] = self.kv_state[r:].clone()
                self.score_state[:r] = self.score_state[r:].clone()
            else:
                out = self._pool(self.kv_state, self.score_state)[None]
            positions = torch.tensor([start + 1 - r])
        out = rms_norm(out.to(x.dtype), self.norm, self.m.eps)
        out = apply_rope(out, fc[positions])
        if self.rotate:
            out = hadamard(out)
            if self.m.num.released:
                out = fp4_sim(out, 32)
        elif self.m.num.released:
            out = kv_sim(out, self.m.rope_dim)
        first = positions[0].item() // r
        self.cache[first:first + out.shape[0]] = out
        return out

    def _overlap(self, t, fill):
        """[n, r, 2d] -> [n, 2r, d]: rows 0..r-1 = first half of group n-1, rows r.. = second half of n."""
        n, r, d = t.shape[0], self.ratio, self.width
        o = t.new_full((n, 2 * r, d), fill)
        o[:, r:] = t[:, :, d:]
        o[1:, :r] = t[:-1, :, :d]
        return o


class Attention:
    def __init__(self, model, prefix, layer):
        c, t = model.cfg, model.t
        self.m, self.ratio, self.prefix = model, c["compress_ratios"][layer], prefix
        a = prefix + "attn."
        self.wq_a, self.wq_b = model.weight(a + "wq_a"), model.weight(a + "wq_b")
        self.wkv, self.wo_b = model.weight(a + "wkv"), model.weight(a + "wo_b")
        wo_a = model.weight(a + "wo_a").deq  # the reference's converter turns wo_a into bf16
        self.wo_a = wo_a.to(model.num.dt).view(c["o_groups"], c["o_lora_rank"], -1)
        self.q_norm, self.kv_norm = t[a + "q_norm.weight"].float(), t[a + "kv_norm.weight"].float()
        self.sink = t[a + "attn_sink"].float()
        self.fc = rope_table(c, self.ratio > 0, model.max_len)
        self.win, self.heads, self.hd = c["sliding_window"], c["num_attention_heads"], c["head_dim"]
        self.indexer = Indexer(model, a + "indexer.", self.fc) if self.ratio == 4 else None
        self.reset()

    def reset(self):
        """Fresh per-sequence state: empty caches, compressor kv = 0 and score = -inf."""
        dt = self.m.num.dt
        self.win_cache = torch.zeros(self.win, self.hd, dtype=dt)
        self.compressor = None
        if self.ratio:
            self.compressor = Compressor(self.m, self.prefix + "attn.compressor.", self.ratio, self.hd, False)
            self.compressor.cache = torch.zeros(self.m.max_len // self.ratio, self.hd, dtype=dt)
        if self.indexer:
            self.indexer.reset()

    def window_idx(self, S, start):
        win = self.win
        if start == 0:
            base = torch.arange(S)[:, None]
            mat = (base - win + 1).clamp(min=0) + torch.arange(min(S, win))
            return torch.where(mat > base, -1, mat)
        if start >= win - 1:
            p = start % win
            return torch.cat([torch.arange(p + 1, win), torch.arange(0, p + 1)])[None]
        return F.pad(torch.arange(start + 1), (0, win - start - 1), value=-1)[None]

    def forward(self, x, start):
        num, eps, rd = self.m.num, self.m.eps, self.m.rope_dim
        S = x.shape[0]
        fc = self.fc[start:start + S]
        qr = rms_norm(num.linear(x, self.wq_a), self.q_norm, eps)
        q = num.linear(qr, self.wq_b).unflatten(-1, (self.heads, self.hd))
        q = num.head_norm(q, eps)
        q = apply_rope(q, fc)
        kv = apply_rope(rms_norm(num.linear(x, self.wkv), self.kv_norm, eps), fc)
        if num.released:
            kv = kv_sim(kv, rd)
        idx = self.window_idx(S, start)
        if self.ratio:
            off = S if start == 0 else self.win
            if self.indexer:
                cidx = self.indexer.forward(x, qr, start, off)
            elif start == 0:
                mat = torch.arange(S // self.ratio).repeat(S, 1)
                cidx = torch.where(mat >= torch.arange(1, S + 1)[:, None] // self.ratio, -1, mat + off)
            else:
                cidx = (torch.arange((start + 1) // self.ratio) + off)[None]
            idx = torch.cat([idx, cidx], dim=-1)
        if start == 0:
            keep = kv[-self.win:]
            slots = torch.arange(S - keep.shape[0], S) % self.win
            self.win_cache[slots] = keep
            new = self.compressor.forward(x, 0, self.fc) if self.ratio else None
            kv_all = kv if new is None else torch.cat([kv, new])
        else:
            self.win_cache[start % self.win] = kv[0]
            if self.ratio:
                self.compressor.forward(x, start, self.fc)
                kv_all = torch.cat([self.win_cache, self.compressor.cache])
            else:
                kv_all = self.win_cache
        o = sparse_attn(q, kv_all, self.sink, idx, self.hd ** -0.5, num.released).to(num.dt)
        o = apply_rope(o, fc, inverse=True)
        o = einsum("sgd,grd->sgr", o.reshape(S, self.wo_a.shape[0], -1), self.wo_a).to(num.dt)
        return num.linear(o.flatten(1), self.wo_b)


class Indexer:
    def __init__(self, model, prefix, fc):
        c, t = model.cfg, model.t
        self.m, self.prefix, self.fc = model, prefix, fc
        self.wq_b, self.weights_proj = model.weight(prefix + "wq_b"), model.weight(prefix + "weights_proj")
        self.heads, self.dim, self.topk = c["index_n_heads"], c["index_head_dim"], c["index_topk"]
        self.reset()

    def reset(self):
        self.compressor = Compressor(self.m, self.prefix + "compressor.", 4, self.dim, True)
        self.compressor.cache = torch.zeros(self.m.max_len // 4, self.dim, dtype=self.m.num.dt)

    def forward(self, x, qr, start, off):
        num = self.m.num
        S = x.shape[0]
        end = start + S
        q = apply_rope(num.linear(qr, self.wq_b).unflatten(-1, (self.heads, self.dim)), self.fc[start:end])
        q = hadamard(q)
        if num.released:
            q = fp4_sim(q, 32)
        self.compressor.forward(x, start, self.fc)
        w = num.linear(x, self.weights_proj) * (self.dim ** -0.5 * self.heads ** -0.5)
        keys = self.compressor.cache[:end // 4]
        dt = num.dt  # released: bf16 einsum output, bf16 product with the head weights, bf16 head sum
        score = einsum("shd,td->sht", q, keys).to(dt)
        score = dsum((score.relu().float() * w[..., None].float()).to(dt), 1).to(dt)
        if start == 0:
            mask = torch.arange(S // 4).repeat(S, 1) >= torch.arange(1, S + 1)[:, None] // 4
            score = score.masked_fill(mask, float("-inf"))
        top = stable_topk(score, min(self.topk, end // 4))
        if start == 0:
            return torch.where(top >= torch.arange(1, S + 1)[:, None] // 4, -1, top + off)
        return top + off


class MoE:
    def __init__(self, model, prefix, layer):
        c, t = model.cfg, model.t
        f = prefix + "ffn."
        self.m = model
        self.gate = t[f + "gate.weight"].float()
        self.bias = t[f + "gate.bias"].float() if f + "gate.bias" in t else None
        self.tid2eid = t[f + "gate.tid2eid"].long() if f + "gate.tid2eid" in t else None
        self.k, self.scale, self.limit = c["num_experts_per_tok"], c["routed_scaling_factor"], c["swiglu_limit"]
        self.experts = [[model.weight(f"{f}experts.{e}.{w}") for w in ("w1", "w2", "w3")]
                        for e in range(c["n_routed_experts"])]
        self.shared = [model.weight(f"{f}shared_experts.{w}") for w in ("w1", "w2", "w3")]

    def expert(self, x, ws, weights=None):
        num = self.m.num
        g = num.linear(x, ws[0]).float().clamp(max=self.limit)
        u = num.linear(x, ws[2]).float().clamp(-self.limit, self.limit)
        h = F.silu(g) * u
        if weights is not None:
            h = weights * h
        return num.linear(h.to(x.dtype), ws[1])

    def forward(self, x, ids):
        scores = F.softplus(mm(x, self.gate.T)).sqrt()
        if self.tid2eid is not None:
            idx = self.tid2eid[ids]
        else:
            idx = stable_topk(scores + self.bias, self.k)
        w = scores.gather(1, idx)
        w = w / w.sum(-1, keepdim=True) * self.scale
        y = torch.zeros(x.shape[0], x.shape[1])
        for e, ws in enumerate(self.experts):
            rows, slot = torch.where(idx == e)
            if len(rows):
                y[rows] += self.expert(x[rows], ws, w[rows, slot, None]).float()
        y += self.expert(x, self.shared).float()
        return y.to(x.dtype)


class Block:
    def __init__(self, model, prefix, layer):
        t = model.t
        self.m = model
        self.hc = {s: (t[f"{prefix}hc_{s}_fn"].float(), t[f"{prefix}hc_{s}_scale"].float(),
                       t[f"{prefix}hc_{s}_base"].float()) for s in ("attn", "ffn")}
        self.attn_norm, self.ffn_norm = t[prefix + "attn_norm.weight"].float(), t[prefix + "ffn_norm.weight"].float()
        self.attn = Attention(model, prefix, layer)
        self.ffn = MoE(model, prefix, layer)

    def hc_pre(self, x, site):
        fn, scale, base = self.hc[site]
        c = self.m.cfg
        n, eps = c["hc_mult"], c["hc_eps"]
        xf = x.flatten(1).float()
        mixes = mm(xf, fn.T) * torch.rsqrt(dsum(xf * xf, -1, True) / xf.shape[-1] + self.m.eps)
        pre = torch.sigmoid(mixes[:, :n] * scale[0] + base[:n]) + eps
        post = 2 * torch.sigmoid(mixes[:, n:2 * n] * scale[1] + base[n:2 * n])
        comb = (mixes[:, 2 * n:] * scale[2] + base[2 * n:]).view(-1, n, n)
        comb = softmax(comb, -1) + eps
        comb = comb / (dsum(comb, -2, True) + eps)
        for _ in range(c["hc_sinkhorn_iters"] - 1):
            comb = comb / (dsum(comb, -1, True) + eps)
            comb = comb / (dsum(comb, -2, True) + eps)
        y = dsum(pre[..., None] * xf.view(x.shape), 1)
        return y.to(x.dtype), post, comb

    @staticmethod
    def hc_post(f, res, post, comb):
        y = post[..., None] * f[:, None, :].float() + dsum(comb[..., None] * res[:, :, None, :].float(), 1)
        return y.to(f.dtype)

    def forward(self, x, start, ids):
        y, post, comb = self.hc_pre(x, "attn")
        y = self.attn.forward(rms_norm(y, self.attn_norm, self.m.eps), start)
        x = self.hc_post(y, x, post, comb)
        y, post, comb = self.hc_pre(x, "ffn")
        y = self.ffn.forward(rms_norm(y, self.ffn_norm, self.m.eps), ids)
        return self.hc_post(y, x, post, comb)


class Model:
    """The V4 reference on one sequence. forward(ids, start) -> fp32 logits at every position."""

    def __init__(self, cfg, tensors, mode, max_len=1024):
        self.cfg, self.t, self.num, self.max_len = cfg, tensors, Numerics(mode), max_len
        self.eps, self.rope_dim = cfg["rms_norm_eps"], cfg["qk_rope_head_dim"]
        self.embed = tensors["embed.weight"].to(self.num.dt)
        self.layers = [Block(self, f"layers.{i}.", i) for i in range(cfg["num_hidden_layers"])]
        self.norm = tensors["norm.weight"].float()
        self.head = tensors["head.weight"].float()
        self.hc_head = (tensors["hc_head_fn"].float(), tensors["hc_head_scale"].float(), tensors["hc_head_base"].float())
        self.pos = 0

    def weight(self, name):
        """A projection by official name: `.weight` plus `.scale` when the checkpoint has one."""
        return Weight(self.t[name + ".weight"], self.t.get(name + ".scale"))

    def reset(self):
        for b in self.layers:
            b.attn.reset()
        self.pos = 0

    def streams(self, ids):
        return self.embed[ids][:, None, :].repeat(1, self.cfg["hc_mult"], 1)

    def head_logits(self, x):
        fn, scale, base = self.hc_head
        xf = x.flatten(1).float()
        mixes = mm(xf, fn.T) * torch.rsqrt(dsum(xf * xf, -1, True) / xf.shape[-1] + self.eps)
        pre = torch.sigmoid(mixes * scale + base) + self.cfg["hc_eps"]
        y = dsum(pre[..., None] * xf.view(x.shape), 1).to(x.dtype)
        return mm(rms_norm(y, self.norm, self.eps), self.head.T)

    def forward(self, ids, capture=None):
        """Feed ids at the current position (a prefill when it is 0, else one token per call).
        capture: a list that receives the streams before layer 0 and after every layer."""
        ids = torch.as_tensor(ids, dtype=torch.long)
        assert self.pos == 0 or len(ids) == 1, "the reference prefills from 0, then decodes one token per step"
        x = self.streams(ids)
        if capture is not None:
            capture.append(x.clone())
        for b in self.layers:
            x = b.forward(x, self.pos, ids)
            if capture is not None:
                capture.append(x.clone())
        self.pos += len(ids)
        return self.head_logits(x)
