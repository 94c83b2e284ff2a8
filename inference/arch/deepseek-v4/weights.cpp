// DeepSeek V4 weight binding (deepseek-v4.md §2.2-2.4): every tensor the forward pass reads is
// looked up by its canonical HF name (weight-names.h), its shape and type checked against the
// config, and wrapped as a Linear (with its UE8M0 block scales) or a plain tensor. FP4 experts
// stored as packed I8/U8 get a re-typed view; GGUF stacked experts are sliced into per-expert
// views; nothing is copied except small vectors converted to f32 (sinks, mHC, gate bias), I64
// tid2eid tables narrowed to I32, and (BindOptions::repack_q4k) resident Q4_K matmul weights
// regrouped as Q4_K_R16 for the AVX-512 matvec, whose file bytes are then released. MTP and
// unknown tensors are tolerated and left unbound.
// Thread-safety: runs once at load; the result is immutable.
#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "inference/arch/deepseek-v4/v4.h"
#include "inference/arch/deepseek-v4/weight-names.h"
#include "inference/quant.h"

namespace atelier::infer::v4 {
namespace {

bool matmul_weight_type(DType t) {
    switch (t) {
        case DType::F32: case DType::F16: case DType::BF16: case DType::F8_E4M3: case DType::FP4_E2M1:
        case DType::Q8_0: case DType::Q2_K: case DType::Q3_K: case DType::Q4_K: case DType::Q5_K: case DType::Q6_K:
        case DType::IQ2_XXS: case DType::IQ3_XXS: case DType::MXFP4:
            return true;
        default:
            return false;
    }
}

bool shape_is(const Tensor& t, std::initializer_list<int64_t> ne) {
    size_t d = 0;
    for (int64_t n : ne)
        if (t.ne[d++] != n) return false;
    for (; d < kMaxDims; ++d)
        if (t.ne[d] != 1) return false;
    return true;
}

class Binder {
public:
    Binder(const Model& m, const TensorIndex& idx, const Config& cfg, Weights& w, const BindOptions& o)
        : m_(m), idx_(idx), cfg_(cfg), w_(w), opts_(o) {}

    Error error(const std::string& canonical, const std::string& what, const std::string& hint) const {
        const std::string file = m_.files().empty() ? "model" : m_.files().front().filename().string();
        return make_error(ErrorCode::ModelFormat, file + ": tensor '" + idx_.file_name(canonical) + "' " + what, hint);
    }
    Error bad_shape(const std::string& canonical, const Tensor& t, std::initializer_list<int64_t> ne) const {
        return error(canonical, "has shape " + idx_.file_shape(t) + ", expected " + idx_.file_shape(ne),
                     "the weights do not fit config.json / the GGUF metadata; check they belong together");
    }

    // A tensor of exactly this shape (engine order); any type accepted by `type_ok`.
    Result<const Tensor*> get(const std::string& canonical, std::initializer_list<int64_t> ne,
                              bool (*type_ok)(DType) = nullptr, const char* types = "") {
        const Tensor* t = idx_.find(canonical);
        if (!t)
            return error(canonical, "is missing (expected shape " + idx_.file_shape(ne) + ")",
                         "the checkpoint is incomplete or not a DeepSeek V4 model of this config");
        if (!shape_is(*t, ne)) return bad_shape(canonical, *t, ne);
        if (type_ok && !type_ok(t->type))
            return error(canonical, std::string("has type ") + dtype_name(t->type) + ", expected " + types,
                         "convert the tensor to a supported type");
        return t;
    }

    // A small float vector/matrix as f32 (converted into an owned copy when stored otherwise).
    // Quantised storage is accepted too: llama-quantize --pure quantises every 2-D tensor whose
    // rows fit the block, mHC and compressor ape included.
    Result<const Tensor*> get_f32(const std::string& canonical, std::initializer_list<int64_t> ne) {
        ATELIER_TRY_ASSIGN(const Tensor* t, get(canonical, ne, &dequantizable, "a float or GGUF block type"));
        if (t->type == DType::F32 && t->is_contiguous()) return t;
        return to_f32(*t);
    }
    // A norm weight: f32 or bf16 as stored (RmsNorm takes both), others converted to f32.
    Result<const Tensor*> get_norm(const std::string& canonical, int64_t n) {
        ATELIER_TRY_ASSIGN(const Tensor* t, get(canonical, {n}, &dequantizable, "a float or GGUF block type"));
        if ((t->type == DType::F32 || t->type == DType::BF16) && t->is_contiguous()) return t;
        return to_f32(*t);
    }

