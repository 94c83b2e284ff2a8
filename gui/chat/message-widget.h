// MessageWidget: one message of the chat as a bubble. Header: author, branch navigation
// (‹ 2/3 › when the message has siblings), state, and buttons (Copy, Edit for questions,
// Regenerate and Details for answers). Body: the reasoning collapsed behind a "Thinking" toggle,
// then the Markdown answer, with every fenced code block in its own frame with a Copy button.
// setInfo() updates a streaming answer in place (only the blocks that changed are touched).
// Thread-safety: GUI thread only.
#pragma once

#include <QFrame>
#include <QList>
#include <QString>

#include "gui/chat/markdown-blocks.h"
#include "projects/project.h"

class QLabel;
class QPlainTextEdit;
class QPushButton;
class QToolButton;
class QVBoxLayout;

namespace gui {

struct MessageInfo {
    QString uuid;
    QString role;       // "user", "assistant", "system", "tool"
    QString author;     // "You", or the model's name
    QString content;    // Markdown
    QString reasoning;
    atelier::projects::MessageState state = atelier::projects::MessageState::Done;
    QString error;      // Failed: what went wrong, for the user
    int sibling = 0;    // 0-based position among its siblings
    int siblings = 1;
    bool hasProvenance = false;
};

class MessageWidget : public QFrame {
    Q_OBJECT
public:
    explicit MessageWidget(const MessageInfo& info, QWidget* parent = nullptr);
    void setInfo(const MessageInfo& info);
    const MessageInfo& info() const { return m_info; }
    QString uuid() const { return m_info.uuid; }

    // For tests and keyboard use.
    QList<QPushButton*> codeCopyButtons() const { return m_codeCopy; }
    QList<QLabel*> proseLabels() const { return m_prose; }
    QToolButton* copyButton() const { return m_copy; }
    QToolButton* editButton() const { return m_edit; }
    QToolButton* regenerateButton() const { return m_regenerate; }
    QToolButton* detailsButton() const { return m_details; }
    QToolButton* previousBranchButton() const { return m_prev; }
    QToolButton* nextBranchButton() const { return m_next; }
    QLabel* branchLabel() const { return m_branch; }
    QLabel* stateLabel() const { return m_state; }
    QToolButton* reasoningToggle() const { return m_reasoningToggle; }
    QLabel* reasoningText() const { return m_reasoningText; }
    QPlainTextEdit* editBox() const { return m_editBox; }
    QPushButton* editSendButton() const { return m_editSend; }
    void beginEdit();

signals:
    void editSubmitted(const QString& uuid, const QString& text);
    void regenerateRequested(const QString& uuid);
    void branchRequested(const QString& uuid, int delta);  // -1: previous sibling, +1: next
    void detailsRequested(const QString& uuid);

private:
    void buildHeader(QVBoxLayout* layout);
    void updateHeader();
    void updateBody();
    void rebuildBlocks(const QList<MarkdownBlock>& blocks);
    QWidget* makeCodeBlock(const MarkdownBlock& block, int index);
    void endEdit();

    MessageInfo m_info;
    QList<MarkdownBlock> m_blocks;
    QLabel* m_author = nullptr;
    QLabel* m_branch = nullptr;
    QLabel* m_state = nullptr;
    QToolButton* m_prev = nullptr;
    QToolButton* m_next = nullptr;
    QToolButton* m_copy = nullptr;
    QToolButton* m_edit = nullptr;
    QToolButton* m_regenerate = nullptr;
    QToolButton* m_details = nullptr;
    QToolButton* m_reasoningToggle = nullptr;
    QLabel* m_reasoningText = nullptr;
    QWidget* m_body = nullptr;
    QVBoxLayout* m_bodyLayout = nullptr;
    QList<QLabel*> m_prose;              // parallel to the prose blocks
    QList<QLabel*> m_code;               // parallel to the code blocks
    QList<QPushButton*> m_codeCopy;
    QList<QWidget*> m_blockWidgets;      // parallel to m_blocks
    QPlainTextEdit* m_editBox = nullptr;
    QPushButton* m_editSend = nullptr;
    QWidget* m_editor = nullptr;
};

// "Thinking · 42 words" (collapsed) for a reasoning text.
QString reasoningSummary(const QString& reasoning, bool streaming);

}  // namespace gui
