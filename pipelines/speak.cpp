// The speak job (speak.h): voice lookup, synthesis into a WAV beside the destination (converted
// to the destination's format by the export path when it is not WAV, which also resamples for
// Opus), atomic rename, and the project's asset + generation rows.
// Thread-safety: see speak.h.
#include "pipelines/speak.h"

#include <algorithm>
#include <chrono>

#include <nlohmann/json.hpp>

#include "core/uuid.h"
#include "core/version.h"
#include "inference/session.h"
#include "inference/tts/speak.h"
#include "inference/tts/voices.h"
#include "media/media-writer.h"
#include "pipelines/export.h"
#include "pipelines/hash-cache.h"
#include "pipelines/import.h"

namespace atelier::pipelines {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

json settings_json(const SpeakSettings& s, const fs::path& voice_dir) {
    return json{{"voice", voice_dir.filename().string()}, {"voice_dir", voice_dir.string()}, {"speed", s.speed},
                {"sentence_silence_s", s.sentence_silence_s}, {"threads", s.threads}};
}

}  // namespace

std::vector<fs::path> voice_roots(const std::vector<fs::path>& extra) {
    std::vector<fs::path> roots;
    if (fs::path cache = model_cache_dir(); !cache.empty()) roots.push_back(std::move(cache));
    roots.insert(roots.end(), extra.begin(), extra.end());
    return roots;
}

Result<fs::path> find_voice(const std::string& name_or_path, const std::vector<fs::path>& roots) {
    if (name_or_path.empty())
        return make_error(ErrorCode::InvalidArgument, "no voice given", "pass --voice NAME or a voice folder (atelier-cli voices lists them)");
    std::error_code ec;
    if (fs::is_directory(name_or_path, ec)) return fs::path(name_or_path);
    std::string names;
    for (const fs::path& root : roots) {
        std::vector<std::string> problems;
        auto voices = infer::tts::list_voices(root, problems);
        if (!voices.ok()) continue;
        for (const auto& v : *voices) {
            if (v.name == name_or_path) return v.dir;
            names += (names.empty() ? "" : ", ") + v.name;
        }
    }
    return make_error(ErrorCode::NotFound, "no voice named '" + name_or_path + "'" + (names.empty() ? "" : " (found: " + names + ")"),
                      names.empty() ? "run scripts/fetch-models to install the Piper voice, or pass a voice folder"
                                    : "use one of the names listed, or a voice folder");
}

