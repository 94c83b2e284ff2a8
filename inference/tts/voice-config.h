// A converted Piper voice's voice.json (written by tools/tts/onnx-to-safetensors.py, format
// "atelier-piper-voice" v1): inference defaults, espeak-ng voice, phoneme -> id map, the VITS
// hyperparameters read from the weights, and the graph facts (initializer aliases, Conv
// attributes). Parsing validates every field the engine uses. Thread-safety: pure functions;
// a VoiceConfig is a plain value.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace atelier::infer::tts {

// Phoneme (one or more code points, UTF-8) -> the ids it maps to (Piper allows several).
using PhonemeIdMap = std::map<std::string, std::vector<int64_t>, std::less<>>;

struct ConvAttrs {
    bool transposed = false;
    int stride = 1, dilation = 1, groups = 1, pad_begin = 0, pad_end = 0, kernel = 1;
};

struct VitsArchitecture {
    int n_vocab = 0, hidden_channels = 0, inter_channels = 0, filter_channels = 0;
    int n_heads = 0, n_layers = 0, kernel_size = 0, window_size = 0;
    std::vector<int> flow_indices;
    int flow_wavenet_layers = 0, flow_kernel_size = 0;
    int upsample_initial_channel = 0;
    std::vector<int> upsample_rates, upsample_kernel_sizes;
    int resblock_count = 0;
    bool stochastic_duration = false;
    std::vector<int> dp_flow_indices;
    int dp_num_bins = 0;
    int gin_channels = 0;
};

struct VoiceConfig {
    int sample_rate = 0;
    float noise_scale = 0.667f, length_scale = 1.0f, noise_w = 0.8f;
    int num_speakers = 1;
    std::map<std::string, int> speaker_ids;
    std::string phoneme_type;   // "espeak" is the only one the engine phonemizes
    std::string espeak_voice;   // e.g. "en-us"
    PhonemeIdMap phoneme_ids;
    std::vector<std::vector<std::string>> vowel_clusters;  // Piper's optional merge list
    VitsArchitecture arch;
    std::map<std::string, std::string, std::less<>> aliases;  // canonical name -> safetensors name
    std::map<std::string, ConvAttrs, std::less<>> convs;      // canonical module -> attributes
};

// Parses voice.json text; `label` names it in errors (ModelFormat for a wrong/invalid file).
Result<VoiceConfig> parse_voice_config(std::string_view json_text, std::string_view label);
// Reads and parses a voice.json file (NotFound / IoError, then as parse_voice_config).
Result<VoiceConfig> load_voice_config(const std::filesystem::path& voice_json);

}  // namespace atelier::infer::tts
