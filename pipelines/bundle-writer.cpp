// Folder and zip bundle writers. The folder writer copies each file as it is added (chunked,
// cancellable) into a hidden staging folder and renames it to dest in finish(). The zip writer
// only records entries; libzip reads the sources and writes the archive in zip_close(), with our
// progress and cancel callbacks, through its own temporary file in dest's folder.
// Thread-safety: one writer per thread.
#include "pipelines/bundle-writer.h"

#include <zip.h>

#include <deque>

#include "core/uuid.h"
#include "pipelines/file-util.h"

namespace atelier::pipelines {
namespace fs = std::filesystem;

namespace {

Status check_entry_name(const std::string& name) {
    const bool bad = name.empty() || name.front() == '/' || name.find("..") != std::string::npos ||
                     name.find('\\') != std::string::npos;
    if (bad) return make_error(ErrorCode::Internal, "bad bundle entry name '" + name + "'");
    return ok_status();
}

class FolderWriter final : public BundleWriter {
public:
    FolderWriter(fs::path dest, fs::path staging, BundleWriterOptions opts)
        : dest_(std::move(dest)), staging_(std::move(staging)), opts_(std::move(opts)) {}
    ~FolderWriter() override {
        if (!finished_) abort();
    }

    Status add_file(const std::string& name, const fs::path& src, int64_t, bool) override {
        ATELIER_TRY(prepare(name));
        return copy_file_chunked(src, staging_ / name, opts_.stop, [this](int64_t n) {
            written_ += n;
            if (opts_.on_progress && opts_.total_bytes > 0)
                opts_.on_progress(std::min(1.0, static_cast<double>(written_) / static_cast<double>(opts_.total_bytes)));
        });
    }
    Status add_bytes(const std::string& name, std::string bytes) override {
        ATELIER_TRY(prepare(name));
        ATELIER_TRY(write_text_file(staging_ / name, bytes));
        written_ += static_cast<int64_t>(bytes.size());
        return ok_status();
    }
    Status add_dir(const std::string& name) override {
        ATELIER_TRY(check_entry_name(name));
        std::error_code ec;
        fs::create_directories(staging_ / name, ec);
        if (ec) return file_error(ec.value(), "cannot create folder", staging_ / name);
        return ok_status();
    }
    Status finish() override {
        if (opts_.stop.stop_requested()) return make_error(ErrorCode::Cancelled, "bundle cancelled");
        std::error_code ec;
        if (fs::exists(dest_, ec))
            return make_error(ErrorCode::AlreadyExists, "'" + dest_.string() + "' appeared during the export",
                              "choose a new destination, or delete it first");
        fs::rename(staging_, dest_, ec);
        if (ec) return file_error(ec.value(), "cannot move the bundle into place at", dest_);
        finished_ = true;
        return ok_status();
    }
    void abort() override {
        std::error_code ec;
        fs::remove_all(staging_, ec);
    }
    int64_t bytes_written() const override { return written_; }

private:
    Status prepare(const std::string& name) {
        ATELIER_TRY(check_entry_name(name));
        std::error_code ec;
        fs::create_directories((staging_ / name).parent_path(), ec);
        if (ec) return file_error(ec.value(), "cannot create folder", (staging_ / name).parent_path());
        return ok_status();
    }

    fs::path dest_, staging_;
    BundleWriterOptions opts_;
    int64_t written_ = 0;
    bool finished_ = false;
};

class ZipWriter final : public BundleWriter {
public:
    ZipWriter(fs::path dest, zip_t* za, BundleWriterOptions opts) : dest_(std::move(dest)), za_(za), opts_(std::move(opts)) {
        zip_register_progress_callback_with_state(za_, 0.01, &ZipWriter::on_zip_progress, nullptr, this);
        zip_register_cancel_callback_with_state(za_, &ZipWriter::on_zip_cancel, nullptr, this);
    }
    ~ZipWriter() override { abort(); }

