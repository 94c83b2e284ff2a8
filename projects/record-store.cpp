// The project row, jobs, generations and settings: the SQL behind those parts of Project's API
// (chats and messages: chat-store.cpp). Invariants: job and generation states are
// job_state_name() strings; settings hold valid JSON (CHECK json_valid).
// Thread-safety: callers hold the Project's mutex (see record-store.h).
#include "projects/record-store.h"

#include <cmath>

#include "core/uuid.h"
#include "projects/asset-store.h"

namespace atelier::projects::detail {

namespace {

Error invalid(const Db& db, const std::string& what) {
    return make_error(ErrorCode::InvalidArgument, db.path.string() + ": " + what);
}

constexpr const char* kJobColumns =
    "uuid, kind, title, params_json, state, progress, stage, error_code, error_detail, created_at_ms, "
    "started_at_ms, finished_at_ms, rerun_of";

Result<JobRecord> read_job(const Db& db, const Stmt& s) {
    JobRecord j;
    j.uuid = s.col_text(0);
    j.kind = s.col_text(1);
    j.title = s.col_text(2);
    j.params_json = s.col_text(3);
    auto state = job_state_from_name(s.col_text(4));
    if (!state)
        return make_error(ErrorCode::ProjectCorrupt, db.path.string() + ": job " + j.uuid + " has an unknown state",
                          hint_corrupt());
    j.state = *state;
    j.progress = s.col_double(5);
    j.stage = s.col_text(6);
    j.error_code = s.col_text(7);
    j.error_detail = s.col_text(8);
    j.created_at_ms = s.col_int(9);
    j.started_at_ms = s.col_int(10);
    j.finished_at_ms = s.col_int(11);
    j.rerun_of = s.col_text(12);
    return j;
}

// Progress is stored in [0,1], or -1 while indeterminate (any negative input); NaN becomes 0.
double clamp_progress(double p) {
    if (std::isnan(p)) return 0.0;
    if (p < 0.0) return -1.0;
    return p > 1.0 ? 1.0 : p;
}

constexpr const char* kGenerationColumns =
    "uuid, kind, model, model_hash, params_json, seed, status, timings_json, app_version, job_uuid, created_at_ms";

// One generation row (kGenerationColumns) and its outputs (`outputs` bound to nothing yet).
Result<Generation> read_generation(const Stmt& s, Stmt& outputs) {
    Generation g;
    g.uuid = s.col_text(0);
    g.kind = s.col_text(1);
    g.model = s.col_text(2);
    g.model_hash = s.col_text(3);
    g.params_json = s.col_text(4);
    g.seed = s.col_int(5);
    g.status = s.col_text(6);
    g.timings_json = s.col_text(7);
    g.app_version = s.col_text(8);
    g.job_uuid = s.col_text(9);
    g.created_at_ms = s.col_int(10);
    outputs.reset().bind(1, g.uuid);
    for (;;) {
        ATELIER_TRY_ASSIGN(bool row, outputs.step());
        if (!row) break;
        g.output_asset_uuids.push_back(outputs.col_text(0));
    }
    return g;
}

constexpr const char* kOutputsSql = "SELECT asset_uuid FROM generation_outputs WHERE generation_uuid = ? ORDER BY position";

}  // namespace

// ---- project row ------------------------------------------------------------------------------

Result<ProjectInfo> read_info(const Db& db) {
    ProjectInfo info;
    ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, "SELECT uuid, name, created_by_version, created_at_ms FROM project WHERE id = 1"));
    ATELIER_TRY_ASSIGN(bool row, s.step());
    if (!row)
        return make_error(ErrorCode::ProjectCorrupt, db.path.string() + ": the project record is missing", hint_corrupt());
    info.uuid = s.col_text(0);
    info.name = s.col_text(1);
    info.created_by_version = s.col_text(2);
    info.created_at_ms = s.col_int(3);
    ATELIER_TRY_ASSIGN(int64_t version, query_int(db, "PRAGMA user_version"));
    info.schema_version = static_cast<int>(version);
    ATELIER_TRY_ASSIGN(info.asset_count, query_int(db, "SELECT count(*) FROM assets"));
    ATELIER_TRY_ASSIGN(info.job_count, query_int(db, "SELECT count(*) FROM jobs"));
    return info;
}

Status set_name(const Db& db, std::string_view name) {
    ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, "UPDATE project SET name = ? WHERE id = 1"));
    s.bind(1, name);
    return s.run();
}

