// Word timestamps for a window's segments (see word-align.h). Semantics follow OpenAI's timing.py
// (find_alignment, add_word_timestamps); written from their description.
// Thread-safety: one WindowContext per thread.
#include "inference/speech/word-align.h"

#include <algorithm>
#include <cmath>
#include <string_view>

namespace atelier::infer::speech {
namespace {

constexpr int kMedianFilterWidth = 7;

bool in_marks(std::string_view marks, const std::string& word) {
    return !word.empty() && marks.find(word) != std::string_view::npos;
}

double round2(double s) { return std::round(s * 100.0) / 100.0; }

// OpenAI's find_alignment: word timings (window-relative seconds) for text tokens.
Result<std::vector<WordTiming>> find_alignment(const WindowContext& ctx, const std::shared_ptr<const whisper::EncoderOutput>& enc,
                                               const std::vector<int32_t>& text, const AlignParams& p) {
    const WhisperTokens& t = *ctx.tokens;
    const auto& cfg = ctx.model->config();
    if (text.empty() || cfg.alignment_heads.empty() || !ctx.model->tokenizer()) return std::vector<WordTiming>{};
    const std::vector<int32_t> sot = sot_sequence(t, p.language_id, p.task, false);
    std::vector<int32_t> tokens = sot;
    tokens.push_back(t.no_timestamps);
    tokens.insert(tokens.end(), text.begin(), text.end());
    tokens.push_back(t.eot);
    if (static_cast<int>(tokens.size()) > cfg.n_text_ctx) return std::vector<WordTiming>{};

    ATELIER_TRY_ASSIGN(auto state, ctx.model->new_decoder(enc));
    const size_t V = static_cast<size_t>(cfg.n_vocab);
    std::vector<float> logits(tokens.size() * V);
    whisper::DecodeOptions d;
    d.session = ctx.session;
    d.stop = ctx.stop;
    d.all_logits = true;
    d.want_alignment = true;
    ATELIER_TRY(ctx.model->decode(*state, tokens, logits, d));
    const whisper::AlignmentWeights& aw = state->alignment();
    if (aw.n_tokens != static_cast<int>(tokens.size()) || aw.data.empty()) return std::vector<WordTiming>{};

    // Text token probabilities over the text vocabulary (ids < eot).
    std::vector<float> probs(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        const float* row = logits.data() + (sot.size() + i) * V;
        const float mx = *std::max_element(row, row + t.eot);
        double sum = 0.0;
        for (int32_t k = 0; k < t.eot; ++k) sum += std::exp(double{row[k]} - mx);
        probs[i] = static_cast<float>(std::exp(double{row[text[i]]} - mx) / sum);
    }
    const int n_frames = std::max(1, p.num_frames / 2);
    const std::vector<float> m = alignment_matrix(aw.data, aw.n_heads, aw.n_tokens, aw.n_audio_ctx, n_frames, kMedianFilterWidth);
    const int cols = std::clamp(n_frames, 1, aw.n_audio_ctx);
    const int rows = static_cast<int>(text.size()) + 1;  // <|notimestamps|> .. last text token
    std::vector<float> cost(static_cast<size_t>(rows) * static_cast<size_t>(cols));
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c)
            cost[static_cast<size_t>(r * cols + c)] = -m[(sot.size() + static_cast<size_t>(r)) * static_cast<size_t>(cols) + static_cast<size_t>(c)];
    const DtwPath path = dtw(cost, rows, cols);
    std::vector<int32_t> with_eot = text;
    with_eot.push_back(t.eot);
    std::vector<WordTiming> words = split_words(*ctx.model->tokenizer(), with_eot, t.eot, p.language);
    time_words(words, path, probs);
    return words;
}

// OpenAI's clean-up of over-long words next to sentence ends.
void clamp_sentence_words(std::vector<WordTiming>& a, double max_duration) {
    static constexpr std::string_view kSentenceEnd = ".。!！?？";
    for (size_t i = 1; i < a.size(); ++i) {
        if (a[i].end_s - a[i].start_s <= max_duration) continue;
        if (in_marks(kSentenceEnd, a[i].word)) a[i].end_s = a[i].start_s + max_duration;
        else if (in_marks(kSentenceEnd, a[i - 1].word)) a[i].start_s = a[i].end_s - max_duration;
    }
}

// First words after a pause and the segment's own bounds (OpenAI's per-segment hacks).
void fix_segment_words(RawSegment& seg, double median, double max_duration, double& last_speech) {
    auto& w = seg.words;
    if (w.empty()) return;
    if (w[0].end_s - last_speech > median * 4 &&
        (w[0].end_s - w[0].start_s > max_duration || (w.size() > 1 && w[1].end_s - w[0].start_s > max_duration * 2))) {
        if (w.size() > 1 && w[1].end_s - w[1].start_s > max_duration) {
            const double boundary = std::max(w[1].end_s / 2, w[1].end_s - max_duration);
            w[0].end_s = w[1].start_s = boundary;
        }
        w[0].start_s = std::max(0.0, w[0].end_s - max_duration);
    }
    if (seg.start_s < w[0].end_s && seg.start_s - 0.5 > w[0].start_s)
        w[0].start_s = std::max(0.0, std::min(w[0].end_s - median, seg.start_s));
    else
        seg.start_s = w[0].start_s;
    if (seg.end_s > w.back().start_s && seg.end_s + 0.5 < w.back().end_s)
        w.back().end_s = std::max(w.back().start_s + median, seg.end_s);
    else
        seg.end_s = w.back().end_s;
    last_speech = seg.end_s;
}

}  // namespace

Status add_word_timestamps(const WindowContext& ctx, const std::shared_ptr<const whisper::EncoderOutput>& enc,
                           std::vector<RawSegment>& segments, AlignParams& p) {
    if (segments.empty()) return ok_status();
    const int32_t eot = ctx.tokens->eot;
    std::vector<std::vector<int32_t>> per_segment;
    std::vector<int32_t> text;
    for (const RawSegment& s : segments) {
        per_segment.emplace_back();
        for (int32_t id : s.tokens)
            if (id < eot) per_segment.back().push_back(id), text.push_back(id);
    }
    ATELIER_TRY_ASSIGN(std::vector<WordTiming> a, find_alignment(ctx, enc, text, p));
    std::vector<double> durations;
    for (const auto& w : a)
        if (w.end_s - w.start_s != 0) durations.push_back(w.end_s - w.start_s);
    double median = 0.0;
    if (!durations.empty()) {
        std::sort(durations.begin(), durations.end());
        const size_t n = durations.size();
        median = n % 2 ? durations[n / 2] : (durations[n / 2 - 1] + durations[n / 2]) / 2;
    }
    median = std::min(0.7, median);
    const double max_duration = median * 2;
    if (!durations.empty()) clamp_sentence_words(a, max_duration);
    merge_punctuations(a);

    size_t wi = 0;
    for (size_t si = 0; si < segments.size(); ++si) {
        RawSegment& seg = segments[si];
        seg.words.clear();
        size_t saved = 0;
        while (wi < a.size() && saved < per_segment[si].size()) {
            const WordTiming& timing = a[wi];
            if (!timing.word.empty()) {
                WordTiming w = timing;
                w.start_s = round2(p.time_offset_s + timing.start_s);
                w.end_s = round2(p.time_offset_s + timing.end_s);
                seg.words.push_back(std::move(w));
            }
            saved += timing.tokens.size();
            ++wi;
        }
        fix_segment_words(seg, median, max_duration, p.last_speech_s);
    }
    return ok_status();
}

}  // namespace atelier::infer::speech
