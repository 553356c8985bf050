// Tamper detection (P11-01, TEL-01, TEL-04, SEC-16): every single-row edit, delete, insert and
// reorder made directly on the SQLite file (triggers dropped, as an insider would) is detected
// and the first bad entry is named with the kind of break.
#include <filesystem>

#include "record_fixture.h"

namespace biotwin::record::testing {
namespace {

class AuditTamperTest : public RecordTest {
 protected:
  void SetUp() override {
    RecordTest::SetUp();
    Principal eng = MakeUser("eng1", Role::kEngineer);
    int64_t batch = StartBatch(eng);
    for (int i = 0; i < 6; ++i) store_->batches().AppendEvent(eng, batch, i, "note", "event " + std::to_string(i));
    store_->batches().CorrectInput(eng, batch, "volume", "2.2", "typo");
    n_ = AuditCount();
    store_.reset();  // closes the database: WAL checkpointed into the main file
    ASSERT_FALSE(std::filesystem::exists(path_ + "-wal"));
    options_.checkpoint_file = path_ + ".checkpoints";
    options_.public_key = LoadPublicKey(path_ + ".audit-key.pub");
  }
  // A copy of the pristine database with the triggers dropped and `sql` applied.
  std::string Tampered(const std::string& sql) {
    std::string copy = dir_ + "/tampered-" + std::to_string(counter_++) + ".db";
    std::filesystem::copy_file(path_, copy);
    std::string err = RawExec(copy, "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete; "
                                    "DROP TRIGGER audit_checkpoint_no_update; DROP TRIGGER audit_checkpoint_no_delete; " + sql);
    EXPECT_EQ(err, "") << sql;
    return copy;
  }
  VerifySummary Verify(const std::string& db) { return VerifyAuditTrailFile(db, options_); }
  void ExpectFirst(const VerifySummary& s, int64_t seq, TamperKind kind, const std::string& what) {
    ASSERT_FALSE(s.ok) << what << " not detected";
    EXPECT_EQ(s.issues.front().seq, seq) << what << "\n" << s.Report();
    EXPECT_EQ(s.issues.front().kind, kind) << what << "\n" << s.Report();
  }

