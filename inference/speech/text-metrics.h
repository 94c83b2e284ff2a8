// Text measures Whisper's fallback uses: the zlib compression ratio of a window's text (a high
// ratio means repetition loops). Thread-safety: pure functions.
#pragma once

#include <string_view>

namespace atelier::infer::speech {

// len(utf8) / len(zlib.compress(utf8)) at zlib's default level, as OpenAI's utils.py computes it.
// The empty text gives 0.
float compression_ratio(std::string_view text);

}  // namespace atelier::infer::speech
