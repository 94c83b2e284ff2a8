// MediaPlayer and SeekStrip implementation.
#include "gui/player/media-player.h"

#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QMouseEvent>
#include <QPainter>
#include <QSlider>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

#include "gui/app/error-text.h"
#include "gui/app/theme.h"
#include "gui/post.h"
#include "media/audio-player.h"
#include "media/video-reader.h"

namespace gui {

namespace {
constexpr int kTickMs = 30;            // GUI refresh while playing (~33 Hz)
constexpr int64_t kSeekStepMs = 5000;  // Left/Right
constexpr int kMaxVideoWidth = 1280;   // frames are decoded at most this wide (preview only)

QString clock(int64_t ms) {
    const int64_t s = std::max<int64_t>(0, ms) / 1000;
    if (s >= 3600) return QStringLiteral("%1:%2:%3").arg(s / 3600).arg((s / 60) % 60, 2, 10, QLatin1Char('0')).arg(s % 60, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1:%2").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
}
}  // namespace

// ---- SeekStrip ----

SeekStrip::SeekStrip(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("seekStrip"));
    setMinimumHeight(28);
    setCursor(Qt::PointingHandCursor);
    setToolTip(tr("Click or drag to seek"));
}

void SeekStrip::setWaveform(std::vector<float> minMax) {
    m_wave = std::move(minMax);
    update();
}
void SeekStrip::setDuration(int64_t ms) {
    m_duration = std::max<int64_t>(0, ms);
    update();
}
void SeekStrip::setPosition(int64_t ms) {
    if (ms == m_position) return;
    m_position = ms;
    update();
}

int64_t SeekStrip::positionForX(int x) const {
    if (width() <= 1 || m_duration <= 0) return 0;
    const double f = std::clamp(static_cast<double>(x) / (width() - 1), 0.0, 1.0);
    return static_cast<int64_t>(std::llround(f * static_cast<double>(m_duration)));
}

void SeekStrip::paintEvent(QPaintEvent*) {
    QPainter p(this);
    const QColor base = palette().color(QPalette::Mid), accent = accentColor();
    const int w = width(), h = height();
    const int played = m_duration > 0 ? static_cast<int>(std::llround(static_cast<double>(m_position) / m_duration * (w - 1))) : 0;
    const size_t buckets = m_wave.size() / 2;
    if (buckets == 0) {  // a plain bar
        p.fillRect(0, h / 2 - 2, w, 4, base);
        p.fillRect(0, h / 2 - 2, played, 4, accent);
    } else {
        for (int x = 0; x < w; ++x) {
            const size_t b = std::min(buckets - 1, static_cast<size_t>(static_cast<double>(x) / w * buckets));
            const float lo = std::clamp(m_wave[2 * b], -1.0f, 1.0f), hi = std::clamp(m_wave[2 * b + 1], -1.0f, 1.0f);
            const int y0 = static_cast<int>((1.0f - hi) * 0.5f * (h - 1)), y1 = static_cast<int>((1.0f - lo) * 0.5f * (h - 1));
            p.setPen(x <= played ? accent : base);
            p.drawLine(x, y0, x, std::max(y0, y1));
        }
    }
    p.setPen(QPen(palette().color(QPalette::WindowText), 2));
    p.drawLine(played, 0, played, h - 1);
}

void SeekStrip::mousePressEvent(QMouseEvent* event) {
    if (event->button() == Qt::LeftButton) emit seekRequested(positionForX(static_cast<int>(event->position().x())));
}
void SeekStrip::mouseMoveEvent(QMouseEvent* event) {
    if (event->buttons() & Qt::LeftButton) emit seekRequested(positionForX(static_cast<int>(event->position().x())));
}

// ---- MediaPlayer ----

MediaPlayer::MediaPlayer(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("mediaPlayer"));
    setFocusPolicy(Qt::StrongFocus);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 4, 8, 4);
    layout->setSpacing(2);
    auto* row = new QHBoxLayout();
    row->setSpacing(6);
    m_playButton = new QToolButton(this);
    m_playButton->setObjectName(QStringLiteral("playButton"));
    m_playButton->setToolButtonStyle(Qt::ToolButtonTextOnly);
    m_playButton->setText(tr("Play"));
    m_playButton->setToolTip(tr("Play / pause (Space)"));
    m_strip = new SeekStrip(this);
    m_time = new QLabel(QStringLiteral("0:00 / 0:00"), this);
    m_time->setObjectName(QStringLiteral("playerTime"));
    m_volume = new QSlider(Qt::Horizontal, this);
    m_volume->setObjectName(QStringLiteral("volumeSlider"));
    m_volume->setRange(0, 100);
    m_volume->setValue(100);
    m_volume->setMaximumWidth(80);
    m_volume->setToolTip(tr("Volume (Up / Down)"));
    row->addWidget(m_playButton);
    row->addWidget(m_strip, 1);
    row->addWidget(m_time);
    row->addWidget(m_volume);
    layout->addLayout(row);
    m_noticeLabel = new QLabel(this);
    m_noticeLabel->setObjectName(QStringLiteral("playerNotice"));
    m_noticeLabel->setWordWrap(true);
    m_noticeLabel->setVisible(false);
    layout->addWidget(m_noticeLabel);

    m_timer.setInterval(kTickMs);
    connect(&m_timer, &QTimer::timeout, this, &MediaPlayer::tick);
    connect(m_playButton, &QToolButton::clicked, this, &MediaPlayer::togglePlay);
    connect(m_strip, &SeekStrip::seekRequested, this, [this](qint64 ms) { seek(ms); });
    connect(m_volume, &QSlider::valueChanged, this, [this](int v) { setVolume(static_cast<float>(v) / 100.0f); });
}

