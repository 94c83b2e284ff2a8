// Application settings (not project settings): models folder, device, threads, theme, recent
// projects and window state. Stored with QSettings (organization "Atelier", application
// "Atelier"); defaults come from resources/presets/defaults.json (":/presets/defaults.json").
// Tests redirect storage with QSettings::setPath / QStandardPaths::setTestModeEnabled.
// Thread-safety: GUI thread only.
#pragma once

#include <QByteArray>
#include <QString>
#include <QStringList>

namespace gui {

enum class Theme { Invalid = 0, Dark, Light, System };

QString themeKey(Theme theme);            // "dark", "light", "system"
Theme themeFromKey(const QString& key);   // Invalid for unknown keys

struct AppSettings {
    QString modelsFolder;
    QString device;        // "cpu" (the only backend in this build)
    int threads = 0;       // compute threads; 0 in defaults.json means "all logical cores"
    Theme theme = Theme::Dark;
    int recentMax = 10;

    static AppSettings defaults();  // defaults.json, with 0/empty resolved for this machine
    static AppSettings load();      // stored values over defaults()
    void save() const;
};

// Most recent first, at most AppSettings::recentMax; files that no longer exist are pruned
// (and the pruned list is written back).
QStringList recentProjects();
void addRecentProject(const QString& path);
void removeRecentProject(const QString& path);

QByteArray loadWindowGeometry();
QByteArray loadWindowState();
void saveWindowGeometry(const QByteArray& geometry, const QByteArray& state);

}  // namespace gui
