// Synthetic media generators. WAV layout (RIFF, little-endian): "RIFF" size "WAVE", "fmt " chunk
// of 16 bytes (format 1 = PCM, channels, rate, byte rate, block align, 16 bits), "data" chunk.
// Thread-safety: reentrant.
#include "pipelines/demo-media.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "pipelines/file-util.h"

extern char** environ;

namespace atelier::pipelines::demo {
namespace fs = std::filesystem;

media::Image gradient_image(int width, int height, uint32_t seed) {
    media::Image img;
    img.width = width;
    img.height = height;
    img.rgba.resize(static_cast<size_t>(width) * static_cast<size_t>(height) * 4);
    const uint32_t h = seed * 2654435761u;  // spread seeds over the colour space
    const int r0 = static_cast<int>(h & 0xff), g0 = static_cast<int>((h >> 8) & 0xff), b0 = static_cast<int>((h >> 16) & 0xff);
    for (int y = 0; y < height; ++y) {
        for (int x = 0; x < width; ++x) {
            uint8_t* px = &img.rgba[(static_cast<size_t>(y) * static_cast<size_t>(width) + static_cast<size_t>(x)) * 4];
            px[0] = static_cast<uint8_t>((r0 + 255 * x / std::max(width - 1, 1)) & 0xff);
            px[1] = static_cast<uint8_t>((g0 + 255 * y / std::max(height - 1, 1)) & 0xff);
            px[2] = static_cast<uint8_t>((b0 + 128 * (x + y) / std::max(width + height - 2, 1)) & 0xff);
            px[3] = 255;
        }
    }
    return img;
}

Status write_gradient_png(const fs::path& path, int width, int height, uint32_t seed) {
    return media::write_png(gradient_image(width, height, seed), path);
}

namespace {
void put_u32(std::string& s, uint32_t v) {
    for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_u16(std::string& s, uint16_t v) {
    s.push_back(static_cast<char>(v & 0xff));
    s.push_back(static_cast<char>(v >> 8));
}
}  // namespace

Status write_sine_wav(const fs::path& path, double freq_hz, int duration_ms, int sample_rate_hz, int channels) {
    if (sample_rate_hz <= 0 || channels <= 0 || duration_ms < 0)
        return make_error(ErrorCode::InvalidArgument, "bad WAV parameters for '" + path.string() + "'");
    const uint32_t frames = static_cast<uint32_t>(static_cast<int64_t>(sample_rate_hz) * duration_ms / 1000);
    const uint32_t data_bytes = frames * static_cast<uint32_t>(channels) * 2;
    std::string out;
    out.reserve(44 + data_bytes);
    out += "RIFF";
    put_u32(out, 36 + data_bytes);
    out += "WAVEfmt ";
    put_u32(out, 16);
    put_u16(out, 1);  // PCM
    put_u16(out, static_cast<uint16_t>(channels));
    put_u32(out, static_cast<uint32_t>(sample_rate_hz));
    put_u32(out, static_cast<uint32_t>(sample_rate_hz * channels * 2));
    put_u16(out, static_cast<uint16_t>(channels * 2));
    put_u16(out, 16);
    out += "data";
    put_u32(out, data_bytes);
    constexpr double kTwoPi = 6.283185307179586;
    for (uint32_t i = 0; i < frames; ++i) {
        const double v = 0.5 * std::sin(kTwoPi * freq_hz * i / sample_rate_hz);
        const auto s = static_cast<int16_t>(std::lround(v * 32767.0));
        for (int c = 0; c < channels; ++c) put_u16(out, static_cast<uint16_t>(s));
    }
    return write_text_file(path, out);
}

std::optional<fs::path> find_program(std::string_view name) {
    const char* path_env = std::getenv("PATH");
    std::string paths = path_env ? path_env : "/usr/bin:/bin";
    size_t start = 0;
    while (start <= paths.size()) {
        const size_t end = std::min(paths.find(':', start), paths.size());
        const fs::path candidate = fs::path(paths.substr(start, end - start)) / name;
        if (end > start && ::access(candidate.c_str(), X_OK) == 0) return candidate;
        start = end + 1;
    }
    return std::nullopt;
}

Status make_test_video(const fs::path& path, int duration_ms, int width, int height, bool with_audio) {
    const auto ffmpeg = find_program("ffmpeg");
    if (!ffmpeg)
        return make_error(ErrorCode::Unsupported, "the ffmpeg program is not installed",
                          "install it (apt-get install ffmpeg) to make test videos");
    const std::string secs = std::to_string(duration_ms / 1000.0);
    std::vector<std::string> args = {"ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                                     "testsrc2=size=" + std::to_string(width) + "x" + std::to_string(height) +
                                         ":rate=25:duration=" + secs};
    if (with_audio) args.insert(args.end(), {"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=" + secs});
    args.insert(args.end(), {"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"});
    if (with_audio) args.insert(args.end(), {"-c:a", "aac", "-shortest"});
    args.push_back(path.string());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, ffmpeg->c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) return make_error(ErrorCode::MediaEncodeFailed, "cannot start " + ffmpeg->string(), "check the ffmpeg install");
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return make_error(ErrorCode::MediaEncodeFailed, "ffmpeg could not write '" + path.string() + "'",
                          "run the same ffmpeg command by hand to see why");
    return ok_status();
}

}  // namespace atelier::pipelines::demo
