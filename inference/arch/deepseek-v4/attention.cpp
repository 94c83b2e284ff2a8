// DeepSeek V4 attention (deepseek-v4.md §3.3): low-rank Q with a per-head unweighted norm, one
// shared 512-wide KV (K = V) with RoPE on its last 64 dims, a 128-token window ring, compressed
// entries (HCA: all visible; CSA: the indexer's top-k), sink softmax, inverse RoPE on the output,
// grouped low-rank output projection; and the per-sequence LayerCache (§3.11).
// Invariant: feeding positions in any chunking gives the result of one call (up to float rounding);
// decode (T = 1) does not allocate. One thread per LayerCache; heads run on the session's pool.
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <new>
#include <string>

#include "inference/arch/deepseek-v4/attention-internal.h"
#include "inference/arch/deepseek-v4/attention-simd.h"
#include "inference/quant.h"

namespace atelier::infer::v4 {

// ---- cache storage (§3.11) ---------------------------------------------------------------------
// Ours is f32, plus a bf16 copy of the index keys for the fused indexer. Per token that grows with
// context, per layer: CSA (ratio 4) one 512-wide entry + one 128-wide index key (f32 and bf16) per
// 4 tokens = (512·4 + 128·4 + 128·2) / 4 = 704 B; HCA (ratio 128) 512·4 / 128 = 16 B. V4-Flash
// (21 CSA + 20 HCA): 15,104 B/token against the deployed 3,514 B (§3.11: 584 B FP8+bf16 entries,
// 68 B FP4 keys), 4.3x. (The bf16 copy is filled only in released numerics on AVX-512 BF16.)
// Fixed per layer: ring 128·512·4 = 256 KiB; compressor state 2 arrays of f32: ratio 4 8x1024
// (64 KiB) + indexer 8x256 (16 KiB), ratio 128 128x512 (512 KiB).

Status LayerCache::init(const Config& cfg, int64_t ratio, int64_t n_ctx) {
    const int64_t D = cfg.head_dim, DI = cfg.index_head_dim;
    try {
        window.assign(static_cast<size_t>(cfg.window * D), 0.0f);
        compressed = {};
        index_keys = {};
        index_packed = {};
        comp = {};
        index_comp = {};
        if (ratio > 0) {
            const int64_t c = ratio == 4 ? 2 : 1;
            compressed.reserve(static_cast<size_t>(n_ctx / ratio * D));
            comp.kv.resize(static_cast<size_t>(c * ratio * c * D));
            comp.score.resize(comp.kv.size());
        }
        if (ratio == 4) {
            index_keys.reserve(static_cast<size_t>(n_ctx / 4 * DI));
            const int64_t blocks = (n_ctx / 4 + attn::kIndexKeyBlock - 1) / attn::kIndexKeyBlock;
            index_packed.reserve(static_cast<size_t>(blocks * attn::kIndexKeyBlock * DI));
            index_comp.kv.resize(static_cast<size_t>(8 * 2 * DI));
            index_comp.score.resize(index_comp.kv.size());
        }
    } catch (const std::bad_alloc&) {
        return make_error(ErrorCode::OutOfMemory, "DeepSeek V4 layer cache for " + std::to_string(n_ctx) + " positions",
                          "use a smaller context length");
    }
    reset();
    return ok_status();
}

void LayerCache::reset() {
    std::fill(window.begin(), window.end(), 0.0f);
    compressed.clear();
    index_keys.clear();
    index_packed.clear();
    index_packed_n = 0;
    for (CompressorState* s : {&comp, &index_comp}) {
        std::fill(s->kv.begin(), s->kv.end(), 0.0f);
        std::fill(s->score.begin(), s->score.end(), -std::numeric_limits<float>::infinity());
    }
    n_entries = 0;
}

uint64_t LayerCache::bytes() const {
    const size_t n = window.size() + compressed.size() + index_keys.size() + 2 * comp.kv.size() + 2 * index_comp.kv.size();
    return static_cast<uint64_t>(n) * sizeof(float) + index_packed.size() * sizeof(uint16_t);
}

uint64_t LayerCache::bytes_per_token(const Config& cfg, int64_t ratio) {
    if (ratio <= 0) return 0;
    // an entry in f32; on CSA layers also its index key in f32 and in bf16
    const int64_t per_entry = cfg.head_dim * 4 + (ratio == 4 ? cfg.index_head_dim * (4 + 2) : 0);
    return static_cast<uint64_t>((per_entry + ratio - 1) / ratio);
}

uint64_t LayerCache::bytes_fixed(const Config& cfg, int64_t ratio) {
    int64_t n = cfg.window * cfg.head_dim;
    if (ratio > 0) n += ratio == 4 ? 2 * (8 * 2 * cfg.head_dim) : 2 * (ratio * cfg.head_dim);
    if (ratio == 4) n += 2 * (8 * 2 * cfg.index_head_dim);
    return static_cast<uint64_t>(n) * 4;
}

namespace attn {

// ---- shared helpers (attention-internal.h) -----------------------------------------------------

Tensor f32_view(const float* data, int64_t ne0, int64_t ne1, int64_t ne2) {
    Tensor t;
    t.type = DType::F32;
    t.n_dims = ne2 > 1 ? 3 : (ne1 > 1 ? 2 : 1);
    t.ne = {ne0, ne1, ne2, 1};
    t.nb = {4, ne0 * 4, ne0 * ne1 * 4, ne0 * ne1 * ne2 * 4};
    t.data = const_cast<float*>(data);
    return t;
}

Tensor i32_view(const int32_t* data, int64_t ne0, int64_t ne1) {
    Tensor t;
    t.type = DType::I32;
    t.n_dims = ne1 > 1 ? 2 : 1;
    t.ne = {ne0, ne1, 1, 1};
    t.nb = {4, ne0 * 4, ne0 * ne1 * 4, ne0 * ne1 * 4};
    t.data = const_cast<int32_t*>(data);
    return t;
}

Tensor rows_view(const Tensor& t, int64_t n0, int64_t n) {
    Tensor v;
    v.type = t.type;
    v.n_dims = t.n_dims;
    v.ne = t.ne;
    v.nb = t.nb;
    v.ne[1] = n;
    v.data = static_cast<char*>(t.data) + n0 * t.nb[1];
    return v;
}

RopeArgs layer_rope(const Config& cfg, int64_t ratio) {
    RopeArgs r;
    r.mode = RopeMode::Interleaved;
    r.n_dims = cfg.rope_dim;
    if (ratio == 0) {
        r.freq_base = cfg.rope_theta;
        return r;
    }
    r.freq_base = cfg.compress_rope_theta;
    if (cfg.yarn_original_ctx > 0) {  // ggml's ramp with ext_factor 1 is the reference's (§3.3)
        r.ext_factor = 1.0f;
        r.freq_scale = 1.0f / cfg.yarn_factor;
        r.n_ctx_orig = cfg.yarn_original_ctx;
        r.beta_fast = cfg.yarn_beta_fast;
        r.beta_slow = cfg.yarn_beta_slow;
    }
    return r;
}

Status rope_rows(Ctx& c, const RopeArgs& base, float* x, int64_t width, int64_t heads, int64_t tokens,
                 const int32_t* pos, bool inverse) {
    RopeArgs a = base;
    Tensor v = f32_view(x, width, heads, tokens);
    const Tensor p = i32_view(pos, tokens);
    a.x = &v;
    a.y = &v;
    a.pos = &p;
    a.first_dim = width - base.n_dims;
    a.inverse = inverse;
    return c.session.run(OpCall{Op::Rope, a});
}

Status hadamard_rows(Ctx& c, float* x, int64_t width, int64_t rows) {
    Tensor v = f32_view(x, width, rows);
    HadamardArgs h;
    h.x = &v;
    h.y = &v;
    h.scale = 1.0f;  // exact: the butterflies of bf16 values in fp32 are then the reference's
    ATELIER_TRY(c.session.run(OpCall{Op::Hadamard, h}));
    const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(width)));
    for (int64_t i = 0; i < width * rows; ++i) x[i] *= scale;
    return ok_status();
}

