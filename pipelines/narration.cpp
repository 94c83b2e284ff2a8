// Narration takes (narration.h): the sentence splitter, per-sentence synthesis with its own seed
// (the Session's RNG is reseeded before each sentence, so a sentence depends only on its text,
// seed, speed and the voice), splicing, storing and timeline placement.
// Thread-safety: see narration.h.
#include "pipelines/narration.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>

#include "inference/session.h"
#include "inference/tts/speak.h"
#include "inference/tts/ssml.h"
#include "inference/tts/vits.h"
#include "media/media-writer.h"
#include "projects/timeline-store.h"

namespace atelier::pipelines {
namespace fs = std::filesystem;

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
// Letters/digits; any non-ASCII byte counts (other scripts, accented letters).
bool is_wordish(char c) { return std::isalnum(static_cast<unsigned char>(c)) || static_cast<unsigned char>(c) >= 0x80; }

std::string trimmed(std::string_view s) {
    size_t b = 0, e = s.size();
    while (b < e && is_space(s[b])) ++b;
    while (e > b && is_space(s[e - 1])) --e;
    return std::string(s.substr(b, e - b));
}

// Length of a closing quote/bracket at s[i] (ASCII or the UTF-8 right quotes and guillemet), or 0.
size_t closer_at(std::string_view s, size_t i) {
    const char c = s[i];
    if (c == '"' || c == '\'' || c == ')' || c == ']') return 1;
    for (std::string_view q : {std::string_view("\xE2\x80\x9D"), std::string_view("\xE2\x80\x99"), std::string_view("\xC2\xBB")})
        if (s.substr(i, q.size()) == q) return q.size();
    return 0;
}

// The word ending just before s[dot] is an abbreviation or an initial ("Dr.", "e.g.", "J.").
bool abbreviation_before(std::string_view s, size_t dot) {
    size_t b = dot;
    while (b > 0 && (std::isalpha(static_cast<unsigned char>(s[b - 1])) || s[b - 1] == '.')) --b;
    std::string w(s.substr(b, dot - b));
    for (char& c : w) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (w.size() == 1 && std::isalpha(static_cast<unsigned char>(w[0]))) return true;
    for (const char* a : {"mr", "mrs", "ms", "dr", "prof", "st", "sr", "jr", "vs", "etc", "e.g", "i.e", "no", "fig", "approx"})
        if (w == a) return true;
    return false;
}

void push_piece(std::vector<std::string>& out, std::string& carry, std::string_view piece) {
    std::string t = trimmed(piece);
    if (t.empty()) return;
    if (!carry.empty()) t = carry + " " + t, carry.clear();
    if (std::none_of(t.begin(), t.end(), is_wordish)) {
        if (out.empty()) carry = t;
        else out.back() += " " + t;
        return;
    }
    out.push_back(std::move(t));
}

Status check_speed(float speed) {
    if (speed >= 0.25f && speed <= 4.0f) return ok_status();
    return make_error(ErrorCode::InvalidArgument, "speed " + std::to_string(speed) + " is outside 0.25..4", "choose a speed from 0.25 to 4");
}

// One piece of text with its own seed; speak() may find more than one sentence in it, joined
// with the take's pause as it does.
Result<NarrationSentence> speak_piece(const NarrationVoice& voice, infer::Session& session, const std::string& text,
                                      uint64_t seed, float speed, float silence_s, std::stop_token stop,
                                      std::vector<std::string>& warnings) {
    session.rng().seed(seed);
    infer::tts::SpeakOptions so;
    so.length_scale = 1.0f / speed;
    so.sentence_silence_s = silence_s;
    ATELIER_TRY_ASSIGN(infer::tts::Speech speech, infer::tts::speak(voice.vits(), text, so, session, stop));
    warnings.insert(warnings.end(), speech.warnings.begin(), speech.warnings.end());
    return NarrationSentence{.text = text, .seed = seed, .speed = speed, .audio = std::move(speech.audio)};
}

}  // namespace

int64_t NarrationTake::pause_samples() const {
    return static_cast<int64_t>(std::max(0.0f, sentence_silence_s) * static_cast<float>(sample_rate_hz));
}

int64_t NarrationTake::start_sample(size_t i) const {
    int64_t at = 0;
    for (size_t k = 0; k < i && k < sentences.size(); ++k) at += static_cast<int64_t>(sentences[k].audio.size()) + pause_samples();
    return at;
}

int64_t NarrationTake::total_samples() const {
    if (sentences.empty()) return 0;
    return start_sample(sentences.size() - 1) + static_cast<int64_t>(sentences.back().audio.size());
}

int64_t NarrationTake::start_ms(size_t i) const { return sample_rate_hz > 0 ? start_sample(i) * 1000 / sample_rate_hz : 0; }

int64_t NarrationTake::duration_ms(size_t i) const {
    if (i >= sentences.size() || sample_rate_hz <= 0) return 0;
    return static_cast<int64_t>(sentences[i].audio.size()) * 1000 / sample_rate_hz;
}

