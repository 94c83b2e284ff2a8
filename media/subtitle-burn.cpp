// SubtitleBurner: UTF-8 -> code points -> greedy word wrap by advance widths (with kerning) ->
// a coverage mask of the lines (stb_truetype glyph bitmaps, max-blended) -> an outline mask (the
// text mask dilated by a disc) -> composited onto the frame: outline colour by the outline mask,
// then text colour by the text mask. The masks of the last (text, frame size, style) are cached.
// Thread-safety: one SubtitleBurner per thread.
#include "media/subtitle-burn.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <new>

#include <stb/stb_truetype.h>

#include "media/default-font.h"

namespace atelier::media {
namespace {

std::vector<uint32_t> utf8_decode(std::string_view s) {
    std::vector<uint32_t> out;
    for (size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        int n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        uint32_t cp = n == 1 ? c : n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
        bool ok = n > 0 && i + static_cast<size_t>(n) <= s.size();
        for (int k = 1; ok && k < n; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + static_cast<size_t>(k)]);
            ok = (cc >> 6) == 2;
            cp = (cp << 6) | (cc & 0x3F);
        }
        if (!ok) {
            out.push_back(0xFFFD);
            ++i;
            continue;
        }
        out.push_back(cp);
        i += static_cast<size_t>(n);
    }
    return out;
}

std::string utf8_encode(const std::vector<uint32_t>& cps) {
    std::string s;
    for (uint32_t cp : cps) {
        if (cp < 0x80) s += static_cast<char>(cp);
        else if (cp < 0x800) s += {static_cast<char>(0xC0 | (cp >> 6)), static_cast<char>(0x80 | (cp & 0x3F))};
        else if (cp < 0x10000)
            s += {static_cast<char>(0xE0 | (cp >> 12)), static_cast<char>(0x80 | ((cp >> 6) & 0x3F)), static_cast<char>(0x80 | (cp & 0x3F))};
        else
            s += {static_cast<char>(0xF0 | (cp >> 18)), static_cast<char>(0x80 | ((cp >> 12) & 0x3F)),
                  static_cast<char>(0x80 | ((cp >> 6) & 0x3F)), static_cast<char>(0x80 | (cp & 0x3F))};
    }
    return s;
}

struct Metrics {
    float scale = 0;
    float ascent = 0, descent = 0, line_gap = 0;  // pixels (descent negative)
    int outline = 0;
    int max_line_width = 0;
    int bottom_margin = 0;
};

}  // namespace

struct SubtitleBurner::Impl {
    stbtt_fontinfo font{};
    // cache of the last rendered text
    std::string key;
    int mask_w = 0, mask_h = 0, mask_x = 0, mask_y = 0;
    std::vector<uint8_t> text_mask, outline_mask;

    Metrics metrics(int fw, int fh, const SubtitleStyle& st) const {
        Metrics m;
        int asc = 0, desc = 0, gap = 0;
        stbtt_GetFontVMetrics(&font, &asc, &desc, &gap);
        const float px = static_cast<float>(std::max(8.0, fh * st.font_height_frac));
        m.scale = px / static_cast<float>(std::max(1, asc - desc));
        m.ascent = static_cast<float>(asc) * m.scale;
        m.descent = static_cast<float>(desc) * m.scale;
        m.line_gap = static_cast<float>(gap) * m.scale;
        m.outline = std::max(1, static_cast<int>(std::lround(px * st.outline_frac)));
        m.max_line_width = std::max(1, static_cast<int>(fw * (1.0 - 2.0 * st.side_margin_frac)) - 2 * m.outline);
        m.bottom_margin = static_cast<int>(fh * st.bottom_margin_frac);
        return m;
    }
    float advance(uint32_t cp, uint32_t next, float scale) const {
        int adv = 0, lsb = 0;
        stbtt_GetCodepointHMetrics(&font, static_cast<int>(cp), &adv, &lsb);
        float a = static_cast<float>(adv) * scale;
        if (next) a += static_cast<float>(stbtt_GetCodepointKernAdvance(&font, static_cast<int>(cp), static_cast<int>(next))) * scale;
        return a;
    }
    float width_of(const std::vector<uint32_t>& cps, float scale) const {
        float w = 0;
        for (size_t i = 0; i < cps.size(); ++i) w += advance(cps[i], i + 1 < cps.size() ? cps[i + 1] : 0, scale);
        return w;
    }
    std::vector<std::vector<uint32_t>> wrap_lines(std::string_view text, const Metrics& m) const;
    void render(const std::vector<std::vector<uint32_t>>& lines, const Metrics& m, int fw, int fh);
};

