// Fuzz target: arbitrary bytes as stored media metadata (media_info_from_json). Whatever parses
// must survive to_json -> from_json unchanged; nothing may throw or crash.
#include <cstdint>
#include <string_view>

#include "fuzz-util.h"
#include "media/probe.h"

using namespace atelier;

extern "C" int LLVMFuzzerInitialize(int*, char***) { return 0; }

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto info = media::media_info_from_json(std::string_view(reinterpret_cast<const char*>(data), size));
    if (!info.ok()) {
        FUZZ_CHECK(info.error().code == ErrorCode::InvalidArgument);
        return 0;
    }
    const std::string text = info->to_json();
    auto again = media::media_info_from_json(text);
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(*again == *info);
    FUZZ_CHECK(again->to_json() == text);
    return 0;
}
