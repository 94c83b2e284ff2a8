// AppSettings persistence. Keys: general/modelsFolder, general/device, general/threads,
// general/theme, recent/projects, window/geometry, window/state.
#include "gui/app/settings.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSettings>
#include <QThread>

#include "gui/app/resources.h"

namespace gui {

namespace {

QSettings store() { return QSettings(QSettings::UserScope, QStringLiteral("Atelier"), QStringLiteral("Atelier")); }

QString expandHome(QString path) {
    if (path == u"~" || path.startsWith(QStringLiteral("~/"))) path.replace(0, 1, QDir::homePath());
    return QDir::cleanPath(path);
}

QJsonObject defaultsJson() {
    ensureResources();
    QFile f(QStringLiteral(":/presets/defaults.json"));
    if (!f.open(QIODevice::ReadOnly)) return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

}  // namespace

QString themeKey(Theme theme) {
    switch (theme) {
        case Theme::Dark: return QStringLiteral("dark");
        case Theme::Light: return QStringLiteral("light");
        case Theme::System: return QStringLiteral("system");
        case Theme::Invalid: break;
    }
    return {};
}

Theme themeFromKey(const QString& key) {
    for (Theme t : {Theme::Dark, Theme::Light, Theme::System})
        if (key.compare(themeKey(t), Qt::CaseInsensitive) == 0) return t;
    return Theme::Invalid;
}

AppSettings AppSettings::defaults() {
    static const QJsonObject j = defaultsJson();  // a compiled-in resource: read once
    AppSettings s;
    s.modelsFolder = expandHome(j.value(QStringLiteral("models_folder")).toString(QStringLiteral("~/Atelier/Models")));
    s.device = j.value(QStringLiteral("device")).toString(QStringLiteral("cpu"));
    s.threads = j.value(QStringLiteral("threads")).toInt(0);
    if (s.threads <= 0) s.threads = qMax(1, QThread::idealThreadCount());
    s.theme = themeFromKey(j.value(QStringLiteral("theme")).toString());
    if (s.theme == Theme::Invalid) s.theme = Theme::Dark;
    s.recentMax = qBound(1, j.value(QStringLiteral("recent_projects_max")).toInt(10), 50);
    return s;
}

AppSettings AppSettings::load() {
    AppSettings s = defaults();
    QSettings q = store();
    s.modelsFolder = q.value(QStringLiteral("general/modelsFolder"), s.modelsFolder).toString();
    s.device = q.value(QStringLiteral("general/device"), s.device).toString();
    const int threads = q.value(QStringLiteral("general/threads"), s.threads).toInt();
    if (threads > 0) s.threads = threads;
    const Theme t = themeFromKey(q.value(QStringLiteral("general/theme"), themeKey(s.theme)).toString());
    if (t != Theme::Invalid) s.theme = t;
    return s;
}

void AppSettings::save() const {
    QSettings q = store();
    q.setValue(QStringLiteral("general/modelsFolder"), modelsFolder);
    q.setValue(QStringLiteral("general/device"), device);
    q.setValue(QStringLiteral("general/threads"), threads);
    q.setValue(QStringLiteral("general/theme"), themeKey(theme));
    q.sync();
}

QStringList recentProjects() {
    QSettings q = store();
    const QStringList stored = q.value(QStringLiteral("recent/projects")).toStringList();
    QStringList kept;
    for (const QString& p : stored)
        if (QFileInfo::exists(p) && !kept.contains(p)) kept << p;
    const int max = AppSettings::defaults().recentMax;
    while (kept.size() > max) kept.removeLast();
    if (kept != stored) q.setValue(QStringLiteral("recent/projects"), kept);
    return kept;
}

void addRecentProject(const QString& path) {
    const QString abs = QFileInfo(path).absoluteFilePath();
    QStringList list = recentProjects();
    list.removeAll(abs);
    list.prepend(abs);
    const int max = AppSettings::defaults().recentMax;
    while (list.size() > max) list.removeLast();
    store().setValue(QStringLiteral("recent/projects"), list);
}

void removeRecentProject(const QString& path) {
    QSettings q = store();
    QStringList list = q.value(QStringLiteral("recent/projects")).toStringList();
    list.removeAll(QFileInfo(path).absoluteFilePath());
    q.setValue(QStringLiteral("recent/projects"), list);
}

QByteArray loadWindowGeometry() { return store().value(QStringLiteral("window/geometry")).toByteArray(); }
QByteArray loadWindowState() { return store().value(QStringLiteral("window/state")).toByteArray(); }

void saveWindowGeometry(const QByteArray& geometry, const QByteArray& state) {
    QSettings q = store();
    q.setValue(QStringLiteral("window/geometry"), geometry);
    q.setValue(QStringLiteral("window/state"), state);
}

}  // namespace gui