Status rms_rows(Ctx& c, float* x, int64_t width, int64_t rows, const Tensor* weight) {
    return rms_norm_rows(c, x, width, rows, weight);
}

namespace {
Workspace& own_workspace() {  // for callers that pass no Ctx::ws (tests): one per thread
    thread_local Workspace ws;
    return ws;
}
}  // namespace

float* f32_buf(Ctx& c, int slot, int64_t n, int64_t hint) {
    Workspace& ws = c.ws ? *c.ws : own_workspace();
    return ws.f32(slot, static_cast<size_t>(std::max(n, hint))).data();
}

int32_t* i32_buf(Ctx& c, int slot, int64_t n, int64_t hint) {
    Workspace& ws = c.ws ? *c.ws : own_workspace();
    return ws.i32(slot, static_cast<size_t>(std::max(n, hint))).data();
}

namespace {

// ---- the sparse attention kernel ---------------------------------------------------------------

// Running state of a group of heads (1..4) over one query's keys, the way DeepSeek's sparse_attn
// kernel walks its key list: blocks of 64, running max, exp(s - max) summed in fp32; in released
// numerics the unnormalised probabilities are rounded to bf16 before P·V (§3.12 item 2). The
// heads share every key, so the vector kernels load each key once for the group.
constexpr int kHeadGroup = 4;
// Attention on AMX tiles (released numerics, packed keys): groups of 16 heads, a smaller head
// count padded with zero queries (their rows are computed and dropped).
constexpr int kAmxGroup = 16;

struct GroupAcc {
    const VecKernels& vk = vec_kernels();
    int nh = 1;
    const float* q = nullptr;  // [nh][D]
    float* acc = nullptr;      // [nh][D]; [kAmxGroup][D] for segment_amx
    int64_t D = 0;
    float scale = 0;
    bool bf16_p = false;
    bool bf16_dot = false;  // released numerics: q, keys and p are bf16 values (VecKernels::qk_bf16)
    const uint32_t* qT = nullptr;  // segment_amx: the queries as bf16 pairs [D/2][kAmxGroup]
    float m[kAmxGroup], l[kAmxGroup];

    // The AMX kernels serve H heads of D dims: kernels present, heads in whole groups of 16 (or
    // fewer than 16, padded), D a multiple of 64 up to kMaxHeadDim.
    static bool amx_for(const VecKernels& k, int64_t H, int64_t D) {
        return k.qk_amx16 && k.pv_amx16 && (H <= kAmxGroup || H % kAmxGroup == 0) && D % 64 == 0 && D <= kMaxHeadDim;
    }

