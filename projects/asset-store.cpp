// Assets, derived rows, asset links and blobs: the SQL behind Project's asset API.
// Invariants: assets are addressed by UUID; derived rows carry kThumbnailsVersion /
// kWaveformsVersion; blobs are only inserted (a trigger forbids updates).
// Thread-safety: callers hold the Project's mutex (see asset-store.h).
#include "projects/asset-store.h"

#include <algorithm>
#include <bit>

#include "core/hash.h"
#include "core/uuid.h"

namespace atelier::projects {

const char* asset_kind_name(AssetKind kind) {
    switch (kind) {
        case AssetKind::Image: return "image";
        case AssetKind::Audio: return "audio";
        case AssetKind::Video: return "video";
        case AssetKind::Text: return "text";
        case AssetKind::Other: return "other";
        case AssetKind::Invalid: break;
    }
    return "invalid";
}

std::optional<AssetKind> asset_kind_from_name(std::string_view name) {
    for (AssetKind k : {AssetKind::Image, AssetKind::Audio, AssetKind::Video, AssetKind::Text, AssetKind::Other})
        if (name == asset_kind_name(k)) return k;
    return std::nullopt;
}

}  // namespace atelier::projects

namespace atelier::projects::detail {

namespace {

constexpr const char* kAssetColumns =
    "uuid, kind, name, content_hash, size_bytes, storage, rel_path, source_path, mime, container, width, height, "
    "duration_ms, sample_rate_hz, channels, metadata_json, created_at_ms";

std::optional<AssetStorage> storage_from_name(std::string_view name) {
    for (AssetStorage s : {AssetStorage::MediaFile, AssetStorage::Blob, AssetStorage::External})
        if (name == asset_storage_name(s)) return s;
    return std::nullopt;
}

Result<Asset> read_asset(const Db& db, const Stmt& s) {
    Asset a;
    a.uuid = s.col_text(0);
    auto kind = asset_kind_from_name(s.col_text(1));
    auto storage = storage_from_name(s.col_text(5));
    if (!kind || !storage)  // the CHECK constraints make this unreachable unless the file was edited
        return make_error(ErrorCode::ProjectCorrupt, db.path.string() + ": asset " + a.uuid + " has an unknown kind or storage",
                          hint_corrupt());
    a.kind = *kind;
    a.name = s.col_text(2);
    a.content_hash = s.col_text(3);
    a.size_bytes = s.col_int(4);
    a.storage = *storage;
    a.rel_path = s.col_text(6);
    a.source_path = s.col_text(7);
    a.mime = s.col_text(8);
    a.container = s.col_text(9);
    a.width = static_cast<int>(s.col_int(10));
    a.height = static_cast<int>(s.col_int(11));
    a.duration_ms = s.col_int(12);
    a.sample_rate_hz = static_cast<int>(s.col_int(13));
    a.channels = static_cast<int>(s.col_int(14));
    a.metadata_json = s.col_text(15);
    a.created_at_ms = s.col_int(16);
    return a;
}

// Waveforms are stored as little-endian float32, whatever the host's byte order.
std::vector<uint8_t> pack_floats(const std::vector<float>& v) {
    std::vector<uint8_t> out(v.size() * 4);
    for (size_t i = 0; i < v.size(); ++i) {
        uint32_t bits = std::bit_cast<uint32_t>(v[i]);
        for (int b = 0; b < 4; ++b) out[i * 4 + b] = static_cast<uint8_t>(bits >> (8 * b));
    }
    return out;
}

std::vector<float> unpack_floats(const std::vector<uint8_t>& bytes) {
    std::vector<float> out(bytes.size() / 4);
    for (size_t i = 0; i < out.size(); ++i) {
        uint32_t bits = 0;
        for (int b = 0; b < 4; ++b) bits |= uint32_t{bytes[i * 4 + b]} << (8 * b);
        out[i] = std::bit_cast<float>(bits);
    }
    return out;
}

Status validate(const Db& db, const Asset& a, const AssetDerived& d) {
    auto bad = [&](const std::string& why) {
        return make_error(ErrorCode::InvalidArgument, db.path.string() + ": cannot add asset '" + a.name + "': " + why);
    };
    if (!uuid_is_valid(a.uuid)) return bad("invalid uuid '" + a.uuid + "'");
    if (a.kind == AssetKind::Invalid) return bad("no kind");
    if (a.storage == AssetStorage::Invalid) return bad("no storage");
    if (!d.thumbnail_png.empty() && (d.thumbnail_width <= 0 || d.thumbnail_height <= 0))
        return bad("thumbnail without a size");
    if (!d.waveform.empty() && (d.waveform.size() % 2 != 0 || d.waveform_samples_per_bucket <= 0))
        return bad("waveform must be min,max pairs with samples_per_bucket > 0");
    return ok_status();
}

Status insert_derived(const Db& db, const std::string& uuid, const AssetDerived& d) {
    if (!d.thumbnail_png.empty()) {
        ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, "INSERT INTO thumbnails(asset_uuid, derived_version, width, "
                                                     "height, png) VALUES (?, ?, ?, ?, ?)"));
        s.bind(1, uuid).bind(2, kThumbnailsVersion).bind(3, d.thumbnail_width).bind(4, d.thumbnail_height);
        s.bind_blob(5, d.thumbnail_png.data(), d.thumbnail_png.size());
        ATELIER_TRY(s.run());
    }
    if (!d.waveform.empty()) {
        ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, "INSERT INTO waveforms(asset_uuid, derived_version, "
                                                     "samples_per_bucket, data) VALUES (?, ?, ?, ?)"));
        std::vector<uint8_t> packed = pack_floats(d.waveform);
        s.bind(1, uuid).bind(2, kWaveformsVersion).bind(3, d.waveform_samples_per_bucket);
        s.bind_blob(4, packed.data(), packed.size());
        ATELIER_TRY(s.run());
    }
    return ok_status();
}

