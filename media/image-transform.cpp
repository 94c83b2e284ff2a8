// Pixel rearrangement and scaling for RGBA images: EXIF orientations, quarter-turn rotation and
// the area-averaging downscale behind thumbnails. Pure functions of their input; no allocation
// beyond the result. Thread-safety: reentrant.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "media/image.h"

namespace atelier::media {
namespace {

bool well_formed(const Image& img) {
    return !img.empty() && img.rgba.size() == static_cast<size_t>(img.width) * static_cast<size_t>(img.height) * 4;
}

// One output axis of an area-average resample: for each destination index, the first source
// index and the weights of the source samples it covers (weights sum to 1).
struct AxisWeights {
    std::vector<int> first;
    std::vector<int> count;
    std::vector<float> weights;  // count[i] entries per destination index, concatenated
    std::vector<size_t> offset;
};

AxisWeights area_weights(int src, int dst) {
    AxisWeights w;
    const double scale = static_cast<double>(src) / dst;  // >= 1: downscale only
    for (int i = 0; i < dst; ++i) {
        const double lo = i * scale, hi = (i + 1) * scale;
        const int first = static_cast<int>(std::floor(lo));
        const int last = std::min(src - 1, static_cast<int>(std::ceil(hi)) - 1);
        w.first.push_back(first);
        w.count.push_back(last - first + 1);
        w.offset.push_back(w.weights.size());
        for (int s = first; s <= last; ++s) {
            double cover = std::min<double>(hi, s + 1) - std::max<double>(lo, s);
            w.weights.push_back(static_cast<float>(cover / scale));
        }
    }
    return w;
}

}  // namespace

Image fit_within(const Image& src, int max_side) {
    if (!well_formed(src) || max_side <= 0 || std::max(src.width, src.height) <= max_side) return src;
    const double scale = static_cast<double>(max_side) / std::max(src.width, src.height);
    const int dw = std::clamp(static_cast<int>(std::lround(src.width * scale)), 1, max_side);
    const int dh = std::clamp(static_cast<int>(std::lround(src.height * scale)), 1, max_side);
    const AxisWeights wx = area_weights(src.width, dw), wy = area_weights(src.height, dh);

    // Colour is averaged premultiplied by alpha, so transparent pixels do not bleed their colour.
    // Pass 1: horizontal, into a float buffer of dw x src.height premultiplied RGBA.
    std::vector<float> rows(static_cast<size_t>(dw) * src.height * 4);
    for (int y = 0; y < src.height; ++y) {
        const uint8_t* in = &src.rgba[static_cast<size_t>(y) * src.width * 4];
        float* out = &rows[static_cast<size_t>(y) * dw * 4];
        for (int x = 0; x < dw; ++x) {
            float acc[4] = {0, 0, 0, 0};
            for (int k = 0; k < wx.count[x]; ++k) {
                const uint8_t* p = in + static_cast<size_t>(wx.first[x] + k) * 4;
                const float wgt = wx.weights[wx.offset[x] + k];
                const float a = p[3] * wgt;
                acc[0] += p[0] * a;
                acc[1] += p[1] * a;
                acc[2] += p[2] * a;
                acc[3] += a;
            }
            std::memcpy(out + x * 4, acc, sizeof acc);
        }
    }
    // Pass 2: vertical, then un-premultiply.
    Image dst;
    dst.width = dw;
    dst.height = dh;
    dst.rgba.resize(static_cast<size_t>(dw) * dh * 4);
    for (int y = 0; y < dh; ++y) {
        for (int x = 0; x < dw; ++x) {
            float acc[4] = {0, 0, 0, 0};
            for (int k = 0; k < wy.count[y]; ++k) {
                const float* p = &rows[(static_cast<size_t>(wy.first[y] + k) * dw + x) * 4];
                const float wgt = wy.weights[wy.offset[y] + k];
                for (int c = 0; c < 4; ++c) acc[c] += p[c] * wgt;
            }
            uint8_t* o = &dst.rgba[(static_cast<size_t>(y) * dw + x) * 4];
            const float alpha = acc[3];
            for (int c = 0; c < 3; ++c) {
                o[c] = alpha > 0 ? static_cast<uint8_t>(std::clamp(std::lround(acc[c] / alpha), 0L, 255L)) : 0;
            }
            o[3] = static_cast<uint8_t>(std::clamp(std::lround(alpha), 0L, 255L));
        }
    }
    return dst;
}

// EXIF 2.3 Orientation: which stored row/column is shown at the top/left. For each value the
// display size and the stored pixel (sx, sy) shown at display position (x, y):
//   1 identity            2 mirror horizontally      3 rotate 180            4 mirror vertically
//   5 transpose           6 rotate 90 clockwise      7 transverse            8 rotate 90 anticlockwise
Image apply_exif_orientation(const Image& src, int orientation) {
    if (!well_formed(src) || orientation < 2 || orientation > 8) return src;
    const int w = src.width, h = src.height;
    const bool swap = orientation >= 5;
    Image dst;
    dst.width = swap ? h : w;
    dst.height = swap ? w : h;
    dst.rgba.resize(src.rgba.size());
    for (int y = 0; y < dst.height; ++y) {
        for (int x = 0; x < dst.width; ++x) {
            int sx = x, sy = y;
            switch (orientation) {
                case 2: sx = w - 1 - x; break;
                case 3: sx = w - 1 - x; sy = h - 1 - y; break;
                case 4: sy = h - 1 - y; break;
                case 5: sx = y; sy = x; break;
                case 6: sx = y; sy = h - 1 - x; break;
                case 7: sx = w - 1 - y; sy = h - 1 - x; break;
                case 8: sx = w - 1 - y; sy = x; break;
                default: break;
            }
            std::memcpy(&dst.rgba[(static_cast<size_t>(y) * dst.width + x) * 4],
                        &src.rgba[(static_cast<size_t>(sy) * w + sx) * 4], 4);
        }
    }
    return dst;
}

Image rotate_image(const Image& src, int degrees_cw) {
    switch (((degrees_cw % 360) + 360) % 360) {
        case 90: return apply_exif_orientation(src, 6);
        case 180: return apply_exif_orientation(src, 3);
        case 270: return apply_exif_orientation(src, 8);
        default: return src;
    }
}

}  // namespace atelier::media
