// Branch -> MessageInfo list for the MessageView.
#include "gui/chat/chat-messages.h"

#include <QFileInfo>

#include "pipelines/chat-tree.h"

namespace gui {

namespace ap = atelier::pipelines;
namespace proj = atelier::projects;

atelier::Result<ChatBranch> loadBranch(proj::Project& project, const QString& chatUuid) {
    ChatBranch b;
    ATELIER_TRY_ASSIGN(proj::Chat chat, project.get_chat(chatUuid.toStdString()));
    ATELIER_TRY_ASSIGN(b.messages, project.list_messages(chat.uuid));
    b.path = ap::branch_path(b.messages, chat.current_leaf_uuid);
    return b;
}

MessageInfo messageInfo(const proj::Message& m, int sibling, int siblings) {
    MessageInfo i;
    i.uuid = QString::fromStdString(m.uuid);
    i.role = QString::fromStdString(m.role);
    i.author = m.role == "user" ? QObject::tr("You") : m.role == "system" ? QObject::tr("System") : QObject::tr("Assistant");
    i.content = QString::fromStdString(m.content);
    i.reasoning = QString::fromStdString(m.reasoning);
    i.state = m.state;
    i.sibling = sibling;
    i.siblings = siblings;
    i.hasProvenance = !m.generation_uuid.empty();
    return i;
}

QList<MessageInfo> messageInfos(proj::Project& project, const ChatBranch& b, const QHash<QString, QString>& errors) {
    QList<MessageInfo> out;
    for (size_t idx : b.path) {
        const proj::Message& m = b.messages[idx];
        const auto sibs = ap::siblings(b.messages, m.uuid);
        int pos = 0;
        for (size_t k = 0; k < sibs.size(); ++k)
            if (sibs[k] == idx) pos = int(k);
        MessageInfo info = messageInfo(m, pos, int(sibs.size()));
        if (!m.generation_uuid.empty()) {
            if (auto g = project.get_generation(m.generation_uuid); g.ok()) {
                if (!g->model.empty()) info.author = QFileInfo(QString::fromStdString(g->model)).fileName();
                if (m.state == proj::MessageState::Failed && !g->job_uuid.empty())
                    if (auto job = project.get_job(g->job_uuid); job.ok()) info.error = QString::fromStdString(job->error_detail);
            }
        }
        if (auto it = errors.find(info.uuid); it != errors.end()) info.error = *it;
        out.append(info);
    }
    return out;
}

}  // namespace gui