    Status add_file(const std::string& name, const fs::path& src, int64_t, bool compress) override {
        ATELIER_TRY(check_entry_name(name));
        zip_source_t* s = zip_source_file(za_, src.c_str(), 0, -1);
        if (!s) return zip_failure("cannot read '" + src.string() + "' for");
        return add_source(name, s, compress);
    }
    Status add_bytes(const std::string& name, std::string bytes) override {
        ATELIER_TRY(check_entry_name(name));
        buffers_.push_back(std::move(bytes));  // libzip reads it in zip_close(): keep it alive
        const std::string& b = buffers_.back();
        zip_source_t* s = zip_source_buffer(za_, b.data(), b.size(), 0);
        if (!s) return zip_failure("cannot add '" + name + "' to");
        return add_source(name, s, true);
    }
    Status add_dir(const std::string& name) override {
        ATELIER_TRY(check_entry_name(name));
        if (zip_dir_add(za_, name.c_str(), ZIP_FL_ENC_UTF_8) < 0) return zip_failure("cannot add folder '" + name + "' to");
        return ok_status();
    }
    Status finish() override {
        if (zip_close(za_) < 0) {
            const bool cancelled = opts_.stop.stop_requested();
            Status st = cancelled ? Status(make_error(ErrorCode::Cancelled, "bundle cancelled"))
                                  : zip_failure("cannot write");
            abort();
            return st;
        }
        za_ = nullptr;
        std::error_code ec;
        written_ = static_cast<int64_t>(fs::file_size(dest_, ec));
        return ok_status();
    }
    void abort() override {
        if (!za_) return;
        zip_discard(za_);  // writes nothing; libzip's temporary is never created before zip_close
        za_ = nullptr;
        std::error_code ec;
        fs::remove(dest_, ec);  // dest did not exist when we started (checked by the caller)
    }
    int64_t bytes_written() const override { return written_; }

private:
    Status add_source(const std::string& name, zip_source_t* s, bool compress) {
        const zip_int64_t idx = zip_file_add(za_, name.c_str(), s, ZIP_FL_ENC_UTF_8);
        if (idx < 0) {
            zip_source_free(s);
            return zip_failure("cannot add '" + name + "' to");
        }
        if (!compress) zip_set_file_compression(za_, static_cast<zip_uint64_t>(idx), ZIP_CM_STORE, 0);
        return ok_status();
    }
    Error zip_failure(const std::string& what) {
        const zip_error_t* ze = zip_get_error(za_);
        const int sys = zip_error_code_system(ze);
        if (zip_error_system_type(ze) == ZIP_ET_SYS && sys != 0) return file_error(sys, what + " the zip", dest_);
        return make_error(ErrorCode::ExportFailed, what + " the zip '" + dest_.string() + "': " + zip_strerror(za_),
                          "check the disk and the destination folder, then try again");
    }
    static void on_zip_progress(zip_t*, double fraction, void* ud) {
        auto* self = static_cast<ZipWriter*>(ud);
        if (self->opts_.on_progress) self->opts_.on_progress(fraction);
    }
    static int on_zip_cancel(zip_t*, void* ud) { return static_cast<ZipWriter*>(ud)->opts_.stop.stop_requested() ? 1 : 0; }

    fs::path dest_;
    zip_t* za_;
    BundleWriterOptions opts_;
    std::deque<std::string> buffers_;
    int64_t written_ = 0;
};

}  // namespace

Result<std::unique_ptr<BundleWriter>> open_folder_writer(const fs::path& dest, BundleWriterOptions opts) {
    const fs::path staging = dest.parent_path() / ("." + dest.filename().string() + ".part-" + uuid_v7().substr(24));
    std::error_code ec;
    fs::create_directory(staging, ec);
    if (ec) return file_error(ec.value(), "cannot create the bundle folder beside", dest);
    return std::unique_ptr<BundleWriter>(new FolderWriter(dest, staging, std::move(opts)));
}

Result<std::unique_ptr<BundleWriter>> open_zip_writer(const fs::path& dest, BundleWriterOptions opts) {
    int err = 0;
    zip_t* za = zip_open(dest.c_str(), ZIP_CREATE | ZIP_EXCL, &err);
    if (!za) {
        zip_error_t ze;
        zip_error_init_with_code(&ze, err);
        Error e = make_error(ErrorCode::ExportFailed, "cannot create the zip '" + dest.string() + "': " + zip_error_strerror(&ze),
                             "check that the folder exists and that you may write there");
        zip_error_fini(&ze);
        return e;
    }
    return std::unique_ptr<BundleWriter>(new ZipWriter(dest, za, std::move(opts)));
}

}  // namespace atelier::pipelines
