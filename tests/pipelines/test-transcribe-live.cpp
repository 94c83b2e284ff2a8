// Live transcription (issue 6 §4): the decimator against sines of known frequency (pass band
// kept, aliases removed), and the microphone job on the ALSA file device (ENVIRONMENT.md) fed
// the tone bursts at 48 kHz: captions stream while it listens, and the stored transcript's
// segments sit at the bursts' known times.
#include <gtest/gtest.h>

#include <cmath>
#include <mutex>

#include <nlohmann/json.hpp>

#include "fake-recogniser.h"
#include "pipelines/transcribe-live.h"
#include "studio-fixture.h"
#include "transcribe-fixture.h"

namespace atelier::test {
namespace {
namespace pl = pipelines;
using nlohmann::json;

double rms(const std::vector<float>& v, size_t skip) {
    double e = 0;
    for (size_t i = skip; i < v.size(); ++i) e += double(v[i]) * v[i];
    return std::sqrt(e / double(v.size() - skip));
}

// A sine at `hz` sampled at `rate`, pushed through the decimator in odd-sized blocks.
std::vector<float> decimate_sine(int rate, double hz) {
    pl::Decimator d(rate / 16000);
    std::vector<float> in(static_cast<size_t>(rate)), out;
    for (size_t i = 0; i < in.size(); ++i) in[i] = float(std::sin(2.0 * M_PI * hz * double(i) / rate));
    for (size_t at = 0; at < in.size();) {
        const size_t n = std::min<size_t>(in.size() - at, 1 + (at * 7919) % 997);
        d.process(in.data() + at, n, out);
        at += n;
    }
    return out;
}

TEST(TranscribeDecimator, KeepsSpeechBandAndRemovesAliases) {
    for (int rate : {48000, 32000}) {
        const auto pass = decimate_sine(rate, 1000.0);
        ASSERT_NEAR(double(pass.size()), 16000.0, 1.0) << rate;
        EXPECT_NEAR(rms(pass, 200), 1.0 / std::sqrt(2.0), 0.01) << rate;
        // 1 kHz at 16 kHz crosses zero 2000 times a second.
        size_t crossings = 0;
        for (size_t i = 201; i < pass.size(); ++i) crossings += (pass[i - 1] < 0) != (pass[i] < 0);
        EXPECT_NEAR(double(crossings), 2000.0 * double(pass.size() - 201) / 16000.0, 4.0) << rate;
        // 12 kHz would alias to 4 kHz at 16 kHz: it must be gone (> 40 dB down).
        const auto stop = decimate_sine(rate, 12000.0);
        EXPECT_LT(rms(stop, 200), 0.01 / std::sqrt(2.0)) << rate;
    }
    const auto same = decimate_sine(16000, 1000.0);
    EXPECT_EQ(same.size(), 16000u);
}

class LiveTest : public StudioTest {
protected:
    void SetUp() override {
        StudioTest::SetUp();
        in_raw_ = dir_ / "mic.raw";
        write_file(dir_ / "asoundrc", "pcm.atelier_test {\n  type file\n  slave { pcm \"null\" }\n  file \"" +
                                          (dir_ / "out.raw").string() + "\"\n  infile \"" + in_raw_.string() +
                                          "\"\n  format \"raw\"\n}\n");
        setenv("ALSA_CONFIG_PATH", ("/usr/share/alsa/alsa.conf:" + (dir_ / "asoundrc").string()).c_str(), 1);
    }
    fs::path in_raw_;
};

TEST_F(LiveTest, MicrophoneCaptionsStreamAndTheTakeIsStored) {
    const std::vector<float> feed = burst_samples(48000, 1);
    write_file(in_raw_, std::string(reinterpret_cast<const char*>(feed.data()), feed.size() * sizeof(float)));
    pl::MicrophoneOptions mic;
    mic.device = "atelier_test";
    mic.sample_rate_hz = 48000;
    mic.max_duration_ms = kBurstsTotalMs;
    mic.step_ms = 20;
    mic.ring_frames = 1 << 19;  // the file device is not paced: the ring holds the whole take
    pl::TranscribeSettings s;
    s.model = "fake";
    s.language = "en";
    std::mutex m;
    std::vector<json> captions;
    JobInfo final_info;
    pl::StudioEvents ev;
    ev.on_job_partial = [&](JobId, const JobPartial& p) {
        std::lock_guard lock(m);
        if (p.kind == "caption") captions.push_back(json::parse(p.payload));
    };
    ev.on_job_state = [&](const JobInfo& i) {
        if (job_state_is_final(i.state)) final_info = i;
    };
    studio().set_events(ev);
    auto report = std::make_shared<pl::TranscribeReport>();
    const JobId id = pl::submit_transcribe_microphone(studio(), mic, s, fake_loader(), report);
    ASSERT_TRUE(studio().wait(id, std::chrono::seconds(60)));
    studio().drain();
    studio().set_events({});
    ASSERT_EQ(final_info.state, JobState::Done) << final_info.error.message();
    EXPECT_FALSE(captions.empty());
    const std::string t = report->transcript_uuid;
    ASSERT_FALSE(t.empty());
    ASSERT_EQ(sql("SELECT count(*) FROM transcript_segments WHERE transcript_uuid='" + t + "'"), std::to_string(kBursts.size()));
    for (size_t i = 0; i < kBursts.size(); ++i) {
        const std::string where = " FROM transcript_segments WHERE seq=" + std::to_string(i);
        EXPECT_NEAR(std::stoll(sql("SELECT start_ms" + where)), kBursts[i].start_ms, 60) << i;
        EXPECT_NEAR(std::stoll(sql("SELECT end_ms" + where)), kBursts[i].end_ms, 60) << i;
        EXPECT_EQ(sql("SELECT text" + where), " tone " + std::to_string(int(kBursts[i].hz)));
    }
    EXPECT_EQ(sql("SELECT json_extract(params_json, '$.source') FROM generations"), "microphone");
    EXPECT_EQ(sql("SELECT count(*) FROM transcripts WHERE asset_uuid IS NULL AND language = 'en'"), "1");
}

TEST_F(LiveTest, UnknownDeviceAndBadRateFailClearly) {
    pl::MicrophoneOptions mic;
    mic.device = "no-such-input-device-xyz";
    pl::TranscribeSettings s;
    s.model = "fake";
    std::optional<JobInfo> final_info;
    pl::StudioEvents ev;
    ev.on_job_state = [&](const JobInfo& i) {
        if (job_state_is_final(i.state)) final_info = i;
    };
    studio().set_events(ev);
    JobId id = pl::submit_transcribe_microphone(studio(), mic, s, fake_loader());
    ASSERT_TRUE(studio().wait(id, std::chrono::seconds(30)));
    studio().drain();
    ASSERT_TRUE(final_info);
    EXPECT_EQ(final_info->state, JobState::Failed);
    EXPECT_EQ(final_info->error.code, ErrorCode::AudioDeviceFailed) << final_info->error.message();
    mic.device.clear();
    mic.sample_rate_hz = 44100;
    id = pl::submit_transcribe_microphone(studio(), mic, s, fake_loader());
    ASSERT_TRUE(studio().wait(id, std::chrono::seconds(30)));
    studio().drain();
    EXPECT_EQ(final_info->error.code, ErrorCode::InvalidArgument);
    EXPECT_NE(final_info->error.hint.find("48000"), std::string::npos);
    studio().set_events({});
    EXPECT_EQ(sql("SELECT count(*) FROM transcripts"), "0");
}

}  // namespace
}  // namespace atelier::test
