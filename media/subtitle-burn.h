// Burned-in subtitles: text drawn onto RGBA frames with stb_truetype, white with a black outline,
// bottom-centred inside the title-safe area, wrapped automatically at word boundaries (words
// longer than a line are split between characters). Pixels outside the text and its outline are
// never touched. The last rendered text is cached, so a subtitle shown for many frames is
// rasterised once.
// Thread-safety: one SubtitleBurner per thread (it caches glyph masks).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "media/image.h"

namespace atelier::media {

struct SubtitleStyle {
    double font_height_frac = 0.055;   // text height (ascent - descent) / frame height
    double side_margin_frac = 0.075;   // title-safe area: this much of the width on each side
    double bottom_margin_frac = 0.06;  // ... and of the height below the last line
    double outline_frac = 0.12;        // outline radius / font height
    uint8_t text_rgb[3] = {255, 255, 255};
    uint8_t outline_rgb[3] = {0, 0, 0};
};

// The rectangle a draw() touched (empty when nothing was drawn).
struct PixelBox {
    int x = 0, y = 0, width = 0, height = 0;
    bool contains(int px, int py) const { return px >= x && py >= y && px < x + width && py < y + height; }
};

class SubtitleBurner {
public:
    // ttf: a TrueType font that outlives the burner; empty: the built-in DejaVu Sans.
    // Errors: InvalidArgument (not a font stb_truetype can read).
    static Result<std::unique_ptr<SubtitleBurner>> create(std::span<const uint8_t> ttf = {});
    ~SubtitleBurner();

    // The lines `text` wraps to on a frame of this size ('\n' forces a break).
    std::vector<std::string> wrap(std::string_view text, int frame_width, int frame_height, const SubtitleStyle& style = {});
    // Draws `text` onto `frame`; returns the touched box.
    PixelBox draw(Image& frame, std::string_view text, const SubtitleStyle& style = {});

private:
    SubtitleBurner();
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace atelier::media
