// The .atelier project file: one SQLite database (schema in projects/schema.sql) plus a
// `<stem>.atelier-media/` folder beside it that holds large media by content hash.
//  - Identity: PRAGMA application_id = kApplicationId, PRAGMA user_version = schema version.
//    Foreign files -> ProjectNotAtelier; newer schema -> ProjectTooNew; older -> migrated step by
//    step inside one transaction (projects/migrations.cpp). Refused files are never modified.
//  - Connection: WAL, synchronous=NORMAL, foreign_keys=ON, busy_timeout=5000. A Project opened
//    for writing is THE writer connection; jobs open their own with OpenOptions{.read_only=true}.
//  - Every mutating call commits before it returns (no "Save"); Save-As uses the backup API.
// Thread-safety: all methods may be called from any thread; calls on one Project are serialised
// by an internal mutex. Objects returned are plain values (snapshots).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include "core/source-location.h"
#include <string>
#include <string_view>
#include <vector>

#include "core/job.h"
#include "core/result.h"

struct sqlite3;

namespace atelier::projects {

inline constexpr int32_t kApplicationId = 0x41544C52;  // 'ATLR'
inline constexpr int kSchemaVersion = 2;               // newest schema this build writes
inline constexpr const char* kFileExtension = ".atelier";

enum class AssetKind { Invalid = 0, Image, Audio, Video, Text, Other };
const char* asset_kind_name(AssetKind kind);  // "image", "audio", "video", "text", "other"
std::optional<AssetKind> asset_kind_from_name(std::string_view name);

enum class AssetStorage { Invalid = 0, MediaFile, Blob, External };

struct Asset {
    std::string uuid;
    AssetKind kind = AssetKind::Invalid;
    std::string name;            // display name (file name at import, renameable)
    std::string content_hash;    // core::hash_file / hash_bytes hex
    int64_t size_bytes = 0;
    AssetStorage storage = AssetStorage::Invalid;
    std::string rel_path;        // MediaFile: path relative to media_dir(); External: absolute path
    std::string source_path;     // where it was imported from (informational)
    std::string mime;            // e.g. "image/png"; may be empty
    std::string container;       // FFmpeg format name, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
    int width = 0, height = 0;   // images and video
    int64_t duration_ms = 0;     // audio and video
    int sample_rate_hz = 0, channels = 0;
    std::string metadata_json = "{}";  // full probe (streams, codecs) as JSON
    int64_t created_at_ms = 0;   // Unix ms; set by insert_asset when 0
};

// Derived data that travels with an asset (rebuildable; stored in derived tables).
struct AssetDerived {
    std::vector<uint8_t> thumbnail_png;  // empty: none
    int thumbnail_width = 0, thumbnail_height = 0;
    std::vector<float> waveform;         // interleaved min,max per bucket in [-1,1]; empty: none
    int waveform_samples_per_bucket = 0;
};

struct AssetFilter {
    std::optional<AssetKind> kind;
    std::string name_contains;  // case-insensitive substring; empty: all
    int64_t limit = -1;
    int64_t offset = 0;
};

struct ProjectInfo {
    std::string uuid;
    std::string name;
    int schema_version = 0;
    std::string created_by_version;  // app version that created the file
    int64_t created_at_ms = 0;
    int64_t asset_count = 0;
    int64_t job_count = 0;
    std::filesystem::path path;
    std::filesystem::path media_dir;
};

struct JobRecord {
    std::string uuid;
    std::string kind;
    std::string title;
    std::string params_json = "{}";
    JobState state = JobState::Queued;
    double progress = 0.0;
    std::string stage;
    std::string error_code;  // error_code_name() when failed
    std::string error_detail;
    int64_t created_at_ms = 0, started_at_ms = 0, finished_at_ms = 0;
    std::string rerun_of;    // uuid of the job this one reruns; empty if none
};

struct Chat {
    std::string uuid;
    std::string title;
    std::string model;
    int64_t created_at_ms = 0;
    std::string system_prompt;          // empty: none
    std::string settings_json = "{}";   // model, thinking, sampling (schema.sql); "{}": defaults
    std::string current_leaf_uuid;      // the branch shown ends here; empty: the newest path
};

// A message's life (schema v2). Interrupted: its writer died while streaming (set on open).
enum class MessageState { Invalid = 0, Streaming, Done, Stopped, Failed, Interrupted };
const char* message_state_name(MessageState state);  // "streaming", "done", "stopped", "failed", "interrupted"
std::optional<MessageState> message_state_from_name(std::string_view name);

struct Message {
    std::string uuid;
    std::string chat_uuid;
    int64_t seq = 0;      // creation order within the chat, from 1
    std::string role;     // "system", "user", "assistant", "tool"
    std::string content;  // an assistant's answer (its reasoning is apart)
    int64_t created_at_ms = 0;
    std::string parent_uuid;       // empty: first message of the chat; siblings are branches
    MessageState state = MessageState::Done;
    std::string reasoning;         // thinking text; empty when none
    std::string generation_uuid;   // provenance of a generated message; empty when typed
};

// What insert_message adds. uuid empty: a new UUIDv7; state Invalid: Done.
struct NewMessage {
    std::string uuid;
    std::string chat_uuid;
    std::string parent_uuid;  // empty: a first message (a root)
    std::string role;
    std::string content;
    std::string reasoning;
    MessageState state = MessageState::Done;
    std::string generation_uuid;
};

struct Generation {
    std::string uuid;
    std::string kind;           // "chat", "transcribe", "speak", "imagine", "animate"
    std::string model;
    std::string model_hash;
    std::string params_json = "{}";
    int64_t seed = 0;
    std::string status;         // a job state name
    std::string timings_json = "{}";
    std::string app_version;
    std::string job_uuid;
    std::vector<std::string> output_asset_uuids;
    int64_t created_at_ms = 0;
};

struct OpenOptions {
    bool read_only = false;  // a job's own read-only connection
    std::string vfs_name;    // SQLite VFS to use; empty: the default (tests inject faults here)
};

// Rows outside the asset tables that point at one asset: what remove_asset() deletes or
// unlinks besides the asset and its derived data, so undo can put it back exactly.
struct AssetLinks {
    std::string asset_uuid;
    struct Output {
        std::string generation_uuid;
        int64_t position = 0;
    };
    std::vector<Output> generation_outputs;    // the asset is output `position` of a generation
    std::vector<std::string> transcript_uuids;  // transcripts made from the asset
};

class Transaction;

class Project {
public:
    // Creates a new project file, then opens it for writing. Fails with AlreadyExists if the
    // path exists (a zero-byte file is replaced: save dialogs pre-create one). The file appears
    // complete or not at all. `name` defaults to the file stem.
    static Result<std::unique_ptr<Project>> create(const std::filesystem::path& path, std::string_view name = {},
                                                   const OpenOptions& opts = {});
    // Opens an existing file. Runs identity checks and migrations (not when read_only).
    // On open for writing, jobs left queued/running by a dead process are marked Interrupted.
    // Errors: ProjectNotFound, ProjectNotAtelier (also for a zero-byte file), ProjectTooNew,
    // ProjectCorrupt, ProjectReadOnly, ProjectBusy (another writer), ProjectMigrationFailed,
    // DiskFull. A refused file is left byte-for-byte unchanged, with no -wal/-shm created.
    static Result<std::unique_ptr<Project>> open(const std::filesystem::path& path, OpenOptions opts = {});
    ~Project();
    Project(const Project&) = delete;
    Project& operator=(const Project&) = delete;

    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path media_dir() const;  // <dir>/<stem>.atelier-media
    bool read_only() const { return read_only_; }
    // Number of jobs that open() found queued/running and marked Interrupted.
    int interrupted_on_open() const { return interrupted_on_open_; }
    // Number of messages that open() found streaming and marked Interrupted (text kept).
    int interrupted_messages_on_open() const { return interrupted_messages_on_open_; }

