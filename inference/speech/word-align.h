// Word timestamps for the segments of one window (OpenAI's add_word_timestamps): one decoder pass
// over [SOT sequence, <|notimestamps|>, text, eot] keeps the alignment heads' cross-attention,
// DTW maps tokens to frames, words get times and probabilities, and the reference's clean-ups
// (long words at sentence and pause boundaries, segment start/end from the words) are applied.
// Thread-safety: one WindowContext per thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "inference/speech/window-decoder.h"
#include "inference/speech/word-timing.h"

namespace atelier::infer::speech {

// One segment while the window is being cut up; times in seconds on the decoded audio.
struct RawSegment {
    double start_s = 0, end_s = 0;
    std::vector<int32_t> tokens;
    std::vector<WordTiming> words;  // times absolute, in seconds
};

struct AlignParams {
    int32_t language_id = -1;
    std::string language;
    Task task = Task::Transcribe;
    int num_frames = 0;            // mel frames of the window that hold audio
    double time_offset_s = 0;      // the window's start
    double last_speech_s = 0;      // end of the last word before this window (updated)
};

Status add_word_timestamps(const WindowContext& ctx, const std::shared_ptr<const whisper::EncoderOutput>& enc,
                           std::vector<RawSegment>& segments, AlignParams& params);

}  // namespace atelier::infer::speech