std::vector<std::vector<uint32_t>> SubtitleBurner::Impl::wrap_lines(std::string_view text, const Metrics& m) const {
    std::vector<std::vector<uint32_t>> lines;
    const auto cps = utf8_decode(text);
    const float limit = static_cast<float>(m.max_line_width);
    std::vector<uint32_t> para;
    auto flush_para = [&] {
        // Greedy fill: words separated by spaces; a word wider than a line is split by characters.
        std::vector<uint32_t> line, word;
        auto push_word = [&] {
            if (word.empty()) return;
            std::vector<uint32_t> trial = line;
            if (!trial.empty()) trial.push_back(' ');
            trial.insert(trial.end(), word.begin(), word.end());
            if (width_of(trial, m.scale) <= limit) {
                line = std::move(trial);
                word.clear();
                return;
            }
            if (!line.empty()) {
                lines.push_back(line);
                line.clear();
            }
            if (width_of(word, m.scale) <= limit) {
                line = word;
                word.clear();
                return;
            }
            for (uint32_t cp : word) {  // too long for any line: break between characters
                line.push_back(cp);
                if (line.size() > 1 && width_of(line, m.scale) > limit) {
                    line.pop_back();
                    lines.push_back(line);
                    line.assign(1, cp);
                }
            }
            word.clear();
        };
        for (uint32_t cp : para) {
            if (cp == ' ' || cp == '\t') push_word();
            else word.push_back(cp);
        }
        push_word();
        if (!line.empty()) lines.push_back(line);
        para.clear();
    };
    for (uint32_t cp : cps) {
        if (cp == '\r') continue;
        if (cp == '\n') flush_para();
        else para.push_back(cp);
    }
    flush_para();
    return lines;
}

void SubtitleBurner::Impl::render(const std::vector<std::vector<uint32_t>>& lines, const Metrics& m, int fw, int fh) {
    const float line_h = m.ascent - m.descent + m.line_gap;
    const int pad = m.outline + 1;
    int widest = 0;
    for (const auto& l : lines) widest = std::max(widest, static_cast<int>(std::ceil(width_of(l, m.scale))));
    mask_w = widest + 2 * pad;
    mask_h = static_cast<int>(std::ceil(line_h * static_cast<float>(lines.size()))) + 2 * pad;
    mask_x = (fw - mask_w) / 2;
    mask_y = fh - m.bottom_margin - mask_h;
    text_mask.assign(static_cast<size_t>(mask_w) * static_cast<size_t>(mask_h), 0);
    std::vector<uint8_t> glyph;
    for (size_t li = 0; li < lines.size(); ++li) {
        const auto& l = lines[li];
        float x = static_cast<float>(pad) + (static_cast<float>(widest) - width_of(l, m.scale)) / 2.0f;
        const int baseline = pad + static_cast<int>(std::lround(line_h * static_cast<float>(li) + m.ascent));
        for (size_t i = 0; i < l.size(); ++i) {
            const int cp = static_cast<int>(l[i]);
            const float shift = x - std::floor(x);
            int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
            stbtt_GetCodepointBitmapBoxSubpixel(&font, cp, m.scale, m.scale, shift, 0, &x0, &y0, &x1, &y1);
            const int gw = x1 - x0, gh = y1 - y0;
            if (gw > 0 && gh > 0) {
                glyph.assign(static_cast<size_t>(gw) * static_cast<size_t>(gh), 0);
                stbtt_MakeCodepointBitmapSubpixel(&font, glyph.data(), gw, gh, gw, m.scale, m.scale, shift, 0, cp);
                const int ox = static_cast<int>(std::floor(x)) + x0, oy = baseline + y0;
                for (int gy = 0; gy < gh; ++gy) {
                    const int my = oy + gy;
                    if (my < 0 || my >= mask_h) continue;
                    for (int gx = 0; gx < gw; ++gx) {
                        const int mx = ox + gx;
                        if (mx < 0 || mx >= mask_w) continue;
                        uint8_t& d = text_mask[static_cast<size_t>(my) * static_cast<size_t>(mask_w) + static_cast<size_t>(mx)];
                        d = std::max(d, glyph[static_cast<size_t>(gy) * static_cast<size_t>(gw) + static_cast<size_t>(gx)]);
                    }
                }
            }
            x += advance(l[i], i + 1 < l.size() ? l[i + 1] : 0, m.scale);
        }
    }
    // Outline: max of the text mask over a disc of radius r (rows first, limited by the disc).
    const int r = m.outline;
    outline_mask.assign(text_mask.size(), 0);
    for (int y = 0; y < mask_h; ++y) {
        for (int x = 0; x < mask_w; ++x) {
            uint8_t best = 0;
            for (int dy = -r; dy <= r && best < 255; ++dy) {
                const int yy = y + dy;
                if (yy < 0 || yy >= mask_h) continue;
                const int span = static_cast<int>(std::sqrt(static_cast<double>(r * r - dy * dy)));
                const uint8_t* row = &text_mask[static_cast<size_t>(yy) * static_cast<size_t>(mask_w)];
                for (int xx = std::max(0, x - span); xx <= std::min(mask_w - 1, x + span); ++xx) best = std::max(best, row[xx]);
            }
            outline_mask[static_cast<size_t>(y) * static_cast<size_t>(mask_w) + static_cast<size_t>(x)] = best;
        }
    }
}

