// list_voices (see voices.h). Thread-safety: pure functions over the file system.
#include "inference/tts/voices.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "inference/tts/voice-config.h"

namespace atelier::infer::tts {

Result<std::vector<VoiceInfo>> list_voices(const std::filesystem::path& root, std::vector<std::string>& problems) {
    std::error_code ec;
    if (!std::filesystem::is_directory(root, ec))
        return make_error(ErrorCode::NotFound, root.string() + ": no such voice folder", "run scripts/fetch-models");
    std::vector<VoiceInfo> out;
    for (const auto& entry : std::filesystem::directory_iterator(root, ec)) {
        const auto dir = entry.path();
        if (!entry.is_directory(ec) || !std::filesystem::is_regular_file(dir / "voice.json", ec)) continue;
        auto cfg = load_voice_config(dir / "voice.json");
        if (!cfg.ok()) {
            problems.push_back(dir.filename().string() + ": " + cfg.error().message());
            continue;
        }
        if (!std::filesystem::is_regular_file(dir / "model.safetensors", ec)) {
            problems.push_back(dir.filename().string() + ": voice.json without model.safetensors");
            continue;
        }
        VoiceInfo v{dir.filename().string(), dir, cfg->sample_rate, cfg->espeak_voice, {},
                    std::filesystem::is_regular_file(dir / "espeak-ng-data" / "phondata", ec)};
        std::ifstream in(dir / "voice.json", std::ios::binary);
        std::stringstream ss;
        ss << in.rdbuf();
        const auto j = nlohmann::json::parse(ss.str(), nullptr, false);
        if (j.is_object()) {
            const auto piper = j.find("piper");
            if (piper != j.end() && piper->is_object()) {
                const auto lang = piper->find("language");
                if (lang != piper->end() && lang->is_object()) {
                    const auto code = lang->find("code");
                    if (code != lang->end() && code->is_string()) v.language = code->get<std::string>();
                }
            }
        }
        out.push_back(std::move(v));
    }
    std::sort(out.begin(), out.end(), [](const VoiceInfo& a, const VoiceInfo& b) { return a.name < b.name; });
    return out;
}

}  // namespace atelier::infer::tts