// WHERE clause and its bindings for an AssetFilter. LIKE is case-insensitive for ASCII.
struct FilterSql {
    std::string where;
    std::vector<std::string> args;
};

FilterSql filter_sql(const AssetFilter& f) {
    FilterSql out;
    std::vector<std::string> terms;
    if (f.kind) {
        terms.push_back("kind = ?");
        out.args.push_back(asset_kind_name(*f.kind));
    }
    if (!f.name_contains.empty()) {
        std::string pattern = "%";
        for (char c : f.name_contains) {
            if (c == '%' || c == '_' || c == '\\') pattern += '\\';
            pattern += c;
        }
        pattern += '%';
        terms.push_back("name LIKE ? ESCAPE '\\'");
        out.args.push_back(pattern);
    }
    for (size_t i = 0; i < terms.size(); ++i) out.where += (i == 0 ? " WHERE " : " AND ") + terms[i];
    return out;
}

}  // namespace

const char* asset_storage_name(AssetStorage storage) {
    switch (storage) {
        case AssetStorage::MediaFile: return "media_file";
        case AssetStorage::Blob: return "blob";
        case AssetStorage::External: return "external";
        case AssetStorage::Invalid: break;
    }
    return "invalid";
}

Error object_not_found(const Db& db, std::string_view what, std::string_view uuid) {
    return make_error(ErrorCode::ProjectObjectNotFound,
                      db.path.string() + ": " + std::string(what) + " " + std::string(uuid) + " does not exist",
                      "it may have been removed; refresh the view");
}

Status insert_asset(const Db& db, const Asset& a, const AssetDerived& d) {
    ATELIER_TRY(validate(db, a, d));
    ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, std::string("INSERT INTO assets(") + kAssetColumns +
                                                     ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    s.bind(1, a.uuid).bind(2, asset_kind_name(a.kind)).bind(3, a.name).bind(4, a.content_hash).bind(5, a.size_bytes);
    s.bind(6, asset_storage_name(a.storage)).bind(7, a.rel_path).bind(8, a.source_path).bind(9, a.mime);
    s.bind(10, a.container).bind(11, a.width).bind(12, a.height).bind(13, a.duration_ms);
    s.bind(14, a.sample_rate_hz).bind(15, a.channels);
    s.bind(16, a.metadata_json.empty() ? std::string_view("{}") : std::string_view(a.metadata_json));
    s.bind(17, a.created_at_ms != 0 ? a.created_at_ms : now_ms());
    ATELIER_TRY(s.run());
    return insert_derived(db, a.uuid, d);
}