    // The bf16 kernels serve this group: released numerics, 4 heads, D a multiple of 64 up to 1024.
    static bool bf16_dot_for(const VecKernels& k, bool bf16_p, int nh, int64_t D) {
        return bf16_p && nh == 4 && D % 64 == 0 && D <= kMaxHeadDim && k.qk_bf16 && k.pv_bf16;
    }

    void start() {
        bf16_dot = bf16_dot_for(vk, bf16_p, nh, D);
        std::fill(m, m + kAmxGroup, -std::numeric_limits<float>::infinity());
        std::fill(l, l + kAmxGroup, 0.0f);
        std::fill(acc, acc + (qT ? kAmxGroup : nh) * D, 0.0f);
    }

    // Online softmax over one block's scores s[h][j] (j < nb): scale, running max and sum, the
    // accumulators rescaled; s becomes the unnormalised probabilities (bf16 in released numerics).
    void softmax_block(float* s, int64_t nb) {
        for (int h = 0; h < nh; ++h) {
            float* sh = s + h * kKeyBlock;
            float mb = m[h];
            for (int64_t j = 0; j < nb; ++j) mb = std::max(mb, sh[j] *= scale);
            const float corr = std::exp(m[h] - mb);
            float sum = 0;
            for (int64_t j = 0; j < nb; ++j) {
                sh[j] = std::exp(sh[j] - mb);
                sum += sh[j];
                if (bf16_p) sh[j] = to_bf16(sh[j]);
            }
            l[h] = l[h] * corr + sum;
            if (corr != 1.0f) vk.scale(acc + h * D, corr, D);
            m[h] = mb;
        }
    }

    template <class KeyAt>
    void segment(int64_t n, KeyAt key_at) {
        const float* kp[kKeyBlock];
        float s[kHeadGroup * kKeyBlock];
        for (int64_t b0 = 0; b0 < n; b0 += kKeyBlock) {
            const int64_t nb = std::min(kKeyBlock, n - b0);
            for (int64_t j = 0; j < nb; ++j) kp[j] = key_at(b0 + j);
            if (bf16_dot) vk.qk_bf16(q, kp, nb, D, s, kKeyBlock);
            else vk.qk(q, nh, kp, nb, D, s, kKeyBlock);
            softmax_block(s, nb);
            if (bf16_dot) vk.pv_bf16(acc, s, kKeyBlock, kp, nb, D);
            else vk.pv(acc, nh, s, kKeyBlock, kp, nb, D);
        }
    }

    // segment() on keys packed by pack_keys_bf16 (released numerics with bf16_dot only): the same
    // blocks and arithmetic, so the same result.
    void segment_packed(int64_t n, const uint16_t* rows, const uint32_t* pairs) {
        float s[kHeadGroup * kKeyBlock];
        for (int64_t b0 = 0; b0 < n; b0 += kKeyBlock) {
            const int64_t nb = std::min(kKeyBlock, n - b0);
            vk.qk_bf16_rows(q, rows + b0 * D, nb, D, s, kKeyBlock);
            softmax_block(s, nb);
            vk.pv_bf16_pairs(acc, s, kKeyBlock, pairs + b0 / 2 * D, nb, D);
        }
    }

    // segment_packed on AMX tiles (qk_amx16, pv_amx16): the same blocks, online softmax and bf16
    // P; q·k sums in another order, so close to segment_packed, not its bits. `rows` and `pairs`
    // stay readable 64 keys past n (attend() sizes them so).
    void segment_amx(int64_t n, const uint16_t* rows, const uint32_t* pairs) {
        alignas(64) float sT[kKeyBlock * kAmxGroup];
        alignas(64) uint16_t pb[kAmxGroup * kKeyBlock];
        float s[kAmxGroup * kKeyBlock];
        std::fill(pb, pb + kAmxGroup * kKeyBlock, uint16_t{0});  // padded heads keep p = 0
        for (int64_t b0 = 0; b0 < n; b0 += kKeyBlock) {
            const int64_t nb = std::min(kKeyBlock, n - b0);
            vk.qk_amx16(qT, rows + b0 * D, D, sT);
            for (int h = 0; h < nh; ++h)
                for (int64_t j = 0; j < nb; ++j) s[h * kKeyBlock + j] = sT[j * kAmxGroup + h];
            softmax_block(s, nb);
            for (int h = 0; h < nh; ++h) {
                for (int64_t j = 0; j < nb; ++j) pb[h * kKeyBlock + j] = f32_to_bf16(s[h * kKeyBlock + j]);
                for (int64_t j = nb; j < kKeyBlock; ++j) pb[h * kKeyBlock + j] = 0;
            }
            vk.pv_amx16(acc, pb, pairs + b0 / 2 * D, nb, D);
        }
    }