    // W·x with W [in, out] (engine order): base + ".weight" (+ ".scale" for FP8/FP4 storage).
    // may_repack: whether the weight is only ever read whole or in row views at multiples of 16.
    Result<Linear> linear(const std::string& base, int64_t in, int64_t out, bool act_fp8, bool out_bf16, bool may_repack = true) {
        const std::string wname = base + ".weight";
        const Tensor* t = idx_.find(wname);
        if (!t)
            return error(wname, "is missing (expected shape " + idx_.file_shape({in, out}) + ")",
                         "the checkpoint is incomplete or not a DeepSeek V4 model of this config");
        ATELIER_TRY_ASSIGN(Linear l, linear_from(wname, *t, base + ".scale", in, out, act_fp8, out_bf16));
        if (may_repack) {
            ATELIER_TRY_ASSIGN(const Tensor* r, repacked(*l.w));
            if (r) l.w = r;
        }
        return l;
    }

    // BindOptions::repack_q4k: a resident Q4_K matmul weight with whole groups of 16 rows,
    // regrouped as Q4_K_R16 into huge-page buffers of the Weights, its file bytes released
    // (Model::release_resident). nullptr when the weight does not qualify (kept as it is).
    Result<const Tensor*> repacked(const Tensor& t) {
        if (!opts_.repack_q4k || t.type != DType::Q4_K || !t.is_contiguous() || t.ne[1] % 16 != 0 || t.ne[3] != 1 ||
            !m_.is_resident(t))
            return static_cast<const Tensor*>(nullptr);
        const int64_t K = t.ne[0], rows = t.n_rows();
        ATELIER_TRY_ASSIGN(const int64_t rb, dtype_row_bytes(DType::Q4_K_R16, K));
        const uint64_t bytes = static_cast<uint64_t>(rows * rb);
        ATELIER_TRY_ASSIGN(uint8_t* dst, alloc(bytes, t.name));
        // In chunks of ~64 MiB, each split across the cores (most of the time is the kernel zeroing
        // the fresh pages as they are first written, which runs on the writing core) and its file
        // bytes released at once, so a 1 GB stacked-expert tensor never exists twice.
        const int64_t groups = rows / 16, chunk = std::max<int64_t>(1, (64 << 20) / (16 * t.nb[1]));
        const int64_t cores = std::max(1u, std::thread::hardware_concurrency());
        for (int64_t c0 = 0; c0 < groups; c0 += chunk) {
            const int64_t n = std::min(chunk, groups - c0), parts = std::clamp<int64_t>(n / 256, 1, cores);
            std::vector<Status> st(static_cast<size_t>(parts));
            auto work = [&](int64_t p) {
                for (int64_t g = c0 + n * p / parts; g < c0 + n * (p + 1) / parts && st[static_cast<size_t>(p)].ok(); ++g)
                    st[static_cast<size_t>(p)] =
                        repack_q4k_r16(static_cast<const char*>(t.data) + 16 * g * t.nb[1], t.nb[1], K, dst + 16 * g * rb);
            };
            std::vector<std::thread> pool;
            for (int64_t p = 1; p < parts; ++p) pool.emplace_back(work, p);
            work(0);
            for (auto& th : pool) th.join();
            for (Status& x : st) ATELIER_TRY(std::move(x));
            // rows 16·c0 .. 16·(c0+n) of all rows (experts are consecutive)
            m_.release_resident(static_cast<const char*>(t.data) + 16 * c0 * t.nb[1], static_cast<uint64_t>(16 * n * t.nb[1]));
        }
        ATELIER_TRY_ASSIGN(Tensor r, Tensor::wrap(DType::Q4_K_R16, {K, t.ne[1], t.ne[2]}, dst, {}, t.name));
        r.n_dims = t.n_dims;
        w_.repacked_bytes += bytes;
        return own(std::move(r));
    }

    // Seals the repack buffers (read-only, as the file bytes were).
    void seal() {
        for (auto& b : w_.buffers) b->seal();
    }

