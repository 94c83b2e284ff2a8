// Sound without hardware (ENVIRONMENT.md): an ALSA `file` PCM defined in an extra config passed
// with ALSA_CONFIG_PATH. Playback must write exactly the decoded samples to the device's output
// file; capture of a known raw recording (infile) must come back exactly in the WAV; a recorder
// killed with SIGKILL leaves a valid WAV that lost at most one flush block. The file device does
// not pace in real time, so the tests use rings that hold the whole clip.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "media/audio-device.h"
#include "media/audio-player.h"
#include "media/audio-reader.h"
#include "media/audio-recorder.h"
#include "media/media-writer.h"
#include "media-test-util.h"

namespace fs = std::filesystem;
using namespace atelier::media;

namespace {

struct FileDevice {
    fs::path dir, out_raw, in_raw;
};

// Writes an asoundrc with pcm.atelier_test (file plugin over the null PCM) and points ALSA at it.
FileDevice setup_file_device(const std::string& tag) {
    FileDevice d;
    static std::vector<std::unique_ptr<test::TempDir>> dirs;  // removed when the test process exits
    dirs.push_back(std::make_unique<test::TempDir>());
    d.dir = dirs.back()->path() / tag;
    fs::create_directories(d.dir);
    d.out_raw = d.dir / "out.raw";
    d.in_raw = d.dir / "in.raw";
    std::ofstream(d.dir / "asoundrc") << "pcm.atelier_test {\n  type file\n  slave { pcm \"null\" }\n  file \""
                                      << d.out_raw.string() << "\"\n  infile \"" << d.in_raw.string()
                                      << "\"\n  format \"raw\"\n}\n";
    const std::string path = "/usr/share/alsa/alsa.conf:" + (d.dir / "asoundrc").string();
    setenv("ALSA_CONFIG_PATH", path.c_str(), 1);
    return d;
}

// Interleaved stereo values k/32768: exact in float, in 16-bit PCM and back.
std::vector<float> known_signal(size_t frames, unsigned seed) {
    std::vector<float> v(frames * 2);
    std::mt19937 rng(seed);
    for (auto& x : v) x = static_cast<float>(static_cast<int>(rng() % 60000) - 30000) / 32768.0f;
    return v;
}

std::vector<float> read_floats(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    std::vector<char> b((std::istreambuf_iterator<char>(f)), {});
    std::vector<float> v(b.size() / sizeof(float));
    std::memcpy(v.data(), b.data(), v.size() * sizeof(float));
    return v;
}

void write_floats(const fs::path& p, const std::vector<float>& v) {
    std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(v.size() * 4));
}

// The offset (in floats, stereo-aligned) where `got` starts to equal `want`, searching the first
// `max_lead` floats for leading silence the device may add; -1 if none.
long find_alignment(const std::vector<float>& got, const std::vector<float>& want, size_t max_lead) {
    const size_t probe = std::min<size_t>(256, want.size());
    for (size_t k = 0; k + probe <= got.size() && k <= max_lead; k += 2)
        if (std::equal(want.begin(), want.begin() + static_cast<long>(probe), got.begin() + static_cast<long>(k)))
            return static_cast<long>(k);
    return -1;
}

struct WavFacts {
    bool valid = false;
    uint16_t format = 0, channels = 0, bits = 0;
    uint32_t rate = 0, riff_size = 0, data_bytes = 0;
    size_t file_bytes = 0;
    std::vector<int16_t> samples;  // what the header's data size covers
};

WavFacts parse_wav(const fs::path& p) {  // an independent little parser, not our writer's code
    WavFacts w;
    std::ifstream f(p, std::ios::binary);
    std::vector<uint8_t> b((std::istreambuf_iterator<char>(f)), {});
    w.file_bytes = b.size();
    if (b.size() < 44 || std::memcmp(b.data(), "RIFF", 4) || std::memcmp(b.data() + 8, "WAVEfmt ", 8) ||
        std::memcmp(b.data() + 36, "data", 4))
        return w;
    auto u16 = [&](size_t o) { return static_cast<uint16_t>(b[o] | b[o + 1] << 8); };
    auto u32 = [&](size_t o) { return static_cast<uint32_t>(u16(o) | static_cast<uint32_t>(u16(o + 2)) << 16); };
    w.riff_size = u32(4);
    w.format = u16(20);
    w.channels = u16(22);
    w.rate = u32(24);
    w.bits = u16(34);
    w.data_bytes = u32(40);
    w.valid = w.riff_size == 36 + w.data_bytes && 44 + static_cast<size_t>(w.data_bytes) <= b.size();
    if (w.valid) {
        w.samples.resize(w.data_bytes / 2);
        std::memcpy(w.samples.data(), b.data() + 44, w.samples.size() * 2);
    }
    return w;
}

}  // namespace

