// Helper process for the chat crash test (test-chat-crash.cpp): opens or creates a project, starts
// a chat answer from the toy model (toy_long_answer(), 1 ms per token) and prints, after each
// commit the chat service reports, the number of answer bytes on disk. It never exits by itself:
// the test kills it with SIGKILL mid-answer.
//   "msg <uuid>"  - the assistant message exists (committed 'streaming')
//   "ack <bytes>" - the message's committed content has this many bytes
// Usage: chat-crash-writer <project.atelier>. Exits 2 on any error (printed on stderr).
#include <chrono>
#include <cstdio>
#include <thread>

#include "pipelines/chat.h"
#include "pipelines/studio.h"
#include "tests/pipelines/toy-lm.h"

namespace ap = atelier::pipelines;

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: chat-crash-writer <project.atelier>\n");
        return 2;
    }
    auto studio = ap::Studio::open(argv[1]);
    if (!studio.ok() && studio.error().code == atelier::ErrorCode::ProjectNotFound) studio = ap::Studio::create(argv[1]);
    if (!studio.ok()) {
        std::fprintf(stderr, "chat-crash-writer: %s\n", studio.error().message().c_str());
        return 2;
    }
    auto toy = atelier::test::make_toy_model([](const std::string&) { return atelier::test::toy_long_answer(); });
    toy.lm->delay_ms_per_token = 1;
    auto models = std::make_shared<ap::ModelCache>();
    models->insert(toy.loaded);
    ap::ChatService chat(**studio, models);
    chat.set_on_update([](const ap::ChatUpdate& u) {
        if (u.content.empty()) return;
        std::printf("ack %zu\n", u.content.size());
        std::fflush(stdout);
    });
    auto c = (*studio)->project().create_chat("crash");
    ap::ChatSettings settings;
    settings.model = atelier::test::kToyModelKey;
    settings.max_tokens = 100000;
    c->settings_json = settings.to_json();
    if (auto st = (*studio)->project().update_chat(*c); !st.ok()) return 2;
    auto a = chat.send(c->uuid, "Please talk for a long time.");
    if (!a.ok()) {
        std::fprintf(stderr, "chat-crash-writer: %s\n", a.error().message().c_str());
        return 2;
    }
    std::printf("msg %s\n", a->message_uuid.c_str());
    std::fflush(stdout);
    for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
}
