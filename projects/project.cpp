// Project: the public face of the .atelier file. Locks, savepoints and delegation to the stores
// (asset-store.cpp, record-store.cpp); the opening sequence is in connection.cpp.
// Invariants: every public method takes the recursive mutex; every mutating method runs in one
// savepoint, so it is all-or-nothing and durable when the outermost savepoint is released.
// Thread-safety: any thread; a Transaction must end on the thread that began it.
#include "projects/project.h"

#include <sqlite3.h>

#include <cerrno>
#include <mutex>
#include <system_error>

#include "core/log.h"
#include "core/uuid.h"
#include "projects/asset-store.h"
#include "projects/chat-store.h"
#include "projects/connection.h"
#include "projects/record-store.h"
#include "projects/sqlite-util.h"

namespace atelier::projects {

struct Project::Impl {
    std::recursive_mutex mu;
    detail::Connection conn;
    detail::Db db;
    std::vector<std::string> tx_labels;  // open savepoints, outermost first
    bool releasing_outer = false;        // set while we release the outermost savepoint

    // SQL-level COMMIT while one of our savepoints is open is a bug (it would commit half of a
    // command). Turn it into a rollback and say where the savepoint was begun (Fossil's idea).
    static int commit_hook(void* arg) {
        auto* impl = static_cast<Impl*>(arg);
        if (impl->tx_labels.empty() || impl->releasing_outer) return 0;
        ATELIER_LOG_ERROR("%s: COMMIT while savepoint '%s' is open; rolled back", impl->db.path.string().c_str(),
                          impl->tx_labels.front().c_str());
        return 1;
    }

    // Runs fn(db) under the lock (reads).
    template <class F>
    auto read(F&& fn) {
        std::lock_guard lock(mu);
        return fn(db);
    }

