// Element and block types of the engine, declared once. Every quantised type stores whole
// blocks of `block_elems` values in `block_bytes` bytes along the contiguous dimension (ne[0]);
// the byte layout of each block is in quant-blocks.h (shared with CUDA later, static_asserted
// against the sizes here). GGUF ids follow the GGUF v3 specification (ggml_type numbering).
// Thread-safety: constant tables; pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/result.h"

namespace atelier::infer {

enum class DType : uint8_t {
    Invalid = 0,
    F32,
    F16,
    BF16,
    F64,
    I8,
    I16,
    I32,
    I64,
    F8_E4M3,    // FP8 E4M3 (OCP), one byte per value; block scales live in a companion tensor
    F8_E8M0,    // UE8M0 scale bytes: value = 2^(byte - 127); 0xFF is NaN
    FP4_E2M1,   // FP4 E2M1 packed two per byte along ne[0] (low nibble first); scales in a companion tensor
    Q8_0,       // GGUF: 32 values, f16 scale + 32 int8
    Q2_K,
    Q3_K,
    Q4_K,
    Q5_K,
    Q6_K,
    Q8_K,       // GGUF: 256 values, f32 scale + 256 int8 + 16 int16 block sums (activation format)
    IQ2_XXS,
    IQ3_XXS,
    MXFP4,      // GGUF: 32 values, UE8M0 scale byte + 16 bytes of E2M1 pairs
    U8,         // plain unsigned bytes (safetensors U8); no GGUF id
    Q4_K_R16,   // engine-internal: Q4_K with 16 rows interleaved (BlockQ4_KR16), made at load for
                // the AVX-512 matvec; rows are not contiguous (see quant-blocks.h). No GGUF id
    Count
};

struct DTypeTraits {
    const char* name;     // "q4_K", "bf16", ... (GGUF spelling where one exists)
    int64_t block_elems;  // values per block (1 for plain types; 2 for packed FP4)
    int64_t block_bytes;  // bytes per block
    bool quantized;       // needs dequantisation to be used as numbers
    int gguf_id;          // GGUF ggml_type id, or -1 if GGUF has none
};

const DTypeTraits& dtype_traits(DType t);
inline const char* dtype_name(DType t) { return dtype_traits(t).name; }
std::optional<DType> dtype_from_gguf(uint32_t gguf_id);
std::optional<DType> dtype_from_name(std::string_view name);

// Bytes for n_elems values of type t along one row. Fails (InvalidArgument) when n_elems is not
// a whole number of blocks, or on overflow. Safe for untrusted sizes.
Result<int64_t> dtype_row_bytes(DType t, int64_t n_elems);

}  // namespace atelier::infer
