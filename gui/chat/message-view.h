// MessageView: the conversation shown in the Chat workspace: one MessageWidget per message on the
// chat's current branch, top to bottom, in a scroll area that follows a streaming answer while the
// reader is at the bottom. Forwards the widgets' requests (edit, regenerate, branch, details).
// Thread-safety: GUI thread only.
#pragma once

#include <QList>
#include <QScrollArea>

#include "gui/chat/message-widget.h"

class QLabel;
class QVBoxLayout;

namespace gui {

class MessageView : public QScrollArea {
    Q_OBJECT
public:
    explicit MessageView(QWidget* parent = nullptr);

    void setMessages(const QList<MessageInfo>& messages);  // rebuilds
    void updateMessage(const MessageInfo& info);           // one widget, in place
    void setPlaceholder(const QString& text);              // shown when there are no messages
    MessageWidget* widgetFor(const QString& uuid) const;
    QList<MessageWidget*> messageWidgets() const { return m_widgets; }
    void scrollToBottom();

signals:
    void editSubmitted(const QString& uuid, const QString& text);
    void regenerateRequested(const QString& uuid);
    void branchRequested(const QString& uuid, int delta);
    void detailsRequested(const QString& uuid);

private:
    bool atBottom() const;

    QWidget* m_content;
    QVBoxLayout* m_layout;
    QLabel* m_placeholder;
    QList<MessageWidget*> m_widgets;
};

}  // namespace gui
