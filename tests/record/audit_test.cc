// Audit trail: content, atomicity, reason, trusted time, append-only, signed checkpoints.
#include <sys/stat.h>

#include <chrono>
#include <atomic>
#include <ctime>
#include <thread>
#include <filesystem>

#include "record_fixture.h"

namespace biotwin::record::testing {
namespace {

TEST_F(RecordTest, STORE_SqlitePragmasAreDurable_DUR_01) {
  auto db = OpenSqlite(path_);
  auto q = db->Prepare("PRAGMA journal_mode");
  ASSERT_TRUE(q->Step());
  EXPECT_EQ(q->ColumnText(0), "wal");
  q = db->Prepare("PRAGMA synchronous");
  ASSERT_TRUE(q->Step());
  EXPECT_EQ(q->ColumnInt(0), 2);  // FULL
  q = db->Prepare("PRAGMA foreign_keys");
  ASSERT_TRUE(q->Step());
  EXPECT_EQ(q->ColumnInt(0), 1);
}

TEST_F(RecordTest, P11_05_EveryChangeWritesOneEntryWithWhoWhatWhenWhy) {
  Principal eng = MakeUser("eng1", Role::kEngineer, "Erin Engineer");
  int64_t batch = StartBatch(eng);
  int64_t before = AuditCount();
  store_->batches().CorrectInput(eng, batch, "volume", "2.1", "transcription error in volume");
  ASSERT_EQ(AuditCount(), before + 1);
  auto entries = store_->audit().Entries(eng, AuditQuery::OfType("batch_input"));
  const AuditEntry& e = entries.back();
  EXPECT_EQ(e.username, "eng1");
  EXPECT_EQ(e.user_id, eng.user_id());
  EXPECT_EQ(e.role, "engineer");
  EXPECT_EQ(e.action, "modify");
  EXPECT_EQ(e.object_id, std::to_string(batch) + "/volume");
  EXPECT_EQ(e.field, "value");
  EXPECT_EQ(e.old_value.value_or(""), "2.0 [L]");  // the previous value is never obscured
  EXPECT_EQ(e.new_value.value_or(""), "2.1 [L]");
  EXPECT_EQ(e.reason, "transcription error in volume");
  EXPECT_EQ(e.utc.size(), std::string("2026-11-22T11:30:00.123456Z").size());
  EXPECT_EQ(e.utc.back(), 'Z');
}

TEST_F(RecordTest, P11_05_SEC_10_TimestampComesFromSystemClockNotSessionClock) {
  now_ = 42;  // the injectable session clock is far in the past; audit time must ignore it
  Principal eng = MakeUser("eng1", Role::kEngineer);
  StartBatch(eng);
  auto e = store_->audit().Entries(eng).back();
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char year[16];
  std::snprintf(year, sizeof year, "%04d", tm.tm_year + 1900);
  EXPECT_EQ(e.utc.substr(0, 4), year);
}

TEST_F(RecordTest, A11_06_EmptyOrBlankReasonIsRefusedAndNothingChanges) {
  Principal eng = MakeUser("eng1", Role::kEngineer);
  int64_t batch = StartBatch(eng);
  int64_t before = AuditCount();
  for (std::string reason : {"", "   ", "\t\n"}) {
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

TEST_F(RecordTest, P11_05_SEC_09_AuditWriteFailureRollsBackTheChange) {
  Principal eng = MakeUser("eng1", Role::kEngineer);
  int64_t batch = StartBatch(eng);
  int64_t before = AuditCount();
  // Make every audit insert fail (as a full disk would) from a second connection.
  ASSERT_EQ(RawExec(path_, "CREATE TRIGGER fail_audit BEFORE INSERT ON audit_log BEGIN "
                           "SELECT RAISE(ABORT, 'disk full'); END;"), "");
  try {
    store_->batches().CorrectInput(eng, batch, "volume", "3.0", "fix");
    FAIL() << "change accepted without audit entry";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kStorage);
  }
  EXPECT_EQ(store_->batches().Load(batch).inputs[1].value, "2.0");  // fail closed
  ASSERT_EQ(RawExec(path_, "DROP TRIGGER fail_audit"), "");
  EXPECT_EQ(AuditCount(), before);
  store_->batches().CorrectInput(eng, batch, "volume", "3.0", "fix");
  EXPECT_EQ(store_->batches().Load(batch).inputs[1].value, "3.0");
  EXPECT_TRUE(VerifyAuditTrail(store_->db()).ok);
}

TEST_F(RecordTest, P11_05_UpdateAndDeleteOnAuditTableAreRefusedBySql) {
  MakeUser("eng1", Role::kEngineer);
  store_->audit().CreateCheckpoint(Admin());
  ASSERT_GT(RawInt(path_, "SELECT COUNT(*) FROM audit_checkpoint"), 0);
  EXPECT_NE(RawExec(path_, "UPDATE audit_log SET reason='x' WHERE seq=1"), "");
  EXPECT_NE(RawExec(path_, "DELETE FROM audit_log WHERE seq=1"), "");
  EXPECT_NE(RawExec(path_, "DELETE FROM audit_checkpoint"), "");
  EXPECT_TRUE(VerifyAuditTrail(store_->db()).ok);
}

TEST_F(RecordTest, TEL_04_ChainAndSignedCheckpointsVerify) {
  Principal eng = MakeUser("eng1", Role::kEngineer);
  int64_t batch = StartBatch(eng);
  for (int i = 0; i < 12; ++i) store_->batches().AppendEvent(eng, batch, i, "note", "n" + std::to_string(i));
  auto cps = store_->audit().Checkpoints();
  ASSERT_GE(cps.size(), 3u);
  for (const auto& c : cps) EXPECT_EQ(c.seq % 5, 0);
  auto file = ReadCheckpointFile(path_ + ".checkpoints");
  EXPECT_EQ(file.size(), cps.size());
  VerifyOptions o;
  o.checkpoint_file = path_ + ".checkpoints";
  o.public_key = LoadPublicKey(path_ + ".audit-key.pub");
  auto s = VerifyAuditTrail(store_->db(), o);
  EXPECT_TRUE(s.ok) << s.Report();
  EXPECT_TRUE(s.trusted_key);
  EXPECT_EQ(s.signed_head_seq, AuditCount());
  EXPECT_EQ(s.checkpoints_verified, static_cast<int64_t>(2 * cps.size()));
}

TEST_F(RecordTest, SEC_17_SigningKeyFileIsPrivateAndOutsideTheDatabase) {
  struct stat st{};
  ASSERT_EQ(stat((path_ + ".audit-key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::string key = ReadFile(path_ + ".audit-key");
  std::string secret_hex = key.substr(key.find(' ') + 1, 128);
  EXPECT_EQ(RawInt(path_, "SELECT COUNT(*) FROM meta WHERE value LIKE '%" + secret_hex.substr(0, 32) + "%'"), 0);
  ::chmod((path_ + ".audit-key").c_str(), 0644);
  store_.reset();
  try {
    Reopen();
    FAIL() << "opened with a world-readable key";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCrypto);
  }
}

TEST_F(RecordTest, SEC_13_ForeignOrMissingSigningKeyIsRefused) {
  store_.reset();
  SaveSigningKey(path_ + ".audit-key", GenerateSigningKey());  // someone swaps the key
  try {
    Reopen();
    FAIL() << "opened with a foreign signing key";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCrypto);
  }
  std::filesystem::remove(path_ + ".audit-key");  // and a lost key is not silently replaced
  EXPECT_THROW(Reopen(), Error);
}

TEST_F(RecordTest, TEL_04_ExplicitCheckpointIsAuditedAndExported) {
  Principal admin = Admin();
  Checkpoint c = store_->audit().CreateCheckpoint(admin);
  EXPECT_EQ(c.seq, AuditCount());
  auto file = ReadCheckpointFile(path_ + ".checkpoints");
  ASSERT_FALSE(file.empty());
  EXPECT_EQ(file.back().seq, c.seq);
  EXPECT_TRUE(VerifyDetached(LoadPublicKey(path_ + ".audit-key.pub"),
                             CheckpointMessage(c.seq, c.entry_hash, c.utc), FromHex(c.signature)));
  Principal op = MakeUser("op1", Role::kOperator);
  EXPECT_THROW(store_->audit().CreateCheckpoint(op), Error);
}

TEST_F(RecordTest, DI_01_ReadingTheTrailNeedsPermission) {
  Principal op = MakeUser("op1", Role::kOperator);
  try {
    store_->audit().Entries(op);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kPermissionDenied);
  }
}

}  // namespace
}  // namespace biotwin::record::testing

namespace biotwin::record::testing {
namespace {

TEST_F(RecordTest, DUR_02_ConcurrentWritersKeepOneUnbrokenChain) {
  int64_t batch = StartBatch(Principal::System("setup"));
  constexpr int kWriters = 4, kEach = 40;
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
  VerifyOptions o;
  o.public_key = LoadPublicKey(path_ + ".audit-key.pub");
  o.checkpoint_file = path_ + ".checkpoints";
  auto v = VerifyAuditTrail(store_->db(), o);
  EXPECT_TRUE(v.ok) << v.Report();
  // Every checkpoint in the database reached the external file (no lost update between writers).
  EXPECT_EQ(ReadCheckpointFile(path_ + ".checkpoints").size(), store_->audit().Checkpoints().size());
}

}  // namespace
}  // namespace biotwin::record::testing

namespace biotwin::record::testing {
namespace {

TEST_F(RecordTest, A11_04_DI_05_SEC_22_BackupIsVerifiedAndAudited) {
  Principal admin = Admin();
  Principal eng = MakeUser("eng1", Role::kEngineer);
  int64_t batch = StartBatch(eng);
  store_->batches().AppendEvent(eng, batch, 1, "note", "before backup");
  std::string dest = dir_ + "/backup.db";
  std::string hash = store_->audit().Backup(admin, dest);
  EXPECT_EQ(hash, Sha256Hex(ReadFile(dest)));
  // The backup opens and verifies on its own, with the store's public key.
  VerifyOptions o;
  o.public_key = LoadPublicKey(path_ + ".audit-key.pub");
  auto s = VerifyAuditTrailFile(dest, o);
  EXPECT_TRUE(s.ok) << s.Report();
  EXPECT_EQ(s.entries, AuditCount() - 1);  // everything but the backup's own audit entry
  auto e = store_->audit().Entries(admin).back();
  EXPECT_EQ(e.action, "backup");
  EXPECT_NE(e.new_value->find(hash), std::string::npos);
  // Restored copy holds the data.
  StoreOptions ro = Options();
  ro.signing_key_path = path_ + ".audit-key";
  auto restored = RecordStore::Open(dest, ro);
  EXPECT_EQ(restored->batches().Load(batch).events.size(), 1u);
  // Never overwrites, and only authorised roles may take one.
  EXPECT_THROW(store_->audit().Backup(admin, dest), Error);
  EXPECT_THROW(store_->audit().Backup(eng, dir_ + "/other.db"), Error);
}

}  // namespace
}  // namespace biotwin::record::testing