    Result<ProjectInfo> info();
    Status set_name(std::string_view name);

    // ---- assets (canonical) + thumbnails/waveforms (derived)
    Status insert_asset(const Asset& asset, const AssetDerived& derived = {});
    Status remove_asset(std::string_view uuid);  // also removes its derived rows; media files stay
                                                 // InvalidArgument while a timeline clip uses it
    Result<AssetLinks> get_asset_links(std::string_view uuid);
    Status restore_asset_links(const AssetLinks& links);  // after re-inserting the asset
    Result<Asset> get_asset(std::string_view uuid);
    Result<std::optional<Asset>> find_asset_by_hash(std::string_view content_hash);
    Result<std::vector<Asset>> list_assets(const AssetFilter& filter = {});  // by created_at_ms, then insertion
    Result<int64_t> count_assets(const AssetFilter& filter = {});
    Status rename_asset(std::string_view uuid, std::string_view name);
    Result<std::vector<uint8_t>> get_thumbnail(std::string_view asset_uuid);  // empty if none
    Result<AssetDerived> get_derived(std::string_view asset_uuid);
    std::filesystem::path asset_file_path(const Asset& asset) const;  // MediaFile/External path

    // ---- immutable blobs for small generated outputs (content-addressed)
    Result<std::string> put_blob(const std::vector<uint8_t>& bytes);  // returns the hash
    Result<std::vector<uint8_t>> get_blob(std::string_view hash);