Status remove_asset(const Db& db, std::string_view uuid) {
    ATELIER_TRY_ASSIGN(Stmt clips, Stmt::prepare(db, "SELECT count(*) FROM clips WHERE asset_uuid = ?"));
    clips.bind(1, uuid);
    ATELIER_TRY(clips.step());
    if (int64_t n = clips.col_int(0); n > 0)
        return make_error(ErrorCode::InvalidArgument,
                          db.path.string() + ": asset " + std::string(uuid) + " is used by " + std::to_string(n) +
                              " clip(s) on a timeline",
                          "remove those clips from the timeline first");
    ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, "DELETE FROM assets WHERE uuid = ?"));
    s.bind(1, uuid);
    ATELIER_TRY(s.run());  // derived rows and generation links go by ON DELETE CASCADE
    if (changes(db) == 0) return object_not_found(db, "asset", uuid);
    return ok_status();
}

Result<Asset> get_asset(const Db& db, std::string_view uuid) {
    ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, std::string("SELECT ") + kAssetColumns + " FROM assets WHERE uuid = ?"));
    s.bind(1, uuid);
    ATELIER_TRY_ASSIGN(bool row, s.step());
    if (!row) return object_not_found(db, "asset", uuid);
    return read_asset(db, s);
}

Result<std::optional<Asset>> find_asset_by_hash(const Db& db, std::string_view content_hash) {
    ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, std::string("SELECT ") + kAssetColumns +
                                                     " FROM assets WHERE content_hash = ? ORDER BY created_at_ms, rowid LIMIT 1"));
    s.bind(1, content_hash);
    ATELIER_TRY_ASSIGN(bool row, s.step());
    if (!row) return std::optional<Asset>();
    ATELIER_TRY_ASSIGN(Asset a, read_asset(db, s));
    return std::optional<Asset>(std::move(a));
}

Result<std::vector<Asset>> list_assets(const Db& db, const AssetFilter& filter) {
    FilterSql f = filter_sql(filter);
    ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, std::string("SELECT ") + kAssetColumns + " FROM assets" + f.where +
                                                     " ORDER BY created_at_ms, rowid LIMIT ? OFFSET ?"));
    int i = 1;
    for (const std::string& arg : f.args) s.bind(i++, arg);
    s.bind(i, filter.limit < 0 ? int64_t{-1} : filter.limit);
    s.bind(i + 1, std::max<int64_t>(filter.offset, 0));
    std::vector<Asset> out;
    for (;;) {
        ATELIER_TRY_ASSIGN(bool row, s.step());
        if (!row) break;
        ATELIER_TRY_ASSIGN(Asset a, read_asset(db, s));
        out.push_back(std::move(a));
    }
    return out;
}

Result<int64_t> count_assets(const Db& db, const AssetFilter& filter) {
    FilterSql f = filter_sql(filter);
    // limit/offset apply to the count too, so count_assets(f) == list_assets(f).size().
    ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, "SELECT count(*) FROM (SELECT 1 FROM assets" + f.where + " LIMIT ? OFFSET ?)"));
    int i = 1;
    for (const std::string& arg : f.args) s.bind(i++, arg);
    s.bind(i, filter.limit < 0 ? int64_t{-1} : filter.limit);
    s.bind(i + 1, std::max<int64_t>(filter.offset, 0));
    ATELIER_TRY(s.step());
    return s.col_int(0);
}

Status rename_asset(const Db& db, std::string_view uuid, std::string_view name) {
    ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, "UPDATE assets SET name = ? WHERE uuid = ?"));
    s.bind(1, name).bind(2, uuid);
    ATELIER_TRY(s.run());
    if (changes(db) == 0) return object_not_found(db, "asset", uuid);
    return ok_status();
}

Result<std::vector<uint8_t>> get_thumbnail(const Db& db, std::string_view asset_uuid) {
    ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, "SELECT png FROM thumbnails WHERE asset_uuid = ? AND derived_version = ?"));
    s.bind(1, asset_uuid).bind(2, kThumbnailsVersion);
    ATELIER_TRY_ASSIGN(bool row, s.step());
    if (!row) return std::vector<uint8_t>();
    return s.col_blob(0);
}

