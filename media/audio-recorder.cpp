// AudioRecorder (see audio-recorder.h): the capture callback, the writer thread and the
// crash-safe WAV file. File layout (canonical RIFF/WAVE, little-endian):
//   0 "RIFF" u32 36+data | 8 "WAVE" | 12 "fmt " u32 16, u16 1 (PCM), u16 channels, u32 rate,
//   u32 byte rate, u16 block align, u16 16 (bits) | 36 "data" u32 data bytes | 44 samples (s16).
// Samples are appended first and the two sizes patched afterwards, so the header never claims
// bytes that are not in the file.
#include "media/audio-recorder.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>

namespace atelier::media {
namespace fs = std::filesystem;

namespace {

void put_u16(std::vector<uint8_t>& b, uint16_t v) { b.push_back(v & 0xff); b.push_back(v >> 8); }
void put_u32(std::vector<uint8_t>& b, uint32_t v) { for (int i = 0; i < 4; ++i) b.push_back((v >> (8 * i)) & 0xff); }
void put_tag(std::vector<uint8_t>& b, const char* t) { b.insert(b.end(), t, t + 4); }

Error io_error(const fs::path& path, const char* what, int err) {
    const ErrorCode code = err == ENOSPC ? ErrorCode::DiskFull
                           : (err == EACCES || err == EPERM) ? ErrorCode::PermissionDenied : ErrorCode::IoError;
    return make_error(code, std::string(what) + " " + path.string() + ": " + std::strerror(err),
                      err == ENOSPC ? "free some disk space; what was recorded so far is kept"
                                    : "check that the folder exists and can be written");
}

bool write_all(int fd, const void* data, size_t n, off_t at) {
    const auto* p = static_cast<const uint8_t*>(data);
    while (n > 0) {
        const ssize_t w = pwrite(fd, p, n, at);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        p += w;
        n -= static_cast<size_t>(w);
        at += w;
    }
    return true;
}

}  // namespace

std::vector<uint8_t> wav_header_pcm16(int sample_rate_hz, int channels, uint32_t data_bytes) {
    std::vector<uint8_t> h;
    h.reserve(44);
    const auto block_align = static_cast<uint16_t>(channels * 2);
    put_tag(h, "RIFF"); put_u32(h, 36 + data_bytes); put_tag(h, "WAVE");
    put_tag(h, "fmt "); put_u32(h, 16); put_u16(h, 1); put_u16(h, static_cast<uint16_t>(channels));
    put_u32(h, static_cast<uint32_t>(sample_rate_hz)); put_u32(h, static_cast<uint32_t>(sample_rate_hz) * block_align);
    put_u16(h, block_align); put_u16(h, 16);
    put_tag(h, "data"); put_u32(h, data_bytes);
    return h;
}

Result<std::unique_ptr<AudioRecorder>> AudioRecorder::open(const fs::path& path, const RecorderSettings& settings) {
    const StreamSettings& s = settings.stream;
    if (s.channels <= 0 || s.channels > 32 || s.sample_rate_hz <= 0 || settings.flush_frames == 0)
        return make_error(ErrorCode::InvalidArgument, "recorder: bad rate, channel count or flush size for " + path.string());
    const size_t ring_frames = std::max(settings.ring_frames, 4 * settings.flush_frames);
    auto r = std::unique_ptr<AudioRecorder>(new AudioRecorder(ring_frames * static_cast<size_t>(s.channels)));
    r->path_ = path;
    r->settings_ = settings;
    r->block_.resize(settings.flush_frames * static_cast<size_t>(s.channels));
    r->pcm_.resize(r->block_.size());
    r->fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (r->fd_ < 0) return io_error(path, "cannot create", errno);
    ATELIER_TRY(r->patch_header());
    if (settings.open_device) {
        ATELIER_TRY_ASSIGN(r->stream_, AudioStream::open(StreamDirection::Capture, s, &AudioRecorder::capture, r.get()));
    }
    return r;
}

AudioRecorder::~AudioRecorder() {
    (void)stop();
    if (fd_ >= 0) ::close(fd_);
}

bool AudioRecorder::capture(void* user, const float* in, float*, size_t frames) {
    auto* r = static_cast<AudioRecorder*>(user);
    if (!r->recording_.load(std::memory_order_acquire) || !in) return true;
    const auto ch = static_cast<size_t>(r->settings_.stream.channels);
    const int64_t max = r->settings_.max_frames;
    const int64_t done = r->captured_frames_.load(std::memory_order_relaxed);
    if (max > 0) frames = static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(frames), max - done));
    const size_t fit = std::min(frames, r->ring_.available_write() / ch);
    if (fit < frames) {
        r->overruns_.fetch_add(1, std::memory_order_relaxed);  // the writer fell behind: drop this buffer
        return true;
    }
    r->ring_.write(in, frames * ch);
    r->captured_frames_.store(done + static_cast<int64_t>(frames), std::memory_order_release);
    return max <= 0 || done + static_cast<int64_t>(frames) < max;
}

