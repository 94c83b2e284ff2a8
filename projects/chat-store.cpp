// Chats and message trees: the SQL behind Project's chat API (schema.sql documents the columns).
// Invariants: message seq numbers are 1, 2, 3... per chat in creation order; a parent is always a
// message of the same chat; a chat's current leaf, when set, is one of its messages; message
// states are message_state_name() strings.
// Thread-safety: callers hold the Project's mutex (see chat-store.h).
#include "projects/chat-store.h"

#include <array>

#include "core/uuid.h"
#include "projects/asset-store.h"

namespace atelier::projects {

namespace {

constexpr std::array<std::pair<MessageState, const char*>, 5> kStateNames = {{
    {MessageState::Streaming, "streaming"},
    {MessageState::Done, "done"},
    {MessageState::Stopped, "stopped"},
    {MessageState::Failed, "failed"},
    {MessageState::Interrupted, "interrupted"},
}};

}  // namespace

const char* message_state_name(MessageState state) {
    for (const auto& [s, name] : kStateNames)
        if (s == state) return name;
    return "invalid";
}

std::optional<MessageState> message_state_from_name(std::string_view name) {
    for (const auto& [s, n] : kStateNames)
        if (name == n) return s;
    return std::nullopt;
}

namespace detail {

namespace {

Error invalid(const Db& db, const std::string& what) {
    return make_error(ErrorCode::InvalidArgument, db.path.string() + ": " + what);
}

constexpr const char* kChatColumns = "uuid, title, model, created_at_ms, system_prompt, settings_json, current_leaf_uuid";
constexpr const char* kMessageColumns =
    "uuid, chat_uuid, seq, role, content, created_at_ms, parent_uuid, state, reasoning, generation_uuid";

Chat read_chat(const Stmt& s) {
    Chat c;
    c.uuid = s.col_text(0);
    c.title = s.col_text(1);
    c.model = s.col_text(2);
    c.created_at_ms = s.col_int(3);
    c.system_prompt = s.col_text(4);
    c.settings_json = s.col_text(5);
    c.current_leaf_uuid = s.col_text(6);
    return c;
}

Result<Message> read_message(const Db& db, const Stmt& s) {
    Message m;
    m.uuid = s.col_text(0);
    m.chat_uuid = s.col_text(1);
    m.seq = s.col_int(2);
    m.role = s.col_text(3);
    m.content = s.col_text(4);
    m.created_at_ms = s.col_int(5);
    m.parent_uuid = s.col_text(6);
    auto state = message_state_from_name(s.col_text(7));
    if (!state)
        return make_error(ErrorCode::ProjectCorrupt, db.path.string() + ": message " + m.uuid + " has an unknown state",
                          hint_corrupt());
    m.state = *state;
    m.reasoning = s.col_text(8);
    m.generation_uuid = s.col_text(9);
    return m;
}

bool valid_role(std::string_view role) {
    return role == "system" || role == "user" || role == "assistant" || role == "tool";
}

Result<bool> chat_exists(const Db& db, std::string_view chat_uuid) {
    ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, "SELECT 1 FROM chats WHERE uuid = ?"));
    s.bind(1, chat_uuid);
    return s.step();
}

// The chat a message belongs to; ProjectObjectNotFound when there is no such message.
Result<std::string> chat_of_message(const Db& db, std::string_view message_uuid) {
    ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, "SELECT chat_uuid FROM messages WHERE uuid = ?"));
    s.bind(1, message_uuid);
    ATELIER_TRY_ASSIGN(bool row, s.step());
    if (!row) return object_not_found(db, "message", message_uuid);
    return s.col_text(0);
}

// `leaf` empty, or a message of `chat_uuid`.
Status check_leaf(const Db& db, std::string_view chat_uuid, std::string_view leaf) {
    if (leaf.empty()) return ok_status();
    ATELIER_TRY_ASSIGN(std::string owner, chat_of_message(db, leaf));
    if (owner != chat_uuid)
        return invalid(db, "message " + std::string(leaf) + " belongs to another chat than " + std::string(chat_uuid));
    return ok_status();
}

}  // namespace