    void finish(const float* sink, float* out) const {
        for (int h = 0; h < nh; ++h) {
            const float inv = 1.0f / (l[h] + std::exp(sink[h] - m[h]));
            for (int64_t d = 0; d < D; ++d) out[h * D + d] = acc[h * D + d] * inv;
        }
    }
};

// One internal step's buffers (attention-internal.h: kStepTokens tokens at most).
struct Step {
    int64_t pos0 = 0, T = 0;
    int32_t* pos = nullptr;
    float* q = nullptr;      // [T][H][D]; the attention output replaces it
    float* kv = nullptr;     // [T][D]
    float* q_lat = nullptr;  // [T][q_lora_rank]
    int32_t* sel = nullptr;  // [T][index_topk]
    int32_t* n_sel = nullptr;
};

Status linear_f(Ctx& c, const Linear& l, const float* x, int64_t T, float* y) {
    return linear(c, l, {x, static_cast<size_t>(T * l.in())}, T, {y, static_cast<size_t>(T * l.out())});
}

// Released numerics: the reference normalises each head in bf16 arithmetic (§3.12 item 2).
// Heads are independent: split over the pool (each head's arithmetic and order unchanged).
void head_norm_bf16(Ctx& c, float* q, int64_t D, int64_t rows, float eps) {
    parallel_for(c.session.context(), rows, [&](int64_t r) {
        float* v = q + r * D;
        float sum = 0;
        for (int64_t d = 0; d < D; ++d) {
            v[d] = to_bf16(v[d]);
            sum += to_bf16(v[d] * v[d]);
        }
        const float mean = to_bf16(sum / static_cast<float>(D));
        const float rs = to_bf16(1.0f / std::sqrt(to_bf16(mean + eps)));
        for (int64_t d = 0; d < D; ++d) v[d] = to_bf16(v[d] * rs);
    });
}

// §3.3 items 1-2: q [T][H][D] (normalised per head, rotated) and kv [T][D] (normalised, rotated,
// FP8-simulated over the non-rope dims in released numerics, which also round to bf16 wherever
// the reference holds these tensors in bf16), from q_lat = wq_a·x and kv = wkv·x already in s
// (attention_step's pass over x). `also` joins wq_b's pass over the normalised q_lat (the
// indexer's queries read it too).
Status project_qkv(Ctx& c, const Attention& a, const Step& s, std::span<const LinearOut> also) {
    const Config& cfg = c.cfg;
    const int64_t T = s.T, H = cfg.n_heads, D = cfg.head_dim;
    const RopeArgs rope = layer_rope(cfg, a.ratio);
    ATELIER_TRY(rms_rows(c, s.q_lat, cfg.q_lora_rank, T, a.q_norm));
    bf16_if_released(c, s.q_lat, T * cfg.q_lora_rank);
    std::array<LinearOut, 4> from_q_lat{};
    from_q_lat[0] = {&a.wq_b, s.q};
    if (also.size() > from_q_lat.size() - 1) return make_error(ErrorCode::Internal, "v4 project_qkv: too many products", "report this bug");
    std::copy(also.begin(), also.end(), from_q_lat.begin() + 1);
    ATELIER_TRY(linear_shared_x(c, std::span(from_q_lat.data(), 1 + also.size()), s.q_lat, T));
    if (c.numerics == Numerics::Released) head_norm_bf16(c, s.q, D, T * H, cfg.norm_eps);
    else ATELIER_TRY(rms_rows(c, s.q, D, T * H, nullptr));
    ATELIER_TRY(rope_rows(c, rope, s.q, D, H, T, s.pos, false));
    bf16_if_released(c, s.q, T * H * D);
    ATELIER_TRY(rms_rows(c, s.kv, D, T, a.kv_norm));
    bf16_if_released(c, s.kv, T * D);
    ATELIER_TRY(rope_rows(c, rope, s.kv, D, 1, T, s.pos, false));
    bf16_if_released(c, s.kv, T * D);
    if (c.numerics == Numerics::Released)
        for (int64_t t = 0; t < T; ++t) ATELIER_TRY(fake_quant_fp8_act(s.kv + t * D, D - cfg.rope_dim, 64));
    return ok_status();
}

// Decode steps of at most kPackedTokens tokens in released numerics with the bf16 kernels convert
// each token's keys to bf16 once, on the pool, for its head groups (VecKernels::pack_keys_bf16).
constexpr int64_t kPackedTokens = 2;
constexpr int64_t kPackChunk = 32;  // keys per packing task (even: pairs stay inside a task)

// §3.3 items 4-5 for every (token, group of heads): window keys, then compressed entries; writes
// the output over q.
void attend(Ctx& c, const Attention& a, const LayerCache& cache, const Step& s) {
    const Config& cfg = c.cfg;
    const int64_t H = cfg.n_heads, D = cfg.head_dim, W = cfg.window, topk = cfg.index_topk;
    const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(D)));
    const float* sinks = static_cast<const float*>(a.sink->data);
    const float* ring = cache.window.data();
    const float* comp = cache.compressed.data();
    const bool bf16_p = c.numerics == Numerics::Released;
    const int nh = H % kHeadGroup == 0 ? kHeadGroup : 1;
    const int64_t groups = H / nh;
    // Token t's keys: segment 0 the window (positions lo..p), segment 1 the compressed entries.
    auto window_lo = [&](int64_t t) { return std::max<int64_t>(0, s.pos0 + t - W + 1); };
    auto count = [&](int64_t t, int seg) -> int64_t {
        if (seg == 0) return s.pos0 + t - window_lo(t) + 1;
        if (a.ratio == 4) return s.n_sel[t];
        return a.ratio > 0 ? (s.pos0 + t + 1) / a.ratio : 0;
    };
    auto key = [&](int64_t t, int seg, int64_t i) -> const float* {
        if (seg == 0) {
            const int64_t kp = window_lo(t) + i;
            return kp >= s.pos0 ? s.kv + (kp - s.pos0) * D : ring + (kp % W) * D;
        }
        if (a.ratio == 4) return comp + static_cast<int64_t>(s.sel[t * topk + i]) * D;
        return comp + i * D;
    };

    const VecKernels& vk = vec_kernels();
    const bool packed =
        c.pack_decode_keys && s.T <= kPackedTokens && vk.pack_keys_bf16 && GroupAcc::bf16_dot_for(vk, bf16_p, nh, D);
    // AMX serves decode (packed above, heads split over the pool) and longer steps (each token's
    // keys packed by its own task) alike, so decode and prefill keep the same arithmetic.
    const bool amx = c.amx_attention && vk.pack_keys_bf16 && GroupAcc::bf16_dot_for(vk, bf16_p, nh, D) &&
                     GroupAcc::amx_for(vk, H, D);
    const int anh = static_cast<int>(std::min<int64_t>(H, kAmxGroup));  // heads per AMX group
    const int64_t agroups = amx ? H / anh : groups;
    int64_t cnt[kPackedTokens][2] = {}, row0[kPackedTokens][2] = {}, pair0[kPackedTokens][2] = {};
    uint16_t* rows = nullptr;
    uint32_t* pairs = nullptr;
    if (packed) {
        int64_t n_rows = 0, n_pairs = 0, n_tasks = 0, task0[kPackedTokens * 2 + 1];  // task0[t·2 + seg]
        for (int64_t t = 0; t < s.T; ++t)
            for (int seg = 0; seg < 2; ++seg) {
                cnt[t][seg] = count(t, seg);
                row0[t][seg] = n_rows;
                pair0[t][seg] = n_pairs;
                task0[t * 2 + seg] = n_tasks;
                n_rows += cnt[t][seg];
                n_pairs += (cnt[t][seg] + 1) / 2;
                n_tasks += (cnt[t][seg] + kPackChunk - 1) / kPackChunk;
            }
        task0[s.T * 2] = n_tasks;
        // Sized once for the longest key list this cache can give (decode then allocates nothing).
        const int64_t entries = a.ratio == 4 ? topk : static_cast<int64_t>(cache.compressed.capacity()) / D;
        // + kKeyBlock keys of slack: the AMX kernels read whole blocks (the slack holds zeros or
        // earlier keys, finite values; their scores are dropped and they meet p = 0).
        const int64_t most = kPackedTokens * (W + entries) + kKeyBlock;
        rows = reinterpret_cast<uint16_t*>(
            i32_buf(c, kSlotKeyRows, ((n_rows + kKeyBlock) * D + 1) / 2, (most * D + 1) / 2));
        pairs = reinterpret_cast<uint32_t*>(i32_buf(c, kSlotKeyPairs, (n_pairs + kKeyBlock / 2) * D, (most + 2) / 2 * D));
        parallel_for(c.session.context(), n_tasks, [&](int64_t task) {
            int64_t i = 0;
            while (task0[i + 1] <= task) ++i;
            const int64_t t = i / 2, j0 = (task - task0[i]) * kPackChunk;
            const int seg = static_cast<int>(i % 2);
            const int64_t nj = std::min(kPackChunk, cnt[t][seg] - j0);
            const float* kp[kPackChunk];
            for (int64_t j = 0; j < nj; ++j) kp[j] = key(t, seg, j0 + j);
            vk.pack_keys_bf16(kp, nj, D, rows + (row0[t][seg] + j0) * D, pairs + (pair0[t][seg] + j0 / 2) * D);
        });
    }
    auto group_acc = [&](int n_heads, const float* q, float* acc, const uint32_t* qT) {
        GroupAcc ga;
        ga.nh = n_heads;
        ga.q = q;
        ga.qT = qT;
        ga.acc = acc;
        ga.D = D;
        ga.scale = scale;
        ga.bf16_p = bf16_p;
        ga.start();
        return ga;
    };
    // One AMX group of token t: heads h0.. (anh of them), keys from the packed rows and pairs of
    // its two segments.
    auto amx_group = [&](int64_t t, int64_t h0, const uint16_t* const (&seg_rows)[2],
                         const uint32_t* const (&seg_pairs)[2], const int64_t (&n)[2]) {
        alignas(64) uint32_t qT[kMaxHeadDim / 2 * kAmxGroup];
        alignas(64) float acc[kAmxGroup * kMaxHeadDim];
        float* out = s.q + (t * H + h0) * D;
        for (int64_t dp = 0; dp < D / 2; ++dp)
            for (int h = 0; h < kAmxGroup; ++h)
                qT[dp * kAmxGroup + h] =
                    h < anh ? f32_to_bf16(out[h * D + 2 * dp]) | uint32_t{f32_to_bf16(out[h * D + 2 * dp + 1])} << 16 : 0u;
        GroupAcc ga = group_acc(anh, out, acc, qT);
        for (int seg = 0; seg < 2; ++seg) ga.segment_amx(n[seg], seg_rows[seg], seg_pairs[seg]);
        ga.finish(sinks + h0, out);
    };
    if (amx && packed) {
        parallel_for(c.session.context(), s.T * agroups, [&](int64_t task) {
            const int64_t t = task / agroups, h0 = (task % agroups) * anh;
            const uint16_t* const r[2] = {rows + row0[t][0] * D, rows + row0[t][1] * D};
            const uint32_t* const p[2] = {pairs + pair0[t][0] * D, pairs + pair0[t][1] * D};
            const int64_t n[2] = {cnt[t][0], cnt[t][1]};
            amx_group(t, h0, r, p, n);
        });
        return;
    }
    if (amx) {
        // A task per token: its keys packed once into this thread's buffers (+ one block of slack:
        // zeros or an earlier token's keys, finite), then every head group. The buffers keep their
        // size for the thread's next steps (at most (window + entries) x D x 4 bytes).
        parallel_for(c.session.context(), s.T, [&](int64_t t) {
            thread_local std::vector<const float*> kp;
            thread_local std::vector<uint16_t> trows;
            thread_local std::vector<uint32_t> tpairs;
            const int64_t n[2] = {count(t, 0), count(t, 1)};
            const int64_t np0 = (n[0] + 1) / 2, np1 = (n[1] + 1) / 2;
            const int64_t row_at[2] = {0, n[0] * D}, pair_at[2] = {0, np0 * D};
            kp.resize(static_cast<size_t>(std::max(n[0], n[1])));
            trows.resize(static_cast<size_t>((n[0] + n[1] + kKeyBlock) * D));
            tpairs.resize(static_cast<size_t>((np0 + np1 + kKeyBlock / 2) * D));
            for (int seg = 0; seg < 2; ++seg) {
                for (int64_t i = 0; i < n[seg]; ++i) kp[static_cast<size_t>(i)] = key(t, seg, i);
                if (n[seg] > 0)
                    vk.pack_keys_bf16(kp.data(), n[seg], D, trows.data() + row_at[seg], tpairs.data() + pair_at[seg]);
            }
            const uint16_t* const r[2] = {trows.data() + row_at[0], trows.data() + row_at[1]};
            const uint32_t* const p[2] = {tpairs.data() + pair_at[0], tpairs.data() + pair_at[1]};
            for (int64_t g = 0; g < agroups; ++g) amx_group(t, g * anh, r, p, n);
        });
        return;
    }
    parallel_for(c.session.context(), s.T * groups, [&](int64_t task) {
        const int64_t t = task / groups, h0 = (task % groups) * nh;
        float qh[kHeadGroup * kMaxHeadDim], acc[kHeadGroup * kMaxHeadDim];
        float* out = s.q + (t * H + h0) * D;
        std::copy(out, out + nh * D, qh);
        GroupAcc ga = group_acc(nh, qh, acc, nullptr);
        for (int seg = 0; seg < 2; ++seg) {
            if (packed) ga.segment_packed(cnt[t][seg], rows + row0[t][seg] * D, pairs + pair0[t][seg] * D);
            else ga.segment(count(t, seg), [&](int64_t i) { return key(t, seg, i); });
        }
        ga.finish(sinks + h0, out);
    });
}

