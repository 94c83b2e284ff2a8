// Schema installation and migrations for the .atelier file (STYLE §7, ARCHITECTURE §5).
//  - install_schema() writes projects/schema.sql (embedded at build time) into an empty database.
//  - run_migrations() upgrades a file from version N to M by running registered steps N->N+1
//    inside ONE transaction; on any failure it rolls back and the file is left unchanged.
//  - The registry is the table in migrations.cpp; docs/dev/HOWTO-add-migration.md is the recipe.
// Thread-safety: functions work on the connection they are given; the caller serialises it.
#pragma once

#include <filesystem>
#include <functional>
#include <span>
#include <string_view>

#include "core/result.h"

struct sqlite3;

namespace atelier::projects {

struct MigrationStep {
    int from_version = 0;      // upgrades a file at from_version to from_version + 1
    const char* summary = "";  // one line, e.g. "add clips.speed"
    // Runs inside the migration transaction with foreign_keys OFF (SQLite's table-rebuild
    // procedure). Must not COMMIT or ROLLBACK. An error aborts the whole migration.
    std::function<Status(sqlite3* db)> apply;
};

// The registered steps, ordered by from_version (one per schema version after v1).
std::span<const MigrationStep> migration_steps();

// Upgrades `db` (the file at `path`, named in errors) from `from_version` to `to_version` in one
// transaction: each step, then PRAGMA foreign_key_check, then user_version = to_version.
// Needs PRAGMA foreign_keys=OFF on `db` (the caller turns it on afterwards).
// Errors: ProjectMigrationFailed (missing or failing step, foreign key violations), or the
// mapped SQLite error (DiskFull, ProjectBusy, ProjectReadOnly, ProjectCorrupt). On error the
// database is rolled back to exactly what it was.
Status run_migrations(sqlite3* db, const std::filesystem::path& path, int from_version, int to_version,
                      std::span<const MigrationStep> steps = migration_steps());

// Installs the current schema, the project row and the identity pragmas (application_id,
// user_version = kSchemaVersion) into an empty database, in one transaction.
Status install_schema(sqlite3* db, const std::filesystem::path& path, std::string_view project_name);

// For steps: runs `sql` on `db`; errors are mapped like every project error and name the file.
Status exec_sql(sqlite3* db, std::string_view sql);

// The text of projects/schema.sql as compiled in.
std::string_view schema_sql();

}  // namespace atelier::projects