Result<Chat> create_chat(const Db& db, std::string_view title, std::string_view model) {
    Chat c;
    c.uuid = uuid_v7();
    c.title = std::string(title);
    c.model = std::string(model);
    c.created_at_ms = now_ms();
    ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, "INSERT INTO chats(uuid, title, model, created_at_ms) VALUES (?, ?, ?, ?)"));
    s.bind(1, c.uuid).bind(2, c.title).bind(3, c.model).bind(4, c.created_at_ms);
    ATELIER_TRY(s.run());
    return c;
}

Result<Chat> get_chat(const Db& db, std::string_view uuid) {
    ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, std::string("SELECT ") + kChatColumns + " FROM chats WHERE uuid = ?"));
    s.bind(1, uuid);
    ATELIER_TRY_ASSIGN(bool row, s.step());
    if (!row) return object_not_found(db, "chat", uuid);
    return read_chat(s);
}

Status update_chat(const Db& db, const Chat& c) {
    ATELIER_TRY_ASSIGN(bool exists, chat_exists(db, c.uuid));
    if (!exists) return object_not_found(db, "chat", c.uuid);
    ATELIER_TRY(check_leaf(db, c.uuid, c.current_leaf_uuid));
    ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, "UPDATE chats SET title = ?, model = ?, system_prompt = ?, settings_json = ?, "
                                                 "current_leaf_uuid = ? WHERE uuid = ?"));
    s.bind(1, c.title).bind(2, c.model).bind(3, c.system_prompt);
    s.bind(4, c.settings_json.empty() ? std::string_view("{}") : std::string_view(c.settings_json));
    s.bind_text_or_null(5, c.current_leaf_uuid).bind(6, c.uuid);
    Status st = s.run();
    if (!st.ok() && st.error().code == ErrorCode::InvalidArgument)
        return invalid(db, "chat " + c.uuid + ": settings are not valid JSON: " + c.settings_json.substr(0, 80));
    return st;
}

Status delete_chat(const Db& db, std::string_view uuid) {
    ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, "DELETE FROM chats WHERE uuid = ?"));
    s.bind(1, uuid);
    ATELIER_TRY(s.run());
    if (changes(db) == 0) return object_not_found(db, "chat", uuid);
    return ok_status();
}

Result<std::vector<Chat>> list_chats(const Db& db) {
    ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, std::string("SELECT ") + kChatColumns +
                                                     " FROM chats ORDER BY created_at_ms, rowid"));
    std::vector<Chat> out;
    for (;;) {
        ATELIER_TRY_ASSIGN(bool row, s.step());
        if (!row) break;
        out.push_back(read_chat(s));
    }
    return out;
}

Result<Message> add_message(const Db& db, std::string_view chat_uuid, std::string_view role, std::string_view content) {
    ATELIER_TRY_ASSIGN(bool exists, chat_exists(db, chat_uuid));
    if (!exists) return object_not_found(db, "chat", chat_uuid);
    // The branch shown ends at the current leaf; without one, at the newest message.
    ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, "SELECT COALESCE((SELECT current_leaf_uuid FROM chats WHERE uuid = ?1), "
                                                 "(SELECT uuid FROM messages WHERE chat_uuid = ?1 ORDER BY seq DESC LIMIT 1))"));
    s.bind(1, chat_uuid);
    ATELIER_TRY_ASSIGN(bool row, s.step());
    NewMessage m;
    m.chat_uuid = std::string(chat_uuid);
    m.parent_uuid = row ? s.col_text(0) : std::string();
    m.role = std::string(role);
    m.content = std::string(content);
    return insert_message(db, m);
}

