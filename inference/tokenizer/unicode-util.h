// UTF-8 helpers for the tokenizer: lossy repair with the "maximal subpart" rule (the rule of
// Rust's String::from_utf8_lossy and Python's errors="replace": each maximal invalid subpart
// becomes one U+FFFD), the length of an incomplete-but-valid UTF-8 tail (for streaming), and the
// GPT-2 byte <-> code point table of byte-level BPE. Thread-safety: pure functions, const tables.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace atelier::infer {

inline constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

// True when `s` is well-formed UTF-8 (no surrogates, no overlongs, <= U+10FFFF).
bool utf8_valid(std::string_view s);

// `s` with every maximal invalid subpart replaced by U+FFFD; `s` itself when already valid.
std::string utf8_lossy(std::string_view s);

// Bytes at the end of `s` that start a valid UTF-8 sequence whose remaining bytes are missing
// (0..3). A streaming decoder holds these back until the next token completes them.
size_t utf8_incomplete_tail(std::string_view s);

// Decodes one code point at s[i] (which must be valid UTF-8); advances i.
uint32_t utf8_next(std::string_view s, size_t& i);

// Appends the UTF-8 encoding of `cp` to `out`.
void utf8_append(std::string& out, uint32_t cp);

// Byte-level BPE (GPT-2): each byte is shown as one printable code point. byte_to_codepoint is
// the forward map; codepoint_to_byte answers -1 for a code point that is no byte's image.
uint32_t byte_to_codepoint(uint8_t b);
int codepoint_to_byte(uint32_t cp);

// The byte-level string of raw bytes ("Ġ" for ' ', ...).
std::string bytes_to_byte_level(std::string_view bytes);

// Inverse of bytes_to_byte_level for a whole token: true and the bytes when every code point of
// `piece` is a byte image; false otherwise (the piece is then used as its own UTF-8 bytes, as the
// reference ByteLevel decoder does for added tokens such as "<｜User｜>").
bool byte_level_to_bytes(std::string_view piece, std::string& out);

// Unicode White_Space (Rust's char::is_whitespace), for added-token lstrip/rstrip.
bool is_unicode_whitespace(uint32_t cp);

}  // namespace atelier::infer
