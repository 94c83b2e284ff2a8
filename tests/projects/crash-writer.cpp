// Helper process for the crash test (test-project-crash.cpp): opens or creates a project,
// records a job as running, then commits forever. Each line it prints on stdout is written only
// AFTER the commit it names returned, so every printed id must survive a SIGKILL.
//   "job <uuid>"  - a job committed in state running (must read 'interrupted' after reopen)
//   "ack <uuid>"  - an asset (plus a setting and a message in the same transaction) committed
// Usage: crash-writer <project.atelier> <seed>. Exits 2 on any error (printed on stderr).
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "core/uuid.h"
#include "projects/project.h"

namespace ap = atelier::projects;

namespace {

int fail(const char* what, const atelier::Error& e) {
    std::fprintf(stderr, "crash-writer: %s: %s\n", what, e.message().c_str());
    return 2;
}

atelier::Status commit_one(ap::Project& p, const std::string& chat, std::mt19937& rng, const std::string& uuid) {
    ATELIER_TRY_ASSIGN(ap::Transaction tx, p.begin("crash-writer commit"));
    ap::Asset a;
    a.uuid = uuid;
    a.kind = ap::AssetKind::Image;
    a.name = "crash-" + uuid + ".png";
    a.content_hash = uuid.substr(0, 8) + std::string(24, '0');
    a.storage = ap::AssetStorage::MediaFile;
    a.rel_path = uuid + ".png";
    ap::AssetDerived d;
    d.thumbnail_png.resize(1500 + rng() % 2500);  // a few KB: pages and checkpoints keep turning over
    for (auto& b : d.thumbnail_png) b = static_cast<uint8_t>(rng());
    d.thumbnail_width = 16;
    d.thumbnail_height = 16;
    ATELIER_TRY(p.insert_asset(a, d));
    ATELIER_TRY(p.set_setting("crash.last", "\"" + uuid + "\""));
    ATELIER_TRY(p.add_message(chat, "user", uuid));
    return tx.commit();
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: crash-writer <project.atelier> <seed>\n");
        return 2;
    }
    const std::string path = argv[1];
    std::mt19937 rng(static_cast<uint32_t>(std::strtoul(argv[2], nullptr, 10)));
    auto opened = ap::Project::open(path);
    if (!opened.ok() && opened.error().code == atelier::ErrorCode::ProjectNotFound) opened = ap::Project::create(path);
    if (!opened.ok()) return fail("open", opened.error());
    ap::Project& p = **opened;

    ap::JobRecord job;
    job.uuid = atelier::uuid_v7();
    job.kind = "crash-test";
    job.state = atelier::JobState::Running;
    if (auto st = p.upsert_job(job); !st.ok()) return fail("upsert_job", st.error());
    std::printf("job %s\n", job.uuid.c_str());
    std::fflush(stdout);

    auto chat = p.create_chat("crash");
    if (!chat.ok()) return fail("create_chat", chat.error());
    for (;;) {
        std::string uuid = atelier::uuid_v7();
        if (auto st = commit_one(p, chat->uuid, rng, uuid); !st.ok()) return fail("commit", st.error());
        std::printf("ack %s\n", uuid.c_str());
        std::fflush(stdout);
    }
}
