// ChatListPanel: the project's conversations (left of the Chat workspace): a list with the
// current chat selected, "New Chat", and rename (double-click or F2-like edit) / delete from the
// context menu. It only shows and asks; the workspace changes the project.
// Thread-safety: GUI thread only.
#pragma once

#include <QList>
#include <QPair>
#include <QWidget>

class QListWidget;
class QPushButton;

namespace gui {

class ChatListPanel : public QWidget {
    Q_OBJECT
public:
    explicit ChatListPanel(QWidget* parent = nullptr);
    // (uuid, title) in display order; `current` selected (no chatSelected emitted).
    void setChats(const QList<QPair<QString, QString>>& chats, const QString& current);
    QListWidget* list() const { return m_list; }
    QPushButton* newButton() const { return m_new; }

signals:
    void chatSelected(const QString& uuid);
    void newChatRequested();
    void renameRequested(const QString& uuid, const QString& title);
    void deleteRequested(const QString& uuid);

private:
    QListWidget* m_list;
    QPushButton* m_new;
    bool m_filling = false;
};

}  // namespace gui
