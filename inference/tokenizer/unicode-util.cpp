// UTF-8 repair/streaming helpers and the GPT-2 byte-level table (see unicode-util.h).
// Thread-safety: the table is a function-local static built once (thread-safe initialisation).
#include "inference/tokenizer/unicode-util.h"

namespace atelier::infer {
namespace {

// Length of a sequence starting with lead byte b (0: never a lead byte).
int utf8_width(uint8_t b) {
    if (b < 0x80) return 1;
    if (b >= 0xC2 && b <= 0xDF) return 2;
    if (b >= 0xE0 && b <= 0xEF) return 3;
    if (b >= 0xF0 && b <= 0xF4) return 4;
    return 0;
}

// Whether `c` may follow lead byte `lead` as its second byte (Unicode Table 3-7).
bool second_ok(uint8_t lead, uint8_t c) {
    switch (lead) {
        case 0xE0: return c >= 0xA0 && c <= 0xBF;
        case 0xED: return c >= 0x80 && c <= 0x9F;
        case 0xF0: return c >= 0x90 && c <= 0xBF;
        case 0xF4: return c >= 0x80 && c <= 0x8F;
        default: return c >= 0x80 && c <= 0xBF;
    }
}

bool is_cont(uint8_t c) { return (c & 0xC0) == 0x80; }

// Length of the valid sequence at s[i] (>0), or -(bytes of the maximal invalid subpart).
int sequence_at(std::string_view s, size_t i) {
    const auto b = static_cast<uint8_t>(s[i]);
    const int w = utf8_width(b);
    if (w == 1) return 1;
    if (w == 0) return -1;
    int k = 1;
    for (; k < w; ++k) {
        if (i + k >= s.size()) return -k;
        const auto c = static_cast<uint8_t>(s[i + k]);
        if (k == 1 ? !second_ok(b, c) : !is_cont(c)) return -k;
    }
    return w;
}

struct ByteTable {
    std::array<uint32_t, 256> to_cp{};
    std::array<int16_t, 324> from_cp{};  // images are all < 324 (256 + 68 remapped bytes)
    ByteTable() {
        from_cp.fill(-1);
        uint32_t next = 256;
        for (int b = 0; b < 256; ++b) {
            const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
            to_cp[b] = printable ? static_cast<uint32_t>(b) : next++;
            from_cp[to_cp[b]] = static_cast<int16_t>(b);
        }
    }
};

const ByteTable& byte_table() {
    static const ByteTable t;
    return t;
}

}  // namespace

bool utf8_valid(std::string_view s) {
    for (size_t i = 0; i < s.size();) {
        const int n = sequence_at(s, i);
        if (n < 0) return false;
        i += static_cast<size_t>(n);
    }
    return true;
}

std::string utf8_lossy(std::string_view s) {
    if (utf8_valid(s)) return std::string(s);
    std::string out;
    out.reserve(s.size() + 8);
    for (size_t i = 0; i < s.size();) {
        const int n = sequence_at(s, i);
        if (n > 0) {
            out.append(s.substr(i, static_cast<size_t>(n)));
            i += static_cast<size_t>(n);
        } else {
            out.append(kReplacementChar);
            i += static_cast<size_t>(-n);
        }
    }
    return out;
}

size_t utf8_incomplete_tail(std::string_view s) {
    for (size_t k = 1; k <= 3 && k <= s.size(); ++k) {
        const size_t start = s.size() - k;
        const auto b = static_cast<uint8_t>(s[start]);
        const int w = utf8_width(b);
        if (w == 1) return 0;  // ASCII: nothing incomplete after it
        if (w == 0) continue;  // a continuation byte (or junk): look further back
        if (static_cast<size_t>(w) <= k) return 0;  // long enough: complete or invalid, not pending
        return sequence_at(s, start) == -static_cast<int>(k) ? k : 0;
    }
    return 0;
}

uint32_t utf8_next(std::string_view s, size_t& i) {
    const auto b = static_cast<uint8_t>(s[i]);
    const int w = utf8_width(b);
    if (w <= 1 || i + static_cast<size_t>(w) > s.size()) {
        ++i;
        return b;
    }
    uint32_t cp = w == 2 ? (b & 0x1Fu) : w == 3 ? (b & 0x0Fu) : (b & 0x07u);
    for (int k = 1; k < w; ++k) cp = (cp << 6) | (static_cast<uint8_t>(s[i + k]) & 0x3Fu);
    i += static_cast<size_t>(w);
    return cp;
}

void utf8_append(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

uint32_t byte_to_codepoint(uint8_t b) { return byte_table().to_cp[b]; }

int codepoint_to_byte(uint32_t cp) {
    return cp < byte_table().from_cp.size() ? byte_table().from_cp[cp] : -1;
}

std::string bytes_to_byte_level(std::string_view bytes) {
    std::string out;
    out.reserve(bytes.size() * 2);
    for (char c : bytes) utf8_append(out, byte_to_codepoint(static_cast<uint8_t>(c)));
    return out;
}

bool byte_level_to_bytes(std::string_view piece, std::string& out) {
    std::string bytes;
    bytes.reserve(piece.size());
    for (size_t i = 0; i < piece.size();) {
        const int b = codepoint_to_byte(utf8_next(piece, i));
        if (b < 0) return false;
        bytes += static_cast<char>(b);
    }
    out += bytes;
    return true;
}

bool is_unicode_whitespace(uint32_t cp) {
    return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
           cp == 0x205F || cp == 0x3000;
}

}  // namespace atelier::infer
