// Gallery-open benchmark, headless (issue 2, "Speed": a project with 10,000 assets opens and shows
// its gallery in < 300 ms). Builds a project of N assets (rows with a real probe's metadata, and a
// 256 px PNG thumbnail each) through one AddAssetsCommand, closes it, then times what the gallery
// needs before its first paint: Project::open (writer, as the studio opens it), list_assets() of
// every row, and the first screen of thumbnails fetched and decoded to RGBA. Median of 7 opens.
// Anchor (same run): the sqlite3 shell running the same two queries on the same file, minus the
// shell's own start-up (timed with a query on :memory:).
// Hardware limit: the bytes read (whole project file: rows + thumbnails of the first screen are a
// subset, so this overstates the work) per second against memcpy bandwidth measured here.
// usage: atelier-bench-gallery-open [--n 10000] [--screen 60]
#include <cstdio>
#include <cstring>
#include <string>

#include "bench-assets.h"
#include "bench-util.h"
#include "core/uuid.h"
#include "media/image.h"
#include "media/probe.h"
#include "pipelines/demo-media.h"
#include "projects/project.h"
#include "projects/undo.h"

using namespace atelier;
using atelier::bench::arg_int;
using atelier::bench::now_s;
namespace fs = std::filesystem;

namespace {

bool build_project(const fs::path& path, const fs::path& scratch, int n) {
    const fs::path sample = scratch / "sample.png";
    if (!pipelines::demo::write_gradient_png(sample, 1920, 1200, 7).ok()) return false;
    auto info = media::probe_file(sample);
    auto thumb = media::encode_png(media::fit_within(pipelines::demo::gradient_image(1920, 1200, 7), 256));
    if (!info.ok() || !thumb.ok()) return false;
    auto project = projects::Project::create(path, "gallery bench");
    if (!project.ok()) return false;
    projects::Asset like;
    like.size_bytes = info->size_bytes;
    like.mime = info->mime;
    like.container = info->container;
    like.width = info->width;
    like.height = info->height;
    like.metadata_json = info->to_json();
    const Status st = bench::fill_synthetic_images(**project, n, like, *thumb, 256, 160);
    if (!st.ok()) std::fprintf(stderr, "insert failed: %s\n", st.error().message().c_str());
    return st.ok();
}

struct Open {
    double open_s = 0, list_s = 0, thumbs_s = 0, total_s = 0;
    size_t rows = 0;
};

Open open_gallery(const fs::path& path, int screen) {
    Open o;
    const double t0 = now_s();
    auto project = projects::Project::open(path);
    const double t1 = now_s();
    if (!project.ok()) return o;
    auto assets = (*project)->list_assets();
    const double t2 = now_s();
    if (!assets.ok()) return o;
    o.rows = assets->size();
    for (int i = 0; i < screen && i < static_cast<int>(assets->size()); ++i) {
        auto png = (*project)->get_thumbnail((*assets)[static_cast<size_t>(i)].uuid);
        if (png.ok() && !png->empty()) (void)media::decode_image_memory(png->data(), png->size());
    }
    const double t3 = now_s();
    o.open_s = t1 - t0;
    o.list_s = t2 - t1;
    o.thumbs_s = t3 - t2;
    o.total_s = t3 - t0;
    return o;
}

}  // namespace

int main(int argc, char** argv) {
    const int n = arg_int(argc, argv, "--n", 10000), screen = arg_int(argc, argv, "--screen", 60);
    bench::ScratchDir scratch("gallery");
    const fs::path path = scratch.path() / "gallery.atelier";
    const double tb = now_s();
    if (!build_project(path, scratch.path(), n)) return 1;
    const double build_s = now_s() - tb;
    std::vector<double> total, opens, lists, thumbs;
    size_t rows = 0;
    for (int r = 0; r < 7; ++r) {
        const Open o = open_gallery(path, screen);
        rows = o.rows;
        total.push_back(o.total_s);
        opens.push_back(o.open_s);
        lists.push_back(o.list_s);
        thumbs.push_back(o.thumbs_s);
    }
    if (rows != static_cast<size_t>(n)) {
        std::fprintf(stderr, "listed %zu of %d assets\n", rows, n);
        return 1;
    }
    const std::string db = "'" + path.string() + "'";
    const std::string sql = "\"SELECT * FROM assets ORDER BY created_at_ms; SELECT png FROM thumbnails LIMIT " +
                            std::to_string(screen) + ";\"";
    std::vector<double> anchor, startup;
    for (int r = 0; r < 5; ++r) {
        startup.push_back(bench::time_shell("sqlite3 :memory: 'SELECT 1' > /dev/null"));
        anchor.push_back(bench::time_shell("sqlite3 -readonly " + db + " " + sql + " > /dev/null"));
    }
    const double t = bench::median(total);
    const double t_anchor = std::max(bench::median(anchor) - bench::median(startup), 1e-6);
    const double bytes = static_cast<double>(fs::file_size(path));
    const double bw = bench::memcpy_bandwidth();
    std::printf("| Benchmark | Machine | Result | Anchor (same run) | vs anchor | Hardware limit |\n");
    std::printf("|---|---|---|---|---|---|\n");
    std::printf("| gallery open, %d assets + first %d thumbnails decoded (file %.1f MB on %s, built in %.1f s), median of 7 "
                "| %s | %.0f ms (open %.1f, list %.1f, thumbnails %.1f) | sqlite3 shell, same queries: %.0f ms "
                "(start-up subtracted) | %.2fx sqlite3 | %.1f MB/s over the file = %.2f%% of memcpy %.1f GB/s |\n",
                n, screen, bytes / 1e6, bench::fs_type(scratch.path()).c_str(), build_s, bench::machine_name().c_str(), t * 1000.0, bench::median(opens) * 1000.0,
                bench::median(lists) * 1000.0, bench::median(thumbs) * 1000.0, t_anchor * 1000.0, t_anchor / t,
                bytes / t / 1e6, 100.0 * (bytes / t) / bw, bw / 1e9);
    return 0;
}
