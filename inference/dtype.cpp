// The type table. Sizes are checked against the block structs in quant-blocks.h by static_assert
// there. GGUF ids: GGUF v3 specification, ggml_type enum.
#include "inference/dtype.h"

#include <array>
#include <string>

namespace atelier::infer {
namespace {

constexpr std::array<DTypeTraits, static_cast<size_t>(DType::Count)> kTraits = {{
    {"invalid", 0, 0, false, -1},
    {"f32", 1, 4, false, 0},
    {"f16", 1, 2, false, 1},
    {"bf16", 1, 2, false, 30},
    {"f64", 1, 8, false, 28},
    {"i8", 1, 1, false, 24},
    {"i16", 1, 2, false, 25},
    {"i32", 1, 4, false, 26},
    {"i64", 1, 8, false, 27},
    {"f8_e4m3", 1, 1, true, -1},
    {"f8_e8m0", 1, 1, true, -1},
    {"fp4_e2m1", 2, 1, true, -1},
    {"q8_0", 32, 34, true, 8},
    {"q2_K", 256, 84, true, 10},
    {"q3_K", 256, 110, true, 11},
    {"q4_K", 256, 144, true, 12},
    {"q5_K", 256, 176, true, 13},
    {"q6_K", 256, 210, true, 14},
    {"q8_K", 256, 292, true, 15},
    {"iq2_xxs", 256, 66, true, 16},
    {"iq3_xxs", 256, 98, true, 18},
    {"mxfp4", 32, 17, true, 39},
    {"u8", 1, 1, false, -1},
    {"q4_K_r16", 256, 148, true, -1},  // per row on average: a 16-row group is 2368 bytes
}};

}  // namespace

const DTypeTraits& dtype_traits(DType t) {
    const auto i = static_cast<size_t>(t);
    return i < kTraits.size() ? kTraits[i] : kTraits[0];
}

std::optional<DType> dtype_from_gguf(uint32_t gguf_id) {
    for (size_t i = 1; i < kTraits.size(); ++i)
        if (kTraits[i].gguf_id >= 0 && static_cast<uint32_t>(kTraits[i].gguf_id) == gguf_id) return static_cast<DType>(i);
    return std::nullopt;
}

std::optional<DType> dtype_from_name(std::string_view name) {
    for (size_t i = 1; i < kTraits.size(); ++i)
        if (name == kTraits[i].name) return static_cast<DType>(i);
    return std::nullopt;
}

Result<int64_t> dtype_row_bytes(DType t, int64_t n_elems) {
    const DTypeTraits& tr = dtype_traits(t);
    if (tr.block_elems <= 0) return make_error(ErrorCode::InvalidArgument, "invalid tensor type");
    if (n_elems < 0) return make_error(ErrorCode::InvalidArgument, "negative element count");
    if (n_elems % tr.block_elems != 0)
        return make_error(ErrorCode::InvalidArgument,
                          std::string("row of ") + std::to_string(n_elems) + " values is not a whole number of " +
                              tr.name + " blocks of " + std::to_string(tr.block_elems));
    int64_t out = 0;
    if (__builtin_mul_overflow(n_elems / tr.block_elems, tr.block_bytes, &out))
        return make_error(ErrorCode::InvalidArgument, "tensor row size overflows");
    return out;
}

}  // namespace atelier::infer
