// Schema install and the migration runner. The registry kSteps below is the only list of
// schema upgrades: add one entry per new schema version (docs/dev/HOWTO-add-migration.md).
// Invariant: a migration is all-or-nothing; user_version only changes in the same transaction.
// Thread-safety: called by the open sequence on the connection it owns.
#include "projects/migrations.h"

#include <sqlite3.h>

#include <string>
#include <vector>

#include "core/log.h"
#include "core/uuid.h"
#include "core/version.h"
#include "projects/project.h"
#include "projects/schema-sql.h"
#include "projects/sqlite-util.h"

namespace atelier::projects {

namespace {

// ---- the registry: one entry per schema version after v1, in order ---------------------------
// A future entry looks like (see docs/dev/HOWTO-add-migration.md):
//   {2, "add clips.speed", [](sqlite3* db) { return exec_sql(db, "ALTER TABLE clips ADD ..."); }},
// v1 -> v2: chat branching, streaming state, reasoning and provenance (schema.sql documents each
// column). The new columns are appended, so a migrated file has the same columns, in the same
// order, as one installed from schema.sql. v1 conversations become one path: each message's
// parent is the one before it, and the chat shows its last message.
Status chat_branches_v2(sqlite3* db) {
    return exec_sql(db,
        "ALTER TABLE chats ADD COLUMN system_prompt TEXT NOT NULL DEFAULT '';"
        "ALTER TABLE chats ADD COLUMN settings_json TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(settings_json));"
        "ALTER TABLE chats ADD COLUMN current_leaf_uuid TEXT REFERENCES messages(uuid) ON DELETE SET NULL;"
        "ALTER TABLE messages ADD COLUMN parent_uuid TEXT REFERENCES messages(uuid) ON DELETE CASCADE;"
        "ALTER TABLE messages ADD COLUMN state TEXT NOT NULL DEFAULT 'done' CHECK (state IN ('streaming', 'done', "
        "'stopped', 'failed', 'interrupted'));"
        "ALTER TABLE messages ADD COLUMN reasoning TEXT NOT NULL DEFAULT '';"
        "ALTER TABLE messages ADD COLUMN generation_uuid TEXT REFERENCES generations(uuid) ON DELETE SET NULL;"
        "CREATE INDEX messages_by_parent ON messages(parent_uuid);"
        "CREATE INDEX messages_by_generation ON messages(generation_uuid);"
        "UPDATE messages SET parent_uuid = (SELECT p.uuid FROM messages p WHERE p.chat_uuid = messages.chat_uuid "
        "AND p.seq < messages.seq ORDER BY p.seq DESC LIMIT 1);"
        "UPDATE chats SET current_leaf_uuid = (SELECT m.uuid FROM messages m WHERE m.chat_uuid = chats.uuid "
        "ORDER BY m.seq DESC LIMIT 1);");
}

const std::vector<MigrationStep>& registry() {
    static const std::vector<MigrationStep> steps = {
        {1, "chat branches, message state, reasoning and provenance", chat_branches_v2},
    };
    return steps;
}

bool keeps_own_code(ErrorCode code) {
    return code == ErrorCode::DiskFull || code == ErrorCode::ProjectBusy || code == ErrorCode::ProjectReadOnly ||
           code == ErrorCode::ProjectCorrupt || code == ErrorCode::OutOfMemory || code == ErrorCode::IoError;
}

Error migration_error(const std::filesystem::path& path, const std::string& what, const Error* cause) {
    if (cause != nullptr && keeps_own_code(cause->code)) return *cause;
    std::string detail = path.string() + ": " + what;
    if (cause != nullptr) detail += ": " + cause->message();
    return make_error(ErrorCode::ProjectMigrationFailed, std::move(detail),
                      "the project file was not changed. Keep it, and report this to the Atelier developers");
}

Status run_steps(sqlite3* db, const std::filesystem::path& path, int from_version, int to_version,
                 std::span<const MigrationStep> steps) {
    for (int v = from_version; v < to_version; ++v) {
        const MigrationStep* step = nullptr;
        for (const MigrationStep& s : steps)
            if (s.from_version == v && s.apply) step = &s;
        if (step == nullptr) return migration_error(path, "no migration step from schema v" + std::to_string(v), nullptr);
        Status st = step->apply(db);
        std::string what = "migration v" + std::to_string(v) + "->v" + std::to_string(v + 1) + " (" + step->summary + ")";
        if (!st.ok()) return migration_error(path, what + " failed", &st.error());
        if (sqlite3_get_autocommit(db) != 0)
            return migration_error(path, what + " ended the migration transaction itself", nullptr);
    }
    return ok_status();
}

Status check_foreign_keys(const detail::Db& d) {
    ATELIER_TRY_ASSIGN(detail::Stmt s, detail::Stmt::prepare(d, "PRAGMA foreign_key_check"));
    ATELIER_TRY_ASSIGN(bool row, s.step());
    if (row)
        return migration_error(d.path, "foreign key violation in table " + s.col_text(0) + " after migrating", nullptr);
    return ok_status();
}

}  // namespace

std::span<const MigrationStep> migration_steps() { return registry(); }

std::string_view schema_sql() { return detail::kSchemaSql; }

Status exec_sql(sqlite3* db, std::string_view sql) {
    const char* file = sqlite3_db_filename(db, "main");
    return detail::exec(detail::Db{db, file != nullptr ? file : ""}, sql);
}

Status run_migrations(sqlite3* db, const std::filesystem::path& path, int from_version, int to_version,
                      std::span<const MigrationStep> steps) {
    if (from_version == to_version) return ok_status();
    if (from_version < 1 || from_version > to_version)
        return migration_error(path, "cannot migrate schema v" + std::to_string(from_version) + " to v" +
                                         std::to_string(to_version), nullptr);
    detail::Db d{db, path};
    ATELIER_TRY(detail::exec(d, "BEGIN IMMEDIATE"));
    Status st = run_steps(db, path, from_version, to_version, steps);
    if (st.ok()) st = check_foreign_keys(d);
    if (st.ok()) st = detail::exec(d, "PRAGMA user_version = " + std::to_string(to_version));
    if (st.ok()) st = detail::exec(d, "COMMIT");
    if (!st.ok()) {
        if (sqlite3_get_autocommit(db) == 0) (void)detail::exec(d, "ROLLBACK");
        ATELIER_LOG_WARN("%s", st.error().message().c_str());
        return st;
    }
    ATELIER_LOG_INFO("%s: migrated schema v%d -> v%d", path.string().c_str(), from_version, to_version);
    return ok_status();
}

Status install_schema(sqlite3* db, const std::filesystem::path& path, std::string_view project_name) {
    detail::Db d{db, path};
    ATELIER_TRY(detail::exec(d, "BEGIN IMMEDIATE"));
    Status st = detail::exec(d, schema_sql());
    if (st.ok()) {
        auto ins = detail::Stmt::prepare(
            d, "INSERT INTO project(id, uuid, name, created_at_ms, created_by_version) VALUES (1, ?, ?, ?, ?)");
        if (!ins.ok()) {
            st = ins.error();
        } else {
            ins->bind(1, uuid_v7()).bind(2, project_name).bind(3, detail::now_ms()).bind(4, ATELIER_VERSION);
            st = ins->run();
        }
    }
    if (st.ok()) st = detail::exec(d, "PRAGMA application_id = " + std::to_string(kApplicationId));
    if (st.ok()) st = detail::exec(d, "PRAGMA user_version = " + std::to_string(kSchemaVersion));
    if (st.ok()) st = detail::exec(d, "COMMIT");
    if (!st.ok() && sqlite3_get_autocommit(db) == 0) (void)detail::exec(d, "ROLLBACK");
    return st;
}

}  // namespace atelier::projects
