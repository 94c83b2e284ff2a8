// MediaPlayer: the transport under the preview for audio and video assets: play/pause (Space),
// seek by clicking or dragging the strip and by keys (Left/Right 5 s, Home/End), frame stepping
// when paused (, and .), volume (slider, Up/Down). Sound goes through media::AudioPlayer
// (PortAudio), opened on the first play; when no sound device opens, playback runs silently on a
// steady clock and says so.
// Video frames are decoded by media::VideoReader on the player's own worker thread, which always
// works on the newest requested time (older requests are dropped), so frames follow the audio
// clock without a queue growing. Thread-safety: GUI thread only; the worker hands frames back
// with gui::post and a request number, so stale frames are never shown.
#pragma once

#include <QElapsedTimer>
#include <QImage>
#include <QTimer>
#include <QWidget>

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

class QLabel;
class QSlider;
class QToolButton;

namespace atelier::media {
class AudioPlayer;
}

namespace gui {

// The seek strip: the waveform (min/max pairs) or a plain bar, the played part in the accent
// colour, and the playhead. A click or drag asks for a seek.
class SeekStrip : public QWidget {
    Q_OBJECT
public:
    explicit SeekStrip(QWidget* parent = nullptr);
    void setWaveform(std::vector<float> minMax);  // interleaved min,max in [-1,1]; empty: a bar
    void setDuration(int64_t ms);
    void setPosition(int64_t ms);
    int64_t positionForX(int x) const;
    QSize sizeHint() const override { return {240, 36}; }

signals:
    void seekRequested(qint64 ms);

protected:
    void paintEvent(QPaintEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;

private:
    std::vector<float> m_wave;
    int64_t m_duration = 0;
    int64_t m_position = 0;
};

struct MediaSource {
    std::filesystem::path path;
    bool has_audio = false;
    bool has_video = false;
    int64_t duration_ms = 0;
    double fps = 0;               // 0: unknown (frame steps then use 1/30 s)
    std::vector<float> waveform;  // from the project's derived data; may be empty
};

class MediaPlayer : public QWidget {
    Q_OBJECT
public:
    explicit MediaPlayer(QWidget* parent = nullptr);
    ~MediaPlayer() override;

    // Opens a source (closing any previous one). Returns false with errorText() set when it has
    // neither sound nor picture. Sound or picture failing later shows a notice, never an abort.
    bool open(const MediaSource& source);
    void close();

    void play();
    void pause();
    void togglePlay();
    void seek(int64_t ms);
    void stepFrame(int direction);  // +1 / -1 frame; pauses first
    void setVolume(float gain);     // linear 0..1 from the slider (the player allows up to 4)

    bool isOpen() const { return m_open; }
    bool isPlaying() const { return m_playing; }
    int64_t positionMs() const;
    int64_t durationMs() const { return m_source.duration_ms; }
    bool hasSoundDevice() const { return m_audio != nullptr; }  // after the first play
    QString errorText() const { return m_error; }
    QString noticeText() const;
    QImage currentFrame() const { return m_frame; }
    int64_t currentFramePtsMs() const { return m_framePtsMs; }
    SeekStrip* strip() const { return m_strip; }

signals:
    void frameReady(const QImage& frame);  // the picture to show (video sources only)
    void positionChanged(qint64 ms);
    void playingChanged(bool playing);

protected:
    void keyPressEvent(QKeyEvent* event) override;

private:
    void tick();
    void openSound();
    void showNotice(const QString& text);
    void setPlaying(bool playing);
    void requestFrame(int64_t t_ms);
    void videoLoop();
    void stopVideoWorker();
    void updateTimeLabel(int64_t ms);
    int64_t frameMs() const;

    MediaSource m_source;
    bool m_open = false;
    bool m_playing = false;
    QString m_error;
    QString m_notice;
    std::unique_ptr<atelier::media::AudioPlayer> m_audio;  // opened on the first play
    bool m_audioTried = false;
    // Steady clock when there is no sound device (or no sound): position = base + elapsed.
    QElapsedTimer m_clock;
    int64_t m_clockBaseMs = 0;
    QTimer m_timer;
    QImage m_frame;
    int64_t m_framePtsMs = -1;

    // Video worker: decodes the frame at m_wantMs whenever m_wantRequest moves.
    std::thread m_worker;
    std::mutex m_mutex;
    std::condition_variable m_cv;
    bool m_quit = false;
    uint64_t m_wantRequest = 0;  // GUI thread writes under m_mutex
    int64_t m_wantMs = 0;
    uint64_t m_shownRequest = 0;  // GUI thread only
    int64_t m_lastRequestedMs = -1;

    QToolButton* m_playButton;
    QLabel* m_time;
    SeekStrip* m_strip;
    QSlider* m_volume;
    QLabel* m_noticeLabel;
};

}  // namespace gui
