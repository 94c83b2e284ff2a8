// Bilinear region resample, aspect fit, alpha-over blit and fill for RGBA images (the timeline
// renderer's compositor). Fixed-point weights (8 bits) keep it fast and deterministic.
// Thread-safety: reentrant.
#include "media/image-compose.h"

#include <algorithm>
#include <cstring>
#include <cmath>
#include <vector>

namespace atelier::media {

Image resample_region(const Image& src, const RegionF& region, int out_w, int out_h) {
    Image out;
    if (src.empty() || out_w <= 0 || out_h <= 0) return out;
    out.width = out_w;
    out.height = out_h;
    out.rgba.resize(static_cast<size_t>(out_w) * static_cast<size_t>(out_h) * 4);
    const double sx = region.width / out_w, sy = region.height / out_h;
    // Per-column source index and weight, computed once.
    std::vector<int> x0(static_cast<size_t>(out_w)), x1(static_cast<size_t>(out_w)), wx(static_cast<size_t>(out_w));
    for (int x = 0; x < out_w; ++x) {
        const double fx = std::clamp(region.x + (x + 0.5) * sx - 0.5, 0.0, static_cast<double>(src.width - 1));
        const int ix = static_cast<int>(fx);
        x0[static_cast<size_t>(x)] = ix;
        x1[static_cast<size_t>(x)] = std::min(ix + 1, src.width - 1);
        wx[static_cast<size_t>(x)] = static_cast<int>((fx - ix) * 256.0);
    }
    for (int y = 0; y < out_h; ++y) {
        const double fy = std::clamp(region.y + (y + 0.5) * sy - 0.5, 0.0, static_cast<double>(src.height - 1));
        const int iy = static_cast<int>(fy), iy1 = std::min(iy + 1, src.height - 1);
        const int wy = static_cast<int>((fy - iy) * 256.0);
        const uint8_t* r0 = &src.rgba[static_cast<size_t>(iy) * static_cast<size_t>(src.width) * 4];
        const uint8_t* r1 = &src.rgba[static_cast<size_t>(iy1) * static_cast<size_t>(src.width) * 4];
        uint8_t* d = &out.rgba[static_cast<size_t>(y) * static_cast<size_t>(out_w) * 4];
        for (int x = 0; x < out_w; ++x, d += 4) {
            const size_t a = static_cast<size_t>(x0[static_cast<size_t>(x)]) * 4, b = static_cast<size_t>(x1[static_cast<size_t>(x)]) * 4;
            const int w = wx[static_cast<size_t>(x)];
            for (int c = 0; c < 4; ++c) {
                const int top = r0[a + c] * (256 - w) + r0[b + c] * w;
                const int bot = r1[a + c] * (256 - w) + r1[b + c] * w;
                d[c] = static_cast<uint8_t>((top * (256 - wy) + bot * wy + (1 << 15)) >> 16);
            }
        }
    }
    return out;
}

void fit_size(int src_w, int src_h, int box_w, int box_h, int* w, int* h) {
    if (src_w <= 0 || src_h <= 0) {
        *w = std::max(1, box_w);
        *h = std::max(1, box_h);
        return;
    }
    if (static_cast<int64_t>(src_w) * box_h >= static_cast<int64_t>(src_h) * box_w) {
        *w = box_w;
        *h = static_cast<int>(std::lround(static_cast<double>(box_w) * src_h / src_w));
    } else {
        *h = box_h;
        *w = static_cast<int>(std::lround(static_cast<double>(box_h) * src_w / src_h));
    }
    *w = std::clamp(*w, 1, std::max(1, box_w));
    *h = std::clamp(*h, 1, std::max(1, box_h));
}

void blit_over(Image& dst, const Image& src, int x, int y) {
    const int x_start = std::max(0, x), y_start = std::max(0, y);
    const int x_end = std::min(dst.width, x + src.width), y_end = std::min(dst.height, y + src.height);
    for (int yy = y_start; yy < y_end; ++yy) {
        const uint8_t* s = &src.rgba[(static_cast<size_t>(yy - y) * static_cast<size_t>(src.width) + static_cast<size_t>(x_start - x)) * 4];
        uint8_t* d = &dst.rgba[(static_cast<size_t>(yy) * static_cast<size_t>(dst.width) + static_cast<size_t>(x_start)) * 4];
        for (int xx = x_start; xx < x_end;) {
            // A run of opaque pixels (every video frame is one run per row) is a plain copy.
            int run = 0;
            while (xx + run < x_end && s[4 * run + 3] == 255) ++run;
            if (run > 0) {
                std::memcpy(d, s, static_cast<size_t>(run) * 4);
                xx += run, s += 4 * run, d += 4 * run;
                continue;
            }
            const int a = s[3];
            if (a != 0) {
                for (int c = 0; c < 3; ++c) d[c] = static_cast<uint8_t>((s[c] * a + d[c] * (255 - a) + 127) / 255);
                d[3] = static_cast<uint8_t>(std::max<int>(d[3], a));
            }
            ++xx, s += 4, d += 4;
        }
    }
}

void fill(Image& img, uint8_t r, uint8_t g, uint8_t b) {
    const size_t n = img.rgba.size() / 4;
    if (n == 0) return;
    const uint8_t px[4] = {r, g, b, 255};
    uint8_t* d = img.rgba.data();
    std::memcpy(d, px, 4);
    // Doubling copies: log2(n) memcpy calls instead of a byte loop over the whole frame.
    for (size_t done = 1; done < n;) {
        const size_t k = std::min(done, n - done);
        std::memcpy(d + done * 4, d, k * 4);
        done += k;
    }
}

}  // namespace atelier::media
