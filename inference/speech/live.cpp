// LiveTranscriber (see transcribe.h): a sliding window over the microphone audio not yet final.
// Each step decodes that audio (greedy, first temperature only, timestamps on, the encoder on a
// reduced audio context covering the buffer); closed segments that end stable_margin_ms before
// the newest audio and that two steps in a row agree on are final, and the window starts after
// them; the rest is the partial text. With min_step_ms under commit_step_ms, only every
// commit_step_ms of audio does a step decide finals; those between show partial text and change
// nothing else. A step's token budget follows the audio it holds (a loop on
// a short window ends early). Quiet audio (no 10 ms frame above -50 dBFS) is not decoded;
// it and no-speech windows are dropped, keeping the last second.
// Thread-safety: push() takes a mutex; step()/finish() on one worker thread.
#include <algorithm>
#include <cstdlib>
#include <mutex>

#include "core/float-env.h"
#include "inference/audio/log-mel.h"
#include "inference/speech/transcribe-internal.h"

namespace atelier::infer::speech {

// A short prompt: the window is short too, and a long history invites Whisper to repeat it.
constexpr size_t kLivePromptTokens = 48;
constexpr int64_t kLiveTokensPerS = 8;  // token budget of a step per second of buffered audio

struct LiveTranscriber::Impl {
    const LiveTranscriber* owner = nullptr;  // its public tuning fields
    const whisper::WhisperModel* model = nullptr;
    TranscribeOptions options;
    std::unique_ptr<Decoding> dec;
    std::mutex mu;
    std::vector<float> pending;  // pushed, not yet taken (guarded by mu)
    std::vector<float> buffer;   // audio from buffer_start, not yet final
    int64_t buffer_start = 0;    // stream sample index of buffer[0]
    int64_t received = 0;        // samples taken from pending so far
    int64_t decoded_at = -1;     // `received` at the last decode
    std::vector<int32_t> prompt;  // tokens of the last final segments (at most kLivePromptTokens)
    std::vector<Segment> finals;
    std::vector<Segment> previous;  // the last deciding step's segments that did not become final (see agreed())
    int64_t committed_at = -1;       // `received` at the last step that could decide finals
    int last_audio_ctx = 0;          // the last decode's encoder frames

    bool agreed(const Segment& s) const {
        for (const Segment& p : previous)
            if (p.text == s.text && std::llabs(p.start_ms - s.start_ms) <= 300) return true;
        return false;
    }

