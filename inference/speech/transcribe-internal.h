// What transcribe() and LiveTranscriber share: the per-run decoding state (tokens, session,
// language, prompt) and the cutting of one window's tokens into segments.
// Thread-safety: a Decoding belongs to one thread.
#pragma once

#include <memory>
#include <random>
#include <span>
#include <stop_token>
#include <string>
#include <vector>

#include "inference/speech/transcribe.h"
#include "inference/speech/vad.h"
#include "inference/speech/window-decoder.h"
#include "inference/speech/word-align.h"

namespace atelier::infer::speech {

struct WindowInput {
    int64_t seek_frame = 0;       // the window's first mel frame (10 ms each)
    int64_t segment_frames = 0;   // frames of real audio in the window
    double time_offset_s = 0;
    std::vector<int32_t> prompt;
    int max_tokens = 0;           // sampled tokens at most (0: n_text_ctx / 2)
};

struct WindowOutcome {
    WindowResult result;
    std::vector<RawSegment> segments;
    bool skipped = false;                 // no speech
    bool single_timestamp_ending = false;
    bool closed = false;                  // segments end at timestamp pairs (else one open segment)
    int64_t seek_frames = 0;              // how far the window lets the seek advance
};

struct Decoding {
    const whisper::WhisperModel* model = nullptr;
    TranscribeOptions options;
    WhisperTokens tokens;
    std::unique_ptr<Session> session;
    std::mt19937_64 rng;
    std::stop_token stop;
    std::string language;  // empty until known
    int32_t language_id = -1;
    float language_probability = 0;
    std::vector<int32_t> initial_prompt;
    double last_speech_s = 0;

    static Result<Decoding> create(const whisper::WhisperModel& model, const TranscribeOptions& options, std::stop_token stop);
    WindowContext context();
    // window_mel: [n_mels][2 * n_ctx]; n_ctx 0 = the model's full context (30 s).
    Result<std::shared_ptr<const whisper::EncoderOutput>> encode(std::span<const float> window_mel, int n_ctx = 0);
    Status ensure_language(const std::shared_ptr<const whisper::EncoderOutput>& enc);
    Result<WindowOutcome> run_window(const std::shared_ptr<const whisper::EncoderOutput>& enc, const WindowInput& in);
    Segment finish_segment(const RawSegment& raw, const WindowResult& r) const;
};

void split_segments(const std::vector<int32_t>& tokens, int32_t timestamp_begin, const WindowInput& in, WindowOutcome& out);
void map_segment_times(Segment& s, const SilenceCut& cut);
void snap_segment_to_speech(Segment& s, const std::vector<SpeechRegion>& regions);
bool segment_is_empty(const Segment& s);
// The seek loop over pcm (already VAD-cut when `cut` is given; times are mapped back through it).
Status long_form(Decoding& d, std::span<const float> pcm, const TranscribeCallbacks& cb, const SilenceCut* cut,
                 Transcript& out);

}  // namespace atelier::infer::speech
