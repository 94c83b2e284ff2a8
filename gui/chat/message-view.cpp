// MessageView implementation.
#include "gui/chat/message-view.h"

#include <QLabel>
#include <QScrollBar>
#include <QTimer>
#include <QVBoxLayout>

namespace gui {

MessageView::MessageView(QWidget* parent) : QScrollArea(parent) {
    setObjectName(QStringLiteral("messageView"));
    setWidgetResizable(true);
    setFrameShape(QFrame::NoFrame);
    setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_content = new QWidget(this);
    m_content->setObjectName(QStringLiteral("messageViewContent"));
    m_layout = new QVBoxLayout(m_content);
    m_layout->setContentsMargins(18, 14, 18, 14);
    m_layout->setSpacing(10);
    m_placeholder = new QLabel(m_content);
    m_placeholder->setObjectName(QStringLiteral("emptyText"));
    m_placeholder->setAlignment(Qt::AlignCenter);
    m_placeholder->setWordWrap(true);
    m_layout->addWidget(m_placeholder, 1);
    m_layout->addStretch(1);
    setWidget(m_content);
}

void MessageView::setPlaceholder(const QString& text) {
    m_placeholder->setText(text);
    m_placeholder->setVisible(m_widgets.isEmpty());
}

void MessageView::setMessages(const QList<MessageInfo>& messages) {
    for (MessageWidget* w : m_widgets) w->deleteLater();
    m_widgets.clear();
    for (const MessageInfo& m : messages) {
        auto* w = new MessageWidget(m, m_content);
        m_layout->insertWidget(m_layout->count() - 1, w);  // before the stretch
        m_widgets.append(w);
        connect(w, &MessageWidget::editSubmitted, this, &MessageView::editSubmitted);
        connect(w, &MessageWidget::regenerateRequested, this, &MessageView::regenerateRequested);
        connect(w, &MessageWidget::branchRequested, this, &MessageView::branchRequested);
        connect(w, &MessageWidget::detailsRequested, this, &MessageView::detailsRequested);
    }
    m_placeholder->setVisible(m_widgets.isEmpty());
    scrollToBottom();
}

MessageWidget* MessageView::widgetFor(const QString& uuid) const {
    for (MessageWidget* w : m_widgets)
        if (w->uuid() == uuid) return w;
    return nullptr;
}

bool MessageView::atBottom() const {
    const QScrollBar* bar = verticalScrollBar();
    return bar->value() >= bar->maximum() - 24;
}

void MessageView::updateMessage(const MessageInfo& info) {
    MessageWidget* w = widgetFor(info.uuid);
    if (!w) return;
    const bool follow = atBottom();
    w->setInfo(info);
    if (follow) scrollToBottom();
}

void MessageView::scrollToBottom() {
    // After the layout has taken the new text into account.
    QTimer::singleShot(0, this, [this] { verticalScrollBar()->setValue(verticalScrollBar()->maximum()); });
}

}  // namespace gui
