// speak(): the text -> phoneme ids -> VITS chain per sentence (see speak.h).
// Thread-safety: one Session per caller.
#include "inference/tts/speak.h"

#include <algorithm>
#include <cmath>

#include "inference/tts/phonemize.h"

namespace atelier::infer::tts {

Result<Speech> speak(const VitsVoice& voice, std::string_view text, const SpeakOptions& options, Session& session,
                     std::stop_token stop, const SentenceAudioFn& on_sentence) {
    const VoiceConfig& cfg = voice.config();
    Speech out;
    out.sample_rate = cfg.sample_rate;
    std::filesystem::path data = options.espeak_data_parent;
    std::error_code ec;
    if (data.empty() && std::filesystem::is_regular_file(voice.dir() / "espeak-ng-data" / "phondata", ec)) data = voice.dir();
    ATELIER_TRY_ASSIGN(auto sentences, text_to_phoneme_ids(text, cfg, out.warnings, data));
    VitsOptions vo;
    vo.length_scale = options.length_scale >= 0.0f ? options.length_scale : cfg.length_scale;
    vo.noise_scale = options.noise_scale >= 0.0f ? options.noise_scale : cfg.noise_scale;
    vo.noise_w = options.noise_w >= 0.0f ? options.noise_w : cfg.noise_w;
    if (!(vo.length_scale > 0.0f) || !std::isfinite(vo.length_scale))
        return make_error(ErrorCode::InvalidArgument, "tts: the speed (length scale) must be a positive number");
    const auto silence = static_cast<size_t>(std::max(0.0f, options.sentence_silence_s) * static_cast<float>(cfg.sample_rate));
    for (size_t i = 0; i < sentences.size(); ++i) {
        if (stop.stop_requested()) return make_error(ErrorCode::Cancelled, "tts: synthesis cancelled");
        ATELIER_TRY_ASSIGN(auto r, voice.synthesize(sentences[i].ids, vo, session, stop));
        std::vector<float>& a = r.audio;
        if (options.normalize) {
            float peak = 0.0f;
            for (float v : a) peak = std::max(peak, std::abs(v));
            const float gain = peak < 1e-8f ? 0.0f : 1.0f / peak;
            for (float& v : a) v *= gain;
        }
        for (float& v : a) v = std::clamp(v, -1.0f, 1.0f);
        SpokenSentence s{sentences[i].phoneme_text(), sentences[i].ids, static_cast<int64_t>(out.audio.size()),
                         static_cast<int64_t>(a.size())};
        if (i + 1 < sentences.size()) a.resize(a.size() + silence, 0.0f);
        out.audio.insert(out.audio.end(), a.begin(), a.end());
        out.sentences.push_back(std::move(s));
        if (on_sentence) on_sentence(i, a);
    }
    return out;
}

}  // namespace atelier::infer::tts
