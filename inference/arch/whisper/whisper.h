// Whisper (encoder-decoder speech model): config, weights (HF safetensors folders in the
// openai/whisper-* layout, whisper.cpp ggml .bin files), the encoder, and the decoder with a
// self-attention KV cache and cross-attention K/V computed once per encoder output.
// Thread-safety: a WhisperModel is immutable after load and shareable; an EncoderOutput is
// immutable and shared by the decoder states bound to it; a DecoderState and a Session belong to
// one thread at a time. This header is the contract with inference/speech (whisper-plan.md).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <stop_token>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"
#include "inference/model.h"
#include "inference/session.h"
#include "inference/tokenizer/tokenizer.h"

namespace atelier::infer::whisper {

struct WhisperConfig {
    int n_mels = 0;             // 80 or 128
    int n_audio_ctx = 0;        // 1500 (frames after the stride-2 conv)
    int n_audio_state = 0, n_audio_head = 0, n_audio_layer = 0;
    int n_text_ctx = 0;         // 448
    int n_text_state = 0, n_text_head = 0, n_text_layer = 0;
    int n_vocab = 0;
    bool multilingual = false;
    // special tokens (ids), from generation_config.json / config.json / the ggml header
    int32_t eot = -1, sot = -1, sot_prev = -1, sot_lm = -1, no_speech = -1, no_timestamps = -1,
            translate = -1, transcribe = -1,
            timestamp_begin = -1;  // id of <|0.00|>
    std::vector<std::pair<std::string, int32_t>> languages;  // "en" -> id, in Whisper's order
    std::vector<std::pair<int, int>> alignment_heads;        // (layer, head) of the decoder
    std::vector<int32_t> suppress_tokens, begin_suppress_tokens;

    int n_mel_frames() const { return 2 * n_audio_ctx; }  // 3000: mel frames of one window
};

// The encoder's result for one 30 s window, and what every decoder bound to it reads: the
// cross-attention keys and values of each decoder layer, computed once by encode().
struct EncoderOutput {
    int n_ctx = 0;    // n_audio_ctx, or the reduced context it was encoded with
    int n_state = 0;  // n_audio_state
    std::vector<float> hidden;  // [n_ctx][n_state] row-major: the encoder's final output
    // Per decoder layer: cross K [n_ctx][n_text_state] and V transposed per head
    // [n_text_head][head_dim][n_ctx] (the layout the attention products read).
    std::vector<Tensor> cross_k, cross_vt;
};

struct DecodeOptions {
    Session* session = nullptr;  // required: runs the kernels (threads, scratch)
    std::stop_token stop{};      // checked between layers; a requested stop returns Cancelled
    bool all_logits = false;     // decode(): logits of every fed token, [n_tokens][n_vocab]
    bool want_alignment = false; // keep the alignment heads' cross-attention weights
};

// The alignment heads' cross-attention weights of the tokens one decode call fed.
struct AlignmentWeights {
    int n_heads = 0, n_tokens = 0, n_audio_ctx = 0;
    std::vector<float> data;  // [n_heads][n_tokens][n_audio_ctx], softmax outputs
};

class WhisperModel;

// One decoder sequence: its self-attention KV cache (grows up to n_text_ctx positions) and the
// encoder output it is bound to. clone() forks it for beam search (the encoder output is shared).
class DecoderState {
public:
    ~DecoderState();
    int n_past() const { return n_past_; }
    // Drop positions >= n (n <= n_past); later decodes continue from n.
    void truncate(int n);
    Result<std::unique_ptr<DecoderState>> clone() const;
    // The last decode call's alignment-head weights (empty unless want_alignment was set).
    const AlignmentWeights& alignment() const { return alignment_; }
    const std::shared_ptr<const EncoderOutput>& encoder() const { return enc_; }
    uint64_t cache_bytes() const;

private:
    friend class WhisperModel;
    friend struct DecoderAccess;
    DecoderState() = default;
    std::shared_ptr<const EncoderOutput> enc_;
    int n_past_ = 0;
    int capacity_ = 0;              // positions the cache holds now
    int n_layer_ = 0, n_state_ = 0, n_head_ = 0, max_ctx_ = 0;
    std::vector<float> k_;          // [layer][capacity][n_state]
    std::vector<float> vt_;         // [layer][head][head_dim][capacity]
    AlignmentWeights alignment_;
    struct Work;                    // reusable buffers of the forward pass (decoder.cpp)
    std::unique_ptr<Work> work_;
    Status reserve(int n_positions);  // grows the cache to hold n_positions (<= max_ctx_)
};

class WhisperModel {  // immutable after load; shareable across threads
public:
    // path: a folder (config.json + model.safetensors [+ tokenizer.json, generation_config.json])
    // or a whisper.cpp ggml .bin file. Errors: ModelFormat / ModelTruncated / ModelUnsupported
    // naming the file and the tensor or key (a model that is not Whisper says so).
    static Result<std::unique_ptr<WhisperModel>> load(const std::filesystem::path& path,
                                                      const LoadOptions& options = {});
    ~WhisperModel();

    const WhisperConfig& config() const { return cfg_; }
    const Tokenizer* tokenizer() const { return tokenizer_.get(); }  // nullptr when none was found
    std::shared_ptr<const Tokenizer> shared_tokenizer() const { return tokenizer_; }

    // mel: [n_mels][3000] row-major (one 30 s window). out.hidden: [n_audio_ctx][n_audio_state].
    Result<EncoderOutput> encode(std::span<const float> mel, Session& session, std::stop_token stop) const;
    // A reduced audio context (whisper.cpp's audio_ctx), for short live windows: mel
    // [n_mels][2 * n_ctx], 1 <= n_ctx <= n_audio_ctx; the positional embedding's first n_ctx rows;
    // out.n_ctx = n_ctx and decoders bound to it cross-attend to those frames only. Not the same
    // rows as a full-context encode (encoder self-attention sees the whole context).
    Result<EncoderOutput> encode(std::span<const float> mel, Session& session, std::stop_token stop, int n_ctx) const;
    // A decoder sequence bound to one encoder output (its cross K/V were computed by encode()).
    Result<std::unique_ptr<DecoderState>> new_decoder(std::shared_ptr<const EncoderOutput> enc) const;
    // Feeds tokens at positions n_past.., appends to the self-attention cache. logits: n_vocab
    // floats for the last token (n_tokens * n_vocab with all_logits). With want_alignment the
    // state keeps the alignment heads' cross-attention weights of the fed tokens.
    Status decode(DecoderState& state, std::span<const int32_t> tokens, std::span<float> logits,
                  const DecodeOptions& options) const;
    // Beam search: several sequences (same or different encoder outputs) advance one token each
    // in one pass. tokens[i] goes to states[i]; logits: [n][n_vocab].
    Status decode_batch(std::span<DecoderState* const> states, std::span<const int32_t> tokens,
                        std::span<float> logits, const DecodeOptions& options) const;

    struct Weights;  // bound tensor views (weights.cpp)

private:
    // Runs rows_per_state tokens for each state (tokens state-major) through the decoder.
    Status forward(std::span<DecoderState* const> states, std::span<const int32_t> tokens, int64_t rows_per_state,
                   std::span<float> logits, const DecodeOptions& options) const;
    WhisperModel();
    WhisperConfig cfg_;
    std::shared_ptr<const Tokenizer> tokenizer_;
    std::unique_ptr<Weights> w_;
};

}  // namespace atelier::infer::whisper
