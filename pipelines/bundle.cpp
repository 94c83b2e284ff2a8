// Project bundle export. Layout (format_version 1), identical in a folder and in a zip:
//   manifest.json     {"format":"atelier-bundle","format_version":1,"app_version","exported_at_ms",
//                      "project":{uuid,name,schema_version,created_by_version,created_at_ms},
//                      "hash_algorithm":"xxh3-128","assets":[{uuid,name,kind,content_hash,size_bytes,
//                      path (inside the bundle, or null if missing),mime,container,width,height,
//                      duration_ms,sample_rate_hz,channels,created_at_ms,source_path,metadata}],
//                      "chats":[{uuid,title,model,path,message_count (shown branch),messages_in_tree}],"transcripts":[],
//                      "generations":"generations.json"}
//   assets/<name-stem>-<hash8>.<ext>   the asset bytes, unchanged
//   chats/<title>-<uuid8>.md           one Markdown file per chat
//   transcripts/                        JSON per transcript (none until transcription lands)
//   generations.json                    provenance of every generation, parameters as JSON
// Thread-safety: runs on one job worker with its own read-only Project connection.
#include "pipelines/bundle.h"

#include <chrono>
#include <set>

#include <nlohmann/json.hpp>

#include "core/version.h"
#include "pipelines/bundle-writer.h"
#include "pipelines/chat-tree.h"
#include "pipelines/file-util.h"
#include "pipelines/json-views.h"
#include "projects/project.h"

namespace atelier::pipelines {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct PlannedAsset {
    projects::Asset asset;
    fs::path src;          // empty for blobs
    std::string name;      // path inside the bundle
    bool missing = false;
};

int64_t now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

bool is_compressed_media(const projects::Asset& a) {
    // Images, audio and video are already compressed (PNG, JPEG, MP3, MP4...) except raw formats.
    const std::string ext = safe_extension(a.name);
    static const std::set<std::string> raw = {"wav", "bmp", "tif", "tiff", "pgm", "ppm", "aiff", "aif", "y4m", "bin"};
    return a.kind != projects::AssetKind::Text && a.kind != projects::AssetKind::Other && !raw.count(ext);
}

std::vector<PlannedAsset> plan_assets(projects::Project& ro, std::vector<projects::Asset> assets, int64_t* total) {
    std::vector<PlannedAsset> out;
    std::set<std::string> used;
    for (auto& a : assets) {
        PlannedAsset p;
        const fs::path name(a.name);
        std::string base = "assets/" + safe_file_component(name.stem().string(), 60) + "-" + a.content_hash.substr(0, 8);
        std::string candidate = base + "." + safe_extension(name);
        for (int n = 2; !used.insert(candidate).second; ++n) candidate = base + "-" + std::to_string(n) + "." + safe_extension(name);
        p.name = candidate;
        if (a.storage != projects::AssetStorage::Blob) {
            p.src = ro.asset_file_path(a);
            std::error_code ec;
            p.missing = !fs::is_regular_file(p.src, ec);
            if (!p.missing) *total += static_cast<int64_t>(fs::file_size(p.src, ec));
        } else {
            *total += a.size_bytes;
        }
        p.asset = std::move(a);
        out.push_back(std::move(p));
    }
    return out;
}

json planned_asset_json(const PlannedAsset& p) {
    json j = asset_json(p.asset);
    j.erase("rel_path");  // a path in the project's media folder means nothing inside a bundle
    j["path"] = p.missing ? json(nullptr) : json(p.name);
    j["missing"] = p.missing;
    j["metadata"] = parse_json_or_string(p.asset.metadata_json);
    return j;
}

// The branch the chat shows (pipelines/chat-tree.h), not every edit and regeneration: the bundle
// reads like the conversation the user sees. Reasoning goes in a collapsed <details> block; an
// answer that did not finish says so.
std::string chat_markdown(const projects::Chat& chat, const std::vector<projects::Message>& messages) {
    std::string md = "# " + (chat.title.empty() ? std::string("Untitled chat") : chat.title) + "\n\n";
    md += "- Chat: " + chat.uuid + "\n";
    if (!chat.model.empty()) md += "- Model: " + chat.model + "\n";
    md += "- Created: " + format_utc(chat.created_at_ms, "%Y-%m-%dT%H:%M:%SZ") + "\n";
    if (!chat.system_prompt.empty()) md += "\n## System\n\n" + chat.system_prompt + "\n";
    for (size_t i : branch_path(messages, chat.current_leaf_uuid)) {
        const projects::Message& m = messages[i];
        std::string role = m.role.empty() ? std::string("message") : m.role;
        role[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(role[0])));
        md += "\n## " + role + "\n\n";
        if (!m.reasoning.empty()) md += "<details><summary>Reasoning</summary>\n\n" + m.reasoning + "\n\n</details>\n\n";
        md += m.content + "\n";
        if (m.state != projects::MessageState::Done && m.state != projects::MessageState::Invalid)
            md += std::string("\n*(answer ") + projects::message_state_name(m.state) + ")*\n";
    }
    return md;
}

json generation_json(const projects::Generation& g) {
    return json{{"uuid", g.uuid},           {"kind", g.kind},
                {"model", g.model},         {"model_hash", g.model_hash},
                {"params", parse_json_or_string(g.params_json)},
                {"seed", g.seed},           {"status", g.status},
                {"timings", parse_json_or_string(g.timings_json)},
                {"app_version", g.app_version}, {"job_uuid", g.job_uuid},
                {"output_asset_uuids", g.output_asset_uuids}, {"created_at_ms", g.created_at_ms}};
}

