// Fault-injecting SQLite VFS shims for tests (see test-vfs.h). Each shim file wraps a file of
// the default VFS placed right after it in the same allocation; every method forwards, except
// xWrite (budget), xOpen (read-only modes) and xShmMap (no -shm creation in a read-only folder).
// Thread-safety: SQLite may call these from any connection's thread; state is atomic.
#include "tests/projects/test-vfs.h"

#include <sqlite3.h>

#include <atomic>
#include <cstring>
#include <mutex>

namespace atelier::test {

namespace {

enum class Mode { Full, ReadOnly, ReadOnlyFolder };

std::atomic<int64_t> g_budget{-1};
std::atomic<int64_t> g_written{0};
sqlite3_vfs* g_real = nullptr;

struct ShimFile {
    sqlite3_file base;
    sqlite3_file* real;
    Mode mode;
};

sqlite3_file* real_of(sqlite3_file* f) { return reinterpret_cast<ShimFile*>(f)->real; }

int x_close(sqlite3_file* f) { return real_of(f)->pMethods->xClose(real_of(f)); }
int x_read(sqlite3_file* f, void* p, int n, sqlite3_int64 off) { return real_of(f)->pMethods->xRead(real_of(f), p, n, off); }
int x_write(sqlite3_file* f, const void* p, int n, sqlite3_int64 off) {
    auto* shim = reinterpret_cast<ShimFile*>(f);
    if (shim->mode == Mode::Full) {
        int64_t budget = g_budget.load();
        if (budget >= 0 && g_written.load() + n > budget) return SQLITE_FULL;
        g_written += n;
    }
    return shim->real->pMethods->xWrite(shim->real, p, n, off);
}
int x_truncate(sqlite3_file* f, sqlite3_int64 size) { return real_of(f)->pMethods->xTruncate(real_of(f), size); }
int x_sync(sqlite3_file* f, int flags) { return real_of(f)->pMethods->xSync(real_of(f), flags); }
int x_file_size(sqlite3_file* f, sqlite3_int64* size) { return real_of(f)->pMethods->xFileSize(real_of(f), size); }
int x_lock(sqlite3_file* f, int l) { return real_of(f)->pMethods->xLock(real_of(f), l); }
int x_unlock(sqlite3_file* f, int l) { return real_of(f)->pMethods->xUnlock(real_of(f), l); }
int x_check_reserved(sqlite3_file* f, int* out) { return real_of(f)->pMethods->xCheckReservedLock(real_of(f), out); }
int x_file_control(sqlite3_file* f, int op, void* arg) { return real_of(f)->pMethods->xFileControl(real_of(f), op, arg); }
int x_sector_size(sqlite3_file* f) { return real_of(f)->pMethods->xSectorSize(real_of(f)); }
int x_device(sqlite3_file* f) { return real_of(f)->pMethods->xDeviceCharacteristics(real_of(f)); }
int x_shm_map(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
    auto* shim = reinterpret_cast<ShimFile*>(f);
    if (shim->mode == Mode::ReadOnlyFolder) return SQLITE_READONLY_CANTINIT;  // no -shm may be created
    return shim->real->pMethods->xShmMap(shim->real, region, size, extend, out);
}
int x_shm_lock(sqlite3_file* f, int off, int n, int flags) { return real_of(f)->pMethods->xShmLock(real_of(f), off, n, flags); }
void x_shm_barrier(sqlite3_file* f) { real_of(f)->pMethods->xShmBarrier(real_of(f)); }
int x_shm_unmap(sqlite3_file* f, int del) { return real_of(f)->pMethods->xShmUnmap(real_of(f), del); }
int x_fetch(sqlite3_file* f, sqlite3_int64 off, int n, void** pp) { return real_of(f)->pMethods->xFetch(real_of(f), off, n, pp); }
int x_unfetch(sqlite3_file* f, sqlite3_int64 off, void* p) { return real_of(f)->pMethods->xUnfetch(real_of(f), off, p); }

const sqlite3_io_methods kMethods = {
    3,         x_close,   x_read,      x_write,   x_truncate,    x_sync,       x_file_size, x_lock,    x_unlock,
    x_check_reserved, x_file_control, x_sector_size, x_device, x_shm_map, x_shm_lock, x_shm_barrier, x_shm_unmap,
    x_fetch,   x_unfetch,
};

template <Mode M>
int x_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
    auto* shim = reinterpret_cast<ShimFile*>(f);
    shim->base.pMethods = nullptr;
    shim->real = reinterpret_cast<sqlite3_file*>(shim + 1);
    shim->mode = M;
    bool main_db = (flags & SQLITE_OPEN_MAIN_DB) != 0;
    if (M == Mode::ReadOnly && main_db && (flags & SQLITE_OPEN_READWRITE) != 0)
        flags = (flags & ~(SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) | SQLITE_OPEN_READONLY;
    if (M == Mode::ReadOnlyFolder && (flags & SQLITE_OPEN_CREATE) != 0) {
        int exists = 0;
        if (name == nullptr || g_real->xAccess(g_real, name, SQLITE_ACCESS_EXISTS, &exists) != SQLITE_OK || !exists)
            return SQLITE_CANTOPEN;  // a new file in a folder that cannot be written
    }
    int rc = g_real->xOpen(g_real, name, shim->real, flags, out_flags);
    if (shim->real->pMethods != nullptr) shim->base.pMethods = &kMethods;
    return rc;
}

int x_delete(sqlite3_vfs*, const char* name, int sync) { return g_real->xDelete(g_real, name, sync); }
int x_access(sqlite3_vfs*, const char* name, int flags, int* out) { return g_real->xAccess(g_real, name, flags, out); }
int x_full_pathname(sqlite3_vfs*, const char* name, int n, char* out) { return g_real->xFullPathname(g_real, name, n, out); }
void* x_dl_open(sqlite3_vfs*, const char* name) { return g_real->xDlOpen(g_real, name); }
void x_dl_error(sqlite3_vfs*, int n, char* msg) { g_real->xDlError(g_real, n, msg); }
void (*x_dl_sym(sqlite3_vfs*, void* h, const char* sym))(void) { return g_real->xDlSym(g_real, h, sym); }
void x_dl_close(sqlite3_vfs*, void* h) { g_real->xDlClose(g_real, h); }
int x_randomness(sqlite3_vfs*, int n, char* out) { return g_real->xRandomness(g_real, n, out); }
int x_sleep(sqlite3_vfs*, int us) { return g_real->xSleep(g_real, us); }
int x_current_time(sqlite3_vfs*, double* t) { return g_real->xCurrentTime(g_real, t); }
int x_last_error(sqlite3_vfs*, int n, char* msg) { return g_real->xGetLastError(g_real, n, msg); }
int x_current_time64(sqlite3_vfs*, sqlite3_int64* t) { return g_real->xCurrentTimeInt64(g_real, t); }

template <Mode M>
sqlite3_vfs make_vfs(const char* name) {
    sqlite3_vfs v{};
    v.iVersion = 2;
    v.szOsFile = static_cast<int>(sizeof(ShimFile)) + g_real->szOsFile;
    v.mxPathname = g_real->mxPathname;
    v.zName = name;
    v.xOpen = x_open<M>;
    v.xDelete = x_delete;
    v.xAccess = x_access;
    v.xFullPathname = x_full_pathname;
    v.xDlOpen = x_dl_open;
    v.xDlError = x_dl_error;
    v.xDlSym = x_dl_sym;
    v.xDlClose = x_dl_close;
    v.xRandomness = x_randomness;
    v.xSleep = x_sleep;
    v.xCurrentTime = x_current_time;
    v.xGetLastError = x_last_error;
    v.xCurrentTimeInt64 = x_current_time64;
    return v;
}

}  // namespace

void register_fault_vfs() {
    static std::once_flag once;
    std::call_once(once, [] {
        g_real = sqlite3_vfs_find(nullptr);
        static sqlite3_vfs full = make_vfs<Mode::Full>(kFullDiskVfs);
        static sqlite3_vfs read_only = make_vfs<Mode::ReadOnly>(kReadOnlyVfs);
        static sqlite3_vfs folder = make_vfs<Mode::ReadOnlyFolder>(kReadOnlyFolderVfs);
        sqlite3_vfs_register(&full, 0);
        sqlite3_vfs_register(&read_only, 0);
        sqlite3_vfs_register(&folder, 0);
    });
}

void set_write_budget(int64_t bytes) {
    g_written = 0;
    g_budget = bytes;
}

int64_t bytes_written_through_full_vfs() { return g_written.load(); }

}  // namespace atelier::test
