// A SQLite VFS shim that fails the Nth write or sync (I/O error or disk full), once or
// persistently, after which the caller must see a clean error (DUR-02, SEC-09).
#ifndef BIOTWIN_TESTS_RECORD_FAULT_VFS_H_
#define BIOTWIN_TESTS_RECORD_FAULT_VFS_H_

#include <sqlite3.h>

#include <cstring>

namespace biotwin::record::testing {

struct FaultPlan {
  long fail_at = 0;         // 1-based index of the write/sync call to fail; 0 = never
  bool persistent = false;  // keep failing after the first fault
  bool disk_full = false;   // SQLITE_FULL instead of SQLITE_IOERR_*
  long calls = 0;           // write + sync calls seen
  long faults = 0;
};

inline FaultPlan& Plan() {
  static FaultPlan plan;
  return plan;
}

struct FaultFile {
  sqlite3_file base;
  sqlite3_file* real;
};

inline bool ShouldFail() {
  FaultPlan& p = Plan();
  ++p.calls;
  if (p.fail_at == 0) return false;
  if (p.calls == p.fail_at || (p.persistent && p.calls > p.fail_at)) {
    ++p.faults;
    return true;
  }
  return false;
}

inline sqlite3_file* Real(sqlite3_file* f) { return reinterpret_cast<FaultFile*>(f)->real; }

inline int FClose(sqlite3_file* f) {
  int rc = Real(f)->pMethods ? Real(f)->pMethods->xClose(Real(f)) : SQLITE_OK;
  return rc;
}
inline int FRead(sqlite3_file* f, void* b, int n, sqlite3_int64 o) { return Real(f)->pMethods->xRead(Real(f), b, n, o); }
inline int FWrite(sqlite3_file* f, const void* b, int n, sqlite3_int64 o) {
  if (ShouldFail()) return Plan().disk_full ? SQLITE_FULL : SQLITE_IOERR_WRITE;
  return Real(f)->pMethods->xWrite(Real(f), b, n, o);
}
inline int FTruncate(sqlite3_file* f, sqlite3_int64 s) { return Real(f)->pMethods->xTruncate(Real(f), s); }
inline int FSync(sqlite3_file* f, int flags) {
  if (ShouldFail()) return SQLITE_IOERR_FSYNC;
  // The sweep tests error paths, not power loss: skip the (slow) real fsync.
  return SQLITE_OK;
}
inline int FFileSize(sqlite3_file* f, sqlite3_int64* s) { return Real(f)->pMethods->xFileSize(Real(f), s); }
inline int FLock(sqlite3_file* f, int l) { return Real(f)->pMethods->xLock(Real(f), l); }
inline int FUnlock(sqlite3_file* f, int l) { return Real(f)->pMethods->xUnlock(Real(f), l); }
inline int FCheck(sqlite3_file* f, int* r) { return Real(f)->pMethods->xCheckReservedLock(Real(f), r); }
inline int FControl(sqlite3_file* f, int op, void* a) { return Real(f)->pMethods->xFileControl(Real(f), op, a); }
inline int FSector(sqlite3_file* f) { return Real(f)->pMethods->xSectorSize(Real(f)); }
inline int FDevice(sqlite3_file* f) { return Real(f)->pMethods->xDeviceCharacteristics(Real(f)); }
inline int FShmMap(sqlite3_file* f, int i, int sz, int ext, void volatile** pp) {
  return Real(f)->pMethods->xShmMap(Real(f), i, sz, ext, pp);
}
inline int FShmLock(sqlite3_file* f, int o, int n, int fl) { return Real(f)->pMethods->xShmLock(Real(f), o, n, fl); }
inline void FShmBarrier(sqlite3_file* f) { Real(f)->pMethods->xShmBarrier(Real(f)); }
inline int FShmUnmap(sqlite3_file* f, int d) { return Real(f)->pMethods->xShmUnmap(Real(f), d); }
inline int FFetch(sqlite3_file* f, sqlite3_int64 o, int n, void** pp) {
  *pp = nullptr;  // no memory-mapped I/O: every write goes through xWrite
  return SQLITE_OK;
}
inline int FUnfetch(sqlite3_file* f, sqlite3_int64 o, void* p) { return SQLITE_OK; }

inline const sqlite3_io_methods kFaultMethods = {
    3,       FClose,  FRead,   FWrite,  FTruncate,   FSync,     FFileSize, FLock,   FUnlock, FCheck,
    FControl, FSector, FDevice, FShmMap, FShmLock, FShmBarrier, FShmUnmap, FFetch, FUnfetch};

inline sqlite3_vfs* Base() { return sqlite3_vfs_find(nullptr); }

inline int FOpen(sqlite3_vfs* vfs, const char* name, sqlite3_file* f, int flags, int* out) {
  FaultFile* ff = reinterpret_cast<FaultFile*>(f);
  ff->real = reinterpret_cast<sqlite3_file*>(ff + 1);
  std::memset(ff->real, 0, Base()->szOsFile);
  int rc = Base()->xOpen(Base(), name, ff->real, flags, out);
  ff->base.pMethods = ff->real->pMethods ? &kFaultMethods : nullptr;
  return rc;
}

// Registers the "fault" VFS once and returns its name.
inline const char* RegisterFaultVfs() {
  static sqlite3_vfs vfs = [] {
    sqlite3_vfs v = *Base();
    v.szOsFile = static_cast<int>(sizeof(FaultFile)) + Base()->szOsFile;
    v.zName = "fault";
    v.pNext = nullptr;
    v.xOpen = FOpen;
    return v;
  }();
  static bool registered = (sqlite3_vfs_register(&vfs, 0), true);
  (void)registered;
  return "fault";
}

}  // namespace biotwin::record::testing

#endif  // BIOTWIN_TESTS_RECORD_FAULT_VFS_H_
