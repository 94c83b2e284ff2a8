// The SQLite result code -> ErrorCode mapping (projects/sqlite-util.h, internal): every mapped
// error names the file and the codes a user can act on carry a hint. Codes come from sqlite3.h.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "projects/sqlite-util.h"

using atelier::ErrorCode;
using atelier::projects::detail::sqlite_error;

TEST(ProjectErrors, SqliteCodesMapToProjectErrors) {
    const std::filesystem::path path = "/some/where/film.atelier";
    struct Case {
        int rc;
        ErrorCode code;
        const char* hint_word;  // nullptr: no hint required
    };
    const Case cases[] = {
        {SQLITE_CORRUPT, ErrorCode::ProjectCorrupt, "backup"},
        {SQLITE_NOTADB, ErrorCode::ProjectCorrupt, "did not modify"},
        {SQLITE_FULL, ErrorCode::DiskFull, "space"},
        {SQLITE_READONLY, ErrorCode::ProjectReadOnly, "Save As"},
        {SQLITE_READONLY_DBMOVED, ErrorCode::ProjectReadOnly, "read-only"},
        {SQLITE_CANTOPEN, ErrorCode::ProjectReadOnly, "Save As"},
        {SQLITE_PERM, ErrorCode::ProjectReadOnly, "Save As"},
        {SQLITE_BUSY, ErrorCode::ProjectBusy, "close it"},
        {SQLITE_BUSY_SNAPSHOT, ErrorCode::ProjectBusy, "close it"},
        {SQLITE_LOCKED, ErrorCode::ProjectBusy, "close it"},
        {SQLITE_CONSTRAINT_UNIQUE, ErrorCode::AlreadyExists, nullptr},
        {SQLITE_CONSTRAINT_PRIMARYKEY, ErrorCode::AlreadyExists, nullptr},
        {SQLITE_CONSTRAINT_FOREIGNKEY, ErrorCode::ProjectObjectNotFound, "does not exist"},
        {SQLITE_CONSTRAINT_CHECK, ErrorCode::InvalidArgument, nullptr},
        {SQLITE_NOMEM, ErrorCode::OutOfMemory, "close other programs"},
        {SQLITE_IOERR_WRITE, ErrorCode::IoError, "drive"},
        {SQLITE_ERROR, ErrorCode::ProjectSql, "report"},
        {SQLITE_MISUSE, ErrorCode::ProjectSql, "report"},
    };
    for (const Case& c : cases) {
        atelier::Error e = sqlite_error(c.rc, nullptr, path, "doing something");
        EXPECT_EQ(e.code, c.code) << "rc " << c.rc;
        EXPECT_NE(e.detail.find(path.string()), std::string::npos) << e.detail;
        EXPECT_NE(e.detail.find("doing something"), std::string::npos) << e.detail;
        EXPECT_NE(e.detail.find(sqlite3_errstr(c.rc)), std::string::npos) << e.detail;
        if (c.hint_word != nullptr) {
            EXPECT_NE(e.hint.find(c.hint_word), std::string::npos) << "rc " << c.rc << ": " << e.hint;
        }
    }
}
