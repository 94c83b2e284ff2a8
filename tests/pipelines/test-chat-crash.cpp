// Crash test of the chat pipeline: a child process (chat-crash-writer) streams a long answer from
// the toy model into a project and is killed with SIGKILL at a random moment mid-answer. After
// every kill: the file opens and passes integrity_check; the answer holds at least every byte the
// child had reported committed, and is a prefix of the script; the dead writer left it 'streaming'
// (read through the sqlite3 program before reopening) and reopening marks it 'interrupted' with
// its text, together with its generation and job. Fixed seed; 8 kills.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>

#include "projects/project.h"
#include "test-util.h"
#include "toy-lm.h"

namespace atelier::test {
namespace {

struct Killed {
    std::string message;     // the assistant message's uuid
    size_t acked_bytes = 0;  // the most the child reported committed
    int acks = 0;
    bool killed = false;
};

// Runs the child until it reported `want_acks` commits, waits `extra` more, then SIGKILLs it.
Killed run_and_kill(const fs::path& project, int want_acks, std::chrono::microseconds extra) {
    Killed k;
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        ADD_FAILURE() << "pipe failed";
        return k;
    }
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(fds[1], STDOUT_FILENO);
        ::execl(ATELIER_CHAT_CRASH_WRITER, ATELIER_CHAT_CRASH_WRITER, project.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    ::close(fds[1]);
    std::string out;
    char buf[4096];
    auto parse = [&] {
        k.acks = 0;
        size_t start = 0;
        for (size_t nl; (nl = out.find('\n', start)) != std::string::npos; start = nl + 1) {
            const std::string line = out.substr(start, nl - start);
            if (line.rfind("msg ", 0) == 0) k.message = line.substr(4);
            if (line.rfind("ack ", 0) == 0) {
                ++k.acks;
                k.acked_bytes = std::max<size_t>(k.acked_bytes, std::stoul(line.substr(4)));
            }
        }
    };
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);  // only if the child is stuck
    std::chrono::steady_clock::time_point kill_at{};
    for (;;) {
        const auto now = std::chrono::steady_clock::now();
        if (now > give_up || (kill_at != std::chrono::steady_clock::time_point{} && now >= kill_at)) break;
        pollfd p{fds[0], POLLIN, 0};
        if (::poll(&p, 1, 1) <= 0) continue;
        const ssize_t n = ::read(fds[0], buf, sizeof buf);
        if (n <= 0) break;  // the child exited by itself: an error
        out.append(buf, static_cast<size_t>(n));
        parse();
        if (kill_at == std::chrono::steady_clock::time_point{} && !k.message.empty() && k.acks >= want_acks)
            kill_at = std::chrono::steady_clock::now() + extra;
    }
    k.killed = ::kill(pid, SIGKILL) == 0;
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "chat-crash-writer ended by itself, status " << status;
    parse();  // acks written before the kill are commits that had returned
    return k;
}

}  // namespace

TEST(ChatCrash, KilledMidAnswerKeepsTheStreamedTextAndReopensInterrupted) {
    TempDir dir;
    std::mt19937 rng(4242);  // fixed: the same kill schedule every run
    const std::string script = toy_long_answer();
    for (int i = 0; i < 8; ++i) {
        SCOPED_TRACE("kill " + std::to_string(i));
        const fs::path path = dir / ("crash-" + std::to_string(i) + ".atelier");
        const int want_acks = 1 + static_cast<int>(rng() % 6);
        const auto extra = std::chrono::microseconds(rng() % 60000);
        Killed k = run_and_kill(path, want_acks, extra);
        ASSERT_TRUE(k.killed);
        ASSERT_FALSE(k.message.empty()) << "the child never started its answer";
        ASSERT_GE(k.acks, want_acks);

        // What the dead writer left, read by the sqlite3 program (recovers the WAL like any reader).
        const std::string where = " FROM messages WHERE uuid = '" + k.message + "'";
        EXPECT_EQ(sqlite_value(path, "SELECT state" + where), "streaming");
        const size_t left = std::stoul(sqlite_value(path, "SELECT length(CAST(content AS BLOB))" + where));
        EXPECT_GE(left, k.acked_bytes) << "lost text the child had reported committed";

        auto p = projects::Project::open(path);
        ASSERT_TRUE(p.ok()) << p.error().message();
        EXPECT_EQ(*(*p)->integrity_check(), "ok");
        EXPECT_EQ((*p)->interrupted_messages_on_open(), 1);
        auto m = (*p)->get_message(k.message);
        ASSERT_TRUE(m.ok());
        EXPECT_EQ(m->state, projects::MessageState::Interrupted);
        EXPECT_EQ(m->content.size(), left) << "reopening keeps the text";
        EXPECT_EQ(script.rfind(m->content, 0), 0u) << "the text is the start of the answer";
        EXPECT_GT(m->content.size(), 0u);
        EXPECT_EQ((*p)->get_generation(m->generation_uuid)->status, "interrupted");
        EXPECT_EQ((*p)->interrupted_on_open(), 1) << "the chat job";
    }
}

}  // namespace atelier::test
