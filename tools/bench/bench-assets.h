// Benchmark helper: fills a new project with n synthetic image assets that share one thumbnail,
// the way a large photo project looks to the gallery. Used by bench-gallery-open (no Qt) and
// bench-gui-gallery. Rows go in through the undo stack, as an import's would.
#pragma once

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/uuid.h"
#include "projects/project.h"
#include "projects/undo.h"

namespace atelier::bench {

// `like` supplies everything but uuid, name, hash and path; `thumb_png` is stored for every row.
inline Status fill_synthetic_images(projects::Project& project, int n, const projects::Asset& like,
                                    const std::vector<uint8_t>& thumb_png, int thumb_w, int thumb_h) {
    std::vector<projects::AddAssetsCommand::Item> items(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
        auto& a = items[static_cast<size_t>(i)].asset;
        a = like;
        a.uuid = uuid_v7();
        a.kind = projects::AssetKind::Image;
        a.name = "photo-" + std::to_string(i) + ".png";
        char hash[40];
        std::snprintf(hash, sizeof hash, "%032x", i + 1);
        a.content_hash = hash;
        a.storage = projects::AssetStorage::MediaFile;
        a.rel_path = a.content_hash.substr(0, 2) + "/" + a.content_hash + ".png";
        auto& d = items[static_cast<size_t>(i)].derived;
        d.thumbnail_png = thumb_png;
        d.thumbnail_width = thumb_w;
        d.thumbnail_height = thumb_h;
    }
    projects::UndoStack undo(project);
    return undo.push(std::make_unique<projects::AddAssetsCommand>(std::move(items), "bench"));
}

}  // namespace atelier::bench