int64_t NarrationTake::total_ms() const { return sample_rate_hz > 0 ? total_samples() * 1000 / sample_rate_hz : 0; }

std::vector<float> NarrationTake::pcm() const {
    std::vector<float> out;
    out.reserve(static_cast<size_t>(total_samples()));
    for (size_t i = 0; i < sentences.size(); ++i) {
        out.insert(out.end(), sentences[i].audio.begin(), sentences[i].audio.end());
        if (i + 1 < sentences.size()) out.resize(out.size() + static_cast<size_t>(pause_samples()), 0.0f);
    }
    return out;
}

std::vector<std::string> split_sentences(std::string_view text) {
    std::vector<std::string> out;
    std::string carry;
    size_t begin = 0, i = 0;
    int tag_depth = 0;
    while (i < text.size()) {
        const char c = text[i];
        if (c == '<') ++tag_depth;
        if (c == '>' && tag_depth > 0) --tag_depth;
        if (tag_depth == 0 && c == '\n') {  // a blank line ends a sentence
            size_t j = i + 1;
            while (j < text.size() && is_space(text[j]) && text[j] != '\n') ++j;
            if (j < text.size() && text[j] == '\n') {
                push_piece(out, carry, text.substr(begin, i - begin));
                begin = i = j + 1;
                continue;
            }
        }
        if (tag_depth == 0 && (c == '.' || c == '!' || c == '?')) {
            size_t j = i;
            while (j < text.size() && (text[j] == '.' || text[j] == '!' || text[j] == '?')) ++j;
            while (j < text.size()) {
                const size_t n = closer_at(text, j);
                if (n == 0) break;
                j += n;
            }
            const bool ends = j >= text.size() || is_space(text[j]);
            if (ends && !(c == '.' && j == i + 1 && abbreviation_before(text, i))) {
                push_piece(out, carry, text.substr(begin, j - begin));
                begin = j;
            }
            i = j;
            continue;
        }
        ++i;
    }
    push_piece(out, carry, text.substr(begin));
    if (!carry.empty()) out.push_back(carry);  // nothing but punctuation: let the synthesiser say so
    return out;
}

NarrationVoice::~NarrationVoice() = default;

Result<std::shared_ptr<const NarrationVoice>> NarrationVoice::load(const std::string& name_or_path) {
    ATELIER_TRY_ASSIGN(fs::path dir, find_voice(name_or_path, voice_roots()));
    ATELIER_TRY_ASSIGN(auto vits, infer::tts::VitsVoice::load(dir));
    std::shared_ptr<NarrationVoice> v(new NarrationVoice());
    v->voice_ = std::move(vits);
    return std::shared_ptr<const NarrationVoice>(std::move(v));
}

const fs::path& NarrationVoice::dir() const { return voice_->dir(); }
int NarrationVoice::sample_rate_hz() const { return voice_->config().sample_rate; }

Result<NarrationTake> narrate(JobContext& ctx, const NarrationVoice& voice, const std::string& text, const SpeakSettings& settings,
                              uint64_t base_seed, const SentenceReadyFn& on_sentence) {
    ATELIER_TRY(check_speed(settings.speed));
    // An SSML document is one piece: its markup (a <prosody> or <speak> around several sentences)
    // must reach speak() whole. Regenerating its "sentence" regenerates the document.
    const std::vector<std::string> pieces =
        infer::tts::looks_like_ssml(text) ? std::vector<std::string>{text} : split_sentences(text);
    if (pieces.empty()) return make_error(ErrorCode::InvalidArgument, "there is no text to speak", "type or paste the text first");
    ctx.progress(0.0, "load");
    ATELIER_TRY_ASSIGN(auto session, infer::Session::create({.n_threads = settings.threads}));
    NarrationTake take;
    take.voice_dir = voice.dir();
    take.sample_rate_hz = voice.sample_rate_hz();
    take.sentence_silence_s = std::max(0.0f, settings.sentence_silence_s);
    for (size_t i = 0; i < pieces.size(); ++i) {
        ATELIER_TRY(ctx.check_cancel());
        ctx.progress(static_cast<double>(i) / static_cast<double>(pieces.size()), "sentence");
        auto s = speak_piece(voice, *session, pieces[i], base_seed + i, settings.speed, take.sentence_silence_s, ctx.stop_token(),
                             take.warnings);
        if (!s.ok()) {
            Error e = s.error();
            if (e.code != ErrorCode::Cancelled) e.detail = "sentence " + std::to_string(i + 1) + " (\"" + pieces[i] + "\"): " + e.detail;
            return e;
        }
        if (on_sentence) on_sentence(i, *s);
        take.sentences.push_back(std::move(*s));
    }
    for (const auto& w : take.warnings) ctx.log(LogLevel::Warn, w);
    ctx.progress(1.0, "done");
    return take;
}

