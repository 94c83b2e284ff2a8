// The import pipeline. Two parallel passes over a ThreadPool sized to the machine:
//  1. hash every file (cancellable inside the hash), then de-duplicate in input order against the
//     project (its own read-only connection) and within the batch;
//  2. for each new file: probe, copy into <media>/<hash[0:2]>/<hash>.<ext> (temp + rename),
//     thumbnail, waveform. Per-file failures are collected; they never abort the batch.
// The JobContext is touched only under Progress's mutex (it belongs to one thread otherwise).
// Thread-safety: run_import on a job worker; apply_import on the project's owner thread.
#include "pipelines/import.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/hash.h"
#include "core/thread-pool.h"
#include "core/uuid.h"
#include "media/audio-reader.h"
#include "media/image.h"
#include "media/probe.h"
#include "pipelines/file-util.h"

namespace atelier::pipelines {
namespace fs = std::filesystem;
using projects::AddAssetsCommand;
using projects::AssetKind;

namespace {

enum class Role { Invalid = 0, New, DuplicateExisting, DuplicateInBatch, Failed };

struct FileWork {
    fs::path path;
    std::string hash;
    int64_t size_bytes = 0;
    Role role = Role::Invalid;
    std::string dup_uuid;           // DuplicateExisting / DuplicateInBatch: the matching asset
    size_t dup_of = 0;              // DuplicateInBatch: index of the first file with this hash
    Error error;                    // Failed
    AddAssetsCommand::Item item;    // New
    bool copied = false;
};

// Serialises every call into the JobContext and keeps deliveries <= 20 Hz even when pool threads
// report different stages in turn (a stage change alone would flush immediately).
class Progress {
public:
    explicit Progress(JobContext& ctx) : ctx_(ctx) {}