// ---- jobs ---------------------------------------------------------------------------------------

Status upsert_job(const Db& db, const JobRecord& j) {
    if (!uuid_is_valid(j.uuid)) return invalid(db, "job has an invalid uuid '" + j.uuid + "'");
    if (j.state == JobState::Invalid) return invalid(db, "job " + j.uuid + " has no state");
    if (j.kind.empty()) return invalid(db, "job " + j.uuid + " has no kind");
    ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, std::string("INSERT INTO jobs(") + kJobColumns +
                                                     ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                                                     "ON CONFLICT(uuid) DO UPDATE SET kind = excluded.kind, "
                                                     "title = excluded.title, params_json = excluded.params_json, "
                                                     "state = excluded.state, progress = excluded.progress, "
                                                     "stage = excluded.stage, error_code = excluded.error_code, "
                                                     "error_detail = excluded.error_detail, "
                                                     "created_at_ms = excluded.created_at_ms, "
                                                     "started_at_ms = excluded.started_at_ms, "
                                                     "finished_at_ms = excluded.finished_at_ms, rerun_of = excluded.rerun_of"));
    s.bind(1, j.uuid).bind(2, j.kind).bind(3, j.title);
    s.bind(4, j.params_json.empty() ? std::string_view("{}") : std::string_view(j.params_json));
    s.bind(5, job_state_name(j.state)).bind(6, clamp_progress(j.progress)).bind(7, j.stage);
    s.bind(8, j.error_code).bind(9, j.error_detail).bind(10, j.created_at_ms != 0 ? j.created_at_ms : now_ms());
    s.bind(11, j.started_at_ms).bind(12, j.finished_at_ms).bind_text_or_null(13, j.rerun_of);
    return s.run();
}

Status update_job_state(const Db& db, std::string_view uuid, JobState state, double progress, std::string_view stage,
                        const Error* error) {
    if (state == JobState::Invalid) return invalid(db, "job " + std::string(uuid) + ": invalid state");
    // started_at_ms is set the first time the job runs; finished_at_ms whenever it becomes final
    // (and cleared if it leaves a final state, e.g. when requeued).
    ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, "UPDATE jobs SET state = ?1, progress = ?2, stage = ?3, "
                                                 "error_code = ?4, error_detail = ?5, "
                                                 "started_at_ms = CASE WHEN started_at_ms = 0 AND ?1 = 'running' "
                                                 "THEN ?6 ELSE started_at_ms END, "
                                                 "finished_at_ms = CASE WHEN ?7 THEN ?6 ELSE 0 END WHERE uuid = ?8"));
    s.bind(1, job_state_name(state)).bind(2, clamp_progress(progress)).bind(3, stage);
    s.bind(4, error != nullptr ? error_code_name(error->code) : "");
    s.bind(5, error != nullptr ? error->message() : std::string());
    s.bind(6, now_ms()).bind(7, job_state_is_final(state) ? 1 : 0).bind(8, uuid);
    ATELIER_TRY(s.run());
    if (changes(db) == 0) return object_not_found(db, "job", uuid);
    return ok_status();
}

Result<JobRecord> get_job(const Db& db, std::string_view uuid) {
    ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, std::string("SELECT ") + kJobColumns + " FROM jobs WHERE uuid = ?"));
    s.bind(1, uuid);
    ATELIER_TRY_ASSIGN(bool row, s.step());
    if (!row) return object_not_found(db, "job", uuid);
    return read_job(db, s);
}

Result<std::vector<JobRecord>> list_jobs(const Db& db) {
    ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, std::string("SELECT ") + kJobColumns + " FROM jobs ORDER BY created_at_ms, rowid"));
    std::vector<JobRecord> out;
    for (;;) {
        ATELIER_TRY_ASSIGN(bool row, s.step());
        if (!row) break;
        ATELIER_TRY_ASSIGN(JobRecord j, read_job(db, s));
        out.push_back(std::move(j));
    }
    return out;
}

// ---- generations ----------------------------------------------------------------------------------

