// Test-only SQLite VFS shims that wrap the default VFS to inject file-system faults:
//   "atelier-test-full"      - xWrite fails with SQLITE_FULL once a byte budget is spent (disk full);
//   "atelier-test-readonly"  - the main database opens read-only whatever is asked, as the unix
//                              VFS does for a chmod 0444 file (tests run as root, where chmod
//                              does not stop writes, so this is how the read-only path is tested);
//   "atelier-test-rofolder"  - no new file can be created (the database itself, -wal, -shm,
//                              journals), as in a folder with mode 0555.
// Thread-safety: register once (idempotent); the budget is an atomic shared by all connections.
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
