// ChatWorkspace: the Chat tab of the main window (ARCHITECTURE §7). Left: the project's
// conversations; centre: the model picker with live tokens/s, the current branch of the chat
// (MessageView) and the composer (Send: Ctrl+Enter, Stop: Esc, thinking toggle); right: the
// sampling panel with presets and the system prompt. Owns the ChatService of the open project;
// answers stream in through ChatService updates hopped to the GUI thread. Every change of a
// chat's settings is saved to the chat (settings_json) and remembered for new chats (QSettings).
// Thread-safety: GUI thread only; nothing here waits on a job.
#pragma once

#include <QHash>
#include <QPointer>
#include <QWidget>

#include <functional>
#include <memory>

#include "pipelines/chat.h"

class QAction;
class QCheckBox;
class QComboBox;
class QLabel;
class QPlainTextEdit;
class QPushButton;
class QSplitter;

namespace gui {

class ChatListPanel;
class DialogHooks;
class MessageView;
class ModelCatalog;
class ModelManagerDialog;
class ProjectSession;
class ProvenanceDialog;
class SamplingPanel;

class ChatWorkspace : public QWidget {
    Q_OBJECT
public:
    ChatWorkspace(ModelCatalog* catalog, QWidget* parent = nullptr);
    ~ChatWorkspace() override;

    void setSession(ProjectSession* session);  // nullptr: no project; call before the session dies
    void setDialogHooks(std::function<DialogHooks*()> hooks) { m_hooks = std::move(hooks); }
    void setThreads(int threads) { m_threads = threads; }

    struct Actions {
        QAction* newChat = nullptr;
        QAction* send = nullptr;
        QAction* stop = nullptr;
        QAction* regenerate = nullptr;
        QAction* thinking = nullptr;
        QAction* modelManager = nullptr;
    };
    const Actions& actions() const { return m_actions; }

    QString currentChat() const { return m_chat; }
    bool selectChat(const QString& uuid);
    QString newChat();                       // creates and selects one; empty without a project
    bool send();                             // the composer's text
    bool stop();
    bool regenerateLast();
    void chooseModel(const QString& key);    // for the current chat and new ones
    ModelManagerDialog* showModelManager();  // non-modal; one at a time
    ProvenanceDialog* showProvenance(const QString& messageUuid);
    void reload();                           // chats and the current branch from the project

    atelier::pipelines::ChatService* service() const { return m_service.get(); }
    ChatListPanel* chatList() const { return m_list; }
    MessageView* messageView() const { return m_view; }
    QPlainTextEdit* composer() const { return m_composer; }
    QPushButton* sendButton() const { return m_sendButton; }
    QPushButton* stopButton() const { return m_stopButton; }
    QCheckBox* thinkingCheck() const { return m_thinking; }
    QComboBox* modelPicker() const { return m_picker; }
    SamplingPanel* samplingPanel() const { return m_sampling; }
    QLabel* rateLabel() const { return m_rate; }

signals:
    void statusMessage(const QString& text, int timeoutMs);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void buildActions();
    QWidget* buildCentre();
    void onUpdate(const atelier::pipelines::ChatUpdate& u);
    void reloadChats();
    void reloadMessages();
    void loadChatSettings();
    void saveChatSettings();
    void refreshPicker();
    void updateActions();
    void onBranch(const QString& uuid, int delta);
    void onEdit(const QString& uuid, const QString& text);
    void onRegenerate(const QString& uuid);
    void onRename(const QString& uuid, const QString& title);
    void onDelete(const QString& uuid);
    void reportError(const QString& title, const atelier::Error& error);
    atelier::pipelines::ChatSettings currentSettings() const;

    ModelCatalog* m_catalog;
    ProjectSession* m_session = nullptr;
    std::unique_ptr<atelier::pipelines::ChatService> m_service;
    int m_sessionGeneration = 0;  // drops updates posted for an earlier session
    std::function<DialogHooks*()> m_hooks;
    int m_threads = 0;
    QString m_chat;
    QString m_model;  // key of the model picked for the current chat
    bool m_loading = false;
    QHash<QString, QString> m_errors;  // failed answers of this session: uuid -> reason
    Actions m_actions;
    QSplitter* m_splitter = nullptr;
    ChatListPanel* m_list = nullptr;
    MessageView* m_view = nullptr;
    QPlainTextEdit* m_composer = nullptr;
    QPushButton* m_sendButton = nullptr;
    QPushButton* m_stopButton = nullptr;
    QCheckBox* m_thinking = nullptr;
    QComboBox* m_picker = nullptr;
    QLabel* m_rate = nullptr;
    SamplingPanel* m_sampling = nullptr;
    QPointer<ModelManagerDialog> m_manager;
};

}  // namespace gui
