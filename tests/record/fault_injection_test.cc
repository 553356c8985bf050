// Fault injection (DUR-02, SEC-09, P11-05): fail the Nth write/fsync of a recording workload, for
// every N until the workload runs clean, once and persistently, as I/O error and as disk full.
// Each time: the failing operation is refused with a storage error, every acknowledged operation
// is present after reopening, nothing partial is visible, integrity_check is ok and the chain
// verifies.
#include <filesystem>

#include "fault_vfs.h"
#include "record_fixture.h"

namespace biotwin::record::testing {
namespace {

struct Outcome {
  int acknowledged = 0;  // operations that returned normally
  bool failed = false;
  std::string error;
};

// The workload: what `biotwin simulate` does with a batch.
Outcome RunWorkload(const std::string& db, const std::string& key, const std::string& vfs) {
  Outcome out;
  try {
    StoreOptions o;
    o.signing_key_path = key;
    o.checkpoint_every = 3;
    o.sqlite.vfs = vfs;
    auto store = RecordStore::Open(db, o);
    Principal sys = Principal::System("simulate");
    BatchStart s{"run", "model", "1.0", "hash", "recipe text", {{"V", "2", "L"}}};
    int64_t b = store->batches().Start(sys, s);
    ++out.acknowledged;
    for (int i = 0; i < 3; ++i) {
      std::vector<double> t, v;
      for (int k = 0; k < 400; ++k) {
        t.push_back(i * 400 + k);
        v.push_back(k * 0.5);
      }
      store->batches().AppendSeries(sys, b, "X" + std::to_string(i), "g/L", t, v);
      ++out.acknowledged;
      store->batches().AppendEvent(sys, b, i, "step", "step " + std::to_string(i));
      ++out.acknowledged;
    }
    store->batches().RecordDeviation(sys, b, "minor", "late sample", "observed");
    ++out.acknowledged;
    store->batches().Finish(sys, b, BatchStatus::kCompleted, "ok");
    ++out.acknowledged;
  } catch (const Error& e) {
    out.failed = true;
    out.error = e.what();
    EXPECT_TRUE(e.code() == ErrorCode::kStorage || e.code() == ErrorCode::kIo) << e.what();
  }
  return out;
}

int64_t Count(Connection& db, const std::string& sql) {
  auto q = db.Prepare(sql);
  q->Step();
  return q->ColumnInt(0);
}

// After a fault: reopen normally and check consistency. Returns operations present.
void CheckConsistent(const std::string& db, const std::string& pub, const Outcome& out, long n) {
  SCOPED_TRACE("fault at call " + std::to_string(n) + ": " + out.error);
  if (!std::filesystem::exists(db)) {
    EXPECT_EQ(out.acknowledged, 0);
    return;
  }
  auto conn = OpenSqlite(db);
  auto q = conn->Prepare("PRAGMA integrity_check");
  ASSERT_TRUE(q->Step());
  EXPECT_EQ(q->ColumnText(0), "ok");
  q.reset();
  bool has_schema = Count(*conn, "SELECT COUNT(*) FROM sqlite_master WHERE name='audit_log'") == 1;
  if (!has_schema) {
    EXPECT_EQ(out.acknowledged, 0);
    return;
  }
  VerifyOptions vo;
  vo.public_key = LoadPublicKey(pub);
  auto v = VerifyAuditTrail(*conn, vo);
  EXPECT_TRUE(v.ok) << v.Report();
  // Operations present, counted from the data; each must match its audit entries exactly.
  int64_t batches = Count(*conn, "SELECT COUNT(*) FROM batch");
  int64_t series = Count(*conn, "SELECT COUNT(DISTINCT tag_id) FROM ts_sample");
  int64_t samples = Count(*conn, "SELECT COUNT(*) FROM ts_sample");
  int64_t events = Count(*conn, "SELECT COUNT(*) FROM batch_event");
  int64_t deviations = Count(*conn, "SELECT COUNT(*) FROM batch_deviation");
  int64_t finished = Count(*conn, "SELECT COUNT(*) FROM batch WHERE status = 'completed'");
  EXPECT_EQ(samples, series * 400) << "partial series visible";
  EXPECT_EQ(Count(*conn, "SELECT COUNT(*) FROM audit_log WHERE object_type='batch'"), batches + finished);
  EXPECT_EQ(Count(*conn, "SELECT COUNT(*) FROM audit_log WHERE object_type='historian'"), series);
  EXPECT_EQ(Count(*conn, "SELECT COUNT(*) FROM audit_log WHERE object_type='batch_event'"), events);
  EXPECT_EQ(Count(*conn, "SELECT COUNT(*) FROM audit_log WHERE object_type='batch_deviation'"), deviations);
  int64_t present = batches + series + events + deviations + finished;
  // No acknowledged operation lost; at most the failing one may have reached the disk.
  EXPECT_GE(present, out.acknowledged);
  EXPECT_LE(present, out.acknowledged + (out.failed ? 1 : 0));
}

class FaultInjectionTest : public RecordTest {
 protected:
  void Sweep(bool persistent, bool disk_full) {
    const char* vfs = RegisterFaultVfs();
    std::string key = path_ + ".audit-key";
    // Calls in a clean run = the sweep range.
    Plan() = FaultPlan{};
    std::string clean = dir_ + "/clean.db";
    Outcome ok = RunWorkload(clean, key, vfs);
    ASSERT_FALSE(ok.failed) << ok.error;
    long total = Plan().calls;
    ASSERT_GT(total, 10);
    int refused = 0;
    for (long n = 1; n <= total; ++n) {
      std::string db = dir_ + "/fault-" + std::to_string(n) + ".db";
      Plan() = FaultPlan{n, persistent, disk_full, 0, 0};
      Outcome out = RunWorkload(db, key, vfs);
      Plan() = FaultPlan{};
      if (out.failed) ++refused;
      CheckConsistent(db, key + ".pub", out, n);
      for (const char* suffix : {"", "-wal", "-shm", ".checkpoints"}) std::filesystem::remove(db + suffix);
    }
    RecordProperty("fault_points", static_cast<int>(total));
    EXPECT_GT(refused, 0);
  }
};

TEST_F(FaultInjectionTest, DUR_02_SEC_09_EveryWriteAndSyncFailingOnce) { Sweep(false, false); }
TEST_F(FaultInjectionTest, DUR_02_SEC_09_EveryWriteAndSyncFailingPersistently) { Sweep(true, false); }
TEST_F(FaultInjectionTest, SEC_08_SEC_09_DiskFullAtEveryWrite) { Sweep(true, true); }

}  // namespace
}  // namespace biotwin::record::testing
