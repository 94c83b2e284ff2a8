// Helpers for the media tests (see media-test-util.h).
#include "media-test-util.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

namespace atelier::media::test {

std::filesystem::path fixture(const std::string& name) {
    return std::filesystem::path(ATELIER_TEST_DATA_DIR) / "media" / "fixtures" / name;
}

const nlohmann::json& facts() {
    static const nlohmann::json j = [] {
        std::ifstream in(fixture("facts.json"));
        return nlohmann::json::parse(in);
    }();
    return j;
}

TempDir::TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("atelier-media-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

bool have_ffprobe() { return std::filesystem::exists("/usr/bin/ffprobe"); }
bool have_ffmpeg() { return std::filesystem::exists("/usr/bin/ffmpeg"); }

std::string shell_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\'') out += "'\\''";
        else out += c;
    }
    return out + "'";
}

std::optional<std::string> run_capture(const std::string& command) {
    FILE* p = popen(command.c_str(), "r");
    if (!p) return std::nullopt;
    std::string out;
    char buf[65536];
    size_t n = 0;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    int status = pclose(p);
    if (status != 0) return std::nullopt;
    return out;
}

std::optional<nlohmann::json> ffprobe_json(const std::filesystem::path& path) {
    auto out = run_capture("/usr/bin/ffprobe -v error -print_format json -show_format -show_streams " +
                           shell_quote(path.string()) + " 2>/dev/null");
    if (!out) return std::nullopt;
    auto j = nlohmann::json::parse(*out, nullptr, false);
    if (j.is_discarded()) return std::nullopt;
    return j;
}

std::optional<Image> ffmpeg_frame(const std::filesystem::path& path, double seconds) {
    // PAM carries its own WIDTH/HEIGHT, so a wrong rotation cannot hide behind equal byte counts.
    char ss[64];
    std::snprintf(ss, sizeof ss, "%.3f", seconds);
    auto out = run_capture("/usr/bin/ffmpeg -v error -nostdin -ss " + std::string(ss) + " -i " + shell_quote(path.string()) +
                           " -frames:v 1 -pix_fmt rgba -f image2pipe -c:v pam - 2>/dev/null");
    if (!out) return std::nullopt;
    std::istringstream in(*out);
    std::string line;
    Image img;
    while (std::getline(in, line) && line != "ENDHDR") {
        if (line.rfind("WIDTH ", 0) == 0) img.width = std::stoi(line.substr(6));
        if (line.rfind("HEIGHT ", 0) == 0) img.height = std::stoi(line.substr(7));
    }
    const size_t bytes = static_cast<size_t>(img.width) * img.height * 4;
    const auto offset = static_cast<size_t>(in.tellg());
    if (img.empty() || out->size() < offset + bytes) return std::nullopt;
    img.rgba.assign(out->begin() + static_cast<std::ptrdiff_t>(offset),
                    out->begin() + static_cast<std::ptrdiff_t>(offset + bytes));
    return img;
}

std::vector<uint8_t> read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path.string());
    return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_file(const std::filesystem::path& path, const std::vector<uint8_t>& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error("cannot write " + path.string());
}

const uint8_t* pixel(const Image& img, int x, int y) {
    return &img.rgba[(static_cast<size_t>(y) * img.width + x) * 4];
}

int colour_distance(const Image& img, int x, int y, const std::vector<int>& rgb) {
    const uint8_t* p = pixel(img, x, y);
    int d = 0;
    for (int c = 0; c < 3; ++c) d = std::max(d, std::abs(p[c] - rgb[static_cast<size_t>(c)]));
    return d;
}

double mean_abs_diff_rgb(const Image& a, const Image& b) {
    if (a.width != b.width || a.height != b.height) return 1e9;
    double sum = 0;
    for (size_t i = 0; i < a.rgba.size(); ++i) {
        if (i % 4 != 3) sum += std::abs(a.rgba[i] - b.rgba[i]);
    }
    return sum / (static_cast<double>(a.width) * a.height * 3);
}

double psnr_rgb(const Image& a, const Image& b) {
    if (a.width != b.width || a.height != b.height) return 0;
    double se = 0;
    for (size_t i = 0; i < a.rgba.size(); ++i) {
        if (i % 4 == 3) continue;
        double d = a.rgba[i] - b.rgba[i];
        se += d * d;
    }
    double mse = se / (static_cast<double>(a.width) * a.height * 3);
    return mse == 0 ? 99.0 : 10.0 * std::log10(255.0 * 255.0 / mse);
}

std::vector<uint8_t> pattern_pixel(int x, int y) {
    return {static_cast<uint8_t>((7 * x) % 256), static_cast<uint8_t>((11 * y) % 256),
            static_cast<uint8_t>((5 * (x + y)) % 256), static_cast<uint8_t>(255 - 3 * x)};
}

}  // namespace atelier::media::test
