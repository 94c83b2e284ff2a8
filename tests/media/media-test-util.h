// Helpers for the media tests: fixture paths, the facts the fixture script wrote, and the
// independent references (ffprobe / ffmpeg CLI run at test time through popen).
// Thread-safety: test main thread only.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "media/image.h"

namespace atelier::media::test {

std::filesystem::path fixture(const std::string& name);  // tests/media/fixtures/<name>
const nlohmann::json& facts();                           // tests/media/fixtures/facts.json

// A fresh empty folder under the system temp dir, removed by the destructor.
class TempDir {
public:
    TempDir();
    ~TempDir();
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

// The reference tools; tests that need them GTEST_SKIP with the reason when absent.
bool have_ffprobe();
bool have_ffmpeg();
// Runs a shell command; its stdout, or nullopt when it exits non-zero.
std::optional<std::string> run_capture(const std::string& command);
std::string shell_quote(const std::string& s);
// ffprobe -show_format -show_streams as JSON; nullopt when ffprobe rejects the file.
std::optional<nlohmann::json> ffprobe_json(const std::filesystem::path& path);
// One frame decoded by the ffmpeg CLI (autorotate on, as players show it) as RGBA, taken at
// `seconds` with ffmpeg's accurate seek; its size is the one ffmpeg reports (PAM header).
std::optional<Image> ffmpeg_frame(const std::filesystem::path& path, double seconds);

std::vector<uint8_t> read_file(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, const std::vector<uint8_t>& bytes);

// Pixel access and comparisons.
const uint8_t* pixel(const Image& img, int x, int y);
// Max channel difference between img's pixel (x, y) and rgb.
int colour_distance(const Image& img, int x, int y, const std::vector<int>& rgb);
double mean_abs_diff_rgb(const Image& a, const Image& b);
double psnr_rgb(const Image& a, const Image& b);

// The fixture script's pattern: (7x mod 256, 11y mod 256, 5(x+y) mod 256, 255-3x).
std::vector<uint8_t> pattern_pixel(int x, int y);

}  // namespace atelier::media::test