// wo_a rows of output group g as a Linear (the bound wo_a_group view, or one made here).
Status wo_a_view(const Attention& a, int64_t g, int64_t r, Linear& lg, Tensor& wv, Tensor& sv) {
    if (!a.wo_a_group.empty()) {
        lg = a.wo_a_group[static_cast<size_t>(g)];
        return ok_status();
    }
    lg = a.wo_a;
    wv = rows_view(*a.wo_a.w, g * r, r);
    lg.w = &wv;
    if (a.wo_a.scale) {
        const int64_t bn = a.wo_a.scale_block_n;
        if (bn <= 0 || (g * r) % bn != 0)
            return make_error(ErrorCode::Unsupported, "wo_a groups of " + std::to_string(r) + " rows split a scale block",
                              "convert wo_a to bf16 (DeepSeek's converter does)");
        sv = rows_view(*a.wo_a.scale, g * r / bn, (r + bn - 1) / bn);
        lg.scale = &sv;
    }
    return ok_status();
}

// §3.3 item 7: o = wo_b · concat_g(wo_a[g] · concat of group g's heads); out [T][dim]. The G
// wo_a products run as one MatMulGroup on strided views (group g's heads inside q, its slice of
// z), so decode pays one pool synchronisation for them, not G; a wo_a that wants the FP8
// activation step (never the released model's) takes one linear() per group instead.
constexpr int64_t kMaxOGroups = 64;
Status project_out(Ctx& c, const Attention& a, const Step& s, float* out) {
    const Config& cfg = c.cfg;
    const int64_t T = s.T, H = cfg.n_heads, D = cfg.head_dim, G = cfg.o_groups, r = cfg.o_lora_rank;
    const int64_t in_g = H / G * D;
    const bool released = c.numerics == Numerics::Released;
    float* z = f32_buf(c, kSlotZ, T * G * r);
    std::array<Linear, kMaxOGroups> lg;
    std::array<Tensor, kMaxOGroups> wv, sv, xv, yv;
    std::array<MatMulArgs, kMaxOGroups> items;
    bool grouped = G <= kMaxOGroups;
    for (int64_t g = 0; grouped && g < G; ++g) {
        const size_t i = static_cast<size_t>(g);
        ATELIER_TRY(wo_a_view(a, g, r, lg[i], wv[i], sv[i]));
        if (released && lg[i].act_fp8) grouped = false;
    }
    if (grouped) {
        for (int64_t g = 0; g < G; ++g) {
            const size_t i = static_cast<size_t>(g);
            xv[i] = f32_view(s.q + g * (H / G) * D, in_g, T, 1);
            xv[i].nb[1] = H * D * static_cast<int64_t>(sizeof(float));  // token t's heads of group g
            yv[i] = f32_view(z + g * r, r, T, 1);
            yv[i].nb[1] = G * r * static_cast<int64_t>(sizeof(float));
            xv[i].nb[2] = xv[i].nb[3] = xv[i].nb[1] * T;
            yv[i].nb[2] = yv[i].nb[3] = yv[i].nb[1] * T;
            items[i] = lg[i].args(&xv[i], &yv[i]);
        }
        ATELIER_TRY(c.session.run(OpCall{Op::MatMulGroup, MatMulGroupArgs{.items = std::span(items.data(), static_cast<size_t>(G))}}));
        if (released && lg[0].out_bf16) round_bf16({z, static_cast<size_t>(T * G * r)});
        return linear_f(c, a.wo_b, z, T, out);
    }
    float* grp = f32_buf(c, kSlotGroup, T * in_g);
    float* zg = f32_buf(c, kSlotZg, T * r);
    for (int64_t g = 0; g < G; ++g) {
        for (int64_t t = 0; t < T; ++t) {
            const float* src = s.q + (t * H + g * (H / G)) * D;
            std::copy(src, src + in_g, grp + t * in_g);
        }
        Linear one;
        Tensor w1, s1;
        ATELIER_TRY(wo_a_view(a, g, r, one, w1, s1));
        ATELIER_TRY(linear_f(c, one, grp, T, zg));
        for (int64_t t = 0; t < T; ++t) std::copy(zg + t * r, zg + (t + 1) * r, z + t * G * r + g * r);
    }
    return linear_f(c, a.wo_b, z, T, out);
}

