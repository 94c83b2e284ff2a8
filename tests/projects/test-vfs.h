// Test-only SQLite VFS shims over the default VFS that inject file-system faults:
//   "atelier-test-full"     - xWrite fails with SQLITE_FULL once a byte budget is spent;
//   "atelier-test-readonly" - the database opens read-only whatever is asked (chmod 0444 as the
//                             unix VFS sees it; tests run as root, where chmod stops nothing);
//   "atelier-test-rofolder" - no new file can be created (the database, -wal, -shm: a 0555 folder).
// Thread-safety: register once (idempotent); the budget is atomic, shared by all connections.
#pragma once

#include <cstdint>

namespace atelier::test {

inline constexpr const char* kFullDiskVfs = "atelier-test-full";
inline constexpr const char* kReadOnlyVfs = "atelier-test-readonly";
inline constexpr const char* kReadOnlyFolderVfs = "atelier-test-rofolder";

void register_fault_vfs();                 // all three; safe to call repeatedly
void set_write_budget(int64_t bytes);      // for kFullDiskVfs; negative: unlimited
int64_t bytes_written_through_full_vfs();  // since the last set_write_budget

}  // namespace atelier::test
