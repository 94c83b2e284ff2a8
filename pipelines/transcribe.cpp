// The transcribe job (transcribe.h): settings <-> JSON, the Whisper model check, decoding to
// 16 kHz mono, recognition through the seam, and storing the result with its provenance.
// Invariant: a transcript and its generations row are written in one savepoint, so a transcript
// never exists without its provenance (and a cancelled or failed job writes neither).
// Thread-safety: worker functions on the job's thread; submit_*/register_* on the owner thread.
#include "pipelines/transcribe.h"

#include <chrono>
#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/hash.h"
#include "core/uuid.h"
#include "core/version.h"
#include "media/audio-reader.h"
#include "pipelines/studio.h"
#include "pipelines/transcribe-edit.h"

namespace atelier::pipelines {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

bool valid_language(const std::string& l) {
    if (l == "auto") return true;
    if (l.size() < 2 || l.size() > 3) return false;
    for (char c : l)
        if (c < 'a' || c > 'z') return false;
    return true;
}

Error not_whisper(const fs::path& model, const std::string& what) {
    return make_error(ErrorCode::ModelUnsupported, model.string() + ": not a Whisper model (" + what + ")",
                      "choose a Whisper folder (openai/whisper-* with config.json and model.safetensors) or a "
                      "whisper.cpp ggml .bin file");
}

Status check_whisper_config(const fs::path& model, const fs::path& config) {
    std::ifstream in(config);
    if (!in) return not_whisper(model, "no config.json beside the weights");
    json j = json::parse(in, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return make_error(ErrorCode::ModelFormat, config.string() + ": not valid JSON", "download the model again");
    const std::string type = j.value("model_type", std::string());
    if (type == "whisper") return ok_status();
    return not_whisper(model, type.empty() ? std::string("config.json names no model_type") : "a " + type + " model");
}

// whisper.cpp's ggml .bin: uint32 magic 0x67676d6c, then int32 n_vocab, n_audio_ctx (1500), ...
Status check_whisper_bin(const fs::path& model) {
    std::ifstream in(model, std::ios::binary);
    if (!in) return make_error(ErrorCode::NotFound, model.string() + ": cannot be read", "check the path and its permissions");
    unsigned char head[12] = {};
    in.read(reinterpret_cast<char*>(head), sizeof head);
    if (in.gcount() < 4) return not_whisper(model, "the file is too short");
    if (std::memcmp(head, "GGUF", 4) == 0) return not_whisper(model, "a GGUF file; whisper.cpp models are ggml .bin files");
    const uint32_t magic = head[0] | head[1] << 8 | head[2] << 16 | uint32_t(head[3]) << 24;
    if (magic != 0x67676d6cu) return not_whisper(model, "no ggml header");
    const int32_t n_audio_ctx = int32_t(head[8] | head[9] << 8 | head[10] << 16 | uint32_t(head[11]) << 24);
    if (in.gcount() < 12 || n_audio_ctx != 1500) return not_whisper(model, "a ggml file without Whisper's audio context");
    return ok_status();
}

}  // namespace

const char* transcribe_task_name(TranscribeTask task) {
    switch (task) {
    case TranscribeTask::Transcribe: return "transcribe";
    case TranscribeTask::Translate: return "translate";
    default: return "invalid";
    }
}

std::string transcribe_settings_json(const TranscribeSettings& s) {
    return json{{"model", s.model.string()}, {"language", s.language}, {"task", transcribe_task_name(s.task)},
                {"beam_size", s.beam_size}, {"word_timestamps", s.word_timestamps}, {"vad", s.vad},
                {"initial_prompt", s.initial_prompt}, {"threads", s.threads}}
        .dump(-1, ' ', false, json::error_handler_t::replace);
}

Status validate_transcribe_settings(const TranscribeSettings& s) {
    if (s.task != TranscribeTask::Transcribe && s.task != TranscribeTask::Translate)
        return make_error(ErrorCode::InvalidArgument, "unknown transcription task", "use transcribe or translate");
    if (s.beam_size < 1 || s.beam_size > 16)
        return make_error(ErrorCode::InvalidArgument, "beam size " + std::to_string(s.beam_size) + " is out of range",
                          "use 1 (greedy) to 16; 5 is the usual choice");
    if (!valid_language(s.language))
        return make_error(ErrorCode::InvalidArgument, "language '" + s.language + "' is not a language code",
                          "use auto, or a code such as en, fr, de");
    if (s.threads < 0) return make_error(ErrorCode::InvalidArgument, "threads must be 0 or more");
    return ok_status();
}

Result<TranscribeSettings> transcribe_settings_from_json(std::string_view text) {
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return make_error(ErrorCode::InvalidArgument, "transcription settings are not a JSON object");
    TranscribeSettings s;
    try {
        s.model = j.value("model", std::string());
        s.language = j.value("language", std::string("auto"));
        const std::string task = j.value("task", std::string("transcribe"));
        s.task = task == "translate" ? TranscribeTask::Translate : task == "transcribe" ? TranscribeTask::Transcribe
                                                                                         : TranscribeTask::Invalid;
        s.beam_size = j.value("beam_size", 5);
        s.word_timestamps = j.value("word_timestamps", false);
        s.vad = j.value("vad", true);
        s.initial_prompt = j.value("initial_prompt", std::string());
        s.threads = j.value("threads", 0);
    } catch (const json::exception& e) {
        return make_error(ErrorCode::InvalidArgument, std::string("transcription settings: ") + e.what());
    }
    ATELIER_TRY(validate_transcribe_settings(s));
    return s;
}

Status check_whisper_model(const fs::path& model) {
    std::error_code ec;
    if (model.empty())
        return make_error(ErrorCode::InvalidArgument, "no model chosen", "pass --model with a Whisper folder or .bin file");
    if (!fs::exists(model, ec))
        return make_error(ErrorCode::NotFound, model.string() + ": no such file or folder", "check the model path");
    if (fs::is_directory(model, ec)) return check_whisper_config(model, model / "config.json");
    if (model.filename() == "config.json") return check_whisper_config(model, model);
    if (model.extension() == ".safetensors") return check_whisper_config(model, model.parent_path() / "config.json");
    return check_whisper_bin(model);
}

RecogniserLoader whisper_loader() { return load_whisper_recogniser; }

Result<std::vector<float>> decode_for_transcription(JobContext* ctx, const fs::path& file) {
    std::error_code ec;
    if (!fs::is_regular_file(file, ec))
        return make_error(ErrorCode::NotFound, file.string() + ": no such file", "check the path");
    auto reader = media::AudioReader::open(file, media::AudioFormat{kTranscribeSampleRate, 1});
    if (!reader.ok()) {
        Error e = reader.error();
        if (e.code == ErrorCode::MediaNoStream)
            e.hint = "it has no sound to transcribe (a video without an audio track?); choose a file with speech";
        return e;
    }
    const int64_t expect = std::max<int64_t>(1, (*reader)->duration_ms() * kTranscribeSampleRate / 1000);
    std::vector<float> pcm, block;
    pcm.reserve(static_cast<size_t>(expect));
    for (;;) {
        if (ctx) ATELIER_TRY(ctx->check_cancel());
        ATELIER_TRY_ASSIGN(size_t n, (*reader)->read(block, kTranscribeSampleRate));
        if (n == 0) break;
        pcm.insert(pcm.end(), block.begin(), block.begin() + static_cast<std::ptrdiff_t>(n));
        if (ctx) ctx->progress(std::min(1.0, double(pcm.size()) / double(expect)), "decode");
    }
    if (pcm.empty())
        return make_error(ErrorCode::MediaDecodeFailed, file.string() + ": its audio track holds no samples",
                          "the file may be damaged; play it to check, or choose another");
    return pcm;
}

std::string segment_partial_json(const RecognisedSegment& s) {
    json words = json::array();
    for (const auto& w : s.words)
        words.push_back({{"start_ms", w.start_ms}, {"end_ms", w.end_ms}, {"text", w.text}, {"probability", w.probability}});
    return json{{"start_ms", s.start_ms}, {"end_ms", s.end_ms}, {"text", s.text}, {"words", words}}
        .dump(-1, ' ', false, json::error_handler_t::replace);
}

projects::TranscriptDoc transcript_doc_from(const Recognition& rec, std::string title) {
    projects::TranscriptDoc doc;
    doc.transcript.language = rec.language;
    doc.transcript.title = std::move(title);
    for (const auto& s : rec.segments) {
        projects::TranscriptSegmentRow row;
        row.start_ms = s.start_ms;
        row.end_ms = s.end_ms;
        row.text = s.text;
        for (const auto& w : s.words) row.words.push_back({w.start_ms, w.end_ms, w.text, double(w.probability)});
        doc.segments.push_back(std::move(row));
    }
    return doc;
}

Result<TranscribeReport> transcribe_file(JobContext& ctx, const fs::path& file, const TranscribeSettings& settings,
                                         const RecogniserLoader& loader) {
    ATELIER_TRY(validate_transcribe_settings(settings));
    TranscribeReport r;
    r.source = file;
    auto t0 = std::chrono::steady_clock::now();
    ATELIER_TRY_ASSIGN(std::vector<float> pcm, decode_for_transcription(&ctx, file));
    r.decode_s = seconds_since(t0);
    r.audio_ms = static_cast<int64_t>(pcm.size()) * 1000 / kTranscribeSampleRate;
    t0 = std::chrono::steady_clock::now();
    ATELIER_TRY_ASSIGN(std::shared_ptr<Recogniser> rec, (loader ? loader : whisper_loader())(settings, ctx));
    if (!rec) return make_error(ErrorCode::Internal, "the recogniser loader returned nothing");
    r.load_s = seconds_since(t0);
    r.model = rec->model_name();
    ATELIER_TRY(ctx.check_cancel());
    RecogniserCallbacks cb;
    cb.on_segment = [&ctx](const RecognisedSegment& s) { ctx.partial("segment", segment_partial_json(s)); };
    cb.on_progress = [&ctx](double f, int64_t) { ctx.progress(f, "transcribe"); };
    ctx.progress(0.0, "transcribe");
    t0 = std::chrono::steady_clock::now();
    ATELIER_TRY_ASSIGN(Recognition out, rec->transcribe(pcm, settings, cb, ctx.stop_token()));
    ATELIER_TRY(ctx.check_cancel());
    r.recognise_s = seconds_since(t0);
    r.doc = transcript_doc_from(out, file.filename().string());
    r.language_probability = out.language_probability;
    r.doc.transcript.language = out.language.empty() ? settings.language : out.language;
    if (r.doc.transcript.language == "auto") r.doc.transcript.language.clear();
    ctx.progress(1.0, "transcribe");
    return r;
}

Result<TranscribeReport> store_recognition(projects::Project& project, TranscribeReport r, const TranscribeSettings& settings,
                                           const std::string& job_uuid) {
    projects::Generation g;
    g.uuid = uuid_v7();
    g.kind = "transcribe";
    g.model = r.model.empty() ? settings.model.filename().string() : r.model;
    json params = json::parse(transcribe_settings_json(settings));
    params["source"] = r.source.empty() ? std::string("microphone") : r.source.string();
    g.params_json = params.dump(-1, ' ', false, json::error_handler_t::replace);
    g.status = "done";
    const double rtf = r.recognise_s > 0 ? double(r.audio_ms) / 1000.0 / r.recognise_s : 0.0;
    g.timings_json = json{{"load_ms", int64_t(r.load_s * 1000)}, {"decode_ms", int64_t(r.decode_s * 1000)},
                          {"transcribe_ms", int64_t(r.recognise_s * 1000)}, {"audio_ms", r.audio_ms},
                          {"realtime_factor", rtf}, {"language_probability", r.language_probability},
                          {"segments", r.doc.segments.size()}}
                         .dump();
    g.app_version = ATELIER_VERSION;
    if (!job_uuid.empty() && project.get_job(job_uuid).ok()) g.job_uuid = job_uuid;
    if (!r.source.empty() && r.asset_uuid.empty()) {
        if (auto h = hash_file(r.source); h.ok()) {
            if (auto a = project.find_asset_by_hash(*h); a.ok() && a->has_value()) r.asset_uuid = (*a)->uuid;
        }
    }
    ATELIER_TRY_ASSIGN(projects::Transaction tx, project.begin("store transcript"));
    ATELIER_TRY(project.insert_generation(g));
    r.doc.transcript.generation_uuid = g.uuid;
    r.doc.transcript.asset_uuid = r.asset_uuid;
    ATELIER_TRY_ASSIGN(r.doc, projects::create_transcript(project, std::move(r.doc)));
    ATELIER_TRY(tx.commit());
    r.generation_uuid = g.uuid;
    r.transcript_uuid = r.doc.transcript.uuid;
    return r;
}

Result<TranscribeReport> transcribe_into_project(JobContext& ctx, projects::Project& project, const fs::path& file,
                                                 const TranscribeSettings& settings, const RecogniserLoader& loader) {
    ATELIER_TRY_ASSIGN(TranscribeReport r, transcribe_file(ctx, file, settings, loader));
    return store_recognition(project, std::move(r), settings, ctx.spec().uuid);
}

JobId submit_transcribe(Studio& studio, fs::path file, TranscribeSettings settings, RecogniserLoader loader,
                        std::shared_ptr<TranscribeReport> report) {
    json params = json::parse(transcribe_settings_json(settings));
    params["file"] = file.string();
    JobSpec spec{.uuid = {}, .kind = "transcribe", .title = "Transcribe " + file.filename().string(),
                 .params_json = params.dump(-1, ' ', false, json::error_handler_t::replace)};
    projects::Project* project = &studio.project();
    return studio.submit_job(std::move(spec), [=](JobContext& ctx) -> Status {
        ATELIER_TRY_ASSIGN(TranscribeReport r, transcribe_into_project(ctx, *project, file, settings, loader));
        if (report) *report = std::move(r);
        return ok_status();
    });
}

void set_transcribe_rerun(Studio& studio, RecogniserLoader loader) {
    Studio* s = &studio;
    studio.set_rerun_handler("transcribe", [s, loader](const projects::JobRecord& job) -> Result<JobId> {
        ATELIER_TRY_ASSIGN(TranscribeSettings settings, transcribe_settings_from_json(job.params_json));
        const json j = json::parse(job.params_json, nullptr, false);
        const std::string file = j.is_object() ? j.value("file", std::string()) : std::string();
        if (file.empty())
            return make_error(ErrorCode::Unsupported, "job " + job.uuid + ": a live transcription cannot be rerun",
                              "start a new one from the microphone");
        return submit_transcribe(*s, file, settings, loader);
    });
}

Status register_transcript(Studio& studio, const TranscribeReport& report) {
    if (report.transcript_uuid.empty()) return ok_status();
    return studio.undo().push(std::make_unique<AddTranscriptCommand>(report.doc, true));
}

}  // namespace atelier::pipelines
