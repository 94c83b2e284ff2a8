// FakeRecogniser (fake-recogniser.h): tone finding by frame energy and zero crossings.
#include "fake-recogniser.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>
#include <thread>

namespace atelier::test {
namespace pl = pipelines;

namespace {

constexpr size_t kFrame = 320;          // 20 ms at 16 kHz
constexpr float kThreshold = 0.02f;      // RMS
constexpr size_t kMergeFrames = 15;      // gaps under 300 ms are merged

pl::RecognisedSegment make_segment(const float* pcm, size_t begin, size_t end, int64_t offset_ms) {
    // Frequency from the span between the first and the last zero crossing, counting a crossing
    // only between samples above 0.05 in size (filter ringing at the edges is not a period).
    size_t crossings = 0, first = 0, last = 0;
    int sign = 0;
    for (size_t i = begin; i < end; ++i) {
        if (std::fabs(pcm[i]) < 0.05f) continue;
        const int now = pcm[i] < 0.0f ? -1 : 1;
        if (sign != 0 && now != sign) {
            if (crossings++ == 0) first = i;
            last = i;
        }
        sign = now;
    }
    const double seconds = std::max<double>(1.0, double(last - first)) / 16000.0;
    const long hz = crossings < 2 ? 0 : std::lround(double(crossings - 1) / 2.0 / seconds / 10.0) * 10;
    pl::RecognisedSegment s;
    s.start_ms = offset_ms + int64_t(begin) * 1000 / 16000;
    s.end_ms = offset_ms + int64_t(end) * 1000 / 16000;
    s.text = " tone " + std::to_string(hz);
    const int64_t mid = (s.start_ms + s.end_ms) / 2;
    s.words = {{s.start_ms, mid, " tone", 0.9f}, {mid, s.end_ms, " " + std::to_string(hz), 0.4f}};
    s.avg_logprob = -0.2f;
    return s;
}

class FakeLive : public pl::LiveRecogniser {
public:
    Status push(std::span<const float> pcm) override {
        audio_.insert(audio_.end(), pcm.begin(), pcm.end());
        return ok_status();
    }
    Result<pl::LiveUpdate> step(std::stop_token) override {
        pl::LiveUpdate u;
        const int64_t now_ms = int64_t(audio_.size()) * 1000 / 16000;
        for (auto& s : find_tones(audio_.data(), audio_.size())) {
            if (s.end_ms + 400 <= now_ms) {
                if (s.start_ms >= emitted_until_ms_) {
                    emitted_until_ms_ = s.end_ms;
                    u.finals.push_back(std::move(s));
                }
            } else {
                u.partial_text = s.text;
                u.partial_start_ms = s.start_ms;
            }
        }
        return u;
    }
    Result<pl::Recognition> finish(std::stop_token) override {
        pl::Recognition r;
        r.language = "en";
        r.language_probability = 1.0f;
        r.segments = find_tones(audio_.data(), audio_.size());
        return r;
    }

private:
    std::vector<float> audio_;
    int64_t emitted_until_ms_ = -1;
};

}  // namespace

std::vector<pl::RecognisedSegment> find_tones(const float* pcm, size_t n, int64_t offset_ms) {
    std::vector<pl::RecognisedSegment> out;
    const size_t frames = n / kFrame;
    size_t run_begin = 0, last_voiced = 0;
    bool in_run = false;
    for (size_t f = 0; f <= frames; ++f) {
        bool voiced = false;
        if (f < frames) {
            double e = 0;
            for (size_t i = 0; i < kFrame; ++i) e += double(pcm[f * kFrame + i]) * pcm[f * kFrame + i];
            voiced = std::sqrt(e / kFrame) > kThreshold;
        }
        if (voiced && !in_run) in_run = true, run_begin = f;
        if (voiced) last_voiced = f;
        if (in_run && (f == frames || (!voiced && f - last_voiced > kMergeFrames))) {
            in_run = false;
            if (last_voiced + 1 - run_begin >= 5) out.push_back(make_segment(pcm, run_begin * kFrame, (last_voiced + 1) * kFrame, offset_ms));
        }
    }
    return out;
}

Result<pl::Recognition> FakeRecogniser::transcribe(std::span<const float> pcm, const pl::TranscribeSettings& settings,
                                                   const pl::RecogniserCallbacks& cb, std::stop_token stop) {
    pl::Recognition r;
    r.language = settings.language == "auto" ? "en" : settings.language;
    r.language_probability = 0.97f;
    auto segs = find_tones(pcm.data(), pcm.size());
    for (size_t i = 0; i < segs.size(); ++i) {
        if (stop.stop_requested()) return make_error(ErrorCode::Cancelled, "transcription cancelled");
        if (!settings.word_timestamps) segs[i].words.clear();
        if (cb.on_segment) cb.on_segment(segs[i]);
        if (cb.on_progress) cb.on_progress(double(i + 1) / double(segs.size()), segs[i].end_ms);
        if (opts_.segment_delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(opts_.segment_delay_ms));
        r.segments.push_back(segs[i]);
    }
    if (stop.stop_requested()) return make_error(ErrorCode::Cancelled, "transcription cancelled");
    return r;
}

Result<std::unique_ptr<pl::LiveRecogniser>> FakeRecogniser::live(const pl::TranscribeSettings&) {
    return std::unique_ptr<pl::LiveRecogniser>(std::make_unique<FakeLive>());
}

pl::RecogniserLoader fake_loader(FakeRecogniserOptions opts) {
    return [opts](const pl::TranscribeSettings&, JobContext&) -> Result<std::shared_ptr<pl::Recogniser>> {
        if (opts.loads) opts.loads->fetch_add(1);
        return std::shared_ptr<pl::Recogniser>(std::make_shared<FakeRecogniser>(opts));
    };
}

}  // namespace atelier::test