Result<SpeakReport> speak_to_file(JobContext& ctx, const std::string& text, const SpeakSettings& settings, const fs::path& out,
                                  bool overwrite) {
    if (!(settings.speed >= 0.25f && settings.speed <= 4.0f))
        return make_error(ErrorCode::InvalidArgument, "speed " + std::to_string(settings.speed) + " is outside 0.25..4", "for example --speed 1.2");
    ATELIER_TRY_ASSIGN(media::ContainerCodecs codecs, media::codecs_for_path(out));
    if (codecs.audio == media::AudioCodec::Invalid || codecs.video != media::VideoCodec::Invalid)
        return make_error(ErrorCode::InvalidArgument, out.string() + ": not an audio file name", "end it in .wav, .flac, .opus, .mp3 or .m4a");
    std::error_code ec;
    if (!overwrite && fs::exists(out, ec))
        return make_error(ErrorCode::AlreadyExists, out.string() + " already exists", "choose another name or pass --force");
    ATELIER_TRY_ASSIGN(fs::path voice_dir, find_voice(settings.voice, voice_roots()));
    ctx.progress(0.0, "load");
    ATELIER_TRY_ASSIGN(auto voice, infer::tts::VitsVoice::load(voice_dir));
    ATELIER_TRY_ASSIGN(auto session, infer::Session::create({.n_threads = settings.threads}));
    infer::tts::SpeakOptions so;
    so.length_scale = 1.0f / settings.speed;
    so.sentence_silence_s = settings.sentence_silence_s;
    so.speaker_id = settings.speaker_id;
    SpeakReport r;
    r.out = out;
    r.voice_dir = voice_dir;
    const auto t_synth = std::chrono::steady_clock::now();
    size_t done = 0;
    auto speech = infer::tts::speak(*voice, text, so, *session, ctx.stop_token(), [&](size_t i, std::span<const float>) {
        if (r.first_audio_ms < 0) r.first_audio_ms = ms_since(t_synth);
        done = i + 1;
        ctx.progress(-1.0, "sentence " + std::to_string(done));
    });
    if (!speech.ok()) return speech.error();
    r.synth_ms = ms_since(t_synth);
    r.sample_rate_hz = speech->sample_rate;
    r.samples = static_cast<int64_t>(speech->audio.size());
    r.duration_ms = r.samples * 1000 / std::max(1, r.sample_rate_hz);
    r.sentences = speech->sentences.size();
    r.warnings = speech->warnings;
    for (const auto& w : r.warnings) ctx.log(LogLevel::Warn, w);
    // Synthesised as WAV beside the destination (a WAV destination's own staging file); other
    // formats go through the converter into theirs.
    const fs::path staged = out.parent_path() / ("." + out.filename().string() + ".part" + out.extension().string());
    const fs::path wav = out.extension() == ".wav" ? staged : out.parent_path() / ("." + out.filename().string() + ".part.wav");
    Status st = media::write_audio_file(wav, speech->audio.data(), speech->audio.size(),
                                        {.codec = media::AudioCodec::Pcm16, .sample_rate_hz = r.sample_rate_hz, .channels = 1});
    if (st.ok() && wav != staged) {
        fs::remove(staged, ec);
        auto conv = convert_media(nullptr, wav, staged, {});
        if (!conv.ok()) st = conv.error();
        fs::remove(wav, ec);
    }
    if (st.ok() && ctx.cancelled()) st = make_error(ErrorCode::Cancelled, "speech cancelled");
    if (st.ok()) {
        fs::rename(staged, out, ec);
        if (ec) st = make_error(ErrorCode::IoError, out.string() + ": " + ec.message(), "check the folder is writable");
    }
    if (!st.ok()) {
        fs::remove(wav, ec);
        fs::remove(staged, ec);
        return st.error();
    }
    ctx.progress(1.0, "done");
    return r;
}

Status store_speech(JobContext& ctx, projects::Project& project, const std::string& text, const SpeakSettings& settings,
                    SpeakReport& report, const std::string& job_uuid) {
    ATELIER_TRY_ASSIGN(ImportReport imp, run_import(ctx, project.path(), {report.out}));
    if (!imp.failures.empty()) return imp.failures.front().error;
    ATELIER_TRY(commit_import(project, imp));
    report.import = imp;
    report.asset_uuid = !imp.added.empty() ? imp.added.front().asset.uuid : (!imp.duplicates.empty() ? imp.duplicates.front() : "");
    projects::Generation g;
    g.uuid = uuid_v7();
    g.kind = "speak";
    g.model = report.voice_dir.filename().string();
    if (auto h = cached_hash_file(report.voice_dir / "model.safetensors"); h.ok()) g.model_hash = h->hash;
    json params = settings_json(settings, report.voice_dir);
    params["text"] = text;
    params["output"] = report.out.string();
    if (!report.sentence_info.empty()) {
        json list = json::array();
        for (const SpokenSentenceInfo& si : report.sentence_info)
            list.push_back({{"text", si.text}, {"seed", si.seed}, {"speed", si.speed}, {"start_ms", si.start_ms},
                            {"duration_ms", si.duration_ms}});
        params["sentences"] = std::move(list);
    }
    g.params_json = params.dump(-1, ' ', false, json::error_handler_t::replace);
    g.status = "done";
    const double rtf = report.duration_ms > 0 ? report.synth_ms / static_cast<double>(report.duration_ms) : 0.0;
    g.timings_json = json{{"synth_ms", report.synth_ms}, {"first_audio_ms", report.first_audio_ms}, {"audio_ms", report.duration_ms},
                          {"real_time_factor", rtf}, {"sentences", report.sentences}}
                         .dump();
    g.app_version = ATELIER_VERSION;
    if (!job_uuid.empty() && project.get_job(job_uuid).ok()) g.job_uuid = job_uuid;
    if (!report.asset_uuid.empty()) g.output_asset_uuids.push_back(report.asset_uuid);
    ATELIER_TRY(project.insert_generation(g));
    report.generation_uuid = g.uuid;
    return ok_status();
}

}  // namespace atelier::pipelines
