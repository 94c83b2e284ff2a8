// A stand-in speech recogniser for the transcribe job's tests (pipelines, CLI-free GUI tests):
// it finds the sounding stretches of the 16 kHz input (20 ms frames above an RMS threshold,
// gaps under 300 ms merged) and "reads" each as "tone <Hz>", its frequency counted from zero
// crossings. So what the job stores is checkable against how the test audio was made (burst
// times and frequencies), independently of our decode and resample code.
// Words: " tone" over the first half (probability 0.9), " <Hz>" over the second (0.4).
// Thread-safety: one call at a time per instance.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "pipelines/transcribe.h"

namespace atelier::test {

struct FakeRecogniserOptions {
    int segment_delay_ms = 0;        // sleep after each segment (cancel and streaming tests)
    std::atomic<int>* loads = nullptr;  // counts loader calls when set
};

std::vector<pipelines::RecognisedSegment> find_tones(const float* pcm16k, size_t n, int64_t offset_ms = 0);

class FakeRecogniser : public pipelines::Recogniser {
public:
    explicit FakeRecogniser(FakeRecogniserOptions opts = {}) : opts_(opts) {}
    std::string model_name() const override { return "fake-tones"; }
    Result<pipelines::Recognition> transcribe(std::span<const float> pcm16k, const pipelines::TranscribeSettings& settings,
                                              const pipelines::RecogniserCallbacks& callbacks, std::stop_token stop) override;
    Result<std::unique_ptr<pipelines::LiveRecogniser>> live(const pipelines::TranscribeSettings& settings) override;

private:
    FakeRecogniserOptions opts_;
};

pipelines::RecogniserLoader fake_loader(FakeRecogniserOptions opts = {});

}  // namespace atelier::test
