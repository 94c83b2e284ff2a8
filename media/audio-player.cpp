// AudioPlayer (see audio-player.h): the feeder thread, the real-time render function and the
// play/pause/seek controls. The ring holds whole frames only: the feeder writes whole frames and
// render reads whole buffers, so a frame is never split between two callbacks.
// Thread-safety: as in the header; render touches only the ring and atomics.
#include "media/audio-player.h"

#include <algorithm>
#include <chrono>
#include <cstring>

namespace atelier::media {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

Result<std::unique_ptr<AudioPlayer>> AudioPlayer::open(const fs::path& path, const PlayerSettings& settings) {
    const AudioFormat want{.sample_rate_hz = settings.stream.sample_rate_hz, .channels = settings.stream.channels};
    ATELIER_TRY_ASSIGN(auto reader, AudioReader::open(path, want));
    const AudioFormat fmt = reader->format();
    if (fmt.channels <= 0 || fmt.sample_rate_hz <= 0)
        return make_error(ErrorCode::MediaNoStream, "no playable sound in " + path.string(), "choose a file with an audio stream");
    const size_t ring_frames = std::max<size_t>(settings.ring_frames, 2 * settings.decode_block_frames);
    auto p = std::unique_ptr<AudioPlayer>(new AudioPlayer(ring_frames * static_cast<size_t>(fmt.channels)));
    p->path_ = path;
    p->settings_ = settings;
    p->settings_.decode_block_frames = std::max<size_t>(settings.decode_block_frames, 64);
    p->format_ = fmt;
    p->duration_ms_ = reader->duration_ms();
    p->reader_ = std::move(reader);
    p->decode_buf_.reserve(p->settings_.decode_block_frames * static_cast<size_t>(fmt.channels));
    if (settings.open_device) {
        StreamSettings s = settings.stream;
        s.sample_rate_hz = fmt.sample_rate_hz;
        s.channels = fmt.channels;
        ATELIER_TRY_ASSIGN(p->stream_, AudioStream::open(StreamDirection::Playback, s, &AudioPlayer::render, p.get()));
    }
    p->feeder_ = std::thread([raw = p.get()] { raw->feeder_loop(); });
    return p;
}

AudioPlayer::~AudioPlayer() {
    stream_.reset();  // the callback is gone before the ring and the feeder go
    {
        std::lock_guard lk(mutex_);
        quit_ = true;
    }
    cv_.notify_all();
    if (feeder_.joinable()) feeder_.join();
}

bool AudioPlayer::render(void* user, const float*, float* out, size_t frames) {
    auto* p = static_cast<AudioPlayer*>(user);
    const size_t ch = static_cast<size_t>(p->format_.channels);
    const size_t n = frames * ch;
    if (!p->playing_.load(std::memory_order_acquire)) {
        std::memset(out, 0, n * sizeof(float));
        return true;
    }
    // eof before the read: if it was set, every frame it covers is already in the ring.
    const bool eof = p->eof_.load(std::memory_order_acquire);
    const size_t got = p->ring_.read(out, n);
    const float gain = p->volume_.load(std::memory_order_relaxed);
    if (gain != 1.0f)
        for (size_t i = 0; i < got; ++i) out[i] *= gain;
    if (got < n) std::memset(out + got, 0, (n - got) * sizeof(float));
    if (got > 0 && p->first_audio_ns_.load(std::memory_order_relaxed) == 0)
        p->first_audio_ns_.store(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count(),
                                 std::memory_order_release);
    p->played_frames_.fetch_add(static_cast<int64_t>(got / ch), std::memory_order_release);
    if (got < n) {
        if (eof) {
            p->drained_.store(true, std::memory_order_release);
            return false;
        }
        p->underruns_.fetch_add(1, std::memory_order_relaxed);
    }
    return true;
}

void AudioPlayer::feeder_loop() {
    const size_t ch = static_cast<size_t>(format_.channels);
    const size_t block = settings_.decode_block_frames;
    // Sleep about an eighth of the ring's duration between checks when it is full (1-5 ms).
    const auto ring_ms = static_cast<int64_t>(ring_.capacity() / ch * 1000 / static_cast<size_t>(format_.sample_rate_hz));
    const auto nap = std::chrono::milliseconds(std::clamp<int64_t>(ring_ms / 8, 1, 5));
    std::unique_lock lk(mutex_);
    while (!quit_) {
        if (feeder_paused_ || eof_.load() || feeder_error_.code != ErrorCode::Invalid) {
            cv_.wait_for(lk, std::chrono::milliseconds(20));
            continue;
        }
        if (ring_.available_write() / ch < block) {
            cv_.wait_for(lk, nap);
            continue;
        }
        auto r = reader_->read(decode_buf_, block);
        if (!r.ok()) {
            feeder_error_ = r.error();
            continue;
        }
        if (*r == 0) {
            eof_.store(true, std::memory_order_release);
            continue;
        }
        ring_.write(decode_buf_.data(), *r * ch);  // fits: checked above, and only we write
    }
}

Status AudioPlayer::play() {
    first_audio_ns_.store(0);
    const size_t ch = static_cast<size_t>(format_.channels);
    const size_t ring_frames = ring_.capacity() / ch;
    size_t want_frames = settings_.start_buffered_frames ? settings_.start_buffered_frames : ring_frames / 4;
    want_frames = std::min(want_frames, ring_frames - settings_.decode_block_frames);  // the feeder's last block may not fit
    const size_t want = want_frames * ch;
    const auto deadline = Clock::now() + std::chrono::seconds(5);
    while (ring_.available_read() < want && !eof_.load() && Clock::now() < deadline) {
        if (!error().ok()) return error();
        std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
    playing_.store(true, std::memory_order_release);
    if (stream_ && stream_->state() != StreamState::Running) {
        ATELIER_TRY(stream_->stop());
        ATELIER_TRY(stream_->start());
    }
    return ok_status();
}

void AudioPlayer::pause() { playing_.store(false, std::memory_order_release); }

void AudioPlayer::set_volume(float gain) { volume_.store(std::clamp(gain, 0.0f, 4.0f), std::memory_order_relaxed); }

Status AudioPlayer::reopen_at(int64_t frame) {
    ATELIER_TRY_ASSIGN(reader_, AudioReader::open(path_, format_));
    // AudioReader has no random access: decode and drop up to the target (fast for PCM/FLAC).
    int64_t left = frame;
    while (left > 0) {
        ATELIER_TRY_ASSIGN(const size_t got, reader_->read(decode_buf_, static_cast<size_t>(std::min<int64_t>(left, 16384))));
        if (got == 0) break;
        left -= static_cast<int64_t>(got);
    }
    return ok_status();
}

Status AudioPlayer::seek(int64_t position_ms) {
    const bool was_playing = playing_.exchange(false);
    if (stream_) ATELIER_TRY(stream_->stop());  // render is quiescent from here
    const int64_t frame = std::max<int64_t>(0, position_ms) * format_.sample_rate_hz / 1000;
    {
        std::lock_guard lk(mutex_);
        feeder_error_ = Error{};
        Status st = reopen_at(frame);
        ring_.reset();
        eof_.store(false);
        drained_.store(false);
        base_frames_.store(frame);
        played_frames_.store(0);
        if (!st.ok()) {
            feeder_error_ = st.error();
            return st;
        }
    }
    cv_.notify_all();
    return was_playing ? play() : ok_status();
}

int64_t AudioPlayer::position_frames() const {
    return base_frames_.load(std::memory_order_acquire) + played_frames_.load(std::memory_order_acquire);
}

int64_t AudioPlayer::position_ms() const { return position_frames() * 1000 / format_.sample_rate_hz; }

bool AudioPlayer::finished() const { return drained_.load(std::memory_order_acquire); }

StreamState AudioPlayer::stream_state() const { return stream_ ? stream_->state() : StreamState::Stopped; }

Status AudioPlayer::error() const {
    {
        std::lock_guard lk(mutex_);
        if (feeder_error_.code != ErrorCode::Invalid) return feeder_error_;
    }
    if (stream_ && stream_->state() == StreamState::DeviceLost) return stream_->lost_error();
    return ok_status();
}

}  // namespace atelier::media
