// EXIF orientation from JPEG bytes: walks the JPEG marker segments up to the first scan, finds
// the APP1 "Exif" segment and reads IFD0 tag 0x0112 (Orientation) from its TIFF structure.
// Every offset is bounds-checked: the bytes are untrusted. Thread-safety: pure function.
#pragma once

#include <cstddef>
#include <cstdint>

namespace atelier::media {

// The orientation value 1..8, or 1 (upright) when the data is not a JPEG, has no Exif segment,
// or the tag is missing or malformed.
int jpeg_exif_orientation(const uint8_t* data, size_t size);

}  // namespace atelier::media