MediaPlayer::~MediaPlayer() { close(); }

QString MediaPlayer::noticeText() const { return m_notice; }

bool MediaPlayer::open(const MediaSource& source) {
    close();
    m_source = source;
    m_error.clear();
    m_notice.clear();
    m_audioTried = false;
    if (!source.has_audio && !source.has_video) {
        m_error = tr("This file has neither sound nor picture to play.");
        return false;
    }
    if (source.has_video) {
        m_quit = false;
        m_worker = std::thread([this] { videoLoop(); });
    }
    m_open = true;
    m_clockBaseMs = 0;
    m_strip->setWaveform(source.waveform);
    m_strip->setDuration(m_source.duration_ms);
    m_strip->setPosition(0);
    showNotice(QString());
    updateTimeLabel(0);
    if (source.has_video) requestFrame(0);
    return true;
}

// The sound device is opened on the first play, not on open: browsing assets must not hold the
// device (or pay PortAudio's start-up) for files nobody plays.
void MediaPlayer::openSound() {
    if (m_audioTried || !m_source.has_audio) return;
    m_audioTried = true;
    auto player = atelier::media::AudioPlayer::open(m_source.path, {});
    if (!player) {
        const bool device = player.error().code == atelier::ErrorCode::AudioDeviceFailed;
        showNotice(device ? tr("No sound device could be opened, so this plays silently. %1").arg(userMessage(player.error()))
                          : tr("The sound of this file cannot be played: %1").arg(userMessage(player.error())));
        return;
    }
    m_audio = std::move(*player);
    m_audio->set_volume(static_cast<float>(m_volume->value()) / 100.0f);
    if (m_source.duration_ms <= 0) {
        m_source.duration_ms = m_audio->duration_ms();
        m_strip->setDuration(m_source.duration_ms);
    }
    if (m_clockBaseMs > 0) {
        atelier::Status s = m_audio->seek(m_clockBaseMs);
        if (!s.ok()) showNotice(tr("Seek failed: %1").arg(userMessage(s.error())));
    }
}

void MediaPlayer::showNotice(const QString& text) {
    m_notice = text;
    m_noticeLabel->setText(text);
    m_noticeLabel->setVisible(!text.isEmpty());
}

void MediaPlayer::close() {
    m_timer.stop();
    stopVideoWorker();
    m_audio.reset();
    m_open = false;
    m_frame = QImage();
    m_framePtsMs = -1;
    m_lastRequestedMs = -1;
    if (m_playing) setPlaying(false);
}

void MediaPlayer::stopVideoWorker() {
    if (!m_worker.joinable()) return;
    {
        std::lock_guard lock(m_mutex);
        m_quit = true;
    }
    m_cv.notify_all();
    m_worker.join();
}

int64_t MediaPlayer::positionMs() const {
    int64_t ms = m_clockBaseMs;
    if (m_audio) ms = m_audio->position_ms();
    else if (m_playing) ms = m_clockBaseMs + m_clock.elapsed();
    return std::clamp<int64_t>(ms, 0, std::max<int64_t>(0, m_source.duration_ms));
}

void MediaPlayer::setPlaying(bool playing) {
    m_playing = playing;
    m_playButton->setText(playing ? tr("Pause") : tr("Play"));
    emit playingChanged(playing);
}

void MediaPlayer::play() {
    if (!m_open || m_playing) return;
    if (m_source.duration_ms > 0 && positionMs() >= m_source.duration_ms) seek(0);
    openSound();
    if (m_audio) {
        atelier::Status s = m_audio->play();
        if (!s.ok()) {  // the device went away: carry on silently from here
            m_clockBaseMs = m_audio->position_ms();
            m_audio.reset();
            showNotice(tr("Sound stopped: %1").arg(userMessage(s.error())));
        }
    }
    m_clock.restart();
    setPlaying(true);
    m_timer.start();
}

void MediaPlayer::pause() {
    if (!m_playing) return;
    m_clockBaseMs = positionMs();
    if (m_audio) m_audio->pause();
    m_timer.stop();
    setPlaying(false);
    tick();
}

void MediaPlayer::togglePlay() { m_playing ? pause() : play(); }

void MediaPlayer::seek(int64_t ms) {
    if (!m_open) return;
    ms = std::clamp<int64_t>(ms, 0, std::max<int64_t>(0, m_source.duration_ms));
    if (m_audio) {
        atelier::Status s = m_audio->seek(ms);
        if (!s.ok()) showNotice(tr("Seek failed: %1").arg(userMessage(s.error())));
    }
    m_clockBaseMs = ms;
    m_clock.restart();
    m_strip->setPosition(ms);
    updateTimeLabel(ms);
    if (m_source.has_video) requestFrame(ms);
    emit positionChanged(ms);
}