// One step of at most kStepTokens tokens.
Status attention_step(Ctx& c, const Attention& a, LayerCache& cache, const float* x, int64_t pos0, int64_t T,
                      float* out) {
    const Config& cfg = c.cfg;
    const int64_t H = cfg.n_heads, D = cfg.head_dim, W = cfg.window;
    Step s;
    s.pos0 = pos0;
    s.T = T;
    s.pos = i32_buf(c, kSlotPos, T, kStepTokens);
    for (int64_t t = 0; t < T; ++t) s.pos[t] = static_cast<int32_t>(pos0 + t);
    s.q = f32_buf(c, kSlotQ, T * H * D);
    s.kv = f32_buf(c, kSlotKv, T * D);
    s.q_lat = f32_buf(c, kSlotQLat, T * cfg.q_lora_rank);
    // Every product of x in one pass (weights streamed back to back): wq_a and wkv, the
    // compressors' wkv and wgate, the indexer's weights_proj; each y sized by its own weight, and
    // a compressor or indexer whose weights are missing computes (and reports) by itself. Shapes
    // of the attention's own weights are checked at load (weights.cpp bind_attention).
    std::array<LinearOut, 7> from_x{};
    size_t n_x = 0;
    from_x[n_x++] = {&a.wq_a, s.q_lat};
    from_x[n_x++] = {&a.wkv, s.kv};
    auto add_compressor = [&](const Compressor& w, int slot_kv, int slot_gate, attn::CompressorProducts& products) {
        if (!w.wkv.w || !w.wgate.w || w.wkv.in() != cfg.dim || w.wgate.in() != cfg.dim) return false;
        float* kv = f32_buf(c, slot_kv, T * w.wkv.out());
        float* gate = f32_buf(c, slot_gate, T * w.wgate.out());
        from_x[n_x++] = {&w.wkv, kv};
        from_x[n_x++] = {&w.wgate, gate};
        products = {kv, gate};
        return true;
    };
    attn::CompressorProducts comp, index_comp;
    attn::IndexerProducts index;
    const bool has_comp = a.ratio > 0 && add_compressor(a.compressor, kSlotCompA, kSlotCompS, comp);
    bool has_index_comp = false, has_index = false;
    std::array<LinearOut, 1> from_q_lat{};
    if (a.ratio == 4) {
        has_index_comp = add_compressor(a.indexer.compressor, kSlotIdxCompA, kSlotIdxCompS, index_comp);
        const Indexer& ix = a.indexer;
        // the inputs must fit (x and q_lat are read as given); outputs are sized by the weights,
        // and indexer_select reports a mis-shaped one
        has_index = ix.wq_b.w && ix.weights_proj.w && ix.weights_proj.in() == cfg.dim && ix.wq_b.in() == cfg.q_lora_rank;
        if (has_index) {
            index.w = f32_buf(c, kSlotIw, T * ix.weights_proj.out());
            index.q = f32_buf(c, kSlotIq, T * ix.wq_b.out());
            from_x[n_x++] = {&ix.weights_proj, index.w};
            from_q_lat[0] = {&ix.wq_b, index.q};
        }
    }
    ATELIER_TRY(linear_shared_x(c, std::span(from_x.data(), n_x), x, T));
    ATELIER_TRY(project_qkv(c, a, s, std::span(from_q_lat.data(), has_index ? 1 : 0)));
    if (a.ratio > 0) {
        ATELIER_TRY(attn::compressor_forward(c, a.compressor, {a.ratio, D, false}, cache.comp, cache.compressed, x,
                                             pos0, T, has_comp ? &comp : nullptr));
        cache.n_entries = static_cast<int64_t>(cache.compressed.size()) / D;
    }
    if (a.ratio == 4) {
        ATELIER_TRY(attn::compressor_forward(c, a.indexer.compressor, {4, cfg.index_head_dim, true}, cache.index_comp,
                                             cache.index_keys, x, pos0, T, has_index_comp ? &index_comp : nullptr));
        s.sel = i32_buf(c, kSlotSel, T * cfg.index_topk, kStepTokens * cfg.index_topk);
        s.n_sel = i32_buf(c, kSlotNSel, T, kStepTokens);
        ATELIER_TRY(indexer_select(c, a.indexer, cache, x, s.q_lat, s.pos, T, s.sel, s.n_sel, has_index ? &index : nullptr));
    }
    attend(c, a, cache, s);
    for (int64_t t = std::max<int64_t>(0, T - W); t < T; ++t)
        std::copy(s.kv + t * D, s.kv + (t + 1) * D, cache.window.data() + ((pos0 + t) % W) * D);
    bf16_if_released(c, s.q, T * H * D);  // the reference's kernel writes o in bf16
    ATELIER_TRY(rope_rows(c, layer_rope(cfg, a.ratio), s.q, D, H, T, s.pos, true));
    bf16_if_released(c, s.q, T * H * D);
    return project_out(c, a, s, out);
}

