// What new chats start with, remembered across runs (QSettings, organisation "Atelier"): the last
// model, thinking mode, sampling values, context length and system prompt the user chose.
// Keys: chat/defaults (ChatSettings JSON), chat/systemPrompt, chat/splitter.
// Thread-safety: GUI thread only.
#pragma once

#include <QByteArray>
#include <QString>

#include "pipelines/chat.h"

namespace gui {

struct ChatDefaults {
    atelier::pipelines::ChatSettings settings;  // DeepSeek's V4 recommendation when nothing was stored
    QString systemPrompt;
};

ChatDefaults loadChatDefaults();
void saveChatDefaults(const ChatDefaults& defaults);
QByteArray loadChatSplitterState();
void saveChatSplitterState(const QByteArray& state);

}  // namespace gui
