// SSML-lite: a <speak> document -> a flat list of text spans (each with its speaking rate) and
// breaks. Supported: <break time="500ms|1.5s" strength="none..x-strong"/>, <prosody rate="x-slow|
// slow|medium|fast|x-fast|80%|+20%|1.2"> (nested rates multiply), <say-as interpret-as="cardinal|
// ordinal|digits|date|time|telephone|characters" format="mdy..."> (English words), <sub alias>,
// <p> and <s> (a sentence boundary), comments, <?xml?> and CDATA, the five XML entities and
// numeric character references. Unknown tags are ignored (their text kept) with one warning each;
// malformed XML is an InvalidArgument error naming the line, column and byte offset.
// The input is untrusted: no recursion, nesting and break lengths are bounded. Thread-safety: any.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace atelier::infer::tts {

inline constexpr int kSsmlMaxDepth = 64;             // deeper nesting is an error
inline constexpr int64_t kSsmlMaxBreakMs = 10'000;   // longer breaks are cut to this, with a warning
inline constexpr float kSsmlMinRate = 0.25f, kSsmlMaxRate = 4.0f;  // a span's rate is clamped to this

struct SsmlSpan {
    std::string text;     // already expanded (say-as, sub); empty for a break
    float rate = 1.0f;    // speaking rate: 2 = twice as fast (length scale / 2)
    int64_t break_ms = -1;  // >= 0: this span is a pause of that length
    bool is_break() const { return break_ms >= 0; }
};

// True when the first non-space characters are "<speak" (optionally after an <?xml ...?>
// declaration): how speak() recognises SSML when not told.
bool looks_like_ssml(std::string_view text);

// Parses an SSML-lite document. implicit_root: the text need not be wrapped in <speak>...</speak>
// (forced SSML on a fragment). Adjacent text with the same rate is merged into one span.
// Errors: InvalidArgument "ssml: line L, column C (byte B): ..." with a hint.
Result<std::vector<SsmlSpan>> parse_ssml(std::string_view text, std::vector<std::string>& warnings,
                                         bool implicit_root = false);

}  // namespace atelier::infer::tts
