// EXIF orientation parser. Format facts used (JPEG ITU T.81 Annex B, EXIF 2.3 §4.5/4.6, TIFF 6.0):
//  - JPEG: SOI FFD8, then segments FF <marker> [len_hi len_lo payload]; len counts itself (>= 2).
//    Markers 01, D0-D7 (RST) and D8 carry no length; FF fill bytes may precede a marker; metadata
//    ends at SOS (DA) or EOI (D9).
//  - APP1 (E1) payload "Exif\0\0" + TIFF: byte order "II" (little) or "MM" (big), 42, offset of
//    IFD0 (from the TIFF start); IFD = u16 count + count * 12-byte entries {tag u16, type u16,
//    count u32, value/offset u32}; Orientation is tag 0x0112, type SHORT (3), count 1.
// Thread-safety: pure functions.
#include "media/exif.h"

namespace atelier::media {
namespace {

struct TiffReader {
    const uint8_t* p;
    size_t n;
    bool little;

    bool u16(size_t off, uint32_t& out) const {
        if (off > n || n - off < 2) return false;
        out = little ? (p[off] | (p[off + 1] << 8)) : ((p[off] << 8) | p[off + 1]);
        return true;
    }
    bool u32(size_t off, uint32_t& out) const {
        uint32_t a = 0, b = 0;
        if (!u16(off, a) || !u16(off + 2, b)) return false;
        out = little ? (a | (b << 16)) : ((a << 16) | b);
        return true;
    }
};

// Orientation from one APP1 payload; 0 when it is not Exif or holds no valid orientation.
int orientation_from_app1(const uint8_t* p, size_t n) {
    static const uint8_t kExif[6] = {'E', 'x', 'i', 'f', 0, 0};
    if (n < 6) return 0;
    for (size_t i = 0; i < 6; ++i) {
        if (p[i] != kExif[i]) return 0;
    }
    TiffReader t{p + 6, n - 6, true};
    if (t.n < 8) return 0;
    if (t.p[0] == 'I' && t.p[1] == 'I') {
        t.little = true;
    } else if (t.p[0] == 'M' && t.p[1] == 'M') {
        t.little = false;
    } else {
        return 0;
    }
    uint32_t magic = 0, ifd0 = 0, count = 0;
    if (!t.u16(2, magic) || magic != 42 || !t.u32(4, ifd0) || !t.u16(ifd0, count)) return 0;
    for (uint32_t i = 0; i < count; ++i) {
        size_t entry = size_t{ifd0} + 2 + size_t{12} * i;
        uint32_t tag = 0, type = 0, n_values = 0, value = 0;
        if (!t.u16(entry, tag) || !t.u16(entry + 2, type) || !t.u32(entry + 4, n_values)) return 0;
        if (tag != 0x0112) continue;
        if (n_values < 1) return 0;
        if (type == 3) {  // SHORT: the value sits left-aligned in the 4-byte field
            if (!t.u16(entry + 8, value)) return 0;
        } else if (type == 4) {  // LONG: not per spec, but some writers use it
            if (!t.u32(entry + 8, value)) return 0;
        } else {
            return 0;
        }
        return (value >= 1 && value <= 8) ? static_cast<int>(value) : 0;
    }
    return 0;
}

}  // namespace

int jpeg_exif_orientation(const uint8_t* data, size_t size) {
    if (!data || size < 4 || data[0] != 0xFF || data[1] != 0xD8) return 1;
    size_t pos = 2;
    while (pos < size && size - pos >= 2) {
        if (data[pos] != 0xFF) return 1;  // lost sync: give up rather than guess
        uint8_t marker = data[pos + 1];
        if (marker == 0xFF) {  // fill byte
            ++pos;
            continue;
        }
        pos += 2;
        if (marker == 0x01 || marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7)) continue;
        if (marker == 0xDA || marker == 0xD9) return 1;
        if (size - pos < 2) return 1;
        size_t len = (size_t{data[pos]} << 8) | data[pos + 1];
        if (len < 2 || len > size - pos) return 1;
        if (marker == 0xE1) {
            int o = orientation_from_app1(data + pos + 2, len - 2);
            if (o != 0) return o;
        }
        pos += len;
    }
    return 1;
}

}  // namespace atelier::media
