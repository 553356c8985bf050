// Shared fixture for record-layer tests: a fresh store in a temp directory with fast Argon2id
// (interactive limits), an injectable session clock, and raw SQLite access that bypasses the
// record layer (to play the tamperer).
#ifndef BIOTWIN_TESTS_RECORD_RECORD_FIXTURE_H_
#define BIOTWIN_TESTS_RECORD_RECORD_FIXTURE_H_

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "record/record.h"
#include "test_paths.h"

// Defined by postgres_test.cc: RecordTest then runs against a real PostgreSQL server.
#ifdef BIOTWIN_RECORD_TEST_POSTGRES
#include "postgres_fixture.h"
#endif

namespace biotwin::record::testing {

inline constexpr const char* kPassword = "correct horse 1";

// Executes SQL on a database file directly through the SQLite C API (on the PostgreSQL server
// through libpq when the tests run against PostgreSQL) (no triggers dropped unless
// the SQL does it). Returns the SQLite error text, or "" on success.
inline std::string RawExec(const std::string& path, const std::string& sql) {
#ifdef BIOTWIN_RECORD_TEST_POSTGRES
  if (IsPostgresUri(path)) return PgRawExec(path, sql);  // the same tamperer, through libpq
#endif
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  std::string msg = rc == SQLITE_OK ? "" : (err ? err : "error");
  sqlite3_free(err);
  sqlite3_close(db);
  return msg;
}

inline int64_t RawInt(const std::string& path, const std::string& sql) {
#ifdef BIOTWIN_RECORD_TEST_POSTGRES
  if (IsPostgresUri(path)) return PgRawInt(path, sql);
#endif
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_stmt* st = nullptr;
  int64_t v = -1;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
    v = sqlite3_column_int64(st, 0);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

class RecordTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = biotwin::testing::TempDir();
#ifdef BIOTWIN_RECORD_TEST_POSTGRES
    if (!PostgresServer::Instance()) GTEST_FAIL() << "no PostgreSQL server";
    path_ = PostgresServer::Instance()->CreateDatabase();  // side files go to key_dir = dir_
#else
    path_ = dir_ + "/records.db";
#endif
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  StoreOptions Options() {
    StoreOptions o;
    o.password_cost = PasswordCost::kInteractive;
    o.checkpoint_every = 5;
    o.key_dir = dir_;  // used by PostgreSQL stores only (SQLite keeps "<db>.audit-key" etc.)
    o.session_timeout = std::chrono::seconds(600);
    o.session_clock = [this] { return now_; };
    return o;
  }
  void Reopen() {
    store_.reset();
    store_ = RecordStore::Open(path_, Options());
  }
  // Bootstraps an admin and returns its principal.
  Principal Admin() {
    if (store_->users().Empty()) store_->users().Bootstrap("admin", "Ada Admin", kPassword);
    return store_->users().Authenticate("admin", kPassword);
  }
  Principal MakeUser(const std::string& name, Role role, const std::string& printed = "") {
    Principal admin = Admin();
    store_->users().Create(admin, name, printed.empty() ? "Printed " + name : printed, role, kPassword,
                           "new staff member");
    return store_->users().Authenticate(name, kPassword);
  }
  int64_t StartBatch(const Principal& who, const std::string& name = "B-001") {
    BatchStart s;
    s.name = name;
    s.model_name = "cho-fedbatch";
    s.model_version = "1.0.0";
    s.model_hash = "abc123";
    s.recipe_snapshot = "feed: 10 mL/h\nT: 37 C\n";
    s.inputs = {{"seed_density", "0.3", "1e6 cells/mL"}, {"volume", "2.0", "L"}};
    return store_->batches().Start(who, s);
  }
  int64_t AuditCount() { return store_->audit().Count(); }

  std::string dir_;
  std::string path_;
  int64_t now_ = 1'700'000'000;
  std::unique_ptr<RecordStore> store_;
};

// Runs the real `biotwin` binary (stdout, stderr and exit code) for the CLI tests.
struct CliRun {
  int code = -1;
  std::string out, err;
};

class RecordCliTest : public RecordTest {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(biotwin::testing::CliPath())) GTEST_SKIP() << "biotwin binary not built";
    RecordTest::SetUp();
  }
  CliRun Cli(const std::string& args, const std::string& env = "") {
    std::string out = dir_ + "/out.txt", err = dir_ + "/err.txt";
    std::string cmd = env + " " + biotwin::testing::CliPath() + " " + args + " >" + out + " 2>" + err + " </dev/null";
    int status = std::system(cmd.c_str());
    CliRun r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = ReadFile(out);
    r.err = ReadFile(err);
    return r;
  }
};

}  // namespace biotwin::record::testing

#endif  // BIOTWIN_TESTS_RECORD_RECORD_FIXTURE_H_
