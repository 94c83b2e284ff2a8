// Embeds resources/fonts/DejaVuSans.ttf with the assembler's .incbin (ATELIER_FONT_FILE is set by
// media/CMakeLists.txt; the object depends on the font file). Read-only data, 16-byte aligned.
// Thread-safety: immutable data.
#include "media/default-font.h"

#ifndef ATELIER_FONT_FILE
#error "ATELIER_FONT_FILE must name the TTF to embed (see media/CMakeLists.txt)"
#endif

asm(".pushsection .rodata\n"
    ".balign 16\n"
    "atelier_default_font_begin:\n"
    ".incbin \"" ATELIER_FONT_FILE "\"\n"
    "atelier_default_font_end:\n"
    ".popsection\n");

extern "C" const uint8_t atelier_default_font_begin[];
extern "C" const uint8_t atelier_default_font_end[];

namespace atelier::media {

std::span<const uint8_t> default_font_ttf() {
    return {atelier_default_font_begin, static_cast<size_t>(atelier_default_font_end - atelier_default_font_begin)};
}

}  // namespace atelier::media
