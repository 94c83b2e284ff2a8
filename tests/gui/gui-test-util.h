// Helpers for the offscreen GUI tests: a DialogHooks stub (paths injected, errors captured),
// event-loop waits (allowed in tests only), and media makers whose content is known
// independently of our code (QImage's PNG writer, a hand-written WAV header).
// Thread-safety: GUI thread (the test's main thread).
#pragma once

#include <QColor>
#include <QElapsedTimer>
#include <QString>
#include <QStringList>
#include <QTest>

#include <functional>

#include "gui/app/dialog-hooks.h"

namespace guitest {

class StubHooks : public gui::DialogHooks {
public:
    QString newPath, openPath, saveAsTarget, folder;
    QStringList imports;
    QStringList errors;  // "title | text"
    bool confirmAnswer = true;

    QString newProjectPath(QWidget*) override { return newPath; }
    QString openProjectPath(QWidget*) override { return openPath; }
    QString saveAsPath(QWidget*, const QString&) override { return saveAsTarget; }
    QStringList importPaths(QWidget*) override { return imports; }
    QString folderPath(QWidget*, const QString&, const QString&) override { return folder; }
    void showError(QWidget*, const QString& title, const QString& text, const QString&) override {
        errors << title + QStringLiteral(" | ") + text;
    }
    bool confirm(QWidget*, const QString&, const QString&) override { return confirmAnswer; }
};

// Runs the event loop until pred() holds or timeout_ms passes; returns pred().
inline bool waitFor(const std::function<bool()>& pred, int timeout_ms = 15000) {
    QElapsedTimer t;
    t.start();
    while (!pred()) {
        if (t.elapsed() > timeout_ms) return pred();
        QTest::qWait(2);
    }
    return true;
}

// A PNG of w x h: left half `left`, right half `right` (written by Qt, not by our media code).
QString writeTwoToneImage(const QString& path, int w, int h, QColor left, QColor right);
// A small landscape picture for screenshots (gradient sky, sun, hills), seeded by `variant`.
QString writeSceneImage(const QString& path, int w, int h, int variant);
// 16-bit mono PCM WAV: a decaying tone sequence, `seconds` long at 22050 Hz.
QString writeWav(const QString& path, double seconds);

QString artifactDir();  // <build>/test-artifacts, created on demand

}  // namespace guitest
