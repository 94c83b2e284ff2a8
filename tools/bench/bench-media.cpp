// Media speed (issue 5 "Speed"), each against the ffmpeg CLI in the same run:
//  1. decode: a 1080p30 H.264 + AAC file through VideoReader (to RGBA, as the timeline uses it)
//     and AudioReader, vs `ffmpeg -i FILE -f null -` (target >= 0.95x) and, for equal work, vs
//     `ffmpeg -i FILE -pix_fmt rgba -f null -`;
//  2. export: `atelier-cli media convert IN OUT.mp4` (1080p30, x264 medium, CRF 20, AAC) vs ffmpeg
//     with the same settings (target >= 0.9x);
//  3. a 2-hour Opus file decoded by AudioReader: resident memory sampled through the decode (target:
//     flat within 50 MB), and its speed vs `ffmpeg -f null`.
// Test media is made by the ffmpeg CLI (lavfi testsrc2 / sine) in a scratch folder. Alternating
// runs, medians. Prints; never asserts.
// usage: atelier-bench-media [--runs 3] [--seconds 10] [--only decode|export|long]
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "bench-util.h"
#include "media/audio-reader.h"
#include "media/video-reader.h"

using namespace atelier;
using namespace atelier::bench;

namespace {

std::string q(const fs::path& p) { return "'" + p.string() + "'"; }

int64_t rss_kb() {
    std::ifstream f("/proc/self/status");
    std::string key;
    while (f >> key) {
        if (key == "VmRSS:") {
            int64_t kb = 0;
            f >> kb;
            return kb;
        }
        std::getline(f, key);
    }
    return -1;
}

// Decodes every video frame (RGBA) and all the sound (float, the file's rate/channels); seconds.
double our_decode(const fs::path& file, int64_t* frames) {
    const double t0 = now_s();
    auto v = media::VideoReader::open(file);
    if (!v) {
        std::fprintf(stderr, "video open: %s\n", v.error().message().c_str());
        return -1;
    }
    media::VideoFrame fr;
    *frames = 0;
    for (;;) {
        auto more = (*v)->next(fr);
        if (!more || !*more) break;
        ++*frames;
    }
    auto a = media::AudioReader::open(file);
    if (!a) return -1;
    std::vector<float> buf;
    for (;;) {
        auto n = (*a)->read(buf, 4096);
        if (!n || *n == 0) break;
    }
    return now_s() - t0;
}

void bench_decode(const fs::path& in, int runs, double seconds) {
    std::vector<double> ours, ff, ff_rgba;
    int64_t frames = 0;
    for (int r = 0; r < runs; ++r) {
        ours.push_back(our_decode(in, &frames));
        ff.push_back(time_shell("ffmpeg -v error -i " + q(in) + " -f null -"));
        ff_rgba.push_back(time_shell("ffmpeg -v error -i " + q(in) + " -pix_fmt rgba -f null -"));
    }
    const double o = median(ours), f = median(ff), fr = median(ff_rgba);
    std::printf("| decode 1080p30 H.264+AAC, %.0f s (%lld frames, to RGBA) | %.1f fps (%.2f s) | ffmpeg -f null %.1f fps (%.2f s); with -pix_fmt rgba %.1f fps (%.2f s) | %.2fx / %.2fx |\n",
                seconds, static_cast<long long>(frames), frames / o, o, frames / f, f, frames / fr, fr, f / o, fr / o);
}

void bench_export(const fs::path& in, const fs::path& dir, double seconds) {
    const fs::path ours_out = dir / "ours.mp4", ff_out = dir / "ff.mp4";
    const double o = time_shell(std::string(ATELIER_CLI_EXE) + " media convert " + q(in) + " " + q(ours_out) +
                                " --preset 1080p30 --force --quiet > /dev/null");
    const double f = time_shell("ffmpeg -v error -y -i " + q(in) + " -c:v libx264 -preset medium -crf 20 -pix_fmt yuv420p -r 30 -c:a aac -b:a 192k " + q(ff_out));
    const double frames = seconds * 30;
    std::printf("| export 1080p30 x264 medium CRF 20 + AAC, %.0f s | %.1f fps (%.2f s) | ffmpeg CLI %.1f fps (%.2f s) | %.2fx |\n", seconds,
                frames / o, o, frames / f, f, f / o);
}

void bench_long_audio(const fs::path& dir) {
    const fs::path opus = dir / "long.opus";
    if (time_shell("ffmpeg -v error -y -f lavfi -i sine=frequency=440:duration=7200 -ac 2 -ar 48000 -c:a libopus -b:a 24k " + q(opus)) < 0) {
        std::fprintf(stderr, "could not make the 2-hour file\n");
        return;
    }
    const double t0 = now_s();
    auto a = media::AudioReader::open(opus);
    if (!a) return;
    std::vector<float> buf;
    int64_t frames = 0, lo = 1LL << 60, hi = 0, blocks = 0;
    const int64_t start_kb = rss_kb();
    for (;;) {
        auto n = (*a)->read(buf, 4096);
        if (!n || *n == 0) break;
        frames += static_cast<int64_t>(*n);
        if (++blocks % 256 == 0 && frames > 48000 * 10) {  // after the first 10 s
            const int64_t kb = rss_kb();
            lo = std::min(lo, kb);
            hi = std::max(hi, kb);
        }
    }
    const double o = now_s() - t0;
    const double f = time_shell("ffmpeg -v error -i " + q(opus) + " -f null -");
    std::printf("| decode a 2-hour Opus (48 kHz stereo, %.1f h decoded) | %.0fx real time (%.2f s); RSS %lld -> %lld..%lld MB (spread %.1f MB) | ffmpeg -f null %.2f s | %.2fx |\n",
                static_cast<double>(frames) / 48000 / 3600, 7200 / o, o, static_cast<long long>(start_kb / 1024),
                static_cast<long long>(lo / 1024), static_cast<long long>(hi / 1024), static_cast<double>(hi - lo) / 1024, f, f / o);
}

}  // namespace

int main(int argc, char** argv) {
    const int runs = arg_int(argc, argv, "--runs", 3);
    const double seconds = arg_int(argc, argv, "--seconds", 10);
    ScratchDir dir("media");
    const fs::path in = dir.path() / "in.mp4";
    const std::string make = "ffmpeg -v error -y -f lavfi -i testsrc2=size=1920x1080:rate=30:duration=" + std::to_string(seconds) +
                             " -f lavfi -i sine=frequency=440:duration=" + std::to_string(seconds) +
                             " -c:v libx264 -preset veryfast -crf 23 -pix_fmt yuv420p -c:a aac -b:a 128k " + q(in);
    if (time_shell(make) < 0) {
        std::fprintf(stderr, "could not make the test file with ffmpeg\n");
        return 1;
    }
    std::string only;
    for (int i = 1; i + 1 < argc; ++i)
        if (std::string(argv[i]) == "--only") only = argv[i + 1];
    std::printf("machine: %s\n\n| measure | ours | ffmpeg (same run) | ours / ffmpeg speed |\n|---|---|---|---|\n", machine_name().c_str());
    if (only.empty() || only == "decode") bench_decode(in, runs, seconds);
    if (only.empty() || only == "export") bench_export(in, dir.path(), seconds);
    if (only.empty() || only == "long") bench_long_audio(dir.path());
    return 0;
}
