// Internal to atelier_projects: SQL for the project row, jobs, generations and settings
// (chats and messages: chat-store.h). Project wraps each mutating call in a savepoint and holds its mutex.
// Thread-safety: whoever holds the Project's mutex.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "projects/project.h"
#include "projects/sqlite-util.h"

namespace atelier::projects::detail {

// Everything of ProjectInfo that lives in the file (path and media_dir are the caller's).
Result<ProjectInfo> read_info(const Db& db);
Status set_name(const Db& db, std::string_view name);

Status upsert_job(const Db& db, const JobRecord& job);
Status update_job_state(const Db& db, std::string_view uuid, JobState state, double progress, std::string_view stage,
                        const Error* error);
Result<JobRecord> get_job(const Db& db, std::string_view uuid);
Result<std::vector<JobRecord>> list_jobs(const Db& db);

Status insert_generation(const Db& db, const Generation& gen);
Status update_generation(const Db& db, const Generation& gen);
Result<Generation> get_generation(const Db& db, std::string_view uuid);
Result<std::vector<Generation>> list_generations(const Db& db);

Status set_setting(const Db& db, std::string_view key, std::string_view value_json);
Result<std::optional<std::string>> get_setting(const Db& db, std::string_view key);

}  // namespace atelier::projects::detail