Result<Message> insert_message(const Db& db, const NewMessage& in) {
    if (!valid_role(in.role))
        return invalid(db, "unknown message role '" + in.role + "' (system, user, assistant or tool)");
    if (!in.uuid.empty() && !uuid_is_valid(in.uuid)) return invalid(db, "message has an invalid uuid '" + in.uuid + "'");
    ATELIER_TRY_ASSIGN(bool exists, chat_exists(db, in.chat_uuid));
    if (!exists) return object_not_found(db, "chat", in.chat_uuid);
    ATELIER_TRY(check_leaf(db, in.chat_uuid, in.parent_uuid));
    Message m;
    m.uuid = in.uuid.empty() ? uuid_v7() : in.uuid;
    m.chat_uuid = in.chat_uuid;
    m.role = in.role;
    m.content = in.content;
    m.created_at_ms = now_ms();
    m.parent_uuid = in.parent_uuid;
    m.state = in.state == MessageState::Invalid ? MessageState::Done : in.state;
    m.reasoning = in.reasoning;
    m.generation_uuid = in.generation_uuid;
    ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, "INSERT INTO messages(uuid, chat_uuid, seq, role, content, created_at_ms, "
                                                 "parent_uuid, state, reasoning, generation_uuid) "
                                                 "VALUES (?1, ?2, (SELECT COALESCE(MAX(seq), 0) + 1 FROM messages "
                                                 "WHERE chat_uuid = ?2), ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING seq"));
    s.bind(1, m.uuid).bind(2, m.chat_uuid).bind(3, m.role).bind(4, m.content).bind(5, m.created_at_ms);
    s.bind_text_or_null(6, m.parent_uuid).bind(7, message_state_name(m.state)).bind(8, m.reasoning);
    s.bind_text_or_null(9, m.generation_uuid);
    ATELIER_TRY_ASSIGN(bool row, s.step());
    if (row) m.seq = s.col_int(0);
    ATELIER_TRY(s.run());  // RETURNING rows must be stepped to completion
    ATELIER_TRY(set_current_leaf(db, m.chat_uuid, m.uuid));
    return m;
}

Result<Message> get_message(const Db& db, std::string_view uuid) {
    ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, std::string("SELECT ") + kMessageColumns + " FROM messages WHERE uuid = ?"));
    s.bind(1, uuid);
    ATELIER_TRY_ASSIGN(bool row, s.step());
    if (!row) return object_not_found(db, "message", uuid);
    return read_message(db, s);
}

Status update_message_text(const Db& db, std::string_view uuid, std::string_view content, std::string_view reasoning,
                           MessageState state) {
    if (state == MessageState::Invalid) return invalid(db, "message " + std::string(uuid) + ": invalid state");
    ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, "UPDATE messages SET content = ?, reasoning = ?, state = ? WHERE uuid = ?"));
    s.bind(1, content).bind(2, reasoning).bind(3, message_state_name(state)).bind(4, uuid);
    ATELIER_TRY(s.run());
    if (changes(db) == 0) return object_not_found(db, "message", uuid);
    return ok_status();
}

Status set_current_leaf(const Db& db, std::string_view chat_uuid, std::string_view leaf_uuid) {
    ATELIER_TRY(check_leaf(db, chat_uuid, leaf_uuid));
    ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, "UPDATE chats SET current_leaf_uuid = ? WHERE uuid = ?"));
    s.bind_text_or_null(1, leaf_uuid).bind(2, chat_uuid);
    ATELIER_TRY(s.run());
    if (changes(db) == 0) return object_not_found(db, "chat", chat_uuid);
    return ok_status();
}

Result<std::vector<Message>> list_messages(const Db& db, std::string_view chat_uuid) {
    ATELIER_TRY_ASSIGN(bool exists, chat_exists(db, chat_uuid));
    if (!exists) return object_not_found(db, "chat", chat_uuid);
    ATELIER_TRY_ASSIGN(Stmt s, Stmt::prepare(db, std::string("SELECT ") + kMessageColumns +
                                                     " FROM messages WHERE chat_uuid = ? ORDER BY seq"));
    s.bind(1, chat_uuid);
    std::vector<Message> out;
    for (;;) {
        ATELIER_TRY_ASSIGN(bool row, s.step());
        if (!row) break;
        ATELIER_TRY_ASSIGN(Message m, read_message(db, s));
        out.push_back(std::move(m));
    }
    return out;
}

}  // namespace detail
}  // namespace atelier::projects
