// GUI test helpers and the test main: QApplication under the offscreen platform, with settings
// redirected to a temporary folder so tests never read or write the user's configuration.
#include "gui-test-util.h"

#include <QApplication>
#include <QDir>
#include <QFile>
#include <QImage>
#include <QLinearGradient>
#include <QPainter>
#include <QPainterPath>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>

#include "gui/app/settings.h"
#include "gui/app/theme.h"

namespace guitest {

QString writeTwoToneImage(const QString& path, int w, int h, QColor left, QColor right) {
    QImage img(w, h, QImage::Format_RGB32);
    QPainter p(&img);
    p.fillRect(0, 0, w / 2, h, left);
    p.fillRect(w / 2, 0, w - w / 2, h, right);
    p.end();
    if (!img.save(path, "PNG")) return {};
    return path;
}

QString writeSceneImage(const QString& path, int w, int h, int variant) {
    static const QColor skies[][2] = {{QColor(0x1e3c72), QColor(0xf7b267)},
                                      {QColor(0x0f2027), QColor(0x2c7da0)},
                                      {QColor(0x42275a), QColor(0xe0876a)},
                                      {QColor(0x134e5e), QColor(0x71b280)},
                                      {QColor(0x232526), QColor(0x9d50bb)}};
    const auto& sky = skies[variant % 5];
    QImage img(w, h, QImage::Format_RGB32);
    QPainter p(&img);
    p.setRenderHint(QPainter::Antialiasing);
    QLinearGradient g(0, 0, 0, h);
    g.setColorAt(0, sky[0]);
    g.setColorAt(1, sky[1]);
    p.fillRect(img.rect(), g);
    p.setPen(Qt::NoPen);
    p.setBrush(QColor(255, 236, 179, 230));
    const double r = h * 0.12;
    p.drawEllipse(QPointF(w * (0.25 + 0.12 * variant), h * 0.42), r, r);
    for (int layer = 0; layer < 3; ++layer) {
        QPainterPath hills;
        hills.moveTo(0, h);
        for (int x = 0; x <= w; x += 8) {
            const double y = h * (0.62 + 0.1 * layer) + std::sin(x * (0.006 + 0.003 * layer) + variant * 1.7 + layer) * h * 0.06;
            hills.lineTo(x, y);
        }
        hills.lineTo(w, h);
        hills.closeSubpath();
        p.setBrush(sky[0].darker(140 + 40 * layer));
        p.drawPath(hills);
    }
    p.end();
    return img.save(path, "PNG") ? path : QString();
}

QString writeWav(const QString& path, double seconds) {
    const int rate = 22050;
    const int n = int(seconds * rate);
    QByteArray pcm(n * 2, '\0');
    auto* s = reinterpret_cast<int16_t*>(pcm.data());
    for (int i = 0; i < n; ++i) {
        const double t = double(i) / rate;
        const double beat = std::fmod(t, 0.5);
        const double env = std::exp(-beat * 6.0);
        const double f = 220.0 * (1 + int(t / 0.5) % 4);
        s[i] = int16_t(std::lround(0.8 * 32767 * env * std::sin(2 * M_PI * f * t)));
    }
    auto le32 = [](QByteArray& b, uint32_t v) { for (int i = 0; i < 4; ++i) b.append(char((v >> (8 * i)) & 0xff)); };
    auto le16 = [](QByteArray& b, uint16_t v) { b.append(char(v & 0xff)); b.append(char(v >> 8)); };
    QByteArray wav("RIFF");
    le32(wav, uint32_t(36 + pcm.size()));
    wav.append("WAVEfmt ");
    le32(wav, 16);
    le16(wav, 1);                // PCM
    le16(wav, 1);                // mono
    le32(wav, rate);
    le32(wav, rate * 2);         // byte rate
    le16(wav, 2);                // block align
    le16(wav, 16);               // bits per sample
    wav.append("data");
    le32(wav, uint32_t(pcm.size()));
    wav.append(pcm);
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(wav) != wav.size()) return {};
    return path;
}

QString artifactDir() {
    const QString dir = QStringLiteral(ATELIER_BINARY_DIR "/test-artifacts");
    QDir().mkpath(dir);
    return dir;
}

}  // namespace guitest

// The offscreen platform warns on every top-level resize; that line is noise in test logs.
static void quietHandler(QtMsgType type, const QMessageLogContext& ctx, const QString& msg) {
    if (msg.contains(QStringLiteral("propagateSizeHints"))) return;
    qt_message_output(type, ctx, msg);
}

int main(int argc, char** argv) {
    qInstallMessageHandler(quietHandler);
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    ::testing::InitGoogleTest(&argc, argv);
    QStandardPaths::setTestModeEnabled(true);
    QTemporaryDir settingsDir;  // lives until main returns
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, settingsDir.path());
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, settingsDir.path());
    QApplication::setOrganizationName(QStringLiteral("Atelier"));
    QApplication::setApplicationName(QStringLiteral("Atelier"));
    QApplication app(argc, argv);
    gui::applyTheme(gui::Theme::Dark);
    return RUN_ALL_TESTS();
}
