// The record layer on a real PostgreSQL server (issue 4 item 7): the fixture (postgres_fixture.h)
// runs initdb + pg_ctl on loopback in a temporary directory; every test gets a fresh database.
//  * The SQLite suites for users, signatures, the historian, batch records and ISA-88 phases are
//    compiled again here with RecordTest pointed at PostgreSQL (and RawExec at libpq).
//  * Below them: the audit trail (one entry per change in the same transaction, reason required,
//    chain + signed checkpoints, append-only triggers, tampering through a raw libpq connection
//    with the triggers dropped), concurrent writers, the SQL translation and `biotwin audit verify`.
#define BIOTWIN_RECORD_TEST_POSTGRES 1

#include <sys/stat.h>
#include <sys/wait.h>

#include <atomic>
#include <thread>

#include "record_fixture.h"

namespace biotwin::record::testing {
class PgUsersTest : public RecordTest {};
}  // namespace biotwin::record::testing

// Suite names get a "Pg" prefix so that ctest names stay unique next to the SQLite binaries.
#define BatchTest PgBatchTest
#define HistorianTest PgHistorianTest
#define PhaseTable PgPhaseTable
#define PhaseMachineTest PgPhaseMachineTest
#define SignatureTest PgSignatureTest
#include "batch_test.cc"
#include "historian_test.cc"
#include "phase_test.cc"
#include "signature_test.cc"
#define RecordTest PgUsersTest  // users_test.cc uses the plain fixture
#include "users_test.cc"
#undef RecordTest
#undef SignatureTest
#undef PhaseMachineTest
#undef PhaseTable
#undef HistorianTest
#undef BatchTest