    // ---- jobs (the persisted queue)
    Status upsert_job(const JobRecord& job);
    Status update_job_state(std::string_view uuid, JobState state, double progress, std::string_view stage,
                            const Error* error = nullptr);
    Result<JobRecord> get_job(std::string_view uuid);
    Result<std::vector<JobRecord>> list_jobs();

    // ---- chats (messages form a tree; a chat shows the path root -> current_leaf_uuid)
    Result<Chat> create_chat(std::string_view title, std::string_view model = {});
    Result<Chat> get_chat(std::string_view uuid);
    // Writes title, model, system_prompt, settings_json (valid JSON) and current_leaf_uuid (a
    // message of this chat, or empty). ProjectObjectNotFound for an unknown chat or leaf.
    Status update_chat(const Chat& chat);
    Status delete_chat(std::string_view uuid);  // with its messages; generations stay
    // Appends to the branch shown (parent: the current leaf, else the newest message) and makes
    // the new message the current leaf.
    Result<Message> add_message(std::string_view chat_uuid, std::string_view role, std::string_view content);
    // Adds a message under m.parent_uuid (which must belong to the same chat) and makes it the
    // chat's current leaf. InvalidArgument for a bad role or a parent from another chat.
    Result<Message> insert_message(const NewMessage& m);
    Result<Message> get_message(std::string_view uuid);
    // The streaming write: the text so far and the state, in one UPDATE (one commit).
    Status update_message_text(std::string_view uuid, std::string_view content, std::string_view reasoning,
                               MessageState state);
    Status set_current_leaf(std::string_view chat_uuid, std::string_view leaf_uuid);  // empty: newest path
    Result<std::vector<Chat>> list_chats();
    Result<std::vector<Message>> list_messages(std::string_view chat_uuid);  // every branch, by seq

    // ---- generations (provenance)
    Status insert_generation(const Generation& gen);
    // Rewrites what a running generation learns as it goes: model, model_hash, params_json, seed,
    // status (a job state name), timings_json, app_version, job_uuid. kind and outputs stay.
    Status update_generation(const Generation& gen);
    Result<Generation> get_generation(std::string_view uuid);
    Result<std::vector<Generation>> list_generations();

    // ---- settings (project-scoped key -> JSON text)
    Status set_setting(std::string_view key, std::string_view value_json);
    Result<std::optional<std::string>> get_setting(std::string_view key);

    // ---- maintenance
    Status save_as(const std::filesystem::path& dest);  // SQLite backup API; copies media dir too
    Result<std::string> integrity_check();             // "ok" or SQLite's report

    // RAII savepoint: rolls back unless commit() is called. Nesting is tracked; `label` and the
    // caller's file:line are recorded (logged if a stray COMMIT or the Project's end finds it
    // open). The Transaction holds the Project's mutex until it ends, so it must be committed
    // or destroyed on the thread that began it.
    Result<Transaction> begin(const char* label, SourceLocation where = SourceLocation::current());
    int transaction_depth() const { return tx_depth_; }  // on the thread holding a Transaction

    sqlite3* raw_handle() { return db_; }  // for tests and migrations only

private:
    friend class Transaction;
    Project() = default;

    sqlite3* db_ = nullptr;
    std::filesystem::path path_;
    bool read_only_ = false;
    int interrupted_on_open_ = 0;
    int interrupted_messages_on_open_ = 0;
    int tx_depth_ = 0;
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

class Transaction {
public:
    Transaction(Transaction&& other) noexcept;
    Transaction& operator=(Transaction&&) = delete;
    ~Transaction();
    Status commit();

private:
    friend class Project;
    Transaction(Project* p, std::string name) : project_(p), name_(std::move(name)) {}
    Status finish(bool commit);
    Project* project_ = nullptr;
    std::string name_;
    bool done_ = false;
    size_t depth_ = 0;  // 0 = outermost
};

}  // namespace atelier::projects
