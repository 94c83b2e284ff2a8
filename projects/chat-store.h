// Internal to atelier_projects: SQL for chats and their message trees (schema v2: parent_uuid,
// state, reasoning, generation_uuid; chats.current_leaf_uuid). Project wraps each mutating call
// in a savepoint and holds its mutex.
// Thread-safety: whoever holds the Project's mutex.
#pragma once

#include <string_view>
#include <vector>

#include "core/result.h"
#include "projects/project.h"
#include "projects/sqlite-util.h"

namespace atelier::projects::detail {

Result<Chat> create_chat(const Db& db, std::string_view title, std::string_view model);
Result<Chat> get_chat(const Db& db, std::string_view uuid);
Status update_chat(const Db& db, const Chat& chat);
Status delete_chat(const Db& db, std::string_view uuid);
Result<std::vector<Chat>> list_chats(const Db& db);

Result<Message> add_message(const Db& db, std::string_view chat_uuid, std::string_view role, std::string_view content);
Result<Message> insert_message(const Db& db, const NewMessage& m);
Result<Message> get_message(const Db& db, std::string_view uuid);
Status update_message_text(const Db& db, std::string_view uuid, std::string_view content, std::string_view reasoning,
                           MessageState state);
Status set_current_leaf(const Db& db, std::string_view chat_uuid, std::string_view leaf_uuid);
Result<std::vector<Message>> list_messages(const Db& db, std::string_view chat_uuid);

}  // namespace atelier::projects::detail