namespace biotwin::record::testing {
namespace {

class PgRecordTest : public RecordTest {
 protected:
  std::string KeyBase() { return SideFileBase(path_, dir_); }
  VerifyOptions Trusted() {
    VerifyOptions o;
    o.checkpoint_file = KeyBase() + ".checkpoints";
    o.public_key = LoadPublicKey(KeyBase() + ".audit-key.pub");
    return o;
  }
  // A populated store: n_ audit entries, some checkpoints; the store is closed afterwards.
  void Populate() {
    Principal eng = MakeUser("eng1", Role::kEngineer);
    int64_t batch = StartBatch(eng);
    for (int i = 0; i < 6; ++i) store_->batches().AppendEvent(eng, batch, i, "note", "event " + std::to_string(i));
    store_->batches().CorrectInput(eng, batch, "volume", "2.2", "typo");
    n_ = AuditCount();
    store_.reset();
  }
  // A copy of the populated database (CREATE DATABASE ... TEMPLATE) with the triggers dropped
  // and `sql` applied through a raw libpq connection.
  std::string Tampered(const std::string& sql) {
    std::string copy = PostgresServer::Instance()->CreateDatabase(PostgresDatabaseName(path_));
    std::string err = PgRawExec(copy, "DROP TRIGGER audit_log_no_update ON audit_log; "
                                      "DROP TRIGGER audit_log_no_delete ON audit_log; "
                                      "DROP TRIGGER audit_checkpoint_no_delete ON audit_checkpoint; " + sql);
    EXPECT_EQ(err, "") << sql;
    return copy;
  }
  VerifySummary Verify(const std::string& uri) { return VerifyAuditTrail(*OpenPostgres(uri), Trusted()); }
  void ExpectFirst(const VerifySummary& s, int64_t seq, TamperKind kind, const std::string& what) {
    ASSERT_FALSE(s.ok) << what << " not detected";
    EXPECT_EQ(s.issues.front().seq, seq) << what << "\n" << s.Report();
    EXPECT_EQ(s.issues.front().kind, kind) << what << "\n" << s.Report();
  }
  int64_t n_ = 0;
};

TEST_F(PgRecordTest, STORE_UriSelectsPostgresAndSideFilesGoToKeyDir) {
  EXPECT_EQ(store_->db().dialect(), Dialect::kPostgres);
  EXPECT_EQ(store_->options().signing_key_path, dir_ + "/" + PostgresDatabaseName(path_) + ".audit-key");
  struct stat st{};
  ASSERT_EQ(stat(store_->options().signing_key_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_TRUE(std::filesystem::exists(KeyBase() + ".audit-key.pub"));
  // Without a key directory the store refuses to guess where the key goes.
  StoreOptions o = Options();
  o.key_dir.clear();
  unsetenv("BIOTWIN_KEY_DIR");
  EXPECT_THROW(RecordStore::Open(path_, o), Error);
  // Reopening the same database finds its key and schema.
  Reopen();
  EXPECT_EQ(AuditCount(), 0);
}

TEST_F(PgRecordTest, STORE_UnreachableServerIsAStorageError) {
  try {
    OpenPostgres("postgresql://biotwin@127.0.0.1:1/none");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kStorage);
    EXPECT_NE(std::string(e.what()).find("cannot connect"), std::string::npos);
  }
}

TEST_F(PgRecordTest, STORE_SqlTranslation) {
  int n = 0;
  EXPECT_EQ(TranslateSqlForPostgres("SELECT a FROM t WHERE x = ? AND y = '?' AND z = ?", &n),
            "SELECT a FROM t WHERE x = $1 AND y = '?' AND z = $2");
  EXPECT_EQ(n, 2);
  EXPECT_EQ(TranslateSqlForPostgres("SELECT CAST((t - ?1) / ?2 AS INTEGER) WHERE t >= ?1", &n),
            "SELECT CAST(TRUNC((t - $1) / $2) AS BIGINT) WHERE t >= $1");
  EXPECT_EQ(n, 2);
  EXPECT_EQ(TranslateSqlForPostgres("INSERT OR IGNORE INTO m(k, v) VALUES (?, ?)", &n),
            "INSERT INTO m(k, v) VALUES ($1, $2) ON CONFLICT DO NOTHING");
  EXPECT_EQ(TranslateSqlForPostgres("INSERT OR REPLACE INTO h(id, a, b) VALUES (1,?,?)", &n),
            "INSERT INTO h(id, a, b) VALUES (1,$1,$2) ON CONFLICT (id) DO UPDATE SET a = EXCLUDED.a, "
            "b = EXCLUDED.b");
  EXPECT_THROW(TranslateSqlForPostgres("VACUUM INTO ?", &n), Error);
}

TEST_F(PgRecordTest, P11_05_EveryChangeWritesOneEntryInTheSameTransaction) {
  Principal eng = MakeUser("eng1", Role::kEngineer, "Erin Engineer");
  int64_t batch = StartBatch(eng);
  int64_t before = AuditCount();
  store_->batches().CorrectInput(eng, batch, "volume", "2.1", "transcription error in volume");
  ASSERT_EQ(AuditCount(), before + 1);
  const AuditEntry e = store_->audit().Entries(eng, AuditQuery::OfType("batch_input")).back();
  EXPECT_EQ(e.username, "eng1");
  EXPECT_EQ(e.role, "engineer");
  EXPECT_EQ(e.action, "modify");
  EXPECT_EQ(e.old_value.value_or(""), "2.0 [L]");
  EXPECT_EQ(e.new_value.value_or(""), "2.1 [L]");
  EXPECT_EQ(e.reason, "transcription error in volume");
  EXPECT_EQ(e.utc.back(), 'Z');
}

TEST_F(PgRecordTest, A11_06_EmptyReasonIsRefusedAndNothingChanges) {
  Principal eng = MakeUser("eng1", Role::kEngineer);
  int64_t batch = StartBatch(eng);
  int64_t before = AuditCount();
  for (std::string reason : {"", "   "}) {
    try {
      store_->batches().CorrectInput(eng, batch, "volume", "9", reason);
      FAIL() << "accepted empty reason";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kReasonRequired);
    }
  }
  EXPECT_EQ(AuditCount(), before);
  EXPECT_EQ(store_->batches().Load(batch).inputs[1].value, "2.0");
}

TEST_F(PgRecordTest, P11_05_SEC_09_AuditWriteFailureRollsBackTheChange) {
  Principal eng = MakeUser("eng1", Role::kEngineer);
  int64_t batch = StartBatch(eng);
  int64_t before = AuditCount();
  ASSERT_EQ(PgRawExec(path_, "CREATE FUNCTION disk_full() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                             "RAISE EXCEPTION 'disk full'; END $$; CREATE TRIGGER fail_audit BEFORE INSERT "
                             "ON audit_log FOR EACH ROW EXECUTE FUNCTION disk_full();"), "");
  try {
    store_->batches().CorrectInput(eng, batch, "volume", "3.0", "fix");
    FAIL() << "change accepted without audit entry";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kStorage);
    EXPECT_NE(std::string(e.what()).find("disk full"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(store_->db().InTransaction());
  EXPECT_EQ(store_->batches().Load(batch).inputs[1].value, "2.0");  // fail closed
  ASSERT_EQ(PgRawExec(path_, "DROP TRIGGER fail_audit ON audit_log"), "");
  EXPECT_EQ(AuditCount(), before);
  store_->batches().CorrectInput(eng, batch, "volume", "3.0", "fix");
  EXPECT_EQ(store_->batches().Load(batch).inputs[1].value, "3.0");
  EXPECT_TRUE(VerifyAuditTrail(store_->db(), Trusted()).ok);
}

TEST_F(PgRecordTest, P11_05_UpdateDeleteTruncateOnAuditTablesAreRefusedBySql) {
  MakeUser("eng1", Role::kEngineer);
  store_->audit().CreateCheckpoint(Admin());
  ASSERT_GT(PgRawInt(path_, "SELECT COUNT(*) FROM audit_checkpoint"), 0);
  EXPECT_NE(PgRawExec(path_, "UPDATE audit_log SET reason='x' WHERE seq=1"), "");
  EXPECT_NE(PgRawExec(path_, "DELETE FROM audit_log WHERE seq=1"), "");
  EXPECT_NE(PgRawExec(path_, "TRUNCATE audit_log"), "");
  EXPECT_NE(PgRawExec(path_, "DELETE FROM audit_checkpoint"), "");
  EXPECT_NE(PgRawExec(path_, "DELETE FROM app_user"), "");
  EXPECT_TRUE(VerifyAuditTrail(store_->db(), Trusted()).ok);
}

TEST_F(PgRecordTest, TEL_04_ChainAndSignedCheckpointsVerify) {
  Principal eng = MakeUser("eng1", Role::kEngineer);
  int64_t batch = StartBatch(eng);
  for (int i = 0; i < 12; ++i) store_->batches().AppendEvent(eng, batch, i, "note", "n" + std::to_string(i));
  auto cps = store_->audit().Checkpoints();
  ASSERT_GE(cps.size(), 3u);
  EXPECT_EQ(ReadCheckpointFile(KeyBase() + ".checkpoints").size(), cps.size());
  auto s = VerifyAuditTrail(store_->db(), Trusted());
  EXPECT_TRUE(s.ok) << s.Report();
  EXPECT_TRUE(s.trusted_key);
  EXPECT_EQ(s.signed_head_seq, AuditCount());
  EXPECT_EQ(s.checkpoints_verified, static_cast<int64_t>(2 * cps.size()));
}

TEST_F(PgRecordTest, TEL_01_P11_01_RawEditsDeletesInsertsReordersAreDetected) {
  Populate();
  auto pristine = Verify(path_);
  ASSERT_TRUE(pristine.ok) << pristine.Report();
  EXPECT_EQ(pristine.entries, n_);
  for (int64_t seq : {int64_t{1}, int64_t{3}, n_}) {
    for (const char* col : {"reason", "new_value", "username", "utc"}) {
      ExpectFirst(Verify(Tampered("UPDATE audit_log SET " + std::string(col) + " = COALESCE(" + col +
                                  ", '') || 'x' WHERE seq = " + std::to_string(seq))),
                  seq, TamperKind::kEdited, std::string(col) + " of " + std::to_string(seq));
    }
  }
  ExpectFirst(Verify(Tampered("UPDATE audit_log SET user_id = user_id + 1000 WHERE seq = 2")), 2,
              TamperKind::kEdited, "user_id of 2");
  ExpectFirst(Verify(Tampered("DELETE FROM audit_log WHERE seq = 4")), 4, TamperKind::kDeleted, "delete of 4");
  ExpectFirst(Verify(Tampered("DELETE FROM audit_log WHERE seq = " + std::to_string(n_))), n_,
              TamperKind::kTruncated, "delete of the last entry");
  ExpectFirst(Verify(Tampered("INSERT INTO audit_log SELECT seq + 1, utc, tx_id, user_id, username, role, "
                              "action, object_type, object_id, field, old_value, new_value, 'sneaked in', "
                              "entry_hash, entry_hash FROM audit_log WHERE seq = " + std::to_string(n_))),
              n_ + 1, TamperKind::kInserted, "append of a copied row");
  ExpectFirst(Verify(Tampered("UPDATE audit_log SET seq = -seq WHERE seq IN (2, 5); "
                              "UPDATE audit_log SET seq = CASE seq WHEN -2 THEN 5 ELSE 2 END WHERE seq < 0")),
              2, TamperKind::kReordered, "swap of 2 and 5");
}

TEST_F(PgRecordTest, DUR_02_ConcurrentWritersKeepOneUnbrokenChain) {
  int64_t batch = StartBatch(Principal::System("setup"));
  constexpr int kWriters = 4, kEach = 25;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      try {
        auto s = RecordStore::Open(path_, Options());  // own connection, like another process
        Principal sys = Principal::System("writer" + std::to_string(w));
        for (int k = 0; k < kEach; ++k) s->batches().AppendEvent(sys, batch, k, "tick", "w" + std::to_string(w));
      } catch (const std::exception& e) {
        ADD_FAILURE() << e.what();
        ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(store_->batches().Load(batch).events.size(), static_cast<size_t>(kWriters * kEach));
  auto v = VerifyAuditTrail(store_->db(), Trusted());
  EXPECT_TRUE(v.ok) << v.Report();
  EXPECT_EQ(ReadCheckpointFile(KeyBase() + ".checkpoints").size(), store_->audit().Checkpoints().size());
}

TEST_F(PgRecordTest, A11_04_BackupIsRefusedWithAClearError) {
  try {
    store_->audit().Backup(Admin(), dir_ + "/backup.db");
    FAIL() << "backup accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("pg_dump"), std::string::npos) << e.what();
  }
}

TEST_F(PgRecordTest, P11_01_CliAuditVerifyWorksOnAPostgresUri) {
  if (!std::filesystem::exists(biotwin::testing::CliPath())) GTEST_SKIP() << "biotwin binary not built";
  Populate();
  auto run = [&](const std::string& uri) {
    std::string cmd = "BIOTWIN_KEY_DIR=" + dir_ + " " + biotwin::testing::CliPath() + " audit verify --db " +
                      uri + " >" + dir_ + "/out.txt 2>&1 </dev/null";
    int status = std::system(cmd.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  };
  EXPECT_EQ(run(path_), 0) << ReadFile(dir_ + "/out.txt");
  EXPECT_NE(ReadFile(dir_ + "/out.txt").find("public key from outside the database"), std::string::npos);
  // Tampered through libpq with the trigger dropped: exit 5 naming the first bad entry. The copy
  // is named after the original so that BIOTWIN_KEY_DIR finds the original's key and checkpoints.
  ASSERT_EQ(PgRawExec(path_, "DROP TRIGGER audit_log_no_update ON audit_log; "
                             "UPDATE audit_log SET reason = 'nothing to see' WHERE seq = 3"), "");
  EXPECT_EQ(run(path_), 5);
  std::string out = ReadFile(dir_ + "/out.txt");
  EXPECT_NE(out.find("first bad entry seq 3"), std::string::npos) << out;
  EXPECT_EQ(run("postgresql://biotwin@127.0.0.1:1/none"), 4);
}

}  // namespace
}  // namespace biotwin::record::testing
