// Import benchmark (issue 2, "Speed": >= 200 images/s for 1,000 small images). Makes N small PNGs,
// then imports them into a fresh project through the Studio (job system, parallel pipeline, one
// undoable command), median of 3 runs. Anchors measured in the same run on the same files:
//  - `cp -r` + `sha256sum`: copy and hash every byte, the floor for any importer that copies and
//    hashes (ours also probes, decodes and writes a thumbnail);
//  - one ffmpeg process decoding and re-encoding every PNG: the codec work a thumbnailer must do,
//    by a well-optimised tool, without process start-up per file.
// Hardware limit: bytes the import moves (read 4x: hash, probe, copy, decode; write 1x; plus
// thumbnails) per second against single-thread memcpy bandwidth measured here.
// The scratch folder is under $TMPDIR (default /tmp); the row names its file system.
// usage: atelier-bench-import [--n 1000] [--side 64] [--runs 3]
#include <cstdio>
#include <cstring>
#include <string>

#include "bench-util.h"
#include "pipelines/demo-media.h"
#include "pipelines/studio.h"

using namespace atelier;
using atelier::bench::arg_int;
using atelier::bench::now_s;
namespace fs = std::filesystem;

namespace {

struct Run {
    double seconds = 0, apply_seconds = 0;
    size_t added = 0;
    int64_t thumb_bytes = 0;
};

Run import_once(const fs::path& dir, const fs::path& inputs, int index) {
    Run run;
    auto studio = pipelines::Studio::create(dir / ("bench-" + std::to_string(index) + ".atelier"), "bench");
    if (!studio.ok()) {
        std::fprintf(stderr, "cannot create project: %s\n", studio.error().message().c_str());
        return run;
    }
    pipelines::StudioEvents ev;
    ev.on_import_finished = [&](const JobInfo&, const pipelines::ImportReport& r) {
        run.added = r.added.size();
        for (const auto& item : r.added) run.thumb_bytes += static_cast<int64_t>(item.derived.thumbnail_png.size());
    };
    (*studio)->set_events(ev);
    const double t0 = now_s();
    const JobId id = (*studio)->import_files({inputs});
    (*studio)->wait(id, std::chrono::hours(1));
    const double t1 = now_s();
    (*studio)->drain();  // the owner-thread step: records the undo command (rows were committed by the worker)
    run.seconds = now_s() - t0;
    run.apply_seconds = now_s() - t1;
    (*studio)->set_events({});
    return run;
}

}  // namespace

int main(int argc, char** argv) {
    const int n = arg_int(argc, argv, "--n", 1000), side = arg_int(argc, argv, "--side", 64);
    const int runs = arg_int(argc, argv, "--runs", 3);
    bench::ScratchDir scratch("import");
    const fs::path in = scratch.path() / "in";
    fs::create_directories(in);
    int64_t total_bytes = 0;
    for (int i = 0; i < n; ++i) {
        char name[32];
        std::snprintf(name, sizeof name, "img-%04d.png", i);
        if (!pipelines::demo::write_gradient_png(in / name, side, side, static_cast<uint32_t>(i + 1)).ok()) return 1;
        total_bytes += static_cast<int64_t>(fs::file_size(in / name));
    }
    const std::string q = "'" + scratch.path().string() + "'";
    const double t_cp = bench::time_shell("cp -r " + q + "/in " + q + "/cp-out && sha256sum " + q + "/cp-out/*.png > /dev/null");
    fs::create_directories(scratch.path() / "ff-out");
    const double t_ff = bench::time_shell("ffmpeg -nostdin -loglevel error -f image2 -i " + q + "/in/img-%04d.png -c:v png -f image2 " +
                                          q + "/ff-out/t-%04d.png");
    std::vector<double> times, applies;
    Run last;
    for (int r = 0; r < runs; ++r) {
        last = import_once(scratch.path(), in, r);
        if (last.added != static_cast<size_t>(n)) {
            std::fprintf(stderr, "run %d imported %zu of %d files\n", r, last.added, n);
            return 1;
        }
        times.push_back(last.seconds);
        applies.push_back(last.apply_seconds);
    }
    const double t = bench::median(times);
    const double rate = n / t;
    const double bw = bench::memcpy_bandwidth();
    const double moved = static_cast<double>(total_bytes) * 5.0 + static_cast<double>(last.thumb_bytes);
    std::printf("| Benchmark | Machine | Result | Anchor (same run) | vs anchor | Hardware limit |\n");
    std::printf("|---|---|---|---|---|---|\n");
    std::printf("| import %d PNG %dx%d (%.1f KiB avg, warm cache, on %s), median of %d | %s | %.0f images/s (%.2f s; owner-thread step %.0f ms) "
                "| cp -r + sha256sum: %.0f files/s; ffmpeg decode+encode: %.0f images/s "
                "| %.2fx cp+sha256sum; %.2fx ffmpeg | %.1f MB/s moved = %.2f%% of memcpy %.1f GB/s |\n",
                n, side, side, total_bytes / 1024.0 / n, bench::fs_type(scratch.path()).c_str(), runs, bench::machine_name().c_str(), rate, t,
                bench::median(applies) * 1000.0, t_cp > 0 ? n / t_cp : 0.0, t_ff > 0 ? n / t_ff : 0.0,
                t_cp > 0 ? rate / (n / t_cp) : 0.0, t_ff > 0 ? rate / (n / t_ff) : 0.0, moved / t / 1e6,
                100.0 * (moved / t) / bw, bw / 1e9);
    return 0;
}
