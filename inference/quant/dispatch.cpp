// quant.h's row entry points: argument checks (whole blocks, null buffers, finite input for the
// block quantisers) and the switch over types. Element formats are converted here; block formats
// go to the per-family files. Thread-safety: pure functions.
#include <cmath>
#include <cstring>
#include <string>

#include "inference/quant.h"
#include "inference/quant/float-convert.h"
#include "inference/quant/quant-internal.h"

namespace atelier::infer {
namespace {

// Largest |x| a quantiser with fp16 scales accepts: beyond it the scale overflows fp16.
constexpr float kMaxFp16Scaled = 1.0e6f;

Status check_row(DType t, const void* a, const void* b, int64_t n, const char* what) {
    const DTypeTraits& tr = dtype_traits(t);
    if (tr.block_elems <= 0)
        return make_error(ErrorCode::InvalidArgument, std::string(what) + ": invalid tensor type");
    if (n < 0 || n % tr.block_elems != 0)
        return make_error(ErrorCode::InvalidArgument,
                          std::string(what) + ": a row of " + std::to_string(n) + " values is not a whole number of " +
                              tr.name + " blocks of " + std::to_string(tr.block_elems),
                          "quantised rows hold whole blocks; pad the row or pick a type with a smaller block");
    if (n > 0 && (!a || !b)) return make_error(ErrorCode::InvalidArgument, std::string(what) + ": null buffer");
    return ok_status();
}

template <class S, class F>
void convert(const void* src, float* dst, int64_t n, F f) {
    const auto* s = static_cast<const S*>(src);
    for (int64_t i = 0; i < n; ++i) dst[i] = f(s[i]);
}

template <class S>
void widen(const void* src, float* dst, int64_t n) {
    const auto* s = static_cast<const S*>(src);
    for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<float>(s[i]);
}

// Byte formats decode through a 256-entry table (built once, thread-safe static init).
struct ByteTables {
    float e4m3[256];
    float e8m0[256];
    ByteTables() {
        for (int c = 0; c < 256; ++c) {
            e4m3[c] = e4m3_to_f32(static_cast<uint8_t>(c));
            e8m0[c] = e8m0_to_f32(static_cast<uint8_t>(c));
        }
    }
};

const ByteTables& byte_tables() {
    static const ByteTables t;
    return t;
}

}  // namespace

Status dequantize_row(DType t, const void* src, float* dst, int64_t n) {
    ATELIER_TRY(check_row(t, src, dst, n, "dequantize_row"));
    const int64_t nb = n / dtype_traits(t).block_elems;
    switch (t) {
        case DType::F32: std::memmove(dst, src, static_cast<size_t>(n) * 4); break;
        case DType::F16: convert<uint16_t>(src, dst, n, f16_to_f32); break;
        case DType::BF16: convert<uint16_t>(src, dst, n, bf16_to_f32); break;
        case DType::F64: widen<double>(src, dst, n); break;
        case DType::U8: widen<uint8_t>(src, dst, n); break;
        case DType::I8: widen<int8_t>(src, dst, n); break;
        case DType::I16: widen<int16_t>(src, dst, n); break;
        case DType::I32: widen<int32_t>(src, dst, n); break;
        case DType::I64: widen<int64_t>(src, dst, n); break;
        case DType::F8_E4M3: convert<uint8_t>(src, dst, n, [](uint8_t c) { return byte_tables().e4m3[c]; }); break;
        case DType::F8_E8M0: convert<uint8_t>(src, dst, n, [](uint8_t c) { return byte_tables().e8m0[c]; }); break;
        case DType::FP4_E2M1: {
            const auto* s = static_cast<const uint8_t*>(src);
            for (int64_t i = 0; i < nb; ++i) {
                dst[2 * i] = e2m1_to_f32(s[i] & 0xF);
                dst[2 * i + 1] = e2m1_to_f32(s[i] >> 4);
            }
            break;
        }
        case DType::Q8_0: detail::dequant_q8_0(src, dst, nb); break;
        case DType::Q2_K: detail::dequant_q2_k(src, dst, nb); break;
        case DType::Q3_K: detail::dequant_q3_k(src, dst, nb); break;
        case DType::Q4_K: detail::dequant_q4_k(src, dst, nb); break;
        case DType::Q5_K: detail::dequant_q5_k(src, dst, nb); break;
        case DType::Q6_K: detail::dequant_q6_k(src, dst, nb); break;
        case DType::Q8_K: detail::dequant_q8_k(src, dst, nb); break;
        case DType::IQ2_XXS: detail::dequant_iq2_xxs(src, dst, nb); break;
        case DType::IQ3_XXS: detail::dequant_iq3_xxs(src, dst, nb); break;
        case DType::MXFP4: detail::dequant_mxfp4(src, dst, nb); break;
        case DType::Q4_K_R16:
            return make_error(ErrorCode::Unsupported, "dequantize_row: q4_K_r16 rows are interleaved 16 at a time",
                              "read a row through its group (dequantize_row_q4k_r16)");
        case DType::Invalid:
        case DType::Count:
            return make_error(ErrorCode::InvalidArgument, "dequantize_row: invalid tensor type");
    }
    return ok_status();
}

bool can_quantize(DType t) {
    switch (t) {
        case DType::F32: case DType::F16: case DType::BF16: case DType::F8_E4M3: case DType::FP4_E2M1:
        case DType::Q8_0: case DType::Q4_K: case DType::Q8_K: case DType::MXFP4:
            return true;
        default:
            return false;
    }
}

namespace {

// Block quantisers need finite input (a NaN would poison a whole block's scale), and the ones with
// fp16 scales need magnitudes whose scale fits fp16.
Status check_values(DType t, const float* src, int64_t n) {
    const bool fp16_scaled = t == DType::Q8_0 || t == DType::Q4_K;
    for (int64_t i = 0; i < n; ++i) {
        if (!std::isfinite(src[i]))
            return make_error(ErrorCode::InvalidArgument,
                              std::string("quantize_row: value ") + std::to_string(i) + " is " +
                                  (std::isnan(src[i]) ? "NaN" : "infinite") + "; " + dtype_name(t) +
                                  " blocks need finite values",
                              "fix the NaN/Inf upstream before quantising");
        if (fp16_scaled && std::fabs(src[i]) > kMaxFp16Scaled)
            return make_error(ErrorCode::InvalidArgument,
                              std::string("quantize_row: value ") + std::to_string(i) + " (" + std::to_string(src[i]) +
                                  ") is too large for " + dtype_name(t) + "'s fp16 scales",
                              "rescale the tensor or keep it as bf16/f32");
    }
    return ok_status();
}

}  // namespace

Status quantize_row(DType t, const float* src, void* dst, int64_t n) {
    ATELIER_TRY(check_row(t, src, dst, n, "quantize_row"));
    if (!can_quantize(t))
        return make_error(ErrorCode::Unsupported, std::string("quantize_row: no quantiser for ") + dtype_name(t),
                          "supported: f32, f16, bf16, f8_e4m3, fp4_e2m1, q8_0, q4_K, q8_K, mxfp4");
    const bool block_type = t == DType::Q8_0 || t == DType::Q4_K || t == DType::Q8_K || t == DType::MXFP4 ||
                            t == DType::FP4_E2M1;
    if (block_type) ATELIER_TRY(check_values(t, src, n));
    const int64_t nb = n / dtype_traits(t).block_elems;
    auto* d8 = static_cast<uint8_t*>(dst);
    auto* d16 = static_cast<uint16_t*>(dst);
    switch (t) {
        case DType::F32: std::memmove(dst, src, static_cast<size_t>(n) * 4); break;
        case DType::F16: for (int64_t i = 0; i < n; ++i) d16[i] = f32_to_f16(src[i]); break;
        case DType::BF16: for (int64_t i = 0; i < n; ++i) d16[i] = f32_to_bf16(src[i]); break;
        case DType::F8_E4M3: for (int64_t i = 0; i < n; ++i) d8[i] = f32_to_e4m3(src[i]); break;
        case DType::FP4_E2M1:
            for (int64_t i = 0; i < nb; ++i)
                d8[i] = static_cast<uint8_t>(f32_to_e2m1(src[2 * i]) | (f32_to_e2m1(src[2 * i + 1]) << 4));
            break;
        case DType::Q8_0: detail::quant_q8_0(src, dst, nb); break;
        case DType::Q4_K: detail::quant_q4_k(src, dst, nb); break;
        case DType::Q8_K: detail::quant_q8_k(src, dst, nb); break;
        case DType::MXFP4: detail::quant_mxfp4(src, dst, nb); break;
        default: break;  // excluded by can_quantize
    }
    return ok_status();
}

}  // namespace atelier::infer
