// Chat defaults in QSettings.
#include "gui/chat/chat-defaults.h"

#include <QSettings>

namespace gui {

namespace {

QSettings store() { return QSettings(QSettings::UserScope, QStringLiteral("Atelier"), QStringLiteral("Atelier")); }

}  // namespace

ChatDefaults loadChatDefaults() {
    ChatDefaults d;
    d.settings.sampling.temperature = 1.0f;  // DeepSeek's recommendation for V4: temperature 1.0, top-p 1.0
    d.settings.sampling.top_p = 1.0f;
    QSettings s = store();
    const QString json = s.value(QStringLiteral("chat/defaults")).toString();
    if (!json.isEmpty())
        if (auto parsed = atelier::pipelines::ChatSettings::from_json(json.toStdString()); parsed.ok()) d.settings = *parsed;
    d.systemPrompt = s.value(QStringLiteral("chat/systemPrompt")).toString();
    return d;
}

void saveChatDefaults(const ChatDefaults& d) {
    QSettings s = store();
    s.setValue(QStringLiteral("chat/defaults"), QString::fromStdString(d.settings.to_json()));
    s.setValue(QStringLiteral("chat/systemPrompt"), d.systemPrompt);
}

QByteArray loadChatSplitterState() { return store().value(QStringLiteral("chat/splitter")).toByteArray(); }

void saveChatSplitterState(const QByteArray& state) { store().setValue(QStringLiteral("chat/splitter"), state); }

}  // namespace gui
