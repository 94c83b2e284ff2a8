// Live transcription (transcribe-live.h): PortAudio capture into a FloatRing, decimation to
// 16 kHz and the LiveRecogniser on the job worker, captions as partials, the take stored at the end.
// Invariant: the audio callback touches only the ring and atomics.
// Thread-safety: the capture callback on PortAudio's thread; everything else on the job worker.
#include "pipelines/transcribe-live.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <ctime>
#include <span>
#include <numbers>
#include <thread>

#include <nlohmann/json.hpp>

#include "media/audio-device.h"
#include "media/ring-buffer.h"
#include "pipelines/studio.h"

namespace atelier::pipelines {
using nlohmann::json;

namespace {

struct Capture {
    explicit Capture(size_t floats) : ring(floats) {}
    media::FloatRing ring;
    int channels = 1;
    std::atomic<uint64_t> overruns{0};
    std::atomic<int64_t> frames{0};

    static bool callback(void* user, const float* in, float*, size_t frames) {
        auto* self = static_cast<Capture*>(user);
        if (in == nullptr) return true;
        const size_t n = frames * static_cast<size_t>(self->channels);
        if (self->ring.available_write() < n) {
            self->overruns.fetch_add(1, std::memory_order_relaxed);
            return true;
        }
        self->ring.write(in, n);
        self->frames.fetch_add(static_cast<int64_t>(frames), std::memory_order_release);
        return true;
    }
};

std::string live_title() { return local_time_text("Microphone %Y-%m-%d %H:%M"); }

std::string caption_json(const LiveUpdate& u, int64_t elapsed_ms) {
    json finals = json::array();
    for (const auto& s : u.finals) finals.push_back(json::parse(segment_partial_json(s)));
    return json{{"final", finals}, {"partial", u.partial_text}, {"partial_start_ms", u.partial_start_ms},
                {"elapsed_ms", elapsed_ms}}
        .dump(-1, ' ', false, json::error_handler_t::replace);
}

// Moves what the ring holds, up to `*budget_frames` frames, mixed to mono and decimated to
// 16 kHz, to the end of `pending`.
void drain(Capture& cap, Decimator& dec, std::vector<float>& raw, std::vector<float>& mono, std::vector<float>& pending,
           int64_t* budget_frames) {
    const size_t ch = static_cast<size_t>(cap.channels);
    const size_t avail = std::min(cap.ring.available_read() / ch, size_t(std::max<int64_t>(0, *budget_frames))) * ch;
    if (avail == 0) return;
    *budget_frames -= int64_t(avail / ch);
    raw.resize(avail);
    cap.ring.read(raw.data(), avail);
    mono.resize(avail / ch);
    for (size_t i = 0; i < mono.size(); ++i) {
        float acc = 0.0f;
        for (size_t c = 0; c < ch; ++c) acc += raw[i * ch + c];
        mono[i] = acc / static_cast<float>(ch);
    }
    dec.process(mono.data(), mono.size(), pending);
}

// Captures until cancel, max duration or the end of the stream; every step the recogniser gets at
// most one step's worth of new audio (at least 1 s), so a backlog (a recogniser slower than real
// time, or a burst from the device) is decoded in order, never skipped; captions go out every
// step. After the capture ends, what is still pending is decoded before returning.
Status capture_loop(JobContext& ctx, media::AudioStream& stream, Capture& cap, LiveRecogniser& live,
                    const MicrophoneOptions& mic, int64_t* fed_ms_out) {
    Decimator dec(mic.sample_rate_hz / kTranscribeSampleRate);
    std::vector<float> raw, mono, pending;
    const int64_t max_frames = mic.max_duration_ms * mic.sample_rate_hz / 1000;
    const size_t chunk = size_t(kTranscribeSampleRate) * size_t(std::max(mic.step_ms, 1000)) / 1000;
    auto last_step = std::chrono::steady_clock::now();
    bool ended = false, last_step_done = false;
    int64_t fed_ms = 0, budget = max_frames;
    for (;;) {
        if (!ended) {
            const media::StreamState st = stream.state();
            const int64_t frames = cap.frames.load(std::memory_order_acquire);
            ended = ctx.cancelled() || frames >= max_frames || st == media::StreamState::Finished ||
                    st == media::StreamState::DeviceLost;
            drain(cap, dec, raw, mono, pending, &budget);
            if (ended && st == media::StreamState::DeviceLost && frames == 0) return stream.lost_error();
            if (ended) (void)stream.stop();  // what is captured is in `pending`
            ctx.progress(double(frames) / double(std::max<int64_t>(1, max_frames)), "listen");
        }
        const auto now = std::chrono::steady_clock::now();
        const bool due = now - last_step >= std::chrono::milliseconds(mic.step_ms);
        if ((!pending.empty() && (ended || due)) || (ended && !last_step_done)) {
            last_step = now;
            const size_t n = std::min(chunk, pending.size());
            if (n > 0) ATELIER_TRY(live.push(std::span<const float>(pending.data(), n)));
            pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(n));
            fed_ms += int64_t(n) * 1000 / kTranscribeSampleRate;
            *fed_ms_out = fed_ms;
            ATELIER_TRY_ASSIGN(LiveUpdate u, live.step(std::stop_token{}));
            ctx.partial("caption", caption_json(u, fed_ms));
            last_step_done = ended && pending.empty();
        }
        if (ended && pending.empty() && last_step_done) return ok_status();
        if (!ended) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

}  // namespace

std::string local_time_text(const char* strftime_format) {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    localtime_r(&t, &tm);
    char buf[128];
    return std::strftime(buf, sizeof buf, strftime_format, &tm) > 0 ? std::string(buf) : std::string();
}

Decimator::Decimator(int factor) : factor_(std::max(1, factor)) {
    if (factor_ == 1) return;
    const int half = 24 * factor_;
    const double fc = 7600.0 / (double(kTranscribeSampleRate) * factor_);  // cycles per input sample
    taps_.resize(static_cast<size_t>(2 * half + 1));
    double sum = 0.0;
    for (int k = -half; k <= half; ++k) {
        const double x = 2.0 * fc * k;
        const double sinc = k == 0 ? 1.0 : std::sin(std::numbers::pi * x) / (std::numbers::pi * x);
        const double w = 0.42 + 0.5 * std::cos(std::numbers::pi * k / half) + 0.08 * std::cos(2.0 * std::numbers::pi * k / half);
        taps_[static_cast<size_t>(k + half)] = static_cast<float>(2.0 * fc * sinc * w);
        sum += 2.0 * fc * sinc * w;
    }
    for (float& t : taps_) t = static_cast<float>(t / sum);  // unity gain at DC
    history_.assign(taps_.size() - 1, 0.0f);
}

void Decimator::process(const float* in, size_t n, std::vector<float>& out) {
    if (factor_ == 1) {
        out.insert(out.end(), in, in + n);
        return;
    }
    std::vector<float> work(history_);
    work.insert(work.end(), in, in + n);
    const size_t L = taps_.size();
    size_t j = (L - 1) + phase_;
    for (; j < work.size(); j += static_cast<size_t>(factor_)) {
        float acc = 0.0f;
        for (size_t k = 0; k < L; ++k) acc += taps_[k] * work[j - k];
        out.push_back(acc);
    }
    phase_ = j - work.size();
    history_.assign(work.end() - static_cast<std::ptrdiff_t>(L - 1), work.end());
}

Result<TranscribeReport> transcribe_microphone(JobContext& ctx, projects::Project* project, const MicrophoneOptions& mic,
                                               const TranscribeSettings& settings, const RecogniserLoader& loader) {
    ATELIER_TRY(validate_transcribe_settings(settings));
    if (mic.sample_rate_hz != 16000 && mic.sample_rate_hz != 32000 && mic.sample_rate_hz != 48000)
        return make_error(ErrorCode::InvalidArgument, "microphone rate " + std::to_string(mic.sample_rate_hz) + " Hz",
                          "capture at 16000, 32000 or 48000 Hz");
    if (mic.max_duration_ms <= 0 || mic.channels < 1 || mic.step_ms <= 0)
        return make_error(ErrorCode::InvalidArgument, "microphone capture needs a positive duration, channels and step");
    TranscribeReport r;
    auto t0 = std::chrono::steady_clock::now();
    ATELIER_TRY_ASSIGN(std::shared_ptr<Recogniser> rec, (loader ? loader : whisper_loader())(settings, ctx));
    if (!rec) return make_error(ErrorCode::Internal, "the recogniser loader returned nothing");
    r.load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    r.model = rec->model_name();
    ATELIER_TRY_ASSIGN(std::unique_ptr<LiveRecogniser> live, rec->live(settings));
    ATELIER_TRY(ctx.check_cancel());
    Capture cap(mic.ring_frames * static_cast<size_t>(mic.channels));
    cap.channels = mic.channels;
    media::StreamSettings ss{.device = mic.device, .sample_rate_hz = mic.sample_rate_hz, .channels = mic.channels,
                             .frames_per_buffer = 256, .latency_s = 0};
    ATELIER_TRY_ASSIGN(auto stream, media::AudioStream::open(media::StreamDirection::Capture, ss, &Capture::callback, &cap));
    ATELIER_TRY(stream->start());
    t0 = std::chrono::steady_clock::now();
    Status st = capture_loop(ctx, *stream, cap, *live, mic, &r.audio_ms);
    (void)stream->stop();
    if (!st.ok()) return st.error();
    if (cap.overruns.load() > 0)
        ctx.log(LogLevel::Warn, std::to_string(cap.overruns.load()) + " microphone buffers were dropped (the recogniser fell behind)");
    r.stopped_by_cancel = ctx.cancelled();
    ctx.progress(-1.0, "finish");
    ATELIER_TRY_ASSIGN(Recognition done, live->finish(std::stop_token{}));
    r.recognise_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    r.doc = transcript_doc_from(done, live_title());
    r.language_probability = done.language_probability;
    if (r.doc.transcript.language.empty() && settings.language != "auto") r.doc.transcript.language = settings.language;
    if (project == nullptr) return r;
    return store_recognition(*project, std::move(r), settings, ctx.spec().uuid);
}

JobId submit_transcribe_microphone(Studio& studio, MicrophoneOptions mic, TranscribeSettings settings,
                                   RecogniserLoader loader, std::shared_ptr<TranscribeReport> report) {
    json params = json::parse(transcribe_settings_json(settings));
    params["source"] = "microphone";
    params["device"] = mic.device;
    JobSpec spec{.uuid = {}, .kind = "transcribe", .title = "Live transcription",
                 .params_json = params.dump(-1, ' ', false, json::error_handler_t::replace)};
    projects::Project* project = &studio.project();
    return studio.submit_job(std::move(spec), [=](JobContext& ctx) -> Status {
        ATELIER_TRY_ASSIGN(TranscribeReport r, transcribe_microphone(ctx, project, mic, settings, loader));
        if (report) *report = std::move(r);
        return ok_status();  // a cancel only ended the take: the job is done
    });
}

}  // namespace atelier::pipelines
