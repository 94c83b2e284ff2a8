// One-window decoding (see window-decoder.h). Semantics follow OpenAI's decoding.py
// (DecodingTask, GreedyDecoder, BeamSearchDecoder, MaximumLikelihoodRanker) and
// transcribe.py's decode_with_fallback; written from their description, not their code.
// Thread-safety: per WindowContext (one thread).
#include "inference/speech/window-decoder.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>

#include "inference/speech/text-metrics.h"

namespace atelier::infer::speech {
namespace {

using whisper::DecoderState;
using whisper::EncoderOutput;
using StatePtr = std::unique_ptr<DecoderState>;

Status cancelled_status() { return make_error(ErrorCode::Cancelled, "transcription cancelled"); }

std::string strip(std::string s) {
    const auto ws = [](unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
    while (!s.empty() && ws(static_cast<unsigned char>(s.back()))) s.pop_back();
    size_t b = 0;
    while (b < s.size() && ws(static_cast<unsigned char>(s[b]))) ++b;
    return s.substr(b);
}

// Everything one decode run shares.
struct Run {
    const WindowContext& ctx;
    const WindowOptions& opt;
    const WhisperTokens& t;
    std::vector<int32_t> suppress_ids, begin_ids;
    int sample_begin = 0, n_ctx = 0, sample_len = 0, max_initial = 50;
    int32_t n_vocab = 0;

    whisper::DecodeOptions dopts() const {
        whisper::DecodeOptions d;
        d.session = ctx.session;
        d.stop = ctx.stop;
        return d;
    }
    // OpenAI's filter chain: SuppressBlank, SuppressTokens, ApplyTimestampRules.
    void filter(std::span<float> logits, std::span<const int32_t> sampled) const {
        if (sampled.empty()) suppress(logits, begin_ids);
        suppress(logits, suppress_ids);
        if (!opt.without_timestamps) apply_timestamp_rules(logits, sampled, t, max_initial);
    }
};

struct Seq {
    std::vector<int32_t> tokens;  // sampled
    double sum_logprob = 0;
    bool done = false;
};

int32_t argmax(std::span<const float> v) {
    return static_cast<int32_t>(std::max_element(v.begin(), v.end()) - v.begin());  // first of equal maxima
}

int32_t sample_token(std::span<const float> logits, float temperature, std::mt19937_64& rng) {
    double mx = -std::numeric_limits<double>::infinity();
    for (float v : logits) mx = std::max(mx, double{v});
    std::vector<double> p(logits.size());
    double sum = 0.0;
    for (size_t i = 0; i < logits.size(); ++i) sum += p[i] = std::exp((double{logits[i]} - mx) / temperature);
    double u = std::uniform_real_distribution<double>(0.0, sum)(rng);
    for (size_t i = 0; i < p.size(); ++i) {
        if (p[i] > 0 && (u -= p[i]) < 0) return static_cast<int32_t>(i);
    }
    return argmax(logits);
}

// Greedy (temperature 0) or sampling, n independent sequences advanced together.
Result<std::vector<Seq>> greedy_loop(const Run& run, std::vector<StatePtr>& states, std::vector<float> first) {
    const size_t n = states.size(), V = static_cast<size_t>(run.n_vocab);
    std::vector<Seq> seqs(n);
    std::vector<float> logits(n * V), lp(V);
    for (size_t g = 0; g < n; ++g) std::copy(first.begin(), first.end(), logits.begin() + static_cast<ptrdiff_t>(g * V));
    std::vector<size_t> active(n);
    std::iota(active.begin(), active.end(), size_t{0});
    for (int step = 0; step < run.sample_len && !active.empty(); ++step) {
        if (run.ctx.stop.stop_requested()) return cancelled_status().error();
        std::vector<DecoderState*> batch;
        std::vector<int32_t> next;
        for (size_t k = 0; k < active.size(); ++k) {
            Seq& s = seqs[active[k]];
            std::span<float> l(logits.data() + k * V, V);
            run.filter(l, s.tokens);
            const int32_t tok = run.opt.temperature > 0 ? sample_token(l, run.opt.temperature, *run.ctx.rng) : argmax(l);
            log_softmax(l, lp);
            s.sum_logprob += lp[static_cast<size_t>(tok)];
            s.tokens.push_back(tok);
            if (tok == run.t.eot) s.done = true;
            else batch.push_back(states[active[k]].get()), next.push_back(tok);
        }
        std::erase_if(active, [&](size_t g) { return seqs[g].done; });
        if (active.empty() || run.sample_begin + static_cast<int>(seqs[active[0]].tokens.size()) > run.n_ctx) break;
        if (step + 1 == run.sample_len) break;
        logits.assign(active.size() * V, 0.0f);
        ATELIER_TRY(run.ctx.model->decode_batch(batch, next, logits, run.dopts()));
    }
    return seqs;
}

struct Candidate {
    std::vector<int32_t> tokens;
    double score;
    size_t source;
};

// Moves/clones states so new_states[k] continues states[source[k]].
Result<std::vector<StatePtr>> rearrange(std::vector<StatePtr>& states, const std::vector<size_t>& source) {
    std::vector<int> uses(states.size(), 0);
    for (size_t s : source) ++uses[s];
    for (size_t s = 0; s < states.size(); ++s)  // dropped beams go before any clone is made
        if (uses[s] == 0) states[s].reset();
    std::vector<StatePtr> out;
    for (size_t s : source) {
        if (--uses[s] > 0) {
            ATELIER_TRY_ASSIGN(auto c, states[s]->clone());
            out.push_back(std::move(c));
        } else {
            out.push_back(std::move(states[s]));
        }
    }
    return out;
}

// Ranks the top beam_size + 1 tokens of every beam; returns the candidates best first (a
// sequence reached from two identical beams counts once, as a dict keyed by sequence does).
std::vector<Candidate> beam_candidates(const Run& run, const std::vector<Seq>& beams, std::vector<float>& logits) {
    const size_t V = static_cast<size_t>(run.n_vocab), k_top = static_cast<size_t>(run.opt.beam_size) + 1;
    std::vector<Candidate> cands;
    std::map<std::vector<int32_t>, size_t> index;
    std::vector<float> lp(V);
    std::vector<int32_t> order(V);
    for (size_t j = 0; j < beams.size(); ++j) {
        std::span<float> l(logits.data() + j * V, V);
        run.filter(l, beams[j].tokens);
        log_softmax(l, lp);
        std::iota(order.begin(), order.end(), 0);
        std::partial_sort(order.begin(), order.begin() + static_cast<ptrdiff_t>(k_top), order.end(),
                          [&](int32_t a, int32_t b) { return lp[static_cast<size_t>(a)] > lp[static_cast<size_t>(b)] || (lp[static_cast<size_t>(a)] == lp[static_cast<size_t>(b)] && a < b); });
        for (size_t r = 0; r < k_top; ++r) {
            std::vector<int32_t> seq = beams[j].tokens;
            seq.push_back(order[r]);
            const double score = beams[j].sum_logprob + double{lp[static_cast<size_t>(order[r])]};
            auto [it, inserted] = index.emplace(seq, cands.size());
            if (inserted) cands.push_back({std::move(seq), score, j});
            else cands[it->second].score = score, cands[it->second].source = j;
        }
    }
    std::stable_sort(cands.begin(), cands.end(), [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
    return cands;
}

Result<std::vector<Seq>> beam_loop(const Run& run, std::vector<StatePtr>& states, const std::vector<float>& first) {
    const size_t beam = static_cast<size_t>(run.opt.beam_size), V = static_cast<size_t>(run.n_vocab);
    const size_t max_candidates = static_cast<size_t>(std::max(1L, std::lround(double(beam) * run.opt.patience)));
    std::vector<Seq> beams(beam), finished;
    std::vector<float> logits(beam * V);
    for (size_t g = 0; g < beam; ++g) std::copy(first.begin(), first.end(), logits.begin() + static_cast<ptrdiff_t>(g * V));
    for (int step = 0; step < run.sample_len; ++step) {
        if (run.ctx.stop.stop_requested()) return cancelled_status().error();
        std::vector<Candidate> cands = beam_candidates(run, beams, logits);
        std::vector<Seq> next;
        std::vector<size_t> source;
        std::vector<Seq> newly_finished;
        for (Candidate& c : cands) {
            if (c.tokens.back() == run.t.eot) {
                newly_finished.push_back({std::move(c.tokens), c.score, true});
            } else if (next.size() < beam) {
                next.push_back({std::move(c.tokens), c.score, false});
                source.push_back(c.source);
            }
            if (next.size() == beam) break;
        }
        for (Seq& f : newly_finished) {
            if (finished.size() >= max_candidates) break;
            finished.push_back(std::move(f));
        }
        ATELIER_TRY_ASSIGN(auto moved, rearrange(states, source));
        states = std::move(moved);
        beams = std::move(next);
        if (finished.size() >= max_candidates || beams.empty()) break;
        if (run.sample_begin + static_cast<int>(beams[0].tokens.size()) > run.n_ctx || step + 1 == run.sample_len) break;
        std::vector<DecoderState*> batch;
        std::vector<int32_t> toks;
        for (size_t k = 0; k < beams.size(); ++k) batch.push_back(states[k].get()), toks.push_back(beams[k].tokens.back());
        logits.assign(beams.size() * V, 0.0f);
        ATELIER_TRY(run.ctx.model->decode_batch(batch, toks, logits, run.dopts()));
    }
    // Not enough finished: add the live beams, best first, as if they ended here.
    std::stable_sort(beams.begin(), beams.end(), [](const Seq& a, const Seq& b) { return a.sum_logprob > b.sum_logprob; });
    for (Seq& b : beams) {
        if (finished.size() >= beam) break;
        b.tokens.push_back(run.t.eot);
        finished.push_back(std::move(b));
    }
    return finished;
}

// MaximumLikelihoodRanker over sequences cut at their first eot.
size_t rank(const std::vector<Seq>& seqs, float length_penalty, int32_t eot) {
    size_t best = 0;
    double best_score = -std::numeric_limits<double>::infinity();
    for (size_t i = 0; i < seqs.size(); ++i) {
        const auto& tk = seqs[i].tokens;
        const double len = static_cast<double>(std::find(tk.begin(), tk.end(), eot) - tk.begin());
        const double penalty = length_penalty < 0 ? len : std::pow((5.0 + len) / 6.0, double{length_penalty});
        const double score = seqs[i].sum_logprob / std::max(penalty, 1e-9);
        if (i == 0 || score > best_score) best = i, best_score = score;
    }
    return best;
}

}  // namespace

std::string tokens_text(const Tokenizer& tok, const WhisperTokens& t, std::span<const int32_t> tokens) {
    std::vector<int32_t> text;
    for (int32_t id : tokens)
        if (id < t.eot) text.push_back(id);
    return tok.decode(text, true);
}

Result<WhisperTokens> whisper_tokens(const whisper::WhisperModel& model) {
    const auto& c = model.config();
    WhisperTokens t;
    t.n_vocab = c.n_vocab;
    t.eot = c.eot, t.sot = c.sot, t.sot_prev = c.sot_prev, t.sot_lm = c.sot_lm, t.no_speech = c.no_speech;
    t.no_timestamps = c.no_timestamps, t.translate = c.translate, t.transcribe = c.transcribe;
    t.timestamp_begin = c.timestamp_begin;
    t.multilingual = c.multilingual;
    t.languages = c.languages;
    t.suppress_tokens = c.suppress_tokens;
    t.begin_suppress_tokens = c.begin_suppress_tokens;
    for (int32_t id : {t.eot, t.sot, t.no_timestamps, t.timestamp_begin})
        if (id < 0 || id >= t.n_vocab)
            return make_error(ErrorCode::ModelFormat, "Whisper config: special token id " + std::to_string(id) +
                                                          " is outside the vocabulary of " + std::to_string(t.n_vocab),
                              "check the model's config.json / generation_config.json");
    for (const auto& [code, id] : t.languages)
        if (id < 0 || id >= t.n_vocab)
            return make_error(ErrorCode::ModelFormat, "Whisper config: language token <|" + code + "|> is outside the vocabulary",
                              "check the model's generation_config.json lang_to_id");
    if (t.multilingual && (t.transcribe < 0 || t.translate < 0))
        return make_error(ErrorCode::ModelFormat, "Whisper config: a multilingual model without task tokens",
                          "check the model's generation_config.json");
    if (t.begin_suppress_tokens.empty()) {  // OpenAI: encode(" ") + [eot]
        if (const Tokenizer* tok = model.tokenizer()) t.begin_suppress_tokens = tok->encode(" ", {false, false});
        t.begin_suppress_tokens.push_back(t.eot);
    }
    return t;
}

Result<WindowResult> decode_window(const WindowContext& ctx, const std::shared_ptr<const EncoderOutput>& enc,
                                   const WindowOptions& opt) {
    const auto& cfg = ctx.model->config();
    const WhisperTokens& t = *ctx.tokens;
    Run run{ctx, opt, t, suppressed_tokens(t), t.begin_suppress_tokens};
    run.n_vocab = cfg.n_vocab;
    run.n_ctx = cfg.n_text_ctx;
    run.sample_len = opt.sample_len > 0 ? opt.sample_len : cfg.n_text_ctx / 2;
    run.max_initial = kMaxInitialTimestampIndex;
    const auto sot_seq = sot_sequence(t, opt.language_id, opt.task, opt.without_timestamps);
    int sot_index = 0;
    const auto init = initial_tokens(t, sot_seq, opt.prompt, cfg.n_text_ctx, &sot_index);
    run.sample_begin = static_cast<int>(init.size());

    // Prefill up to the SOT (its logits give the no-speech probability), then the rest.
    ATELIER_TRY_ASSIGN(StatePtr root, ctx.model->new_decoder(enc));
    std::vector<float> first(static_cast<size_t>(cfg.n_vocab)), lp(first.size());
    const std::span<const int32_t> all(init);
    ATELIER_TRY(ctx.model->decode(*root, all.first(static_cast<size_t>(sot_index) + 1), first, run.dopts()));
    WindowResult res;
    res.temperature = opt.temperature;
    if (t.no_speech >= 0) {
        log_softmax(first, lp);
        res.no_speech_prob = std::exp(lp[static_cast<size_t>(t.no_speech)]);
    }
    if (all.size() > static_cast<size_t>(sot_index) + 1)
        ATELIER_TRY(ctx.model->decode(*root, all.subspan(static_cast<size_t>(sot_index) + 1), first, run.dopts()));

    const bool beam = opt.temperature <= 0 && opt.beam_size > 1;
    const int n_group = beam ? opt.beam_size : (opt.temperature > 0 ? std::max(1, opt.best_of) : 1);
    std::vector<StatePtr> states;
    for (int g = 1; g < n_group; ++g) {
        ATELIER_TRY_ASSIGN(auto c, root->clone());
        states.push_back(std::move(c));
    }
    states.insert(states.begin(), std::move(root));
    std::vector<Seq> seqs;
    if (beam) {
        ATELIER_TRY_ASSIGN(seqs, beam_loop(run, states, first));
    } else {
        ATELIER_TRY_ASSIGN(seqs, greedy_loop(run, states, std::move(first)));
    }
    const Seq& best = seqs[rank(seqs, opt.length_penalty, t.eot)];
    const auto end = std::find(best.tokens.begin(), best.tokens.end(), t.eot);
    res.tokens.assign(best.tokens.begin(), end);
    res.sum_logprob = best.sum_logprob;
    res.avg_logprob = static_cast<float>(best.sum_logprob / static_cast<double>(res.tokens.size() + 1));
    if (const Tokenizer* tok = ctx.model->tokenizer()) res.text = strip(tokens_text(*tok, t, res.tokens));
    res.compression_ratio = compression_ratio(res.text);
    return res;
}

Result<WindowResult> decode_with_fallback(const WindowContext& ctx, const std::shared_ptr<const EncoderOutput>& enc,
                                          WindowOptions options, const FallbackOptions& fb) {
    Result<WindowResult> result = make_error(ErrorCode::InvalidArgument, "no temperature to decode with",
                                             "give at least one temperature");
    for (float temp : fb.temperatures) {
        options.temperature = temp;
        result = decode_window(ctx, enc, options);
        if (!result.ok()) return result;
        const WindowResult& r = *result;
        bool needs_fallback = false;
        if (fb.compression_ratio_threshold > 0 && r.compression_ratio > fb.compression_ratio_threshold)
            needs_fallback = true;  // too repetitive
        const bool low_logprob = fb.logprob_threshold > -1e9f && r.avg_logprob < fb.logprob_threshold;
        if (low_logprob) needs_fallback = true;
        if (fb.no_speech_threshold > 0 && r.no_speech_prob > fb.no_speech_threshold && low_logprob)
            needs_fallback = false;  // silence
        if (!needs_fallback) break;
    }
    return result;
}

Result<LanguageGuess> detect_language(const WindowContext& ctx, const std::shared_ptr<const EncoderOutput>& enc) {
    const WhisperTokens& t = *ctx.tokens;
    if (!t.multilingual || t.languages.empty())
        return make_error(ErrorCode::ModelUnsupported, "this Whisper model is English-only: it cannot detect the language",
                          "use a multilingual model, or give the language");
    ATELIER_TRY_ASSIGN(StatePtr st, ctx.model->new_decoder(enc));
    std::vector<float> logits(static_cast<size_t>(t.n_vocab));
    const int32_t sot[1] = {t.sot};
    whisper::DecodeOptions d;
    d.session = ctx.session;
    d.stop = ctx.stop;
    ATELIER_TRY(ctx.model->decode(*st, sot, logits, d));
    double mx = -std::numeric_limits<double>::infinity(), sum = 0.0;
    for (const auto& [code, id] : t.languages) mx = std::max(mx, double{logits[static_cast<size_t>(id)]});
    for (const auto& [code, id] : t.languages) sum += std::exp(double{logits[static_cast<size_t>(id)]} - mx);
    LanguageGuess best;
    for (const auto& [code, id] : t.languages) {
        const double p = std::exp(double{logits[static_cast<size_t>(id)]} - mx) / sum;
        if (best.id < 0 || p > best.probability) best = {code, id, static_cast<float>(p)};
    }
    return best;
}

}  // namespace atelier::infer::speech
