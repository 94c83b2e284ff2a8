// Compression ratio through the system zlib (Debian's zlib1g), the library Python's zlib wraps,
// at the same default level, so the figure equals the reference's. Thread-safety: pure.
#include "inference/speech/text-metrics.h"

#include <zlib.h>

#include <vector>

namespace atelier::infer::speech {

float compression_ratio(std::string_view text) {
    uLongf out_len = compressBound(static_cast<uLong>(text.size()));
    std::vector<Bytef> out(out_len);
    if (compress2(out.data(), &out_len, reinterpret_cast<const Bytef*>(text.data()), static_cast<uLong>(text.size()),
                  Z_DEFAULT_COMPRESSION) != Z_OK || out_len == 0)
        return 0.0f;
    return static_cast<float>(static_cast<double>(text.size()) / static_cast<double>(out_len));
}

}  // namespace atelier::infer::speech
