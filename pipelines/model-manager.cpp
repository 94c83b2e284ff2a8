// Model manager: scanning the models folder, describing models from their headers, importing.
// Invariants: a scan never stops at a bad model (its entry carries the error); an import either
// leaves a complete model under its final name or nothing (copies go through ".name.partial").
// Thread-safety: reentrant; call from a worker thread.
#include "pipelines/model-manager.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <system_error>

#include "pipelines/file-util.h"

namespace atelier::pipelines {
namespace fs = std::filesystem;

namespace {

bool has_ext(const fs::path& p, std::string_view ext) {
    std::string e = p.extension().string();
    std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return e == ext;
}

bool hidden(const fs::path& p) {
    const std::string n = p.filename().string();
    return n.empty() || n[0] == '.';
}

// Regular files of a model on disk: the file itself, or every file under the folder.
std::vector<fs::path> files_of(const fs::path& path) {
    std::vector<fs::path> out;
    std::error_code ec;
    if (!fs::is_directory(path, ec)) {
        out.push_back(path);
        return out;
    }
    for (fs::recursive_directory_iterator it(path, fs::directory_options::skip_permission_denied, ec), end;
         !ec && it != end; it.increment(ec))
        if (it->is_regular_file(ec)) out.push_back(it->path());
    return out;
}

uint64_t size_on_disk(const fs::path& path) {
    uint64_t total = 0;
    for (const fs::path& f : files_of(path)) {
        std::error_code ec;
        const auto n = fs::file_size(f, ec);
        if (!ec) total += n;
    }
    return total;
}

bool folder_holds_safetensors(const fs::path& dir) {
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
        if (has_ext(it->path(), ".safetensors") || it->path().filename() == "model.safetensors.index.json") return true;
    return false;
}

// Model candidates in `folder` (see scan_models).
std::vector<fs::path> candidates(const fs::path& folder) {
    std::vector<fs::path> out;
    std::error_code ec;
    for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
        const fs::path p = it->path();
        if (hidden(p)) continue;
        std::error_code ec2;
        if (fs::is_directory(p, ec2)) {
            if (folder_holds_safetensors(p)) {
                out.push_back(p);
                continue;
            }
            for (fs::directory_iterator sub(p, ec2), send; !ec2 && sub != send; sub.increment(ec2))
                if (!hidden(sub->path()) && has_ext(sub->path(), ".gguf")) out.push_back(sub->path());
        } else if (has_ext(p, ".gguf") || has_ext(p, ".safetensors")) {
            out.push_back(p);
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

Error import_error(ErrorCode code, const fs::path& path, std::string what, std::string hint) {
    return make_error(code, path.string() + ": " + std::move(what), std::move(hint));
}

// Copies a file or a folder tree from `src` to `dst` (absent), reporting bytes.
Status copy_tree(const fs::path& src, const fs::path& dst, std::stop_token stop, const std::function<void(int64_t)>& on_bytes) {
    std::error_code ec;
    if (!fs::is_directory(src, ec)) return copy_file_chunked(src, dst, stop, on_bytes);
    if (!fs::create_directory(dst, ec)) return file_error(ec.value(), "creating folder", dst);
    for (const fs::path& f : files_of(src)) {
        const fs::path rel = f.lexically_relative(src);
        const fs::path out = dst / rel;
        if (rel.has_parent_path()) fs::create_directories(out.parent_path(), ec);
        ATELIER_TRY(copy_file_chunked(f, out, stop, on_bytes));
    }
    return ok_status();
}

}  // namespace

bool ModelEntry::serves(std::string_view job) const {
    return std::any_of(jobs.begin(), jobs.end(), [&](const ModelJobSupport& j) { return j.supported && j.job == job; });
}

std::string ModelEntry::jobs_text() const {
    std::string out;
    for (const ModelJobSupport& j : jobs)
        if (j.supported) out += (out.empty() ? "" : ", ") + j.job;
    if (!out.empty()) return out;
    return "not supported yet" + (architecture.empty() ? std::string() : " (" + architecture + ")");
}

std::vector<ModelJobSupport> jobs_for_architecture(std::string_view architecture) {
    // config.json model_type, GGUF general.architecture, or config.json architectures[0].
    if (architecture == "deepseek_v4" || architecture == "deepseek4" || architecture == "DeepseekV4ForCausalLM")
        return {{"chat", true}};
    return {};
}

ModelEntry inspect_model(const fs::path& path, std::stop_token stop) {
    ModelEntry e;
    e.path = path;
    e.name = path.filename().string();
    e.size_bytes = size_on_disk(path);
    e.n_files = static_cast<int64_t>(files_of(path).size());
    infer::LoadOptions opts;
    opts.stop = stop;
    auto model = infer::load_model(path, opts);
    if (!model.ok()) {
        e.error = model.error();
        return e;
    }
    const infer::Model& m = **model;
    e.ok = true;
    e.format = m.format();
    e.architecture = m.architecture();
    e.n_params = m.parameter_count();
    e.n_tensors = static_cast<int64_t>(m.tensors().size());
    for (const auto& [type, bytes] : m.bytes_by_type()) e.type_mix.emplace_back(infer::dtype_name(type), bytes);
    std::sort(e.type_mix.begin(), e.type_mix.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    e.summary = m.summary();
    e.jobs = jobs_for_architecture(e.architecture);
    return e;
}

Result<std::vector<ModelEntry>> scan_models(const fs::path& folder, const ScanOptions& options) {
    std::error_code ec;
    if (!fs::is_directory(folder, ec)) {
        if (fs::exists(folder, ec))
            return import_error(ErrorCode::InvalidArgument, folder, "is not a folder", "choose the folder that holds your models");
        return import_error(ErrorCode::NotFound, folder, "models folder not found",
                            "create it, or choose another models folder in Settings");
    }
    fs::directory_iterator probe(folder, ec);
    if (ec) return file_error(ec.value(), "reading the models folder", folder);
    const std::vector<fs::path> paths = candidates(folder);
    std::vector<ModelEntry> out;
    out.reserve(paths.size());
    for (size_t i = 0; i < paths.size(); ++i) {
        if (options.stop.stop_requested()) return make_error(ErrorCode::Cancelled, "model scan cancelled");
        if (options.progress) options.progress(static_cast<double>(i) / static_cast<double>(paths.size()), paths[i]);
        out.push_back(inspect_model(paths[i], options.stop));
        if (!out.back().ok && is_cancelled(out.back().error)) return make_error(ErrorCode::Cancelled, "model scan cancelled");
    }
    if (options.progress) options.progress(1.0, folder);
    return out;
}

infer::MemoryPlan plan_for(const ModelEntry& entry, int64_t n_ctx, const infer::SystemInfo& system,
                           uint64_t cache_bytes_per_token) {
    infer::PlanRequest req;
    req.n_ctx = n_ctx;
    req.cache_bytes_per_token = cache_bytes_per_token;
    return infer::plan_memory(entry.summary, req, system);
}

Result<fs::path> import_model(const fs::path& source, const fs::path& models_folder, const ImportModelOptions& options) {
    std::error_code ec;
    const fs::path src = fs::absolute(source, ec).lexically_normal();
    if (!fs::exists(src, ec)) return import_error(ErrorCode::NotFound, src, "not found", "check the path");
    if (options.mode == ImportMode::Invalid) return make_error(ErrorCode::InvalidArgument, "import mode not set");
    ModelEntry probe = inspect_model(src, options.stop);
    if (!probe.ok) {
        Error e = probe.error;
        if (!is_cancelled(e)) e.detail = "not imported: " + e.detail;
        return e;
    }
    fs::create_directories(models_folder, ec);
    if (!fs::is_directory(models_folder, ec))
        return import_error(ErrorCode::NotFound, models_folder, "models folder cannot be created", "choose another one in Settings");
    std::string name = src.filename().string();
    if (name.empty()) name = src.parent_path().filename().string();
    const fs::path dst = models_folder / name;
    if (fs::exists(fs::symlink_status(dst, ec)))
        return import_error(ErrorCode::AlreadyExists, dst, "already exists in the models folder",
                            "rename or remove the model there, or import under another name");
    if (options.mode == ImportMode::Link) {
        if (fs::is_directory(src, ec)) fs::create_directory_symlink(src, dst, ec);
        else fs::create_symlink(src, dst, ec);
        if (ec) return file_error(ec.value(), "linking the model", dst);
        return dst;
    }
    const fs::path partial = models_folder / ("." + name + ".partial");
    fs::remove_all(partial, ec);  // a leftover of an earlier crash
    const int64_t total = static_cast<int64_t>(probe.size_bytes);
    int64_t done = 0;
    if (options.progress) options.progress(0, total);
    Status st = copy_tree(src, partial, options.stop, [&](int64_t n) {
        done += n;
        if (options.progress) options.progress(done, total);
    });
    if (st.ok()) {
        fs::rename(partial, dst, ec);
        if (ec) st = file_error(ec.value(), "placing the imported model", dst);
    }
    if (!st.ok()) {
        fs::remove_all(partial, ec);
        return std::move(st).error();
    }
    return dst;
}

std::string format_bytes(uint64_t bytes) {
    char buf[32];
    const double b = static_cast<double>(bytes);
    if (bytes >= 1'000'000'000'000ull) std::snprintf(buf, sizeof buf, "%.2f TB", b / 1e12);
    else if (bytes >= 1'000'000'000ull) std::snprintf(buf, sizeof buf, "%.2f GB", b / 1e9);
    else if (bytes >= 1'000'000ull) std::snprintf(buf, sizeof buf, "%.1f MB", b / 1e6);
    else if (bytes >= 1'000ull) std::snprintf(buf, sizeof buf, "%.1f kB", b / 1e3);
    else std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
    return buf;
}

std::string format_count(int64_t n) {
    char buf[32];
    const double d = static_cast<double>(n);
    if (n >= 1'000'000'000) std::snprintf(buf, sizeof buf, "%.2fB", d / 1e9);
    else if (n >= 1'000'000) std::snprintf(buf, sizeof buf, "%.2fM", d / 1e6);
    else if (n >= 1'000) std::snprintf(buf, sizeof buf, "%.1fK", d / 1e3);
    else std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(n));
    return buf;
}

}  // namespace atelier::pipelines
