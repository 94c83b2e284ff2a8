// Real-time safety: the audio callback functions (AudioPlayer::render, AudioRecorder::capture)
// never allocate. malloc/calloc/realloc/free and operator new/delete are replaced in this test
// binary; while a thread-local "in callback" flag is set every call is counted. The callbacks are
// driven directly with real buffers (no device), through underruns, volume changes, the end of
// the file and a full ring. A self-check proves the hook does count.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <new>
#include <random>
#include <thread>
#include <vector>

#include "media/audio-player.h"
#include "media/audio-reader.h"
#include "media/audio-recorder.h"
#include "media/media-writer.h"
#include "media-test-util.h"

extern "C" {
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void __libc_free(void*);
}

namespace {
thread_local bool t_in_callback = false;
thread_local long t_allocs = 0;
inline void note() {
    if (t_in_callback) ++t_allocs;
}
}  // namespace

extern "C" {
void* malloc(size_t n) { note(); return __libc_malloc(n); }
void* calloc(size_t a, size_t b) { note(); return __libc_calloc(a, b); }
void* realloc(void* p, size_t n) { note(); return __libc_realloc(p, n); }
void free(void* p) { if (p) note(); __libc_free(p); }
}
void* operator new(size_t n) { note(); if (void* p = __libc_malloc(n ? n : 1)) return p; throw std::bad_alloc(); }
void* operator new[](size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { free(p); }
void operator delete[](void* p) noexcept { free(p); }
void operator delete(void* p, size_t) noexcept { free(p); }
void operator delete[](void* p, size_t) noexcept { free(p); }

namespace fs = std::filesystem;
using namespace atelier::media;

namespace {

struct InCallback {
    InCallback() { t_allocs = 0; t_in_callback = true; }
    ~InCallback() { t_in_callback = false; }
};

fs::path make_wav(const std::string& name, int frames) {
    static const test::TempDir tmp;  // removed when the test process exits
    const fs::path& dir = tmp.path();
    std::vector<float> pcm(static_cast<size_t>(frames) * 2);
    std::mt19937 rng(7);
    for (auto& v : pcm) v = static_cast<float>(static_cast<int>(rng() % 60000) - 30000) / 32768.0f;
    const fs::path p = dir / name;
    auto st = write_audio_file(p, pcm.data(), static_cast<size_t>(frames),
                               {.codec = AudioCodec::Pcm16, .sample_rate_hz = 48000, .channels = 2});
    EXPECT_TRUE(st.ok()) << st.error().message();
    return p;
}

}  // namespace

TEST(AudioRealtime, HookCountsAllocations) {
    long n = 0;
    {
        InCallback g;
        std::vector<float>* v = new std::vector<float>(100);
        delete v;
        void* p = std::malloc(10);
        std::free(p);
        n = t_allocs;
    }
    EXPECT_GE(n, 4);  // new, new (buffer), delete x2, malloc, free: the hook sees them
}

TEST(AudioRealtime, PlayerRenderAllocatesNothing) {
    const fs::path wav = make_wav("render.wav", 48000);
    PlayerSettings s;
    s.open_device = false;
    s.ring_frames = 65536;             // the whole second fits: play() waits for it, so no underrun
    s.start_buffered_frames = 65536;
    auto player = AudioPlayer::open(wav, s);
    ASSERT_TRUE(player.ok()) << player.error().message();
    auto& p = **player;
    std::vector<float> out(512 * 2);
    const auto expected = decode_audio(wav, {48000, 2});
    ASSERT_TRUE(expected.ok());
    // Paused: silence, nothing counted.
    { InCallback g; AudioPlayer::render(&p, nullptr, out.data(), 512); EXPECT_EQ(t_allocs, 0); }
    ASSERT_TRUE(p.play().ok());
    p.set_volume(0.5f);
    long allocs = 0;
    size_t played = 0, calls = 0;
    bool more = true, exact = true;
    while (more && calls < 10000) {
        {
            InCallback g;
            more = AudioPlayer::render(&p, nullptr, out.data(), 512);
            allocs += t_allocs;
        }
        ++calls;
        for (size_t i = 0; i < out.size() && played * 2 + i < expected->size(); ++i)
            if (out[i] != (*expected)[played * 2 + i] * 0.5f) exact = false;
        played = static_cast<size_t>(p.position_frames());
    }
    EXPECT_EQ(allocs, 0) << "allocations inside AudioPlayer::render";
    EXPECT_FALSE(more) << "render never reported the end of the file";
    EXPECT_TRUE(p.finished());
    EXPECT_EQ(p.position_frames(), 48000);
    EXPECT_EQ(p.underruns(), 0u);
    EXPECT_TRUE(exact) << "rendered samples differ from the decoded file at volume 0.5";
}

TEST(AudioRealtime, RecorderCaptureAllocatesNothing) {
    const fs::path dir = make_wav("unused.wav", 16).parent_path();
    RecorderSettings s;
    s.open_device = false;
    s.ring_frames = 4096;   // small on purpose: the ring fills and capture must drop, not allocate
    s.flush_frames = 1024;
    auto rec = AudioRecorder::open(dir / "capture.wav", s);
    ASSERT_TRUE(rec.ok()) << rec.error().message();
    auto& r = **rec;
    ASSERT_TRUE(r.start().ok());
    std::vector<float> in(256 * 2, 0.25f);
    long allocs = 0;
    for (int i = 0; i < 2000; ++i) {
        InCallback g;
        AudioRecorder::capture(&r, in.data(), nullptr, 256);
        allocs += t_allocs;
    }
    ASSERT_TRUE(r.stop().ok());
    EXPECT_EQ(allocs, 0) << "allocations inside AudioRecorder::capture";
    EXPECT_GT(r.overruns(), 0u) << "2000 buffers into a 4096-frame ring without a pause should overrun";
    EXPECT_EQ(r.frames_written(), r.frames_captured());
    EXPECT_FLOAT_EQ(r.peak_level(), 0.25f);
}