    void set_total(double units) {
        std::lock_guard lock(mutex_);
        total_ = std::max(units, 1.0);
    }
    void advance(std::string_view stage, double units) {
        std::lock_guard lock(mutex_);
        done_ += units;
        const auto now = std::chrono::steady_clock::now();
        const double fraction = std::min(done_ / total_, 1.0);
        if (now - last_ < std::chrono::milliseconds(50) && fraction < 1.0) return;
        last_ = now;
        ctx_.progress(fraction, stage);
    }
    void partial(std::string kind, std::string payload) {
        std::lock_guard lock(mutex_);
        ctx_.partial(std::move(kind), std::move(payload));
    }
    void log(LogLevel level, std::string message) {
        std::lock_guard lock(mutex_);
        ctx_.log(level, std::move(message));
    }

private:
    JobContext& ctx_;
    std::mutex mutex_;
    double total_ = 1.0, done_ = 0.0;
    std::chrono::steady_clock::time_point last_{};
};

// Relative weights of the two passes per file (hashing is cheap next to decode + thumbnail).
constexpr double kHashUnits = 1.0;
constexpr double kProcessUnits = 4.0;

bool is_hidden(const fs::path& p) {
    const std::string name = p.filename().string();
    return !name.empty() && name[0] == '.';
}

void expand_folder(const fs::path& dir, std::vector<fs::path>& files, std::vector<ImportFailure>& failures) {
    std::vector<fs::path> found;
    std::error_code ec;
    fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
    if (ec) {
        failures.push_back({dir, file_error(ec.value(), "cannot list folder", dir)});
        return;
    }
    for (; it != end; it.increment(ec)) {
        if (ec) {
            failures.push_back({dir, file_error(ec.value(), "cannot list folder", dir)});
            break;
        }
        if (is_hidden(it->path())) {
            if (it->is_directory(ec)) it.disable_recursion_pending();
            continue;
        }
        if (it->is_regular_file(ec)) found.push_back(it->path());
    }
    std::sort(found.begin(), found.end());  // directory order is unspecified; keep runs reproducible
    files.insert(files.end(), found.begin(), found.end());
}

std::vector<fs::path> expand_inputs(const std::vector<fs::path>& inputs, std::vector<ImportFailure>& failures) {
    std::vector<fs::path> files;
    for (const fs::path& in : inputs) {
        std::error_code ec;
        const auto st = fs::status(in, ec);
        if (ec || !fs::exists(st)) {
            failures.push_back({in, make_error(ErrorCode::NotFound, "no such file or folder: '" + in.string() + "'",
                                               "check the path; it may have been moved or deleted")});
        } else if (fs::is_directory(st)) {
            expand_folder(in, files, failures);
        } else if (fs::is_regular_file(st)) {
            files.push_back(in);
        } else {
            failures.push_back({in, make_error(ErrorCode::Unsupported, "not a regular file: '" + in.string() + "'",
                                               "import files or folders, not devices or pipes")});
        }
    }
    return files;
}

AssetKind asset_kind_for(media::MediaKind kind) {
    switch (kind) {
        case media::MediaKind::Image: return AssetKind::Image;
        case media::MediaKind::Audio: return AssetKind::Audio;
        case media::MediaKind::Video: return AssetKind::Video;
        case media::MediaKind::Other: return AssetKind::Other;
        case media::MediaKind::Invalid: break;
    }
    return AssetKind::Invalid;
}

// A PNG that already fits the thumbnail size is its own thumbnail: same pixels, and no PNG
// encode, which dominates the cost of small images (a 256 px encode takes several ms).
constexpr int64_t kReuseMaxBytes = 256 * 1024;

bool reuse_as_thumbnail(const media::MediaInfo& info, const media::Image& full, const ImportOptions& opts) {
    const bool png = info.streams.size() == 1 && info.streams[0].codec == "png";
    return png && full.width <= opts.thumbnail_max_side && full.height <= opts.thumbnail_max_side &&
           info.size_bytes > 0 && info.size_bytes <= kReuseMaxBytes;
}

std::vector<uint8_t> read_small_file(const fs::path& path) {
    std::vector<uint8_t> bytes;
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    if (ec || size > static_cast<uintmax_t>(kReuseMaxBytes)) return bytes;
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return bytes;
    bytes.resize(size);
    if (std::fread(bytes.data(), 1, bytes.size(), f) != bytes.size()) bytes.clear();
    std::fclose(f);
    return bytes;
}

Status make_thumbnail(const media::MediaInfo& info, const ImportOptions& opts, projects::AssetDerived& d) {
    Result<media::Image> img = make_error(ErrorCode::Unsupported, "no picture");
    if (info.kind == media::MediaKind::Image) {
        auto full = media::load_image(info.path);  // also proves the image decodes
        if (!full.ok()) return full.error();
        if (reuse_as_thumbnail(info, *full, opts)) {
            d.thumbnail_png = read_small_file(info.path);
            if (!d.thumbnail_png.empty()) {
                d.thumbnail_width = full->width;
                d.thumbnail_height = full->height;
                return ok_status();
            }
        }
        img = media::fit_within(*full, opts.thumbnail_max_side);
    } else {
        // ~10% into a video (past fades from black), 1 s when the duration is unknown.
        const int64_t at_ms = info.duration_ms > 0 ? info.duration_ms / 10 : 1000;
        img = media::grab_video_frame(info.path, at_ms, opts.thumbnail_max_side);
        if (!img.ok() && at_ms > 0) img = media::grab_video_frame(info.path, 0, opts.thumbnail_max_side);
        if (!img.ok()) return img.error();
    }
    ATELIER_TRY_ASSIGN(d.thumbnail_png, media::encode_png(*img));
    d.thumbnail_width = img->width;
    d.thumbnail_height = img->height;
    return ok_status();
}

bool has_stream(const media::MediaInfo& info, media::StreamType type, bool allow_cover_art) {
    return std::any_of(info.streams.begin(), info.streams.end(), [&](const media::StreamInfo& s) {
        return s.type == type && (allow_cover_art || !s.attached_picture);
    });
}

void fill_asset(FileWork& w, const media::MediaInfo& info, AssetKind kind, const ImportOptions& opts,
                const std::string& ext) {
    projects::Asset& a = w.item.asset;
    a.kind = kind;
    a.name = w.path.filename().string();
    a.content_hash = w.hash;
    a.size_bytes = w.size_bytes;
    std::error_code ec;
    const fs::path abs = fs::absolute(w.path, ec);
    a.source_path = (ec ? w.path : abs).lexically_normal().string();
    if (opts.copy_into_project) {
        a.storage = projects::AssetStorage::MediaFile;
        a.rel_path = w.hash.substr(0, 2) + "/" + w.hash + "." + ext;
    } else {
        a.storage = projects::AssetStorage::External;
        a.rel_path = a.source_path;
    }
    a.mime = info.mime;
    a.container = info.container;
    a.width = info.width;
    a.height = info.height;
    a.duration_ms = info.duration_ms;
    a.sample_rate_hz = info.sample_rate_hz;
    a.channels = info.channels;
    a.metadata_json = info.to_json();
}

// Pass 2 for one new file. Thumbnails of images are required (an image we cannot decode is not
// worth importing); a missing video thumbnail or waveform is logged and the asset kept.
Status process_file(FileWork& w, const ImportOptions& opts, const fs::path& media_dir, std::stop_token stop,
                    Progress& progress) {
    progress.advance("probe", 0);
    ATELIER_TRY_ASSIGN(media::MediaInfo info, media::probe_file(w.path));
    const AssetKind kind = asset_kind_for(info.kind);
    if (kind == AssetKind::Invalid)
        return make_error(ErrorCode::MediaUnsupported, "unrecognised media in '" + w.path.string() + "'",
                          "Atelier imports images, audio and video that FFmpeg can read");
    progress.advance("probe", 1.0);
    const std::string ext = safe_extension(w.path);
    fill_asset(w, info, kind, opts, ext);
    if (stop.stop_requested()) return make_error(ErrorCode::Cancelled, "import cancelled");
    if (opts.copy_into_project) {
        ATELIER_TRY(copy_file_atomic(w.path, media_dir / w.item.asset.rel_path, stop, &w.copied));
        progress.advance("copy", 1.0);
    }
    projects::AssetDerived& d = w.item.derived;
    if (kind == AssetKind::Image) {
        ATELIER_TRY(make_thumbnail(info, opts, d));
    } else if (has_stream(info, media::StreamType::Video, kind == AssetKind::Audio)) {
        if (Status st = make_thumbnail(info, opts, d); !st.ok())
            progress.log(LogLevel::Warn, "no thumbnail for '" + w.path.string() + "': " + st.error().message());
    }
    progress.advance("thumbnail", 1.0);
    if (has_stream(info, media::StreamType::Audio, false) && opts.waveform_buckets > 0) {
        auto wf = media::compute_waveform(w.path, opts.waveform_buckets, stop);
        if (wf.ok()) {
            d.waveform = std::move(wf->min_max);
            d.waveform_samples_per_bucket = wf->samples_per_bucket;
        } else if (is_cancelled(wf.error())) {
            return std::move(wf).error();
        } else {
            progress.log(LogLevel::Warn, "no waveform for '" + w.path.string() + "': " + wf.error().message());
        }
    }
    progress.advance("waveform", opts.copy_into_project ? 1.0 : 2.0);
    return ok_status();
}

std::string asset_partial_json(const FileWork& w) {
    nlohmann::json j;
    j["path"] = w.path.string();
    if (w.role == Role::New) {
        const projects::Asset& a = w.item.asset;
        j["status"] = "added";
        j["uuid"] = a.uuid;
        j["name"] = a.name;
        j["kind"] = projects::asset_kind_name(a.kind);
        j["content_hash"] = a.content_hash;
        j["size_bytes"] = a.size_bytes;
        j["width"] = a.width;
        j["height"] = a.height;
        j["duration_ms"] = a.duration_ms;
        j["has_thumbnail"] = !w.item.derived.thumbnail_png.empty();
    } else if (w.role == Role::Failed) {
        j["status"] = "failed";
        j["error"] = {{"code", static_cast<int>(w.error.code)}, {"name", error_code_name(w.error.code)},
                      {"detail", w.error.detail}, {"hint", w.error.hint}};
    } else {
        j["status"] = "duplicate";
        j["uuid"] = w.dup_uuid;
        j["content_hash"] = w.hash;
    }
    return j.dump();
}

// Pass 1 (parallel): content hash and size of every file.
void hash_all(std::vector<FileWork>& work, ThreadPool& pool, std::stop_token stop, Progress& progress) {
    pool.parallel_for(work.size(), [&](size_t i) {
        FileWork& w = work[i];
        if (stop.stop_requested()) return;
        std::error_code ec;
        w.size_bytes = static_cast<int64_t>(fs::file_size(w.path, ec));
        auto h = hash_file(w.path, stop);
        if (!h.ok()) {
            w.role = Role::Failed;
            w.error = std::move(h).error();
        } else {
            w.hash = std::move(*h);
        }
        progress.advance("hash", kHashUnits);
    });
}

// Sequential, in input order: the first file with a hash wins, later ones are duplicates.
Status classify(std::vector<FileWork>& work, projects::Project& ro, Progress& progress) {
    std::map<std::string, size_t> first_with_hash;
    for (size_t i = 0; i < work.size(); ++i) {
        FileWork& w = work[i];
        if (w.role == Role::Failed) continue;
        if (auto it = first_with_hash.find(w.hash); it != first_with_hash.end()) {
            w.role = Role::DuplicateInBatch;
            w.dup_of = it->second;
            w.dup_uuid = work[it->second].role == Role::New ? work[it->second].item.asset.uuid
                                                             : work[it->second].dup_uuid;
            continue;
        }
        first_with_hash.emplace(w.hash, i);
        ATELIER_TRY_ASSIGN(auto existing, ro.find_asset_by_hash(w.hash));
        if (existing) {
            w.role = Role::DuplicateExisting;
            w.dup_uuid = existing->uuid;
            progress.partial("asset", asset_partial_json(w));
        } else {
            w.role = Role::New;
            w.item.asset.uuid = uuid_v7();
        }
    }
    return ok_status();
}

void assemble(std::vector<FileWork>& work, ImportReport& report, Progress& progress) {
    for (FileWork& w : work) {
        if (w.role == Role::DuplicateInBatch && work[w.dup_of].role == Role::Failed) {
            w.role = Role::Failed;
            w.error = work[w.dup_of].error;
            progress.partial("asset", asset_partial_json(w));
        } else if (w.role == Role::DuplicateInBatch) {
            progress.partial("asset", asset_partial_json(w));
        }
        switch (w.role) {
            case Role::New:
                if (w.copied) report.bytes_copied += w.size_bytes;
                report.added.push_back(std::move(w.item));
                break;
            case Role::DuplicateExisting:
            case Role::DuplicateInBatch:
                report.duplicates.push_back(w.dup_uuid);
                report.duplicate_files.push_back({w.path, w.dup_uuid});
                break;
            case Role::Failed: report.failures.push_back({w.path, w.error}); break;
            case Role::Invalid: break;
        }
    }
}

}  // namespace

Result<ImportReport> run_import(JobContext& ctx, const fs::path& project_path, const std::vector<fs::path>& inputs,
                                const ImportOptions& opts) {
    Progress progress(ctx);
    ctx.progress(-1.0, "scan");
    ATELIER_TRY_ASSIGN(auto ro, projects::Project::open(project_path, projects::OpenOptions{.read_only = true}));
    const fs::path media_dir = ro->media_dir();
    if (opts.copy_into_project) {
        std::error_code ec;
        fs::create_directories(media_dir, ec);
        if (ec) return file_error(ec.value(), "cannot create the project's media folder", media_dir);
    }
    ImportReport report;
    std::vector<fs::path> files = expand_inputs(inputs, report.failures);
    report.files_seen = static_cast<int64_t>(files.size());
    std::vector<FileWork> work(files.size());
    for (size_t i = 0; i < files.size(); ++i) work[i].path = std::move(files[i]);
    ATELIER_TRY(ctx.check_cancel());

    const std::stop_token stop = ctx.stop_token();
    ThreadPool pool(0);  // hardware_concurrency workers; the job thread joins in parallel_for
    progress.set_total(static_cast<double>(work.size()) * (kHashUnits + kProcessUnits));
    hash_all(work, pool, stop, progress);
    ATELIER_TRY(ctx.check_cancel());
    ATELIER_TRY(classify(work, *ro, progress));

    std::vector<size_t> todo;
    for (size_t i = 0; i < work.size(); ++i)
        if (work[i].role == Role::New) todo.push_back(i);
    progress.set_total(static_cast<double>(work.size()) * kHashUnits + static_cast<double>(todo.size()) * kProcessUnits);
    pool.parallel_for(todo.size(), [&](size_t k) {
        FileWork& w = work[todo[k]];
        if (stop.stop_requested()) return;
        Status st = process_file(w, opts, media_dir, stop, progress);
        if (!st.ok()) {
            if (is_cancelled(st.error())) return;
            w.role = Role::Failed;
            w.error = std::move(st).error();
        }
        progress.partial("asset", asset_partial_json(w));
    });
    ATELIER_TRY(ctx.check_cancel());
    assemble(work, report, progress);
    ctx.progress(1.0, "done");
    return report;
}

namespace {

// A command whose first apply() was done by a job worker (commit_import): pushing it only records
// it. Later applies (redo) and reverts (undo) delegate to the wrapped command.
class CommittedCommand final : public projects::Command {
public:
    explicit CommittedCommand(std::unique_ptr<projects::Command> inner) : inner_(std::move(inner)) {}
    Status apply(projects::Project& project) override {
        if (std::exchange(first_, false)) return ok_status();
        return inner_->apply(project);
    }
    Status revert(projects::Project& project) override { return inner_->revert(project); }
    std::string label() const override { return inner_->label(); }

private:
    std::unique_ptr<projects::Command> inner_;
    bool first_ = true;
};

std::string import_label(const std::vector<AddAssetsCommand::Item>& added) {
    return added.size() == 1 ? "Import " + added.front().asset.name
                             : "Import " + std::to_string(added.size()) + " files";
}

int64_t unix_now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// Inserts items [begin, end) in one transaction, skipping content already in the project.
Status commit_chunk(projects::Project& project, ImportReport& report, size_t begin, size_t end, int64_t now_ms,
                    std::vector<AddAssetsCommand::Item>& inserted) {
    ATELIER_TRY_ASSIGN(auto tx, project.begin("import"));
    const size_t first_new = inserted.size();
    for (size_t i = begin; i < end; ++i) {
        AddAssetsCommand::Item& item = report.added[i];
        auto existing = project.find_asset_by_hash(item.asset.content_hash);
        if (!existing.ok()) return inserted.resize(first_new), std::move(existing).error();
        if (*existing) {
            report.duplicates.push_back((*existing)->uuid);
            report.duplicate_files.push_back({item.asset.source_path, (*existing)->uuid});
            continue;
        }
        if (item.asset.created_at_ms == 0) item.asset.created_at_ms = now_ms;  // fixed: redo is exact
        if (Status st = project.insert_asset(item.asset, item.derived); !st.ok())
            return inserted.resize(first_new), std::move(st).error();
        inserted.push_back(std::move(item));
    }
    if (Status st = tx.commit(); !st.ok()) return inserted.resize(first_new), std::move(st).error();
    return ok_status();
}

}  // namespace

Status commit_import(projects::Project& project, ImportReport& report) {
    constexpr size_t kChunk = 64;
    std::vector<AddAssetsCommand::Item> inserted;
    const int64_t now_ms = unix_now_ms();
    for (size_t begin = 0; begin < report.added.size(); begin += kChunk) {
        const size_t end = std::min(begin + kChunk, report.added.size());
        if (Status st = commit_chunk(project, report, begin, end, now_ms, inserted); !st.ok()) {
            for (const auto& item : inserted) (void)project.remove_asset(item.asset.uuid);  // all or nothing
            report.added.clear();
            return st;
        }
    }
    report.added = std::move(inserted);
    return ok_status();
}

Status register_import(projects::UndoStack& undo, const ImportReport& report) {
    if (report.added.empty()) return ok_status();
    auto cmd = std::make_unique<AddAssetsCommand>(report.added, import_label(report.added));
    return undo.push(std::make_unique<CommittedCommand>(std::move(cmd)));
}

Status apply_import(projects::Project& project, projects::UndoStack& undo, ImportReport& report) {
    std::vector<AddAssetsCommand::Item> keep;
    std::map<std::string, std::string> kept_uuid_by_hash;
    for (auto& item : report.added) {
        ATELIER_TRY_ASSIGN(auto existing, project.find_asset_by_hash(item.asset.content_hash));
        auto kept = kept_uuid_by_hash.find(item.asset.content_hash);
        if (existing || kept != kept_uuid_by_hash.end()) {
            // Another import added the same content since this job's snapshot: keep the first.
            const std::string uuid = existing ? existing->uuid : kept->second;
            report.duplicates.push_back(uuid);
            report.duplicate_files.push_back({item.asset.source_path, uuid});
            continue;
        }
        kept_uuid_by_hash.emplace(item.asset.content_hash, item.asset.uuid);
        keep.push_back(std::move(item));
    }
    report.added = std::move(keep);
    if (report.added.empty()) return ok_status();
    return undo.push(std::make_unique<AddAssetsCommand>(report.added, import_label(report.added)));
}

}  // namespace atelier::pipelines
