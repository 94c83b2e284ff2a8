// Playback start latency (issue 5 "Speed": playback starts in under 150 ms): from AudioPlayer::open
// of a 2 s 48 kHz stereo WAV to the first callback that hands real (non-silent) frames to the
// device (AudioPlayer::first_audio_ns), median of N runs. Measured on the ALSA file device
// (ENVIRONMENT.md; unpaced, so it shows our open/decode/buffering cost) and on the default output
// device when the machine has one. Anchor in the same run: the decoder alone (open + first block).
// usage: atelier-bench-audio [--runs 20]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <string>
#include <thread>
#include <unistd.h>

#include "bench-util.h"
#include "media/audio-device.h"
#include "media/audio-player.h"
#include "media/audio-reader.h"
#include "pipelines/demo-media.h"

using namespace atelier;
namespace fs = std::filesystem;

namespace {

int64_t steady_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// One open -> first real frame, in ms; negative on failure (printed).
double start_latency_ms(const fs::path& wav, const std::string& device) {
    media::PlayerSettings s;
    s.stream.device = device;
    const int64_t t0 = steady_ns();
    auto player = media::AudioPlayer::open(wav, s);
    if (!player.ok()) {
        std::fprintf(stderr, "open on '%s': %s\n", device.c_str(), player.error().message().c_str());
        return -1;
    }
    if (Status st = (*player)->play(); !st.ok()) {
        std::fprintf(stderr, "play on '%s': %s\n", device.c_str(), st.error().message().c_str());
        return -1;
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while ((*player)->first_audio_ns() == 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    const int64_t t1 = (*player)->first_audio_ns();
    return t1 ? static_cast<double>(t1 - t0) / 1e6 : -1;
}

double decoder_first_block_ms(const fs::path& wav) {
    const int64_t t0 = steady_ns();
    auto reader = media::AudioReader::open(wav, {48000, 2});
    if (!reader.ok()) return -1;
    std::vector<float> buf;
    (void)(*reader)->read(buf, 1024);
    return static_cast<double>(steady_ns() - t0) / 1e6;
}

std::string today() {
    char buf[16];
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    localtime_r(&t, &tm);
    std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
    return buf;
}

void row(const char* what, const std::vector<double>& v, double anchor_ms, int runs) {
    std::printf("| %s | %s | Playback start on %s (open → first non-silent frame to the device), median of %d | "
                "%.1f ms (max %.1f) | < 150 ms | decoder alone (open + first 1024 frames): %.1f ms | — |\n",
                today().c_str(), "this machine", what, runs, bench::median(v), *std::max_element(v.begin(), v.end()), anchor_ms);
}

}  // namespace

int main(int argc, char** argv) {
    const int runs = bench::arg_int(argc, argv, "--runs", 20);
    const fs::path dir = fs::temp_directory_path() / ("atelier-bench-audio-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    std::ofstream(dir / "asoundrc") << "pcm.atelier_bench {\n  type file\n  slave { pcm \"null\" }\n  file \"/dev/null\"\n"
                                       "  format \"raw\"\n}\n";
    setenv("ALSA_CONFIG_PATH", ("/usr/share/alsa/alsa.conf:" + (dir / "asoundrc").string()).c_str(), 1);
    const fs::path wav = dir / "tone.wav";
    if (Status st = pipelines::demo::write_sine_wav(wav, 440, 2000, 48000, 2); !st.ok()) {
        std::fprintf(stderr, "cannot write the test WAV: %s\n", st.error().message().c_str());
        return 1;
    }
    std::vector<double> anchor;
    for (int i = 0; i < runs; ++i) anchor.push_back(decoder_first_block_ms(wav));
    std::printf("machine: %s\n", bench::machine_name().c_str());

    std::string default_out;
    if (auto devs = media::list_audio_devices(); devs.ok())
        for (const auto& d : *devs)
            if (d.is_default_output && d.name != "atelier_bench") default_out = d.name;
    struct Target { const char* label; std::string device; };
    std::vector<Target> targets{{"the ALSA file device", "atelier_bench"}};
    if (!default_out.empty()) targets.push_back({"the default output", default_out});
    else std::printf("(no default output device on this machine: only the file device is measured)\n");
    int rc = 0;
    for (const auto& t : targets) {
        std::vector<double> v;
        for (int i = 0; i < runs; ++i) {
            const double ms = start_latency_ms(wav, t.device);
            if (ms < 0) break;
            v.push_back(ms);
        }
        if (v.size() != static_cast<size_t>(runs)) {
            std::fprintf(stderr, "%s: runs failed\n", t.label);
            rc = 1;
            continue;
        }
        const std::string label = std::string(t.label) + (t.device == "atelier_bench" ? "" : " (" + t.device + ")");
        row(label.c_str(), v, bench::median(anchor), runs);
    }
    std::error_code ec;
    fs::remove_all(dir, ec);
    return rc;
}
