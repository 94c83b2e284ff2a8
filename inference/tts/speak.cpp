// speak(): text (or SSML-lite) -> spans -> phoneme ids per sentence -> VITS per sentence, with the
// gaps between sentences (sentence silence, or SSML breaks in their place), per-sentence peak
// normalisation or, when streaming, a fixed gain (see speak.h). Everything is phonemized first
// (espeak-ng takes well under a millisecond per sentence), so each gap is known before its
// sentence's callback. Thread-safety: one Session per caller.
#include "core/float-env.h"
#include "inference/tts/speak.h"

#include <algorithm>
#include <cmath>

#include "inference/tts/english-numbers.h"
#include "inference/tts/phonemize.h"
#include "inference/tts/ssml.h"

namespace atelier::infer::tts {
namespace {

constexpr int64_t kMaxTotalBreakMs = 10 * 60 * 1000;  // SSML breaks in one document, in all

// One sentence to synthesise and the silence (samples) that comes before it.
struct Unit {
    PhonemeSentence sentence;
    float length_scale = 1.0f;
    int64_t gap_before = 0;
};

struct Plan {
    std::vector<Unit> units;
    int64_t trailing = 0;  // silence after the last sentence (SSML breaks only)
};

bool blank(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
}

Result<std::vector<SsmlSpan>> spans_of(std::string_view text, const SpeakOptions& o, std::vector<std::string>& warnings,
                                       bool& is_ssml) {
    using S = SpeakOptions::Ssml;
    if (o.ssml == S::Invalid) return make_error(ErrorCode::InvalidArgument, "tts: SpeakOptions::ssml is not set", "use Ssml::Auto");
    is_ssml = o.ssml == S::On || (o.ssml == S::Auto && looks_like_ssml(text));
    if (!is_ssml) return std::vector<SsmlSpan>{SsmlSpan{std::string(text), 1.0f, -1}};
    return parse_ssml(text, warnings, o.ssml == S::On && !looks_like_ssml(text));
}

// Spans -> sentences with their gaps. base_ls: the length scale at rate 1.
Result<Plan> make_plan(std::string_view text, const VitsVoice& voice, const SpeakOptions& o, float base_ls,
                       const std::filesystem::path& data, std::vector<std::string>& warnings) {
    const VoiceConfig& cfg = voice.config();
    bool is_ssml = false;
    ATELIER_TRY_ASSIGN(auto spans, spans_of(text, o, warnings, is_ssml));
    const bool english = cfg.espeak_voice.rfind("en", 0) == 0;
    const auto sentence_gap = static_cast<int64_t>(std::max(0.0f, o.sentence_silence_s) * static_cast<float>(cfg.sample_rate));
    Plan plan;
    int64_t pending = -1;  // samples of SSML breaks since the last sentence; -1: none
    int64_t total_ms = 0;  // of all breaks: bounded, so a short document cannot ask for hours of silence
    bool any_break = false, capped = false;
    for (const SsmlSpan& span : spans) {
        if (span.is_break()) {
            const int64_t ms = std::clamp<int64_t>(span.break_ms, 0, std::max<int64_t>(0, kMaxTotalBreakMs - total_ms));
            if (ms < span.break_ms && !capped) warnings.push_back("ssml: breaks beyond 10 minutes in all are dropped"), capped = true;
            total_ms += ms;
            pending = std::max<int64_t>(pending, 0) + ms * cfg.sample_rate / 1000;
            any_break = true;
            continue;
        }
        if (is_ssml && blank(span.text)) continue;
        const std::string t = o.expand_numbers && english ? expand_numbers_in_text(span.text) : span.text;
        auto sentences = text_to_phoneme_ids(t, cfg, warnings, data);
        if (!sentences.ok()) {
            if (!is_ssml || sentences.error().code != ErrorCode::InvalidArgument) return std::move(sentences).error();
            warnings.push_back("ssml: nothing to speak in '" + span.text.substr(0, 40) + "'; skipped");
            continue;
        }
        for (auto& s : *sentences) {
            Unit u{std::move(s), base_ls / span.rate, plan.units.empty() ? 0 : sentence_gap};
            if (pending >= 0) u.gap_before = pending, pending = -1;
            plan.units.push_back(std::move(u));
        }
    }
    plan.trailing = std::max<int64_t>(pending, 0);
    if (plan.units.empty() && !any_break)
        return make_error(ErrorCode::InvalidArgument, "tts: the SSML document has nothing to speak", "put some text inside <speak>");
    return plan;
}

void apply_gain(std::span<float> a, float gain) {
    for (float& v : a) v = std::clamp(v * gain, -1.0f, 1.0f);
}

}  // namespace

Result<Speech> speak(const VitsVoice& voice, std::string_view text, const SpeakOptions& options, Session& session,
                     std::stop_token stop, const SentenceAudioFn& on_sentence) {
    const FlushDenormalsScope flush_denormals;  // core/float-env.h
    const VoiceConfig& cfg = voice.config();
    Speech out;
    out.sample_rate = cfg.sample_rate;
    std::filesystem::path data = options.espeak_data_parent;
    std::error_code ec;
    if (data.empty() && std::filesystem::is_regular_file(voice.dir() / "espeak-ng-data" / "phondata", ec)) data = voice.dir();
    VitsOptions vo;
    const float base_ls = options.length_scale >= 0.0f ? options.length_scale : cfg.length_scale;
    vo.noise_scale = options.noise_scale >= 0.0f ? options.noise_scale : cfg.noise_scale;
    vo.noise_w = options.noise_w >= 0.0f ? options.noise_w : cfg.noise_w;
    vo.speaker_id = options.speaker_id;
    if (!(base_ls > 0.0f) || !std::isfinite(base_ls))
        return make_error(ErrorCode::InvalidArgument, "tts: the speed (length scale) must be a positive number");
    if (options.speaker_id < 0 || options.speaker_id >= std::max(1, cfg.num_speakers))
        return make_error(ErrorCode::InvalidArgument,
                          "tts: speaker " + std::to_string(options.speaker_id) + " is out of range; the voice has " +
                              std::to_string(std::max(1, cfg.num_speakers)) + " speaker(s)",
                          "pick a speaker id from 0 to " + std::to_string(std::max(1, cfg.num_speakers) - 1));
    if (!std::isfinite(options.stream_gain) || options.stream_gain < 0.0f)
        return make_error(ErrorCode::InvalidArgument, "tts: the streaming gain must be a finite number >= 0", "use 1 for the network's own level");
    ATELIER_TRY_ASSIGN(Plan plan, make_plan(text, voice, options, base_ls, data, out.warnings));
    const bool streaming = options.first_chunk_frames > 0;
    auto emit = [&](std::span<const float> a) {
        if (options.on_audio && !a.empty()) options.on_audio(a);
    };
    const std::vector<float> lead(static_cast<size_t>(plan.units.empty() ? plan.trailing : plan.units[0].gap_before), 0.0f);
    out.audio = lead;
    emit(lead);
    for (size_t i = 0; i < plan.units.size(); ++i) {
        if (stop.stop_requested()) return make_error(ErrorCode::Cancelled, "tts: synthesis cancelled");
        const Unit& u = plan.units[i];
        vo.length_scale = u.length_scale;
        vo.first_chunk_frames = streaming && i == 0 ? options.first_chunk_frames : 0;
        const size_t at = out.audio.size();
        // Streaming: each piece is scaled by the fixed gain and passed on as it arrives.
        std::function<void(std::span<const float>)> piece;
        if (streaming)
            piece = [&](std::span<const float> p) {
                std::vector<float> g(p.begin(), p.end());
                apply_gain(g, options.stream_gain);
                out.audio.insert(out.audio.end(), g.begin(), g.end());
                emit(g);
            };
        ATELIER_TRY_ASSIGN(auto r, voice.synthesize(u.sentence.ids, vo, session, stop, piece));
        if (!streaming) {
            float gain = 1.0f;
            if (options.normalize) {
                float peak = 0.0f;
                for (float v : r.audio) peak = std::max(peak, std::abs(v));
                gain = peak < 1e-8f ? 0.0f : 1.0f / peak;
            }
            apply_gain(r.audio, gain);
            out.audio.insert(out.audio.end(), r.audio.begin(), r.audio.end());
            emit(r.audio);
        }
        const int64_t n = static_cast<int64_t>(out.audio.size() - at);
        out.sentences.push_back(SpokenSentence{u.sentence.phoneme_text(), u.sentence.ids, static_cast<int64_t>(at), n});
        const int64_t gap = i + 1 < plan.units.size() ? plan.units[i + 1].gap_before : plan.trailing;
        out.audio.resize(out.audio.size() + static_cast<size_t>(gap), 0.0f);
        emit(std::span<const float>(out.audio).subspan(out.audio.size() - static_cast<size_t>(gap)));
        const size_t from = i == 0 ? 0 : at;
        if (on_sentence) on_sentence(i, std::span<const float>(out.audio).subspan(from));
    }
    return out;
}

}  // namespace atelier::infer::tts