    // Runs fn(db) under the lock inside one savepoint labelled `label` (writes).
    template <class F>
    auto write(Project& p, const char* label, F&& fn) -> decltype(fn(db)) {
        std::lock_guard lock(mu);
        if (p.read_only_)
            return make_error(ErrorCode::ProjectReadOnly, db.path.string() + ": opened read-only",
                              "open the project for writing to change it");
        ATELIER_TRY_ASSIGN(Transaction tx, p.begin(label));
        auto result = fn(db);
        if (!result.ok()) return result;  // tx rolls back
        ATELIER_TRY(tx.commit());
        return result;
    }
};

// ---- lifecycle -----------------------------------------------------------------------------------

Result<std::unique_ptr<Project>> Project::create(const std::filesystem::path& path, std::string_view name,
                                                 const OpenOptions& opts) {
    if (opts.read_only)
        return make_error(ErrorCode::InvalidArgument, path.string() + ": cannot create a project read-only");
    ATELIER_TRY(detail::Connection::create_file(path, name, opts.vfs_name));
    return open(path, opts);
}

Result<std::unique_ptr<Project>> Project::open(const std::filesystem::path& path, OpenOptions opts) {
    ATELIER_TRY_ASSIGN(detail::Connection conn, detail::Connection::open(path, opts));
    std::unique_ptr<Project> p(new Project());
    p->impl_ = std::make_unique<Impl>();
    p->path_ = path;
    p->read_only_ = conn.read_only();
    p->interrupted_on_open_ = conn.interrupted_on_open();
    p->interrupted_messages_on_open_ = conn.interrupted_messages_on_open();
    p->db_ = conn.handle();
    p->impl_->db = detail::Db{conn.handle(), path};
    p->impl_->conn = std::move(conn);
    sqlite3_commit_hook(p->db_, &Impl::commit_hook, p->impl_.get());
    return p;
}

Project::~Project() {
    if (!impl_) return;
    std::lock_guard lock(impl_->mu);
    if (!impl_->tx_labels.empty())
        ATELIER_LOG_ERROR("%s: closing with %zu open transaction(s), outermost '%s'", path_.string().c_str(),
                          impl_->tx_labels.size(), impl_->tx_labels.front().c_str());
    sqlite3_commit_hook(db_, nullptr, nullptr);
}

std::filesystem::path Project::media_dir() const {
    return path_.parent_path() / (path_.stem().string() + ".atelier-media");
}

std::filesystem::path Project::asset_file_path(const Asset& asset) const {
    switch (asset.storage) {
        case AssetStorage::MediaFile: return media_dir() / asset.rel_path;
        case AssetStorage::External: return asset.rel_path;
        case AssetStorage::Blob:
        case AssetStorage::Invalid: break;
    }
    return {};
}

Result<ProjectInfo> Project::info() {
    ATELIER_TRY_ASSIGN(ProjectInfo info, impl_->read([](const detail::Db& db) { return detail::read_info(db); }));
    info.path = path_;
    info.media_dir = media_dir();
    return info;
}

Status Project::set_name(std::string_view name) {
    return impl_->write(*this, "rename project", [&](const detail::Db& db) { return detail::set_name(db, name); });
}

// ---- assets --------------------------------------------------------------------------------------

Status Project::insert_asset(const Asset& asset, const AssetDerived& derived) {
    return impl_->write(*this, "insert asset", [&](const detail::Db& db) { return detail::insert_asset(db, asset, derived); });
}

Status Project::remove_asset(std::string_view uuid) {
    return impl_->write(*this, "remove asset", [&](const detail::Db& db) { return detail::remove_asset(db, uuid); });
}

Result<AssetLinks> Project::get_asset_links(std::string_view uuid) {
    return impl_->read([&](const detail::Db& db) { return detail::get_asset_links(db, uuid); });
}

Status Project::restore_asset_links(const AssetLinks& links) {
    return impl_->write(*this, "restore asset links",
                        [&](const detail::Db& db) { return detail::restore_asset_links(db, links); });
}

Result<Asset> Project::get_asset(std::string_view uuid) {
    return impl_->read([&](const detail::Db& db) { return detail::get_asset(db, uuid); });
}

Result<std::optional<Asset>> Project::find_asset_by_hash(std::string_view content_hash) {
    return impl_->read([&](const detail::Db& db) { return detail::find_asset_by_hash(db, content_hash); });
}

Result<std::vector<Asset>> Project::list_assets(const AssetFilter& filter) {
    return impl_->read([&](const detail::Db& db) { return detail::list_assets(db, filter); });
}

Result<int64_t> Project::count_assets(const AssetFilter& filter) {
    return impl_->read([&](const detail::Db& db) { return detail::count_assets(db, filter); });
}

Status Project::rename_asset(std::string_view uuid, std::string_view name) {
    return impl_->write(*this, "rename asset", [&](const detail::Db& db) { return detail::rename_asset(db, uuid, name); });
}

Result<std::vector<uint8_t>> Project::get_thumbnail(std::string_view asset_uuid) {
    return impl_->read([&](const detail::Db& db) { return detail::get_thumbnail(db, asset_uuid); });
}

Result<AssetDerived> Project::get_derived(std::string_view asset_uuid) {
    return impl_->read([&](const detail::Db& db) { return detail::get_derived(db, asset_uuid); });
}

Result<std::string> Project::put_blob(const std::vector<uint8_t>& bytes) {
    return impl_->write(*this, "put blob", [&](const detail::Db& db) { return detail::put_blob(db, bytes); });
}

Result<std::vector<uint8_t>> Project::get_blob(std::string_view hash) {
    return impl_->read([&](const detail::Db& db) { return detail::get_blob(db, hash); });
}

// ---- jobs, chats, generations, settings ----------------------------------------------------------

Status Project::upsert_job(const JobRecord& job) {
    return impl_->write(*this, "save job", [&](const detail::Db& db) { return detail::upsert_job(db, job); });
}

Status Project::update_job_state(std::string_view uuid, JobState state, double progress, std::string_view stage,
                                 const Error* error) {
    return impl_->write(*this, "update job", [&](const detail::Db& db) {
        return detail::update_job_state(db, uuid, state, progress, stage, error);
    });
}

Result<JobRecord> Project::get_job(std::string_view uuid) {
    return impl_->read([&](const detail::Db& db) { return detail::get_job(db, uuid); });
}

Result<std::vector<JobRecord>> Project::list_jobs() {
    return impl_->read([](const detail::Db& db) { return detail::list_jobs(db); });
}

Result<Chat> Project::create_chat(std::string_view title, std::string_view model) {
    return impl_->write(*this, "create chat", [&](const detail::Db& db) { return detail::create_chat(db, title, model); });
}

Result<Chat> Project::get_chat(std::string_view uuid) {
    return impl_->read([&](const detail::Db& db) { return detail::get_chat(db, uuid); });
}

Status Project::update_chat(const Chat& chat) {
    return impl_->write(*this, "update chat", [&](const detail::Db& db) { return detail::update_chat(db, chat); });
}

Status Project::delete_chat(std::string_view uuid) {
    return impl_->write(*this, "delete chat", [&](const detail::Db& db) { return detail::delete_chat(db, uuid); });
}

Result<Message> Project::insert_message(const NewMessage& m) {
    return impl_->write(*this, "insert message", [&](const detail::Db& db) { return detail::insert_message(db, m); });
}

Result<Message> Project::get_message(std::string_view uuid) {
    return impl_->read([&](const detail::Db& db) { return detail::get_message(db, uuid); });
}

Status Project::update_message_text(std::string_view uuid, std::string_view content, std::string_view reasoning,
                                    MessageState state) {
    return impl_->write(*this, "update message", [&](const detail::Db& db) {
        return detail::update_message_text(db, uuid, content, reasoning, state);
    });
}

Status Project::set_current_leaf(std::string_view chat_uuid, std::string_view leaf_uuid) {
    return impl_->write(*this, "choose branch",
                        [&](const detail::Db& db) { return detail::set_current_leaf(db, chat_uuid, leaf_uuid); });
}

Result<Message> Project::add_message(std::string_view chat_uuid, std::string_view role, std::string_view content) {
    return impl_->write(*this, "add message",
                        [&](const detail::Db& db) { return detail::add_message(db, chat_uuid, role, content); });
}

Result<std::vector<Chat>> Project::list_chats() {
    return impl_->read([](const detail::Db& db) { return detail::list_chats(db); });
}

Result<std::vector<Message>> Project::list_messages(std::string_view chat_uuid) {
    return impl_->read([&](const detail::Db& db) { return detail::list_messages(db, chat_uuid); });
}

Status Project::insert_generation(const Generation& gen) {
    return impl_->write(*this, "insert generation", [&](const detail::Db& db) { return detail::insert_generation(db, gen); });
}

Status Project::update_generation(const Generation& gen) {
    return impl_->write(*this, "update generation", [&](const detail::Db& db) { return detail::update_generation(db, gen); });
}

Result<Generation> Project::get_generation(std::string_view uuid) {
    return impl_->read([&](const detail::Db& db) { return detail::get_generation(db, uuid); });
}

Result<std::vector<Generation>> Project::list_generations() {
    return impl_->read([](const detail::Db& db) { return detail::list_generations(db); });
}

Status Project::set_setting(std::string_view key, std::string_view value_json) {
    return impl_->write(*this, "set setting", [&](const detail::Db& db) { return detail::set_setting(db, key, value_json); });
}

Result<std::optional<std::string>> Project::get_setting(std::string_view key) {
    return impl_->read([&](const detail::Db& db) { return detail::get_setting(db, key); });
}

// ---- maintenance ---------------------------------------------------------------------------------

Result<std::string> Project::integrity_check() {
    return impl_->read([](const detail::Db& db) -> Result<std::string> {
        ATELIER_TRY_ASSIGN(detail::Stmt s, detail::Stmt::prepare(db, "PRAGMA integrity_check"));
        std::string report;
        for (;;) {
            ATELIER_TRY_ASSIGN(bool row, s.step());
            if (!row) break;
            if (!report.empty()) report += '\n';
            report += s.col_text(0);
        }
        return report;
    });
}

Status Project::save_as(const std::filesystem::path& dest) {
    std::lock_guard lock(impl_->mu);
    if (!impl_->tx_labels.empty())
        return make_error(ErrorCode::InvalidArgument, path_.string() + ": Save As inside an open transaction",
                          "commit or roll back first");
    std::error_code ec;
    if (std::filesystem::exists(dest, ec))
        return make_error(ErrorCode::AlreadyExists, dest.string() + ": already exists", "choose another name");
    ATELIER_TRY_ASSIGN(std::filesystem::path tmp, detail::backup_to_temp(impl_->db, dest));
    // Media first, database last: the copy appears under its name only when it is complete.
    std::filesystem::path media = media_dir();
    if (std::filesystem::is_directory(media, ec)) {
        std::filesystem::path dest_media = dest.parent_path() / (dest.stem().string() + ".atelier-media");
        std::filesystem::copy(media, dest_media,
                              std::filesystem::copy_options::recursive | std::filesystem::copy_options::skip_existing, ec);
        if (ec) {
            std::filesystem::remove(tmp, ec);
            bool full = ec.value() == ENOSPC;
            return make_error(full ? ErrorCode::DiskFull : ErrorCode::IoError,
                              dest.string() + ": copying the media folder " + media.string() + " failed: " + ec.message(),
                              full ? "free some disk space and try again" : "check the destination folder");
        }
    }
    return detail::place_new_file(tmp, dest, false);
}

// ---- transactions --------------------------------------------------------------------------------

Result<Transaction> Project::begin(const char* label, SourceLocation where) {
    impl_->mu.lock();  // held until the Transaction ends (Transaction::finish unlocks)
    size_t depth = impl_->tx_labels.size();
    std::string name = "atelier_sp" + std::to_string(depth);
    Status st = detail::exec(impl_->db, "SAVEPOINT " + name);
    if (!st.ok()) {
        impl_->mu.unlock();
        return std::move(st).error();
    }
    std::string file = where.file_name();
    impl_->tx_labels.push_back(strprintf("%s (%s:%u)", label != nullptr ? label : "",
                                         file.substr(file.find_last_of('/') + 1).c_str(), where.line_number()));
    tx_depth_ = static_cast<int>(impl_->tx_labels.size());
    Transaction tx(this, std::move(name));
    tx.depth_ = depth;
    return Result<Transaction>(std::move(tx));
}

Transaction::Transaction(Transaction&& other) noexcept
    : project_(other.project_), name_(std::move(other.name_)), done_(other.done_), depth_(other.depth_) {
    other.done_ = true;
}

Transaction::~Transaction() {
    if (!done_) (void)finish(false);
}

Status Transaction::commit() {
    if (done_)
        return make_error(ErrorCode::Internal, project_->path_.string() + ": transaction " + name_ + " already ended");
    return finish(true);
}

// Ends this savepoint: RELEASE (commit) or ROLLBACK TO + RELEASE. A failed RELEASE (disk full,
// busy) rolls the savepoint back, so a failed commit never leaves half a change behind.
Status Transaction::finish(bool commit) {
    auto& impl = *project_->impl_;
    done_ = true;
    Status result;
    if (depth_ >= impl.tx_labels.size()) {
        // An outer transaction already ended (and rolled this one back): a bug in the caller.
        result = make_error(ErrorCode::Internal, impl.db.path.string() + ": transaction " + name_ + " ended after its outer one");
    } else {
        if (depth_ + 1 != impl.tx_labels.size()) {
            ATELIER_LOG_ERROR("%s: transaction '%s' ended while an inner one ('%s') is open; rolling both back",
                              impl.db.path.string().c_str(), impl.tx_labels[depth_].c_str(), impl.tx_labels.back().c_str());
            commit = false;
            result = make_error(ErrorCode::Internal, impl.db.path.string() + ": transaction " + name_ + " ended out of order");
        }
        impl.releasing_outer = depth_ == 0;
        if (commit) result = detail::exec(impl.db, "RELEASE " + name_);
        if ((!commit || !result.ok()) && sqlite3_get_autocommit(impl.db.handle) == 0) {
            Status rb = detail::exec(impl.db, "ROLLBACK TO " + name_ + "; RELEASE " + name_);
            if (!rb.ok()) ATELIER_LOG_ERROR("rollback of %s failed: %s", name_.c_str(), rb.error().message().c_str());
            // The outermost savepoint must never stay open: later calls would run inside it.
            if (depth_ == 0 && sqlite3_get_autocommit(impl.db.handle) == 0) (void)detail::exec(impl.db, "ROLLBACK");
        }
        impl.releasing_outer = false;
        impl.tx_labels.resize(depth_);
    }
    project_->tx_depth_ = static_cast<int>(impl.tx_labels.size());
    impl.mu.unlock();
    return result;
}

}  // namespace atelier::projects
