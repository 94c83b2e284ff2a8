// The SQL behind transcript-store.h (schema.sql documents the columns). Every function takes a
// Project savepoint first, so the raw connection is used by one thread at a time and a
// transcript with all its segments and words appears (or goes) as one unit.
// Invariant: segment seq is 0..n-1 in time order; word seq is 0..m-1 within its segment.
// Thread-safety: any thread (serialised by the Project).
#include "projects/transcript-store.h"

#include <algorithm>
#include <cmath>

#include "core/uuid.h"
#include "projects/asset-store.h"
#include "projects/sqlite-util.h"

namespace atelier::projects {
namespace {

using detail::Db;
using detail::Stmt;

constexpr const char* kTranscriptColumns =
    "uuid, coalesce(asset_uuid, ''), coalesce(generation_uuid, ''), language, title, created_at_ms";

template <class F>
auto in_tx(Project& p, const char* label, F&& fn) -> decltype(fn(std::declval<const Db&>())) {
    ATELIER_TRY_ASSIGN(Transaction tx, p.begin(label));
    const Db db{p.raw_handle(), p.path()};
    auto r = fn(db);
    if (!r.ok()) return r;
    ATELIER_TRY(tx.commit());
    return r;
}

TranscriptRow read_transcript(const Stmt& s) {
    return TranscriptRow{s.col_text(0), s.col_text(1), s.col_text(2), s.col_text(3), s.col_text(4), s.col_int(5)};
}

Status check_exists(const Db& db, const char* sql, const char* what, std::string_view uuid) {
    if (uuid.empty()) return ok_status();
    ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, sql));
    s.bind(1, uuid);
    ATELIER_TRY_ASSIGN(bool found, s.step());
    if (!found) return detail::object_not_found(db, what, uuid);
    return ok_status();
}

Status insert_segments(const Db& db, const std::string& transcript_uuid, std::vector<TranscriptSegmentRow>& segments) {
    ATELIER_TRY_ASSIGN(Stmt seg, Stmt::prepare(db, "INSERT INTO transcript_segments(uuid, transcript_uuid, seq, start_ms, "
                                                   "end_ms, speaker, text) VALUES (?, ?, ?, ?, ?, ?, ?)"));
    ATELIER_TRY_ASSIGN(Stmt word, Stmt::prepare(db, "INSERT INTO transcript_words(segment_uuid, seq, start_ms, end_ms, text, "
                                                    "probability) VALUES (?, ?, ?, ?, ?, ?)"));
    for (size_t i = 0; i < segments.size(); ++i) {
        TranscriptSegmentRow& s = segments[i];
        if (s.uuid.empty()) s.uuid = uuid_v7();
        s.start_ms = std::max<int64_t>(0, s.start_ms);
        s.end_ms = std::max(s.start_ms, s.end_ms);
        seg.reset().bind(1, s.uuid).bind(2, transcript_uuid).bind(3, static_cast<int64_t>(i)).bind(4, s.start_ms);
        seg.bind(5, s.end_ms).bind(6, s.speaker).bind(7, s.text);
        ATELIER_TRY(seg.run());
        for (size_t k = 0; k < s.words.size(); ++k) {
            TranscriptWordRow& w = s.words[k];
            w.start_ms = std::max<int64_t>(0, w.start_ms);
            w.end_ms = std::max(w.start_ms, w.end_ms);
            w.probability = std::isnan(w.probability) ? 0.0 : std::clamp(w.probability, 0.0, 1.0);
            word.reset().bind(1, s.uuid).bind(2, static_cast<int64_t>(k)).bind(3, w.start_ms).bind(4, w.end_ms);
            word.bind(5, w.text).bind(6, w.probability);
            ATELIER_TRY(word.run());
        }
    }
    return ok_status();
}

Result<std::vector<TranscriptWordRow>> load_words(const Db& db, std::string_view segment_uuid) {
    ATELIER_TRY_ASSIGN(Stmt w, Stmt::prepare(db, "SELECT start_ms, end_ms, text, probability FROM transcript_words "
                                                 "WHERE segment_uuid = ? ORDER BY seq"));
    w.bind(1, segment_uuid);
    std::vector<TranscriptWordRow> out;
    for (;;) {
        ATELIER_TRY_ASSIGN(bool row, w.step());
        if (!row) break;
        out.push_back(TranscriptWordRow{w.col_int(0), w.col_int(1), w.col_text(2), w.col_double(3)});
    }
    return out;
}

Status update_segment_text(const Db& db, std::string_view segment_uuid, std::string_view text) {
    ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, "UPDATE transcript_segments SET text = ? WHERE uuid = ?"));
    s.bind(1, text).bind(2, segment_uuid);
    ATELIER_TRY(s.run());
    if (detail::changes(db) == 0) return detail::object_not_found(db, "transcript segment", segment_uuid);
    return ok_status();
}

}  // namespace