Result<AssetDerived> get_derived(const Db& db, std::string_view asset_uuid) {
    AssetDerived d;
    ATELIER_TRY_ASSIGN(Stmt t, Stmt::prepare(db, "SELECT png, width, height FROM thumbnails "
                                                 "WHERE asset_uuid = ? AND derived_version = ?"));
    t.bind(1, asset_uuid).bind(2, kThumbnailsVersion);
    ATELIER_TRY_ASSIGN(bool has_thumb, t.step());
    if (has_thumb) {
        d.thumbnail_png = t.col_blob(0);
        d.thumbnail_width = static_cast<int>(t.col_int(1));
        d.thumbnail_height = static_cast<int>(t.col_int(2));
    }
    ATELIER_TRY_ASSIGN(Stmt w, Stmt::prepare(db, "SELECT data, samples_per_bucket FROM waveforms "
                                                 "WHERE asset_uuid = ? AND derived_version = ?"));
    w.bind(1, asset_uuid).bind(2, kWaveformsVersion);
    ATELIER_TRY_ASSIGN(bool has_wave, w.step());
    if (has_wave) {
        d.waveform = unpack_floats(w.col_blob(0));
        d.waveform_samples_per_bucket = static_cast<int>(w.col_int(1));
    }
    return d;
}

Result<AssetLinks> get_asset_links(const Db& db, std::string_view uuid) {
    AssetLinks links;
    links.asset_uuid = std::string(uuid);
    ATELIER_TRY_ASSIGN(Stmt g, Stmt::prepare(db, "SELECT generation_uuid, position FROM generation_outputs "
                                                 "WHERE asset_uuid = ? ORDER BY generation_uuid, position"));
    g.bind(1, uuid);
    for (;;) {
        ATELIER_TRY_ASSIGN(bool row, g.step());
        if (!row) break;
        links.generation_outputs.push_back({g.col_text(0), g.col_int(1)});
    }
    ATELIER_TRY_ASSIGN(Stmt t, Stmt::prepare(db, "SELECT uuid FROM transcripts WHERE asset_uuid = ? ORDER BY uuid"));
    t.bind(1, uuid);
    for (;;) {
        ATELIER_TRY_ASSIGN(bool row, t.step());
        if (!row) break;
        links.transcript_uuids.push_back(t.col_text(0));
    }
    return links;
}

Status restore_asset_links(const Db& db, const AssetLinks& links) {
    ATELIER_TRY_ASSIGN(Stmt g, Stmt::prepare(db, "INSERT INTO generation_outputs(generation_uuid, position, asset_uuid) "
                                                 "VALUES (?, ?, ?)"));
    for (const AssetLinks::Output& o : links.generation_outputs) {
        g.reset().bind(1, o.generation_uuid).bind(2, o.position).bind(3, links.asset_uuid);
        ATELIER_TRY(g.run());
    }
    ATELIER_TRY_ASSIGN(Stmt t, Stmt::prepare(db, "UPDATE transcripts SET asset_uuid = ? WHERE uuid = ?"));
    for (const std::string& transcript : links.transcript_uuids) {
        t.reset().bind(1, links.asset_uuid).bind(2, transcript);
        ATELIER_TRY(t.run());
        if (changes(db) == 0) return object_not_found(db, "transcript", transcript);
    }
    return ok_status();
}

Result<std::string> put_blob(const Db& db, const std::vector<uint8_t>& bytes) {
    std::string hash = hash_bytes(bytes.data(), bytes.size());
    // OR IGNORE: storing the same bytes twice keeps the first row (blobs are immutable).
    ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, "INSERT OR IGNORE INTO blobs(hash, size_bytes, data, created_at_ms) "
                                                 "VALUES (?, ?, ?, ?)"));
    s.bind(1, hash).bind(2, static_cast<int64_t>(bytes.size())).bind_blob(3, bytes.data(), bytes.size()).bind(4, now_ms());
    ATELIER_TRY(s.run());
    return hash;
}

Result<std::vector<uint8_t>> get_blob(const Db& db, std::string_view hash) {
    ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, "SELECT data FROM blobs WHERE hash = ?"));
    s.bind(1, hash);
    ATELIER_TRY_ASSIGN(bool row, s.step());
    if (!row) return object_not_found(db, "blob", hash);
    return s.col_blob(0);
}

}  // namespace atelier::projects::detail