  int64_t n_ = 0;
  int counter_ = 0;
  VerifyOptions options_;
};

TEST_F(AuditTamperTest, P11_01_PristineStoreVerifies) {
  auto s = Verify(path_);
  EXPECT_TRUE(s.ok) << s.Report();
  EXPECT_EQ(s.entries, n_);
  EXPECT_GE(n_, 10);
}

TEST_F(AuditTamperTest, TEL_01_P11_01_EveryColumnEditOfEveryRowIsDetected) {
  const char* text_columns[] = {"utc", "username", "role", "action", "object_type", "object_id",
                                "field", "old_value", "new_value", "reason", "prev_hash", "entry_hash"};
  for (int64_t seq = 1; seq <= n_; ++seq) {
    for (const char* col : text_columns) {
      std::string db = Tampered("UPDATE audit_log SET " + std::string(col) + " = COALESCE(" + col +
                                ", '') || 'x' WHERE seq = " + std::to_string(seq));
      ExpectFirst(Verify(db), seq, TamperKind::kEdited, std::string(col) + " of " + std::to_string(seq));
      std::filesystem::remove(db);
    }
    for (const char* col : {"tx_id", "user_id"}) {
      std::string db = Tampered("UPDATE audit_log SET " + std::string(col) + " = " + col +
                                " + 1000 WHERE seq = " + std::to_string(seq));
      ExpectFirst(Verify(db), seq, TamperKind::kEdited, std::string(col) + " of " + std::to_string(seq));
      std::filesystem::remove(db);
    }
    // Setting a NULL old value to empty text (or back) is an edit too.
    std::string db = Tampered("UPDATE audit_log SET old_value = CASE WHEN old_value IS NULL THEN '' "
                              "ELSE NULL END WHERE seq = " + std::to_string(seq));
    ExpectFirst(Verify(db), seq, TamperKind::kEdited, "old_value null-ness of " + std::to_string(seq));
    std::filesystem::remove(db);
  }
}

TEST_F(AuditTamperTest, TEL_01_EditWithRecomputedHashIsDetectedAtThatEntry) {
  // The insider edits entry k and recomputes its own hash: entry k+1 no longer links to it.
  for (int64_t seq = 1; seq < n_; ++seq) {
    std::string copy = dir_ + "/recomputed.db";
    std::filesystem::copy_file(path_, copy, std::filesystem::copy_options::overwrite_existing);
    {
      auto db = OpenSqlite(copy);
      db->Exec("DROP TRIGGER audit_log_no_update");
      auto q = db->Prepare("SELECT seq, utc, tx_id, user_id, username, role, action, object_type, object_id, "
                           "field, old_value, new_value, reason, prev_hash FROM audit_log WHERE seq = ?");
      q->Bind(seq);
      ASSERT_TRUE(q->Step());
      AuditEntry e{q->ColumnInt(0), q->ColumnText(1), q->ColumnInt(2), q->ColumnInt(3), q->ColumnText(4),
                   q->ColumnText(5), q->ColumnText(6), q->ColumnText(7), q->ColumnText(8), q->ColumnText(9),
                   q->ColumnOptText(10), q->ColumnOptText(11), q->ColumnText(12), q->ColumnText(13), ""};
      e.reason += " (forged)";
      db->Prepare("UPDATE audit_log SET reason = ?, entry_hash = ? WHERE seq = ?")
          ->Bind(e.reason, ComputeEntryHash(e), seq).Run();
    }
    ExpectFirst(Verify(copy), seq, TamperKind::kEdited, "recomputed edit of " + std::to_string(seq));
  }
}

TEST_F(AuditTamperTest, TEL_01_EveryRowDeletionIsDetected) {
  for (int64_t seq = 1; seq <= n_; ++seq) {
    std::string db = Tampered("DELETE FROM audit_log WHERE seq = " + std::to_string(seq));
    ExpectFirst(Verify(db), seq, seq == n_ ? TamperKind::kTruncated : TamperKind::kDeleted,
                "delete of " + std::to_string(seq));
    std::filesystem::remove(db);
  }
}

TEST_F(AuditTamperTest, TEL_01_InsertedRowsAreDetected) {
  // A copy of the last row appended as a new entry, and one with a correctly chained hash.
  std::string db = Tampered("INSERT INTO audit_log SELECT seq + 1, utc, tx_id, user_id, username, role, action, "
                            "object_type, object_id, field, old_value, new_value, 'sneaked in', entry_hash, "
                            "entry_hash FROM audit_log WHERE seq = " + std::to_string(n_));
  ExpectFirst(Verify(db), n_ + 1, TamperKind::kInserted, "append of a copied row");
  std::string copy = dir_ + "/chained-insert.db";
  std::filesystem::copy_file(path_, copy);
  {
    auto conn = OpenSqlite(copy);
    auto q = conn->Prepare("SELECT entry_hash FROM audit_log WHERE seq = ?");
    q->Bind(n_);
    ASSERT_TRUE(q->Step());
    AuditEntry e{n_ + 1, "2026-01-01T00:00:00.000000Z", n_ + 1, 1, "admin", "admin", "delete", "batch", "1",
                 "", std::nullopt, std::nullopt, "cover-up", q->ColumnText(0), ""};
    e.entry_hash = ComputeEntryHash(e);
    conn->Prepare("INSERT INTO audit_log VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
        ->Bind(e.seq, e.utc, e.tx_id, e.user_id, e.username, e.role, e.action, e.object_type, e.object_id,
               e.field, e.old_value, e.new_value, e.reason, e.prev_hash, e.entry_hash)
        .Run();
    // The insider also moves the head forward (without the signing key).
    conn->Prepare("UPDATE audit_head SET seq = ?, entry_hash = ?")->Bind(e.seq, e.entry_hash).Run();
  }
  auto s = Verify(copy);
  ASSERT_FALSE(s.ok);
  EXPECT_EQ(s.issues.front().seq, n_ + 1) << s.Report();
  bool inserted = false, bad_sig = false;
  for (const auto& i : s.issues) {
    inserted |= i.kind == TamperKind::kInserted;
    bad_sig |= i.kind == TamperKind::kBadSignature;
  }
  EXPECT_TRUE(inserted) << s.Report();
  EXPECT_TRUE(bad_sig) << s.Report();
}

TEST_F(AuditTamperTest, TEL_01_EveryPairwiseReorderIsDetected) {
  const std::string cols = "utc, tx_id, user_id, username, role, action, object_type, object_id, field, "
                           "old_value, new_value, reason, prev_hash, entry_hash";
  for (int64_t k = 1; k < n_; ++k) for (int64_t j = k + 1; j <= n_; ++j) {
    std::string a = std::to_string(k), b = std::to_string(j);
    // Swap the two rows' contents while the sequence numbers stay in place.
    std::string db = Tampered(
        "CREATE TEMP TABLE t AS SELECT * FROM audit_log WHERE seq IN (" + a + "," + b + ");"
        "DELETE FROM audit_log WHERE seq IN (" + a + "," + b + ");"
        "INSERT INTO audit_log SELECT CASE seq WHEN " + a + " THEN " + b + " ELSE " + a + " END, " + cols +
        " FROM t;");
    ExpectFirst(Verify(db), k, TamperKind::kReordered, "swap of " + a + " and " + b);
    std::filesystem::remove(db);
  }
}

TEST_F(AuditTamperTest, TEL_04_TruncationIsDetectedAgainstHeadAndExternalCheckpoints) {
  // Delete the tail and rewind the head: only the signed head and the external file can tell.
  for (int64_t keep : {n_ - 1, n_ - 3, int64_t{2}}) {
    std::string db = Tampered("DELETE FROM audit_log WHERE seq > " + std::to_string(keep) + ";"
                              "DELETE FROM audit_checkpoint WHERE seq > " + std::to_string(keep) + ";"
                              "UPDATE audit_head SET seq = " + std::to_string(keep) +
                              ", entry_hash = (SELECT entry_hash FROM audit_log WHERE seq = " +
                              std::to_string(keep) + ");");
    auto s = Verify(db);
    ASSERT_FALSE(s.ok);
    bool truncated = false;
    for (const auto& i : s.issues) truncated |= i.kind == TamperKind::kTruncated && i.seq == keep + 1;
    // Beyond the last external checkpoint only the head's signature catches it.
    EXPECT_TRUE(truncated || s.issues.front().kind == TamperKind::kBadSignature) << s.Report();
    std::filesystem::remove(db);
  }
  // Plain tail deletion (head left alone).
  std::string db = Tampered("DELETE FROM audit_log WHERE seq > 3");
  ExpectFirst(Verify(db), 4, TamperKind::kTruncated, "tail deletion");
}

TEST_F(AuditTamperTest, TEL_04_RewrittenChainIsCaughtBySignedCheckpoints) {
  // Insider edits entry 2 and recomputes every later hash (a perfectly consistent chain).
  std::string copy = dir_ + "/rewritten.db";
  std::filesystem::copy_file(path_, copy);
  {
    auto conn = OpenSqlite(copy);
    conn->Exec("DROP TRIGGER audit_log_no_update");
    auto q = conn->Prepare("SELECT seq, utc, tx_id, user_id, username, role, action, object_type, object_id, "
                           "field, old_value, new_value, reason FROM audit_log ORDER BY seq");
    std::vector<AuditEntry> rows;
    while (q->Step()) {
      rows.push_back({q->ColumnInt(0), q->ColumnText(1), q->ColumnInt(2), q->ColumnInt(3), q->ColumnText(4),
                      q->ColumnText(5), q->ColumnText(6), q->ColumnText(7), q->ColumnText(8), q->ColumnText(9),
                      q->ColumnOptText(10), q->ColumnOptText(11), q->ColumnText(12), "", ""});
    }
    rows[1].reason = "rewritten history";
    std::string prev = kGenesisHash;
    for (auto& e : rows) {
      e.prev_hash = prev;
      e.entry_hash = ComputeEntryHash(e);
      prev = e.entry_hash;
      conn->Prepare("UPDATE audit_log SET reason = ?, prev_hash = ?, entry_hash = ? WHERE seq = ?")
          ->Bind(e.reason, e.prev_hash, e.entry_hash, e.seq).Run();
    }
    conn->Prepare("UPDATE audit_head SET entry_hash = ?")->Bind(prev).Run();
  }
  auto s = Verify(copy);
  ASSERT_FALSE(s.ok) << "rewritten chain accepted";
  EXPECT_EQ(s.issues.front().kind, TamperKind::kEdited) << s.Report();
  EXPECT_LE(s.issues.front().seq, 5) << s.Report();  // the first signed checkpoint covering entry 2
}

TEST_F(AuditTamperTest, TEL_04_ForgedCheckpointSignatureIsDetected) {
  std::string db = Tampered("UPDATE audit_checkpoint SET utc = '2020-01-01T00:00:00.000000Z' WHERE seq = 5");
  ExpectFirst(Verify(db), 5, TamperKind::kBadSignature, "edited checkpoint");
  // A key that is not the trusted one: every signature fails.
  VerifyOptions other = options_;
  other.public_key = GenerateSigningKey().public_key;
  auto s = VerifyAuditTrailFile(path_, other);
  ASSERT_FALSE(s.ok);
  EXPECT_EQ(s.issues.front().kind, TamperKind::kBadSignature);
}

}  // namespace
}  // namespace biotwin::record::testing
