// Internal to atelier_projects: SQL for assets, their derived rows (thumbnails, waveforms),
// their links (generation outputs, transcripts) and the immutable blobs table. Project wraps
// each mutating call in a savepoint and holds its mutex; these functions assume both.
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

// Versions of the code that builds derived rows; rows with another version are ignored
// (treated as missing, so they get rebuilt).
inline constexpr int kThumbnailsVersion = 1;
inline constexpr int kWaveformsVersion = 1;

const char* asset_storage_name(AssetStorage storage);  // "media_file", "blob", "external"

Status insert_asset(const Db& db, const Asset& asset, const AssetDerived& derived);
Status remove_asset(const Db& db, std::string_view uuid);
Result<Asset> get_asset(const Db& db, std::string_view uuid);
Result<std::optional<Asset>> find_asset_by_hash(const Db& db, std::string_view content_hash);
Result<std::vector<Asset>> list_assets(const Db& db, const AssetFilter& filter);
Result<int64_t> count_assets(const Db& db, const AssetFilter& filter);
Status rename_asset(const Db& db, std::string_view uuid, std::string_view name);
Result<std::vector<uint8_t>> get_thumbnail(const Db& db, std::string_view asset_uuid);
Result<AssetDerived> get_derived(const Db& db, std::string_view asset_uuid);
Result<AssetLinks> get_asset_links(const Db& db, std::string_view uuid);
Status restore_asset_links(const Db& db, const AssetLinks& links);

Result<std::string> put_blob(const Db& db, const std::vector<uint8_t>& bytes);
Result<std::vector<uint8_t>> get_blob(const Db& db, std::string_view hash);

// "<what> <uuid> does not exist in <path>" as ProjectObjectNotFound.
Error object_not_found(const Db& db, std::string_view what, std::string_view uuid);

}  // namespace atelier::projects::detail
