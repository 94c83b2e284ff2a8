// Whisper transcription with openai-whisper's transcribe() semantics: 30 s windows sought by the
// last timestamp, greedy/beam search with temperature fallback, no-speech gating, language
// detection, transcribe/translate, prompts, word timestamps (alignment heads + DTW), and an energy
// VAD that cuts long silences first. LiveTranscriber decodes microphone audio as it arrives.
// Thread-safety: transcribe() runs on the calling thread; callbacks run on it and must not throw.
// A LiveTranscriber: push() from any thread; step()/finish() from one worker.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <stop_token>
#include <string>
#include <vector>

#include "core/result.h"
#include "inference/arch/whisper/whisper.h"
#include "inference/speech/token-rules.h"

namespace atelier::infer::speech {

struct Word {
    int64_t start_ms = 0, end_ms = 0;
    std::string text;       // as decoded, usually with its leading space
    float probability = 0;  // mean of the word's token probabilities
};

struct Segment {
    int64_t start_ms = 0, end_ms = 0;
    std::string text;
    std::vector<int32_t> tokens;  // text and timestamp tokens of the segment
    float avg_logprob = 0, no_speech_prob = 0, compression_ratio = 0, temperature = 0;
    std::vector<Word> words;      // with word_timestamps
};

struct Transcript {
    std::string language;
    float language_probability = 0;  // 1 when the language was given
    std::vector<Segment> segments;
};

struct TranscribeOptions {
    std::string language = "auto";  // or "en", ...; English-only models always use "en"
    using Task = speech::Task;
    Task task = Task::Transcribe;
    int beam_size = 5;  // 1 = greedy (at temperature 0)
    int best_of = 5;    // samples per window at temperatures > 0 (OpenAI CLI default)
    float patience = 1.0f;
    float length_penalty = -1.0f;  // < 0: plain length normalisation; else ((5 + len) / 6)^alpha
    std::vector<float> temperatures = {0.0f, 0.2f, 0.4f, 0.6f, 0.8f, 1.0f};
    float compression_ratio_threshold = 2.4f, logprob_threshold = -1.0f, no_speech_threshold = 0.6f;
    bool condition_on_previous_text = true, word_timestamps = false;
    // Energy VAD (vad.h): silences over 2 s are cut before decoding (times map back), audio with
    // no speech gives no text, and segment/word edges decoded into a pause snap to its speech.
    bool vad = true;
    bool without_timestamps = false;  // <|notimestamps|>: one segment per window
    // With the VAD step: a window with under 30 s of audio (the last one) is padded with the
    // log-mel of silence (the audio zero-padded, as WhisperFeatureExtractor and whisper.cpp do),
    // not with zero mel values as openai-whisper's transcribe() does. On the e2e clip's last 2.6 s
    // window zero values made base write "You won the grade that..." for "Everyone agreed
    // that..." (openai-whisper too; with silence padding both get it right). Without the VAD step
    // openai-whisper's zero padding is kept: its no-speech gate relies on it (10 s of room tone,
    // no VAD, silence padding: "Thanks for watching!"; zero padding: no text).
    bool silence_padding = true;
    std::string initial_prompt;
    int n_threads = 0;     // 0: all cores
    uint64_t seed = 0;     // sampling at temperatures > 0
};

struct TranscribeCallbacks {
    std::function<void(const Segment&)> on_segment;  // as each segment is final
    std::function<void(double fraction, int64_t audio_ms_done)> on_progress;
};

// pcm: 16 kHz mono float. Cancel is checked between windows and between decoder steps; a stop
// returns Cancelled. Errors: ModelUnsupported when the model has no tokenizer, InvalidArgument
// for an unknown language or non-finite samples.
Result<Transcript> transcribe(const whisper::WhisperModel& model, std::span<const float> pcm,
                              const TranscribeOptions& options, const TranscribeCallbacks& callbacks,
                              std::stop_token stop);

// What one LiveTranscriber::step() produced.
struct LiveUpdate {
    std::vector<Segment> final_segments;  // newly final, on the stream's timeline
    std::string partial_text;             // the unstable tail (may change next step)
    int64_t partial_start_ms = 0;
    int64_t audio_ms = 0;                 // audio received so far
    bool decoded = false;                 // false: too little new audio, nothing was run
    int audio_ctx = 0;                    // encoder frames (20 ms) the step ran on, when decoded
};

// Live microphone transcription. Each step decodes the audio not yet final (at most one 30 s
// window, greedy, timestamps on); closed segments that end at least `stable_margin_ms` before the
// newest audio and that two consecutive steps decoded alike become final, and the window slides
// past them; the rest is the partial text.
class LiveTranscriber {
public:
    LiveTranscriber(const whisper::WhisperModel& model, TranscribeOptions options);
    ~LiveTranscriber();
    LiveTranscriber(const LiveTranscriber&) = delete;
    LiveTranscriber& operator=(const LiveTranscriber&) = delete;

    Status push(std::span<const float> pcm16k);  // any thread, cheap (a copy under a mutex)
    Result<LiveUpdate> step(std::stop_token stop);
    // Decodes what is left and returns every final segment of the stream.
    Result<Transcript> finish(std::stop_token stop);

    // step() does nothing until this much new audio arrived. 150 ms (finals still every
    // commit_step_ms) shows words sooner (median 0.03-0.07 s after they are spoken vs 0.15 s) for
    // twice the CPU, but the finals then vary more from run to run (WER 4.2-9.3 % vs 5.9 %), so
    // the default stays 300 (docs/PERFORMANCE.md).
    int min_step_ms = 300;
    int stable_margin_ms = 1000;  // a segment ending closer than this to the newest audio stays partial
    // Finals are decided, and the window moved on, only on a step at least this much audio after
    // the last such step, and a segment becomes final only when that earlier deciding step decoded
    // it the same way; steps in between (min_step_ms below this) only refresh the partial text.
    // (Deciding on every 100-150 ms step cut the window more often, and a short window after a
    // cut loops: one run held 9 words back for 4 s, WER 12.7 %.)
    int commit_step_ms = 300;
    // Reduced audio context (whisper.cpp's audio_ctx): the encoder runs on the buffered audio plus
    // context_pad_ms of padding (at least min_context_ms) instead of a whole 30 s window, so a
    // step costs in proportion to the audio not yet final. Off: every step encodes 30 s. Under
    // 6 s of context Whisper base loops and misplaces timestamps far more often (a final cut
    // early re-decodes its tail: the e2e clip's live WER rose to 11 % at 2 s, 5.9 % at 6 s).
    bool reduced_context = true;
    int context_pad_ms = 1000, min_context_ms = 6000;
    int max_window_ms = 30000;    // audio decoded at most per step (the oldest beyond is dropped)
    // The last final segments as the prompt (with condition_on_previous_text). Off by default: on
    // the few seconds a reduced-context step sees, Whisper tends to repeat the prompt's text
    // (measured with tools/bench/atelier-bench-whisper --live: a final fragment twice, WER 6.8 %
    // vs 5.9 % without).
    bool prompt_with_finals = false;
    int beam_size = 1;  // steps decode greedily unless set (the file transcriber's default is 5)

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace atelier::infer::speech