int64_t MediaPlayer::frameMs() const {
    return m_source.fps > 0 ? std::max<int64_t>(1, std::llround(1000.0 / m_source.fps)) : 33;
}

void MediaPlayer::stepFrame(int direction) {
    if (!m_open || !m_source.has_video) return;
    pause();
    const int64_t at = m_framePtsMs >= 0 ? m_framePtsMs : positionMs();
    // frame_at(t) shows the last frame with pts <= t: one frame on (+1 ms against rounding), or
    // just before the current one.
    seek(direction > 0 ? at + frameMs() + 1 : at - 1);
}

void MediaPlayer::setVolume(float gain) {
    if (m_audio) m_audio->set_volume(std::clamp(gain, 0.0f, 4.0f));
    const int v = static_cast<int>(std::lround(std::clamp(gain, 0.0f, 1.0f) * 100.0f));
    if (m_volume->value() != v) m_volume->setValue(v);
}

void MediaPlayer::updateTimeLabel(int64_t ms) {
    m_time->setText(QStringLiteral("%1 / %2").arg(clock(ms), clock(m_source.duration_ms)));
}

void MediaPlayer::tick() {
    const int64_t ms = positionMs();
    m_strip->setPosition(ms);
    updateTimeLabel(ms);
    if (m_source.has_video && ms != m_lastRequestedMs) requestFrame(ms);
    emit positionChanged(ms);
    const bool ended = m_audio ? m_audio->finished() : (m_source.duration_ms > 0 && ms >= m_source.duration_ms);
    if (m_playing && ended) {
        m_clockBaseMs = m_source.duration_ms;
        if (m_audio) m_audio->pause();
        m_timer.stop();
        setPlaying(false);
    }
}

void MediaPlayer::requestFrame(int64_t t_ms) {
    m_lastRequestedMs = t_ms;
    {
        std::lock_guard lock(m_mutex);
        m_wantMs = t_ms;
        ++m_wantRequest;
    }
    m_cv.notify_one();
}

// Worker: owns the VideoReader; always decodes the newest request.
void MediaPlayer::videoLoop() {
    std::unique_ptr<atelier::media::VideoReader> reader;
    auto opened = atelier::media::VideoReader::open(m_source.path);
    if (opened && (*opened)->width() > kMaxVideoWidth) {
        const int w = kMaxVideoWidth, h = std::max(2, static_cast<int>(std::lround(static_cast<double>((*opened)->height()) * w / (*opened)->width())) & ~1);
        opened = atelier::media::VideoReader::open(m_source.path, {.width = w, .height = h});
    }
    if (!opened) {
        const QString text = tr("The picture cannot be shown: %1").arg(userMessage(opened.error()));
        post(this, [this, text] { showNotice(text); });
        return;
    }
    reader = std::move(*opened);
    if (reader->fps_num() > 0 && reader->fps_den() > 0) {
        const double fps = static_cast<double>(reader->fps_num()) / reader->fps_den();
        post(this, [this, fps] { m_source.fps = fps; });
    }
    uint64_t done = 0;
    for (;;) {
        uint64_t req = 0;
        int64_t t_ms = 0;
        {
            std::unique_lock lock(m_mutex);
            m_cv.wait(lock, [&] { return m_quit || m_wantRequest != done; });
            if (m_quit) return;
            req = done = m_wantRequest;
            t_ms = m_wantMs;
        }
        auto frame = reader->frame_at(t_ms * 1000);
        if (!frame || !frame->image) continue;
        const atelier::media::Image& im = *frame->image;
        QImage q = QImage(im.rgba.data(), im.width, im.height, im.width * 4, QImage::Format_RGBA8888).copy();
        const int64_t pts_ms = frame->pts_us / 1000;
        post(this, [this, req, q, pts_ms] {
            if (req < m_shownRequest) return;  // a newer frame is already on screen
            m_shownRequest = req;
            m_frame = q;
            m_framePtsMs = pts_ms;
            emit frameReady(q);
        });
    }
}

void MediaPlayer::keyPressEvent(QKeyEvent* event) {
    switch (event->key()) {
        case Qt::Key_Space: togglePlay(); break;
        case Qt::Key_Left: seek(positionMs() - kSeekStepMs); break;
        case Qt::Key_Right: seek(positionMs() + kSeekStepMs); break;
        case Qt::Key_Home: seek(0); break;
        case Qt::Key_End: seek(m_source.duration_ms); break;
        case Qt::Key_Comma: stepFrame(-1); break;
        case Qt::Key_Period: stepFrame(+1); break;
        case Qt::Key_Up: m_volume->setValue(std::min(100, m_volume->value() + 10)); break;
        case Qt::Key_Down: m_volume->setValue(std::max(0, m_volume->value() - 10)); break;
        default: QWidget::keyPressEvent(event); return;
    }
    event->accept();
}

}  // namespace gui
