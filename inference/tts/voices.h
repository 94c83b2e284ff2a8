// Finding installed voices: every folder under a root (one level deep) that holds a voice.json
// written by tools/tts/onnx-to-safetensors.py plus model.safetensors. For `atelier-cli voices`
// and the Speak workspace's picker. Thread-safety: pure functions over the file system.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/result.h"

namespace atelier::infer::tts {

struct VoiceInfo {
    std::string name;                  // the folder's name ("piper-joe")
    std::filesystem::path dir;
    int sample_rate = 0;
    std::string espeak_voice;          // "en-us"
    std::string language;              // Piper's language code when known ("en_US"), else ""
    bool own_espeak_data = false;      // the folder carries espeak-ng-data/ (Piper's copy)
};

// Voices under root, sorted by name. Folders whose voice.json does not parse are skipped, each
// with a line in `problems` naming the folder and the reason. NotFound when root is missing.
Result<std::vector<VoiceInfo>> list_voices(const std::filesystem::path& root, std::vector<std::string>& problems);

}  // namespace atelier::infer::tts
