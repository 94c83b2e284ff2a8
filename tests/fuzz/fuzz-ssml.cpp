// Fuzz target: arbitrary bytes as SSML-lite (tts::parse_ssml, with and without the implicit
// <speak> root), as plain text through the English number expansion, and as say-as content of
// every kind. Properties: errors are InvalidArgument naming a line; spans respect the documented
// bounds (rate 0.25..4, breaks 0..10 s, no empty text span); nothing throws or crashes.
// Thread-safety: libFuzzer calls it from one thread.
#include <cstdint>
#include <string_view>

#include "fuzz-util.h"
#include "inference/tts/english-numbers.h"
#include "inference/tts/ssml.h"

using namespace atelier;
namespace tts = atelier::infer::tts;

extern "C" int LLVMFuzzerInitialize(int*, char***) { return 0; }

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    for (bool implicit : {false, true}) {
        std::vector<std::string> warnings;
        auto spans = tts::parse_ssml(text, warnings, implicit);
        if (!spans.ok()) {
            FUZZ_CHECK(spans.error().code == ErrorCode::InvalidArgument);
            FUZZ_CHECK(spans.error().detail.rfind("ssml: line ", 0) == 0);
            continue;
        }
        for (const auto& s : *spans) {
            if (s.is_break()) {
                FUZZ_CHECK(s.break_ms <= tts::kSsmlMaxBreakMs);
                FUZZ_CHECK(s.text.empty());
            } else {
                FUZZ_CHECK(!s.text.empty());
                FUZZ_CHECK(s.rate >= tts::kSsmlMinRate && s.rate <= tts::kSsmlMaxRate);
            }
        }
    }
    const std::string expanded = tts::expand_numbers_in_text(text);
    FUZZ_CHECK(expanded.size() <= 64 * size + 64);
    for (const char* kind : {"cardinal", "ordinal", "digits", "date", "time", "telephone", "characters"}) {
        auto w = tts::say_as_words(kind, "", text.substr(0, 256));
        if (w) FUZZ_CHECK(!w->empty());
    }
    return 0;
}
