// ChatListPanel implementation.
#include "gui/chat/chat-list-panel.h"

#include <QLabel>
#include <QListWidget>
#include <QMenu>
#include <QPushButton>
#include <QVBoxLayout>

namespace gui {

ChatListPanel::ChatListPanel(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("chatListPanel"));
    auto* v = new QVBoxLayout(this);
    v->setContentsMargins(10, 10, 6, 10);
    auto* title = new QLabel(tr("Conversations"), this);
    title->setObjectName(QStringLiteral("sectionTitle"));
    v->addWidget(title);
    m_list = new QListWidget(this);
    m_list->setObjectName(QStringLiteral("chatList"));
    m_list->setContextMenuPolicy(Qt::CustomContextMenu);
    m_list->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed);
    v->addWidget(m_list, 1);
    m_new = new QPushButton(tr("New Chat"), this);
    m_new->setObjectName(QStringLiteral("newChatButton"));
    v->addWidget(m_new);
    connect(m_new, &QPushButton::clicked, this, &ChatListPanel::newChatRequested);
    connect(m_list, &QListWidget::currentItemChanged, this, [this](QListWidgetItem* item) {
        if (!m_filling && item) emit chatSelected(item->data(Qt::UserRole).toString());
    });
    connect(m_list, &QListWidget::itemChanged, this, [this](QListWidgetItem* item) {
        if (!m_filling && !item->text().trimmed().isEmpty())
            emit renameRequested(item->data(Qt::UserRole).toString(), item->text().trimmed());
    });
    connect(m_list, &QListWidget::customContextMenuRequested, this, [this](const QPoint& pos) {
        QListWidgetItem* item = m_list->itemAt(pos);
        if (!item) return;
        QMenu menu(this);
        QAction* rename = menu.addAction(tr("Rename"));
        QAction* remove = menu.addAction(tr("Delete Chat…"));
        QAction* chosen = menu.exec(m_list->viewport()->mapToGlobal(pos));
        if (chosen == rename) m_list->editItem(item);
        if (chosen == remove) emit deleteRequested(item->data(Qt::UserRole).toString());
    });
}

void ChatListPanel::setChats(const QList<QPair<QString, QString>>& chats, const QString& current) {
    m_filling = true;
    m_list->clear();
    for (const auto& [uuid, title] : chats) {
        auto* item = new QListWidgetItem(title.isEmpty() ? tr("Untitled chat") : title, m_list);
        item->setData(Qt::UserRole, uuid);
        item->setFlags(item->flags() | Qt::ItemIsEditable);
        item->setToolTip(title);
        if (uuid == current) m_list->setCurrentItem(item);
    }
    m_filling = false;
}

}  // namespace gui