// The weights and cache fit this layer and position (checked once per call).
Status check_layer(const Ctx& c, const Attention& a, const LayerCache& cache, int64_t pos0) {
    const Config& cfg = c.cfg;
    const int64_t D = cfg.head_dim;
    auto bad = [](const std::string& what, const std::string& hint) {
        return make_error(ErrorCode::InvalidArgument, "DeepSeek V4 attention: " + what, hint);
    };
    if (D > kMaxHeadDim || D <= cfg.rope_dim || (D - cfg.rope_dim) % 64 || cfg.o_groups <= 0 ||
        cfg.n_heads % cfg.o_groups || cfg.window <= 0)
        return make_error(ErrorCode::ModelUnsupported, "DeepSeek V4 attention: unsupported head_dim/o_groups/window",
                          "head_dim <= 1024 with (head_dim - rope_dim) % 64 == 0 and n_heads % o_groups == 0");
    if (!a.wq_a.w || !a.wq_b.w || !a.wkv.w || !a.wo_a.w || !a.wo_b.w || !a.sink || a.sink->type != DType::F32 ||
        a.sink->ne[0] != cfg.n_heads || a.wq_b.out() != cfg.n_heads * D || a.wkv.out() != D ||
        a.wo_a.in() != cfg.n_heads / cfg.o_groups * D || a.wo_a.out() != cfg.o_groups * cfg.o_lora_rank)
        return make_error(ErrorCode::ModelFormat, "DeepSeek V4 attention weights are missing or mis-shaped",
                          "the checkpoint does not match its config");
    if (cache.window.size() != static_cast<size_t>(cfg.window * D))
        return bad("layer cache is not initialised", "call LayerCache::init before the first token");
    if (a.ratio > 0 && (cache.n_entries != pos0 / a.ratio ||
                        cache.compressed.size() != static_cast<size_t>(cache.n_entries * D) ||
                        (a.ratio == 4 && cache.index_keys.size() != static_cast<size_t>(cache.n_entries * cfg.index_head_dim))))
        return bad("cache holds " + std::to_string(cache.n_entries) + " entries but position " + std::to_string(pos0) +
                       " needs " + std::to_string(pos0 / a.ratio),
                   "feed positions in order, and reset the state to start over");
    return ok_status();
}

}  // namespace
}  // namespace attn