SubtitleBurner::SubtitleBurner() : impl_(std::make_unique<Impl>()) {}
SubtitleBurner::~SubtitleBurner() = default;

Result<std::unique_ptr<SubtitleBurner>> SubtitleBurner::create(std::span<const uint8_t> ttf) {
    if (ttf.empty()) ttf = default_font_ttf();
    std::unique_ptr<SubtitleBurner> b(new SubtitleBurner());
    const int offset = ttf.size() >= 12 ? stbtt_GetFontOffsetForIndex(ttf.data(), 0) : -1;
    if (offset < 0 || !stbtt_InitFont(&b->impl_->font, ttf.data(), offset)) {
        return make_error(ErrorCode::InvalidArgument, "subtitle font: not a TrueType font", "choose a .ttf font file");
    }
    return b;
}

std::vector<std::string> SubtitleBurner::wrap(std::string_view text, int fw, int fh, const SubtitleStyle& style) {
    std::vector<std::string> out;
    for (const auto& l : impl_->wrap_lines(text, impl_->metrics(fw, fh, style))) out.push_back(utf8_encode(l));
    return out;
}

PixelBox SubtitleBurner::draw(Image& frame, std::string_view text, const SubtitleStyle& style) {
    Impl& m = *impl_;
    if (frame.empty() || text.empty()) return {};
    std::string key = std::to_string(frame.width) + "x" + std::to_string(frame.height) + "/" +
                      std::to_string(style.font_height_frac) + "/" + std::to_string(style.outline_frac) + "/" +
                      std::to_string(style.side_margin_frac) + "/" + std::to_string(style.bottom_margin_frac) + "\n";
    key.append(text);
    if (key != m.key) {
        const Metrics met = m.metrics(frame.width, frame.height, style);
        const auto lines = m.wrap_lines(text, met);
        if (lines.empty()) return {};
        m.render(lines, met, frame.width, frame.height);
        m.key = std::move(key);
    }
    PixelBox box{std::max(0, m.mask_x), std::max(0, m.mask_y), 0, 0};
    const int x_end = std::min(frame.width, m.mask_x + m.mask_w), y_end = std::min(frame.height, m.mask_y + m.mask_h);
    box.width = std::max(0, x_end - box.x);
    box.height = std::max(0, y_end - box.y);
    for (int y = box.y; y < y_end; ++y) {
        const size_t mrow = static_cast<size_t>(y - m.mask_y) * static_cast<size_t>(m.mask_w);
        uint8_t* px = &frame.rgba[(static_cast<size_t>(y) * static_cast<size_t>(frame.width) + static_cast<size_t>(box.x)) * 4];
        for (int x = box.x; x < x_end; ++x, px += 4) {
            const size_t mi = mrow + static_cast<size_t>(x - m.mask_x);
            const int o = m.outline_mask[mi], t = m.text_mask[mi];
            if (o == 0) continue;
            for (int c = 0; c < 3; ++c) {
                int v = px[c];
                v += ((style.outline_rgb[c] - v) * o + 127) / 255;
                v += ((style.text_rgb[c] - v) * t + 127) / 255;
                px[c] = static_cast<uint8_t>(v);
            }
        }
    }
    return box;
}

}  // namespace atelier::media
