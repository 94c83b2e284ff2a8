// DeepSeek V4 KV compressors (deepseek-v4.md §3.4, and the indexer's own in §3.5): gated per-channel
// softmax pooling of `ratio` tokens (ratio 4: two overlapping halves over 8 rows), in fp32, then
// RMSNorm, RoPE at the group's first position, and the released model's FP8 / Hadamard+FP4 steps.
// Invariant: the state holds the partial group (ratio 4: rows 0..3 the previous group, rows 4..7
// the current one), so feeding tokens in any chunking emits the same entries. One thread per state.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "inference/arch/deepseek-v4/attention-internal.h"
#include "inference/quant.h"

namespace atelier::infer::v4::attn {
namespace {

// The `ape` rows [ratio][c*width]: f32, as the binder stores them (bind_compressor converts
// other storage once at load).
Result<const float*> ape_rows(const Tensor& ape, int64_t rows, int64_t cw) {
    if (ape.ne[0] != cw || ape.ne[1] != rows)
        return make_error(ErrorCode::ModelFormat, "compressor ape " + ape.name + " is " + ape.shape_string(),
                          "expected [" + std::to_string(cw) + ", " + std::to_string(rows) + "]");
    if (ape.type != DType::F32 || ape.nb[1] != cw * 4)
        return make_error(ErrorCode::Internal, "compressor ape " + ape.name + " is not contiguous f32",
                          "bind the weights with bind_weights, which converts it at load");
    return static_cast<const float*>(ape.data);
}

// Pools the state's rows into `dst` [width]: per channel, softmax over the rows of the gate
// scores, weights applied to kv. Ratio 4 (overlap) reads half A (channels 0..w-1) of rows
// 0..ratio-1 and half B (channels w..2w-1) of rows ratio..2·ratio-1.
void pool(Ctx& c, const CompressorState& st, int64_t ratio, int64_t width, bool overlap, float* dst) {
    float* mx = f32_buf(c, kSlotPoolMax, width);
    float* sum = f32_buf(c, kSlotPoolSum, width);
    const int64_t cw = overlap ? 2 * width : width, rows = overlap ? 2 * ratio : ratio;
    auto row_off = [&](int64_t r) { return r * cw + (overlap && r >= ratio ? width : 0); };
    std::fill(mx, mx + width, -std::numeric_limits<float>::infinity());
    std::fill(sum, sum + width, 0.0f);
    std::fill(dst, dst + width, 0.0f);
    for (int64_t r = 0; r < rows; ++r) {
        const float* s = st.score.data() + row_off(r);
        for (int64_t ch = 0; ch < width; ++ch) mx[ch] = std::max(mx[ch], s[ch]);
    }
    for (int64_t r = 0; r < rows; ++r) {
        const float* s = st.score.data() + row_off(r);
        const float* a = st.kv.data() + row_off(r);
        for (int64_t ch = 0; ch < width; ++ch) {
            const float e = std::exp(s[ch] - mx[ch]);
            sum[ch] += e;
            dst[ch] += e * a[ch];
        }
    }
    for (int64_t ch = 0; ch < width; ++ch) dst[ch] /= sum[ch];
}

// Norm, rope, (Hadamard) and released quantisation of n new entries at `e`, in place. Released
// numerics also round to bf16 wherever the reference holds the entry in bf16 (after pooling, the
// norm, the rope and the Hadamard transform).
Status finish_entries(Ctx& c, const Compressor& w, const CompressorSpec& spec, float* e, int64_t n,
                      const int32_t* pos) {
    const int64_t len = n * spec.width;
    bf16_if_released(c, e, len);
    ATELIER_TRY(rms_rows(c, e, spec.width, n, w.norm));
    bf16_if_released(c, e, len);
    ATELIER_TRY(rope_rows(c, layer_rope(c.cfg, spec.ratio), e, spec.width, 1, n, pos, false));
    bf16_if_released(c, e, len);
    const bool released = c.numerics == Numerics::Released;
    if (spec.indexer) {
        ATELIER_TRY(hadamard_rows(c, e, spec.width, n));
        bf16_if_released(c, e, len);
        if (released) ATELIER_TRY(fake_quant_fp4_act(e, len, 32));
    } else if (released) {
        const int64_t nope = spec.width - c.cfg.rope_dim;
        for (int64_t i = 0; i < n; ++i) ATELIER_TRY(fake_quant_fp8_act(e + i * spec.width, nope, 64));
    }
    return ok_status();
}

}  // namespace

Status compressor_forward(Ctx& c, const Compressor& w, const CompressorSpec& spec, CompressorState& st,
                          std::vector<float>& entries, const float* x, int64_t pos0, int64_t T,
                          const CompressorProducts* pre) {
    const int64_t ratio = spec.ratio, width = spec.width;
    const bool overlap = ratio == 4;
    const int64_t cw = overlap ? 2 * width : width, state_rows = overlap ? 2 * ratio : ratio;
    if (!w.wkv.w || !w.wgate.w || !w.ape || !w.norm || w.wkv.out() != cw || w.wgate.out() != cw)
        return make_error(ErrorCode::ModelFormat, "compressor weights are missing or not " + std::to_string(cw) + " wide",
                          "the checkpoint does not match its compress_ratios");
    if (static_cast<int64_t>(st.kv.size()) != state_rows * cw || st.score.size() != st.kv.size())
        return make_error(ErrorCode::InvalidArgument, "compressor state is not sized for ratio " + std::to_string(ratio),
                          "initialise the layer cache with LayerCache::init");
    if (w.wkv.in() != c.cfg.dim || w.wgate.in() != c.cfg.dim)
        return make_error(ErrorCode::ModelFormat, "compressor weights do not read dim " + std::to_string(c.cfg.dim) + " values",
                          "the checkpoint does not match its config");
    const float* a = pre ? pre->kv : nullptr;
    const float* s = pre ? pre->gate : nullptr;
    if (!pre) {
        float* ka = f32_buf(c, kSlotCompA, T * cw);
        float* ks = f32_buf(c, kSlotCompS, T * cw);
        const LinearOut outs[2] = {{&w.wkv, ka}, {&w.wgate, ks}};
        ATELIER_TRY(linear_shared_x(c, outs, x, T));
        a = ka, s = ks;
    }
    ATELIER_TRY_ASSIGN(const float* ape, ape_rows(*w.ape, ratio, cw));

    const int64_t first_new = static_cast<int64_t>(entries.size()) / width;
    const int64_t n_new = (pos0 + T) / ratio - pos0 / ratio;
    if (entries.size() + static_cast<size_t>(n_new * width) > entries.capacity())
        return make_error(ErrorCode::ContextFull, "compressed cache is full at position " + std::to_string(pos0 + T),
                          "start a new sequence or create the state with a larger n_ctx");
    int32_t* gpos = i32_buf(c, kSlotEntryPos, n_new + 1, kStepTokens);
    int64_t made = 0;
    for (int64_t t = 0; t < T; ++t) {
        const int64_t p = pos0 + t, r = p % ratio, row = (overlap ? ratio : 0) + r;
        std::copy(a + t * cw, a + (t + 1) * cw, st.kv.data() + row * cw);
        float* srow = st.score.data() + row * cw;
        for (int64_t ch = 0; ch < cw; ++ch) srow[ch] = s[t * cw + ch] + ape[r * cw + ch];
        if ((p + 1) % ratio != 0) continue;
        entries.resize(entries.size() + static_cast<size_t>(width));  // within capacity: no reallocation
        pool(c, st, ratio, width, overlap, entries.data() + (first_new + made) * width);
        gpos[made++] = static_cast<int32_t>(p + 1 - ratio);
        if (overlap) {  // the current group becomes the previous one
            std::copy(st.kv.begin() + ratio * cw, st.kv.end(), st.kv.begin());
            std::copy(st.score.begin() + ratio * cw, st.score.end(), st.score.begin());
        }
    }
    if (made == 0) return ok_status();
    return finish_entries(c, w, spec, entries.data() + first_new * width, made, gpos);
}

}  // namespace atelier::infer::v4::attn