Status attention_forward(Ctx& c, const Attention& a, LayerCache& cache, std::span<const float> x, int64_t pos0,
                         int64_t T, std::span<float> out) {
    const int64_t dim = c.cfg.dim;
    if (T < 0 || pos0 < 0 || static_cast<int64_t>(x.size()) < T * dim || static_cast<int64_t>(out.size()) < T * dim)
        return make_error(ErrorCode::InvalidArgument, "DeepSeek V4 attention: x/out hold fewer than T rows",
                          "this is a bug in the model code");
    if (a.ratio != 0 && a.ratio != 4 && a.ratio != 128)
        return make_error(ErrorCode::ModelUnsupported, "compress ratio " + std::to_string(a.ratio),
                          "DeepSeek V4 layers use compress ratios 0, 4 and 128");
    ATELIER_TRY(attn::check_layer(c, a, cache, pos0));
    for (int64_t t0 = 0; t0 < T; t0 += attn::kStepTokens) {
        const int64_t n = std::min(attn::kStepTokens, T - t0);
        ATELIER_TRY(check_stop(c, "attention"));
        ATELIER_TRY(attn::attention_step(c, a, cache, x.data() + t0 * dim, pos0 + t0, n, out.data() + t0 * dim));
    }
    return ok_status();
}

}  // namespace atelier::infer::v4
