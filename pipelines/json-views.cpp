// JSON views of project objects (see json-views.h). Field names are part of the bundle format and
// of the CLI's --json output: rename nothing, only add.
#include "pipelines/json-views.h"

#include <ctime>

namespace atelier::pipelines {
using nlohmann::json;

namespace {
const char* storage_name(projects::AssetStorage s) {
    switch (s) {
        case projects::AssetStorage::MediaFile: return "media";
        case projects::AssetStorage::Blob: return "blob";
        case projects::AssetStorage::External: return "external";
        case projects::AssetStorage::Invalid: break;
    }
    return "invalid";
}
}  // namespace

json parse_json_or_string(const std::string& text) {
    json j = json::parse(text, nullptr, false);
    return j.is_discarded() ? json(text) : j;
}

json asset_json(const projects::Asset& a) {
    return json{{"uuid", a.uuid},
                {"name", a.name},
                {"kind", projects::asset_kind_name(a.kind)},
                {"content_hash", a.content_hash},
                {"size_bytes", a.size_bytes},
                {"storage", storage_name(a.storage)},
                {"rel_path", a.rel_path},
                {"source_path", a.source_path},
                {"mime", a.mime},
                {"container", a.container},
                {"width", a.width},
                {"height", a.height},
                {"duration_ms", a.duration_ms},
                {"sample_rate_hz", a.sample_rate_hz},
                {"channels", a.channels},
                {"created_at_ms", a.created_at_ms}};
}

json job_json(const projects::JobRecord& j) {
    json out{{"uuid", j.uuid},         {"kind", j.kind},
             {"title", j.title},       {"state", job_state_name(j.state)},
             {"progress", j.progress}, {"stage", j.stage},
             {"created_at_ms", j.created_at_ms}, {"started_at_ms", j.started_at_ms},
             {"finished_at_ms", j.finished_at_ms}, {"rerun_of", j.rerun_of},
             {"params", parse_json_or_string(j.params_json)}};
    if (!j.error_code.empty()) out["error"] = {{"name", j.error_code}, {"detail", j.error_detail}};
    return out;
}

std::string format_utc(int64_t unix_ms, const char* strftime_format) {
    const std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    const size_t n = std::strftime(buf, sizeof buf, strftime_format, &tm);
    return std::string(buf, n);
}

}  // namespace atelier::pipelines
