// AudioReader: best audio stream -> decoder -> swresample -> interleaved float at the requested
// rate/channels. The resampler is configured from the first decoded frame (and again if the
// stream changes format mid-way), so what the decoder really delivers is what gets converted.
// At end of stream the decoder and then the resampler are drained, so no tail is lost. Memory
// stays flat: at most one decoded frame's worth is buffered beyond what read() asked for.
// Thread-safety: one AudioReader per thread.
#include "media/audio-reader.h"

#include <algorithm>
#include <cstring>
#include <new>

extern "C" {
#include <libavutil/channel_layout.h>
#include <libswresample/swresample.h>
}

#include "media/ffmpeg-util.h"

namespace atelier::media {
namespace {

// Rates outside this range are refused: a hostile file could otherwise ask for a huge expansion.
constexpr int kMinRateHz = 1000;
constexpr int kMaxRateHz = 768000;
constexpr int kMaxChannels = 64;  // swresample's limit

// AVChannelLayout owner (the struct may hold an allocated custom map).
struct Layout {
    AVChannelLayout v{};
    Layout() = default;
    Layout(const Layout&) = delete;
    Layout& operator=(const Layout&) = delete;
    ~Layout() { av_channel_layout_uninit(&v); }
};

}  // namespace

struct AudioReader::Impl {
    ff::InputPtr input;
    std::unique_ptr<ff::StreamDecoder> decoder;
    ff::FramePtr frame;
    ff::SwrPtr swr;
    Layout out_layout;
    int out_rate = 0;
    int64_t duration_ms = 0;
    // What the resampler is configured for.
    Layout in_layout;
    int in_rate = 0;
    int in_format = -1;
    // Converted samples not yet handed out: pending[pending_pos..] (interleaved floats).
    std::vector<float> pending;
    size_t pending_pos = 0;
    bool decoder_done = false;
    bool finished = false;

    int channels() const { return out_layout.v.nb_channels; }
    size_t pending_frames() const { return (pending.size() - pending_pos) / static_cast<size_t>(channels()); }
    Status configure(const AVFrame* f);
    Status convert(const uint8_t** in, int in_samples);
    Status drain_resampler();
    Status fill();
};

Status AudioReader::Impl::configure(const AVFrame* f) {
    Layout layout;
    if (f->ch_layout.order != AV_CHANNEL_ORDER_UNSPEC && av_channel_layout_check(&f->ch_layout)) {
        if (av_channel_layout_copy(&layout.v, &f->ch_layout) < 0) return make_error(ErrorCode::OutOfMemory, "channel layout copy failed");
    } else {
        av_channel_layout_default(&layout.v, f->ch_layout.nb_channels);
    }
    if (swr && in_rate == f->sample_rate && in_format == f->format && !av_channel_layout_compare(&layout.v, &in_layout.v)) {
        return ok_status();
    }
    const std::string& label = input->label();
    if (f->sample_rate < kMinRateHz || f->sample_rate > kMaxRateHz || layout.v.nb_channels < 1 ||
        layout.v.nb_channels > kMaxChannels) {
        return make_error(ErrorCode::MediaUnsupported,
                          label + ": unusual audio (" + std::to_string(f->sample_rate) + " Hz, " +
                              std::to_string(layout.v.nb_channels) + " channels)",
                          "convert it to a common format such as 48 kHz WAV");
    }
    if (swr) ATELIER_TRY(drain_resampler());  // the old configuration's tail first
    SwrContext* raw = nullptr;
    int r = swr_alloc_set_opts2(&raw, &out_layout.v, AV_SAMPLE_FMT_FLT, out_rate, &layout.v,
                                static_cast<AVSampleFormat>(f->format), f->sample_rate, 0, nullptr);
    ff::SwrPtr fresh(raw);
    if (r >= 0) r = swr_init(fresh.get());
    if (r < 0) {
        return make_error(ErrorCode::MediaUnsupported, label + ": cannot resample this audio (" + ff::av_error_text(r) + ")",
                          "convert it to a common format such as 48 kHz WAV");
    }
    swr = std::move(fresh);
    av_channel_layout_uninit(&in_layout.v);
    std::swap(in_layout.v, layout.v);
    in_rate = f->sample_rate;
    in_format = f->format;
    return ok_status();
}

Status AudioReader::Impl::convert(const uint8_t** in, int in_samples) {
    const int room = swr_get_out_samples(swr.get(), in_samples);
    if (room < 0) return make_error(ErrorCode::MediaDecodeFailed, input->label() + ": resampler error", ff::kNotMediaHint);
    if (room == 0) return ok_status();
    // Drop the consumed prefix before growing, so the buffer never creeps.
    if (pending_pos > 0) {
        pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(pending_pos));
        pending_pos = 0;
    }
    const size_t old = pending.size();
    pending.resize(old + static_cast<size_t>(room) * static_cast<size_t>(channels()));
    uint8_t* out = reinterpret_cast<uint8_t*>(pending.data() + old);
    const int got = swr_convert(swr.get(), &out, room, in, in_samples);
    if (got < 0) {
        pending.resize(old);
        return make_error(ErrorCode::MediaDecodeFailed, input->label() + ": resampling failed (" + ff::av_error_text(got) + ")",
                          ff::kNotMediaHint);
    }
    pending.resize(old + static_cast<size_t>(got) * static_cast<size_t>(channels()));
    return ok_status();
}

Status AudioReader::Impl::drain_resampler() {
    for (int guard = 0; guard < 64; ++guard) {  // each call empties what swr buffered; 1-2 rounds in practice
        const size_t before = pending.size() - pending_pos;
        ATELIER_TRY(convert(nullptr, 0));
        if (pending.size() - pending_pos == before) break;
    }
    return ok_status();
}