Status write_assets(BundleWriter& w, projects::Project& ro, const std::vector<PlannedAsset>& plan, JobContext* ctx,
                    BundleReport& report) {
    for (const PlannedAsset& p : plan) {
        if (ctx) ATELIER_TRY(ctx->check_cancel());
        if (p.missing) {
            ++report.missing_count;
            if (ctx) ctx->log(LogLevel::Warn, "asset file missing, listed without data: " + p.src.string());
            continue;
        }
        if (p.asset.storage == projects::AssetStorage::Blob) {
            ATELIER_TRY_ASSIGN(auto bytes, ro.get_blob(p.asset.content_hash));
            ATELIER_TRY(w.add_bytes(p.name, std::string(bytes.begin(), bytes.end())));
        } else {
            ATELIER_TRY(w.add_file(p.name, p.src, p.asset.size_bytes, !is_compressed_media(p.asset)));
        }
        ++report.asset_count;
    }
    return ok_status();
}

Status write_chats(BundleWriter& w, projects::Project& ro, JobContext* ctx, json& manifest, BundleReport& report) {
    ATELIER_TRY_ASSIGN(auto chats, ro.list_chats());
    manifest["chats"] = json::array();
    ATELIER_TRY(w.add_dir("chats/"));
    for (const auto& chat : chats) {
        if (ctx) ATELIER_TRY(ctx->check_cancel());
        ATELIER_TRY_ASSIGN(auto messages, ro.list_messages(chat.uuid));
        const std::string name = "chats/" + safe_file_component(chat.title.empty() ? "chat" : chat.title, 60) + "-" +
                                 chat.uuid.substr(0, 8) + ".md";
        ATELIER_TRY(w.add_bytes(name, chat_markdown(chat, messages)));
        manifest["chats"].push_back({{"uuid", chat.uuid}, {"title", chat.title}, {"model", chat.model},
                                     {"path", name}, {"message_count", branch_path(messages, chat.current_leaf_uuid).size()},
                                     {"messages_in_tree", messages.size()}});
        ++report.chat_count;
    }
    return ok_status();
}

Status write_bundle(BundleWriter& w, projects::Project& ro, const std::vector<PlannedAsset>& plan, JobContext* ctx,
                    BundleReport& report) {
    ATELIER_TRY_ASSIGN(auto info, ro.info());
    json manifest{{"format", "atelier-bundle"},
                  {"format_version", kBundleFormatVersion},
                  {"app_version", ATELIER_VERSION},
                  {"exported_at_ms", now_ms()},
                  {"project", {{"uuid", info.uuid}, {"name", info.name}, {"schema_version", info.schema_version},
                               {"created_by_version", info.created_by_version}, {"created_at_ms", info.created_at_ms}}},
                  {"hash_algorithm", "xxh3-128"}};
    if (ctx) ctx->progress(0.0, "assets");
    ATELIER_TRY(write_assets(w, ro, plan, ctx, report));
    manifest["assets"] = json::array();
    for (const auto& p : plan) manifest["assets"].push_back(planned_asset_json(p));
    if (ctx) ctx->progress(ctx->last_progress().fraction, "chats");
    ATELIER_TRY(write_chats(w, ro, ctx, manifest, report));
    ATELIER_TRY(w.add_dir("transcripts/"));
    manifest["transcripts"] = json::array();
    ATELIER_TRY_ASSIGN(auto generations, ro.list_generations());
    json gens = json::array();
    for (const auto& g : generations) gens.push_back(generation_json(g));
    report.generation_count = static_cast<int64_t>(generations.size());
    ATELIER_TRY(w.add_bytes("generations.json", gens.dump(2) + "\n"));
    manifest["generations"] = "generations.json";
    ATELIER_TRY(w.add_bytes("manifest.json", manifest.dump(2) + "\n"));
    if (ctx) ATELIER_TRY(ctx->check_cancel());
    if (ctx) ctx->progress(ctx->last_progress().fraction, "finish");
    return w.finish();
}

}  // namespace

Result<BundleReport> export_bundle(JobContext* ctx, const fs::path& project_path, const fs::path& dest_in,
                                   const BundleOptions& opts) {
    std::error_code ec;
    const fs::path dest = fs::absolute(dest_in, ec).lexically_normal();
    if (fs::exists(dest, ec))
        return make_error(ErrorCode::AlreadyExists, "'" + dest.string() + "' already exists",
                          "choose a new name for the bundle, or delete the old one first");
    if (!fs::is_directory(dest.parent_path(), ec))
        return make_error(ErrorCode::NotFound, "folder '" + dest.parent_path().string() + "' does not exist",
                          "create the folder first, or choose another destination");
    ATELIER_TRY_ASSIGN(auto ro, projects::Project::open(project_path, projects::OpenOptions{.read_only = true}));
    ATELIER_TRY_ASSIGN(auto assets, ro->list_assets());
    int64_t total_bytes = 0;
    const std::vector<PlannedAsset> plan = plan_assets(*ro, std::move(assets), &total_bytes);

    BundleWriterOptions wopts;
    if (ctx) {
        wopts.stop = ctx->stop_token();
        // Zip: libzip reports the whole write in zip_close ("finish"); folder: bytes as copied.
        wopts.on_progress = [ctx, zip = opts.zip](double f) { ctx->progress(f, zip ? "finish" : "assets"); };
    }
    wopts.total_bytes = total_bytes;
    ATELIER_TRY_ASSIGN(auto writer, opts.zip ? open_zip_writer(dest, wopts) : open_folder_writer(dest, wopts));
    BundleReport report;
    report.dest = dest;
    if (Status st = write_bundle(*writer, *ro, plan, ctx, report); !st.ok()) {
        writer->abort();
        return std::move(st).error();
    }
    report.bytes_written = writer->bytes_written();
    if (ctx) ctx->progress(1.0, "done");
    return report;
}

}  // namespace atelier::pipelines