std::string text_from_words(const std::vector<TranscriptWordRow>& words) {
    std::string out;
    for (const auto& w : words) out += w.text;
    const size_t b = out.find_first_not_of(' ');
    if (b == std::string::npos) return {};
    return out.substr(b, out.find_last_not_of(' ') - b + 1);
}

Result<TranscriptDoc> create_transcript(Project& p, TranscriptDoc doc) {
    return in_tx(p, "create transcript", [&](const Db& db) -> Result<TranscriptDoc> {
        TranscriptRow& t = doc.transcript;
        ATELIER_TRY(check_exists(db, "SELECT 1 FROM assets WHERE uuid = ?", "asset", t.asset_uuid));
        ATELIER_TRY(check_exists(db, "SELECT 1 FROM generations WHERE uuid = ?", "generation", t.generation_uuid));
        if (t.uuid.empty()) t.uuid = uuid_v7();
        if (t.created_at_ms == 0) t.created_at_ms = detail::now_ms();
        ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, "INSERT INTO transcripts(uuid, asset_uuid, generation_uuid, language, "
                                                     "title, created_at_ms) VALUES (?, ?, ?, ?, ?, ?)"));
        s.bind(1, t.uuid).bind_text_or_null(2, t.asset_uuid).bind_text_or_null(3, t.generation_uuid).bind(4, t.language);
        s.bind(5, t.title).bind(6, t.created_at_ms);
        ATELIER_TRY(s.run());
        ATELIER_TRY(insert_segments(db, t.uuid, doc.segments));
        return doc;
    });
}

Result<std::vector<TranscriptRow>> list_transcripts(Project& p, std::string_view asset_uuid) {
    return in_tx(p, "list transcripts", [&](const Db& db) -> Result<std::vector<TranscriptRow>> {
        ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, std::string("SELECT ") + kTranscriptColumns + " FROM transcripts " +
                                                         (asset_uuid.empty() ? "" : "WHERE asset_uuid = ? ") +
                                                         "ORDER BY created_at_ms, rowid"));
        if (!asset_uuid.empty()) s.bind(1, asset_uuid);
        std::vector<TranscriptRow> out;
        for (;;) {
            ATELIER_TRY_ASSIGN(bool row, s.step());
            if (!row) break;
            out.push_back(read_transcript(s));
        }
        return out;
    });
}

Result<TranscriptDoc> load_transcript(Project& p, std::string_view uuid) {
    return in_tx(p, "load transcript", [&](const Db& db) -> Result<TranscriptDoc> {
        ATELIER_TRY_ASSIGN(Stmt t, Stmt::prepare(db, std::string("SELECT ") + kTranscriptColumns + " FROM transcripts WHERE uuid = ?"));
        t.bind(1, uuid);
        ATELIER_TRY_ASSIGN(bool found, t.step());
        if (!found) return detail::object_not_found(db, "transcript", uuid);
        TranscriptDoc doc;
        doc.transcript = read_transcript(t);
        ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, "SELECT uuid, start_ms, end_ms, speaker, text FROM transcript_segments "
                                                     "WHERE transcript_uuid = ? ORDER BY seq"));
        s.bind(1, uuid);
        for (;;) {
            ATELIER_TRY_ASSIGN(bool row, s.step());
            if (!row) break;
            doc.segments.push_back(TranscriptSegmentRow{s.col_text(0), s.col_int(1), s.col_int(2), s.col_text(3), s.col_text(4), {}});
        }
        for (auto& seg : doc.segments) {
            ATELIER_TRY_ASSIGN(seg.words, load_words(db, seg.uuid));
        }
        return doc;
    });
}

Status remove_transcript(Project& p, std::string_view uuid) {
    return in_tx(p, "remove transcript", [&](const Db& db) -> Status {
        ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, "DELETE FROM transcripts WHERE uuid = ?"));
        s.bind(1, uuid);
        ATELIER_TRY(s.run());
        if (detail::changes(db) == 0) return detail::object_not_found(db, "transcript", uuid);
        return ok_status();
    });
}

Status set_segment_text(Project& p, std::string_view segment_uuid, std::string_view text) {
    return in_tx(p, "edit segment", [&](const Db& db) -> Status { return update_segment_text(db, segment_uuid, text); });
}

Status set_word_text(Project& p, std::string_view segment_uuid, int64_t seq, std::string_view text) {
    return in_tx(p, "edit word", [&](const Db& db) -> Status {
        ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, "UPDATE transcript_words SET text = ? WHERE segment_uuid = ? AND seq = ?"));
        s.bind(1, text).bind(2, segment_uuid).bind(3, seq);
        ATELIER_TRY(s.run());
        if (detail::changes(db) == 0)
            return detail::object_not_found(db, "word", std::string(segment_uuid) + "#" + std::to_string(seq));
        ATELIER_TRY_ASSIGN(auto words, load_words(db, segment_uuid));
        return update_segment_text(db, segment_uuid, text_from_words(words));
    });
}

}  // namespace atelier::projects
