// Compositing helpers for the timeline renderer: a bilinear resample of a sub-rectangle (pan and
// zoom, fitting pictures into the frame) and an alpha-over blit. Pure functions on RGBA images.
// Thread-safety: reentrant.
#pragma once

#include "media/image.h"

namespace atelier::media {

// A rectangle in source pixel coordinates (may be fractional).
struct RegionF {
    double x = 0, y = 0, width = 0, height = 0;
};

// Samples `region` of src into a new out_w x out_h image (bilinear, edges clamped).
Image resample_region(const Image& src, const RegionF& region, int out_w, int out_h);

// The largest w x h with src's aspect that fits in box_w x box_h (at least 1x1).
void fit_size(int src_w, int src_h, int box_w, int box_h, int* w, int* h);

// Draws src over dst with its top-left at (x, y), blending by src alpha; clipped to dst.
void blit_over(Image& dst, const Image& src, int x, int y);

// Fills every pixel with an opaque colour.
void fill(Image& img, uint8_t r, uint8_t g, uint8_t b);

}  // namespace atelier::media
