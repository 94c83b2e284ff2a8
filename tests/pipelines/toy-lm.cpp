// ToyLm: a scripted CausalLm for the chat tests (see toy-lm.h).
#include "tests/pipelines/toy-lm.h"

#include <chrono>
#include <thread>

#include "core/hash.h"
#include "inference/chat/deepseek-v4-chat.h"
#include "inference/tokenizer/unicode-util.h"

namespace atelier::test {

namespace {

constexpr int32_t kBos = 256, kEos = 257, kUser = 258, kAssistant = 259, kThinkOpen = 260, kThinkClose = 261;
constexpr int64_t kVocab = 262;

class ToyState : public infer::LmState {
public:
    explicit ToyState(int64_t n_ctx) { n_ctx_ = n_ctx; }
    void reset() override {
        history.clear();
        n_past_ = 0;
        script.clear();
        script_start = -1;
    }
    uint64_t cache_bytes() const override { return history.size() * sizeof(int32_t); }
    void advance(std::span<const int32_t> tokens) {
        history.insert(history.end(), tokens.begin(), tokens.end());
        n_past_ = static_cast<int64_t>(history.size());
    }
    std::vector<int32_t> history;
    std::vector<int32_t> script;  // the answer being written, for the prompt ending at script_start
    int64_t script_start = -1;
};

}  // namespace

std::shared_ptr<const infer::Tokenizer> toy_tokenizer() {
    infer::TokenizerDesc d;
    d.label = "toy tokenizer";
    for (int b = 0; b < 256; ++b) d.bpe.vocab.emplace_back(infer::bytes_to_byte_level(std::string(1, static_cast<char>(b))), b);
    const std::pair<std::string_view, int32_t> specials[] = {{infer::kV4Bos, kBos},           {infer::kV4Eos, kEos},
                                                             {infer::kV4User, kUser},         {infer::kV4Assistant, kAssistant},
                                                             {infer::kV4ThinkOpen, kThinkOpen}, {infer::kV4ThinkClose, kThinkClose}};
    for (const auto& [text, id] : specials) {
        infer::AddedToken a;
        a.id = id;
        a.content = std::string(text);
        a.special = id != kThinkOpen && id != kThinkClose;  // V4 marks <think> and </think> as added, not special
        d.added.push_back(a);
    }
    d.bos_id = kBos;
    d.eos_id = kEos;
    auto t = infer::Tokenizer::create(std::move(d));
    return t.ok() ? *t : nullptr;
}

ToyLm::ToyLm(std::shared_ptr<const infer::Tokenizer> tokenizer, AnswerFn answer, std::string reasoning)
    : tokenizer_(std::move(tokenizer)), answer_(std::move(answer)), reasoning_(std::move(reasoning)) {
    info_.architecture = "toy";
    info_.vocab_size = kVocab;
    info_.n_layers = 1;
    info_.max_context = 1 << 16;
    info_.bos_id = kBos;
    info_.eos_id = kEos;
    info_.cache_bytes_per_token = 4;
    if (!answer_) answer_ = [](const std::string& q) { return "You said: " + q; };
}

Result<std::unique_ptr<infer::LmState>> ToyLm::new_state(const infer::LmStateOptions& options) const {
    return std::unique_ptr<infer::LmState>(std::make_unique<ToyState>(options.n_ctx));
}

std::vector<std::string> ToyLm::prompts() const {
    std::lock_guard lock(mutex_);
    return prompts_;
}

// The next token of the script answering the last question in `history`; EOS past its end.
int32_t ToyLm::next_token(std::span<const int32_t> history, std::vector<int32_t>& script, int64_t& script_start) const {
    int64_t assistant = -1, user = -1;
    for (int64_t i = static_cast<int64_t>(history.size()) - 1; i >= 0; --i) {
        if (assistant < 0 && history[static_cast<size_t>(i)] == kAssistant) assistant = i;
        else if (assistant >= 0 && history[static_cast<size_t>(i)] == kUser) {
            user = i;
            break;
        }
    }
    if (assistant < 0 || user < 0 || assistant + 1 >= static_cast<int64_t>(history.size())) return kEos;
    const int64_t start = assistant + 2;  // after <｜Assistant｜> and <think> or </think>
    if (start != script_start) {
        const bool thinking = history[static_cast<size_t>(assistant + 1)] == kThinkOpen;
        std::vector<int32_t> q(history.begin() + user + 1, history.begin() + assistant);
        std::string text = answer_(tokenizer_->decode(q));
        if (thinking) text = reasoning_ + std::string(infer::kV4ThinkClose) + text;
        script = tokenizer_->encode(text);
        script_start = start;
        std::lock_guard lock(mutex_);
        prompts_.push_back(tokenizer_->decode(history.subspan(0, static_cast<size_t>(start))));
    }
    const int64_t k = static_cast<int64_t>(history.size()) - start;
    return k >= 0 && k < static_cast<int64_t>(script.size()) ? script[static_cast<size_t>(k)] : kEos;
}

Status ToyLm::eval(infer::LmState& state, std::span<const int32_t> tokens, std::span<float> logits,
                   const infer::EvalOptions& options) const {
    auto& s = static_cast<ToyState&>(state);
    ++eval_calls;
    if (logits.size() < static_cast<size_t>(kVocab)) return make_error(ErrorCode::InvalidArgument, "toy: logits too small");
    for (int32_t t : tokens)
        if (t < 0 || t >= kVocab) return make_error(ErrorCode::InvalidArgument, "toy: token id " + std::to_string(t));
    if (s.n_past() + static_cast<int64_t>(tokens.size()) > s.n_ctx()) return make_error(ErrorCode::ContextFull, "toy: context full");
    const int delay = delay_ms_per_token.load();
    for (int waited = 0; tokens.size() == 1 && waited < delay; ++waited) {
        if (options.stop.stop_requested()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (options.stop.stop_requested()) return make_error(ErrorCode::Cancelled, "toy: stopped");
    s.advance(tokens);
    tokens_fed += static_cast<int64_t>(tokens.size());
    const int32_t next = next_token(s.history, s.script, s.script_start);
    std::span<float> row = logits.subspan(logits.size() - static_cast<size_t>(kVocab), static_cast<size_t>(kVocab));
    std::fill(logits.begin(), logits.end(), 0.0f);
    row[static_cast<size_t>(next)] = 40.0f;  // e^-40 per other token: the script, at any temperature
    return ok_status();
}

ToyModel make_toy_model(ToyLm::AnswerFn answer, std::string reasoning) {
    ToyModel m;
    m.lm = std::make_shared<ToyLm>(toy_tokenizer(), std::move(answer), std::move(reasoning));
    auto loaded = std::make_shared<pipelines::LoadedModel>();
    loaded->key = kToyModelKey;
    loaded->name = "toy-scripted";
    loaded->content_hash = hash_bytes("toy-scripted model v1");
    loaded->lm = m.lm;
    loaded->tokenizer = toy_tokenizer();
    m.loaded = loaded;
    return m;
}

}  // namespace atelier::test
