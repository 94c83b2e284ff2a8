// Turns a chat's messages (a tree) into what the MessageView shows: the current branch, each
// message with its position among its siblings, its author (the model's name for answers, from
// the provenance row), and for failed answers the reason (from this session's updates, else the
// job's stored error).
// Thread-safety: GUI thread (reads the project through its writer connection).
#pragma once

#include <QHash>
#include <QList>
#include <QString>

#include <vector>

#include "gui/chat/message-widget.h"
#include "projects/project.h"

namespace gui {

struct ChatBranch {
    std::vector<atelier::projects::Message> messages;  // the whole tree, by seq
    std::vector<size_t> path;                          // indexes of the branch shown, root first
};

atelier::Result<ChatBranch> loadBranch(atelier::projects::Project& project, const QString& chatUuid);

// `errors`: message uuid -> why it failed, as reported while this session ran it.
QList<MessageInfo> messageInfos(atelier::projects::Project& project, const ChatBranch& branch,
                                const QHash<QString, QString>& errors);

MessageInfo messageInfo(const atelier::projects::Message& m, int sibling, int siblings);

}  // namespace gui
