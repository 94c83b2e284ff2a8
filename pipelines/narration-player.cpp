// NarrationPlayer (narration-player.h): the feeder thread and the real-time render function.
// The feeder polls the ring every few milliseconds for room (render cannot signal: no locks there).
// Thread-safety: as in the header; render touches only the ring and atomics.
#include "pipelines/narration-player.h"

#include <chrono>
#include <cstring>

namespace atelier::pipelines {

Result<std::unique_ptr<NarrationPlayer>> NarrationPlayer::open(int sample_rate_hz, const NarrationPlayerOptions& options) {
    if (sample_rate_hz <= 0) return make_error(ErrorCode::InvalidArgument, "narration player: no sample rate");
    std::unique_ptr<NarrationPlayer> p(new NarrationPlayer(sample_rate_hz, options.ring_frames));
    if (options.open_device) {
        media::StreamSettings s{.device = options.device, .sample_rate_hz = sample_rate_hz, .channels = 1};
        ATELIER_TRY_ASSIGN(p->stream_, media::AudioStream::open(media::StreamDirection::Playback, s, &NarrationPlayer::render, p.get()));
    }
    p->feeder_ = std::thread([raw = p.get()] { raw->feeder_loop(); });
    return p;
}

NarrationPlayer::~NarrationPlayer() {
    stream_.reset();  // the callback is gone before the ring and the feeder go
    {
        std::lock_guard lock(mutex_);
        quit_ = true;
    }
    cv_.notify_all();
    if (feeder_.joinable()) feeder_.join();
}

void NarrationPlayer::append(std::span<const float> pcm) {
    {
        std::lock_guard lock(mutex_);
        if (ended_) return;
        pending_.insert(pending_.end(), pcm.begin(), pcm.end());
    }
    cv_.notify_all();
}

void NarrationPlayer::end_input() {
    {
        std::lock_guard lock(mutex_);
        ended_ = true;
    }
    cv_.notify_all();
}

Status NarrationPlayer::start() { return stream_ ? stream_->start() : ok_status(); }

void NarrationPlayer::stop() {
    if (stream_) (void)stream_->stop();
}

Status NarrationPlayer::error() const {
    if (stream_ && stream_->state() == media::StreamState::DeviceLost) return stream_->lost_error();
    return ok_status();
}

bool NarrationPlayer::render(void* user, const float*, float* out, size_t frames) {
    auto* p = static_cast<NarrationPlayer*>(user);
    // eof before the read: if it was set, every frame is already in the ring.
    const bool eof = p->eof_.load(std::memory_order_acquire);
    const size_t got = p->ring_.read(out, frames);
    if (got < frames) std::memset(out + got, 0, (frames - got) * sizeof(float));
    p->played_.fetch_add(static_cast<int64_t>(got), std::memory_order_release);
    if (got < frames && eof) {
        p->drained_.store(true, std::memory_order_release);
        return false;
    }
    return true;
}

void NarrationPlayer::feeder_loop() {
    std::unique_lock lock(mutex_);
    while (!quit_) {
        const size_t room = ring_.available_write();
        const size_t n = std::min(room, pending_.size() - fed_);
        if (n > 0) fed_ += ring_.write(pending_.data() + fed_, n);
        if (ended_ && fed_ == pending_.size()) {
            eof_.store(true, std::memory_order_release);
            break;
        }
        cv_.wait_for(lock, std::chrono::milliseconds(5));
    }
}

}  // namespace atelier::pipelines