TEST(AudioDevice, ListsTheFileDevice) {
    const FileDevice dev = setup_file_device("list");
    write_floats(dev.in_raw, known_signal(16, 4));  // capture is offered only when the infile exists
    auto devs = list_audio_devices();
    ASSERT_TRUE(devs.ok()) << devs.error().message();
    const AudioDeviceInfo* found = nullptr;
    for (const auto& d : *devs)
        if (d.name == "atelier_test") found = &d;
    ASSERT_NE(found, nullptr) << "PortAudio's ALSA host did not list pcm.atelier_test";
    EXPECT_EQ(found->host_api, "ALSA");
    EXPECT_GT(found->max_output_channels, 0);
    EXPECT_GT(found->max_input_channels, 0);
    EXPECT_GT(found->default_sample_rate_hz, 0);
    EXPECT_NE(audio_devices_json(*devs).find("\"atelier_test\""), std::string::npos);
}

TEST(AudioDevice, UnknownDeviceIsAClearError) {
    setup_file_device("unknown");
    auto s = AudioStream::open(StreamDirection::Playback, {.device = "no-such-device-xyz"},
                               [](void*, const float*, float*, size_t) { return true; }, nullptr);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, atelier::ErrorCode::AudioDeviceFailed);
    EXPECT_NE(s.error().detail.find("no-such-device-xyz"), std::string::npos);
    EXPECT_NE(s.error().hint.find("media devices"), std::string::npos);
}