Status regenerate_sentence(JobContext& ctx, const NarrationVoice& voice, NarrationTake& take, size_t index, uint64_t seed,
                           float speed, int threads) {
    if (index >= take.sentences.size())
        return make_error(ErrorCode::InvalidArgument, "sentence " + std::to_string(index + 1) + " is not in the take (" +
                                                          std::to_string(take.sentences.size()) + " sentences)");
    ATELIER_TRY(check_speed(speed));
    if (voice.sample_rate_hz() != take.sample_rate_hz || fs::path(voice.dir()).filename() != take.voice_dir.filename())
        return make_error(ErrorCode::InvalidArgument, "the take was spoken by " + take.voice_dir.filename().string() + ", not " +
                                                          voice.dir().filename().string(),
                          "choose the take's voice again, or speak the whole text with the new voice");
    ctx.progress(-1.0, "sentence");
    ATELIER_TRY_ASSIGN(auto session, infer::Session::create({.n_threads = threads}));
    std::vector<std::string> warnings;
    ATELIER_TRY_ASSIGN(NarrationSentence s, speak_piece(voice, *session, take.sentences[index].text, seed, speed,
                                                        take.sentence_silence_s, ctx.stop_token(), warnings));
    ATELIER_TRY(ctx.check_cancel());
    take.sentences[index] = std::move(s);
    take.warnings.insert(take.warnings.end(), warnings.begin(), warnings.end());
    ctx.progress(1.0, "done");
    return ok_status();
}

Result<SpeakReport> store_take(JobContext& ctx, projects::Project& project, const NarrationTake& take, const SpeakSettings& settings,
                               const std::string& name, const std::string& job_uuid) {
    if (take.sentences.empty() || take.sample_rate_hz <= 0)
        return make_error(ErrorCode::InvalidArgument, "the take is empty", "speak the text first");
    std::error_code ec;
    const fs::path dir = project.media_dir() / "speech";
    fs::create_directories(dir, ec);
    if (ec) return make_error(ErrorCode::IoError, dir.string() + ": " + ec.message(), "check the project folder is writable");
    const fs::path wav = dir / ("." + (name.empty() ? std::string("Speech") : name) + ".part.wav");
    const std::vector<float> pcm = take.pcm();
    ATELIER_TRY(media::write_audio_file(wav, pcm.data(), pcm.size(),
                                        {.codec = media::AudioCodec::Pcm16, .sample_rate_hz = take.sample_rate_hz, .channels = 1}));
    // The asset's name is the file's: rename the staged file to its final name first.
    const fs::path out = dir / ((name.empty() ? std::string("Speech") : name) + ".wav");
    fs::rename(wav, out, ec);
    if (ec) {
        fs::remove(wav, ec);
        return make_error(ErrorCode::IoError, out.string() + ": cannot write", "check the project folder is writable");
    }
    SpeakReport r;
    r.out = out;
    r.voice_dir = take.voice_dir;
    r.sample_rate_hz = take.sample_rate_hz;
    r.samples = static_cast<int64_t>(pcm.size());
    r.duration_ms = take.total_ms();
    r.sentences = take.sentences.size();
    r.warnings = take.warnings;
    for (size_t i = 0; i < take.sentences.size(); ++i) {
        const NarrationSentence& s = take.sentences[i];
        r.sentence_info.push_back({.text = s.text, .seed = s.seed, .speed = s.speed, .start_ms = take.start_ms(i), .duration_ms = take.duration_ms(i)});
    }
    std::string text;
    for (const auto& s : take.sentences) text += (text.empty() ? "" : " ") + s.text;
    Status st = store_speech(ctx, project, text, settings, r, job_uuid);
    fs::remove(out, ec);  // the project holds its own copy
    if (!st.ok()) return st.error();
    return r;
}

Result<std::unique_ptr<AddClipCommand>> narration_clip_command(projects::Project& project, const std::string& asset_uuid,
                                                               int64_t duration_ms, int64_t at_ms) {
    if (duration_ms <= 0) return make_error(ErrorCode::InvalidArgument, "a narration clip needs a positive duration");
    ATELIER_TRY_ASSIGN(projects::TimelineDoc doc, ensure_timeline(project));
    std::string track;
    for (const auto& t : doc.tracks)
        if (track.empty() && t.kind == projects::TrackKind::Audio && t.name == "Narration") track = t.uuid;
    if (track.empty()) {
        ATELIER_TRY_ASSIGN(projects::TrackRow t, projects::add_track(project, doc.timeline.uuid, projects::TrackKind::Audio, "Narration"));
        track = t.uuid;
    }
    int64_t start = at_ms;
    if (start < 0) {
        start = 0;
        for (const auto& c : doc.clips) start = std::max(start, c.start_ms + c.duration_ms);
    }
    for (bool moved = true; moved;) {  // past every narration clip it would overlap
        moved = false;
        for (const auto& c : doc.clips) {
            if (c.track_uuid != track || c.start_ms >= start + duration_ms || c.start_ms + c.duration_ms <= start) continue;
            start = c.start_ms + c.duration_ms;
            moved = true;
        }
    }
    projects::ClipRow clip;
    clip.track_uuid = track;
    clip.asset_uuid = asset_uuid;
    clip.start_ms = start;
    clip.duration_ms = duration_ms;
    return std::make_unique<AddClipCommand>(std::move(clip), "Add narration");
}

}  // namespace atelier::pipelines
