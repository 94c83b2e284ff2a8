// The SQL behind timeline-store.h (schema.sql documents the columns). Every function takes a
// Project savepoint (Project::begin) first: that holds the Project's mutex, so the raw connection
// is used by one thread at a time, and writes commit as one unit.
// Thread-safety: any thread (serialised by the Project).
#include "projects/timeline-store.h"

#include <array>

#include "core/uuid.h"
#include "projects/sqlite-util.h"

namespace atelier::projects {
namespace {

using detail::Db;
using detail::Stmt;

constexpr std::array<std::pair<TrackKind, const char*>, 3> kKinds = {
    {{TrackKind::Video, "video"}, {TrackKind::Audio, "audio"}, {TrackKind::Subtitle, "subtitle"}}};

constexpr const char* kTimelineColumns = "uuid, name, width, height, fps_num, fps_den, sample_rate_hz, created_at_ms";
constexpr const char* kClipColumns =
    "c.uuid, c.track_uuid, coalesce(c.asset_uuid, ''), c.start_ms, c.duration_ms, c.source_in_ms, c.text, c.params_json";

Db db_of(Project& p) { return Db{p.raw_handle(), p.path()}; }

Error not_found(const Db& db, const char* what, std::string_view uuid) {
    return make_error(ErrorCode::ProjectObjectNotFound, db.path.string() + ": no " + what + " " + std::string(uuid),
                      "list them with 'atelier-cli project info'");
}

TimelineRow read_timeline(const Stmt& s) {
    return TimelineRow{s.col_text(0), s.col_text(1), static_cast<int>(s.col_int(2)), static_cast<int>(s.col_int(3)),
                       static_cast<int>(s.col_int(4)), static_cast<int>(s.col_int(5)), static_cast<int>(s.col_int(6)),
                       s.col_int(7)};
}

// Runs fn(db) inside one savepoint and commits it.
template <class F>
auto in_tx(Project& p, const char* label, F&& fn) -> decltype(fn(std::declval<const Db&>())) {
    ATELIER_TRY_ASSIGN(Transaction tx, p.begin(label));
    const Db db = db_of(p);
    auto r = fn(db);
    if (!r.ok()) return r;
    ATELIER_TRY(tx.commit());
    return r;
}

Result<bool> exists(const Db& db, const char* sql, std::string_view uuid) {
    ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, sql));
    s.bind(1, uuid);
    return s.step();
}

}  // namespace

const char* track_kind_name(TrackKind kind) {
    for (const auto& [k, n] : kKinds)
        if (k == kind) return n;
    return "invalid";
}

std::optional<TrackKind> track_kind_from_name(std::string_view name) {
    for (const auto& [k, n] : kKinds)
        if (name == n) return k;
    return std::nullopt;
}

Result<TimelineRow> create_timeline(Project& p, const TimelineRow& t) {
    if (t.width <= 0 || t.height <= 0 || t.fps_num <= 0 || t.fps_den <= 0 || t.sample_rate_hz <= 0) {
        return make_error(ErrorCode::InvalidArgument, p.path().string() + ": a timeline needs a positive size, frame rate and sample rate");
    }
    return in_tx(p, "create timeline", [&](const Db& db) -> Result<TimelineRow> {
        TimelineRow row = t;
        row.uuid = uuid_v7();
        row.created_at_ms = detail::now_ms();
        ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, std::string("INSERT INTO timelines(") + kTimelineColumns +
                                                         ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
        s.bind(1, row.uuid).bind(2, row.name).bind(3, row.width).bind(4, row.height).bind(5, row.fps_num);
        s.bind(6, row.fps_den).bind(7, row.sample_rate_hz).bind(8, row.created_at_ms);
        ATELIER_TRY(s.run());
        return row;
    });
}

Result<std::vector<TimelineRow>> list_timelines(Project& p) {
    return in_tx(p, "list timelines", [&](const Db& db) -> Result<std::vector<TimelineRow>> {
        ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, std::string("SELECT ") + kTimelineColumns +
                                                         " FROM timelines ORDER BY created_at_ms, rowid"));
        std::vector<TimelineRow> out;
        for (;;) {
            ATELIER_TRY_ASSIGN(bool row, s.step());
            if (!row) break;
            out.push_back(read_timeline(s));
        }
        return out;
    });
}

Result<TimelineDoc> load_timeline(Project& p, std::string_view uuid) {
    return in_tx(p, "load timeline", [&](const Db& db) -> Result<TimelineDoc> {
        TimelineDoc doc;
        ATELIER_TRY_ASSIGN(Stmt t, Stmt::prepare(db, std::string("SELECT ") + kTimelineColumns + " FROM timelines " +
                                                         (uuid.empty() ? "ORDER BY created_at_ms, rowid LIMIT 1" : "WHERE uuid = ?")));
        if (!uuid.empty()) t.bind(1, uuid);
        ATELIER_TRY_ASSIGN(bool found, t.step());
        if (!found) {
            if (uuid.empty()) {
                return make_error(ErrorCode::ProjectObjectNotFound, db.path.string() + ": the project has no timeline",
                                  "build one first (atelier-cli timeline add)");
            }
            return not_found(db, "timeline", uuid);
        }
        doc.timeline = read_timeline(t);
        ATELIER_TRY_ASSIGN(Stmt tr, Stmt::prepare(db, "SELECT uuid, timeline_uuid, seq, kind, name, muted FROM tracks "
                                                      "WHERE timeline_uuid = ? ORDER BY seq"));
        tr.bind(1, doc.timeline.uuid);
        for (;;) {
            ATELIER_TRY_ASSIGN(bool row, tr.step());
            if (!row) break;
            doc.tracks.push_back(TrackRow{tr.col_text(0), tr.col_text(1), tr.col_int(2),
                                          track_kind_from_name(tr.col_text(3)).value_or(TrackKind::Invalid), tr.col_text(4),
                                          tr.col_int(5) != 0});
        }
        ATELIER_TRY_ASSIGN(Stmt c, Stmt::prepare(db, std::string("SELECT ") + kClipColumns +
                                                         " FROM clips c JOIN tracks t ON t.uuid = c.track_uuid "
                                                         "WHERE t.timeline_uuid = ? ORDER BY t.seq, c.start_ms, c.rowid"));
        c.bind(1, doc.timeline.uuid);
        for (;;) {
            ATELIER_TRY_ASSIGN(bool row, c.step());
            if (!row) break;
            doc.clips.push_back(ClipRow{c.col_text(0), c.col_text(1), c.col_text(2), c.col_int(3), c.col_int(4), c.col_int(5),
                                        c.col_text(6), c.col_text(7)});
        }
        return doc;
    });
}