TEST(AudioDevice, PlaybackWritesExactlyTheDecodedSamples) {
    const FileDevice d = setup_file_device("play");
    const auto src = known_signal(48000, 1);
    const fs::path wav = d.dir / "clip.wav";
    ASSERT_TRUE(write_audio_file(wav, src.data(), 48000, {.codec = AudioCodec::Pcm16, .sample_rate_hz = 48000, .channels = 2}).ok());
    const auto decoded = decode_audio(wav, {48000, 2});
    ASSERT_TRUE(decoded.ok());
    {
        PlayerSettings s;
        s.stream.device = "atelier_test";
        s.ring_frames = 65536;
        s.start_buffered_frames = 65536;  // the device is not paced: buffer the whole clip first
        auto player = AudioPlayer::open(wav, s);
        ASSERT_TRUE(player.ok()) << player.error().message();
        ASSERT_TRUE((*player)->play().ok());
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (!(*player)->finished() && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        ASSERT_TRUE((*player)->finished()) << "state " << stream_state_name((*player)->stream_state());
        EXPECT_EQ((*player)->underruns(), 0u);
        EXPECT_EQ((*player)->position_frames(), 48000);
    }  // closing the stream closes the device's output file
    const auto out = read_floats(d.out_raw);
    ASSERT_GE(out.size(), decoded->size()) << "the file device received fewer samples than were decoded";
    // PortAudio's ALSA host primes the device with silence (768 frames here): find where the
    // clip starts, require silence before it, then every sample exactly, then only padding.
    const long lead = find_alignment(out, *decoded, 48000);
    ASSERT_GE(lead, 0) << "the decoded samples were not found in the device output";
    const size_t at = static_cast<size_t>(lead);
    ASSERT_GE(out.size(), at + decoded->size()) << "the device received only part of the clip";
    size_t nonzero_lead = 0, diffs = 0, nonzero_tail = 0;
    for (size_t i = 0; i < at; ++i) nonzero_lead += out[i] != 0.0f;
    for (size_t i = 0; i < decoded->size(); ++i) diffs += out[at + i] != (*decoded)[i];
    for (size_t i = at + decoded->size(); i < out.size(); ++i) nonzero_tail += out[i] != 0.0f;
    EXPECT_EQ(nonzero_lead, 0u);
    EXPECT_EQ(diffs, 0u);
    EXPECT_EQ(nonzero_tail, 0u);
}

TEST(AudioDevice, CaptureReturnsTheKnownRecordingExactly) {
    const FileDevice d = setup_file_device("capture");
    const auto src = known_signal(96000, 2);  // 2 s fed through infile
    write_floats(d.in_raw, src);
    const fs::path wav = d.dir / "rec.wav";
    {
        RecorderSettings s;
        s.stream.device = "atelier_test";
        s.ring_frames = 1 << 17;  // the device is not paced: the ring holds the whole take
        s.max_frames = 48000;
        auto rec = AudioRecorder::open(wav, s);
        ASSERT_TRUE(rec.ok()) << rec.error().message();
        ASSERT_TRUE((*rec)->start().ok());
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (!(*rec)->reached_max() && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        ASSERT_TRUE((*rec)->stop().ok());
        EXPECT_EQ((*rec)->overruns(), 0u);
        EXPECT_EQ((*rec)->frames_written(), 48000);
    }
    const WavFacts w = parse_wav(wav);
    ASSERT_TRUE(w.valid);
    EXPECT_EQ(w.format, 1);
    EXPECT_EQ(w.channels, 2);
    EXPECT_EQ(w.rate, 48000u);
    EXPECT_EQ(w.bits, 16);
    std::vector<float> got(w.samples.size());
    for (size_t i = 0; i < got.size(); ++i) got[i] = static_cast<float>(w.samples[i]) / 32768.0f;
    const long at = find_alignment(got, src, 48000);
    ASSERT_GE(at, 0) << "the known recording was not found in the capture";
    size_t diffs = 0;
    for (size_t i = static_cast<size_t>(at); i < got.size(); ++i) diffs += got[i] != src[i - static_cast<size_t>(at)];
    EXPECT_EQ(diffs, 0u);
    EXPECT_EQ(got.size() - static_cast<size_t>(at), 96000u - static_cast<size_t>(at));
}

// The child records (its capture callback fed by a thread at a steady pace, standing in for the
// unpaced file device), tells the parent how many frames it fed, and is killed with SIGKILL.
TEST(AudioDevice, RecordingSurvivesSigkillLosingAtMostOneBlock) {
    const FileDevice d = setup_file_device("kill");
    const fs::path wav = d.dir / "killed.wav";
    constexpr size_t kFlush = 4096, kFed = 10 * kFlush + 1000;
    const auto src = known_signal(kFed, 3);
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        close(fds[0]);
        RecorderSettings s;
        s.open_device = false;
        s.flush_frames = kFlush;
        auto rec = AudioRecorder::open(wav, s);
        if (!rec.ok() || !(*rec)->start().ok()) _exit(3);
        for (size_t at = 0; at < kFed; at += 256) {
            AudioRecorder::capture(rec->get(), src.data() + at * 2, nullptr, std::min<size_t>(256, kFed - at));
            std::this_thread::sleep_for(std::chrono::microseconds(300));
        }
        const size_t fed = kFed;
        (void)!write(fds[1], &fed, sizeof fed);
        for (;;) pause();  // still recording when the parent kills us
    }
    close(fds[1]);
    size_t fed = 0;
    ASSERT_EQ(read(fds[0], &fed, sizeof fed), static_cast<ssize_t>(sizeof fed));
    close(fds[0]);
    const uint32_t want_bytes = static_cast<uint32_t>(kFed / kFlush * kFlush * 4);  // every full block
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (parse_wav(wav).data_bytes < want_bytes && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    const WavFacts w = parse_wav(wav);
    ASSERT_TRUE(w.valid) << "header does not describe the file after SIGKILL";
    EXPECT_EQ(w.channels, 2);
    const size_t frames = w.samples.size() / 2;
    EXPECT_LT(fed - frames, kFlush) << "lost more than one block: fed " << fed << ", file holds " << frames;
    size_t diffs = 0;
    for (size_t i = 0; i < w.samples.size(); ++i) diffs += static_cast<float>(w.samples[i]) / 32768.0f != src[i];
    EXPECT_EQ(diffs, 0u);
}
