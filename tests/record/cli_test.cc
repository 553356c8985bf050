// The record-layer CLI: audit verify exit codes and messages, batch export, user management,
// e-signing and the traceability matrix, run through the real `biotwin` binary.

#include <cstdlib>
#include <filesystem>

#include "record_fixture.h"

namespace biotwin::record::testing {
namespace {

class CliTest : public RecordCliTest {
 protected:
  // A closed store with a batch and a few entries.
  void Populate() {
    Principal sys = Principal::System("simulate");
    int64_t b = StartBatch(sys);
    std::vector<double> t = {0, 1, 2}, v = {1, 2, 3};
    store_->batches().AppendSeries(sys, b, "X", "g/L", t, v);
    store_->batches().Finish(sys, b, BatchStatus::kCompleted, "ok");
    MakeUser("eng1", Role::kEngineer, "Erin Engineer");
    store_.reset();
  }
};

TEST_F(CliTest, P11_01_AuditVerifyExitsZeroOnIntactStore) {
  Populate();
  CliRun r = Cli("audit verify --db " + path_);
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("audit trail OK"), std::string::npos);
  EXPECT_NE(r.out.find("public key from outside the database"), std::string::npos);
}

TEST_F(CliTest, P11_01_TEL_01_AuditVerifyNamesFirstBadEntryAfterSqliteShellEdit) {
  Populate();
  // The insider's way: the sqlite3 shell, dropping the trigger first.
  std::string shell = "sqlite3 " + path_ +
                      " \"DROP TRIGGER audit_log_no_update; UPDATE audit_log SET reason='nothing to see' WHERE seq=3;\"";
  if (std::system("command -v sqlite3 >/dev/null 2>&1") == 0) {
    ASSERT_EQ(std::system(shell.c_str()), 0);
  } else {
    ASSERT_EQ(RawExec(path_, "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET reason='nothing to see' WHERE seq=3;"), "");
  }
  CliRun r = Cli("audit verify --db " + path_);
  EXPECT_EQ(r.code, 5);
  EXPECT_NE(r.err.find("first bad entry seq 3: edited"), std::string::npos) << r.err;
}

TEST_F(CliTest, TEL_04_AuditVerifyDetectsTruncationAndDeletion) {
  Populate();
  std::string copy = dir_ + "/copy.db";
  std::filesystem::copy_file(path_, copy);
  ASSERT_EQ(RawExec(path_, "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log);"), "");
  CliRun r = Cli("audit verify --db " + path_);
  EXPECT_EQ(r.code, 5);
  EXPECT_NE(r.err.find("truncated"), std::string::npos) << r.err;
  // Deleted in the middle; keys and checkpoints given explicitly.
  ASSERT_EQ(RawExec(copy, "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq = 2;"), "");
  r = Cli("audit verify --db " + copy + " --checkpoints " + path_ + ".checkpoints --public-key " + path_ + ".audit-key.pub");
  EXPECT_EQ(r.code, 5);
  EXPECT_NE(r.err.find("first bad entry seq 2: deleted"), std::string::npos) << r.err;
  EXPECT_EQ(Cli("audit verify --db " + dir_ + "/missing.db").code, 4);
  EXPECT_EQ(Cli("audit verify").code, 2);
}

TEST_F(CliTest, P11_02_BatchExportWritesJsonAndHtml) {
  Populate();
  CliRun r = Cli("batch export --db " + path_ + " --batch 1 --out " + dir_ + "/export");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/export/batch-1.json"));
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/export/batch-1.html"));
  EXPECT_EQ(Cli("batch export --db " + path_ + " --batch 99 --out " + dir_ + "/export").code, 3);
  EXPECT_NE(Cli("batch list --db " + path_).out.find("B-001"), std::string::npos);
  EXPECT_EQ(Cli("audit verify --db " + path_).code, 0);  // the audited export kept the chain intact
}

TEST_F(CliTest, P11_04_P11_15_UserAndSignCommandsAuthenticate) {
  Populate();
  std::string pw = std::string("BIOTWIN_PASSWORD='") + kPassword + "'";
  CliRun r = Cli("user add --db " + path_ + " --user admin --new op7 --name 'Otto Seven' --role operator --reason hired",
              pw + " BIOTWIN_NEW_PASSWORD='another pass 7'");
  EXPECT_EQ(r.code, 0) << r.err;
  // Wrong password: refused, nothing created.
  r = Cli("user add --db " + path_ + " --user admin --new op8 --name 'Otto Eight' --role operator --reason hired",
          "BIOTWIN_PASSWORD=wrong BIOTWIN_NEW_PASSWORD='another pass 8'");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(kBadCredentials), std::string::npos) << r.err;
  // A non-admin cannot list users.
  r = Cli("user list --db " + path_ + " --user eng1", pw);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("permission denied"), std::string::npos);
  r = Cli("audit backup --db " + path_ + " --user admin --out " + dir_ + "/backup.db", pw);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Cli("audit verify --db " + dir_ + "/backup.db --public-key " + path_ + ".audit-key.pub").code, 0);
  r = Cli("batch sign --db " + path_ + " --batch 1 --user eng1 --meaning authored", pw);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("Erin Engineer (eng1) - authored - "), std::string::npos) << r.out;
  r = Cli("batch sign --db " + path_ + " --batch 1 --user eng1 --meaning reviewed", pw);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("second person required"), std::string::npos) << r.err;
}

TEST_F(CliTest, GAMP_01_ValidateTracePrintsTheMatrix) {
  CliRun r = Cli("validate trace --tests " + biotwin::testing::SourcePath("tests"));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("P11-05"), std::string::npos);
  EXPECT_NE(r.out.find("CliTest.GAMP_01_ValidateTracePrintsTheMatrix"), std::string::npos);
  r = Cli("validate trace --csv --tests " + biotwin::testing::SourcePath("tests"));
  EXPECT_NE(r.out.find("S88-01,PhaseTable.S88_01_TableMatchesIndependentTableForAllPairs"), std::string::npos);
}

}  // namespace
}  // namespace biotwin::record::testing
