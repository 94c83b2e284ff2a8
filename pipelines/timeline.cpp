// Timeline snapshots: project rows -> RenderTimeline (asset kinds and paths resolved, params_json
// parsed and checked). A video clip whose asset has sound contributes an audio clip too.
// Thread-safety: see timeline.h.
#include "pipelines/timeline.h"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace atelier::pipelines {
namespace {

using nlohmann::json;

Error bad_param(const std::string& what) {
    return make_error(ErrorCode::InvalidArgument, "clip parameters: " + what,
                      "see pipelines/timeline.h for the keys of params_json");
}

Result<double> number(const json& j, const char* key, double fallback) {
    if (!j.contains(key)) return fallback;
    if (!j[key].is_number()) return bad_param(std::string(key) + " must be a number");
    return j[key].get<double>();
}

Result<bool> read_view(const json& j, const char* key, double* x, double* y, double* zoom) {
    if (!j.contains(key)) return false;
    const json& v = j[key];
    if (!v.is_array() || v.size() != 3 || !v[0].is_number() || !v[1].is_number() || !v[2].is_number()) {
        return bad_param(std::string("pan_zoom.") + key + " must be [x, y, zoom]");
    }
    *x = v[0].get<double>(), *y = v[1].get<double>(), *zoom = v[2].get<double>();
    if (*x < 0 || *x > 1 || *y < 0 || *y > 1 || !(*zoom >= 1.0 && *zoom <= 100.0)) {
        return bad_param(std::string("pan_zoom.") + key + ": x and y in [0,1], zoom in [1,100]");
    }
    return true;
}

}  // namespace

Result<ClipParams> parse_clip_params(std::string_view text) {
    const json j = json::parse(text.empty() ? std::string_view("{}") : text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return bad_param("not a JSON object");
    ClipParams p;
    ATELIER_TRY_ASSIGN(p.gain_db, number(j, "gain_db", 0.0));
    ATELIER_TRY_ASSIGN(double fin, number(j, "fade_in_ms", 0.0));
    ATELIER_TRY_ASSIGN(double fout, number(j, "fade_out_ms", 0.0));
    if (p.gain_db < -120 || p.gain_db > 40 || fin < 0 || fout < 0) return bad_param("gain_db in [-120,40], fades >= 0");
    p.fade_in_ms = static_cast<int64_t>(fin);
    p.fade_out_ms = static_cast<int64_t>(fout);
    if (j.contains("mute")) {
        if (!j["mute"].is_boolean()) return bad_param("mute must be true or false");
        p.mute = j["mute"].get<bool>();
    }
    if (j.contains("pan_zoom")) {
        const json& pz = j["pan_zoom"];
        if (!pz.is_object()) return bad_param("pan_zoom must be an object");
        PanZoom v;
        ATELIER_TRY(read_view(pz, "from", &v.x_from, &v.y_from, &v.zoom_from));
        ATELIER_TRY(read_view(pz, "to", &v.x_to, &v.y_to, &v.zoom_to));
        p.pan_zoom = v;
    }
    return p;
}

std::string clip_params_json(const ClipParams& p) {
    json j = json::object();
    if (p.gain_db != 0) j["gain_db"] = p.gain_db;
    if (p.fade_in_ms) j["fade_in_ms"] = p.fade_in_ms;
    if (p.fade_out_ms) j["fade_out_ms"] = p.fade_out_ms;
    if (p.mute) j["mute"] = true;
    if (p.pan_zoom) {
        const PanZoom& v = *p.pan_zoom;
        j["pan_zoom"] = {{"from", {v.x_from, v.y_from, v.zoom_from}}, {"to", {v.x_to, v.y_to, v.zoom_to}}};
    }
    return j.dump();
}

int64_t RenderTimeline::duration_ms() const {
    int64_t end = 0;
    for (const auto& t : video_tracks)
        for (const auto& c : t) end = std::max(end, c.end_ms());
    for (const auto& c : audio_clips) end = std::max(end, c.end_ms());
    for (const auto& s : subtitles) end = std::max(end, s.end_ms);
    return end;
}

Result<RenderTimeline> snapshot_timeline(projects::Project& project, std::string_view uuid) {
    ATELIER_TRY_ASSIGN(projects::TimelineDoc doc, projects::load_timeline(project, uuid));
    RenderTimeline tl;
    tl.uuid = doc.timeline.uuid;
    tl.width = doc.timeline.width, tl.height = doc.timeline.height;
    tl.fps_num = doc.timeline.fps_num, tl.fps_den = doc.timeline.fps_den;
    tl.sample_rate_hz = doc.timeline.sample_rate_hz;
    for (const auto& track : doc.tracks) {
        if (track.muted) continue;
        std::vector<RenderClip> video;
        for (const auto& c : doc.clips) {
            if (c.track_uuid != track.uuid) continue;
            if (track.kind == projects::TrackKind::Subtitle) {
                tl.subtitles.push_back(media::SubtitleItem{c.start_ms, c.start_ms + c.duration_ms, c.text, {}});
                continue;
            }
            auto params = parse_clip_params(c.params_json);
            if (!params.ok()) return make_error(ErrorCode::InvalidArgument, "clip " + c.uuid + ": " + params.error().detail, params.error().hint);
            ATELIER_TRY_ASSIGN(projects::Asset asset, project.get_asset(c.asset_uuid));
            RenderClip rc{ClipKind::Invalid, project.asset_file_path(asset), c.start_ms, c.duration_ms, c.source_in_ms, *params};
            if (asset.kind == projects::AssetKind::Image) rc.kind = ClipKind::Image;
            else if (asset.kind == projects::AssetKind::Video) rc.kind = ClipKind::Video;
            else if (asset.kind == projects::AssetKind::Audio) rc.kind = ClipKind::Audio;
            else return make_error(ErrorCode::InvalidArgument, "clip " + c.uuid + ": asset " + asset.name + " is not image, audio or video");
            if (track.kind == projects::TrackKind::Audio || rc.kind == ClipKind::Audio) {
                rc.kind = ClipKind::Audio;  // a video's sound on an audio track
                tl.audio_clips.push_back(rc);
                continue;
            }
            if (rc.kind == ClipKind::Video && asset.channels > 0 && !rc.params.mute) {
                RenderClip sound = rc;
                sound.kind = ClipKind::Audio;
                tl.audio_clips.push_back(sound);
            }
            video.push_back(std::move(rc));
        }
        if (!video.empty()) tl.video_tracks.push_back(std::move(video));
    }
    std::sort(tl.subtitles.begin(), tl.subtitles.end(), [](const auto& a, const auto& b) { return a.start_ms < b.start_ms; });
    return tl;
}

}  // namespace atelier::pipelines