    // GGUF stacked experts: per-expert views of "layers.L.ffn.experts.wN.stacked" [in, out, E].
    Result<std::vector<Linear>> stacked(const std::string& canonical, int64_t in, int64_t out, int64_t n) {
        ATELIER_TRY_ASSIGN(const Tensor* t, get(canonical, {in, out, n}, &matmul_weight_type, "a matmul weight type"));
        ATELIER_TRY_ASSIGN(const Tensor* r, repacked(*t));  // whole experts: out % 16 == 0
        if (r) t = r;
        std::vector<Linear> v(static_cast<size_t>(n));
        for (int64_t e = 0; e < n; ++e) {
            Tensor view = *t;
            view.data = static_cast<char*>(t->data) + e * t->nb[2];
            view.ne[2] = 1;
            view.n_dims = 2;
            v[static_cast<size_t>(e)] = Linear{.w = own(std::move(view)), .act_fp8 = true, .out_bf16 = true};
        }
        return v;
    }

    const Tensor* own(Tensor t) {
        w_.owned.push_back(std::make_unique<Tensor>(std::move(t)));
        return w_.owned.back().get();
    }

    const Config& cfg() const { return cfg_; }
    const TensorIndex& index() const { return idx_; }

private:
    static bool dequantizable(DType t) {
        return matmul_weight_type(t) && t != DType::F8_E4M3 && t != DType::FP4_E2M1;  // those need their scales
    }

    Result<const Tensor*> to_f32(const Tensor& t) {
        const int64_t n0 = t.ne[0], rows = t.n_rows();
        ATELIER_TRY_ASSIGN(Tensor out, Tensor::make(DType::F32, {n0, t.ne[1], t.ne[2], t.ne[3]}, t.name));
        out.n_dims = t.n_dims;
        for (int64_t r = 0; r < rows; ++r) {
            const int64_t i1 = r % t.ne[1], i2 = (r / t.ne[1]) % t.ne[2], i3 = r / (t.ne[1] * t.ne[2]);
            ATELIER_TRY(dequantize_row(t.type, t.row<char>(i1, i2, i3), out.row<float>(i1, i2, i3), n0));
        }
        return own(std::move(out));
    }

    Result<Linear> linear_from(const std::string& wname, const Tensor& t, const std::string& sname, int64_t in,
                               int64_t out, bool act_fp8, bool out_bf16) {
        Linear l{.act_fp8 = act_fp8, .out_bf16 = out_bf16};
        const Tensor* scale = idx_.find(sname);
        const bool packed_fp4 = (t.type == DType::I8 || t.type == DType::U8) && t.ne[0] * 2 == in;
        if (t.type == DType::F8_E4M3 || packed_fp4 || t.type == DType::FP4_E2M1) {
            const bool fp4 = t.type != DType::F8_E4M3;
            const int64_t bk = fp4 ? 32 : cfg_.fp8_block, bn = fp4 ? 1 : cfg_.fp8_block;
            const int64_t kin = packed_fp4 ? in / 2 : in;
            if (!shape_is(t, {kin, out})) return bad_shape(wname, t, {kin, out});
            const int64_t sk = (in + bk - 1) / bk, sn = (out + bn - 1) / bn;
            if (!scale)
                return error(sname, "is missing (expected shape " + idx_.file_shape({sk, sn}) + " f8_e8m0 block scales)",
                             "FP8/FP4 weights need their .scale tensor");
            if (scale->type != DType::F8_E8M0 || !shape_is(*scale, {sk, sn}))
                return error(sname, std::string("is ") + dtype_name(scale->type) + " " + idx_.file_shape(*scale) +
                                        ", expected f8_e8m0 " + idx_.file_shape({sk, sn}),
                             "the scales do not fit the weight");
            if (fp4 && in % 32 != 0) return bad_shape(wname, t, {in, out});
            Tensor w = t;
            if (packed_fp4) {  // two E2M1 values per byte along K, low nibble first
                w.type = DType::FP4_E2M1;
                w.ne[0] = in;
            }
            l.w = packed_fp4 ? own(std::move(w)) : &t;
            l.scale = scale;
            l.scale_block_k = bk;
            l.scale_block_n = bn;
            return l;
        }
        if (!matmul_weight_type(t.type))
            return error(wname, std::string("has type ") + dtype_name(t.type) + ", which no matmul kernel reads",
                         "convert it to bf16, f8_e4m3 (+scale), q8_0 or another supported type");
        if (!shape_is(t, {in, out})) return bad_shape(wname, t, {in, out});
        if (scale) return error(sname, std::string("is present but the weight is ") + dtype_name(t.type) + " (no block scales)",
                                "drop the .scale tensor or store the weight as f8_e4m3");
        l.w = &t;
        return l;
    }