    void take_pending() {
        std::lock_guard lock(mu);
        buffer.insert(buffer.end(), pending.begin(), pending.end());
        received += static_cast<int64_t>(pending.size());
        pending.clear();
    }
    void drop_front(int64_t samples) {
        samples = std::clamp<int64_t>(samples, 0, static_cast<int64_t>(buffer.size()));
        buffer.erase(buffer.begin(), buffer.begin() + samples);
        buffer_start += samples;
    }
    Status ensure_decoder(std::stop_token stop) {
        if (!dec) {
            TranscribeOptions o = options;
            o.beam_size = std::max(1, owner->beam_size);
            if (!o.temperatures.empty()) o.temperatures.resize(1);
            ATELIER_TRY_ASSIGN(Decoding d, Decoding::create(*model, o, stop));
            dec = std::make_unique<Decoding>(std::move(d));
        }
        dec->stop = stop;
        return ok_status();
    }
    Result<WindowOutcome> decode_buffer();
    int context_frames(int64_t content_mel_frames) const {
        const int n_audio_ctx = model->config().n_audio_ctx;
        if (!owner->reduced_context) return n_audio_ctx;
        const int64_t frames = (content_mel_frames + owner->context_pad_ms / 10 + 1) / 2;
        return static_cast<int>(std::clamp<int64_t>(std::max<int64_t>(frames, owner->min_context_ms / 20), 1, n_audio_ctx));
    }
    Segment to_stream(const RawSegment& raw, const WindowResult& r) const {
        Segment s = dec->finish_segment(raw, r);
        const int64_t off = buffer_start / 16;
        s.start_ms += off, s.end_ms += off;
        for (Word& w : s.words) w.start_ms += off, w.end_ms += off;
        return s;
    }
};

Result<WindowOutcome> LiveTranscriber::Impl::decode_buffer() {
    const int full = model->config().n_mel_frames();
    audio::MelOptions mo;
    mo.frames = audio::MelFrames::LongForm;
    mo.tail_padding_samples = int64_t{full} * audio::kHop;
    ATELIER_TRY_ASSIGN(audio::LogMel mel, audio::whisper_log_mel(buffer, model->config().n_mels, mo));
    const int64_t content = std::min<int64_t>(full, std::max<int64_t>(0, mel.n_frames - full));
    // The reduced context: the buffered audio plus context_pad_ms of padding (mel frames are
    // 10 ms, encoder frames 20 ms), never under min_context_ms. Its padding is the log-mel of
    // silence (the zeros after the audio), not the zero mel values a 30 s window is padded with:
    // on a short context Whisper loops far more often on the latter (e2e clip in 1 s chunks:
    // WER 19.5 % vs 5.9 %).
    const int n_ctx = context_frames(content);
    const int window = 2 * n_ctx;
    std::vector<float> wmel(static_cast<size_t>(mel.n_mels) * static_cast<size_t>(window), 0.0f);
    for (int m = 0; m < mel.n_mels; ++m)
        std::copy_n(mel.data.begin() + static_cast<ptrdiff_t>(m * mel.n_frames), std::min<int64_t>(owner->reduced_context ? mel.n_frames : content, window),
                    wmel.begin() + static_cast<ptrdiff_t>(m) * window);
    ATELIER_TRY_ASSIGN(auto enc, dec->encode(wmel, n_ctx));
    last_audio_ctx = n_ctx;
    ATELIER_TRY(dec->ensure_language(enc));
    WindowInput in;
    in.segment_frames = content;
    // Speech runs at 2-5 tokens/s: a short window that loops (Whisper repeats itself on a few
    // seconds of audio) stops early instead of filling the text context.
    in.max_tokens = static_cast<int>(std::min<int64_t>(model->config().n_text_ctx / 2, kLiveTokensPerS * content / 100 + 24));
    if (owner->prompt_with_finals && options.condition_on_previous_text) in.prompt = prompt;
    return dec->run_window(enc, in);
}

LiveTranscriber::LiveTranscriber(const whisper::WhisperModel& model, TranscribeOptions options) : impl_(std::make_unique<Impl>()) {
    impl_->owner = this;
    impl_->model = &model;
    impl_->options = std::move(options);
    impl_->options.vad = false;
}

LiveTranscriber::~LiveTranscriber() = default;

Status LiveTranscriber::push(std::span<const float> pcm16k) {
    std::lock_guard lock(impl_->mu);
    impl_->pending.insert(impl_->pending.end(), pcm16k.begin(), pcm16k.end());
    return ok_status();
}

Result<LiveUpdate> LiveTranscriber::step(std::stop_token stop) {
    const FlushDenormalsScope flush_denormals;  // core/float-env.h
    Impl& m = *impl_;
    m.take_pending();
    LiveUpdate up;
    up.audio_ms = m.received / 16;
    if ((m.decoded_at >= 0 && m.received - m.decoded_at < int64_t{min_step_ms} * 16) || m.buffer.size() < 3200) return up;
    ATELIER_TRY(m.ensure_decoder(stop));
    const int64_t window_samples =
        std::min<int64_t>(int64_t{m.model->config().n_mel_frames()} * audio::kHop, int64_t{max_window_ms} * 16);
    if (static_cast<int64_t>(m.buffer.size()) > window_samples) m.drop_front(static_cast<int64_t>(m.buffer.size()) - window_samples);
    m.decoded_at = m.received;
    // A step between deciding steps (see commit_step_ms) changes no state: partial text only.
    const bool commit = m.committed_at < 0 || m.received - m.committed_at >= int64_t{commit_step_ms} * 16;
    if (commit) m.committed_at = m.received;
    if (peak_frame_dbfs(m.buffer) < VadOptions{}.min_on_dbfs) {  // quiet: no decoder run, keep the last second
        if (commit) m.drop_front(static_cast<int64_t>(m.buffer.size()) - audio::kSampleRate);
        up.partial_start_ms = m.buffer_start / 16;
        return up;
    }
    up.decoded = true;
    ATELIER_TRY_ASSIGN(WindowOutcome w, m.decode_buffer());
    up.audio_ctx = m.last_audio_ctx;
    const double buffer_s = static_cast<double>(m.buffer.size()) / audio::kSampleRate;
    if (w.skipped) {  // silence: keep only the last second
        if (commit) m.drop_front(static_cast<int64_t>(m.buffer.size()) - audio::kSampleRate);
        up.partial_start_ms = m.buffer_start / 16;
        return up;
    }
    const bool full = buffer_s * 1000.0 > static_cast<double>(window_samples / 16 - stable_margin_ms);
    // Closed segments (ending at a timestamp pair, or at a lone last timestamp: silence after
    // it) that end stable_margin_ms before the newest audio and that the previous step decoded
    // the same way (same text, start within 0.3 s: Whisper rewrites the end of a window as more
    // audio comes) become final.
    // Segments starting at or after the end of the audio describe nothing (a loop on a short
    // context places its repeats there): they and the tokens after them are dropped.
    size_t n_real = 0;
    while (n_real < w.segments.size() && w.segments[n_real].start_s < buffer_s) ++n_real;
    const bool looped = n_real < w.segments.size();
    w.segments.resize(n_real);
    std::vector<Segment> segs;
    for (const RawSegment& r : w.segments) segs.push_back(m.to_stream(r, w.result));

    double final_end_s = 0;
    size_t n_final = 0;
    for (size_t i = 0; commit && i < segs.size() && (w.closed || w.single_timestamp_ending || full); ++i) {
        const bool stable = full || w.segments[i].end_s <= buffer_s - stable_margin_ms / 1000.0;
        if (!stable || (!full && !m.agreed(segs[i]))) break;
        final_end_s = w.segments[i].end_s;
        ++n_final;
    }
    std::string partial;
    // The snapshot finals are checked against comes from deciding steps only (commit_step_ms of
    // audio apart), so a faster step rate does not commit finals on less right context.
    if (commit) m.previous.clear();
    for (size_t i = 0; i < segs.size(); ++i) {
        Segment& s = segs[i];
        if (i < n_final) {
            m.prompt.insert(m.prompt.end(), s.tokens.begin(), s.tokens.end());
            if (m.prompt.size() > kLivePromptTokens)
                m.prompt.erase(m.prompt.begin(), m.prompt.end() - static_cast<ptrdiff_t>(kLivePromptTokens));
            if (!segment_is_empty(s)) up.final_segments.push_back(s), m.finals.push_back(std::move(s));
        } else {
            partial += s.text;
            if (commit) m.previous.push_back(std::move(s));
        }
    }
    size_t covered = 0;
    for (const RawSegment& s : w.segments) covered += s.tokens.size();
    if (!looped && covered < w.result.tokens.size())  // the unfinished tail
        partial += tokens_text(*m.model->tokenizer(), m.dec->tokens,
                               std::span<const int32_t>(w.result.tokens).subspan(covered));
    // The window restarts where the next segment starts (its end timestamp can come before the
    // last syllable, and a leftover fragment decodes as noise) less a 0.2 s lead-in, else after the
    // last final one.
    if (n_final > 0 && n_final < w.segments.size())
        final_end_s = std::max(final_end_s, w.segments[n_final].start_s - 0.2);  // 0.2 s lead-in kept
    if (n_final > 0) m.drop_front(static_cast<int64_t>(final_end_s * audio::kSampleRate));
    if (commit && full && n_final == 0) m.drop_front(static_cast<int64_t>(m.buffer.size()) / 2);  // never stall
    up.partial_text = std::move(partial);
    up.partial_start_ms = m.buffer_start / 16;
    return up;
}

Result<Transcript> LiveTranscriber::finish(std::stop_token stop) {
    const FlushDenormalsScope flush_denormals;  // core/float-env.h
    Impl& m = *impl_;
    m.take_pending();
    Transcript t;
    if (m.buffer.size() >= 3200) {
        ATELIER_TRY(m.ensure_decoder(stop));
        Decoding& d = *m.dec;
        d.initial_prompt.clear();  // a short tail with the stream's text as prompt tends to repeat it
        SilenceCut cut = cut_silences(m.buffer);  // the tail may be mostly silence
        Transcript tail;
        if (cut.any_speech) {
            ATELIER_TRY(long_form(d, cut.audio, {}, &cut, tail));
            const int64_t off = m.buffer_start / 16;
            for (Segment& s : tail.segments) {
                s.start_ms += off, s.end_ms += off;
                for (Word& w : s.words) w.start_ms += off, w.end_ms += off;
                m.finals.push_back(std::move(s));
            }
        }
        m.drop_front(static_cast<int64_t>(m.buffer.size()));
    }
    if (m.dec) t.language = m.dec->language, t.language_probability = m.dec->language_probability;
    t.segments = m.finals;
    return t;
}

}  // namespace atelier::infer::speech
