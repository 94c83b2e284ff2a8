// The real recogniser behind the transcribe seam (transcribe.h): Whisper models from
// inference/arch/whisper run by inference/speech (transcribe(), LiveTranscriber). Loaded models
// are shared while any job holds them (a weak cache by path), so transcribing several files, or
// a file while captions run, loads the weights once.
// Thread-safety: the cache is guarded by a mutex; a recogniser serves one call at a time (its
// jobs), and the model itself is immutable and shareable.
#include <map>
#include <mutex>

#include "inference/arch/whisper/whisper.h"
#include "inference/speech/transcribe.h"
#include "pipelines/transcribe.h"

namespace atelier::pipelines {
namespace fs = std::filesystem;
namespace sp = infer::speech;
namespace wh = infer::whisper;

namespace {

sp::TranscribeOptions options_from(const TranscribeSettings& s) {
    sp::TranscribeOptions o;
    o.language = s.language.empty() ? "auto" : s.language;
    o.task = s.task == TranscribeTask::Translate ? sp::TranscribeOptions::Task::Translate : sp::TranscribeOptions::Task::Transcribe;
    o.beam_size = s.beam_size;
    o.word_timestamps = s.word_timestamps;
    o.vad = s.vad;
    o.initial_prompt = s.initial_prompt;
    o.n_threads = s.threads;
    return o;
}

RecognisedSegment segment_from(const sp::Segment& s) {
    RecognisedSegment out;
    out.start_ms = s.start_ms;
    out.end_ms = s.end_ms;
    out.text = s.text;
    out.avg_logprob = s.avg_logprob;
    out.no_speech_prob = s.no_speech_prob;
    for (const auto& w : s.words) out.words.push_back({w.start_ms, w.end_ms, w.text, w.probability});
    return out;
}

Recognition recognition_from(const sp::Transcript& t) {
    Recognition r;
    r.language = t.language;
    r.language_probability = t.language_probability;
    for (const auto& s : t.segments) r.segments.push_back(segment_from(s));
    return r;
}

class WhisperLive : public LiveRecogniser {
public:
    WhisperLive(std::shared_ptr<const wh::WhisperModel> model, const TranscribeSettings& s)
        : model_(std::move(model)), live_(*model_, options_from(s)) {}
    Status push(std::span<const float> pcm) override { return live_.push(pcm); }
    Result<LiveUpdate> step(std::stop_token stop) override {
        ATELIER_TRY_ASSIGN(sp::LiveUpdate u, live_.step(stop));
        LiveUpdate out;
        for (const auto& s : u.final_segments) out.finals.push_back(segment_from(s));
        out.partial_text = u.partial_text;
        out.partial_start_ms = u.partial_start_ms;
        return out;
    }
    Result<Recognition> finish(std::stop_token stop) override {
        ATELIER_TRY_ASSIGN(sp::Transcript t, live_.finish(stop));
        return recognition_from(t);
    }

private:
    std::shared_ptr<const wh::WhisperModel> model_;  // outlives live_ (declared first)
    sp::LiveTranscriber live_;
};

class WhisperRecogniser : public Recogniser {
public:
    WhisperRecogniser(std::shared_ptr<const wh::WhisperModel> model, std::string name)
        : model_(std::move(model)), name_(std::move(name)) {}
    std::string model_name() const override { return name_; }
    Result<Recognition> transcribe(std::span<const float> pcm, const TranscribeSettings& s, const RecogniserCallbacks& cb,
                                   std::stop_token stop) override {
        sp::TranscribeCallbacks c;
        if (cb.on_segment) c.on_segment = [&cb](const sp::Segment& seg) { cb.on_segment(segment_from(seg)); };
        c.on_progress = cb.on_progress;
        ATELIER_TRY_ASSIGN(sp::Transcript t, sp::transcribe(*model_, pcm, options_from(s), c, stop));
        return recognition_from(t);
    }
    Result<std::unique_ptr<LiveRecogniser>> live(const TranscribeSettings& s) override {
        return std::unique_ptr<LiveRecogniser>(std::make_unique<WhisperLive>(model_, s));
    }

private:
    std::shared_ptr<const wh::WhisperModel> model_;
    std::string name_;
};

std::mutex g_cache_mutex;
std::map<std::string, std::weak_ptr<const wh::WhisperModel>> g_cache;  // by canonical path

std::string model_name_of(const fs::path& model) {
    const fs::path p = model.has_filename() ? model : model.parent_path();
    std::string name = p.filename().string();
    if (name == "config.json" || p.extension() == ".safetensors") name = p.parent_path().filename().string();
    return name;
}

}  // namespace

Result<std::shared_ptr<Recogniser>> load_whisper_recogniser(const TranscribeSettings& s, JobContext& ctx) {
    ATELIER_TRY(check_whisper_model(s.model));
    std::error_code ec;
    fs::path path = s.model;
    if (path.filename() == "config.json" || path.extension() == ".safetensors") path = path.parent_path();
    const std::string key = fs::weakly_canonical(path, ec).string();
    std::shared_ptr<const wh::WhisperModel> model;
    {
        std::lock_guard lock(g_cache_mutex);
        model = g_cache[key].lock();
    }
    if (!model) {
        ctx.progress(0.0, "load");
        infer::LoadOptions lo;
        lo.stop = ctx.stop_token();
        lo.progress = [&ctx](double f, std::string_view) { ctx.progress(f, "load"); };
        ATELIER_TRY_ASSIGN(std::unique_ptr<wh::WhisperModel> loaded, wh::WhisperModel::load(path, lo));
        if (loaded->tokenizer() == nullptr)
            return make_error(ErrorCode::ModelUnsupported, path.string() + ": the Whisper model has no tokenizer beside it",
                              "put tokenizer.json next to the weights, or use a whisper.cpp .bin file");
        model = std::shared_ptr<const wh::WhisperModel>(std::move(loaded));
        std::lock_guard lock(g_cache_mutex);
        g_cache[key] = model;
    }
    return std::shared_ptr<Recogniser>(std::make_shared<WhisperRecogniser>(std::move(model), model_name_of(s.model)));
}

}  // namespace atelier::pipelines
