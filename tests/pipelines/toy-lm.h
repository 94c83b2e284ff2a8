// A toy language model for the chat tests (pipelines and GUI): a CausalLm whose "answer" to the
// last question in a DeepSeek V4 prompt is a script the test chooses, plus a byte-level tokenizer
// with the V4 special tokens. It needs no model file: tests insert it into a ModelCache under
// kToyModelKey. In thinking mode (prompt ending in <｜Assistant｜><think>) it first writes the
// reasoning and </think>. It can be slowed per decode token (checking the stop token every
// millisecond), and it records every history it was asked to continue.
// Thread-safety: as CausalLm; the recorded histories are guarded by a mutex.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "inference/lm.h"
#include "inference/tokenizer/tokenizer.h"
#include "pipelines/chat-models.h"

namespace atelier::test {

inline constexpr const char* kToyModelKey = "toy:scripted";

class ToyLm : public infer::CausalLm {
public:
    using AnswerFn = std::function<std::string(const std::string& question)>;
    ToyLm(std::shared_ptr<const infer::Tokenizer> tokenizer, AnswerFn answer, std::string reasoning);

    const infer::LmInfo& info() const override { return info_; }
    infer::Numerics numerics() const override { return infer::Numerics::Released; }
    Result<std::unique_ptr<infer::LmState>> new_state(const infer::LmStateOptions& options) const override;
    Status eval(infer::LmState& state, std::span<const int32_t> tokens, std::span<float> logits,
                const infer::EvalOptions& options = {}) const override;
    const std::shared_ptr<const infer::Model>& model() const override { return model_; }

    std::atomic<int> delay_ms_per_token{0};
    mutable std::atomic<int> eval_calls{0};
    mutable std::atomic<int64_t> tokens_fed{0};  // over all eval() calls
    // The text of the history each answer started from (the prompt as the model holds it).
    std::vector<std::string> prompts() const;
    const infer::Tokenizer& tokenizer() const { return *tokenizer_; }

private:
    int32_t next_token(std::span<const int32_t> history, std::vector<int32_t>& script, int64_t& script_start) const;

    std::shared_ptr<const infer::Tokenizer> tokenizer_;
    AnswerFn answer_;
    std::string reasoning_;
    infer::LmInfo info_;
    std::shared_ptr<const infer::Model> model_;
    mutable std::mutex mutex_;
    mutable std::vector<std::string> prompts_;
};

// A long answer with numbered sentences (so any prefix of it is recognisable), ~`sentences` x 40
// bytes: the toy's script in the crash tests.
inline std::string toy_long_answer(int sentences = 400) {
    std::string out;
    for (int i = 1; i <= sentences; ++i) out += "Sentence " + std::to_string(i) + " of a long streamed answer. ";
    return out;
}

// Byte-level BPE over the 256 bytes (ids 0-255) with the V4 specials: BOS 256, EOS 257, User 258,
// Assistant 259, <think> 260, </think> 261.
std::shared_ptr<const infer::Tokenizer> toy_tokenizer();

struct ToyModel {
    std::shared_ptr<ToyLm> lm;
    std::shared_ptr<const pipelines::LoadedModel> loaded;  // key kToyModelKey, name "toy-scripted"
};
// answer: the script for a question (default: "You said: <question>"); reasoning: the thinking text.
ToyModel make_toy_model(ToyLm::AnswerFn answer = {}, std::string reasoning = "Let me think about it.");

}  // namespace atelier::test