    // Bump allocation (64-byte aligned) from 256 MiB huge-page buffers; untouched pages of the
    // last buffer are never committed.
    Result<uint8_t*> alloc(uint64_t bytes, const std::string& what) {
        constexpr uint64_t kChunk = 256ull << 20;
        bytes = (bytes + 63) / 64 * 64;
        if (w_.buffers.empty() || used_ + bytes > w_.buffers.back()->size()) {
            ATELIER_TRY_ASSIGN(auto b, HugePageBuffer::allocate(std::max(bytes, kChunk), "the repacked weight " + what));
            w_.buffers.push_back(std::move(b));
            used_ = 0;
        }
        uint8_t* p = w_.buffers.back()->data() + used_;
        used_ += bytes;
        return p;
    }

    const Model& m_;
    const TensorIndex& idx_;
    const Config& cfg_;
    Weights& w_;
    BindOptions opts_;
    uint64_t used_ = 0;
};

Status bind_mhc(Binder& b, const std::string& prefix, Mhc& h) {
    const int64_t hc = b.cfg().hc_mult, mix = (2 + hc) * hc;
    ATELIER_TRY_ASSIGN(h.fn, b.get_f32(prefix + "_fn", {hc * b.cfg().dim, mix}));
    ATELIER_TRY_ASSIGN(h.base, b.get_f32(prefix + "_base", {mix}));
    ATELIER_TRY_ASSIGN(h.scale, b.get_f32(prefix + "_scale", {3}));
    return ok_status();
}

Status bind_compressor(Binder& b, const std::string& p, int64_t ratio, int64_t width, Compressor& cw) {
    const Config& c = b.cfg();
    const int64_t cwid = (ratio == 4 ? 2 : 1) * width;
    // fp32 products in the reference (the bf16 weights are upcast): no activation quantisation.
    ATELIER_TRY_ASSIGN(cw.wkv, b.linear(p + ".wkv", c.dim, cwid, false, false));
    ATELIER_TRY_ASSIGN(cw.wgate, b.linear(p + ".wgate", c.dim, cwid, false, false));
    // f32 once here (a quantised GGUF stores it as blocks): the compressor reads every row each token
    ATELIER_TRY_ASSIGN(cw.ape, b.get_f32(p + ".ape", {cwid, ratio}));
    ATELIER_TRY_ASSIGN(cw.norm, b.get_norm(p + ".norm.weight", width));
    return ok_status();
}

Status bind_attention(Binder& b, const std::string& p, int64_t ratio, Attention& a) {
    const Config& c = b.cfg();
    const int64_t hd = c.n_heads * c.head_dim, go = c.o_groups * c.o_lora_rank;
    a.ratio = ratio;
    ATELIER_TRY_ASSIGN(a.wq_a, b.linear(p + ".wq_a", c.dim, c.q_lora_rank, true, true));
    ATELIER_TRY_ASSIGN(a.wq_b, b.linear(p + ".wq_b", c.q_lora_rank, hd, true, true));
    ATELIER_TRY_ASSIGN(a.wkv, b.linear(p + ".wkv", c.dim, c.head_dim, true, true));
    // wo_a: the reference converts it to bf16 at load, so its activations are never quantised.
    // (repacked only when its o_groups row views start at multiples of 16)
    ATELIER_TRY_ASSIGN(a.wo_a, b.linear(p + ".wo_a", hd / c.o_groups, go, false, true, c.o_lora_rank % 16 == 0));
    ATELIER_TRY_ASSIGN(a.wo_b, b.linear(p + ".wo_b", go, c.dim, true, true));
    ATELIER_TRY_ASSIGN(a.q_norm, b.get_norm(p + ".q_norm.weight", c.q_lora_rank));
    ATELIER_TRY_ASSIGN(a.kv_norm, b.get_norm(p + ".kv_norm.weight", c.head_dim));
    ATELIER_TRY_ASSIGN(a.sink, b.get_f32(p + ".attn_sink", {c.n_heads}));
    for (int64_t g = 0; g < c.o_groups; ++g) {
        Linear v = a.wo_a;
        v.w = b.own(a.wo_a.w->view_rows(g * c.o_lora_rank, c.o_lora_rank));
        if (v.scale) {
            if (c.o_lora_rank % v.scale_block_n != 0)
                return b.error(p + ".wo_a.scale", "cannot be split into o_groups: o_lora_rank is not a multiple of the scale block",
                               "store wo_a in bf16");
            v.scale = b.own(a.wo_a.scale->view_rows(g * c.o_lora_rank / v.scale_block_n, c.o_lora_rank / v.scale_block_n));
        }
        a.wo_a_group.push_back(v);
    }
    if (ratio > 0) ATELIER_TRY(bind_compressor(b, p + ".compressor", ratio, c.head_dim, a.compressor));
    if (ratio == 4) {
        const int64_t iq = c.index_n_heads * c.index_head_dim;
        ATELIER_TRY_ASSIGN(a.indexer.wq_b, b.linear(p + ".indexer.wq_b", c.q_lora_rank, iq, true, true));
        // weights_proj: a bf16 F.linear in the reference (bf16 output, no activation quantisation).
        ATELIER_TRY_ASSIGN(a.indexer.weights_proj, b.linear(p + ".indexer.weights_proj", c.dim, c.index_n_heads, false, true));
        ATELIER_TRY(bind_compressor(b, p + ".indexer.compressor", 4, c.index_head_dim, a.indexer.compressor));
    }
    return ok_status();
}

// tid2eid [n_active, vocab]: every id in [0, n_routed), stored (or narrowed to) I32.
Result<const Tensor*> bind_tid2eid(Binder& b, const std::string& name) {
    const Config& c = b.cfg();
    ATELIER_TRY_ASSIGN(const Tensor* t, b.get(name, {c.n_active_experts, c.vocab_size},
                                              [](DType d) { return d == DType::I32 || d == DType::I64; }, "i32 or i64"));
    const Tensor* out = t;
    if (t->type == DType::I64 || !t->is_contiguous()) {
        ATELIER_TRY_ASSIGN(Tensor n, Tensor::make(DType::I32, {c.n_active_experts, c.vocab_size}, t->name));
        for (int64_t v = 0; v < c.vocab_size; ++v)
            for (int64_t k = 0; k < c.n_active_experts; ++k)
                n.row<int32_t>(v)[k] = t->type == DType::I64 ? static_cast<int32_t>(std::clamp<int64_t>(
                                                                   t->row<int64_t>(v)[k], -1, c.n_routed_experts))
                                                             : t->row<int32_t>(v)[k];
        out = b.own(std::move(n));
    }
    for (int64_t v = 0; v < c.vocab_size; ++v)
        for (int64_t k = 0; k < c.n_active_experts; ++k)
            if (const int32_t e = out->row<int32_t>(v)[k]; e < 0 || e >= c.n_routed_experts)
                return b.error(name, "routes token " + std::to_string(v) + " to expert " + std::to_string(e) +
                                         ", outside 0.." + std::to_string(c.n_routed_experts - 1),
                               "the hash-routing table does not fit n_routed_experts");
    return out;
}

Status bind_moe(Binder& b, const std::string& p, int layer, Moe& m) {
    const Config& c = b.cfg();
    ATELIER_TRY_ASSIGN(m.gate, b.get(p + ".gate.weight", {c.dim, c.n_routed_experts}, &matmul_weight_type,
                                     "a matmul weight type"));
    if (layer < c.n_hash_layers) {
        ATELIER_TRY_ASSIGN(m.tid2eid, bind_tid2eid(b, p + ".gate.tid2eid"));
    } else {
        ATELIER_TRY_ASSIGN(m.bias, b.get_f32(p + ".gate.bias", {c.n_routed_experts}));
    }
    const int64_t E = c.n_routed_experts, d = c.dim, f = c.moe_inter_dim;
    m.experts.resize(static_cast<size_t>(E));
    if (b.index().gguf()) {
        ATELIER_TRY_ASSIGN(auto w1, b.stacked(p + ".experts.w1.stacked", d, f, E));
        ATELIER_TRY_ASSIGN(auto w2, b.stacked(p + ".experts.w2.stacked", f, d, E));
        ATELIER_TRY_ASSIGN(auto w3, b.stacked(p + ".experts.w3.stacked", d, f, E));
        for (size_t e = 0; e < static_cast<size_t>(E); ++e) m.experts[e] = Expert{w1[e], w2[e], w3[e]};
    } else {
        for (int64_t e = 0; e < E; ++e) {
            const std::string x = p + ".experts." + std::to_string(e);
            Expert& ex = m.experts[static_cast<size_t>(e)];
            ATELIER_TRY_ASSIGN(ex.w1, b.linear(x + ".w1", d, f, true, true));
            ATELIER_TRY_ASSIGN(ex.w2, b.linear(x + ".w2", f, d, true, true));
            ATELIER_TRY_ASSIGN(ex.w3, b.linear(x + ".w3", d, f, true, true));
        }
    }
    const int64_t fs = f * c.n_shared_experts;
    ATELIER_TRY_ASSIGN(m.shared.w1, b.linear(p + ".shared_experts.w1", d, fs, true, true));
    ATELIER_TRY_ASSIGN(m.shared.w2, b.linear(p + ".shared_experts.w2", fs, d, true, true));
    ATELIER_TRY_ASSIGN(m.shared.w3, b.linear(p + ".shared_experts.w3", d, fs, true, true));
    return ok_status();
}

}  // namespace

Result<Weights> bind_weights(const Model& model, const Config& cfg, const BindOptions& options) {
    if (model.weights_released())
        return make_error(ErrorCode::InvalidArgument,
                          "this model's Q4_K weights were repacked by an earlier load and their file bytes released",
                          "load the model file again");
    ATELIER_TRY_ASSIGN(TensorIndex idx, TensorIndex::build(model));
    Weights w;
    Binder b(model, idx, cfg, w, options);
    const int64_t hc = cfg.hc_mult;
    ATELIER_TRY_ASSIGN(w.embed, b.get("embed.weight", {cfg.dim, cfg.vocab_size}, &matmul_weight_type, "a float or quantised type"));
    ATELIER_TRY_ASSIGN(w.head, b.get("head.weight", {cfg.dim, cfg.vocab_size}, &matmul_weight_type, "a matmul weight type"));
    {
        ATELIER_TRY_ASSIGN(const Tensor* r, b.repacked(*w.head));
        if (r) w.head = r;
    }
    ATELIER_TRY_ASSIGN(w.norm, b.get_norm("norm.weight", cfg.dim));
    ATELIER_TRY_ASSIGN(w.hc_head_fn, b.get_f32("hc_head_fn", {hc * cfg.dim, hc}));
    ATELIER_TRY_ASSIGN(w.hc_head_base, b.get_f32("hc_head_base", {hc}));
    ATELIER_TRY_ASSIGN(w.hc_head_scale, b.get_f32("hc_head_scale", {1}));
    w.layers.resize(static_cast<size_t>(cfg.n_layers));
    for (int64_t i = 0; i < cfg.n_layers; ++i) {
        Layer& l = w.layers[static_cast<size_t>(i)];
        const std::string p = "layers." + std::to_string(i);
        ATELIER_TRY_ASSIGN(l.attn_norm, b.get_norm(p + ".attn_norm.weight", cfg.dim));
        ATELIER_TRY_ASSIGN(l.ffn_norm, b.get_norm(p + ".ffn_norm.weight", cfg.dim));
        ATELIER_TRY(bind_mhc(b, p + ".hc_attn", l.hc_attn));
        ATELIER_TRY(bind_mhc(b, p + ".hc_ffn", l.hc_ffn));
        ATELIER_TRY(bind_attention(b, p + ".attn", cfg.compress_ratios[static_cast<size_t>(i)], l.attn));
        ATELIER_TRY(bind_moe(b, p + ".ffn", static_cast<int>(i), l.moe));
    }
    b.seal();
    return w;
}

}  // namespace atelier::infer::v4
