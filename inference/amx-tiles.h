// AMX tile configuration shared by the kernels that run on tiles (the packed GEMM's bf16 kind,
// the V4 attention and indexer): palette 1 with tiles 0-7 all 16 rows x 64 bytes. Tile state is
// per thread; each kernel loads this configuration at the start of a call and releases the tiles
// at its end, so a thread holds no tile state between calls. Call only where amx_enabled()
// (cpu-features.h) is true.
// Thread-safety: any thread (the configuration is the calling thread's own).
#pragma once

#include <immintrin.h>

#include <cstdint>

#define ATELIER_AMX_TARGET __attribute__((target("amx-tile,amx-bf16,avx512f,avx512bw,avx512bf16,fma")))

namespace atelier::infer {

struct alignas(64) AmxTileConfig {
    uint8_t palette = 1, start_row = 0;
    uint8_t reserved[14] = {};
    uint16_t colsb[16] = {};
    uint8_t rows[16] = {};
};

ATELIER_AMX_TARGET inline void amx_load_uniform_config() {
    AmxTileConfig cfg;
    for (int i = 0; i < 8; ++i) {
        cfg.colsb[i] = 64;
        cfg.rows[i] = 16;
    }
    _tile_loadconfig(&cfg);
}

}  // namespace atelier::infer
