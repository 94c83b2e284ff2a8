// The default font for burned-in subtitles: DejaVu Sans (resources/fonts/, Bitstream Vera
// licence), compiled into the library so nothing is loaded at run time.
// Thread-safety: immutable data; any thread.
#pragma once

#include <cstdint>
#include <span>

namespace atelier::media {

std::span<const uint8_t> default_font_ttf();

}  // namespace atelier::media
