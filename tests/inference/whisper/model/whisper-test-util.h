// Helpers for the Whisper model tests: where the tiny checkpoints are (made by the
// whisper.tiny_checkpoints ctest fixture from tools/whisper/make-tiny-whisper.py) and the
// transformers goldens (tools/whisper/make-whisper-goldens.py), loading, and comparisons.
// Thread-safety: test code, main thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/npy.h"
#include "inference/arch/whisper/whisper.h"

namespace atelier::infer::whisper::test {

std::filesystem::path tiny_dir();                      // <build>/tiny-whisper
std::filesystem::path golden_dir(const std::string& model);  // tests/.../goldens/<model>
std::unique_ptr<WhisperModel> load_or_fail(const std::filesystem::path& p);
std::unique_ptr<Session> session(int n_threads = 2);
std::vector<float> mel_of(const std::string& model);    // the fixture's input mel
NpyArray golden(const std::string& model, const std::string& file);
std::shared_ptr<const EncoderOutput> encode_or_fail(const WhisperModel& m, const std::vector<float>& mel, Session& s);
// Feeds tokens (one call); returns n_vocab logits per token.
std::vector<float> feed_all(const WhisperModel& m, DecoderState& st, std::span<const int32_t> tokens, Session& s);
double max_abs_diff(std::span<const float> a, std::span<const float> b);
int32_t argmax(std::span<const float> v);
std::string fmt_g(double v);  // "%.3g" for RecordProperty
// Max abs difference between logits [n][V] and the golden logits.npy at the columns cols.npy.
// file: logits.npy, or logits-ctr.npy for the reduced audio context.
double logits_err(const std::string& model, const std::vector<float>& logits, int64_t V,
                  const std::string& file = "logits.npy");
// Mel [n_mels][3000] cut to its first `frames` columns.
std::vector<float> first_mel_frames(const std::vector<float>& mel, int n_mels, int frames);

// operator new counter (tests/inference/deepseek-v4/alloc-count.cpp).
}  // namespace atelier::infer::whisper::test

namespace atelier::infer::test {
void alloc_count_start();
long alloc_count_stop();
}  // namespace atelier::infer::test