// Decodes one more frame into `pending`, or drains everything at the end of the stream.
Status AudioReader::Impl::fill() {
    if (!decoder_done) {
        ATELIER_TRY_ASSIGN(bool got, decoder->next_frame(frame.get()));
        if (got) {
            Status s = configure(frame.get());
            if (s.ok() && frame->nb_samples > 0) s = convert(const_cast<const uint8_t**>(frame->extended_data), frame->nb_samples);
            av_frame_unref(frame.get());
            return s;
        }
        decoder_done = true;
    }
    if (swr) ATELIER_TRY(drain_resampler());
    finished = true;
    return ok_status();
}

AudioReader::AudioReader() : impl_(std::make_unique<Impl>()) {}
AudioReader::~AudioReader() = default;

Result<std::unique_ptr<AudioReader>> AudioReader::open(const std::filesystem::path& path, AudioFormat want) try {
    if (want.sample_rate_hz != 0 && (want.sample_rate_hz < kMinRateHz || want.sample_rate_hz > kMaxRateHz)) {
        return make_error(ErrorCode::InvalidArgument, "requested sample rate out of range: " + std::to_string(want.sample_rate_hz));
    }
    if (want.channels < 0 || want.channels > kMaxChannels) {
        return make_error(ErrorCode::InvalidArgument, "requested channel count out of range: " + std::to_string(want.channels));
    }
    std::unique_ptr<AudioReader> reader(new AudioReader());
    Impl& m = *reader->impl_;
    ATELIER_TRY_ASSIGN(m.input, ff::open_input_file(path));
    AVFormatContext* fc = m.input->fmt();
    const int index = ff::best_stream(fc, AVMEDIA_TYPE_AUDIO, false);
    if (index < 0) {
        return make_error(ErrorCode::MediaNoStream, m.input->label() + ": has no audio stream", "choose a file with sound");
    }
    const AVStream* st = fc->streams[index];
    const int src_rate = st->codecpar->sample_rate;
    const int src_channels = st->codecpar->ch_layout.nb_channels;
    m.out_rate = want.sample_rate_hz != 0 ? want.sample_rate_hz : src_rate;
    const int channels = want.channels != 0 ? want.channels : src_channels;
    if (m.out_rate < kMinRateHz || m.out_rate > kMaxRateHz || channels < 1 || channels > kMaxChannels) {
        return make_error(ErrorCode::MediaUnsupported,
                          m.input->label() + ": unusual audio (" + std::to_string(src_rate) + " Hz, " +
                              std::to_string(src_channels) + " channels)",
                          "convert it to a common format such as 48 kHz WAV");
    }
    if (want.channels == 0 && st->codecpar->ch_layout.order != AV_CHANNEL_ORDER_UNSPEC &&
        av_channel_layout_check(&st->codecpar->ch_layout)) {
        if (av_channel_layout_copy(&m.out_layout.v, &st->codecpar->ch_layout) < 0) {
            return make_error(ErrorCode::OutOfMemory, "channel layout copy failed");
        }
    } else {
        av_channel_layout_default(&m.out_layout.v, channels);
    }
    m.duration_ms = ff::to_ms(st->duration, st->time_base);
    if (m.duration_ms == 0) m.duration_ms = ff::to_ms(fc->duration, AVRational{1, AV_TIME_BASE});
    ATELIER_TRY_ASSIGN(m.decoder, ff::StreamDecoder::open(*m.input, index));
    ATELIER_TRY_ASSIGN(m.frame, ff::make_frame());
    return reader;
} catch (const std::bad_alloc&) {
    return make_error(ErrorCode::OutOfMemory, path.string() + ": out of memory opening audio", "close other programs and retry");
}

AudioFormat AudioReader::format() const { return AudioFormat{impl_->out_rate, impl_->channels()}; }

int64_t AudioReader::duration_ms() const { return impl_->duration_ms; }

Result<size_t> AudioReader::read(std::vector<float>& out, size_t max_frames) try {
    Impl& m = *impl_;
    while (!m.finished && m.pending_frames() < max_frames) ATELIER_TRY(m.fill());
    const size_t n = std::min(max_frames, m.pending_frames());
    const size_t count = n * static_cast<size_t>(m.channels());
    out.resize(count);
    if (count > 0) std::memcpy(out.data(), m.pending.data() + m.pending_pos, count * sizeof(float));
    m.pending_pos += count;
    if (m.pending_pos == m.pending.size()) {
        m.pending.clear();
        m.pending_pos = 0;
    }
    return n;
} catch (const std::bad_alloc&) {
    return make_error(ErrorCode::OutOfMemory, impl_->input->label() + ": out of memory decoding audio", "close other programs and retry");
}

Result<std::vector<float>> decode_audio(const std::filesystem::path& path, AudioFormat want, int* out_channels) try {
    ATELIER_TRY_ASSIGN(auto reader, AudioReader::open(path, want));
    if (out_channels) *out_channels = reader->format().channels;
    std::vector<float> all, block;
    constexpr size_t kBlockFrames = 1 << 16;
    for (;;) {
        ATELIER_TRY_ASSIGN(size_t n, reader->read(block, kBlockFrames));
        if (n == 0) break;
        all.insert(all.end(), block.begin(), block.end());
    }
    return all;
} catch (const std::bad_alloc&) {
    return make_error(ErrorCode::OutOfMemory, path.string() + ": out of memory decoding audio", "decode it in blocks with AudioReader");
}

}  // namespace atelier::media
