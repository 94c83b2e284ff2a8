// Q4_K_R16 (quant-blocks.h): 16 Q4_K rows regrouped so the AVX-512 matvec serves 16 rows with
// one instruction. The regrouping is lossless both ways: the 6-bit scales and mins are unpacked
// to bytes and packed back to the same 12 bytes, and every nibble keeps its value.
// Thread-safety: pure functions.
#include <cstring>
#include <string>

#include "inference/quant-blocks.h"
#include "inference/quant.h"
#include "inference/quant/quant-internal.h"

namespace atelier::infer {
namespace {

constexpr int kRows = 16;

Status check_k(int64_t K, const void* a, const void* b, const char* what) {
    if (K <= 0 || K % kQK_K != 0)
        return make_error(ErrorCode::InvalidArgument,
                          std::string(what) + ": a row of " + std::to_string(K) + " values is not a whole number of super-blocks of 256");
    if (!a || !b) return make_error(ErrorCode::InvalidArgument, std::string(what) + ": null buffer");
    return ok_status();
}

// The inverse of detail::kquant_scale_min for all 8 sub-blocks (values < 64).
void pack_scales(const uint8_t* sc, const uint8_t* m, uint8_t* s) {
    for (int j = 0; j < 4; ++j) {
        s[j] = static_cast<uint8_t>((sc[j] & 63) | ((sc[j + 4] >> 4) << 6));
        s[j + 4] = static_cast<uint8_t>((m[j] & 63) | ((m[j + 4] >> 4) << 6));
        s[j + 8] = static_cast<uint8_t>((sc[j + 4] & 15) | ((m[j + 4] & 15) << 4));
    }
}

}  // namespace

Status repack_q4k_r16(const void* rows, int64_t row_stride, int64_t K, void* dst) {
    ATELIER_TRY(check_k(K, rows, dst, "repack_q4k_r16"));
    const int64_t nb = K / kQK_K;
    auto* out = static_cast<BlockQ4_KR16*>(dst);
    for (int64_t b = 0; b < nb; ++b) {
        BlockQ4_KR16 g;
        for (int r = 0; r < kRows; ++r) {
            const auto* src = reinterpret_cast<const BlockQ4_K*>(static_cast<const char*>(rows) + r * row_stride) + b;
            g.d[r] = src->d;
            g.dmin[r] = src->dmin;
            for (int j = 0; j < 8; ++j) detail::kquant_scale_min(src->scales, j, &g.sc[j][r], &g.m[j][r]);
            // Q4_K value 32j + l (l < 32) is nibble (j & 1) of qs[32·(j/2) + l]; four values at a
            // time: word k of qs[32c..] holds values 4k..4k+3 of sub-blocks 2c (low) and 2c+1 (high),
            // word k + 4 their values 4k+16..4k+19.
            for (int c = 0; c < 4; ++c)
                for (int k = 0; k < 4; ++k) {
                    uint32_t a, h;
                    std::memcpy(&a, src->qs + 32 * c + 4 * k, 4);
                    std::memcpy(&h, src->qs + 32 * c + 16 + 4 * k, 4);
                    const uint32_t even = (a & 0x0F0F0F0Fu) | ((h & 0x0F0F0F0Fu) << 4);
                    const uint32_t odd = ((a >> 4) & 0x0F0F0F0Fu) | (h & 0xF0F0F0F0u);
                    std::memcpy(&g.qs[2 * c][k][4 * r], &even, 4);
                    std::memcpy(&g.qs[2 * c + 1][k][4 * r], &odd, 4);
                }
        }
        std::memcpy(out + b, &g, sizeof g);
    }
    return ok_status();
}

Status unpack_row_q4k_r16(const void* group, int r, int64_t K, void* dst) {
    ATELIER_TRY(check_k(K, group, dst, "unpack_row_q4k_r16"));
    if (r < 0 || r >= kRows) return make_error(ErrorCode::InvalidArgument, "unpack_row_q4k_r16: row " + std::to_string(r) + " of 16");
    const int64_t nb = K / kQK_K;
    const auto* in = static_cast<const BlockQ4_KR16*>(group);
    auto* out = static_cast<BlockQ4_K*>(dst);
    for (int64_t b = 0; b < nb; ++b) {
        const BlockQ4_KR16& g = in[b];
        BlockQ4_K o{};
        o.d = g.d[r];
        o.dmin = g.dmin[r];
        uint8_t sc[8], m[8];
        for (int j = 0; j < 8; ++j) sc[j] = g.sc[j][r], m[j] = g.m[j][r];
        pack_scales(sc, m, o.scales);
        for (int j = 0; j < 8; ++j)
            for (int k = 0; k < 4; ++k)
                for (int i = 0; i < 4; ++i) {
                    const uint8_t v = g.qs[j][k][4 * r + i];
                    const int sh = 4 * (j & 1);
                    o.qs[32 * (j / 2) + 4 * k + i] |= static_cast<uint8_t>((v & 15) << sh);
                    o.qs[32 * (j / 2) + 4 * k + 16 + i] |= static_cast<uint8_t>((v >> 4) << sh);
                }
        out[b] = o;
    }
    return ok_status();
}

Status dequantize_row_q4k_r16(const void* group, int r, float* dst, int64_t K) {
    ATELIER_TRY(check_k(K, group, dst, "dequantize_row_q4k_r16"));
    BlockQ4_K blk;
    for (int64_t b = 0; b < K / kQK_K; ++b) {
        ATELIER_TRY(unpack_row_q4k_r16(static_cast<const BlockQ4_KR16*>(group) + b, r, kQK_K, &blk));
        detail::dequant_q4_k(&blk, dst + b * kQK_K, 1);
    }
    return ok_status();
}

}  // namespace atelier::infer