Result<TrackRow> add_track(Project& p, std::string_view timeline_uuid, TrackKind kind, std::string_view name) {
    if (kind == TrackKind::Invalid) return make_error(ErrorCode::InvalidArgument, "track kind must be video, audio or subtitle");
    return in_tx(p, "add track", [&](const Db& db) -> Result<TrackRow> {
        ATELIER_TRY_ASSIGN(bool found, exists(db, "SELECT 1 FROM timelines WHERE uuid = ?", timeline_uuid));
        if (!found) return not_found(db, "timeline", timeline_uuid);
        ATELIER_TRY_ASSIGN(Stmt q, Stmt::prepare(db, "SELECT coalesce(max(seq) + 1, 0) FROM tracks WHERE timeline_uuid = ?"));
        q.bind(1, timeline_uuid);
        ATELIER_TRY(q.step());
        TrackRow row{uuid_v7(), std::string(timeline_uuid), q.col_int(0), kind, std::string(name), false};
        ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, "INSERT INTO tracks(uuid, timeline_uuid, seq, kind, name, muted) "
                                                     "VALUES (?, ?, ?, ?, ?, 0)"));
        s.bind(1, row.uuid).bind(2, row.timeline_uuid).bind(3, row.seq).bind(4, track_kind_name(kind)).bind(5, row.name);
        ATELIER_TRY(s.run());
        return row;
    });
}

Result<ClipRow> add_clip(Project& p, ClipRow clip) {
    return in_tx(p, "add clip", [&](const Db& db) -> Result<ClipRow> {
        ATELIER_TRY_ASSIGN(Stmt k, Stmt::prepare(db, "SELECT kind FROM tracks WHERE uuid = ?"));
        k.bind(1, clip.track_uuid);
        ATELIER_TRY_ASSIGN(bool found, k.step());
        if (!found) return not_found(db, "track", clip.track_uuid);
        const bool subtitle = k.col_text(0) == "subtitle";
        if (subtitle != clip.asset_uuid.empty() || (subtitle && clip.text.empty())) {
            return make_error(ErrorCode::InvalidArgument,
                              db.path.string() + ": subtitle items need text and no asset; other clips need an asset");
        }
        if (clip.start_ms < 0 || clip.duration_ms <= 0 || clip.source_in_ms < 0) {
            return make_error(ErrorCode::InvalidArgument, db.path.string() + ": a clip needs start >= 0, duration > 0, in >= 0");
        }
        if (clip.uuid.empty()) clip.uuid = uuid_v7();
        if (clip.params_json.empty()) clip.params_json = "{}";
        ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, "INSERT INTO clips(uuid, track_uuid, asset_uuid, start_ms, duration_ms, "
                                                     "source_in_ms, text, params_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
        s.bind(1, clip.uuid).bind(2, clip.track_uuid).bind_text_or_null(3, clip.asset_uuid).bind(4, clip.start_ms);
        s.bind(5, clip.duration_ms).bind(6, clip.source_in_ms).bind(7, clip.text).bind(8, clip.params_json);
        ATELIER_TRY(s.run());
        return clip;
    });
}

Status remove_clip(Project& p, std::string_view clip_uuid) {
    return in_tx(p, "remove clip", [&](const Db& db) -> Status {
        ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, "DELETE FROM clips WHERE uuid = ?"));
        s.bind(1, clip_uuid);
        ATELIER_TRY(s.run());
        if (detail::changes(db) == 0) return not_found(db, "clip", clip_uuid);
        return ok_status();
    });
}

Result<std::vector<SegmentRow>> list_transcript_segments(Project& p, std::string_view transcript_uuid) {
    return in_tx(p, "list segments", [&](const Db& db) -> Result<std::vector<SegmentRow>> {
        ATELIER_TRY_ASSIGN(bool found, exists(db, "SELECT 1 FROM transcripts WHERE uuid = ?", transcript_uuid));
        if (!found) return not_found(db, "transcript", transcript_uuid);
        ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, "SELECT start_ms, end_ms, speaker, text FROM transcript_segments "
                                                     "WHERE transcript_uuid = ? ORDER BY seq"));
        s.bind(1, transcript_uuid);
        std::vector<SegmentRow> out;
        for (;;) {
            ATELIER_TRY_ASSIGN(bool row, s.step());
            if (!row) break;
            out.push_back(SegmentRow{s.col_int(0), s.col_int(1), s.col_text(2), s.col_text(3)});
        }
        return out;
    });
}

}  // namespace atelier::projects