Status insert_generation(const Db& db, const Generation& g) {
    if (!uuid_is_valid(g.uuid)) return invalid(db, "generation has an invalid uuid '" + g.uuid + "'");
    if (!job_state_from_name(g.status)) return invalid(db, "generation " + g.uuid + " has an unknown status '" + g.status + "'");
    ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, "INSERT INTO generations(uuid, kind, model, model_hash, params_json, seed, "
                                                 "status, timings_json, app_version, job_uuid, created_at_ms) "
                                                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    s.bind(1, g.uuid).bind(2, g.kind).bind(3, g.model).bind(4, g.model_hash);
    s.bind(5, g.params_json.empty() ? std::string_view("{}") : std::string_view(g.params_json)).bind(6, g.seed);
    s.bind(7, g.status).bind(8, g.timings_json.empty() ? std::string_view("{}") : std::string_view(g.timings_json));
    s.bind(9, g.app_version).bind_text_or_null(10, g.job_uuid).bind(11, g.created_at_ms != 0 ? g.created_at_ms : now_ms());
    ATELIER_TRY(s.run());
    ATELIER_TRY_ASSIGN(Stmt o, Stmt::prepare(db, "INSERT INTO generation_outputs(generation_uuid, position, asset_uuid) VALUES (?, ?, ?)"));
    for (size_t i = 0; i < g.output_asset_uuids.size(); ++i) {
        o.reset().bind(1, g.uuid).bind(2, static_cast<int64_t>(i)).bind(3, g.output_asset_uuids[i]);
        ATELIER_TRY(o.run());
    }
    return ok_status();
}

Status update_generation(const Db& db, const Generation& g) {
    if (!job_state_from_name(g.status)) return invalid(db, "generation " + g.uuid + ": unknown status '" + g.status + "'");
    ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, "UPDATE generations SET model = ?, model_hash = ?, params_json = ?, seed = ?, "
                                                 "status = ?, timings_json = ?, app_version = ?, job_uuid = ? WHERE uuid = ?"));
    s.bind(1, g.model).bind(2, g.model_hash).bind(3, g.params_json.empty() ? std::string_view("{}") : std::string_view(g.params_json));
    s.bind(4, g.seed).bind(5, g.status).bind(6, g.timings_json.empty() ? std::string_view("{}") : std::string_view(g.timings_json));
    s.bind(7, g.app_version).bind_text_or_null(8, g.job_uuid).bind(9, g.uuid);
    Status st = s.run();
    if (!st.ok() && st.error().code == ErrorCode::InvalidArgument)
        return invalid(db, "generation " + g.uuid + ": parameters or timings are not valid JSON");
    if (!st.ok()) return st;
    if (changes(db) == 0) return object_not_found(db, "generation", g.uuid);
    return ok_status();
}

Result<Generation> get_generation(const Db& db, std::string_view uuid) {
    ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, std::string("SELECT ") + kGenerationColumns + " FROM generations WHERE uuid = ?"));
    ATELIER_TRY_ASSIGN(Stmt o, Stmt::prepare(db, kOutputsSql));
    s.bind(1, uuid);
    ATELIER_TRY_ASSIGN(bool row, s.step());
    if (!row) return object_not_found(db, "generation", uuid);
    return read_generation(s, o);
}

Result<std::vector<Generation>> list_generations(const Db& db) {
    ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, std::string("SELECT ") + kGenerationColumns +
                                                     " FROM generations ORDER BY created_at_ms, rowid"));
    ATELIER_TRY_ASSIGN(Stmt o, Stmt::prepare(db, kOutputsSql));
    std::vector<Generation> out;
    for (;;) {
        ATELIER_TRY_ASSIGN(bool row, s.step());
        if (!row) break;
        ATELIER_TRY_ASSIGN(Generation g, read_generation(s, o));
        out.push_back(std::move(g));
    }
    return out;
}

// ---- settings -------------------------------------------------------------------------------------

Status set_setting(const Db& db, std::string_view key, std::string_view value_json) {
    if (key.empty()) return invalid(db, "a setting needs a key");
    ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, "INSERT INTO settings(key, value_json) VALUES (?, ?) "
                                                 "ON CONFLICT(key) DO UPDATE SET value_json = excluded.value_json"));
    s.bind(1, key).bind(2, value_json);
    Status st = s.run();
    if (!st.ok() && st.error().code == ErrorCode::InvalidArgument)
        return invalid(db, "setting '" + std::string(key) + "' is not valid JSON: " + std::string(value_json.substr(0, 80)));
    return st;
}

Result<std::optional<std::string>> get_setting(const Db& db, std::string_view key) {
    ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, "SELECT value_json FROM settings WHERE key = ?"));
    s.bind(1, key);
    ATELIER_TRY_ASSIGN(bool row, s.step());
    if (!row) return std::optional<std::string>();
    return std::optional<std::string>(s.col_text(0));
}

}  // namespace atelier::projects::detail
