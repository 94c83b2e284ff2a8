// atelier-cli tests: run the built binary as a user would, parse --json with nlohmann, check exit
// codes, and read the project file with the sqlite3 shell (an independent reader). Ctrl+C and a
// crash are real signals sent to a real process.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "../pipelines/test-util.h"
#include "cli-run.h"
#include "pipelines/demo-media.h"

extern char** environ;

namespace atelier::test {
namespace {

using nlohmann::json;

class CliTest : public ::testing::Test {
protected:
    CliRun cli(const std::vector<std::string>& args) { return run_cli(args); }

    // Starts atelier-cli in the background; stdout/stderr go to files in dir_.
    pid_t spawn(const std::vector<std::string>& args) {
        std::vector<std::string> all = {ATELIER_CLI_PATH};
        all.insert(all.end(), args.begin(), args.end());
        std::vector<char*> argv;
        for (auto& a : all) argv.push_back(a.data());
        argv.push_back(nullptr);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 1, (dir_ / "bg-out.txt").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_addopen(&fa, 2, (dir_ / "bg-err.txt").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        pid_t pid = -1;
        posix_spawn(&pid, ATELIER_CLI_PATH, &fa, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&fa);
        return pid;
    }

    // Polls the project with sqlite3 until `sql` returns `want` (up to 20 s).
    bool wait_for(const fs::path& db, const std::string& sql, const std::string& want) {
        for (int i = 0; i < 2000; ++i) {
            if (sqlite_value(db, sql) == want) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return false;
    }

    fs::path new_project(const std::string& name = "p") {
        const fs::path p = dir_ / (name + ".atelier");
        const CliRun r = cli({"project", "new", p.string(), "--json"});
        EXPECT_EQ(r.code, 0) << r.err;
        return p;
    }

    fs::path many_pngs(int n, int side) {
        const fs::path folder = dir_ / "many";
        fs::create_directories(folder);
        for (int i = 0; i < n; ++i)
            EXPECT_TRUE(pipelines::demo::write_gradient_png(folder / ("i" + std::to_string(i) + ".png"), side, side, 900 + i).ok());
        return folder;
    }

    TempDir dir_;
};

TEST_F(CliTest, VersionAndHelp) {
    const CliRun v = cli({"--version"});
    EXPECT_EQ(v.code, 0);
    EXPECT_EQ(v.out, std::string("atelier-cli ") + ATELIER_EXPECTED_VERSION + "\n");
    EXPECT_EQ(cli({"--version", "--json"}).j().at("version"), ATELIER_EXPECTED_VERSION);
    const CliRun h = cli({"--help"});
    EXPECT_EQ(h.code, 0);
    for (const char* s : {"project new", "project info", "project import", "project list", "project bundle",
                          "project rerun", "demo", "130", "disk full", "--json"})
        EXPECT_NE(h.out.find(s), std::string::npos) << s;
    EXPECT_EQ(cli({"project", "import", "--help"}).code, 0);
}

TEST_F(CliTest, NewInfoImportListAsJson) {
    const fs::path p = dir_ / "p.atelier";
    const CliRun made = cli({"project", "new", p.string(), "--name", "Holiday", "--json"});
    ASSERT_EQ(made.code, 0) << made.err;
    EXPECT_EQ(made.j().at("project").at("name"), "Holiday");
    EXPECT_EQ(sqlite_value(p, "PRAGMA application_id"), std::to_string(0x41544C52));
    EXPECT_EQ(sqlite_value(p, "SELECT name FROM project"), "Holiday");

    ASSERT_TRUE(pipelines::demo::write_gradient_png(dir_ / "a.png", 30, 20, 1).ok());
    ASSERT_TRUE(pipelines::demo::write_sine_wav(dir_ / "b.wav", 440, 300).ok());
    const CliRun imp = cli({"project", "import", p.string(), (dir_ / "a.png").string(), (dir_ / "b.wav").string(), "--json"});
    ASSERT_EQ(imp.code, 0) << imp.err;
    const json ij = imp.j();
    EXPECT_EQ(ij.at("added").size(), 2u);
    EXPECT_EQ(ij.at("job").at("state"), "done");

    const json info = cli({"project", "info", p.string(), "--json"}).j();
    EXPECT_EQ(info.at("project").at("asset_count"), 2);
    EXPECT_EQ(info.at("project").at("assets_by_kind").at("image"), 1);
    const json all = cli({"project", "list", p.string(), "--json"}).j();
    EXPECT_EQ(all.at("assets").size(), 2u);
    const json images = cli({"project", "list", p.string(), "--kind", "image", "--json"}).j();
    ASSERT_EQ(images.at("assets").size(), 1u);
    EXPECT_EQ(images.at("assets")[0].at("width"), 30);
    EXPECT_EQ(images.at("assets")[0].at("uuid"), sqlite_value(p, "SELECT uuid FROM assets WHERE kind = 'image'"));
    const json jobs = cli({"project", "list", p.string(), "--jobs", "--json"}).j();
    ASSERT_EQ(jobs.at("jobs").size(), 1u);
    EXPECT_EQ(jobs.at("jobs")[0].at("state"), "done");
    EXPECT_EQ(jobs.at("jobs")[0].at("kind"), "import");
    // Human output names the file.
    EXPECT_NE(cli({"project", "list", p.string()}).out.find("a.png"), std::string::npos);
}

TEST_F(CliTest, ImportWithSomeBadFilesExitsTwoAndKeepsTheGoodOnes) {
    const fs::path p = new_project();
    ASSERT_TRUE(pipelines::demo::write_gradient_png(dir_ / "ok.png", 10, 10, 1).ok());
    write_file(dir_ / "text.png", "not an image");
    const CliRun r = cli({"project", "import", p.string(), (dir_ / "ok.png").string(), (dir_ / "text.png").string(), "--json"});
    EXPECT_EQ(r.code, 2);
    const json j = r.j();
    EXPECT_EQ(j.at("added").size(), 1u);
    ASSERT_EQ(j.at("failures").size(), 1u);
    EXPECT_FALSE(j.at("failures")[0].at("error").at("hint").get<std::string>().empty());
    EXPECT_EQ(sqlite_value(p, "SELECT name FROM assets"), "ok.png");
}

TEST_F(CliTest, ErrorsHaveExitCodesAndSayWhatToDo) {
    write_file(dir_ / "notes.atelier", "just some text, not a database");
    const CliRun foreign = cli({"project", "info", (dir_ / "notes.atelier").string(), "--json"});
    EXPECT_EQ(foreign.code, 3);
    const json e = foreign.j().at("error");
    EXPECT_EQ(e.at("name"), "project_not_atelier");
    EXPECT_EQ(e.at("code"), 4000);
    EXPECT_FALSE(e.at("detail").get<std::string>().empty());
    EXPECT_FALSE(e.at("hint").get<std::string>().empty());

    const CliRun missing = cli({"project", "info", (dir_ / "nope.atelier").string()});
    EXPECT_EQ(missing.code, 2);
    EXPECT_NE(missing.err.find("what to do:"), std::string::npos) << missing.err;

    const fs::path p = new_project();
    EXPECT_EQ(cli({"project", "import", p.string(), (dir_ / "missing.png").string()}).code, 2);
    // A newer schema, as another tool would leave it.
    const fs::path newer = new_project("newer");
    run_capture("sqlite3 " + shell_quote(newer.string()) + " 'PRAGMA user_version = 99'");
    const CliRun too_new = cli({"project", "info", newer.string(), "--json"});
    EXPECT_EQ(too_new.code, 3);
    EXPECT_EQ(too_new.j().at("error").at("name"), "project_too_new");

    const CliRun usage = cli({"project", "list", p.string(), "--bogus"});
    EXPECT_EQ(usage.code, 1);
    EXPECT_NE(usage.err.find("--bogus"), std::string::npos);
    EXPECT_EQ(cli({"frobnicate"}).code, 1);
    EXPECT_EQ(cli({"project", "new", p.string()}).code, 2);  // exists already
}

TEST_F(CliTest, BundleFolderAndZip) {
    const fs::path p = new_project();
    ASSERT_TRUE(pipelines::demo::write_gradient_png(dir_ / "a.png", 10, 10, 1).ok());
    ASSERT_EQ(cli({"project", "import", p.string(), (dir_ / "a.png").string()}).code, 0);
    const CliRun folder = cli({"project", "bundle", p.string(), (dir_ / "b").string(), "--json"});
    ASSERT_EQ(folder.code, 0) << folder.err;
    EXPECT_EQ(folder.j().at("bundle").at("asset_count"), 1);
    EXPECT_TRUE(fs::exists(dir_ / "b" / "manifest.json"));
    const CliRun zip = cli({"project", "bundle", p.string(), (dir_ / "b.zip").string(), "--zip", "--json"});
    ASSERT_EQ(zip.code, 0) << zip.err;
    int rc = -1;
    const std::string listing = run_capture("unzip -l " + shell_quote((dir_ / "b.zip").string()), &rc);
    EXPECT_EQ(rc, 0);
    EXPECT_NE(listing.find("manifest.json"), std::string::npos);
    EXPECT_EQ(cli({"project", "bundle", p.string(), (dir_ / "b").string()}).code, 2);  // exists: refused
}

TEST_F(CliTest, CtrlCCancelsTheImportCleanlyAndExits130) {
    const fs::path p = new_project();
    const fs::path folder = many_pngs(400, 160);
    const pid_t pid = spawn({"project", "import", p.string(), folder.string()});
    ASSERT_GT(pid, 0);
    ASSERT_TRUE(wait_for(p, "SELECT state FROM jobs", "running"));
    ::kill(pid, SIGINT);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status)) << "killed by the signal instead of cancelling";
    EXPECT_EQ(WEXITSTATUS(status), 130) << read_file(dir_ / "bg-err.txt");
    EXPECT_EQ(sqlite_value(p, "SELECT state FROM jobs"), "cancelled");
    EXPECT_EQ(sqlite_value(p, "SELECT count(*) FROM assets"), "0");
    EXPECT_EQ(sqlite_value(p, "PRAGMA integrity_check"), "ok");
}

TEST_F(CliTest, KilledImportIsRerunFromTheCli) {
    const fs::path p = new_project();
    const fs::path folder = many_pngs(200, 128);
    const pid_t pid = spawn({"project", "import", p.string(), folder.string()});
    ASSERT_TRUE(wait_for(p, "SELECT state FROM jobs", "running"));
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    const std::string uuid = sqlite_value(p, "SELECT uuid FROM jobs");
    const json listed = cli({"project", "list", p.string(), "--jobs", "--json"}).j();  // read-only: not yet marked
    EXPECT_EQ(listed.at("jobs")[0].at("state"), "running");
    const CliRun rerun = cli({"project", "rerun", p.string(), uuid, "--json"});
    ASSERT_EQ(rerun.code, 0) << rerun.err;
    EXPECT_EQ(rerun.j().at("job").at("rerun_of"), uuid);
    EXPECT_EQ(sqlite_value(p, "SELECT state FROM jobs WHERE uuid = '" + uuid + "'"), "interrupted");
    EXPECT_EQ(sqlite_value(p, "SELECT count(*) FROM assets"), "200");
    // A job that is not unfinished cannot be rerun: exit 2 with a hint.
    const std::string done_uuid = sqlite_value(p, "SELECT uuid FROM jobs WHERE rerun_of = '" + uuid + "'");
    const CliRun again = cli({"project", "rerun", p.string(), done_uuid, "--json"});
    EXPECT_EQ(again.code, 2);
    EXPECT_EQ(again.j().at("error").at("name"), "invalid_argument");
}

TEST_F(CliTest, DemoCompletesAndSaysWhereItsOutputsAre) {
    const fs::path out = dir_ / "demo";
    const CliRun r = cli({"demo", "--out", out.string(), "--json"});
    ASSERT_EQ(r.code, 0) << r.err;
    const json d = r.j().at("demo");
    for (const char* key : {"project", "bundle_folder", "bundle_zip", "media_dir"})
        EXPECT_TRUE(fs::exists(d.at(key).get<std::string>())) << key;
    EXPECT_EQ(d.at("first_import").at("duplicates"), 1);
    EXPECT_EQ(d.at("second_import").at("added"), 0);
    EXPECT_EQ(d.at("undo").at("after_undo"), 0);
    EXPECT_EQ(d.at("undo").at("after_redo"), d.at("undo").at("before"));
    EXPECT_EQ(sqlite_value(d.at("project").get<std::string>(), "SELECT count(*) FROM assets"),
              std::to_string(d.at("assets").get<int>()));
    // Step 8: the tiny V4 answered in the project's chat (scripts/test made the .venv the
    // generator needs); the project file holds the question, the 24-token answer and its provenance.
    const json& chat = d.at("chat");
    ASSERT_TRUE(chat.at("ran").get<bool>()) << chat.dump();
    EXPECT_EQ(chat.at("tokens"), 24);
    const std::string project = d.at("project");
    const std::string chat_uuid = chat.at("chat");
    EXPECT_EQ(sqlite_value(project, "SELECT count(*) FROM messages WHERE chat_uuid = '" + chat_uuid + "'"), "2");
    EXPECT_EQ(sqlite_value(project, "SELECT state FROM messages WHERE chat_uuid = '" + chat_uuid + "' AND role = 'assistant'"),
              "done");
    EXPECT_EQ(sqlite_value(project, "SELECT count(*) FROM generations WHERE uuid = '" +
                                        chat.at("generation").get<std::string>() + "' AND model_hash <> ''"),
              "1");
    // Running it again replaces the earlier demo instead of failing.
    EXPECT_EQ(cli({"demo", "--out", out.string(), "--no-video", "--quiet"}).code, 0);
}

}  // namespace
}  // namespace atelier::test