Status AudioRecorder::patch_header() {
    const auto h = wav_header_pcm16(settings_.stream.sample_rate_hz, settings_.stream.channels,
                                    static_cast<uint32_t>(std::min<int64_t>(data_bytes_, 0xffffffffLL - 36)));
    if (!write_all(fd_, h.data(), h.size(), 0)) return io_error(path_, "cannot write the header of", errno);
    return ok_status();
}

Status AudioRecorder::flush_block(size_t max_floats) {
    const auto ch = static_cast<size_t>(settings_.stream.channels);
    const size_t n = ring_.read(block_.data(), std::min(max_floats, ring_.available_read()) / ch * ch);
    if (n == 0) return ok_status();
    float peak = 0;
    for (size_t i = 0; i < n; ++i) {
        const float x = block_[i];
        peak = std::max(peak, std::fabs(x));
        pcm_[i] = static_cast<int16_t>(std::clamp<long>(std::lrintf(x * 32768.0f), -32768, 32767));
    }
    peak_.store(std::min(peak, 1.0f), std::memory_order_relaxed);
    if (!write_all(fd_, pcm_.data(), n * sizeof(int16_t), static_cast<off_t>(44 + data_bytes_)))
        return io_error(path_, "cannot write to", errno);
    data_bytes_ += static_cast<int64_t>(n * sizeof(int16_t));
    ATELIER_TRY(patch_header());
    written_frames_.store(data_bytes_ / static_cast<int64_t>(2 * ch), std::memory_order_release);
    return ok_status();
}

void AudioRecorder::writer_loop() {
    const size_t block = block_.size();
    const int64_t flush_ms = static_cast<int64_t>(settings_.flush_frames) * 1000 / settings_.stream.sample_rate_hz;
    const auto nap = std::chrono::milliseconds(std::clamp<int64_t>(flush_ms / 4, 1, 10));
    for (;;) {
        const bool stopping = stopping_.load(std::memory_order_acquire);
        if (ring_.available_read() >= block || (stopping && ring_.available_read() > 0)) {
            Status st = flush_block(block);
            if (!st.ok()) {
                std::lock_guard lk(mutex_);
                write_error_ = st.error();
                recording_.store(false);
                return;
            }
            continue;
        }
        if (stopping) return;
        std::this_thread::sleep_for(nap);
    }
}

Status AudioRecorder::start() {
    if (stopped_) return make_error(ErrorCode::InvalidArgument, "recorder for " + path_.string() + " was already stopped");
    if (writer_.joinable()) return ok_status();
    recording_.store(true, std::memory_order_release);
    writer_ = std::thread([this] { writer_loop(); });
    if (stream_) {
        Status st = stream_->start();
        if (!st.ok()) {
            (void)stop();
            return st;
        }
    }
    return ok_status();
}

Status AudioRecorder::stop() {
    if (stopped_) return error();
    stopped_ = true;
    if (stream_) (void)stream_->stop();  // the callback is quiescent from here
    recording_.store(false, std::memory_order_release);
    stopping_.store(true, std::memory_order_release);
    if (writer_.joinable()) writer_.join();
    if (fd_ >= 0) {
        if (::fsync(fd_) != 0 && write_error_.code == ErrorCode::Invalid) write_error_ = io_error(path_, "cannot sync", errno);
        ::close(fd_);
        fd_ = -1;
    }
    std::lock_guard lk(mutex_);
    if (write_error_.code != ErrorCode::Invalid) return write_error_;
    return ok_status();
}

bool AudioRecorder::reached_max() const {
    return settings_.max_frames > 0 && frames_captured() >= settings_.max_frames;
}

StreamState AudioRecorder::stream_state() const { return stream_ ? stream_->state() : StreamState::Stopped; }

Status AudioRecorder::error() const {
    {
        std::lock_guard lk(mutex_);
        if (write_error_.code != ErrorCode::Invalid) return write_error_;
    }
    if (stream_ && stream_->state() == StreamState::DeviceLost) return stream_->lost_error();
    return ok_status();
}

}  // namespace atelier::media
