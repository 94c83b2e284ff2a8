// V4State: one sequence's per-layer caches (window ring, compressed entries, indexer keys,
// compressor state; LayerCache in attention.cpp sizes them), its Session and Workspace, and the
// rollback that makes a cancelled or failed eval() leave the state as it was. What attention_forward
// may overwrite is saved per layer just before it runs (the contract at the top of v4.h): the ring
// slots of the fed positions, the entry counts, and the compressor states when the call completes a
// group (otherwise it only writes rows of its own positions, which nothing reads before refilling).
// Thread-safety: one thread at a time (LmState).
#include <algorithm>

#include "inference/arch/deepseek-v4/v4.h"

namespace atelier::infer::v4 {

V4State::V4State(const Config& cfg, int64_t n_ctx, std::unique_ptr<Session> session)
    : cfg_(&cfg), session_(std::move(session)) {
    n_ctx_ = n_ctx;
    layers_.resize(static_cast<size_t>(cfg.n_layers));
    for (int64_t i = 0; i < cfg.n_layers && init_status_.ok(); ++i)
        init_status_ = layers_[static_cast<size_t>(i)].init(cfg, cfg.compress_ratios[static_cast<size_t>(i)], n_ctx);
    saved_.resize(layers_.size());
}

void V4State::reset() {
    for (LayerCache& l : layers_) l.reset();
    n_past_ = 0;
    n_saved_ = 0;
}

uint64_t V4State::cache_bytes() const {
    uint64_t n = 0;
    for (const LayerCache& l : layers_) n += l.bytes();
    return n;
}

void V4State::save_layer(int layer, int64_t pos0, int64_t T) {
    if (n_saved_ == saved_.size()) saved_.emplace_back();
    Saved& s = saved_[n_saved_++];
    const LayerCache& c = layers_[static_cast<size_t>(layer)];
    const int64_t W = cfg_->window, D = cfg_->head_dim;
    s.layer = layer;
    s.pos0 = pos0;
    s.T = T;
    s.n_entries = c.n_entries;
    s.compressed_size = c.compressed.size();
    s.index_keys_size = c.index_keys.size();
    const int64_t rows = std::min(T, W);
    s.window.resize(static_cast<size_t>(rows * D));
    if (c.window.size() == static_cast<size_t>(W * D))
        for (int64_t i = 0; i < rows; ++i) {
            const float* src = c.window.data() + ((pos0 + i) % W) * D;
            std::copy(src, src + D, s.window.begin() + i * D);
        }
    const int64_t ratio = cfg_->compress_ratios[static_cast<size_t>(layer)];
    s.states = ratio > 0 && (pos0 + T) / ratio > pos0 / ratio;
    if (s.states) {
        s.comp.kv.assign(c.comp.kv.begin(), c.comp.kv.end());
        s.comp.score.assign(c.comp.score.begin(), c.comp.score.end());
        s.index_comp.kv.assign(c.index_comp.kv.begin(), c.index_comp.kv.end());
        s.index_comp.score.assign(c.index_comp.score.begin(), c.index_comp.score.end());
    }
}

void V4State::restore_saved() {
    const int64_t W = cfg_->window, D = cfg_->head_dim;
    while (n_saved_ > 0) {
        const Saved& s = saved_[--n_saved_];
        LayerCache& c = layers_[static_cast<size_t>(s.layer)];
        const int64_t rows = std::min(s.T, W);
        if (c.window.size() == static_cast<size_t>(W * D))
            for (int64_t i = 0; i < rows; ++i)
                std::copy(s.window.begin() + i * D, s.window.begin() + (i + 1) * D,
                          c.window.begin() + ((s.pos0 + i) % W) * D);
        c.n_entries = s.n_entries;
        c.compressed.resize(s.compressed_size);  // shrinking keeps the reserved capacity
        c.index_keys.resize(s.index_keys_size);
        // Keys past the restored count will be written again: the bf16 copy must repack them.
        c.index_packed_n = std::min<int64_t>(c.index_packed_n,
                                             static_cast<int64_t>(s.index_keys_size) / std::max<int64_t>(1, cfg_->index_head_dim));
        if (s.states) {
            std::copy(s.comp.kv.begin(), s.comp.kv.end(), c.comp.kv.begin());
            std::copy(s.comp.score.begin(), s.comp.score.end(), c.comp.score.begin());
            std::copy(s.index_comp.kv.begin(), s.index_comp.kv.end(), c.index_comp.kv.begin());
            std::copy(s.index_comp.score.begin(), s.index_comp.score.end(), c.index_comp.score.begin());
        }
    }
}

}  // namespace atelier::infer::v4
