// Long-form transcription (see transcribe.h): VAD cut, log-mel of the whole audio with a window
// of zeros after it, then OpenAI's seek loop over windows (timestamp pairs close segments; the
// window advances to the last closed timestamp, or by its whole length). Semantics follow
// openai-whisper's transcribe.py; written from its description.
// Thread-safety: transcribe() runs on the calling thread.
#include "core/float-env.h"
#include "inference/speech/transcribe.h"

#include <algorithm>
#include <cmath>

#include "inference/audio/log-mel.h"
#include "inference/speech/transcribe-internal.h"
#include "inference/speech/vad.h"

namespace atelier::infer::speech {
namespace {

int64_t to_ms(double s) { return static_cast<int64_t>(std::llround(s * 1000.0)); }

// The window's mel: `size` frames of audio from `seek`, then (silence_padding) the mel's own
// frames after them, the log-mel of the zeros appended to the audio, or (else) zero values.
Result<std::vector<float>> window_mel(const audio::LogMel& mel, int64_t seek, int64_t size, int window_frames,
                                      bool silence_padding) {
    if (silence_padding) size = window_frames;
    std::vector<float> out(static_cast<size_t>(mel.n_mels) * static_cast<size_t>(window_frames), 0.0f);
    for (int m = 0; m < mel.n_mels; ++m)
        for (int64_t f = 0; f < size && f < window_frames && seek + f < mel.n_frames; ++f)
            out[static_cast<size_t>(m) * window_frames + static_cast<size_t>(f)] =
                mel.data[static_cast<size_t>(m) * static_cast<size_t>(mel.n_frames) + static_cast<size_t>(seek + f)];
    return out;
}

}  // namespace

Result<Decoding> Decoding::create(const whisper::WhisperModel& model, const TranscribeOptions& o, std::stop_token stop) {
    Decoding d;
    d.model = &model;
    d.options = o;
    if (!model.tokenizer())
        return make_error(ErrorCode::ModelUnsupported, "the Whisper model has no tokenizer beside its weights",
                          "put the model's tokenizer.json next to it (HF folder) or use a ggml .bin with its vocabulary");
    ATELIER_TRY_ASSIGN(d.tokens, whisper_tokens(model));
    SessionOptions so;
    so.n_threads = o.n_threads;
    so.seed = o.seed;
    ATELIER_TRY_ASSIGN(d.session, Session::create(so));
    d.rng.seed(o.seed);
    d.stop = stop;
    if (o.language != "auto" && !o.language.empty()) {
        if (!model.config().multilingual) {
            if (o.language != "en")
                return make_error(ErrorCode::InvalidArgument, "this Whisper model is English-only; language '" + o.language + "' is not possible",
                                  "use a multilingual model, or language 'en' / 'auto'");
            d.language = "en";
        } else {
            d.language_id = language_token(d.tokens, o.language);
            if (d.language_id < 0)
                return make_error(ErrorCode::InvalidArgument, "unknown language '" + o.language + "' for this Whisper model",
                                  "give a code such as en, de, fr, or 'auto'");
            d.language = o.language;
        }
        d.language_probability = 1.0f;
    } else if (!model.config().multilingual) {
        d.language = "en";
        d.language_probability = 1.0f;
    }
    if (!o.initial_prompt.empty()) {
        std::string text = " " + o.initial_prompt;
        d.initial_prompt = model.tokenizer()->encode(text, {false, false});
    }
    return d;
}

WindowContext Decoding::context() {
    return WindowContext{model, &tokens, session.get(), stop, &rng};
}

Result<std::shared_ptr<const whisper::EncoderOutput>> Decoding::encode(std::span<const float> mel, int n_ctx) {
    ATELIER_TRY_ASSIGN(auto enc, model->encode(mel, *session, stop, n_ctx > 0 ? n_ctx : model->config().n_audio_ctx));
    return std::shared_ptr<const whisper::EncoderOutput>(std::make_shared<whisper::EncoderOutput>(std::move(enc)));
}

Status Decoding::ensure_language(const std::shared_ptr<const whisper::EncoderOutput>& enc) {
    if (!language.empty()) return ok_status();
    ATELIER_TRY_ASSIGN(LanguageGuess g, detect_language(context(), enc));
    language = g.code;
    language_id = g.id;
    language_probability = g.probability;
    return ok_status();
}

Result<WindowOutcome> Decoding::run_window(const std::shared_ptr<const whisper::EncoderOutput>& enc, const WindowInput& in) {
    WindowOptions wo;
    wo.beam_size = std::max(1, options.beam_size);
    wo.best_of = std::max(1, options.best_of);
    wo.patience = options.patience;
    wo.length_penalty = options.length_penalty;
    wo.language_id = language_id;
    wo.task = options.task;
    wo.without_timestamps = options.without_timestamps;
    wo.prompt = in.prompt;
    wo.sample_len = in.max_tokens;
    FallbackOptions fb;
    fb.temperatures = options.temperatures.empty() ? std::vector<float>{0.0f} : options.temperatures;
    fb.compression_ratio_threshold = options.compression_ratio_threshold;
    fb.logprob_threshold = options.logprob_threshold;
    fb.no_speech_threshold = options.no_speech_threshold;
    ATELIER_TRY_ASSIGN(WindowResult r, decode_with_fallback(context(), enc, wo, fb));
    WindowOutcome out;
    out.result = r;
    if (options.no_speech_threshold > 0 && r.no_speech_prob > options.no_speech_threshold &&
        !(options.logprob_threshold > -1e9f && r.avg_logprob > options.logprob_threshold)) {
        out.skipped = true;  // silence: no text, advance by the whole window
        out.seek_frames = in.segment_frames;
        return out;
    }
    split_segments(r.tokens, tokens.timestamp_begin, in, out);
    if (options.word_timestamps) {
        AlignParams ap{language_id, language, options.task, static_cast<int>(in.segment_frames), in.time_offset_s, last_speech_s};
        ATELIER_TRY(add_word_timestamps(context(), enc, out.segments, ap));
        last_speech_s = ap.last_speech_s;
        if (!out.single_timestamp_ending) {  // seek to the last word's end
            double last_end = out.segments.empty() ? -1 : out.segments.back().end_s;  // OpenAI's get_end
            for (const auto& s : out.segments)
                for (const auto& w : s.words) last_end = w.end_s;
            if (last_end > in.time_offset_s)
                out.seek_frames = std::llround(last_end * 100.0) - in.seek_frame;
        }
    }
    return out;
}

// OpenAI: consecutive timestamps close segments; a lone final timestamp means no speech after it.
void split_segments(const std::vector<int32_t>& toks, int32_t tb, const WindowInput& in, WindowOutcome& out) {
    const auto is_ts = [&](size_t i) { return toks[i] >= tb; };
    const size_t n = toks.size();
    out.single_timestamp_ending = n >= 2 && !is_ts(n - 2) && is_ts(n - 1);
    std::vector<size_t> slices;
    for (size_t i = 1; i < n; ++i)
        if (is_ts(i - 1) && is_ts(i)) slices.push_back(i);
    const double prec = kTimePrecisionS;
    if (!slices.empty()) {
        out.closed = true;
        if (out.single_timestamp_ending) slices.push_back(n);
        size_t last = 0;
        for (size_t cur : slices) {
            RawSegment s;
            s.tokens.assign(toks.begin() + static_cast<ptrdiff_t>(last), toks.begin() + static_cast<ptrdiff_t>(cur));
            s.start_s = in.time_offset_s + (s.tokens.front() - tb) * prec;
            s.end_s = in.time_offset_s + (s.tokens.back() - tb) * prec;
            out.segments.push_back(std::move(s));
            last = cur;
        }
        if (out.single_timestamp_ending) out.seek_frames = in.segment_frames;
        else out.seek_frames = int64_t{toks[last - 1] - tb} * 2;  // 2 mel frames per timestamp step
        return;
    }
    double duration = static_cast<double>(in.segment_frames) * 0.01;
    int32_t last_ts = -1;
    for (int32_t id : toks)
        if (id >= tb) last_ts = id;
    if (last_ts >= 0 && last_ts != tb) duration = (last_ts - tb) * prec;
    RawSegment s;
    s.tokens = toks;
    s.start_s = in.time_offset_s;
    s.end_s = in.time_offset_s + duration;
    out.segments.push_back(std::move(s));
    out.seek_frames = in.segment_frames;
}

Segment Decoding::finish_segment(const RawSegment& raw, const WindowResult& r) const {
    Segment s;
    s.start_ms = to_ms(raw.start_s);
    s.end_ms = to_ms(raw.end_s);
    s.text = tokens_text(*model->tokenizer(), tokens, raw.tokens);
    s.tokens = raw.tokens;
    s.avg_logprob = r.avg_logprob;
    s.no_speech_prob = r.no_speech_prob;
    s.compression_ratio = r.compression_ratio;
    s.temperature = r.temperature;
    for (const auto& w : raw.words)
        s.words.push_back(Word{to_ms(w.start_s), to_ms(w.end_s), w.word, static_cast<float>(w.probability)});
    return s;
}

bool segment_is_empty(const Segment& s) {
    return s.start_ms == s.end_ms || s.text.find_first_not_of(" \t\r\n") == std::string::npos;
}

// The seek loop over the whole (VAD-cut) audio.
Status long_form(Decoding& d, std::span<const float> pcm, const TranscribeCallbacks& cb, const SilenceCut* cut,
                        Transcript& out) {
    const auto& cfg = d.model->config();
    const int window = cfg.n_mel_frames();
    audio::MelOptions mo;
    mo.frames = audio::MelFrames::LongForm;
    mo.tail_padding_samples = int64_t{window} * audio::kHop;
    ATELIER_TRY_ASSIGN(audio::LogMel mel, audio::whisper_log_mel(pcm, cfg.n_mels, mo));
    const int64_t content = std::max<int64_t>(0, mel.n_frames - window);
    std::vector<int32_t> all_tokens = d.initial_prompt;
    size_t prompt_reset_since = 0;
    int64_t seek = 0;
    while (seek < content) {
        if (d.stop.stop_requested()) return make_error(ErrorCode::Cancelled, "transcription cancelled");
        WindowInput in;
        in.seek_frame = seek;
        in.segment_frames = std::min<int64_t>(window, content - seek);
        in.time_offset_s = static_cast<double>(seek) * 0.01;
        in.prompt.assign(all_tokens.begin() + static_cast<ptrdiff_t>(prompt_reset_since), all_tokens.end());
        ATELIER_TRY_ASSIGN(auto wmel, window_mel(mel, seek, in.segment_frames, window,
                                                  d.options.silence_padding && d.options.vad));
        ATELIER_TRY_ASSIGN(auto enc, d.encode(wmel));
        ATELIER_TRY(d.ensure_language(enc));
        ATELIER_TRY_ASSIGN(WindowOutcome w, d.run_window(enc, in));
        seek += std::max<int64_t>(w.seek_frames, 1);
        for (const RawSegment& raw : w.segments) {
            Segment s = d.finish_segment(raw, w.result);
            if (segment_is_empty(s)) continue;  // OpenAI clears these (their tokens leave the prompt too)
            all_tokens.insert(all_tokens.end(), s.tokens.begin(), s.tokens.end());
            if (cut) {
                map_segment_times(s, *cut);
                snap_segment_to_speech(s, cut->regions);
            }
            if (cb.on_segment) cb.on_segment(s);
            out.segments.push_back(std::move(s));
        }
        if (!d.options.condition_on_previous_text || w.result.temperature > 0.5f) prompt_reset_since = all_tokens.size();
        if (cb.on_progress) {
            const int64_t done = std::min(seek, content);
            const int64_t done_ms = cut ? cut->to_original_ms(done * 10, true) : done * 10;
            cb.on_progress(content ? static_cast<double>(done) / static_cast<double>(content) : 1.0, done_ms);
        }
    }
    return ok_status();
}

namespace {
// A time in a pause moves to the edge of the speech next to it (toward `forward`'s side), when
// that edge lies within [lo, hi]. Regions are in samples; times in ms.
int64_t snap_to_speech(int64_t ms, const std::vector<SpeechRegion>& regions, bool forward, int64_t lo, int64_t hi) {
    const int64_t x = ms * 16;
    for (size_t i = 0; i < regions.size(); ++i) {
        if (x >= regions[i].start && x < regions[i].end) return ms;  // inside speech: keep
        if (x < regions[i].start) {  // in the pause before region i
            const int64_t edge = forward ? regions[i].start / 16 : (i > 0 ? regions[i - 1].end / 16 : -1);
            return edge >= lo && edge <= hi ? edge : ms;
        }
    }
    const int64_t edge = forward || regions.empty() ? -1 : regions.back().end / 16;
    return edge >= lo && edge <= hi ? edge : ms;
}
}  // namespace

// Segment (and word) edges that the decoder put in a pause move to the speech next to them: a
// start to the next onset, an end back to the last offset (the energy VAD's regions).
void snap_segment_to_speech(Segment& s, const std::vector<SpeechRegion>& regions) {
    if (regions.empty()) return;
    s.start_ms = snap_to_speech(s.start_ms, regions, true, s.start_ms, s.end_ms - 1);
    s.end_ms = snap_to_speech(s.end_ms, regions, false, s.start_ms + 1, s.end_ms);
    for (Word& w : s.words) {
        w.start_ms = snap_to_speech(w.start_ms, regions, true, w.start_ms, w.end_ms - 1);
        w.end_ms = snap_to_speech(w.end_ms, regions, false, w.start_ms + 1, w.end_ms);
    }
}

void map_segment_times(Segment& s, const SilenceCut& cut) {
    s.start_ms = cut.to_original_ms(s.start_ms, false);
    s.end_ms = cut.to_original_ms(s.end_ms, true);
    for (Word& w : s.words) {
        w.start_ms = cut.to_original_ms(w.start_ms, false);
        w.end_ms = cut.to_original_ms(w.end_ms, true);
    }
}

Result<Transcript> transcribe(const whisper::WhisperModel& model, std::span<const float> pcm, const TranscribeOptions& options,
                              const TranscribeCallbacks& callbacks, std::stop_token stop) {
    const FlushDenormalsScope flush_denormals;  // core/float-env.h
    for (size_t i = 0; i < pcm.size(); ++i)
        if (!std::isfinite(pcm[i]))
            return make_error(ErrorCode::InvalidArgument, "audio sample " + std::to_string(i) + " is not a finite number",
                              "decode the audio again; the input is damaged");
    ATELIER_TRY_ASSIGN(Decoding d, Decoding::create(model, options, stop));
    Transcript out;
    SilenceCut cut;
    std::span<const float> audio = pcm;
    if (options.vad) {
        cut = cut_silences(pcm);
        audio = cut.audio;
    }
    if (audio.empty() || (options.vad && !cut.any_speech)) {  // no speech at all: no text
        out.language = d.language.empty() ? std::string() : d.language;
        out.language_probability = d.language_probability;
        if (callbacks.on_progress) callbacks.on_progress(1.0, static_cast<int64_t>(pcm.size()) / 16);
        return out;
    }
    ATELIER_TRY(long_form(d, audio, callbacks, options.vad ? &cut : nullptr, out));
    out.language = d.language;
    out.language_probability = d.language_probability;
    return out;
}

}  // namespace atelier::infer::speech
